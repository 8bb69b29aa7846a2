/* sm-smtp-server: the listener and the per-session I/O loop. Replies to pipelined commands
 * (RFC 2920) are collected while more client input is already buffered and written together.
 * After STARTTLS, bytes the client sent in clear text before the handshake are discarded
 * (the STARTTLS command injection of CVE-2011-0411).
 * Limits: SM_LIMIT_SMTP_SESSIONS, SM_LIMIT_SMTP_TIMEOUT_SECONDS, SM_LIMIT_SMTP_LINE_BYTES, and
 * the session's limits (sm-smtp-session). */
#include "sm-smtp-server.h"
#include "sm-error.h"
#include "sm-net-listen.h"

#include <glib/gi18n.h>

#define REPLY_FLUSH_BYTES 16384

struct _SmSmtpServer
{
  SmSmtpServerOptions options;
  char *account;
  char *hostname;
  char *spool_dir;
  SmNetListener *listener;
  gint next_session;
  SSL_CTX *upstream_tls; /* owned when made by sm_smtp_server_new_for_account */
  char *tls_error;
};

static gboolean
flush(SmNetConn *conn, GString *out)
{
  if (out->len == 0)
    return TRUE;
  gboolean ok = sm_net_conn_write_all(conn, out->str, out->len, NULL);
  g_string_truncate(out, 0);
  return ok;
}

static SmSmtpAction
start_tls(SmSmtpServer *srv, SmSmtpSession *session, SmNetConn *conn, SmNetLineReader *reader,
          const char *id, GString *out)
{
  g_autoptr(GError) error = NULL;
  if (sm_net_line_reader_buffered(reader) > 0)
    {
      g_message("session=%s event=starttls-injection bytes=%zu action=discarded", id,
                sm_net_line_reader_buffered(reader));
      sm_net_line_reader_clear(reader);
    }
  gboolean ok = sm_net_tls_accept(conn, srv->options.server_tls, &error);
  if (!ok)
    g_message("session=%s event=tls-failed error=\"%s\"", id, error->message);
  return sm_smtp_session_tls_done(session, ok, out);
}

static void
run_session(SmNetConn *conn, const char *peer, gpointer data)
{
  SmSmtpServer *srv = data;
  const SmLimits *limits = srv->options.limits;
  g_autofree char *id
      = g_strdup_printf("%s-%u", srv->account, (guint)g_atomic_int_add(&srv->next_session, 1));
  SmSmtpSessionConfig cfg = {
    .session_id = id,
    .hostname = srv->hostname,
    .spool_dir = srv->spool_dir,
    .max_message = sm_limits_get(limits, SM_LIMIT_SMTP_MESSAGE_BYTES),
    .max_recipients = (guint)sm_limits_get(limits, SM_LIMIT_SMTP_RECIPIENTS),
    .max_errors = (guint)sm_limits_get(limits, SM_LIMIT_SMTP_ERRORS),
    .starttls = srv->options.server_tls != NULL,
  };
  g_autoptr(SmSmtpRelay) relay = sm_smtp_relay_new(&srv->options.relay, id);
  g_autoptr(SmSmtpSession) session = sm_smtp_session_new(&cfg, &sm_smtp_relay_backend, relay);
  g_autoptr(SmNetLineReader) reader
      = sm_net_line_reader_new(conn, sm_limits_get(limits, SM_LIMIT_SMTP_LINE_BYTES));
  g_autoptr(GString) out = g_string_new(NULL);

  g_message("session=%s event=client peer=%s", id, peer);
  sm_smtp_session_start(session, out);
  SmSmtpAction action = flush(conn, out) ? SM_SMTP_ACTION_CONTINUE : SM_SMTP_ACTION_CLOSE;
  while (action != SM_SMTP_ACTION_CLOSE)
    {
      const char *line = NULL;
      gsize len = 0;
      SmNetLineEnd end;
      g_autoptr(GError) error = NULL;
      if (!sm_net_line_read(reader, &line, &len, &end, &error))
        {
          sm_smtp_session_abort(session, error != NULL && error->code == SM_ERROR_TEMPORARY, out);
          flush(conn, out);
          break;
        }
      action = sm_smtp_session_feed(session, line, len, end, out);
      if (action == SM_SMTP_ACTION_CONTINUE && sm_net_line_reader_buffered(reader) > 0
          && out->len < REPLY_FLUSH_BYTES)
        continue;
      if (!flush(conn, out))
        break;
      if (action == SM_SMTP_ACTION_STARTTLS)
        {
          action = start_tls(srv, session, conn, reader, id, out);
          flush(conn, out);
        }
    }
  g_message("session=%s event=end", id);
}

