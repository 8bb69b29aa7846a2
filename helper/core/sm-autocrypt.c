/* sm-autocrypt: placeholder until its module lands. */
