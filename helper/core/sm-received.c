/* sm-received: placeholder until its module lands. */
