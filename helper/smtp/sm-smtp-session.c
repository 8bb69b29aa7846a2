/* sm-smtp-session: the ESMTP server state machine of sealmaild's submission proxy.
 * RFC 5321 (commands, replies, sequence), RFC 1870 SIZE, RFC 2920 PIPELINING, RFC 6152
 * 8BITMIME, RFC 6531 SMTPUTF8, RFC 2034/3463 enhanced status codes, RFC 3207 STARTTLS,
 * RFC 4954 AUTH (PLAIN and LOGIN, checked by the upstream server through the backend).
 * Limits: SM_LIMIT_SMTP_MESSAGE_BYTES (SIZE), SM_LIMIT_SMTP_RECIPIENTS (452 4.5.3 beyond),
 * SM_LIMIT_SMTP_ERRORS (421 and close), SM_LIMIT_SMTP_LINE_BYTES (enforced by the line reader:
 * an over-long command arrives in pieces and gets 500 5.5.2). */
#include "sm-smtp-session.h"
#include "sm-smtp-parse.h"
#include "sm-smtp-sasl.h"

#include <inttypes.h>
#include <glib/gi18n.h>
#include <string.h>

typedef enum
{
  STATE_INIT,       /* greeted; waiting for EHLO or HELO */
  STATE_HELO,       /* no transaction */
  STATE_AUTH_PLAIN, /* waiting for the PLAIN response */
  STATE_AUTH_USER,  /* LOGIN: waiting for the user name */
  STATE_AUTH_PASS,  /* LOGIN: waiting for the password */
  STATE_MAIL,       /* MAIL accepted, no recipient yet */
  STATE_RCPT,       /* at least one recipient */
  STATE_DATA,       /* receiving the message */
  STATE_TLS,        /* STARTTLS accepted, handshake pending */
  STATE_QUIT,       /* closing */
  STATE_COUNT
} State;

static const char *const state_names[STATE_COUNT] = {
  "init", "helo", "auth-plain", "auth-user", "auth-pass", "mail", "rcpt", "data", "tls", "quit",
};

struct _SmSmtpSession
{
  char *id;
  char *hostname;
  char *spool_dir;
  guint64 max_message;
  guint max_recipients;
  guint max_errors;
  gboolean offer_starttls;
  const SmSmtpBackend *backend;
  gpointer backend_data;

  State state;
  gboolean esmtp;
  gboolean tls;
  gboolean authenticated;
  gboolean skipping; /* discarding the rest of an over-long line */
  guint errors;
  char *login_user; /* LOGIN: between the two steps; wiped */

  /* the current transaction */
  char *mail_from;
  gboolean smtputf8;
  gboolean body_8bit;
  GPtrArray *rcpts;
  GHashTable *rcpt_set;
  SmSmtpSpool *spool;
};

typedef SmSmtpReply *(*CheckFunc)(SmSmtpSession *s, const SmSmtpCommand *cmd);
typedef SmSmtpAction (*ProceedFunc)(SmSmtpSession *s, const SmSmtpCommand *cmd, GString *out);

static void
enter_state(SmSmtpSession *s, State next)
{
  if (s->state != next)
    g_debug("session=%s event=state from=%s to=%s", s->id, state_names[s->state],
            state_names[next]);
  s->state = next;
}

static void
reset_transaction(SmSmtpSession *s)
{
  g_clear_pointer(&s->mail_from, g_free);
  g_clear_pointer(&s->spool, sm_smtp_spool_free);
  g_ptr_array_set_size(s->rcpts, 0);
  g_hash_table_remove_all(s->rcpt_set);
  s->smtputf8 = FALSE;
  s->body_8bit = FALSE;
  if (s->state == STATE_MAIL || s->state == STATE_RCPT || s->state == STATE_DATA)
    enter_state(s, STATE_HELO);
}

static void
reply(GString *out, guint code, const char *enhanced, const char *text)
{
  g_autoptr(SmSmtpReply) r = sm_smtp_reply_new(code, enhanced, "%s", text);
  sm_smtp_reply_format(r, out);
}

