/* sm-smtp-upstream: SMTP client over verified TLS (RFC 5321, 3207, 8314, 4954, 2920, 8689).
 * Limits: SM_LIMIT_UPSTREAM_TIMEOUT_SECONDS on connect and every read and write,
 * SM_LIMIT_SMTP_LINE_BYTES per reply line, SM_LIMIT_SMTP_REPLY_LINES per reply. */
#include "sm-smtp-upstream.h"
#include "sm-error.h"
#include "sm-net-line.h"
#include "sm-smtp-parse.h"
#include "sm-smtp-sasl.h"

#include <glib/gi18n.h>
#include <string.h>

#define WRITE_CHUNK (64 * 1024)
#define PIPELINE_BATCH 100 /* commands written before their replies are read */

struct _SmSmtpUpstream
{
  SmNetConn *conn;
  SmNetLineReader *reader;
  GHashTable *ext; /* EHLO keyword (upper case) -> parameters */
  char *host;
  char *helo_name;
  guint max_reply_lines;
  gboolean usable;
};

gboolean
sm_smtp_upstream_parse_url(const char *url, SmSmtpUpstreamAddress *address, GError **error)
{
  static const struct
  {
    const char *scheme;
    SmSmtpTlsMode mode;
    guint16 port;
  } schemes[] = {
    { "smtp+starttls://", SM_SMTP_TLS_STARTTLS, 587 },
    { "smtps://", SM_SMTP_TLS_IMPLICIT, 465 },
  };
  memset(address, 0, sizeof *address);
  for (gsize i = 0; i < G_N_ELEMENTS(schemes); i++)
    {
      if (!g_str_has_prefix(url, schemes[i].scheme))
        continue;
      const char *rest = url + strlen(schemes[i].scheme);
      g_autofree char *hostport = g_strndup(rest, strcspn(rest, "/"));
      const char *colon = strrchr(hostport, ':');
      guint64 port = schemes[i].port;
      gboolean bracketed = hostport[0] == '[';
      if (colon != NULL && (!bracketed || colon > strchr(hostport, ']')))
        {
          if (!g_ascii_string_to_unsigned(colon + 1, 10, 1, G_MAXUINT16, &port, NULL))
            break;
          hostport[colon - hostport] = '\0';
        }
      if (hostport[0] == '\0')
        break;
      address->host = g_strdup(hostport);
      address->port = (guint16)port;
      address->mode = schemes[i].mode;
      return TRUE;
    }
  g_set_error(error, SM_ERROR, SM_ERROR_INVALID_INPUT,
              _("smtp-upstream '%s' is not supported: write smtp+starttls://HOST:587 or "
                "smtps://HOST:465 (sealmail never sends mail in clear text)"),
              url);
  return FALSE;
}

void
sm_smtp_upstream_address_clear(SmSmtpUpstreamAddress *address)
{
  g_clear_pointer(&address->host, g_free);
}

static gboolean
write_str(SmSmtpUpstream *up, const char *s, gsize len, GError **error)
{
  if (!sm_net_conn_write_all(up->conn, s, len, error))
    {
      up->usable = FALSE;
      g_prefix_error(error, _("upstream %s: "), up->host);
      return FALSE;
    }
  return TRUE;
}

static SmSmtpReply *
protocol_error(SmSmtpUpstream *up, GError **error, const char *what)
{
  up->usable = FALSE;
  g_set_error(error, SM_ERROR, SM_ERROR_PROTOCOL, _("upstream %s: %s"), up->host, what);
  return NULL;
}

/* Reads one (multi-line) reply. */
static SmSmtpReply *
read_reply(SmSmtpUpstream *up, GError **error)
{
  g_autoptr(GString) text = g_string_new(NULL);
  guint first = 0;
  for (guint n = 0;; n++)
    {
      const char *line = NULL, *t = NULL;
      gsize len = 0, tlen = 0;
      SmNetLineEnd end;
      guint code = 0;
      gboolean more = FALSE;
      if (n >= up->max_reply_lines)
        return protocol_error(up, error, _("reply has too many lines"));
      if (!sm_net_line_read(up->reader, &line, &len, &end, error))
        {
          up->usable = FALSE;
          if (error != NULL && *error == NULL)
            g_set_error(error, SM_ERROR, SM_ERROR_IO, _("upstream %s closed the connection"),
                        up->host);
          else
            g_prefix_error(error, _("upstream %s: "), up->host);
          return NULL;
        }
      if (end == SM_NET_LINE_END_NONE
          || !sm_smtp_parse_reply_line(line, len, &code, &more, &t, &tlen))
        return protocol_error(up, error, _("malformed reply"));
      if (first != 0 && code != first)
        return protocol_error(up, error, _("reply lines with different codes"));
      first = code;
      if (n > 0)
        g_string_append_c(text, '\n');
      g_string_append_len(text, t, (gssize)tlen);
      if (!more)
        return sm_smtp_reply_new_raw(code, text->str);
    }
}

