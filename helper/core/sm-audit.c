/* sm-audit: placeholder until its module lands. */
