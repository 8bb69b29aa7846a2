/* sm-bundle-load: reads an org bundle, a directory or a tar archive (ustar/pax, optionally
 * gzip-compressed, read with libarchive), into memory without extracting anything to disk.
 *
 * Only regular files with safe relative names are accepted (sm_bundle_path_is_safe): symbolic
 * and hard links, devices, FIFOs, absolute names, "..", hidden files and duplicate entries are
 * refused, so nothing in a bundle can point outside it. Limits: bundle-files,
 * bundle-file-bytes, bundle-bytes, bundle-manifest-bytes, bundle-path-bytes. */
#include "sm-bundle-private.h"
#include "sm-error.h"

#include <inttypes.h>
#include <archive.h>
#include <archive_entry.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

/* libarchive's read block size; not a limit on anything */
#define ARCHIVE_BLOCK_BYTES 10240

typedef struct
{
  GHashTable *files;
  const SmLimits *limits;
  guint64 total;
} LoadState;

typedef struct archive *ArchiveReader;
G_DEFINE_AUTO_CLEANUP_FREE_FUNC(ArchiveReader, archive_read_free, NULL)

static char *
shown_name(const char *name)
{
  g_autofree char *escaped = g_strescape(name, NULL);
  if (strlen(escaped) > 80)
    escaped[80] = '\0';
  return g_steal_pointer(&escaped);
}

static gboolean
check_name(LoadState *st, const char *rel, GError **error)
{
  if (sm_bundle_path_is_safe(rel, sm_limits_get(st->limits, SM_LIMIT_BUNDLE_PATH_BYTES)))
    return TRUE;
  g_autofree char *shown = shown_name(rel);
  g_set_error(error, SM_ERROR, SM_ERROR_INVALID_INPUT,
              _("unsafe file name '%s' in the bundle: names are relative, without '..', "
                "hidden files or special characters"),
              shown);
  return FALSE;
}

/* Checks the counts and sizes before anything is read. */
static gboolean
check_room(LoadState *st, const char *rel, guint64 size, GError **error)
{
  guint64 max_files = sm_limits_get(st->limits, SM_LIMIT_BUNDLE_FILES);
  guint64 max_file = sm_limits_get(st->limits, SM_LIMIT_BUNDLE_FILE_BYTES);
  guint64 max_total = sm_limits_get(st->limits, SM_LIMIT_BUNDLE_BYTES);
  g_autofree char *shown = shown_name(rel);

  if (g_hash_table_contains(st->files, rel))
    {
      g_set_error(error, SM_ERROR, SM_ERROR_INVALID_INPUT, _("the bundle holds '%s' twice"), shown);
      return FALSE;
    }
  if (g_hash_table_size(st->files) + 1 > max_files)
    {
      g_set_error(error, SM_ERROR, SM_ERROR_LIMIT,
                  _("the bundle holds more than bundle-files (%" PRIu64 ") files"),
                  max_files);
      return FALSE;
    }
  if (size > max_file || st->total + size > max_total)
    {
      g_set_error(error, SM_ERROR, SM_ERROR_LIMIT,
                  _("'%s' makes the bundle exceed bundle-file-bytes (%" PRIu64
                    ") or bundle-bytes (%" PRIu64 ")"),
                  shown, max_file, max_total);
      return FALSE;
    }
  return TRUE;
}

static gboolean
add_file(LoadState *st, const char *rel, GBytes *bytes, GError **error)
{
  if (!check_room(st, rel, g_bytes_get_size(bytes), error))
    return FALSE;
  st->total += g_bytes_get_size(bytes);
  g_hash_table_insert(st->files, g_strdup(rel), g_bytes_ref(bytes));
  return TRUE;
}

static gboolean read_dir_rec(LoadState *st, const char *base, const char *rel, GError **error);

