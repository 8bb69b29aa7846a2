/* sm-smtp-reply: building, copying and formatting SMTP replies (RFC 5321 §4.2.1 multi-line
 * form, RFC 3463 enhanced codes). Reply text is bounded by its source: our own strings, or an
 * upstream reply whose lines the upstream reader already bounded. */
#include "sm-smtp-reply.h"

#include <stdarg.h>
#include <string.h>

SmSmtpReply *
sm_smtp_reply_new_raw(guint code, const char *text)
{
  SmSmtpReply *reply = g_new0(SmSmtpReply, 1);
  reply->code = CLAMP(code, 200, 599);
  reply->text = g_strdup(text != NULL ? text : "");
  return reply;
}

SmSmtpReply *
sm_smtp_reply_new(guint code, const char *enhanced, const char *format, ...)
{
  va_list ap;
  va_start(ap, format);
  g_autofree char *body = g_strdup_vprintf(format, ap);
  va_end(ap);
  if (enhanced == NULL)
    return sm_smtp_reply_new_raw(code, body);
  g_auto(GStrv) lines = g_strsplit(body, "\n", -1);
  g_autoptr(GString) text = g_string_new(NULL);
  for (guint i = 0; lines[i] != NULL; i++)
    g_string_append_printf(text, "%s%s %s", i > 0 ? "\n" : "", enhanced, lines[i]);
  return sm_smtp_reply_new_raw(code, text->str);
}

SmSmtpReply *
sm_smtp_reply_copy(const SmSmtpReply *reply)
{
  return reply != NULL ? sm_smtp_reply_new_raw(reply->code, reply->text) : NULL;
}

void
sm_smtp_reply_free(SmSmtpReply *reply)
{
  if (reply == NULL)
    return;
  g_free(reply->text);
  g_free(reply);
}

static void
append_clean(GString *out, const char *s, gsize len)
{
  for (gsize i = 0; i < len; i++)
    g_string_append_c(out, ((guchar)s[i] < 32 || s[i] == 127) ? '?' : s[i]);
}

void
sm_smtp_reply_format(const SmSmtpReply *reply, GString *out)
{
  const char *p = reply->text;
  do
    {
      const char *nl = strchr(p, '\n');
      gsize len = nl != NULL ? (gsize)(nl - p) : strlen(p);
      g_string_append_printf(out, "%03u%c", reply->code, nl != NULL ? '-' : ' ');
      append_clean(out, p, len);
      g_string_append(out, "\r\n");
      p = nl != NULL ? nl + 1 : NULL;
    }
  while (p != NULL);
}

gboolean
sm_smtp_reply_is_positive(const SmSmtpReply *reply)
{
  return reply != NULL && reply->code < 400;
}

char *
sm_smtp_reply_summary(const SmSmtpReply *reply)
{
  const char *nl = strchr(reply->text, '\n');
  gsize len = nl != NULL ? (gsize)(nl - reply->text) : strlen(reply->text);
  g_autoptr(GString) out = g_string_new(NULL);
  g_string_append_printf(out, "%03u ", reply->code);
  append_clean(out, reply->text, MIN(len, (gsize)200));
  return g_string_free(g_steal_pointer(&out), FALSE);
}