/* A protocol error: counted, and the session closes once SM_LIMIT_SMTP_ERRORS is reached. */
static SmSmtpAction
error_reply(SmSmtpSession *s, SmSmtpReply *r, GString *out)
{
  sm_smtp_reply_format(r, out);
  sm_smtp_reply_free(r);
  if (++s->errors < s->max_errors)
    return SM_SMTP_ACTION_CONTINUE;
  g_message("session=%s event=close reason=too-many-errors errors=%u", s->id, s->errors);
  reply(out, 421, "4.7.0", _("Too many errors, closing the connection"));
  enter_state(s, STATE_QUIT);
  return SM_SMTP_ACTION_CLOSE;
}

static SmSmtpReply *
bad_sequence(const char *text)
{
  return sm_smtp_reply_new(503, "5.5.1", "%s", text);
}

/* ---- HELO / EHLO ---- */

static SmSmtpAction
proceed_helo(SmSmtpSession *s, const SmSmtpCommand *cmd, GString *out)
{
  reset_transaction(s);
  s->esmtp = cmd->verb == SM_SMTP_VERB_EHLO;
  enter_state(s, STATE_HELO);
  if (!s->esmtp)
    {
      g_string_append_printf(out, "250 %s\r\n", s->hostname);
      return SM_SMTP_ACTION_CONTINUE;
    }
  g_string_append_printf(out, "250-%s\r\n", s->hostname);
  g_string_append(out, "250-PIPELINING\r\n");
  g_string_append_printf(out, "250-SIZE %" G_GUINT64_FORMAT "\r\n", s->max_message);
  g_string_append(out, "250-8BITMIME\r\n250-SMTPUTF8\r\n250-ENHANCEDSTATUSCODES\r\n");
  if (s->offer_starttls && !s->tls)
    g_string_append(out, "250-STARTTLS\r\n");
  if (!s->authenticated)
    g_string_append(out, "250-AUTH PLAIN LOGIN\r\n");
  g_string_append(out, "250 HELP\r\n");
  return SM_SMTP_ACTION_CONTINUE;
}

/* ---- STARTTLS ---- */

static SmSmtpReply *
check_starttls(SmSmtpSession *s, const SmSmtpCommand *cmd)
{
  if (!s->offer_starttls)
    return sm_smtp_reply_new(454, "4.7.0", "%s", _("TLS not available"));
  if (s->tls)
    return bad_sequence(_("TLS is already active"));
  if (s->state != STATE_HELO || !s->esmtp)
    return bad_sequence(_("Send EHLO first, and STARTTLS outside a mail transaction"));
  return NULL;
}

static SmSmtpAction
proceed_starttls(SmSmtpSession *s, const SmSmtpCommand *cmd, GString *out)
{
  reply(out, 220, "2.0.0", _("Ready to start TLS"));
  enter_state(s, STATE_TLS);
  return SM_SMTP_ACTION_STARTTLS;
}

/* ---- AUTH ---- */

static SmSmtpReply *
check_auth(SmSmtpSession *s, const SmSmtpCommand *cmd)
{
  if (s->state != STATE_HELO || !s->esmtp)
    return bad_sequence(_("Send EHLO first, and AUTH outside a mail transaction"));
  if (s->authenticated)
    return bad_sequence(_("Already authenticated"));
  if (g_strcmp0(cmd->arg, "PLAIN") != 0 && g_strcmp0(cmd->arg, "LOGIN") != 0)
    return sm_smtp_reply_new(504, "5.5.4", "%s", _("Use AUTH PLAIN or AUTH LOGIN"));
  return NULL;
}

static SmSmtpAction
authenticate(SmSmtpSession *s, const char *authzid, const char *user, const char *password,
             GString *out)
{
  g_autoptr(SmSmtpReply) r = s->backend->authenticate(s->backend_data, authzid, user, password);
  s->authenticated = r->code == 235;
  g_message("session=%s event=auth result=%s", s->id, s->authenticated ? "ok" : "refused");
  sm_smtp_reply_format(r, out);
  enter_state(s, STATE_HELO);
  return SM_SMTP_ACTION_CONTINUE;
}

