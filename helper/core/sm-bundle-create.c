/* sm-bundle-create: makes an org bundle for IT (`sealmail bundle create`).
 *
 * Reads the files of a directory, gives each a role (by sub-directory, then by extension, as
 * certs/README.md documents), writes manifest.ini with their SHA-256, signs it with GPGME
 * (OpenPGP detached signature, RFC 4880, or CMS detached signature, RFC 5652) and writes the
 * bundle as a tar archive (libarchive, pax) or as a directory. Limits: those of
 * sm-bundle-load, applied to the input directory. */
#include "sm-autocleanups.h"
#include "sm-bundle-private.h"
#include "sm-error.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#define DEFAULT_VALID_DAYS 365

typedef struct archive *ArchiveWriter;
G_DEFINE_AUTO_CLEANUP_FREE_FUNC(ArchiveWriter, archive_write_free, NULL)

typedef struct
{
  const char *name;
  SmBundleRole role;
} RoleRule;

/* The first path component decides; the extension only for files outside these. */
static const RoleRule dir_rules[] = {
  { "ca", SM_BUNDLE_ROLE_CA_CERTIFICATE },      { "certs", SM_BUNDLE_ROLE_USER_CERTIFICATE },
  { "smime", SM_BUNDLE_ROLE_USER_CERTIFICATE }, { "openpgp", SM_BUNDLE_ROLE_OPENPGP_KEY },
  { "policy", SM_BUNDLE_ROLE_POLICY },
};
static const RoleRule ext_rules[] = {
  { ".asc", SM_BUNDLE_ROLE_OPENPGP_KEY },      { ".gpg", SM_BUNDLE_ROLE_OPENPGP_KEY },
  { ".pgp", SM_BUNDLE_ROLE_OPENPGP_KEY },      { ".pem", SM_BUNDLE_ROLE_USER_CERTIFICATE },
  { ".crt", SM_BUNDLE_ROLE_USER_CERTIFICATE }, { ".cer", SM_BUNDLE_ROLE_USER_CERTIFICATE },
  { ".der", SM_BUNDLE_ROLE_USER_CERTIFICATE }, { ".conf", SM_BUNDLE_ROLE_POLICY },
};

static gboolean
role_for_path(const char *path, SmBundleRole *role, GError **error)
{
  const char *slash = strchr(path, '/');
  if (slash != NULL)
    {
      for (gsize i = 0; i < G_N_ELEMENTS(dir_rules); i++)
        {
          if (strlen(dir_rules[i].name) == (gsize)(slash - path)
              && strncmp(path, dir_rules[i].name, slash - path) == 0)
            {
              *role = dir_rules[i].role;
              return TRUE;
            }
        }
    }
  for (gsize i = 0; i < G_N_ELEMENTS(ext_rules); i++)
    {
      if (g_str_has_suffix(path, ext_rules[i].name))
        {
          *role = ext_rules[i].role;
          return TRUE;
        }
    }
  g_set_error(error, SM_ERROR, SM_ERROR_INVALID_INPUT,
              _("cannot tell the role of %s: put it in ca/, certs/, openpgp/ or policy/, or "
                "name it *.asc, *.pem or *.conf (certs/README.md)"),
              path);
  return FALSE;
}

static gint
compare_entries(gconstpointer a, gconstpointer b)
{
  const SmBundleEntry *ea = *(SmBundleEntry *const *)a;
  const SmBundleEntry *eb = *(SmBundleEntry *const *)b;
  return strcmp(ea->path, eb->path);
}