static SmSmtpReply *
command(SmSmtpUpstream *up, const char *line, GError **error)
{
  g_autofree char *cmd = g_strconcat(line, "\r\n", NULL);
  if (!write_str(up, cmd, strlen(cmd), error))
    return NULL;
  return read_reply(up, error);
}

static gboolean
ehlo(SmSmtpUpstream *up, SmSmtpReply **reply, GError **error)
{
  g_autofree char *line = g_strdup_printf("EHLO %s", up->helo_name);
  g_autoptr(SmSmtpReply) r = command(up, line, error);
  if (r == NULL)
    return FALSE;
  if (r->code != 250)
    {
      g_set_error(error, SM_ERROR, SM_ERROR_PROTOCOL, _("upstream %s refused EHLO"), up->host);
      *reply = g_steal_pointer(&r);
      return FALSE;
    }
  g_hash_table_remove_all(up->ext);
  g_auto(GStrv) lines = g_strsplit(r->text, "\n", -1);
  for (guint i = 1; lines[i] != NULL; i++)
    {
      char *sp = strchr(lines[i], ' ');
      char *kw = g_ascii_strup(lines[i], sp != NULL ? sp - lines[i] : -1);
      g_hash_table_replace(up->ext, kw, g_strdup(sp != NULL ? sp + 1 : ""));
    }
  return TRUE;
}

static gboolean
start_tls(SmSmtpUpstream *up, SSL_CTX *ctx, char **failure_type, SmSmtpReply **reply,
          GError **error)
{
  if (!sm_smtp_upstream_has(up, "STARTTLS"))
    {
      *failure_type = g_strdup("starttls-not-supported");
      g_set_error(error, SM_ERROR, SM_ERROR_TLS,
                  _("upstream %s does not offer STARTTLS (or something removed the offer); "
                    "sealmail does not send in clear text"),
                  up->host);
      return FALSE;
    }
  g_autoptr(SmSmtpReply) r = command(up, "STARTTLS", error);
  if (r == NULL)
    return FALSE;
  if (r->code != 220)
    {
      *failure_type = g_strdup("starttls-not-supported");
      g_set_error(error, SM_ERROR, SM_ERROR_TLS, _("upstream %s refused STARTTLS"), up->host);
      *reply = g_steal_pointer(&r);
      return FALSE;
    }
  /* Bytes after the 220 were sent in clear text by someone: never read them as TLS data. */
  if (sm_net_line_reader_buffered(up->reader) > 0)
    {
      *failure_type = g_strdup("validation-failure");
      up->usable = FALSE;
      g_set_error(error, SM_ERROR, SM_ERROR_TLS,
                  _("upstream %s sent data before the TLS handshake"), up->host);
      return FALSE;
    }
  return TRUE;
}

static gboolean
handshake(SmSmtpUpstream *up, SSL_CTX *ctx, char **failure_type, GError **error)
{
  if (sm_net_tls_connect(up->conn, ctx, up->host, error))
    return TRUE;
  *failure_type = g_strdup(sm_net_tls_failure_type(up->conn));
  up->usable = FALSE;
  return FALSE;
}

static gboolean
greet(SmSmtpUpstream *up, const SmSmtpUpstreamOptions *o, char **failure_type, SmSmtpReply **reply,
      GError **error)
{
  if (o->address->mode == SM_SMTP_TLS_IMPLICIT && !handshake(up, o->tls, failure_type, error))
    return FALSE;
  g_autoptr(SmSmtpReply) greeting = read_reply(up, error);
  if (greeting == NULL)
    return FALSE;
  if (greeting->code != 220)
    {
      g_set_error(error, SM_ERROR, SM_ERROR_TEMPORARY, _("upstream %s is not ready"), up->host);
      *reply = g_steal_pointer(&greeting);
      return FALSE;
    }
  if (!ehlo(up, reply, error))
    return FALSE;
  if (o->address->mode == SM_SMTP_TLS_IMPLICIT)
    return TRUE;
  return start_tls(up, o->tls, failure_type, reply, error)
         && handshake(up, o->tls, failure_type, error) && ehlo(up, reply, error);
}

