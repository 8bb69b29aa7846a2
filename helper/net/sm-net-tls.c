/* sm-net-tls: OpenSSL client and server handshakes, verification and the observed TLS facts.
 * Standards: RFC 8446/5246 (TLS 1.3/1.2 only), RFC 6125 host name checks (done by OpenSSL's
 * X509_check_host through SSL_set1_host), RFC 8460 failure result types. */
#include "sm-net-private.h"
#include "sm-error.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

G_DEFINE_AUTOPTR_CLEANUP_FUNC(X509, X509_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(EVP_PKEY, EVP_PKEY_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(X509_EXTENSION, X509_EXTENSION_free)

#define LOCAL_CERT_DAYS 3650

/* The newest OpenSSL error as text, and the queue cleared. */
static const char *
ssl_reason(void)
{
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  const char *reason = code != 0 ? ERR_reason_error_string(code) : NULL;
  return reason != NULL ? reason : "unknown";
}

static SSL_CTX *
context_new(const SSL_METHOD *method, GError **error)
{
  SSL_CTX *ctx = SSL_CTX_new(method);
  if (ctx == NULL)
    {
      g_set_error(error, SM_ERROR, SM_ERROR_TLS, _("cannot create a TLS context: %s"),
                  ssl_reason());
      return NULL;
    }
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  /* SMTP delimits its own data: a missing close_notify cannot truncate a message unnoticed. */
  SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_RENEGOTIATION);
  return ctx;
}

SSL_CTX *
sm_net_tls_client_context_new(const char *ca_file, GError **error)
{
  g_autoptr(SSL_CTX) ctx = context_new(TLS_client_method(), error);
  if (ctx == NULL)
    return NULL;
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
  if (ca_file != NULL)
    {
      if (SSL_CTX_load_verify_locations(ctx, ca_file, NULL) != 1)
        {
          g_set_error(error, SM_ERROR, SM_ERROR_TLS,
                      _("cannot load the CA file %s: %s; check the smtp-upstream-ca setting"),
                      ca_file, ssl_reason());
          return NULL;
        }
    }
  else if (SSL_CTX_set_default_verify_paths(ctx) != 1)
    {
      g_set_error(error, SM_ERROR, SM_ERROR_TLS, _("cannot load the system CA store: %s"),
                  ssl_reason());
      return NULL;
    }
  return g_steal_pointer(&ctx);
}

static const char *
failure_type_for(long verify_result)
{
  switch (verify_result)
    {
      case X509_V_ERR_HOSTNAME_MISMATCH:
      case X509_V_ERR_IP_ADDRESS_MISMATCH:
        return "certificate-host-mismatch";
      case X509_V_ERR_CERT_HAS_EXPIRED:
      case X509_V_ERR_CERT_NOT_YET_VALID:
        return "certificate-expired";
      case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
      case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
      case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
      case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
      case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
      case X509_V_ERR_CERT_UNTRUSTED:
        return "certificate-not-trusted";
      default:
        return "validation-failure";
    }
}

const char *
sm_net_tls_failure_type(const SmNetConn *conn)
{
  g_return_val_if_fail(conn != NULL, "validation-failure");
  return failure_type_for(conn->verify_result);
}

/* "TLSv1.3" -> "1.3", as the JSON contract wants it. */
static char *
version_number(const char *name)
{
  if (g_str_has_prefix(name, "TLSv"))
    return g_strdup(name + 4);
  return g_strdup(name);
}

static SmNetTlsFacts *
facts_from(SSL *ssl, gboolean verified)
{
  SmNetTlsFacts *facts = g_new0(SmNetTlsFacts, 1);
  facts->version = version_number(SSL_get_version(ssl));
  facts->cipher = g_strdup(SSL_get_cipher_name(ssl));
  facts->verified = verified;
  X509 *peer = SSL_get0_peer_certificate(ssl);
  if (peer != NULL)
    {
      unsigned char md[EVP_MAX_MD_SIZE];
      unsigned int md_len = 0;
      if (X509_digest(peer, EVP_sha256(), md, &md_len) == 1)
        {
          GString *hex = g_string_sized_new(md_len * 2);
          for (unsigned int i = 0; i < md_len; i++)
            g_string_append_printf(hex, "%02x", md[i]);
          facts->cert_sha256 = g_string_free(hex, FALSE);
        }
    }
  return facts;
}

/* Restricts verification to @host: a DNS name (also sent as SNI) or an address literal. */
static gboolean
set_expected_peer(SSL *ssl, const char *host)
{
  X509_VERIFY_PARAM *param = SSL_get0_param(ssl);
  g_autofree char *bare = g_strdup(host);
  gsize len = strlen(bare);
  if (len > 2 && bare[0] == '[' && bare[len - 1] == ']')
    {
      memmove(bare, bare + 1, len - 2);
      bare[len - 2] = '\0';
    }
  if (g_hostname_is_ip_address(bare))
    return X509_VERIFY_PARAM_set1_ip_asc(param, bare) == 1;
  X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  return SSL_set_tlsext_host_name(ssl, bare) == 1 && SSL_set1_host(ssl, bare) == 1;
}

gboolean
sm_net_tls_connect(SmNetConn *conn, SSL_CTX *ctx, const char *host, GError **error)
{
  g_return_val_if_fail(conn != NULL && conn->ssl == NULL && ctx != NULL, FALSE);
  SSL *ssl = SSL_new(ctx);
  conn->verify_result = X509_V_OK;
  if (ssl == NULL || !set_expected_peer(ssl, host) || SSL_set_fd(ssl, conn->fd) != 1)
    {
      g_set_error(error, SM_ERROR, SM_ERROR_TLS, _("cannot set up TLS for %s: %s"), host,
                  ssl_reason());
      SSL_free(ssl);
      return FALSE;
    }
  if (SSL_connect(ssl) != 1)
    {
      long vr = SSL_get_verify_result(ssl);
      conn->verify_result = vr != X509_V_OK ? vr : X509_V_ERR_UNSPECIFIED;
      if (vr != X509_V_OK)
        g_set_error(error, SM_ERROR, SM_ERROR_TLS, _("the certificate of %s is not valid: %s"),
                    host, X509_verify_cert_error_string(vr));
      else
        g_set_error(error, SM_ERROR, SM_ERROR_TLS, _("TLS handshake with %s failed: %s"), host,
                    ssl_reason());
      ERR_clear_error();
      SSL_free(ssl);
      return FALSE;
    }
  conn->ssl = ssl;
  conn->facts = facts_from(ssl, TRUE);
  return TRUE;
}

SSL_CTX *
sm_net_tls_server_context_new(const char *cert_file, const char *key_file, GError **error)
{
  g_autoptr(SSL_CTX) ctx = context_new(TLS_server_method(), error);
  if (ctx == NULL)
    return NULL;
  if (SSL_CTX_use_certificate_chain_file(ctx, cert_file) != 1
      || SSL_CTX_use_PrivateKey_file(ctx, key_file, SSL_FILETYPE_PEM) != 1
      || SSL_CTX_check_private_key(ctx) != 1)
    {
      g_set_error(error, SM_ERROR, SM_ERROR_TLS, _("cannot load the certificate %s and key %s: %s"),
                  cert_file, key_file, ssl_reason());
      return NULL;
    }
  return g_steal_pointer(&ctx);
}

gboolean
sm_net_tls_accept(SmNetConn *conn, SSL_CTX *ctx, GError **error)
{
  g_return_val_if_fail(conn != NULL && conn->ssl == NULL && ctx != NULL, FALSE);
  SSL *ssl = SSL_new(ctx);
  if (ssl == NULL || SSL_set_fd(ssl, conn->fd) != 1 || SSL_accept(ssl) != 1)
    {
      g_set_error(error, SM_ERROR, SM_ERROR_TLS, _("TLS handshake with the client failed: %s"),
                  ssl_reason());
      SSL_free(ssl);
      return FALSE;
    }
  conn->ssl = ssl;
  conn->facts = facts_from(ssl, FALSE);
  return TRUE;
}

const SmNetTlsFacts *
sm_net_tls_get_facts(const SmNetConn *conn)
{
  return conn != NULL ? conn->facts : NULL;
}

SmNetTlsFacts *
sm_net_tls_facts_copy(const SmNetTlsFacts *facts)
{
  if (facts == NULL)
    return NULL;
  SmNetTlsFacts *copy = g_new0(SmNetTlsFacts, 1);
  copy->version = g_strdup(facts->version);
  copy->cipher = g_strdup(facts->cipher);
  copy->cert_sha256 = g_strdup(facts->cert_sha256);
  copy->verified = facts->verified;
  return copy;
}

void
sm_net_tls_facts_free(SmNetTlsFacts *facts)
{
  if (facts == NULL)
    return;
  g_free(facts->version);
  g_free(facts->cipher);
  g_free(facts->cert_sha256);
  g_free(facts);
}

static gboolean
add_extension(X509 *cert, int nid, const char *value)
{
  X509V3_CTX v3;
  X509V3_set_ctx_nodb(&v3);
  X509V3_set_ctx(&v3, cert, cert, NULL, NULL, 0);
  g_autoptr(X509_EXTENSION) ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
  return ext != NULL && X509_add_ext(cert, ext, -1) == 1;
}

static X509 *
self_signed_new(EVP_PKEY *key)
{
  g_autoptr(X509) cert = X509_new();
  X509_NAME *name = X509_get_subject_name(cert);
  unsigned char serial[16];
  g_autoptr(GRand) rand = g_rand_new();
  for (gsize i = 0; i < sizeof serial; i++)
    serial[i] = (unsigned char)g_rand_int_range(rand, 0, 256);
  serial[0] &= 0x7f;
  BIGNUM *bn = BN_bin2bn(serial, sizeof serial, NULL);
  gboolean ok = bn != NULL && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert)) != NULL;
  BN_free(bn);
  ok = ok && X509_set_version(cert, 2) == 1 && X509_gmtime_adj(X509_getm_notBefore(cert), -3600)
       && X509_time_adj_ex(X509_getm_notAfter(cert), LOCAL_CERT_DAYS, 0, NULL)
       && X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"localhost",
                                     -1, -1, 0)
              == 1
       && X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                                     (const unsigned char *)"sealmail local", -1, -1, 0)
              == 1
       && X509_set_issuer_name(cert, name) == 1 && X509_set_pubkey(cert, key) == 1
       && add_extension(cert, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1,IP:::1")
       && add_extension(cert, NID_basic_constraints, "critical,CA:FALSE")
       && add_extension(cert, NID_ext_key_usage, "serverAuth")
       && X509_sign(cert, key, EVP_sha256()) > 0;
  return ok ? g_steal_pointer(&cert) : NULL;
}