static gboolean
add_entries(SmBundleManifest *m, GHashTable *files, GError **error)
{
  GHashTableIter iter;
  gpointer key, value;

  if (g_hash_table_size(files) == 0)
    {
      g_set_error_literal(error, SM_ERROR, SM_ERROR_INVALID_INPUT, _("the directory is empty"));
      return FALSE;
    }
  g_hash_table_iter_init(&iter, files);
  while (g_hash_table_iter_next(&iter, &key, &value))
    {
      SmBundleRole role;
      gsize len = 0;
      const void *data = g_bytes_get_data(value, &len);
      if (strcmp(key, SM_BUNDLE_MANIFEST_NAME) == 0 || strcmp(key, SM_BUNDLE_SIGNATURE_NAME) == 0)
        {
          g_set_error(error, SM_ERROR, SM_ERROR_INVALID_INPUT,
                      _("the directory already holds %s: give the directory of the files only"),
                      (const char *)key);
          return FALSE;
        }
      if (!role_for_path(key, &role, error))
        return FALSE;
      SmBundleEntry *e = g_new0(SmBundleEntry, 1);
      e->path = g_strdup(key);
      e->role = role;
      e->sha256 = sm_bundle_sha256_hex(data, len);
      g_ptr_array_add(m->files, e);
    }
  g_ptr_array_sort(m->files, compare_entries);
  return TRUE;
}

static gpgme_ctx_t
find_signer(const char *sign_with, const char *home, gpgme_key_t *key, GError **error)
{
  const gpgme_protocol_t protocols[] = { GPGME_PROTOCOL_OpenPGP, GPGME_PROTOCOL_CMS };
  for (gsize i = 0; i < G_N_ELEMENTS(protocols); i++)
    {
      g_auto(gpgme_ctx_t) ctx = sm_bundle_gpgme_new(protocols[i], home, error);
      if (ctx == NULL)
        return NULL;
      if (gpgme_get_key(ctx, sign_with, key, 1) == 0 && *key != NULL && (*key)->can_sign)
        return g_steal_pointer(&ctx);
      g_clear_pointer(key, gpgme_key_unref);
    }
  g_set_error(error, SM_ERROR, SM_ERROR_NOT_FOUND,
              _("no secret key or certificate %s that can sign, neither in gpg nor in gpgsm; "
                "check with gpg --list-secret-keys and gpgsm --list-secret-keys"),
              sign_with);
  return NULL;
}

/* A detached signature over @text, binary (OpenPGP packets or CMS DER). */
static GBytes *
sign_manifest(gpgme_ctx_t ctx, gpgme_key_t key, const char *text, gsize len, GError **error)
{
  g_auto(gpgme_data_t) in = NULL;
  g_auto(gpgme_data_t) out = NULL;
  gsize sig_len = 0;

  gpgme_set_armor(ctx, 0);
  if (gpgme_get_protocol(ctx) == GPGME_PROTOCOL_CMS)
    gpgme_set_include_certs(ctx, GPGME_INCLUDE_CERTS_DEFAULT);
  if (!sm_error_from_gpgme(error, gpgme_signers_add(ctx, key), _("cannot use the signing key"))
      || !sm_error_from_gpgme(error, gpgme_data_new_from_mem(&in, text, len, 0), "gpgme")
      || !sm_error_from_gpgme(error, gpgme_data_new(&out), "gpgme")
      || !sm_error_from_gpgme(error, gpgme_op_sign(ctx, in, out, GPGME_SIG_MODE_DETACH),
                              _("cannot sign the manifest")))
    return NULL;
  gpgme_sign_result_t r = gpgme_op_sign_result(ctx);
  if (r == NULL || r->invalid_signers != NULL || r->signatures == NULL)
    {
      g_set_error_literal(error, SM_ERROR, SM_ERROR_CRYPTO,
                          _("GnuPG made no signature with that key"));
      return NULL;
    }
  char *sig = gpgme_data_release_and_get_mem(g_steal_pointer(&out), &sig_len);
  GBytes *bytes = g_bytes_new(sig, sig_len);
  gpgme_free(sig);
  return bytes;
}

