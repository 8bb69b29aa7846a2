/* sm-seal: placeholder until its module lands. */