static SmSmtpAction
auth_plain(SmSmtpSession *s, const char *response, GString *out)
{
  g_autofree char *authzid = NULL;
  char *user = NULL;
  char *password = NULL;
  if (!sm_smtp_sasl_decode_plain(response, &authzid, &user, &password))
    {
      enter_state(s, STATE_HELO);
      return error_reply(s, sm_smtp_reply_new(501, "5.5.2", "%s", _("Invalid PLAIN response")),
                         out);
    }
  SmSmtpAction action = authenticate(s, authzid, user, password, out);
  sm_smtp_sasl_wipe(user);
  sm_smtp_sasl_wipe(password);
  return action;
}

static SmSmtpAction
proceed_auth(SmSmtpSession *s, const SmSmtpCommand *cmd, GString *out)
{
  gboolean plain = strcmp(cmd->arg, "PLAIN") == 0;
  if (plain && cmd->initial != NULL)
    return auth_plain(s, cmd->initial, out);
  if (plain)
    {
      g_string_append(out, "334 \r\n");
      enter_state(s, STATE_AUTH_PLAIN);
      return SM_SMTP_ACTION_CONTINUE;
    }
  if (cmd->initial != NULL)
    {
      s->login_user = sm_smtp_sasl_decode_text(cmd->initial);
      if (s->login_user == NULL)
        return error_reply(s, sm_smtp_reply_new(501, "5.5.2", "%s", _("Invalid base64")), out);
      g_string_append(out, "334 UGFzc3dvcmQ6\r\n"); /* "Password:" */
      enter_state(s, STATE_AUTH_PASS);
      return SM_SMTP_ACTION_CONTINUE;
    }
  g_string_append(out, "334 VXNlcm5hbWU6\r\n"); /* "Username:" */
  enter_state(s, STATE_AUTH_USER);
  return SM_SMTP_ACTION_CONTINUE;
}

/* A line of an AUTH exchange: never logged, since it carries credentials. */
static SmSmtpAction
feed_auth(SmSmtpSession *s, const char *line, gsize len, SmNetLineEnd end, GString *out)
{
  g_autofree char *response = g_strndup(line, len);
  SmSmtpAction action = SM_SMTP_ACTION_CONTINUE;

  if (end == SM_NET_LINE_END_NONE)
    {
      s->skipping = TRUE;
      g_clear_pointer(&s->login_user, sm_smtp_sasl_wipe);
      enter_state(s, STATE_HELO);
      action = error_reply(
          s, sm_smtp_reply_new(500, "5.5.6", "%s", _("Authentication exchange line is too long")),
          out);
    }
  else if (strcmp(response, "*") == 0)
    {
      g_clear_pointer(&s->login_user, sm_smtp_sasl_wipe);
      enter_state(s, STATE_HELO);
      reply(out, 501, "5.7.0", _("Authentication cancelled"));
    }
  else if (s->state == STATE_AUTH_PLAIN)
    {
      action = auth_plain(s, response, out);
    }
  else if (s->state == STATE_AUTH_USER)
    {
      s->login_user = sm_smtp_sasl_decode_text(response);
      if (s->login_user == NULL)
        {
          enter_state(s, STATE_HELO);
          action = error_reply(s, sm_smtp_reply_new(501, "5.5.2", "%s", _("Invalid base64")), out);
        }
      else
        {
          g_string_append(out, "334 UGFzc3dvcmQ6\r\n");
          enter_state(s, STATE_AUTH_PASS);
        }
    }
  else
    {
      char *password = sm_smtp_sasl_decode_text(response);
      if (password == NULL)
        {
          enter_state(s, STATE_HELO);
          action = error_reply(s, sm_smtp_reply_new(501, "5.5.2", "%s", _("Invalid base64")), out);
        }
      else
        {
          action = authenticate(s, NULL, s->login_user, password, out);
        }
      sm_smtp_sasl_wipe(password);
      g_clear_pointer(&s->login_user, sm_smtp_sasl_wipe);
    }
  explicit_bzero(response, len);
  return action;
}

/* ---- MAIL / RCPT ---- */

static gboolean
is_ascii(const char *s)
{
  for (; *s != '\0'; s++)
    if ((guchar)*s >= 0x80)
      return FALSE;
  return TRUE;
}