static gboolean
read_dir_entry(LoadState *st, const char *base, const char *rel, GError **error)
{
  g_autofree char *full = g_build_filename(base, rel, NULL);
  g_autofree char *shown = shown_name(rel);
  GStatBuf sb;

  if (!check_name(st, rel, error))
    return FALSE;
  if (g_lstat(full, &sb) != 0)
    {
      g_set_error(error, SM_ERROR, SM_ERROR_IO, _("cannot read %s"), full);
      return FALSE;
    }
  if (S_ISDIR(sb.st_mode))
    return read_dir_rec(st, base, rel, error);
  if (!S_ISREG(sb.st_mode))
    {
      g_set_error(error, SM_ERROR, SM_ERROR_INVALID_INPUT,
                  _("'%s' in the bundle is a link or special file; bundles hold regular files "
                    "only"),
                  shown);
      return FALSE;
    }
  if (!check_room(st, rel, sb.st_size, error))
    return FALSE;
  char *data = NULL;
  gsize len = 0;
  if (!g_file_get_contents(full, &data, &len, error))
    return FALSE;
  g_autoptr(GBytes) bytes = g_bytes_new_take(data, len);
  /* the size is checked again: the file may have grown since lstat() */
  return add_file(st, rel, bytes, error);
}

/* Recursion depth is bounded: each level adds at least two bytes to a path that
 * bundle-path-bytes bounds. */
static gboolean
read_dir_rec(LoadState *st, const char *base, const char *rel, GError **error)
{
  g_autofree char *path = rel != NULL ? g_build_filename(base, rel, NULL) : g_strdup(base);
  g_autoptr(GDir) dir = g_dir_open(path, 0, error);
  const char *name;

  if (dir == NULL)
    return FALSE;
  while ((name = g_dir_read_name(dir)) != NULL)
    {
      g_autofree char *child = rel != NULL ? g_strconcat(rel, "/", name, NULL) : g_strdup(name);
      if (!read_dir_entry(st, base, child, error))
        return FALSE;
    }
  return TRUE;
}

gboolean
sm_bundle_read_dir(const char *dir, GHashTable *files, const SmLimits *limits, GError **error)
{
  LoadState st = { files, limits, 0 };
  return read_dir_rec(&st, dir, NULL, error);
}

/* "./a/b" -> "a/b", "a/" -> "a"; returns NULL for the archive's root entry. */
static char *
archive_name(const char *raw)
{
  while (g_str_has_prefix(raw, "./"))
    raw += 2;
  g_autofree char *name = g_strdup(raw);
  gsize len = strlen(name);
  if (len > 0 && name[len - 1] == '/')
    name[len - 1] = '\0';
  if (*name == '\0' || strcmp(name, ".") == 0)
    return NULL;
  return g_steal_pointer(&name);
}

static gboolean
archive_fail(struct archive *a, const char *source, GError **error)
{
  g_set_error(error, SM_ERROR, SM_ERROR_INVALID_INPUT, _("cannot read the bundle archive %s: %s"),
              source,
              archive_error_string(a) != NULL ? archive_error_string(a) : _("unknown error"));
  return FALSE;
}

static gboolean
read_archive_entry(LoadState *st, struct archive *a, struct archive_entry *entry,
                   const char *source, GError **error)
{
  const char *raw = archive_entry_pathname(entry);
  g_autofree char *name = archive_name(raw != NULL ? raw : "");
  if (name == NULL)
    return TRUE;
  if (!check_name(st, name, error))
    return FALSE;
  if (archive_entry_filetype(entry) == AE_IFDIR)
    return TRUE;
  if (archive_entry_filetype(entry) != AE_IFREG || archive_entry_hardlink(entry) != NULL
      || archive_entry_symlink(entry) != NULL)
    {
      g_autofree char *shown = shown_name(name);
      g_set_error(error, SM_ERROR, SM_ERROR_INVALID_INPUT,
                  _("'%s' in the bundle is a link or special file; bundles hold regular files "
                    "only"),
                  shown);
      return FALSE;
    }
  la_int64_t size = archive_entry_size(entry);
  if (size < 0)
    return archive_fail(a, source, error);
  if (!check_room(st, name, size, error))
    return FALSE;
  /* one byte more than announced, to notice an entry longer than its header says */
  g_autofree char *data = g_malloc(size + 1);
  la_ssize_t got = archive_read_data(a, data, size + 1);
  if (got < 0)
    return archive_fail(a, source, error);
  if (got != size)
    {
      g_set_error(error, SM_ERROR, SM_ERROR_INVALID_INPUT,
                  _("the bundle archive %s is truncated or inconsistent"), source);
      return FALSE;
    }
  g_autoptr(GBytes) bytes = g_bytes_new_take(g_steal_pointer(&data), size);
  return add_file(st, name, bytes, error);
}