static gboolean
fill_header(SmBundleManifest *m, const SmBundleCreateOptions *o, gpgme_key_t key)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc();
  g_autoptr(GDateTime) day
      = g_date_time_new_utc(g_date_time_get_year(now), g_date_time_get_month(now),
                            g_date_time_get_day_of_month(now), 0, 0, 0);
  guint days = o->valid_days != 0 ? o->valid_days : DEFAULT_VALID_DAYS;

  if (o->version != 0)
    {
      m->version = o->version;
    }
  else
    {
      g_autofree char *stamp = g_date_time_format(now, "%Y%m%d%H%M%S");
      m->version = g_ascii_strtoull(stamp, NULL, 10);
    }
  if (o->issuer != NULL)
    m->issuer = g_strdup(o->issuer);
  else if (key != NULL && key->uids != NULL && key->uids->uid != NULL)
    m->issuer = g_strdup(key->uids->uid);
  else
    m->issuer = g_strdup(_("unknown issuer"));
  m->description = g_strdup(o->description);
  /* the start of the day, so that a user whose clock is a little behind still accepts it */
  m->not_before = g_date_time_ref(o->not_before != NULL ? o->not_before : day);
  m->not_after = o->not_after != NULL ? g_date_time_ref(o->not_after)
                                      : g_date_time_add_days(m->not_before, days);
  return g_date_time_compare(m->not_before, m->not_after) < 0;
}

static gboolean
write_entry(struct archive *a, const char *name, GBytes *bytes, gint64 mtime)
{
  struct archive_entry *entry = archive_entry_new();
  gsize len = 0;
  const void *data = g_bytes_get_data(bytes, &len);
  gboolean ok;

  archive_entry_set_pathname(entry, name);
  archive_entry_set_size(entry, len);
  archive_entry_set_filetype(entry, AE_IFREG);
  archive_entry_set_perm(entry, 0644);
  archive_entry_set_mtime(entry, mtime, 0);
  ok = archive_write_header(a, entry) == ARCHIVE_OK
       && (len == 0 || archive_write_data(a, data, len) == (la_ssize_t)len);
  archive_entry_free(entry);
  return ok;
}

static gboolean
write_tar(const char *path, gboolean gzip, GBytes *manifest, GBytes *sig, GHashTable *files,
          const SmBundleManifest *m, GError **error)
{
  g_auto(ArchiveWriter) a = archive_write_new();
  gint64 mtime = g_date_time_to_unix(m->not_before);
  gboolean ok;

  archive_write_set_format_pax_restricted(a);
  if (gzip && archive_write_add_filter_gzip(a) != ARCHIVE_OK)
    {
      g_set_error_literal(error, SM_ERROR, SM_ERROR_IO, _("gzip compression is not available"));
      return FALSE;
    }
  ok = archive_write_open_filename(a, path) == ARCHIVE_OK
       && write_entry(a, SM_BUNDLE_MANIFEST_NAME, manifest, mtime)
       && (sig == NULL || write_entry(a, SM_BUNDLE_SIGNATURE_NAME, sig, mtime));
  for (guint i = 0; ok && i < m->files->len; i++)
    {
      const SmBundleEntry *e = g_ptr_array_index(m->files, i);
      ok = write_entry(a, e->path, g_hash_table_lookup(files, e->path), mtime);
    }
  if (!ok || archive_write_close(a) != ARCHIVE_OK)
    {
      g_set_error(error, SM_ERROR, SM_ERROR_IO, _("cannot write %s: %s"), path,
                  archive_error_string(a) != NULL ? archive_error_string(a) : g_strerror(errno));
      return FALSE;
    }
  return TRUE;
}

static gboolean
write_file(const char *dir, const char *rel, GBytes *bytes, GError **error)
{
  g_autofree char *path = g_build_filename(dir, rel, NULL);
  g_autofree char *parent = g_path_get_dirname(path);
  gsize len = 0;
  const char *data = g_bytes_get_data(bytes, &len);

  if (g_mkdir_with_parents(parent, 0755) != 0)
    {
      g_set_error(error, SM_ERROR, SM_ERROR_IO, _("cannot create %s: %s"), parent,
                  g_strerror(errno));
      return FALSE;
    }
  return g_file_set_contents(path, data, len, error);
}