static SmSmtpReply *
check_mail(SmSmtpSession *s, const SmSmtpCommand *cmd)
{
  if (s->state == STATE_INIT)
    return bad_sequence(_("Send EHLO first"));
  if (s->state != STATE_HELO)
    return bad_sequence(_("Nested MAIL command"));
  if (!s->esmtp && cmd->params->len > 0)
    return sm_smtp_reply_new(555, "5.5.4", "%s", _("Parameters need EHLO, not HELO"));
  return NULL;
}

/* SIZE, BODY, SMTPUTF8 and the AUTH parameter; anything else is refused (RFC 5321 §4.1.1.11). */
static SmSmtpReply *
mail_params(SmSmtpSession *s, const SmSmtpCommand *cmd)
{
  for (guint i = 0; i < cmd->params->len; i++)
    {
      const SmSmtpParam *p = g_ptr_array_index(cmd->params, i);
      guint64 size = 0;
      if (strcmp(p->keyword, "SIZE") == 0)
        {
          if (p->value == NULL
              || !g_ascii_string_to_unsigned(p->value, 10, 0, G_MAXUINT64, &size, NULL))
            return sm_smtp_reply_new(501, "5.5.4", "%s", _("Bad SIZE value"));
          if (size > s->max_message)
            return sm_smtp_reply_new(552, "5.3.4",
                                     _("Message too big: the limit is %" PRIu64 " bytes"),
                                     s->max_message);
        }
      else if (strcmp(p->keyword, "BODY") == 0)
        {
          if (p->value == NULL
              || (g_ascii_strcasecmp(p->value, "7BIT") != 0
                  && g_ascii_strcasecmp(p->value, "8BITMIME") != 0))
            return sm_smtp_reply_new(501, "5.5.4", "%s", _("BODY must be 7BIT or 8BITMIME"));
          s->body_8bit = g_ascii_strcasecmp(p->value, "8BITMIME") == 0;
        }
      else if (strcmp(p->keyword, "SMTPUTF8") == 0 && p->value == NULL)
        {
          s->smtputf8 = TRUE;
        }
      else if (strcmp(p->keyword, "AUTH") != 0)
        {
          return sm_smtp_reply_new(555, "5.5.4", _("Unsupported parameter %s"), p->keyword);
        }
    }
  return NULL;
}

static SmSmtpAction
proceed_mail(SmSmtpSession *s, const SmSmtpCommand *cmd, GString *out)
{
  SmSmtpReply *r = mail_params(s, cmd);
  if (r == NULL && cmd->path[0] != '\0' && !is_ascii(cmd->path) && !s->smtputf8)
    r = sm_smtp_reply_new(553, "5.6.7", "%s", _("Non-ASCII address without SMTPUTF8"));
  if (r == NULL && cmd->path[0] != '\0' && !sm_smtp_address_is_valid(cmd->path, s->smtputf8))
    r = sm_smtp_reply_new(553, "5.1.7", "%s", _("Bad sender address syntax"));
  if (r != NULL)
    {
      s->smtputf8 = s->body_8bit = FALSE;
      if (r->code != 552) /* a size refusal is policy, not a client error */
        return error_reply(s, r, out);
      sm_smtp_reply_format(r, out);
      sm_smtp_reply_free(r);
      return SM_SMTP_ACTION_CONTINUE;
    }
  s->mail_from = g_strdup(cmd->path);
  enter_state(s, STATE_MAIL);
  reply(out, 250, "2.1.0", _("Sender OK"));
  return SM_SMTP_ACTION_CONTINUE;
}

static SmSmtpReply *
check_rcpt(SmSmtpSession *s, const SmSmtpCommand *cmd)
{
  if (s->state != STATE_MAIL && s->state != STATE_RCPT)
    return bad_sequence(_("Need MAIL before RCPT"));
  if (cmd->params->len > 0)
    {
      const SmSmtpParam *p = g_ptr_array_index(cmd->params, 0);
      return sm_smtp_reply_new(555, "5.5.4", _("Unsupported parameter %s"), p->keyword);
    }
  return NULL;
}

