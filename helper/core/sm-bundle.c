/* sm-bundle: placeholder until its module lands. */
