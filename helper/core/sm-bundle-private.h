/* sm-bundle-private: what the files of the bundle module share and nobody else sees. */
#pragma once

#include <gpgme.h>
#include "sm-bundle.h"

G_BEGIN_DECLS

struct _SmBundle
{
  char *source;      /* the path it was loaded from, for messages */
  GBytes *manifest;  /* manifest.ini, NULL when absent */
  GBytes *signature; /* manifest.ini.sig, NULL when absent */
  GHashTable *files; /* relative path -> GBytes, every other regular file */
};

/* sm-bundle-load.c: reads the regular files of @dir into @files (path -> GBytes), refusing
 * links, special files and unsafe names, within the bundle-* limits. */
gboolean sm_bundle_read_dir(const char *dir, GHashTable *files, const SmLimits *limits,
                            GError **error);

/* sm-bundle-verify.c */
/* A GPGME context for @protocol in @home (NULL = the default home). */
gpgme_ctx_t sm_bundle_gpgme_new(gpgme_protocol_t protocol, const char *home, GError **error);
/* A new private GnuPG home for throwaway work; sm_bundle_scratch_home_free() removes it and
 * stops the agents GnuPG may have started there. */
char *sm_bundle_scratch_home_new(GError **error);
void sm_bundle_scratch_home_free(char *home);
typedef enum
{
  SM_BUNDLE_CERT_END_ENTITY,
  SM_BUNDLE_CERT_CA,         /* basicConstraints CA:TRUE */
  SM_BUNDLE_CERT_CA_RELAXED, /* a root without basicConstraints: gpgsm needs "relax" */
} SmBundleCertKind;

/* Parses one PEM or DER X.509 certificate; on success sets its SHA-1 fingerprint (gpgsm's
 * form: upper-case hex) and what kind of certificate it is. */
gboolean sm_bundle_parse_certificate(GBytes *data, char **fingerprint, SmBundleCertKind *kind,
                                     GError **error);

/* sm-bundle-import.c: writes @data to @path through a temp file + rename, mode @mode. */
gboolean sm_bundle_write_atomic(const char *path, const char *data, gsize len, int mode,
                                GError **error);

G_END_DECLS