/* Writes a PEM file with @mode, replacing nothing that exists. */
static gboolean
write_pem(const char *path, int mode, EVP_PKEY *key, X509 *cert, GError **error)
{
  int fd = g_open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
  if (f == NULL)
    {
      g_set_error(error, SM_ERROR, SM_ERROR_IO, _("cannot create %s: %s"), path, g_strerror(errno));
      if (fd >= 0)
        close(fd);
      return FALSE;
    }
  gboolean ok = key != NULL ? PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) == 1
                            : PEM_write_X509(f, cert) == 1;
  ok = (fclose(f) == 0) && ok;
  if (!ok)
    g_set_error(error, SM_ERROR, SM_ERROR_IO, _("cannot write %s"), path);
  return ok;
}

gboolean
sm_net_tls_ensure_local_certificate(const char *dir, char **cert_path, char **key_path,
                                    GError **error)
{
  g_autofree char *cert_file = g_build_filename(dir, "smtp-cert.pem", NULL);
  g_autofree char *key_file = g_build_filename(dir, "smtp-key.pem", NULL);

  if (!g_file_test(cert_file, G_FILE_TEST_EXISTS) || !g_file_test(key_file, G_FILE_TEST_EXISTS))
    {
      if (g_mkdir_with_parents(dir, 0700) != 0)
        {
          g_set_error(error, SM_ERROR, SM_ERROR_IO, _("cannot create %s: %s"), dir,
                      g_strerror(errno));
          return FALSE;
        }
      g_unlink(cert_file);
      g_unlink(key_file);
      g_autoptr(EVP_PKEY) key = EVP_EC_gen("P-256");
      g_autoptr(X509) cert = key != NULL ? self_signed_new(key) : NULL;
      if (cert == NULL)
        {
          g_set_error(error, SM_ERROR, SM_ERROR_TLS, _("cannot create a local certificate: %s"),
                      ssl_reason());
          return FALSE;
        }
      if (!write_pem(key_file, 0600, key, NULL, error)
          || !write_pem(cert_file, 0644, NULL, cert, error))
        return FALSE;
    }
  *cert_path = g_steal_pointer(&cert_file);
  *key_path = g_steal_pointer(&key_file);
  return TRUE;
}
