/* sm-smtp-session: the server side of one SMTP session as an explicit state machine (after
 * OpenSMTPD's smtp_session.c): an enum of states, a command table with a check and a proceed
 * step per command, and a transition log carrying the session id. It does no network I/O: the
 * caller feeds it the lines read from the client and writes out the replies it produces, which
 * makes whole sessions testable as transcripts (tests/unit/test-smtp-session.c). */
#pragma once

#include <glib.h>
#include "sm-net-line.h"
#include "sm-smtp-reply.h"
#include "sm-smtp-spool.h"

G_BEGIN_DECLS

typedef struct _SmSmtpSession SmSmtpSession;

/* The transaction handed to the backend at the end of DATA. */
typedef struct
{
  const char *mail_from;    /* "" for the null reverse-path */
  const char *const *rcpts; /* NULL-terminated forward paths, duplicates removed */
  gboolean smtputf8;        /* SMTPUTF8 was given (RFC 6531) */
  gboolean body_8bit;       /* BODY=8BITMIME was given, or 8-bit bytes were seen */
  gboolean authenticated;   /* the client authenticated (through the upstream) */
  const SmSmtpSpool *spool; /* the message, CR LF lines, dots unstuffed, rewound */
} SmSmtpEnvelope;

/* What the session needs from outside; both run synchronously in the session's thread. */
typedef struct
{
  /* Checks the credentials (upstream: the provider checks them). Returns the reply to give. */
  SmSmtpReply *(*authenticate)(gpointer data, const char *authzid, const char *user,
                               const char *password);
  /* Sends the message; returns 250 only once everything was accepted upstream. */
  SmSmtpReply *(*deliver)(gpointer data, const SmSmtpEnvelope *envelope);
} SmSmtpBackend;

typedef struct
{
  const char *session_id; /* for the log */
  const char *hostname;   /* our name in the greeting and EHLO reply */
  const char *spool_dir;  /* where DATA is written */
  guint64 max_message;    /* SIZE (SM_LIMIT_SMTP_MESSAGE_BYTES) */
  guint max_recipients;   /* SM_LIMIT_SMTP_RECIPIENTS */
  guint max_errors;       /* SM_LIMIT_SMTP_ERRORS */
  gboolean starttls;      /* offer STARTTLS */
} SmSmtpSessionConfig;

typedef enum
{
  SM_SMTP_ACTION_CONTINUE, /* write the replies and read the next line */
  SM_SMTP_ACTION_STARTTLS, /* write the replies, then run the TLS handshake */
  SM_SMTP_ACTION_CLOSE,    /* write the replies, then close */
} SmSmtpAction;

SmSmtpSession *sm_smtp_session_new(const SmSmtpSessionConfig *config, const SmSmtpBackend *backend,
                                   gpointer backend_data);
void sm_smtp_session_free(SmSmtpSession *session);

/* Appends the greeting to @out. */
void sm_smtp_session_start(SmSmtpSession *session, GString *out);
/* Feeds one line (or a piece of an over-long line, @end = NONE) read from the client. */
SmSmtpAction sm_smtp_session_feed(SmSmtpSession *session, const char *line, gsize len,
                                  SmNetLineEnd end, GString *out);
/* After STARTTLS: the handshake result. On success the session starts over (RFC 3207 §4.2). */
SmSmtpAction sm_smtp_session_tls_done(SmSmtpSession *session, gboolean ok, GString *out);
/* The client went away or timed out (@timeout): logs and drops the transaction. */
void sm_smtp_session_abort(SmSmtpSession *session, gboolean timeout, GString *out);
/* The state name, for logs and tests ("init", "helo", "mail", "rcpt", "data", ...). */
const char *sm_smtp_session_state_name(const SmSmtpSession *session);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(SmSmtpSession, sm_smtp_session_free)

G_END_DECLS
