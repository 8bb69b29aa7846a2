/* sm-authres: Authentication-Results (RFC 8601 section 2.2) and ARC-Authentication-Results
 * (RFC 8617 section 4.1.1) parsing.
 *
 *   authres-payload = [CFWS] authserv-id [CFWS authres-version] (no-result / 1*resinfo)
 *   resinfo = [CFWS] ";" methodspec [CFWS reasonspec] [CFWS 1*propspec]
 *   methodspec = method ["/" version] "=" result;  propspec = ptype "." property "=" pvalue
 *
 * CFWS and nested comments are handled by sm-path-lexer. Tolerated deviations seen in real
 * mail: a missing authserv-id (Exchange Online starts directly with "spf=..."), a trailing ';',
 * white space after '=', and bare key=value pairs ("action=none") kept as properties.
 * Limits: SM_LIMIT_AUTHRES_BYTES (longer fields are not parsed), SM_LIMIT_AUTHRES_RESULTS
 * (further results are counted in `dropped`). */
#include "sm-authres.h"
#include "sm-json.h"
#include "sm-path-lexer-private.h"

#include <string.h>

/* Longest text kept for one value. */
#define VALUE_MAX_CHARS 255

typedef struct
{
  const SmLexToken *t;
  guint n;
} Segment;

static char *
token_text(const SmLexToken *t)
{
  g_autofree char *text = sm_path_lexer_text(t);
  return sm_json_sanitize(text, -1, VALUE_MAX_CHARS);
}

static char *
token_lower(const SmLexToken *t)
{
  g_autofree char *text = token_text(t);
  return g_ascii_strdown(text, -1);
}

static gboolean
is_eq(const Segment *s, guint i)
{
  return i < s->n && s->t[i].kind == SM_LEX_SPECIAL && s->t[i].start[0] == '=';
}

static gboolean
is_value(const Segment *s, guint i)
{
  return i < s->n && (s->t[i].kind == SM_LEX_ATOM || s->t[i].kind == SM_LEX_QUOTED);
}

static gboolean
has_eq(const Segment *s)
{
  for (guint i = 0; i < s->n; i++)
    if (is_eq(s, i))
      return TRUE;
  return FALSE;
}

static void
property_free(gpointer p)
{
  SmAuthresProperty *prop = p;
  g_free(prop->name);
  g_free(prop->value);
  g_free(prop);
}