SmSmtpUpstream *
sm_smtp_upstream_open(const SmSmtpUpstreamOptions *o, char **failure_type, SmSmtpReply **reply,
                      GError **error)
{
  *failure_type = NULL;
  *reply = NULL;
  SmNetConn *conn
      = sm_net_conn_connect(o->address->host, o->address->port, o->timeout_seconds, error);
  if (conn == NULL)
    return NULL;
  g_autoptr(SmSmtpUpstream) up = g_new0(SmSmtpUpstream, 1);
  up->conn = conn;
  up->reader = sm_net_line_reader_new(conn, o->max_line);
  up->ext = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  up->host = g_strdup(o->address->host);
  up->helo_name = g_strdup(o->helo_name);
  up->max_reply_lines = MAX(o->max_reply_lines, 1);
  up->usable = TRUE;
  if (!greet(up, o, failure_type, reply, error))
    return NULL;
  return g_steal_pointer(&up);
}

void
sm_smtp_upstream_close(SmSmtpUpstream *up)
{
  if (up == NULL)
    return;
  if (up->usable)
    sm_smtp_reply_free(command(up, "QUIT", NULL));
  sm_net_line_reader_free(up->reader);
  sm_net_conn_free(up->conn);
  g_hash_table_unref(up->ext);
  g_free(up->host);
  g_free(up->helo_name);
  g_free(up);
}

const SmNetTlsFacts *
sm_smtp_upstream_get_tls(const SmSmtpUpstream *up)
{
  return sm_net_tls_get_facts(up->conn);
}

gboolean
sm_smtp_upstream_has(const SmSmtpUpstream *up, const char *keyword)
{
  g_autofree char *upper = g_ascii_strup(keyword, -1);
  return g_hash_table_contains(up->ext, upper);
}

gboolean
sm_smtp_upstream_is_usable(const SmSmtpUpstream *up)
{
  return up != NULL && up->usable;
}

static gboolean
offers_mechanism(const SmSmtpUpstream *up, const char *mech)
{
  const char *mechs = g_hash_table_lookup(up->ext, "AUTH");
  g_auto(GStrv) list = g_strsplit(mechs != NULL ? mechs : "", " ", -1);
  for (guint i = 0; list[i] != NULL; i++)
    if (g_ascii_strcasecmp(list[i], mech) == 0)
      return TRUE;
  return FALSE;
}

/* Sends a line holding a secret and wipes it. */
static SmSmtpReply *
secret_command(SmSmtpUpstream *up, char *line, GError **error)
{
  SmSmtpReply *r = command(up, line, error);
  sm_smtp_sasl_wipe(line);
  return r;
}

static SmSmtpReply *
auth_login(SmSmtpUpstream *up, const char *user, const char *password, GError **error)
{
  g_autoptr(SmSmtpReply) r = command(up, "AUTH LOGIN", error);
  if (r == NULL || r->code != 334)
    return g_steal_pointer(&r);
  g_clear_pointer(&r, sm_smtp_reply_free);
  r = secret_command(up, g_base64_encode((const guchar *)user, strlen(user)), error);
  if (r == NULL || r->code != 334)
    return g_steal_pointer(&r);
  g_clear_pointer(&r, sm_smtp_reply_free);
  return secret_command(up, g_base64_encode((const guchar *)password, strlen(password)), error);
}

SmSmtpReply *
sm_smtp_upstream_auth(SmSmtpUpstream *up, const char *authzid, const char *user,
                      const char *password, GError **error)
{
  if (!sm_net_conn_is_tls(up->conn))
    return sm_smtp_reply_new(454, "4.7.0", "%s", _("Refusing to authenticate without TLS"));
  if (offers_mechanism(up, "PLAIN"))
    {
      g_autofree char *b64 = sm_smtp_sasl_encode_plain(authzid, user, password);
      char *line = g_strconcat("AUTH PLAIN ", b64, NULL);
      sm_smtp_sasl_wipe(g_steal_pointer(&b64));
      return secret_command(up, line, error);
    }
  if (offers_mechanism(up, "LOGIN"))
    return auth_login(up, user, password, error);
  return sm_smtp_reply_new(454, "4.7.0", _("Upstream %s offers neither AUTH PLAIN nor LOGIN"),
                           up->host);
}

gboolean
sm_smtp_upstream_reset(SmSmtpUpstream *up, GError **error)
{
  if (!up->usable)
    {
      g_set_error(error, SM_ERROR, SM_ERROR_IO, _("upstream %s: connection lost"), up->host);
      return FALSE;
    }
  g_autoptr(SmSmtpReply) r = command(up, "RSET", error);
  if (r != NULL && r->code != 250)
    {
      up->usable = FALSE;
      g_set_error(error, SM_ERROR, SM_ERROR_PROTOCOL, _("upstream %s refused RSET"), up->host);
    }
  return r != NULL && r->code == 250;
}

