/* sm-path-lexer: the RFC 5322 section 3.2 lexer shared by the Received and
 * Authentication-Results parsers of the path module: atoms, quoted strings (with quoted-pairs),
 * angle addresses and comments (which nest, RFC 5322 section 3.2.2). Folding white space is
 * skipped. Works on a bounded byte range and never reads past it; unbalanced comments, quotes
 * and brackets end at the end of the input instead of failing. Private to the path module. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  SM_LEX_ATOM,    /* a run of non-space, non-special bytes */
  SM_LEX_QUOTED,  /* "..." ; start/len exclude the quotes, quoted-pairs are kept */
  SM_LEX_ANGLE,   /* <...> ; start/len exclude the brackets */
  SM_LEX_COMMENT, /* (...) ; start/len exclude the outer parentheses, inner ones are kept */
  SM_LEX_SPECIAL, /* one byte of the caller's specials set, e.g. ';' or '=' */
} SmLexKind;

typedef struct
{
  SmLexKind kind;
  const char *start;
  gsize len;
} SmLexToken;

typedef struct
{
  const char *p;
  const char *end;
  const char *specials; /* bytes that end atoms and are returned as SM_LEX_SPECIAL */
} SmLexer;

void sm_path_lexer_init(SmLexer *lx, const char *text, gsize len, const char *specials);
/* Returns FALSE at the end of the input. */
gboolean sm_path_lexer_next(SmLexer *lx, SmLexToken *token);
/* A copy of the token's text with quoted-pairs resolved. */
char *sm_path_lexer_text(const SmLexToken *token);
/* Splits comment text into words on white space, commas and parentheses (nested comments are
 * flattened into the word list). At most @max_words words are returned. */
GPtrArray *sm_path_lexer_words(const char *text, gsize len, guint max_words);
/* TRUE when @token is an atom equal to @word, ignoring ASCII case. */
gboolean sm_path_lexer_is(const SmLexToken *token, const char *word);

G_END_DECLS