static SmSmtpAction
proceed_rcpt(SmSmtpSession *s, const SmSmtpCommand *cmd, GString *out)
{
  /* Too many recipients is not a client error: it sends the rest in another transaction. */
  if (s->rcpts->len >= s->max_recipients)
    {
      reply(out, 452, "4.5.3", _("Too many recipients"));
      return SM_SMTP_ACTION_CONTINUE;
    }
  if (!is_ascii(cmd->path) && !s->smtputf8)
    return error_reply(
        s, sm_smtp_reply_new(553, "5.6.7", "%s", _("Non-ASCII address without SMTPUTF8")), out);
  if (!sm_smtp_address_is_valid(cmd->path, s->smtputf8))
    return error_reply(s, sm_smtp_reply_new(553, "5.1.3", "%s", _("Bad recipient address syntax")),
                       out);
  if (!g_hash_table_contains(s->rcpt_set, cmd->path))
    {
      char *rcpt = g_strdup(cmd->path);
      g_ptr_array_add(s->rcpts, rcpt);
      g_hash_table_add(s->rcpt_set, rcpt);
    }
  enter_state(s, STATE_RCPT);
  reply(out, 250, "2.1.5", _("Recipient OK"));
  return SM_SMTP_ACTION_CONTINUE;
}

/* ---- DATA ---- */

static SmSmtpReply *
check_data(SmSmtpSession *s, const SmSmtpCommand *cmd)
{
  if (s->state == STATE_MAIL)
    return bad_sequence(_("No valid recipients"));
  if (s->state != STATE_RCPT)
    return bad_sequence(_("Need MAIL and RCPT before DATA"));
  return NULL;
}

static SmSmtpAction
proceed_data(SmSmtpSession *s, const SmSmtpCommand *cmd, GString *out)
{
  g_autoptr(GError) error = NULL;
  s->spool = sm_smtp_spool_new(s->spool_dir, s->max_message, &error);
  if (s->spool == NULL)
    {
      g_warning("session=%s event=spool-failed error=\"%s\"", s->id, error->message);
      reply(out, 451, "4.3.0", _("Local error: cannot store the message; try again later"));
      return SM_SMTP_ACTION_CONTINUE;
    }
  enter_state(s, STATE_DATA);
  reply(out, 354, NULL, _("End data with <CR><LF>.<CR><LF>"));
  return SM_SMTP_ACTION_CONTINUE;
}

static SmSmtpReply *
end_of_data(SmSmtpSession *s)
{
  g_autoptr(GError) error = NULL;
  if (!sm_smtp_spool_finish(s->spool, &error))
    {
      g_warning("session=%s event=spool-failed error=\"%s\"", s->id, error->message);
      return sm_smtp_reply_new(451, "4.3.0", "%s",
                               _("Local error: cannot store the message; try again later"));
    }
  if (sm_smtp_spool_overflowed(s->spool))
    return sm_smtp_reply_new(552, "5.3.4",
                             _("Message too big: the limit is %" PRIu64 " bytes"),
                             s->max_message);
  if (sm_smtp_spool_bare_lf_lines(s->spool) > 0)
    g_message("session=%s event=bare-lf lines=%u action=normalised", s->id,
              sm_smtp_spool_bare_lf_lines(s->spool));
  g_ptr_array_add(s->rcpts, NULL);
  SmSmtpEnvelope env = {
    .mail_from = s->mail_from,
    .rcpts = (const char *const *)s->rcpts->pdata,
    .smtputf8 = s->smtputf8,
    .body_8bit = s->body_8bit || sm_smtp_spool_has_8bit(s->spool),
    .authenticated = s->authenticated,
    .spool = s->spool,
  };
  SmSmtpReply *r = s->backend->deliver(s->backend_data, &env);
  g_ptr_array_remove_index(s->rcpts, s->rcpts->len - 1);
  return r;
}

static SmSmtpAction
feed_data(SmSmtpSession *s, const char *line, gsize len, SmNetLineEnd end, GString *out)
{
  if (!sm_smtp_spool_feed(s->spool, line, len, end))
    return SM_SMTP_ACTION_CONTINUE;
  g_autoptr(SmSmtpReply) r = end_of_data(s);
  sm_smtp_reply_format(r, out);
  reset_transaction(s);
  return SM_SMTP_ACTION_CONTINUE;
}

/* ---- the others ---- */

