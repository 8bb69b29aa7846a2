/* sm-authres: placeholder until its module lands. */
