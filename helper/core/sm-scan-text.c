/* sm-scan-text: the decoded UTF-8 text of a MIME part, streamed to the scanner.
 *
 * Transfer encodings (RFC 2045 base64 and quoted-printable) and charsets (RFC 2046) are undone
 * with GMime's filters while reading, SCAN_READ_BYTES at a time, so a large part is never held
 * whole. HTML (text/html) goes through a small byte-at-a-time converter: tags are dropped,
 * character references decoded (HTML 5 numeric and the common named ones), white space collapsed,
 * text hidden with CSS or comments kept (it is still sent), <blockquote> content prefixed with
 * "> " so that quoted replies are recognised. Limits: SM_LIMIT_SCAN_PART_BYTES per part (decoded
 * bytes), SM_LIMIT_ATTACHMENT_BYTES for attachments decoded into memory. */
#include "sm-scan-private.h"
#include "sm-autocleanups.h"
#include "sm-error.h"

#include <string.h>

#define SCAN_READ_BYTES (64 * 1024)
#define HTML_NAME_MAX 16 /* tag or entity name bytes kept */

typedef enum
{
  HT_TEXT,
  HT_TAG,
  HT_ENTITY,
  HT_COMMENT
} HtmlState;

struct _SmHtmlText
{
  HtmlState state;
  char name[HTML_NAME_MAX + 1]; /* tag name or entity body */
  guint name_len;
  gboolean name_done; /* tag name complete (attributes follow) */
  char quote;         /* inside a quoted attribute value */
  guint dashes;       /* for "-->" */
  guint quote_depth;  /* <blockquote> nesting */
  gboolean space_pending, line_start;
};

SmHtmlText *
sm_html_text_new(void)
{
  SmHtmlText *h = g_new0(SmHtmlText, 1);
  h->line_start = TRUE;
  return h;
}

void
sm_html_text_free(SmHtmlText *h)
{
  g_free(h);
}

static void
out_text(SmHtmlText *h, GString *out, const char *s, gsize n)
{
  if (h->space_pending && !h->line_start)
    g_string_append_c(out, ' ');
  h->space_pending = FALSE;
  if (h->line_start && h->quote_depth > 0)
    for (guint i = 0; i < MIN(h->quote_depth, 8u); i++)
      g_string_append(out, "> ");
  h->line_start = FALSE;
  g_string_append_len(out, s, (gssize)n);
}

static void
out_newline(SmHtmlText *h, GString *out)
{
  if (!h->line_start)
    g_string_append_c(out, '\n');
  h->line_start = TRUE;
  h->space_pending = FALSE;
}

typedef struct
{
  const char *name;
  gunichar ch; /* 0: drop (soft hyphen, zero-width joiners) */
} HtmlEntity;

static const HtmlEntity entities[] = {
  { "amp", '&' },     { "lt", '<' },       { "gt", '>' },        { "quot", '"' },
  { "apos", '\'' },   { "nbsp", 0xA0 },    { "shy", 0 },         { "zwnj", 0 },
  { "zwj", 0 },       { "ndash", 0x2013 }, { "mdash", 0x2014 },  { "hellip", 0x2026 },
  { "eacute", 0xE9 }, { "Eacute", 0xC9 },  { "egrave", 0xE8 },   { "ecirc", 0xEA },
  { "agrave", 0xE0 }, { "acirc", 0xE2 },   { "ccedil", 0xE7 },   { "ocirc", 0xF4 },
  { "ucirc", 0xFB },  { "icirc", 0xEE },   { "euml", 0xEB },     { "iuml", 0xEF },
  { "auml", 0xE4 },   { "Auml", 0xC4 },    { "ouml", 0xF6 },     { "Ouml", 0xD6 },
  { "uuml", 0xFC },   { "Uuml", 0xDC },    { "aring", 0xE5 },    { "Aring", 0xC5 },
  { "szlig", 0xDF },  { "euro", 0x20AC },  { "copy", 0xA9 },     { "reg", 0xAE },
  { "laquo", 0xAB },  { "raquo", 0xBB },   { "thinsp", 0x2009 }, { "ensp", 0x2002 },
  { "emsp", 0x2003 }, { "minus", 0x2212 }, { "hyphen", 0x2010 }, { "dash", 0x2010 },
};

/* Zero-width characters are dropped so that "4111&#8203;1111" is read as one number. */
static gboolean
is_invisible(gunichar c)
{
  return c == 0 || c == 0xAD || c == 0x200B || c == 0x200C || c == 0x200D || c == 0x2060
         || c == 0xFEFF;
}

