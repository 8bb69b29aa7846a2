/* sm-smtp-relay: the backend of one client session: AUTH passed through to the upstream server
 * (the provider checks the password), and each message run through the pipeline and sent, copy
 * by copy, before the client gets its reply. Nothing lost, nothing duplicated: 250 only when
 * the upstream server accepted every copy; otherwise the upstream's own 4xx/5xx, with the
 * copies already accepted recorded so that the client's retry sends only the rest. */
#pragma once

#include "sm-smtp-pipeline.h"
#include "sm-smtp-session.h"
#include "sm-smtp-upstream.h"

G_BEGIN_DECLS

typedef struct
{
  const SmSmtpUpstreamAddress *upstream;
  SSL_CTX *upstream_tls; /* NULL when the CA file could not be loaded: see tls_error */
  const char *tls_error; /* why upstream_tls is NULL, for the client's reply */
  const char *helo_name; /* EHLO name sent upstream */
  guint timeout_seconds; /* SM_LIMIT_UPSTREAM_TIMEOUT_SECONDS */
  gsize max_line;        /* SM_LIMIT_SMTP_LINE_BYTES */
  guint max_reply_lines; /* SM_LIMIT_SMTP_REPLY_LINES */
  SmSmtpPipeline *pipeline;
} SmSmtpRelayConfig;

typedef struct _SmSmtpRelay SmSmtpRelay;

/* @config is borrowed and must outlive the relay. */
SmSmtpRelay *sm_smtp_relay_new(const SmSmtpRelayConfig *config, const char *session_id);
/* Closes the upstream connection and wipes the credentials. */
void sm_smtp_relay_free(SmSmtpRelay *relay);

/* The SmSmtpBackend whose data pointer is an SmSmtpRelay. */
extern const SmSmtpBackend sm_smtp_relay_backend;

G_DEFINE_AUTOPTR_CLEANUP_FUNC(SmSmtpRelay, sm_smtp_relay_free)

G_END_DECLS