SmSmtpServer *
sm_smtp_server_new(const SmSmtpServerOptions *options, GError **error)
{
  g_autoptr(SmSmtpServer) srv = g_new0(SmSmtpServer, 1);
  srv->options = *options;
  srv->account = g_strdup(options->account);
  srv->hostname = g_strdup(options->hostname != NULL ? options->hostname : "localhost");
  srv->spool_dir = g_strdup(options->spool_dir);
  srv->next_session = 1;

  SmNetListenerOptions lo = {
    .address = options->listen,
    .max_sessions = (guint)sm_limits_get(options->limits, SM_LIMIT_SMTP_SESSIONS),
    .busy_reply = "421 4.3.2 Too many connections to sealmail, try again later\r\n",
    .remote_reply = "554 5.7.1 sealmail accepts only local clients\r\n",
    .allow_remote = options->allow_remote,
    .timeout_seconds = (guint)sm_limits_get(options->limits, SM_LIMIT_SMTP_TIMEOUT_SECONDS),
  };
  srv->listener = sm_net_listener_new(&lo, run_session, srv, error);
  if (srv->listener == NULL)
    return NULL;
  return g_steal_pointer(&srv);
}

SmSmtpServer *
sm_smtp_server_new_for_account(const SmSmtpAccount *account, SmSmtpPipeline *pipeline,
                               SSL_CTX *server_tls, const SmLimits *limits, const char *spool_dir,
                               GError **error)
{
  g_autoptr(GError) tls_error = NULL;
  g_autoptr(SSL_CTX) upstream_tls = sm_net_tls_client_context_new(account->upstream_ca, &tls_error);
  if (upstream_tls == NULL)
    g_warning("account=%s event=upstream-ca-failed error=\"%s\"", account->name,
              tls_error->message);
  SmSmtpServerOptions o = {
    .account = account->name,
    .listen = account->listen,
    .allow_remote = account->allow_remote,
    .server_tls = account->starttls ? server_tls : NULL,
    .hostname = "localhost",
    .spool_dir = spool_dir,
    .limits = limits,
    .relay = {
      .upstream = &account->upstream,
      .upstream_tls = upstream_tls,
      .helo_name = "[127.0.0.1]",
      .timeout_seconds = (guint)sm_limits_get(limits, SM_LIMIT_UPSTREAM_TIMEOUT_SECONDS),
      .max_line = sm_limits_get(limits, SM_LIMIT_SMTP_LINE_BYTES),
      .max_reply_lines = (guint)sm_limits_get(limits, SM_LIMIT_SMTP_REPLY_LINES),
      .pipeline = pipeline,
    },
  };
  SmSmtpServer *srv = sm_smtp_server_new(&o, error);
  if (srv == NULL)
    return NULL;
  srv->upstream_tls = g_steal_pointer(&upstream_tls);
  if (tls_error != NULL)
    srv->tls_error = g_strdup_printf(_("Not sent: %s"), tls_error->message);
  /* The relay configuration points into the server, which owns these now. */
  srv->options.relay.upstream_tls = srv->upstream_tls;
  srv->options.relay.tls_error = srv->tls_error;
  return srv;
}

guint16
sm_smtp_server_get_port(const SmSmtpServer *server)
{
  return sm_net_listener_get_port(server->listener);
}

guint
sm_smtp_server_active_sessions(SmSmtpServer *server)
{
  return sm_net_listener_active_sessions(server->listener);
}

void
sm_smtp_server_stop(SmSmtpServer *server, guint grace_seconds)
{
  sm_net_listener_stop(server->listener, grace_seconds);
}

void
sm_smtp_server_free(SmSmtpServer *server)
{
  if (server == NULL)
    return;
  g_clear_pointer(&server->listener, sm_net_listener_free);
  g_clear_pointer(&server->upstream_tls, SSL_CTX_free);
  g_free(server->tls_error);
  g_free(server->account);
  g_free(server->hostname);
  g_free(server->spool_dir);
  g_free(server);
}