static gboolean
entity_char(const char *name, guint len, gunichar *out)
{
  if (len >= 2 && name[0] == '#')
    {
      gboolean hex = name[1] == 'x' || name[1] == 'X';
      const char *digits = name + (hex ? 2 : 1);
      char *end = NULL;
      if (*digits == '\0')
        return FALSE;
      guint64 v = g_ascii_strtoull(digits, &end, hex ? 16 : 10);
      if (end == NULL || *end != '\0')
        return FALSE;
      *out = (v == 0 || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) ? 0xFFFD : (gunichar)v;
      return TRUE;
    }
  for (gsize i = 0; i < G_N_ELEMENTS(entities); i++)
    if (strcmp(entities[i].name, name) == 0)
      {
        *out = entities[i].ch;
        return TRUE;
      }
  return FALSE;
}

static void
end_entity(SmHtmlText *h, GString *out, gboolean terminated)
{
  gunichar c;
  h->name[h->name_len] = '\0';
  h->state = HT_TEXT;
  if (terminated && entity_char(h->name, h->name_len, &c))
    {
      char utf8[6];
      if (!is_invisible(c))
        out_text(h, out, utf8, (gsize)g_unichar_to_utf8(c, utf8));
      return;
    }
  out_text(h, out, "&", 1);
  out_text(h, out, h->name, h->name_len);
  if (terminated)
    out_text(h, out, ";", 1);
}

static gboolean
tag_is(const char *name, const char *const *list)
{
  for (gsize i = 0; list[i] != NULL; i++)
    if (g_ascii_strcasecmp(name, list[i]) == 0)
      return TRUE;
  return FALSE;
}

static void
end_tag(SmHtmlText *h, GString *out)
{
  static const char *const blocks[]
      = { "br",    "p",  "div", "tr",      "li",      "h1",     "h2",     "h3",
          "h4",    "h5", "h6",  "table",   "ul",      "ol",     "pre",    "hr",
          "title", "dd", "dt",  "section", "article", "header", "footer", NULL };
  static const char *const cells[] = { "td", "th", NULL };
  const char *name = h->name;
  gboolean closing = name[0] == '/';
  h->name[h->name_len] = '\0';
  h->state = HT_TEXT;
  if (closing)
    name++;
  if (g_ascii_strcasecmp(name, "blockquote") == 0)
    {
      out_newline(h, out);
      if (closing && h->quote_depth > 0)
        h->quote_depth--;
      else if (!closing)
        h->quote_depth++;
    }
  else if (tag_is(name, blocks))
    {
      out_newline(h, out);
    }
  else if (tag_is(name, cells))
    {
      h->space_pending = TRUE;
    }
}

static void
feed_byte(SmHtmlText *h, char c, GString *out)
{
  switch (h->state)
    {
      case HT_TEXT:
        if (c == '<')
          {
            h->state = HT_TAG;
            h->name_len = 0;
            h->name_done = FALSE;
            h->quote = 0;
          }
        else if (c == '&')
          {
            h->state = HT_ENTITY;
            h->name_len = 0;
          }
        else if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f')
          {
            h->space_pending = TRUE;
          }
        else
          {
            out_text(h, out, &c, 1);
          }
        break;
      case HT_ENTITY:
        if (c == ';')
          {
            end_entity(h, out, TRUE);
          }
        else if ((g_ascii_isalnum(c) || c == '#') && h->name_len < HTML_NAME_MAX)
          {
            h->name[h->name_len++] = c;
          }
        else
          {
            end_entity(h, out, FALSE);
            feed_byte(h, c, out);
          }
        break;
      case HT_TAG:
        if (h->quote != 0)
          {
            if (c == h->quote)
              h->quote = 0;
          }
        else if (c == '>')
          {
            end_tag(h, out);
          }
        else if (!h->name_done && h->name_len == 3 && memcmp(h->name, "!--", 3) == 0)
          {
            h->state = HT_COMMENT;
            h->dashes = 0;
            feed_byte(h, c, out);
          }
        else if (!h->name_done && (g_ascii_isalnum(c) || c == '/' || c == '!' || c == '-')
                 && h->name_len < HTML_NAME_MAX)
          {
            h->name[h->name_len++] = c;
          }
        else if (c == '"' || c == '\'')
          {
            h->name_done = TRUE;
            h->quote = c;
          }
        else
          {
            h->name_done = TRUE;
          }
        break;
      case HT_COMMENT:
        /* comment text is not shown but is sent: scan it */
        if (c == '>' && h->dashes >= 2)
          {
            h->state = HT_TEXT;
            h->space_pending = TRUE;
          }
        else if (c == '-')
          {
            h->dashes++;
          }
        else
          {
            for (; h->dashes > 0; h->dashes--)
              out_text(h, out, "-", 1);
            if (c == ' ' || c == '\n' || c == '\r' || c == '\t')
              h->space_pending = TRUE;
            else
              out_text(h, out, &c, 1);
          }
        break;
    }
}

