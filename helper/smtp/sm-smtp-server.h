/* sm-smtp-server: one SMTP listener of sealmaild (one per account): accepts loopback clients,
 * runs each session in its own thread with blocking I/O and timeouts, drives the session state
 * machine (sm-smtp-session) with the client's lines and relays through sm-smtp-relay. */
#pragma once

#include "sm-limits.h"
#include "sm-smtp-config.h"
#include "sm-smtp-relay.h"

G_BEGIN_DECLS

typedef struct
{
  const char *account;   /* for logs and session ids */
  const char *listen;    /* "127.0.0.1:1587" */
  gboolean allow_remote; /* accept clients outside loopback (off by default) */
  SSL_CTX *server_tls;   /* offers STARTTLS when not NULL */
  const char *hostname;  /* our name in greetings */
  const char *spool_dir;
  const SmLimits *limits;
  SmSmtpRelayConfig relay; /* borrowed pointers must outlive the server */
} SmSmtpServerOptions;

typedef struct _SmSmtpServer SmSmtpServer;

SmSmtpServer *sm_smtp_server_new(const SmSmtpServerOptions *options, GError **error);
/* The listener of @account: loads its upstream trust anchors (a CA file that cannot be loaded
 * does not stop the daemon: clients get 451 4.7.5 saying why) and starts listening. */
SmSmtpServer *sm_smtp_server_new_for_account(const SmSmtpAccount *account, SmSmtpPipeline *pipeline,
                                             SSL_CTX *server_tls, const SmLimits *limits,
                                             const char *spool_dir, GError **error);
guint16 sm_smtp_server_get_port(const SmSmtpServer *server);
guint sm_smtp_server_active_sessions(SmSmtpServer *server);
/* Stops accepting and lets running sessions finish the current command (up to @grace_seconds). */
void sm_smtp_server_stop(SmSmtpServer *server, guint grace_seconds);
void sm_smtp_server_free(SmSmtpServer *server);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(SmSmtpServer, sm_smtp_server_free)

G_END_DECLS
