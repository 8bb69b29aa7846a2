/* sm-smtp-relay: one session's upstream connection, opened on AUTH or on the first message and
 * reused; credentials are kept in memory only for the session (to reconnect when the server
 * closed an idle connection) and wiped when it ends. An I/O failure before the final dot is
 * retried once on a new connection; after the final dot the outcome is unknown and the client
 * gets 451 (RFC 5321 §4.1.1.4: a retry may duplicate, a silent loss is worse). */
#include "sm-smtp-relay.h"
#include "sm-error.h"
#include "sm-smtp-sasl.h"

#include <glib/gi18n.h>
#include <string.h>

#define REPLY_WIDTH 400 /* RFC 5321 §4.5.3.1.5 allows 512 octets per reply line */

struct _SmSmtpRelay
{
  const SmSmtpRelayConfig *cfg;
  char *session_id;
  SmSmtpUpstream *up;
  char *authzid;
  char *user;
  char *password;
};

SmSmtpRelay *
sm_smtp_relay_new(const SmSmtpRelayConfig *config, const char *session_id)
{
  SmSmtpRelay *relay = g_new0(SmSmtpRelay, 1);
  relay->cfg = config;
  relay->session_id = g_strdup(session_id);
  return relay;
}

static void
forget_credentials(SmSmtpRelay *relay)
{
  g_clear_pointer(&relay->authzid, sm_smtp_sasl_wipe);
  g_clear_pointer(&relay->user, sm_smtp_sasl_wipe);
  g_clear_pointer(&relay->password, sm_smtp_sasl_wipe);
}

void
sm_smtp_relay_free(SmSmtpRelay *relay)
{
  if (relay == NULL)
    return;
  g_clear_pointer(&relay->up, sm_smtp_upstream_close);
  forget_credentials(relay);
  g_free(relay->session_id);
  g_free(relay);
}

/* Breaks @text into lines of at most REPLY_WIDTH bytes at spaces. */
static char *
wrap(const char *text)
{
  g_autoptr(GString) out = g_string_new(NULL);
  gsize col = 0;
  g_auto(GStrv) words = g_strsplit(text, " ", -1);
  for (guint i = 0; words[i] != NULL; i++)
    {
      gsize len = strlen(words[i]);
      if (col > 0 && col + 1 + len > REPLY_WIDTH)
        {
          g_string_append_c(out, '\n');
          col = 0;
        }
      else if (i > 0)
        {
          g_string_append_c(out, ' ');
          col++;
        }
      g_string_append(out, words[i]);
      col += len;
    }
  return g_string_free(g_steal_pointer(&out), FALSE);
}

static SmSmtpReply *
local_reply(guint code, const char *enhanced, const char *text)
{
  g_autofree char *wrapped = wrap(text);
  return sm_smtp_reply_new(code, enhanced, "%s", wrapped);
}

/* Opens (or keeps) a verified, authenticated upstream connection. NULL on success, else the
 * reply for a client that sent a message; *@why (optional) gets the cause for people. */
static SmSmtpReply *
open_upstream(SmSmtpRelay *r, char **why)
{
  const SmSmtpRelayConfig *cfg = r->cfg;
  if (sm_smtp_upstream_is_usable(r->up))
    return NULL;
  g_clear_pointer(&r->up, sm_smtp_upstream_close);
  if (cfg->upstream_tls == NULL)
    {
      if (why != NULL)
        *why = g_strdup(cfg->tls_error);
      return local_reply(451, "4.7.5", cfg->tls_error);
    }

  SmSmtpUpstreamOptions o = {
    .address = cfg->upstream,
    .tls = cfg->upstream_tls,
    .helo_name = cfg->helo_name,
    .timeout_seconds = cfg->timeout_seconds,
    .max_line = cfg->max_line,
    .max_reply_lines = cfg->max_reply_lines,
  };
  g_autofree char *failure = NULL;
  g_autoptr(SmSmtpReply) server_reply = NULL;
  g_autoptr(GError) error = NULL;
  r->up = sm_smtp_upstream_open(&o, &failure, &server_reply, &error);
  if (r->up == NULL)
    {
      g_warning("session=%s event=upstream-failed host=%s tls-failure=%s error=\"%s\"",
                r->session_id, cfg->upstream->host, failure != NULL ? failure : "-",
                error->message);
      if (failure != NULL)
        sm_smtp_pipeline_record_tls(cfg->pipeline, cfg->upstream->host, NULL, failure);
      if (why != NULL)
        *why = g_strdup(error->message);
      if (server_reply != NULL)
        return g_steal_pointer(&server_reply);
      g_autofree char *text
          = g_strdup_printf(_("Not sent: %s. The message stays in your outbox."), error->message);
      return local_reply(451, failure != NULL ? "4.7.5" : "4.4.1", text);
    }
  sm_smtp_pipeline_record_tls(cfg->pipeline, cfg->upstream->host, sm_smtp_upstream_get_tls(r->up),
                              NULL);
  if (r->user == NULL)
    return NULL;
  SmSmtpReply *auth = sm_smtp_upstream_auth(r->up, r->authzid, r->user, r->password, &error);
  if (auth != NULL && auth->code == 235)
    {
      sm_smtp_reply_free(auth);
      return NULL;
    }
  g_clear_pointer(&r->up, sm_smtp_upstream_close);
  if (why != NULL)
    *why = g_strdup(auth != NULL ? auth->text : error->message);
  return auth != NULL ? auth : local_reply(451, "4.4.2", error->message);
}