static gboolean
read_archive(LoadState *st, const char *path, GError **error)
{
  g_auto(ArchiveReader) a = archive_read_new();
  struct archive_entry *entry;
  int r;
  /* directories do not count as files but are bounded too */
  guint64 max_entries = 2 * sm_limits_get(st->limits, SM_LIMIT_BUNDLE_FILES);

  archive_read_support_format_tar(a);
  archive_read_support_filter_gzip(a);
  if (archive_read_open_filename(a, path, ARCHIVE_BLOCK_BYTES) != ARCHIVE_OK)
    return archive_fail(a, path, error);
  for (guint64 n = 0; (r = archive_read_next_header(a, &entry)) == ARCHIVE_OK; n++)
    {
      if (n >= max_entries)
        {
          g_set_error(error, SM_ERROR, SM_ERROR_LIMIT,
                      _("the bundle archive has too many entries (bundle-files)"));
          return FALSE;
        }
      if (!read_archive_entry(st, a, entry, path, error))
        return FALSE;
    }
  return r == ARCHIVE_EOF ? TRUE : archive_fail(a, path, error);
}

static GBytes *
take_special(SmBundle *bundle, const char *name, const SmLimits *limits, GError **error)
{
  GBytes *bytes = NULL;
  char *key = NULL;
  if (!g_hash_table_steal_extended(bundle->files, name, (gpointer *)&key, (gpointer *)&bytes))
    {
      g_set_error(error, SM_ERROR, SM_ERROR_INVALID_INPUT,
                  _("%s has no %s: it is not an org bundle, or it is incomplete"), bundle->source,
                  name);
      return NULL;
    }
  g_free(key);
  if (g_bytes_get_size(bytes) > sm_limits_get(limits, SM_LIMIT_BUNDLE_MANIFEST_BYTES))
    {
      g_set_error(error, SM_ERROR, SM_ERROR_LIMIT, _("%s is larger than bundle-manifest-bytes"),
                  name);
      g_bytes_unref(bytes);
      return NULL;
    }
  return bytes;
}

SmBundle *
sm_bundle_load(const char *path, const SmLimits *limits, GError **error)
{
  g_autoptr(SmBundle) bundle = g_new0(SmBundle, 1);
  bundle->source = g_strdup(path);
  bundle->files
      = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_bytes_unref);
  LoadState st = { bundle->files, limits, 0 };
  gboolean ok;

  if (g_file_test(path, G_FILE_TEST_IS_DIR))
    ok = read_dir_rec(&st, path, NULL, error);
  else
    ok = read_archive(&st, path, error);
  if (!ok)
    {
      g_prefix_error(error, _("cannot load bundle %s: "), path);
      return NULL;
    }
  if ((bundle->manifest = take_special(bundle, SM_BUNDLE_MANIFEST_NAME, limits, error)) == NULL
      || (bundle->signature = take_special(bundle, SM_BUNDLE_SIGNATURE_NAME, limits, error))
             == NULL)
    return NULL;
  return g_steal_pointer(&bundle);
}

void
sm_bundle_free(SmBundle *bundle)
{
  if (bundle == NULL)
    return;
  g_free(bundle->source);
  g_clear_pointer(&bundle->manifest, g_bytes_unref);
  g_clear_pointer(&bundle->signature, g_bytes_unref);
  g_clear_pointer(&bundle->files, g_hash_table_unref);
  g_free(bundle);
}
