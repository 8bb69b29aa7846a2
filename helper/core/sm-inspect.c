/* sm-inspect: placeholder until its module lands. */
