/* sm-path-lexer: RFC 5322 section 3.2 tokens (atoms, quoted strings, angle addresses, nested
 * comments) for the header parsers of the path module. Bounded by the length given; comment
 * nesting is counted, not recursed, so any depth is safe. */
#include "sm-path-lexer-private.h"

#include <string.h>

static gboolean
is_space(char c)
{
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

void
sm_path_lexer_init(SmLexer *lx, const char *text, gsize len, const char *specials)
{
  lx->p = text;
  lx->end = text + len;
  lx->specials = specials != NULL ? specials : "";
}

static gboolean
is_special(const SmLexer *lx, char c)
{
  for (const char *s = lx->specials; *s != '\0'; s++)
    if (*s == c)
      return TRUE;
  return FALSE;
}

/* Bytes that end an atom whatever the specials: comment, quote and angle brackets. */
static gboolean
is_delimiter(char c)
{
  return c == '(' || c == ')' || c == '"' || c == '<' || c == '>';
}

/* Word separators inside comments. */
static gboolean
is_word_break(char c)
{
  return is_space(c) || c == ',' || c == '(' || c == ')' || c == '\0';
}

/* Scans to the byte that closes an opening @open, honouring quoted-pairs; for comments also
 * nesting. Returns the position of the closing byte, or the end of input. */
static const char *
scan_closing(const char *p, const char *end, char open, char close)
{
  guint depth = 1;
  while (p < end)
    {
      if (*p == '\\' && p + 1 < end)
        {
          p += 2;
          continue;
        }
      if (open == '(' && *p == '(')
        depth++;
      else if (*p == close && --depth == 0)
        return p;
      p++;
    }
  return end;
}

gboolean
sm_path_lexer_next(SmLexer *lx, SmLexToken *token)
{
  while (lx->p < lx->end && is_space(*lx->p))
    lx->p++;
  if (lx->p >= lx->end)
    return FALSE;

  char c = *lx->p;
  const char *closers = "(\"<";
  const char *shut = ")\">";
  const char *open = strchr(closers, c);
  if (c != '\0' && open != NULL)
    {
      static const SmLexKind kinds[] = { SM_LEX_COMMENT, SM_LEX_QUOTED, SM_LEX_ANGLE };
      const char *start = lx->p + 1;
      const char *close = scan_closing(start, lx->end, c, shut[open - closers]);
      token->kind = kinds[open - closers];
      token->start = start;
      token->len = close - start;
      lx->p = close < lx->end ? close + 1 : close;
      return TRUE;
    }
  if (is_special(lx, c) || c == ')' || c == '>')
    {
      token->kind = SM_LEX_SPECIAL;
      token->start = lx->p;
      token->len = 1;
      lx->p++;
      return TRUE;
    }
  const char *start = lx->p;
  while (lx->p < lx->end && *lx->p != '\0' && !is_space(*lx->p) && !is_special(lx, *lx->p)
         && !is_delimiter(*lx->p))
    lx->p++;
  /* A NUL byte is neither space nor special: consume it so the loop always advances. */
  if (lx->p == start)
    lx->p++;
  token->kind = SM_LEX_ATOM;
  token->start = start;
  token->len = lx->p - start;
  return TRUE;
}

char *
sm_path_lexer_text(const SmLexToken *token)
{
  GString *out = g_string_sized_new(token->len);
  const char *end = token->start + token->len;
  for (const char *p = token->start; p < end; p++)
    {
      if (*p == '\\' && p + 1 < end && token->kind != SM_LEX_ATOM)
        p++;
      g_string_append_c(out, *p);
    }
  return g_string_free(out, FALSE);
}

GPtrArray *
sm_path_lexer_words(const char *text, gsize len, guint max_words)
{
  GPtrArray *words = g_ptr_array_new_with_free_func(g_free);
  const char *end = text + len;
  const char *p = text;
  while (p < end && words->len < max_words)
    {
      while (p < end && is_word_break(*p))
        p++;
      const char *start = p;
      while (p < end && !is_word_break(*p))
        p++;
      if (p > start)
        g_ptr_array_add(words, g_strndup(start, p - start));
    }
  return words;
}

gboolean
sm_path_lexer_is(const SmLexToken *token, const char *word)
{
  gsize n = strlen(word);
  return token->kind == SM_LEX_ATOM && token->len == n
         && g_ascii_strncasecmp(token->start, word, n) == 0;
}
