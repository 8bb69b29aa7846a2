/* sm-path: placeholder until its module lands. */