static SmSmtpAction
proceed_rset(SmSmtpSession *s, const SmSmtpCommand *cmd, GString *out)
{
  reset_transaction(s);
  reply(out, 250, "2.0.0", _("OK"));
  return SM_SMTP_ACTION_CONTINUE;
}

static SmSmtpAction
proceed_noop(SmSmtpSession *s, const SmSmtpCommand *cmd, GString *out)
{
  reply(out, 250, "2.0.0", _("OK"));
  return SM_SMTP_ACTION_CONTINUE;
}

static SmSmtpAction
proceed_quit(SmSmtpSession *s, const SmSmtpCommand *cmd, GString *out)
{
  reply(out, 221, "2.0.0", _("Bye"));
  reset_transaction(s);
  enter_state(s, STATE_QUIT);
  return SM_SMTP_ACTION_CLOSE;
}

static SmSmtpAction
proceed_help(SmSmtpSession *s, const SmSmtpCommand *cmd, GString *out)
{
  g_autoptr(SmSmtpReply) r = sm_smtp_reply_new(
      214, "2.0.0", "%s\n%s",
      _("sealmail submission proxy: messages are scanned and encrypted before they are sent"),
      _("Commands: EHLO HELO STARTTLS AUTH MAIL RCPT DATA RSET NOOP QUIT HELP VRFY"));
  sm_smtp_reply_format(r, out);
  return SM_SMTP_ACTION_CONTINUE;
}

static SmSmtpAction
proceed_vrfy(SmSmtpSession *s, const SmSmtpCommand *cmd, GString *out)
{
  reply(out, 252, "2.5.0", _("Cannot verify the address, but will try to send to it"));
  return SM_SMTP_ACTION_CONTINUE;
}

static SmSmtpAction
proceed_unsupported(SmSmtpSession *s, const SmSmtpCommand *cmd, GString *out)
{
  return error_reply(s, sm_smtp_reply_new(502, "5.5.1", "%s", _("Command not implemented")), out);
}

typedef struct
{
  SmSmtpVerb verb;
  CheckFunc check; /* NULL: always allowed */
  ProceedFunc proceed;
} CommandDef;

static const CommandDef command_table[] = {
  { SM_SMTP_VERB_HELO, NULL, proceed_helo },
  { SM_SMTP_VERB_EHLO, NULL, proceed_helo },
  { SM_SMTP_VERB_STARTTLS, check_starttls, proceed_starttls },
  { SM_SMTP_VERB_AUTH, check_auth, proceed_auth },
  { SM_SMTP_VERB_MAIL, check_mail, proceed_mail },
  { SM_SMTP_VERB_RCPT, check_rcpt, proceed_rcpt },
  { SM_SMTP_VERB_DATA, check_data, proceed_data },
  { SM_SMTP_VERB_RSET, NULL, proceed_rset },
  { SM_SMTP_VERB_NOOP, NULL, proceed_noop },
  { SM_SMTP_VERB_QUIT, NULL, proceed_quit },
  { SM_SMTP_VERB_HELP, NULL, proceed_help },
  { SM_SMTP_VERB_VRFY, NULL, proceed_vrfy },
  { SM_SMTP_VERB_EXPN, NULL, proceed_unsupported },
  { SM_SMTP_VERB_BDAT, NULL, proceed_unsupported },
};

static SmSmtpAction
dispatch(SmSmtpSession *s, const SmSmtpCommand *cmd, GString *out)
{
  for (gsize i = 0; i < G_N_ELEMENTS(command_table); i++)
    {
      const CommandDef *def = &command_table[i];
      if (def->verb != cmd->verb)
        continue;
      g_debug("session=%s event=command verb=%s state=%s", s->id, sm_smtp_verb_name(cmd->verb),
              state_names[s->state]);
      SmSmtpReply *refusal = def->check != NULL ? def->check(s, cmd) : NULL;
      if (refusal != NULL)
        return error_reply(s, refusal, out);
      return def->proceed(s, cmd, out);
    }
  return error_reply(s, sm_smtp_reply_new(500, "5.5.2", "%s", _("Unknown command")), out);
}

