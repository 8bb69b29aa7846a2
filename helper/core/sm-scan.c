/* sm-scan: placeholder until its module lands. */