static gboolean
write_directory(const char *out, GBytes *manifest, GBytes *sig, GHashTable *files,
                const SmBundleManifest *m, GError **error)
{
  if (g_mkdir(out, 0755) != 0)
    {
      g_set_error(error, SM_ERROR, SM_ERROR_IO,
                  _("cannot create the bundle directory %s: %s (it must not exist yet)"), out,
                  g_strerror(errno));
      return FALSE;
    }
  if (!write_file(out, SM_BUNDLE_MANIFEST_NAME, manifest, error)
      || (sig != NULL && !write_file(out, SM_BUNDLE_SIGNATURE_NAME, sig, error)))
    return FALSE;
  for (guint i = 0; i < m->files->len; i++)
    {
      const SmBundleEntry *e = g_ptr_array_index(m->files, i);
      if (!write_file(out, e->path, g_hash_table_lookup(files, e->path), error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
is_archive_name(const char *path)
{
  return g_str_has_suffix(path, ".tar") || g_str_has_suffix(path, ".tar.gz")
         || g_str_has_suffix(path, ".tgz");
}

/* The archive is written next to @output and renamed: no half-written bundle is left. */
static gboolean
write_output(const char *output, GBytes *manifest, GBytes *sig, GHashTable *files,
             const SmBundleManifest *m, GError **error)
{
  if (!is_archive_name(output))
    return write_directory(output, manifest, sig, files, m, error);
  g_autofree char *tmp = g_strconcat(output, ".XXXXXX", NULL);
  int fd = g_mkstemp(tmp);
  if (fd < 0)
    {
      g_set_error(error, SM_ERROR, SM_ERROR_IO, _("cannot create %s: %s"), tmp, g_strerror(errno));
      return FALSE;
    }
  close(fd);
  gboolean gzip = g_str_has_suffix(output, ".gz") || g_str_has_suffix(output, ".tgz");
  if (!write_tar(tmp, gzip, manifest, sig, files, m, error) || g_rename(tmp, output) != 0)
    {
      if (error != NULL && *error == NULL)
        g_set_error(error, SM_ERROR, SM_ERROR_IO, _("cannot write %s: %s"), output,
                    g_strerror(errno));
      g_unlink(tmp);
      return FALSE;
    }
  return TRUE;
}

gboolean
sm_bundle_create(const char *dir, const char *output, const SmBundleCreateOptions *options,
                 const SmLimits *limits, GError **error)
{
  g_autoptr(GHashTable) files
      = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_bytes_unref);
  g_autoptr(SmBundleManifest) m = sm_bundle_manifest_new();
  g_auto(gpgme_ctx_t) ctx = NULL;
  g_auto(gpgme_key_t) key = NULL;
  g_autoptr(GBytes) sig = NULL;
  gsize len = 0;

  if (!sm_bundle_read_dir(dir, files, limits, error) || !add_entries(m, files, error))
    {
      g_prefix_error(error, _("cannot make a bundle of %s: "), dir);
      return FALSE;
    }
  if (options->sign_with != NULL
      && (ctx = find_signer(options->sign_with, options->gnupg_home, &key, error)) == NULL)
    return FALSE;
  if (!fill_header(m, options, key))
    {
      g_set_error_literal(error, SM_ERROR, SM_ERROR_INVALID_INPUT,
                          _("the bundle's not-after must be later than its not-before"));
      return FALSE;
    }
  g_autofree char *text = sm_bundle_manifest_to_data(m, &len);
  g_autoptr(GBytes) manifest = g_bytes_new(text, len);
  if (ctx != NULL && (sig = sign_manifest(ctx, key, text, len, error)) == NULL)
    return FALSE;
  return write_output(output, manifest, sig, files, m, error);
}
