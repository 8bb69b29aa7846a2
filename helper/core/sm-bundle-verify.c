/* sm-bundle-verify: everything sealmail checks about an org bundle before it changes anything.
 *
 * The detached signature over manifest.ini is OpenPGP (RFC 4880) or CMS (RFC 5652), checked
 * with GPGME in a throwaway GnuPG home that holds only the bundle's own keys and certificates:
 * trust comes from the pinned fingerprint, never from the user's keyring. Then the validity
 * period, every file's SHA-256, files outside the manifest, and the contents: each certificate
 * parses (OpenSSL), each CA is a CA, each OpenPGP file holds public keys only, and the policy
 * is a valid key file. Limits: those of sm-bundle-load and sm_bundle_manifest_parse(). */
#include "sm-autocleanups.h"
#include "sm-bundle-private.h"
#include "sm-error.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <string.h>

G_DEFINE_AUTOPTR_CLEANUP_FUNC(X509, X509_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BIO, BIO_free)

static void
ensure_gpgme(void)
{
  static gsize once = 0;
  if (g_once_init_enter(&once))
    {
      gpgme_check_version(NULL);
      g_once_init_leave(&once, 1);
    }
}

gpgme_ctx_t
sm_bundle_gpgme_new(gpgme_protocol_t protocol, const char *home, GError **error)
{
  gpgme_ctx_t ctx = NULL;

  ensure_gpgme();
  if (!sm_error_from_gpgme(error, gpgme_new(&ctx), _("cannot start GnuPG")))
    return NULL;
  g_auto(gpgme_ctx_t) owned = ctx;
  if (!sm_error_from_gpgme(error, gpgme_set_protocol(ctx, protocol), _("cannot start GnuPG")))
    return NULL;
  if (home != NULL
      && !sm_error_from_gpgme(error, gpgme_ctx_set_engine_info(ctx, protocol, NULL, home),
                              _("cannot use the GnuPG home")))
    return NULL;
  /* no CRL/OCSP look-ups and no key servers: verification must not touch the network */
  gpgme_set_offline(ctx, 1);
  return g_steal_pointer(&owned);
}

char *
sm_bundle_scratch_home_new(GError **error)
{
  g_autoptr(GError) local = NULL;
  g_autofree char *home = g_dir_make_tmp("sealmail-bundle-XXXXXX", &local);
  if (home == NULL)
    {
      g_set_error(error, SM_ERROR, SM_ERROR_IO, _("cannot create a temporary directory: %s"),
                  local->message);
      return NULL;
    }
  return g_steal_pointer(&home);
}

/* The scratch home is ours: it holds no links we did not make, so removing it is safe. */
static void
remove_tree(const char *path)
{
  GStatBuf sb;
  if (g_lstat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
    {
      g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
      const char *name;
      while (dir != NULL && (name = g_dir_read_name(dir)) != NULL)
        {
          g_autofree char *child = g_build_filename(path, name, NULL);
          remove_tree(child);
        }
      g_rmdir(path);
    }
  else
    {
      g_unlink(path);
    }
}

void
sm_bundle_scratch_home_free(char *home)
{
  if (home == NULL)
    return;
  const char *argv[] = { "gpgconf", "--homedir", home, "--kill", "all", NULL };
  g_spawn_sync(NULL, (char **)argv, NULL,
               G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL, NULL,
               NULL, NULL, NULL, NULL, NULL);
  remove_tree(home);
  g_free(home);
}

typedef char SmScratchHome;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SmScratchHome, sm_bundle_scratch_home_free)

gboolean
sm_bundle_parse_certificate(GBytes *data, char **fingerprint, SmBundleCertKind *kind,
                            GError **error)
{
  gsize len = 0;
  const unsigned char *p = g_bytes_get_data(data, &len);
  g_autoptr(BIO) bio = BIO_new_mem_buf(p, len);
  g_autoptr(X509) cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;

  if (cert != NULL)
    {
      g_autoptr(X509) second = PEM_read_bio_X509(bio, NULL, NULL, NULL);
      if (second != NULL)
        {
          g_set_error_literal(error, SM_ERROR, SM_ERROR_INVALID_INPUT,
                              _("holds more than one certificate; put one certificate per file"));
          return FALSE;
        }
    }
  else
    {
      cert = d2i_X509(NULL, &p, len);
    }
  if (cert == NULL || X509_digest(cert, EVP_sha1(), md, &md_len) != 1)
    {
      g_set_error_literal(error, SM_ERROR, SM_ERROR_INVALID_INPUT,
                          _("is not an X.509 certificate in PEM or DER form"));
      return FALSE;
    }
  g_autoptr(GString) hex = g_string_new(NULL);
  for (unsigned int i = 0; i < md_len; i++)
    g_string_append_printf(hex, "%02X", md[i]);
  *fingerprint = g_string_free(g_steal_pointer(&hex), FALSE);
  if (X509_get_extension_flags(cert) & EXFLAG_CA)
    *kind = SM_BUNDLE_CERT_CA;
  else if (X509_check_ca(cert) != 0)
    *kind = SM_BUNDLE_CERT_CA_RELAXED;
  else
    *kind = SM_BUNDLE_CERT_END_ENTITY;
  return TRUE;
}