void
sm_html_text_feed(SmHtmlText *h, const char *data, gsize len, GString *out)
{
  for (gsize i = 0; i < len; i++)
    feed_byte(h, data[i], out);
}

/* A filtered stream over the content of @part: transfer decoding, then charset to UTF-8. */
static GMimeStream *
decoded_stream(GMimePart *part, gboolean to_utf8)
{
  GMimeDataWrapper *content = g_mime_part_get_content(part);
  if (content == NULL)
    return NULL;
  GMimeStream *raw = g_mime_data_wrapper_get_stream(content);
  if (raw == NULL)
    return NULL;
  /* a substream of our own, so that reading it does not move the message's stream */
  g_autoptr(GMimeStream) sub = g_mime_stream_substream(raw, raw->bound_start, raw->bound_end);
  GMimeStream *filtered = g_mime_stream_filter_new(sub);
  GMimeContentEncoding enc = g_mime_data_wrapper_get_encoding(content);
  if (enc == GMIME_CONTENT_ENCODING_BASE64 || enc == GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE
      || enc == GMIME_CONTENT_ENCODING_UUENCODE)
    {
      g_autoptr(GMimeFilter) dec = g_mime_filter_basic_new(enc, FALSE);
      g_mime_stream_filter_add(GMIME_STREAM_FILTER(filtered), dec);
    }
  const char *charset = g_mime_object_get_content_type_parameter(GMIME_OBJECT(part), "charset");
  if (to_utf8 && charset != NULL && g_ascii_strcasecmp(charset, "utf-8") != 0
      && g_ascii_strcasecmp(charset, "us-ascii") != 0)
    {
      g_autoptr(GMimeFilter) cs = g_mime_filter_charset_new(charset, "UTF-8");
      if (cs != NULL) /* unknown charsets are read as they are */
        g_mime_stream_filter_add(GMIME_STREAM_FILTER(filtered), cs);
    }
  return filtered;
}

gboolean
sm_scan_text_part(GMimePart *part, SmTextKind kind, SmScanner *scanner, guint64 max_bytes,
                  gboolean *truncated, GError **error)
{
  g_autoptr(GMimeStream) in = decoded_stream(part, TRUE);
  g_autoptr(SmHtmlText) html = kind == SM_TEXT_HTML ? sm_html_text_new() : NULL;
  g_autoptr(GString) text = g_string_sized_new(SCAN_READ_BYTES);
  g_autofree char *buf = g_malloc(SCAN_READ_BYTES);
  guint64 total = 0;
  *truncated = FALSE;
  if (in == NULL)
    return TRUE;
  for (;;)
    {
      gssize n = g_mime_stream_read(in, buf, SCAN_READ_BYTES);
      if (n < 0)
        {
          g_set_error_literal(error, SM_ERROR, SM_ERROR_IO, "cannot decode a MIME part");
          return FALSE;
        }
      if (n == 0)
        break;
      if (total + (guint64)n > max_bytes)
        {
          n = (gssize)(max_bytes - total);
          *truncated = TRUE;
        }
      total += (guint64)n;
      if (html != NULL)
        {
          g_string_truncate(text, 0);
          sm_html_text_feed(html, buf, (gsize)n, text);
          sm_scanner_feed(scanner, text->str, text->len);
        }
      else
        {
          sm_scanner_feed(scanner, buf, (gsize)n);
        }
      if (*truncated)
        break;
    }
  return TRUE;
}

GBytes *
sm_scan_text_decode_part(GMimePart *part, guint64 max_bytes, GError **error)
{
  g_autoptr(GMimeStream) in = decoded_stream(part, FALSE);
  g_autoptr(GByteArray) out = g_byte_array_new();
  char buf[SCAN_READ_BYTES / 4];
  if (in == NULL)
    return g_bytes_new(NULL, 0);
  for (;;)
    {
      gssize n = g_mime_stream_read(in, buf, sizeof buf);
      if (n < 0)
        {
          g_set_error_literal(error, SM_ERROR, SM_ERROR_IO, "cannot decode a MIME part");
          return NULL;
        }
      if (n == 0)
        break;
      if (out->len + (guint64)n > max_bytes)
        {
          g_set_error(error, SM_ERROR, SM_ERROR_LIMIT,
                      "attachment larger than %" G_GUINT64_FORMAT " bytes (limit %s)", max_bytes,
                      sm_limits_name(SM_LIMIT_ATTACHMENT_BYTES));
          return NULL;
        }
      g_byte_array_append(out, (const guint8 *)buf, (guint)n);
    }
  return g_byte_array_free_to_bytes(g_steal_pointer(&out));
}
