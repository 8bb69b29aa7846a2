/* sm-keys: placeholder until its module lands. */