static gpgme_data_t
data_from_bytes(GBytes *bytes)
{
  gpgme_data_t data = NULL;
  gsize len = 0;
  const char *p = g_bytes_get_data(bytes, &len);
  /* no copy: the GBytes outlives the gpgme_data_t */
  if (gpgme_data_new_from_mem(&data, p, len, 0) != 0)
    return NULL;
  return data;
}

/* Imports the bundle's OpenPGP keys (and, for CMS, its certificates) into the scratch home,
 * which also proves that every key file holds public keys only. */
static gboolean
import_into_scratch(SmBundle *bundle, const SmBundleManifest *m, gpgme_ctx_t ctx,
                    SmBundleRole wanted, GError **error)
{
  for (guint i = 0; i < m->files->len; i++)
    {
      const SmBundleEntry *e = g_ptr_array_index(m->files, i);
      if (e->role != wanted
          && !(wanted == SM_BUNDLE_ROLE_USER_CERTIFICATE
               && e->role == SM_BUNDLE_ROLE_CA_CERTIFICATE))
        continue;
      GBytes *bytes = g_hash_table_lookup(bundle->files, e->path);
      g_auto(gpgme_data_t) data = bytes != NULL ? data_from_bytes(bytes) : NULL;
      if (data == NULL)
        continue; /* reported by check_files() */
      gpgme_error_t err = gpgme_op_import(ctx, data);
      gpgme_import_result_t r = err == 0 ? gpgme_op_import_result(ctx) : NULL;
      if (wanted != SM_BUNDLE_ROLE_OPENPGP_KEY)
        continue; /* certificates are parsed by check_contents() */
      if (r == NULL || r->considered == 0 || r->not_imported > 0)
        {
          g_set_error(error, SM_ERROR, SM_ERROR_INVALID_INPUT,
                      _("%s is listed as an OpenPGP key but holds no importable public key"),
                      e->path);
          return FALSE;
        }
      if (r->secret_read > 0)
        {
          g_set_error(error, SM_ERROR, SM_ERROR_POLICY,
                      _("%s holds secret key material; bundles carry public keys only (ask IT to "
                        "remove it and revoke that key)"),
                      e->path);
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
check_signature_status(gpgme_signature_t sig, GError **error)
{
  if (gpg_err_code(sig->status) == GPG_ERR_NO_PUBKEY)
    {
      g_set_error(error, SM_ERROR, SM_ERROR_CRYPTO,
                  _("the manifest is signed by %s, whose key or certificate is not in the bundle; "
                    "IT must include the organisation's public key"),
                  sig->fpr != NULL ? sig->fpr : "?");
      return FALSE;
    }
  if (gpg_err_code(sig->status) != GPG_ERR_NO_ERROR
      || (sig->summary & (GPGME_SIGSUM_RED | GPGME_SIGSUM_KEY_REVOKED | GPGME_SIGSUM_SIG_EXPIRED))
      || (sig->summary & GPGME_SIGSUM_KEY_EXPIRED))
    {
      g_set_error(error, SM_ERROR, SM_ERROR_CRYPTO,
                  _("the signature over the manifest is not valid (%s): the bundle was changed "
                    "after signing or the signing key is revoked or expired"),
                  gpgme_strerror(sig->status));
      return FALSE;
    }
  return TRUE;
}

/* Fills the signer of @v from the one good signature over the manifest. */
static gboolean
check_signature(SmBundle *bundle, gpgme_ctx_t ctx, SmBundleVerification *v, GError **error)
{
  g_auto(gpgme_data_t) sig = data_from_bytes(bundle->signature);
  g_auto(gpgme_data_t) text = data_from_bytes(bundle->manifest);
  g_auto(gpgme_key_t) key = NULL;

  if (sig == NULL || text == NULL)
    return sm_error_from_gpgme(error, GPG_ERR_ENOMEM, _("cannot verify the manifest"));
  gpgme_error_t err = gpgme_op_verify(ctx, sig, text, NULL);
  gpgme_verify_result_t r = gpgme_op_verify_result(ctx);
  if (r == NULL || r->signatures == NULL)
    {
      g_set_error(error, SM_ERROR, SM_ERROR_CRYPTO,
                  _("manifest.ini.sig is not a signature over the manifest (%s)"),
                  gpgme_strerror(err != 0 ? err : GPG_ERR_NO_DATA));
      return FALSE;
    }
  if (r->signatures->next != NULL)
    {
      g_set_error_literal(error, SM_ERROR, SM_ERROR_INVALID_INPUT,
                          _("the manifest must carry exactly one signature"));
      return FALSE;
    }
  gpgme_signature_t s = r->signatures;
  if (!check_signature_status(s, error))
    return FALSE;
  v->signer_fingerprint = g_ascii_strup(s->fpr, -1);
  if (gpgme_get_key(ctx, s->fpr, &key, 0) == 0 && key != NULL)
    {
      /* pin the primary key, not the signing subkey that may rotate */
      if (v->protocol == SM_PROTO_OPENPGP && key->subkeys != NULL && key->subkeys->fpr != NULL)
        {
          g_free(v->signer_fingerprint);
          v->signer_fingerprint = g_ascii_strup(key->subkeys->fpr, -1);
        }
      if (key->uids != NULL && key->uids->uid != NULL)
        v->signer_name = g_strdup(key->uids->uid);
    }
  return TRUE;
}

static gboolean
signer_matches(const SmBundleVerification *v, const char *pinned, const char *sig_fpr)
{
  return g_ascii_strcasecmp(v->signer_fingerprint, pinned) == 0
         || (sig_fpr != NULL && g_ascii_strcasecmp(sig_fpr, pinned) == 0);
}

static gboolean
is_openpgp_signature(GBytes *signature)
{
  gsize len = 0;
  const guchar *p = g_bytes_get_data(signature, &len);
  /* binary OpenPGP packets have the top bit set in their tag byte; CMS DER starts with 0x30 */
  return (len > 0 && (p[0] & 0x80) != 0) || (len >= 14 && memcmp(p, "-----BEGIN PGP", 14) == 0);
}

static gboolean
verify_signature(SmBundle *bundle, SmBundleVerification *v, const char *pinned, GError **error)
{
  g_autoptr(SmScratchHome) home = sm_bundle_scratch_home_new(error);
  if (home == NULL)
    return FALSE;
  g_auto(gpgme_ctx_t) pgp = sm_bundle_gpgme_new(GPGME_PROTOCOL_OpenPGP, home, error);
  if (pgp == NULL
      || !import_into_scratch(bundle, v->manifest, pgp, SM_BUNDLE_ROLE_OPENPGP_KEY, error))
    return FALSE;
  v->protocol = is_openpgp_signature(bundle->signature) ? SM_PROTO_OPENPGP : SM_PROTO_SMIME;
  g_auto(gpgme_ctx_t) cms = NULL;
  gpgme_ctx_t ctx = pgp;
  if (v->protocol == SM_PROTO_SMIME)
    {
      ctx = cms = sm_bundle_gpgme_new(GPGME_PROTOCOL_CMS, home, error);
      /* the signer's certificate may be in the bundle rather than in the signature */
      if (cms == NULL
          || !import_into_scratch(bundle, v->manifest, cms, SM_BUNDLE_ROLE_USER_CERTIFICATE, error))
        return FALSE;
    }
  if (!check_signature(bundle, ctx, v, error))
    return FALSE;
  gpgme_verify_result_t r = gpgme_op_verify_result(ctx);
  if (pinned != NULL && !signer_matches(v, pinned, r->signatures->fpr))
    {
      g_set_error(error, SM_ERROR, SM_ERROR_POLICY,
                  _("the bundle is signed by %s, not by the organisation key %s; it was not "
                    "made by your IT department, or IT changed its key (then ask IT how to "
                    "re-pin it)"),
                  v->signer_fingerprint, pinned);
      return FALSE;
    }
  return TRUE;
}

static gboolean
check_files(SmBundle *bundle, const SmBundleManifest *m, GError **error)
{
  GHashTableIter iter;
  gpointer key;

  for (guint i = 0; i < m->files->len; i++)
    {
      const SmBundleEntry *e = g_ptr_array_index(m->files, i);
      GBytes *bytes = g_hash_table_lookup(bundle->files, e->path);
      if (bytes == NULL)
        {
          g_set_error(error, SM_ERROR, SM_ERROR_INVALID_INPUT,
                      _("%s is listed in the manifest but missing from the bundle"), e->path);
          return FALSE;
        }
      gsize len = 0;
      const void *data = g_bytes_get_data(bytes, &len);
      g_autofree char *sum = sm_bundle_sha256_hex(data, len);
      if (strcmp(sum, e->sha256) != 0)
        {
          g_set_error(error, SM_ERROR, SM_ERROR_INVALID_INPUT,
                      _("%s was modified after the bundle was signed (SHA-256 mismatch); do not "
                        "use this bundle and tell IT"),
                      e->path);
          return FALSE;
        }
    }
  g_hash_table_iter_init(&iter, bundle->files);
  while (g_hash_table_iter_next(&iter, &key, NULL))
    {
      if (sm_bundle_manifest_lookup(m, key) == NULL)
        {
          g_set_error(
              error, SM_ERROR, SM_ERROR_INVALID_INPUT,
              _("%s is in the bundle but not in its signed manifest; do not use this bundle "
                "and tell IT"),
              (const char *)key);
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
check_entry_content(const SmBundleEntry *e, GBytes *bytes, GError **error)
{
  g_autofree char *fpr = NULL;
  SmBundleCertKind kind;

  if (e->role == SM_BUNDLE_ROLE_POLICY)
    {
      g_autoptr(GKeyFile) kf = g_key_file_new();
      g_autoptr(GError) local = NULL;
      gsize len = 0;
      const char *data = g_bytes_get_data(bytes, &len);
      if (g_key_file_load_from_data(kf, data, len, G_KEY_FILE_NONE, &local))
        return TRUE;
      g_set_error(error, SM_ERROR, SM_ERROR_INVALID_INPUT, _("is not a valid key file: %s"),
                  local->message);
      return FALSE;
    }
  if (e->role != SM_BUNDLE_ROLE_CA_CERTIFICATE && e->role != SM_BUNDLE_ROLE_USER_CERTIFICATE)
    return TRUE; /* OpenPGP keys were checked in the scratch home */
  if (!sm_bundle_parse_certificate(bytes, &fpr, &kind, error))
    return FALSE;
  if (e->role == SM_BUNDLE_ROLE_CA_CERTIFICATE && kind == SM_BUNDLE_CERT_END_ENTITY)
    {
      g_set_error_literal(error, SM_ERROR, SM_ERROR_POLICY,
                          _("is listed as a CA certificate but is not a CA"));
      return FALSE;
    }
  return TRUE;
}

static gboolean
check_contents(SmBundle *bundle, const SmBundleManifest *m, GError **error)
{
  for (guint i = 0; i < m->files->len; i++)
    {
      const SmBundleEntry *e = g_ptr_array_index(m->files, i);
      if (!check_entry_content(e, g_hash_table_lookup(bundle->files, e->path), error))
        {
          g_prefix_error(error, "%s (%s): ", e->path, sm_bundle_role_to_string(e->role));
          return FALSE;
        }
    }
  return TRUE;
}

SmBundleVerification *
sm_bundle_verify(SmBundle *bundle, const char *pinned, GDateTime *now, const SmLimits *limits,
                 GError **error)
{
  g_autoptr(SmBundleVerification) v = g_new0(SmBundleVerification, 1);
  gsize len = 0;
  const char *text = g_bytes_get_data(bundle->manifest, &len);

  v->manifest = sm_bundle_manifest_parse(text, len, limits, error);
  if (v->manifest == NULL || !verify_signature(bundle, v, pinned, error)
      || !sm_bundle_manifest_check_period(v->manifest, now, error)
      || !check_files(bundle, v->manifest, error) || !check_contents(bundle, v->manifest, error))
    {
      g_prefix_error(error, _("bundle %s refused: "), bundle->source);
      return NULL;
    }
  return g_steal_pointer(&v);
}

void
sm_bundle_verification_free(SmBundleVerification *verification)
{
  if (verification == NULL)
    return;
  g_free(verification->signer_fingerprint);
  g_free(verification->signer_name);
  sm_bundle_manifest_free(verification->manifest);
  g_free(verification);
}
