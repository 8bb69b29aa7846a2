/* sm-bundle: organisation bundles, the way IT hands certificates, keys and policy to users.
 *
 * A bundle is a directory or a tar archive holding manifest.ini (a GKeyFile listing every file
 * with its role and SHA-256, a version number, an issuer and a validity period), its detached
 * signature manifest.ini.sig (OpenPGP or CMS) by the organisation's key, and the files.
 * certs/README.md documents the format; this header is the whole public face of the module:
 * manifest parsing (pure, fuzzed), loading, creating, verifying, importing and status. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>
#include "sm-keys.h"
#include "sm-limits.h"

G_BEGIN_DECLS

#define SM_BUNDLE_FORMAT 1
#define SM_BUNDLE_MANIFEST_NAME "manifest.ini"
#define SM_BUNDLE_SIGNATURE_NAME "manifest.ini.sig"

typedef enum
{
  SM_BUNDLE_ROLE_CA_CERTIFICATE,
  SM_BUNDLE_ROLE_USER_CERTIFICATE,
  SM_BUNDLE_ROLE_OPENPGP_KEY,
  SM_BUNDLE_ROLE_POLICY,
} SmBundleRole;

typedef struct
{
  char *path; /* relative, '/'-separated, checked by sm_bundle_path_is_safe() */
  SmBundleRole role;
  char *sha256; /* 64 lower-case hex digits */
} SmBundleEntry;

typedef struct
{
  guint format;
  guint64 version;
  char *issuer;
  char *description; /* may be NULL */
  GDateTime *not_before;
  GDateTime *not_after;
  GPtrArray *files; /* of SmBundleEntry*, owned, in manifest order */
} SmBundleManifest;

/* ---- manifest (pure: bytes in, structure out; no I/O) ---- */

/* Parses and checks a manifest: known groups and keys only, format 1, a positive version,
 * an issuer, ISO 8601 dates with not-before < not-after, safe paths, known roles, well-formed
 * hashes, at most one policy file, and the bundle-files / bundle-path-bytes limits. */
SmBundleManifest *sm_bundle_manifest_parse(const char *data, gsize len, const SmLimits *limits,
                                           GError **error);
/* Serialises @manifest into the manifest.ini text that gets signed. */
char *sm_bundle_manifest_to_data(const SmBundleManifest *manifest, gsize *length);
SmBundleManifest *sm_bundle_manifest_new(void);
void sm_bundle_manifest_free(SmBundleManifest *manifest);
/* The entry for @path, or NULL. */
const SmBundleEntry *sm_bundle_manifest_lookup(const SmBundleManifest *manifest, const char *path);
/* FALSE with an error when @now is outside [not-before, not-after]. */
gboolean sm_bundle_manifest_check_period(const SmBundleManifest *manifest, GDateTime *now,
                                         GError **error);

/* A relative path of components [A-Za-z0-9_][A-Za-z0-9._-]* joined by '/', at most
 * @max_bytes long: no absolute paths, no "." or "..", no hidden files, no backslashes. */
gboolean sm_bundle_path_is_safe(const char *path, gsize max_bytes);
/* Lower-case hex SHA-256 of @data. */
char *sm_bundle_sha256_hex(const void *data, gsize len);
const char *sm_bundle_role_to_string(SmBundleRole role);
gboolean sm_bundle_role_from_string(const char *text, SmBundleRole *role);
/* Upper-case hex without spaces or colons; NULL unless 40 (SHA-1) or 64 hex digits. */
char *sm_bundle_normalize_fingerprint(const char *text);

/* ---- a bundle on disk ---- */

typedef struct _SmBundle SmBundle;

/* Reads a bundle directory or tar archive (optionally gzip-compressed) into memory, refusing
 * anything but regular files with safe paths, and enforcing the bundle-* limits. */
SmBundle *sm_bundle_load(const char *path, const SmLimits *limits, GError **error);
void sm_bundle_free(SmBundle *bundle);

typedef struct
{
  SmProtocol protocol;
  char *signer_fingerprint; /* OpenPGP primary key or S/MIME certificate, upper-case hex */
  char *signer_name;        /* user ID or subject, for people */
  SmBundleManifest *manifest;
} SmBundleVerification;

/* Verifies everything that can be checked without changing anything: the signature over the
 * manifest (in a throwaway GnuPG home), the signer against @pinned (NULL = report the signer
 * only), every file's SHA-256, no file outside the manifest, the validity period at @now
 * (NULL = now), and that every certificate, key and policy file parses. */