SmSmtpAction
sm_smtp_session_feed(SmSmtpSession *s, const char *line, gsize len, SmNetLineEnd end, GString *out)
{
  g_return_val_if_fail(s != NULL && line != NULL && out != NULL, SM_SMTP_ACTION_CLOSE);
  if (s->state == STATE_QUIT || s->state == STATE_TLS)
    return SM_SMTP_ACTION_CLOSE;
  if (s->state == STATE_DATA)
    return feed_data(s, line, len, end, out);
  if (s->skipping)
    {
      s->skipping = end == SM_NET_LINE_END_NONE;
      return SM_SMTP_ACTION_CONTINUE;
    }
  if (s->state == STATE_AUTH_PLAIN || s->state == STATE_AUTH_USER || s->state == STATE_AUTH_PASS)
    return feed_auth(s, line, len, end, out);
  if (end == SM_NET_LINE_END_NONE)
    {
      s->skipping = TRUE;
      return error_reply(s, sm_smtp_reply_new(500, "5.5.2", "%s", _("Line too long")), out);
    }

  SmSmtpCommand cmd;
  const char *why = NULL;
  SmSmtpParseResult res = sm_smtp_parse_command(line, len, &cmd, &why);
  SmSmtpAction action;
  if (res == SM_SMTP_PARSE_UNKNOWN)
    action = error_reply(s, sm_smtp_reply_new(500, "5.5.2", "%s", _("Unknown command")), out);
  else if (res == SM_SMTP_PARSE_SYNTAX)
    action = error_reply(s, sm_smtp_reply_new(501, "5.5.4", "%s", _(why)), out);
  else
    action = dispatch(s, &cmd, out);
  sm_smtp_command_clear(&cmd);
  return action;
}

SmSmtpSession *
sm_smtp_session_new(const SmSmtpSessionConfig *config, const SmSmtpBackend *backend,
                    gpointer backend_data)
{
  SmSmtpSession *s = g_new0(SmSmtpSession, 1);
  s->id = g_strdup(config->session_id);
  s->hostname = g_strdup(config->hostname != NULL ? config->hostname : "localhost");
  s->spool_dir = g_strdup(config->spool_dir);
  s->max_message = config->max_message;
  s->max_recipients = MAX(config->max_recipients, 1);
  s->max_errors = MAX(config->max_errors, 1);
  s->offer_starttls = config->starttls;
  s->backend = backend;
  s->backend_data = backend_data;
  s->rcpts = g_ptr_array_new_with_free_func(g_free);
  s->rcpt_set = g_hash_table_new(g_str_hash, g_str_equal);
  return s;
}

void
sm_smtp_session_free(SmSmtpSession *s)
{
  if (s == NULL)
    return;
  reset_transaction(s);
  g_clear_pointer(&s->login_user, sm_smtp_sasl_wipe);
  g_hash_table_unref(s->rcpt_set);
  g_ptr_array_unref(s->rcpts);
  g_free(s->id);
  g_free(s->hostname);
  g_free(s->spool_dir);
  g_free(s);
}

void
sm_smtp_session_start(SmSmtpSession *s, GString *out)
{
  g_string_append_printf(out, "220 %s ESMTP sealmail\r\n", s->hostname);
}

SmSmtpAction
sm_smtp_session_tls_done(SmSmtpSession *s, gboolean ok, GString *out)
{
  if (!ok)
    {
      enter_state(s, STATE_QUIT);
      return SM_SMTP_ACTION_CLOSE;
    }
  /* RFC 3207 §4.2: forget everything learnt before TLS, including EHLO. */
  s->tls = TRUE;
  s->esmtp = FALSE;
  enter_state(s, STATE_INIT);
  return SM_SMTP_ACTION_CONTINUE;
}

void
sm_smtp_session_abort(SmSmtpSession *s, gboolean timeout, GString *out)
{
  if (timeout)
    reply(out, 421, "4.4.2", _("Timeout, closing the connection"));
  g_message("session=%s event=%s state=%s", s->id, timeout ? "timeout" : "disconnect",
            state_names[s->state]);
  reset_transaction(s);
  enter_state(s, STATE_QUIT);
}

const char *
sm_smtp_session_state_name(const SmSmtpSession *s)
{
  return state_names[s->state];
}
