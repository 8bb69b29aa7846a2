/* sm-verify: placeholder until its module lands. */
