/* sm-smtp-config: the SMTP side of sealmaild's configuration (../../DESIGN.md, Configuration):
 * `$XDG_CONFIG_HOME/sealmail/sealmail.conf` (GKeyFile), or the embedded default when no file
 * exists. Each `[account:NAME]` group with `smtp-listen` gives one listener:
 *
 *   smtp-listen = 127.0.0.1:1587        local address for mail clients
 *   smtp-upstream = smtp+starttls://smtp.example.org:587   or smtps://host:465
 *   smtp-upstream-ca = /path/to/ca.pem  optional; default the system store; a relative path is
 *                                       relative to the directory of the configuration file
 *   smtp-starttls = true                offer STARTTLS to local clients (local certificate)
 *   smtp-allow-remote = false           accept clients that are not on loopback
 *
 * The embedded default has one account, "default"; SEALMAIL_SMTP_UPSTREAM and
 * SEALMAIL_SMTP_UPSTREAM_CA in the environment override its upstream (tools/run.sh uses them to
 * point it at the private demo servers). */
#pragma once

#include "sm-limits.h"
#include "sm-smtp-upstream.h"

G_BEGIN_DECLS

typedef struct
{
  char *name;
  char *listen;
  char *upstream_url;
  SmSmtpUpstreamAddress upstream;
  char *upstream_ca; /* absolute path, or NULL for the system store */
  gboolean starttls;
  gboolean allow_remote;
} SmSmtpAccount;

typedef struct
{
  GKeyFile *keyfile;   /* the whole configuration, for the engine's [policy] and other groups */
  char *path;          /* the file read, or NULL for the embedded default */
  GPtrArray *accounts; /* of SmSmtpAccount*, those with smtp-listen */
  SmLimits *limits;
} SmSmtpConfig;

/* Reads @path, or when NULL the user's file if it exists, else the embedded default. */
SmSmtpConfig *sm_smtp_config_load(const char *path, GError **error);
void sm_smtp_config_free(SmSmtpConfig *config);
/* The text of the embedded default configuration. */
const char *sm_smtp_config_default_text(void);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(SmSmtpConfig, sm_smtp_config_free)

G_END_DECLS
