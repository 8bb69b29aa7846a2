/* sm-policy: placeholder until its module lands. */
