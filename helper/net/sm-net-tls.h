/* sm-net-tls: TLS with OpenSSL for sealmail's connections.
 * Client side (upstream servers): certificate chain and host name verified (SSL_set1_host, or
 * the IP address for an address literal), TLS 1.2 at least, a CA file or the system store; the
 * negotiated version, cipher and the server certificate's SHA-256 fingerprint are kept as the
 * `observed` TLS facts of the connection. Server side (loopback listeners): a locally generated
 * self-signed certificate that the user can export and trust in their mail client. */
#pragma once

#include <glib.h>
#include <openssl/ssl.h>
#include "sm-net-conn.h"

G_BEGIN_DECLS

typedef struct
{
  char *version;     /* "1.2", "1.3" */
  char *cipher;      /* e.g. "TLS_AES_256_GCM_SHA384" */
  char *cert_sha256; /* lower-case hex SHA-256 of the peer's certificate (DER), or NULL */
  gboolean verified; /* chain and host name verified (client side) */
} SmNetTlsFacts;

/* A client context: TLS >= 1.2, peer verification on, trust anchors from @ca_file (PEM) or, when
 * NULL, the system store. */
SSL_CTX *sm_net_tls_client_context_new(const char *ca_file, GError **error);
/* Runs the client handshake on @conn and verifies the certificate for @host. On failure the
 * connection stays in clear text and must be closed; sm_net_tls_failure_type() says why. */
gboolean sm_net_tls_connect(SmNetConn *conn, SSL_CTX *ctx, const char *host, GError **error);

/* A server context from PEM files. */
SSL_CTX *sm_net_tls_server_context_new(const char *cert_file, const char *key_file, GError **error);
gboolean sm_net_tls_accept(SmNetConn *conn, SSL_CTX *ctx, GError **error);

/* Creates (once) a self-signed certificate for localhost, 127.0.0.1 and ::1 in @dir
 * (smtp-cert.pem, smtp-key.pem with mode 0600) and returns both paths. */
gboolean sm_net_tls_ensure_local_certificate(const char *dir, char **cert_path, char **key_path,
                                             GError **error);

/* The facts of the established TLS session, or NULL when TLS is not started. */
const SmNetTlsFacts *sm_net_tls_get_facts(const SmNetConn *conn);
/* RFC 8460 result type of the last failed client handshake: "certificate-host-mismatch",
 * "certificate-expired", "certificate-not-trusted" or "validation-failure". */
const char *sm_net_tls_failure_type(const SmNetConn *conn);
SmNetTlsFacts *sm_net_tls_facts_copy(const SmNetTlsFacts *facts);
void sm_net_tls_facts_free(SmNetTlsFacts *facts);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(SSL_CTX, SSL_CTX_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SmNetTlsFacts, sm_net_tls_facts_free)

G_END_DECLS