static char *
mail_command(SmSmtpUpstream *up, const SmSmtpUpstreamMessage *m)
{
  GString *s = g_string_new(NULL);
  g_string_append_printf(s, "MAIL FROM:<%s>", m->mail_from);
  if (m->size > 0 && sm_smtp_upstream_has(up, "SIZE"))
    g_string_append_printf(s, " SIZE=%" G_GUINT64_FORMAT, m->size);
  if (m->body_8bit && sm_smtp_upstream_has(up, "8BITMIME"))
    g_string_append(s, " BODY=8BITMIME");
  if (m->smtputf8)
    g_string_append(s, " SMTPUTF8");
  if (m->requiretls && sm_smtp_upstream_has(up, "REQUIRETLS"))
    g_string_append(s, " REQUIRETLS");
  g_string_append(s, "\r\n");
  return g_string_free(s, FALSE);
}

/* MAIL and RCPT, pipelined in batches when offered. Returns NULL on success (*@failed unset),
 * the first negative reply, or NULL with @error on I/O failure. */
static SmSmtpReply *
envelope(SmSmtpUpstream *up, const SmSmtpUpstreamMessage *m, gboolean *io_failed, GError **error)
{
  gboolean pipelining = sm_smtp_upstream_has(up, "PIPELINING");
  guint batch = pipelining ? PIPELINE_BATCH : 1;
  g_autoptr(GPtrArray) cmds = g_ptr_array_new_with_free_func(g_free);
  g_autoptr(SmSmtpReply) first_bad = NULL;
  g_ptr_array_add(cmds, mail_command(up, m));
  for (guint i = 0; m->rcpts[i] != NULL; i++)
    g_ptr_array_add(cmds, g_strdup_printf("RCPT TO:<%s>\r\n", m->rcpts[i]));

  *io_failed = FALSE;
  for (guint start = 0; start < cmds->len; start += batch)
    {
      guint end = MIN(start + batch, cmds->len);
      g_autoptr(GString) out = g_string_new(NULL);
      for (guint i = start; i < end; i++)
        g_string_append(out, g_ptr_array_index(cmds, i));
      if (!write_str(up, out->str, out->len, error))
        goto io_failure;
      for (guint i = start; i < end; i++)
        {
          SmSmtpReply *r = read_reply(up, error);
          if (r == NULL)
            goto io_failure;
          if (r->code >= 400 && first_bad == NULL)
            first_bad = r;
          else
            sm_smtp_reply_free(r);
        }
      if (first_bad != NULL)
        break;
    }
  return g_steal_pointer(&first_bad);
io_failure:
  *io_failed = TRUE;
  return NULL;
}

/* Streams @in as DATA: CR LF line ends, leading dots doubled (RFC 5321 §4.5.2), final dot. */
static gboolean
send_content(SmSmtpUpstream *up, GInputStream *in, GError **error)
{
  g_autofree guint8 *chunk = g_malloc(WRITE_CHUNK);
  g_autoptr(GString) out = g_string_sized_new(WRITE_CHUNK * 2 + 8);
  gboolean line_start = TRUE, prev_cr = FALSE;
  for (;;)
    {
      gssize n = g_input_stream_read(in, chunk, WRITE_CHUNK, NULL, error);
      if (n < 0)
        {
          up->usable = FALSE;
          return FALSE;
        }
      if (n == 0)
        break;
      for (gssize i = 0; i < n; i++)
        {
          char c = (char)chunk[i];
          if (line_start && c == '.')
            g_string_append_c(out, '.');
          if (c == '\n' && !prev_cr)
            g_string_append_c(out, '\r');
          g_string_append_c(out, c);
          prev_cr = c == '\r';
          line_start = c == '\n';
        }
      if (!write_str(up, out->str, out->len, error))
        return FALSE;
      g_string_truncate(out, 0);
    }
  g_string_append(out, line_start ? ".\r\n" : "\r\n.\r\n");
  return write_str(up, out->str, out->len, error);
}

SmSmtpReply *
sm_smtp_upstream_send(SmSmtpUpstream *up, const SmSmtpUpstreamMessage *m, gboolean *after_dot,
                      GError **error)
{
  gboolean io_failed = FALSE;
  *after_dot = FALSE;
  if (m->smtputf8 && !sm_smtp_upstream_has(up, "SMTPUTF8"))
    return sm_smtp_reply_new(553, "5.6.7", _("Upstream %s does not accept SMTPUTF8 messages"),
                             up->host);
  SmSmtpReply *bad = envelope(up, m, &io_failed, error);
  if (io_failed)
    return NULL;
  if (bad == NULL)
    {
      bad = command(up, "DATA", error);
      if (bad == NULL)
        return NULL;
      if (bad->code == 354)
        {
          g_clear_pointer(&bad, sm_smtp_reply_free);
          if (!send_content(up, m->content, error))
            return NULL;
          *after_dot = TRUE;
          return read_reply(up, error);
        }
    }
  sm_smtp_upstream_reset(up, NULL);
  return bad;
}