static SmSmtpReply *
relay_authenticate(gpointer data, const char *authzid, const char *user, const char *password)
{
  SmSmtpRelay *r = data;
  g_autoptr(GError) error = NULL;
  g_autofree char *why = NULL;
  forget_credentials(r);
  g_autoptr(SmSmtpReply) failed = open_upstream(r, &why);
  if (failed != NULL)
    {
      /* RFC 4954: the upstream could not be asked, so the answer is "try later", not "wrong". */
      g_autofree char *text
          = g_strdup_printf(_("Cannot check the password with the upstream server now: %s"), why);
      return local_reply(454, "4.7.0", text);
    }
  SmSmtpReply *reply = sm_smtp_upstream_auth(r->up, authzid, user, password, &error);
  if (reply == NULL)
    {
      g_clear_pointer(&r->up, sm_smtp_upstream_close);
      return local_reply(454, "4.7.0", error->message);
    }
  if (reply->code == 235)
    {
      r->authzid = g_strdup(authzid);
      r->user = g_strdup(user);
      r->password = g_strdup(password);
    }
  return reply;
}

/* Sends one copy; a connection that broke before the final dot is retried once. */
static SmSmtpReply *
send_copy(SmSmtpRelay *r, const SmSmtpEnvelope *env, const SmSmtpCopy *copy)
{
  for (guint attempt = 0;; attempt++)
    {
      SmSmtpReply *failed = open_upstream(r, NULL);
      if (failed != NULL)
        return failed;
      const SmNetTlsFacts *tls = sm_smtp_upstream_get_tls(r->up);
      if (copy->require_tls && (tls == NULL || !tls->verified))
        return local_reply(451, "4.7.5",
                           _("Not sent: the upstream connection is not verified TLS"));

      g_autoptr(GError) error = NULL;
      g_autoptr(GFile) file = g_file_new_for_path(copy->content_path);
      g_autoptr(GFileInputStream) in = g_file_read(file, NULL, &error);
      if (in == NULL)
        return local_reply(451, "4.3.0", error->message);
      SmSmtpUpstreamMessage m = {
        .mail_from = env->mail_from,
        .rcpts = (const char *const *)copy->rcpts,
        .size = copy->size,
        .body_8bit = env->body_8bit,
        .smtputf8 = env->smtputf8,
        .requiretls = copy->require_tls,
        .content = G_INPUT_STREAM(in),
      };
      gboolean after_dot = FALSE;
      SmSmtpReply *reply = sm_smtp_upstream_send(r->up, &m, &after_dot, &error);
      if (reply != NULL)
        return reply;
      g_warning("session=%s event=upstream-lost after-dot=%s error=\"%s\"", r->session_id,
                after_dot ? "yes" : "no", error->message);
      g_clear_pointer(&r->up, sm_smtp_upstream_close);
      if (after_dot || attempt > 0)
        return local_reply(451, "4.4.2",
                           after_dot ? _("Connection to the upstream server lost after the message "
                                         "was sent; it may or may not have been accepted")
                                     : error->message);
    }
}

static SmSmtpReply *
relay_deliver(gpointer data, const SmSmtpEnvelope *env)
{
  SmSmtpRelay *r = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(SmSmtpJob) job = sm_smtp_pipeline_prepare(r->cfg->pipeline, r->session_id, env, &error);
  if (job == NULL)
    {
      g_warning("session=%s event=pipeline-failed error=\"%s\"", r->session_id, error->message);
      g_autofree char *text = g_strdup_printf(_("Local error: %s"), error->message);
      return local_reply(451, "4.3.0", text);
    }
  const char *blocked = sm_smtp_job_blocked(job);
  if (blocked != NULL)
    {
      sm_smtp_job_finish(job, "blocked", r->cfg->upstream->host, NULL, blocked);
      /* The policy's reason already says "Not sent: ..." and what to do. */
      g_autofree char *text = g_str_has_prefix(blocked, "Not sent")
                                  ? g_strdup(blocked)
                                  : g_strdup_printf(_("Not sent: %s"), blocked);
      return local_reply(550, "5.7.1", text);
    }

  GPtrArray *copies = sm_smtp_job_copies(job);
  guint sent = 0, skipped = 0;
  for (guint i = 0; i < copies->len; i++)
    {
      const SmSmtpCopy *copy = g_ptr_array_index(copies, i);
      if (sm_smtp_job_copy_delivered(job, copy))
        {
          g_message("session=%s event=copy-skipped decision=%s reason=already-delivered",
                    r->session_id, copy->decision);
          skipped++;
          continue;
        }
      g_autoptr(SmSmtpReply) reply = send_copy(r, env, copy);
      g_autofree char *summary = sm_smtp_reply_summary(reply);
      g_message("session=%s event=copy decision=%s rcpts=%u reply=\"%s\"", r->session_id,
                copy->decision, g_strv_length(copy->rcpts), summary);
      if (reply->code != 250)
        {
          gboolean partial = sent + skipped > 0;
          sm_smtp_job_finish(job, partial ? "partial" : "failed", r->cfg->upstream->host,
                             r->up != NULL ? sm_smtp_upstream_get_tls(r->up) : NULL, summary);
          return g_steal_pointer(&reply);
        }
      sm_smtp_job_mark_delivered(job, copy);
      sent++;
    }
  sm_smtp_job_finish(job, "sent", r->cfg->upstream->host,
                     r->up != NULL ? sm_smtp_upstream_get_tls(r->up) : NULL, NULL);
  if (copies->len == 1)
    return sm_smtp_reply_new(250, "2.0.0", "%s", _("OK, sent"));
  return sm_smtp_reply_new(250, "2.0.0", _("OK, sent as %u separate messages"), copies->len);
}

const SmSmtpBackend sm_smtp_relay_backend = {
  .authenticate = relay_authenticate,
  .deliver = relay_deliver,
};