static void
result_free(gpointer p)
{
  SmAuthresResult *r = p;
  g_free(r->method);
  g_free(r->result);
  g_free(r->reason);
  g_free(r->comment);
  g_clear_pointer(&r->properties, g_ptr_array_unref);
  g_free(r);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(SmAuthresResult, result_free)

/* Comments are not tokens of the grammar: drop them, but keep the first one after the result
 * (it often says why: "(message not signed)"). */
static GArray *
strip_comments(const Segment *s, char **first_comment)
{
  GArray *out = g_array_new(FALSE, FALSE, sizeof(SmLexToken));
  for (guint i = 0; i < s->n; i++)
    {
      if (s->t[i].kind != SM_LEX_COMMENT)
        g_array_append_val(out, s->t[i]);
      else if (*first_comment == NULL && out->len >= 3)
        *first_comment = token_text(&s->t[i]);
    }
  return out;
}

/* One resinfo: method "=" result, then reason= and ptype.property= pairs. */
static SmAuthresResult *
parse_resinfo(const Segment *seg)
{
  g_autoptr(SmAuthresResult) r = g_new0(SmAuthresResult, 1);
  g_autoptr(GArray) toks = strip_comments(seg, &r->comment);
  Segment s = { (const SmLexToken *)toks->data, toks->len };
  if (!is_value(&s, 0) || !is_eq(&s, 1) || !is_value(&s, 2))
    return NULL;
  r->method = token_lower(&s.t[0]);
  char *slash = strchr(r->method, '/'); /* method-version, RFC 8601 section 2.2 */
  if (slash != NULL)
    *slash = '\0';
  r->result = token_lower(&s.t[2]);
  r->properties = g_ptr_array_new_with_free_func(property_free);
  for (guint i = 3; i < s.n; i++)
    {
      if (!is_value(&s, i) || !is_eq(&s, i + 1))
        continue;
      g_autofree char *key = token_lower(&s.t[i]);
      /* "key= key2=v": an empty value, the next token starts the next pair */
      gboolean has_value = is_value(&s, i + 2) && !is_eq(&s, i + 3);
      char *value = has_value ? token_text(&s.t[i + 2]) : g_strdup("");
      i += has_value ? 2 : 1;
      if (strcmp(key, "reason") == 0 && r->reason == NULL)
        {
          r->reason = value;
          continue;
        }
      SmAuthresProperty *prop = g_new0(SmAuthresProperty, 1);
      prop->name = g_steal_pointer(&key);
      prop->value = value;
      g_ptr_array_add(r->properties, prop);
    }
  return g_steal_pointer(&r);
}

/* authserv-id [version]; returns FALSE when the segment is already a resinfo. */
static gboolean
parse_authserv(SmAuthres *a, const Segment *s)
{
  if (has_eq(s))
    return FALSE;
  guint i = 0;
  while (i < s->n && !is_value(s, i))
    i++;
  if (i < s->n)
    a->authserv_id = token_lower(&s->t[i++]);
  while (i < s->n && !is_value(s, i))
    i++;
  if (i < s->n)
    {
      g_autofree char *v = token_text(&s->t[i]);
      guint64 n = 0;
      if (g_ascii_string_to_unsigned(v, 10, 1, G_MAXUINT16, &n, NULL))
        a->version = (guint)n;
    }
  return TRUE;
}

/* ARC's "i=N" instance tag. */
static gboolean
parse_instance(SmAuthres *a, const Segment *s)
{
  guint64 n = 0;
  if (s->n < 3 || !sm_path_lexer_is(&s->t[0], "i") || !is_eq(s, 1) || !is_value(s, 2))
    return FALSE;
  g_autofree char *v = token_text(&s->t[2]);
  if (g_ascii_string_to_unsigned(v, 10, 1, 50, &n, NULL)) /* RFC 8617: 1..50 */
    a->instance = (gint)n;
  return TRUE;
}

static GArray *
split_segments(GArray *tokens)
{
  GArray *segs = g_array_new(FALSE, FALSE, sizeof(Segment));
  guint start = 0;
  for (guint i = 0; i <= tokens->len; i++)
    {
      const SmLexToken *t = i < tokens->len ? &g_array_index(tokens, SmLexToken, i) : NULL;
      if (t != NULL && !(t->kind == SM_LEX_SPECIAL && t->start[0] == ';'))
        continue;
      Segment s = { &g_array_index(tokens, SmLexToken, 0) + start, i - start };
      g_array_append_val(segs, s);
      start = i + 1;
    }
  return segs;
}

SmAuthres *
sm_authres_parse(const char *raw, gsize len, gboolean arc, const SmLimits *limits)
{
  g_return_val_if_fail(raw != NULL || len == 0, NULL);
  g_autoptr(SmAuthres) a = g_new0(SmAuthres, 1);
  a->arc = arc;
  a->version = 1;
  a->results = g_ptr_array_new_with_free_func(result_free);
  if (len > sm_limits_get(limits, SM_LIMIT_AUTHRES_BYTES))
    {
      a->too_long = TRUE;
      return g_steal_pointer(&a);
    }
  g_autoptr(GArray) tokens = g_array_new(FALSE, FALSE, sizeof(SmLexToken));
  SmLexer lx;
  SmLexToken t;
  sm_path_lexer_init(&lx, raw, len, ";=");
  while (sm_path_lexer_next(&lx, &t))
    g_array_append_val(tokens, t);
  if (tokens->len == 0)
    return g_steal_pointer(&a);

  g_autoptr(GArray) segs = split_segments(tokens);
  guint i = 0;
  if (arc && i < segs->len && parse_instance(a, &g_array_index(segs, Segment, i)))
    i++;
  if (i < segs->len && parse_authserv(a, &g_array_index(segs, Segment, i)))
    i++;
  guint max = sm_limits_get(limits, SM_LIMIT_AUTHRES_RESULTS);
  for (; i < segs->len; i++)
    {
      const Segment *s = &g_array_index(segs, Segment, i);
      if (s->n == 1 && sm_path_lexer_is(&s->t[0], "none"))
        {
          a->none = TRUE;
          continue;
        }
      SmAuthresResult *r = parse_resinfo(s);
      if (r == NULL)
        continue;
      if (a->results->len >= max)
        {
          a->dropped++;
          result_free(r);
          continue;
        }
      g_ptr_array_add(a->results, r);
    }
  return g_steal_pointer(&a);
}

void
sm_authres_free(SmAuthres *a)
{
  if (a == NULL)
    return;
  g_free(a->authserv_id);
  g_clear_pointer(&a->results, g_ptr_array_unref);
  g_free(a);
}

const char *
sm_authres_result_property(const SmAuthresResult *result, const char *name)
{
  g_return_val_if_fail(result != NULL && name != NULL, NULL);
  for (guint i = 0; i < result->properties->len; i++)
    {
      const SmAuthresProperty *p = result->properties->pdata[i];
      if (g_ascii_strcasecmp(p->name, name) == 0)
        return p->value;
    }
  return NULL;
}