SmBundleVerification *sm_bundle_verify(SmBundle *bundle, const char *pinned, GDateTime *now,
                                       const SmLimits *limits, GError **error);
void sm_bundle_verification_free(SmBundleVerification *verification);

/* ---- creating (IT) ---- */

typedef struct
{
  const char
      *sign_with; /* OpenPGP fingerprint or S/MIME certificate fingerprint; NULL = unsigned */
  const char *gnupg_home;  /* NULL = the default */
  guint64 version;         /* 0 = the creation time as YYYYMMDDHHMMSS */
  const char *issuer;      /* NULL = the signer's user ID or subject */
  const char *description; /* may be NULL */
  guint valid_days;        /* 0 = 365 */
  GDateTime *not_before;   /* NULL = start of the creation day, UTC */
  GDateTime *not_after;    /* NULL = not_before + valid_days */
} SmBundleCreateOptions;

/* Assigns roles to the files of @dir (certs/README.md: by sub-directory, then by extension),
 * writes the manifest, signs it and writes the bundle to @output: a tar archive when @output
 * ends in .tar, .tar.gz or .tgz, otherwise a new directory. */
gboolean sm_bundle_create(const char *dir, const char *output, const SmBundleCreateOptions *options,
                          const SmLimits *limits, GError **error);

/* ---- importing (users) and state ---- */

typedef struct
{
  const char *state_dir;       /* NULL = sm_bundle_default_state_dir() */
  const char *gnupg_home;      /* NULL = the default */
  const char *org_policy_path; /* NULL = sm_bundle_default_org_policy_path() */
  const char *trust;           /* fingerprint to pin on first import, may be NULL */
  GDateTime *now;              /* NULL = now */
} SmBundleImportOptions;

typedef enum
{
  SM_BUNDLE_POLICY_NONE,      /* the bundle has no policy file */
  SM_BUNDLE_POLICY_INSTALLED, /* there was none before */
  SM_BUNDLE_POLICY_UPDATED,
  SM_BUNDLE_POLICY_UNCHANGED,
} SmBundlePolicyChange;

typedef struct
{
  gboolean changed; /* FALSE: this version was already installed */
  gboolean newly_pinned;
  char *signer_fingerprint;
  char *issuer;
  guint64 version;
  guint64 previous_version; /* 0 = none */
  /* upper-case fingerprints, each list sorted and without duplicates */
  GPtrArray *openpgp_added, *openpgp_updated, *openpgp_unchanged;
  GPtrArray *smime_added, *smime_unchanged;                   /* user certificates */
  GPtrArray *ca_trusted, *ca_already_trusted, *ca_distrusted; /* distrusted: "!FPR" kept */
  SmBundlePolicyChange policy;
  char *policy_path;
} SmBundleReport;

/* Verifies @path completely (pinned key, rollback) and only then imports OpenPGP keys,
 * S/MIME certificates, trusts the CAs in gpgsm's trustlist.txt, installs the policy and writes
 * the state (temp files + rename). On any verification error nothing has changed. */
SmBundleReport *sm_bundle_import(const char *path, const SmBundleImportOptions *options,
                                 const SmLimits *limits, GError **error);
void sm_bundle_report_free(SmBundleReport *report);
JsonNode *sm_bundle_report_to_json(const SmBundleReport *report);

/* The state of @state_dir (NULL = default): installed.ini as read by the keys module
 * ([keys] openpgp, smime; [bundle] version, issuer, imported-at) and the pinned key.
 * Returns an empty key file when nothing was imported yet. */
GKeyFile *sm_bundle_status(const char *state_dir, char **pinned, GError **error);
JsonNode *sm_bundle_status_to_json(GKeyFile *installed, const char *pinned);

/* $XDG_DATA_HOME/sealmail/bundle */
char *sm_bundle_default_state_dir(void);
/* $XDG_CONFIG_HOME/sealmail/org-policy.conf: the file sm_policy_new() gets as org policy. */
char *sm_bundle_default_org_policy_path(void);
/* [bundle] state-dir of @config (may be NULL; a leading "~/" is the home directory), else
 * the default. */
char *sm_bundle_config_state_dir(GKeyFile *config);
/* [bundle] org-policy of @config (may be NULL), else the default: where the policy of the
 * installed bundle is, for whoever builds the SmPolicy. */
char *sm_bundle_config_org_policy_path(GKeyFile *config);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(SmBundleManifest, sm_bundle_manifest_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SmBundle, sm_bundle_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SmBundleVerification, sm_bundle_verification_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SmBundleReport, sm_bundle_report_free)

G_END_DECLS
