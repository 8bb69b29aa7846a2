/* sm-smtp-upstream: the SMTP client that talks to the user's real submission server.
 * Always over verified TLS: implicit (smtps://, RFC 8314) or STARTTLS (smtp+starttls://,
 * RFC 3207), where a server that does not offer STARTTLS, or whose offer was stripped, is a hard
 * failure and never a fallback to clear text. AUTH (RFC 4954) only once TLS is up. REQUIRETLS
 * (RFC 8689) on MAIL when asked for and offered; PIPELINING (RFC 2920) when offered. */
#pragma once

#include <gio/gio.h>
#include "sm-net-tls.h"
#include "sm-smtp-reply.h"

G_BEGIN_DECLS

typedef enum
{
  SM_SMTP_TLS_STARTTLS, /* smtp+starttls://host[:587] */
  SM_SMTP_TLS_IMPLICIT, /* smtps://host[:465] */
} SmSmtpTlsMode;

typedef struct
{
  char *host;
  guint16 port;
  SmSmtpTlsMode mode;
} SmSmtpUpstreamAddress;

/* Parses "smtp+starttls://host[:port]" or "smtps://host[:port]"; anything else (including plain
 * smtp://) is refused with a message that says what to write instead. */
gboolean sm_smtp_upstream_parse_url(const char *url, SmSmtpUpstreamAddress *address,
                                    GError **error);
void sm_smtp_upstream_address_clear(SmSmtpUpstreamAddress *address);

typedef struct
{
  const SmSmtpUpstreamAddress *address;
  SSL_CTX *tls;          /* client context holding the trust anchors */
  const char *helo_name; /* our EHLO name */
  guint timeout_seconds; /* SM_LIMIT_UPSTREAM_TIMEOUT_SECONDS */
  gsize max_line;        /* SM_LIMIT_SMTP_LINE_BYTES, for reply lines */
  guint max_reply_lines; /* SM_LIMIT_SMTP_REPLY_LINES */
} SmSmtpUpstreamOptions;

typedef struct _SmSmtpUpstream SmSmtpUpstream;

/* Connects, establishes verified TLS and greets. On failure: NULL, @error for people,
 * *@failure_type the RFC 8460 result type when TLS failed (else NULL), and *@reply the server's
 * own negative reply when it gave one (else NULL). */
SmSmtpUpstream *sm_smtp_upstream_open(const SmSmtpUpstreamOptions *options, char **failure_type,
                                      SmSmtpReply **reply, GError **error);
/* Sends QUIT (when the connection is usable) and frees. */
void sm_smtp_upstream_close(SmSmtpUpstream *upstream);
const SmNetTlsFacts *sm_smtp_upstream_get_tls(const SmSmtpUpstream *upstream);
/* An EHLO keyword (case-insensitive) the server offered. */
gboolean sm_smtp_upstream_has(const SmSmtpUpstream *upstream, const char *keyword);
/* FALSE once an I/O or protocol error left the connection in an unknown state. */
gboolean sm_smtp_upstream_is_usable(const SmSmtpUpstream *upstream);

/* Authenticates with PLAIN (or LOGIN when PLAIN is not offered). Returns the server's reply, or
 * NULL with @error when the connection failed. */
SmSmtpReply *sm_smtp_upstream_auth(SmSmtpUpstream *upstream, const char *authzid, const char *user,
                                   const char *password, GError **error);

typedef struct
{
  const char *mail_from;
  const char *const *rcpts; /* NULL-terminated */
  guint64 size;             /* for the SIZE parameter; 0 = unknown */
  gboolean body_8bit;
  gboolean smtputf8;
  gboolean requiretls;   /* add REQUIRETLS when the server offers it */
  GInputStream *content; /* the message; line ends are sent as CR LF, dots stuffed here */
} SmSmtpUpstreamMessage;

/* One transaction. Returns the first negative reply (MAIL, a RCPT, DATA) or the final reply to
 * the message; after a negative reply the transaction is reset with RSET. NULL with @error when
 * the connection failed (then whether the server took the message is unknown only if the
 * failure came after the final dot; see *@after_dot). */
SmSmtpReply *sm_smtp_upstream_send(SmSmtpUpstream *upstream, const SmSmtpUpstreamMessage *message,
                                   gboolean *after_dot, GError **error);
/* RSET: also a cheap check that an idle connection still works. */
gboolean sm_smtp_upstream_reset(SmSmtpUpstream *upstream, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(SmSmtpUpstream, sm_smtp_upstream_close)

G_END_DECLS
