/* libFuzzer target for the SMTP proxy's parsers of untrusted input: command lines, upstream
 * reply lines, enhanced status codes, SASL responses, and a whole client session driven through
 * the state machine (sm-smtp-session), lines cut the way the line reader cuts them. */
#include "sm-smtp-parse.h"
#include "sm-smtp-sasl.h"
#include "sm-smtp-session.h"

#include <stdint.h>
#include <string.h>

#define MAX_LINE 512

static SmSmtpReply *
fuzz_authenticate(gpointer data, const char *authzid, const char *user, const char *password)
{
  return sm_smtp_reply_new(535, "5.7.8", "no");
}

static SmSmtpReply *
fuzz_deliver(gpointer data, const SmSmtpEnvelope *env)
{
  return sm_smtp_reply_new(250, "2.0.0", "OK");
}

static const SmSmtpBackend backend = { fuzz_authenticate, fuzz_deliver };

static void
parse_line(const char *line, gsize len)
{
  SmSmtpCommand cmd;
  const char *why = NULL;
  if (sm_smtp_parse_command(line, len, &cmd, &why) == SM_SMTP_PARSE_OK && cmd.path != NULL)
    (void)sm_smtp_address_is_valid(cmd.path, TRUE);
  sm_smtp_command_clear(&cmd);

  guint code;
  gboolean more;
  const char *text;
  gsize tlen;
  if (sm_smtp_parse_reply_line(line, len, &code, &more, &text, &tlen))
    (void)sm_smtp_parse_enhanced_code(text, tlen);

  g_autofree char *s = g_strndup(line, len);
  char *t = sm_smtp_sasl_decode_text(s);
  sm_smtp_sasl_wipe(t);
  char *z = NULL, *u = NULL, *p = NULL;
  if (sm_smtp_sasl_decode_plain(s, &z, &u, &p))
    {
      g_free(z);
      sm_smtp_sasl_wipe(u);
      sm_smtp_sasl_wipe(p);
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static char *spool = NULL;
  if (spool == NULL)
    spool = g_dir_make_tmp("fuzz-smtp-XXXXXX", NULL);
  SmSmtpSessionConfig cfg = {
    .session_id = "fuzz",
    .hostname = "localhost",
    .spool_dir = spool,
    .max_message = 4096,
    .max_recipients = 8,
    .max_errors = 1000,
    .starttls = TRUE,
  };
  g_autoptr(SmSmtpSession) s = sm_smtp_session_new(&cfg, &backend, NULL);
  g_autoptr(GString) out = g_string_new(NULL);
  sm_smtp_session_start(s, out);

  const char *p = (const char *)data;
  gsize left = size;
  while (left > 0)
    {
      const char *nl = memchr(p, '\n', MIN(left, (gsize)MAX_LINE + 1));
      gsize len = nl != NULL ? (gsize)(nl - p) : MIN(left, (gsize)MAX_LINE);
      gsize used = nl != NULL ? len + 1 : len;
      SmNetLineEnd end = SM_NET_LINE_END_NONE;
      if (nl != NULL)
        {
          end = (len > 0 && p[len - 1] == '\r') ? SM_NET_LINE_END_CRLF : SM_NET_LINE_END_LF;
          if (end == SM_NET_LINE_END_CRLF)
            len--;
        }
      parse_line(p, len);
      SmSmtpAction action = sm_smtp_session_feed(s, p, len, end, out);
      if (action == SM_SMTP_ACTION_STARTTLS)
        action = sm_smtp_session_tls_done(s, (len & 1) == 0, out);
      if (action == SM_SMTP_ACTION_CLOSE)
        break;
      g_string_truncate(out, 0);
      p += used;
      left -= used;
    }
  return 0;
}
