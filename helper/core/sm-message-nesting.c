/* sm-message-nesting: a linear pre-scan of MIME nesting depth (RFC 2045 5.1 Content-Type,
 * RFC 2046 5.1.1 boundaries, 5.2.1 message/rfc822), so that deeply nested input gets a clear
 * limit error instead of minutes inside GMime's parser. It only needs to be as deep as GMime
 * would go, not exact: the MIME walk enforces the same limit on the parsed tree.
 * Limits: SM_LIMIT_MIME_DEPTH. */
#include "sm-message-private.h"
#include "sm-error.h"

#include <inttypes.h>
#include <glib/gi18n.h>
#include <string.h>

typedef struct
{
  const guint8 *boundary; /* NULL: the body of a message/rfc822 part */
  gsize len;
} Level;

typedef struct
{
  GArray *levels; /* Level */
  gboolean in_headers;
  gboolean multipart, rfc822; /* the Content-Type of the header block being read */
  const guint8 *boundary;
  gsize boundary_len;
} Scan;

static gboolean
range_has_prefix(const guint8 *p, const guint8 *end, const char *prefix)
{
  gsize n = strlen(prefix);
  return (gsize)(end - p) >= n && g_ascii_strncasecmp((const char *)p, prefix, n) == 0;
}

/* Reads type and boundary from the value of a Content-Type field, [p, end). */
static void
read_content_type(Scan *s, const guint8 *p, const guint8 *end)
{
  while (p < end && g_ascii_isspace(*p))
    p++;
  s->multipart = range_has_prefix(p, end, "multipart/");
  s->rfc822
      = range_has_prefix(p, end, "message/rfc822") || range_has_prefix(p, end, "message/global");
  s->boundary = NULL;
  for (const guint8 *q = p; q < end; q++)
    {
      if (!range_has_prefix(q, end, "boundary="))
        continue;
      q += strlen("boundary=");
      gboolean quoted = q < end && *q == '"';
      const guint8 *b = quoted ? q + 1 : q, *e = b;
      while (e < end && (quoted ? *e != '"' : (*e != ';' && !g_ascii_isspace(*e))))
        e++;
      if (e > b)
        {
          s->boundary = b;
          s->boundary_len = (gsize)(e - b);
        }
      return;
    }
}

static gboolean
push(Scan *s, const guint8 *boundary, gsize len, guint64 max_depth, GError **error)
{
  Level level = { boundary, len };
  g_array_append_val(s->levels, level);
  if (s->levels->len <= max_depth)
    return TRUE;
  g_set_error(error, SM_ERROR, SM_ERROR_LIMIT,
              _("MIME nesting deeper than %" PRIu64 " levels (limit %s)"), max_depth,
              sm_limits_name(SM_LIMIT_MIME_DEPTH));
  return FALSE;
}

/* A "--boundary" or "--boundary--" line of an open multipart closes what is inside it. */
static gboolean
boundary_line(Scan *s, const guint8 *line, gsize len)
{
  if (len < 3 || line[0] != '-' || line[1] != '-')
    return FALSE;
  for (guint i = s->levels->len; i-- > 0;)
    {
      Level *lv = &g_array_index(s->levels, Level, i);
      if (lv->boundary == NULL || len - 2 < lv->len || memcmp(line + 2, lv->boundary, lv->len) != 0)
        continue;
      gboolean close = len - 2 >= lv->len + 2 && memcmp(line + 2 + lv->len, "--", 2) == 0;
      g_array_set_size(s->levels, close ? i : i + 1);
      s->in_headers = !close;
      s->multipart = s->rfc822 = FALSE;
      s->boundary = NULL;
      return TRUE;
    }
  return FALSE;
}

/* The blank line after a header block: the body is a multipart, a message, or a leaf. */
static gboolean
end_headers(Scan *s, guint64 max_depth, GError **error)
{
  if (s->multipart && s->boundary != NULL)
    {
      s->in_headers = FALSE;
      return push(s, s->boundary, s->boundary_len, max_depth, error);
    }
  if (s->rfc822)
    {
      s->in_headers = TRUE; /* the body starts with the inner message's header block */
      s->rfc822 = FALSE;
      return push(s, NULL, 0, max_depth, error);
    }
  s->in_headers = FALSE;
  return TRUE;
}

gboolean
sm_message_check_nesting(const guint8 *data, gsize len, const SmLimits *limits, GError **error)
{
  guint64 max_depth = sm_limits_get(limits, SM_LIMIT_MIME_DEPTH);
  g_autoptr(GArray) levels = g_array_new(FALSE, FALSE, sizeof(Level));
  Scan s = { levels, TRUE, FALSE, FALSE, NULL, 0 };
  const guint8 *ct_start = NULL, *ct_end = NULL; /* the Content-Type field being read */

  for (gsize pos = 0; pos < len;)
    {
      const guint8 *nl = memchr(data + pos, '\n', len - pos);
      gsize end = nl != NULL ? (gsize)(nl - data) : len;
      const guint8 *line = data + pos;
      gsize line_len = end - pos - (end > pos && data[end - 1] == '\r' ? 1 : 0);
      pos = end + 1;
      if (boundary_line(&s, line, line_len))
        {
          ct_start = NULL;
          continue;
        }
      if (!s.in_headers)
        continue;
      gboolean continuation = line_len > 0 && (line[0] == ' ' || line[0] == '\t');
      if (continuation && ct_start != NULL)
        {
          ct_end = line + line_len;
          continue;
        }
      if (ct_start != NULL)
        read_content_type(&s, ct_start, ct_end);
      ct_start = NULL;
      if (line_len == 0)
        {
          if (!end_headers(&s, max_depth, error))
            return FALSE;
        }
      else if (range_has_prefix(line, line + line_len, "content-type:"))
        {
          ct_start = line + strlen("content-type:");
          ct_end = line + line_len;
        }
    }
  return TRUE;
}
