/* sm-bundle: the org bundle manifest (certs/README.md): parsing, checking and writing it, and
 * the small pure helpers every other part of the module uses (paths, hashes, roles,
 * fingerprints, default locations).
 *
 * The manifest is untrusted until its signature has been checked, and parsed before that, so
 * the parser refuses everything it does not know: unknown groups or keys, unsafe paths, bad
 * hashes, impossible dates. Limits: bundle-manifest-bytes, bundle-files, bundle-path-bytes. */
#include "sm-bundle.h"
#include "sm-error.h"

#include <inttypes.h>
#include <glib/gi18n.h>
#include <string.h>

#define GROUP_BUNDLE "bundle"
#define GROUP_FILES "files"
#define SHA256_HEX_LEN 64

static const char *const role_names[] = {
  [SM_BUNDLE_ROLE_CA_CERTIFICATE] = "ca-certificate",
  [SM_BUNDLE_ROLE_USER_CERTIFICATE] = "user-certificate",
  [SM_BUNDLE_ROLE_OPENPGP_KEY] = "openpgp-key",
  [SM_BUNDLE_ROLE_POLICY] = "policy",
};

static const char *const bundle_keys[]
    = { "format", "version", "issuer", "not-before", "not-after", "description" };

const char *
sm_bundle_role_to_string(SmBundleRole role)
{
  g_return_val_if_fail(role < G_N_ELEMENTS(role_names), NULL);
  return role_names[role];
}

gboolean
sm_bundle_role_from_string(const char *text, SmBundleRole *role)
{
  for (gsize i = 0; i < G_N_ELEMENTS(role_names); i++)
    {
      if (g_strcmp0(text, role_names[i]) == 0)
        {
          *role = i;
          return TRUE;
        }
    }
  return FALSE;
}

static gboolean
component_char_ok(char c, gboolean first)
{
  if (g_ascii_isalnum(c) || c == '_')
    return TRUE;
  return !first && (c == '.' || c == '-');
}

gboolean
sm_bundle_path_is_safe(const char *path, gsize max_bytes)
{
  gsize len = 0;
  gboolean at_start = TRUE;

  if (path == NULL || *path == '\0')
    return FALSE;
  for (const char *p = path; *p != '\0'; p++, len++)
    {
      if (len >= max_bytes)
        return FALSE;
      if (*p == '/')
        {
          /* empty component: leading '/', "//" */
          if (at_start)
            return FALSE;
          at_start = TRUE;
          continue;
        }
      if (!component_char_ok(*p, at_start))
        return FALSE;
      at_start = FALSE;
    }
  /* a trailing '/' names a directory, not a file */
  return !at_start;
}

char *
sm_bundle_sha256_hex(const void *data, gsize len)
{
  return g_compute_checksum_for_data(G_CHECKSUM_SHA256, data, len);
}

static gboolean
is_sha256_hex(const char *text)
{
  if (strlen(text) != SHA256_HEX_LEN)
    return FALSE;
  for (const char *p = text; *p != '\0'; p++)
    if (!g_ascii_isxdigit(*p))
      return FALSE;
  return TRUE;
}

char *
sm_bundle_normalize_fingerprint(const char *text)
{
  g_autoptr(GString) out = g_string_new(NULL);

  if (text == NULL)
    return NULL;
  if (g_str_has_prefix(text, "0x") || g_str_has_prefix(text, "0X"))
    text += 2;
  for (const char *p = text; *p != '\0'; p++)
    {
      if (*p == ' ' || *p == ':')
        continue;
      if (!g_ascii_isxdigit(*p) || out->len >= 64)
        return NULL;
      g_string_append_c(out, g_ascii_toupper(*p));
    }
  if (out->len != 40 && out->len != 64)
    return NULL;
  return g_string_free(g_steal_pointer(&out), FALSE);
}

static void
entry_free(gpointer data)
{
  SmBundleEntry *entry = data;
  g_free(entry->path);
  g_free(entry->sha256);
  g_free(entry);
}

SmBundleManifest *
sm_bundle_manifest_new(void)
{
  SmBundleManifest *manifest = g_new0(SmBundleManifest, 1);
  manifest->format = SM_BUNDLE_FORMAT;
  manifest->files = g_ptr_array_new_with_free_func(entry_free);
  return manifest;
}

void
sm_bundle_manifest_free(SmBundleManifest *manifest)
{
  if (manifest == NULL)
    return;
  g_free(manifest->issuer);
  g_free(manifest->description);
  g_clear_pointer(&manifest->not_before, g_date_time_unref);
  g_clear_pointer(&manifest->not_after, g_date_time_unref);
  g_ptr_array_unref(manifest->files);
  g_free(manifest);
}

const SmBundleEntry *
sm_bundle_manifest_lookup(const SmBundleManifest *manifest, const char *path)
{
  for (guint i = 0; i < manifest->files->len; i++)
    {
      const SmBundleEntry *entry = g_ptr_array_index(manifest->files, i);
      if (strcmp(entry->path, path) == 0)
        return entry;
    }
  return NULL;
}

static gboolean
invalid(GError **error, const char *message)
{
  g_set_error_literal(error, SM_ERROR, SM_ERROR_INVALID_INPUT, message);
  return FALSE;
}

static gboolean
get_unsigned(GKeyFile *kf, const char *key, guint64 min, guint64 max, guint64 *out, GError **error)
{
  g_autofree char *text = g_key_file_get_string(kf, GROUP_BUNDLE, key, NULL);
  if (text == NULL || !g_ascii_string_to_unsigned(g_strstrip(text), 10, min, max, out, NULL))
    {
      g_set_error(
          error, SM_ERROR, SM_ERROR_INVALID_INPUT,
          _("[bundle] %s must be a whole number from %" PRIu64 " to %" PRIu64),
          key, min, max);
      return FALSE;
    }
  return TRUE;
}

static GDateTime *
get_date(GKeyFile *kf, const char *key, GError **error)
{
  g_autofree char *text = g_key_file_get_string(kf, GROUP_BUNDLE, key, NULL);
  g_autoptr(GTimeZone) utc = g_time_zone_new_utc();
  GDateTime *date = text != NULL ? g_date_time_new_from_iso8601(g_strstrip(text), utc) : NULL;
  if (date == NULL)
    g_set_error(error, SM_ERROR, SM_ERROR_INVALID_INPUT,
                _("[bundle] %s must be an ISO 8601 date and time, e.g. 2027-01-31T00:00:00Z"), key);
  return date;
}

static gboolean
check_known_keys(GKeyFile *kf, GError **error)
{
  g_auto(GStrv) keys = g_key_file_get_keys(kf, GROUP_BUNDLE, NULL, NULL);
  for (gsize i = 0; keys != NULL && keys[i] != NULL; i++)
    {
      for (gsize j = 0; j < i; j++)
        if (strcmp(keys[i], keys[j]) == 0)
          return invalid(error, _("[bundle] of the manifest sets a key twice"));
      if (!g_strv_contains(bundle_keys, keys[i]))
        {
          g_autofree char *shown = g_strescape(keys[i], NULL);
          g_set_error(error, SM_ERROR, SM_ERROR_INVALID_INPUT,
                      _("unknown key '%.64s' in [bundle] of the manifest"), shown);
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
parse_header(GKeyFile *kf, SmBundleManifest *m, GError **error)
{
  guint64 format = 0;

  if (!g_key_file_has_group(kf, GROUP_BUNDLE))
    return invalid(error, _("the manifest has no [bundle] group"));
  if (!check_known_keys(kf, error))
    return FALSE;
  if (!get_unsigned(kf, "format", 1, G_MAXUINT, &format, error))
    return FALSE;
  if (format != SM_BUNDLE_FORMAT)
    {
      g_set_error(error, SM_ERROR, SM_ERROR_INVALID_INPUT,
                  _("bundle format %" PRIu64 " is not supported (this sealmail reads "
                    "format %d): update sealmail"),
                  format, SM_BUNDLE_FORMAT);
      return FALSE;
    }
  m->format = format;
  if (!get_unsigned(kf, "version", 1, G_MAXINT64, &m->version, error))
    return FALSE;
  m->issuer = g_key_file_get_string(kf, GROUP_BUNDLE, "issuer", NULL);
  if (m->issuer == NULL || *g_strstrip(m->issuer) == '\0')
    return invalid(error, _("[bundle] issuer is missing"));
  m->description = g_key_file_get_string(kf, GROUP_BUNDLE, "description", NULL);
  if ((m->not_before = get_date(kf, "not-before", error)) == NULL
      || (m->not_after = get_date(kf, "not-after", error)) == NULL)
    return FALSE;
  if (g_date_time_compare(m->not_before, m->not_after) >= 0)
    return invalid(error, _("[bundle] not-after must be later than not-before"));
  return TRUE;
}

static SmBundleEntry *
parse_entry(GKeyFile *kf, const char *path, const SmLimits *limits, GError **error)
{
  g_autofree char *value = NULL;
  g_auto(GStrv) parts = NULL;
  SmBundleRole role;
  g_autofree char *shown = g_strescape(path, NULL);

  if (!sm_bundle_path_is_safe(path, sm_limits_get(limits, SM_LIMIT_BUNDLE_PATH_BYTES))
      || strcmp(path, SM_BUNDLE_MANIFEST_NAME) == 0 || strcmp(path, SM_BUNDLE_SIGNATURE_NAME) == 0)
    {
      g_set_error(error, SM_ERROR, SM_ERROR_INVALID_INPUT,
                  _("the manifest lists an unsafe or reserved path '%.80s'"), shown);
      return NULL;
    }
  value = g_key_file_get_string(kf, GROUP_FILES, path, NULL);
  parts = value != NULL ? g_strsplit(value, ";", 3) : NULL;
  if (parts == NULL || g_strv_length(parts) != 2)
    {
      g_set_error(error, SM_ERROR, SM_ERROR_INVALID_INPUT, _("[files] %.80s must be ROLE;SHA256"),
                  shown);
      return NULL;
    }
  if (!sm_bundle_role_from_string(g_strstrip(parts[0]), &role))
    {
      g_set_error(error, SM_ERROR, SM_ERROR_INVALID_INPUT,
                  _("[files] %.80s has an unknown role; known roles are ca-certificate, "
                    "user-certificate, openpgp-key and policy"),
                  shown);
      return NULL;
    }
  if (!is_sha256_hex(g_strstrip(parts[1])))
    {
      g_set_error(error, SM_ERROR, SM_ERROR_INVALID_INPUT,
                  _("[files] %.80s: the SHA-256 must be 64 hexadecimal digits"), shown);
      return NULL;
    }
  SmBundleEntry *entry = g_new0(SmBundleEntry, 1);
  entry->path = g_strdup(path);
  entry->role = role;
  entry->sha256 = g_ascii_strdown(parts[1], -1);
  return entry;
}

static gboolean
parse_files(GKeyFile *kf, SmBundleManifest *m, const SmLimits *limits, GError **error)
{
  gsize n = 0;
  guint policies = 0;
  g_auto(GStrv) keys = g_key_file_get_keys(kf, GROUP_FILES, &n, NULL);
  /* the manifest and its signature count against the same limit */
  guint64 max = sm_limits_get(limits, SM_LIMIT_BUNDLE_FILES);

  if (keys == NULL || n == 0)
    return invalid(error, _("the manifest lists no files in [files]"));
  if (n + 2 > max)
    {
      g_set_error(error, SM_ERROR, SM_ERROR_LIMIT,
                  _("the manifest lists %zu"
                    " files; the limit bundle-files is %" PRIu64),
                  n, max);
      return FALSE;
    }
  for (gsize i = 0; i < n; i++)
    {
      /* a repeated key or [files] group would let a second value win silently */
      if (sm_bundle_manifest_lookup(m, keys[i]) != NULL)
        return invalid(error, _("the manifest lists the same path twice"));
      SmBundleEntry *entry = parse_entry(kf, keys[i], limits, error);
      if (entry == NULL)
        return FALSE;
      if (entry->role == SM_BUNDLE_ROLE_POLICY)
        policies++;
      g_ptr_array_add(m->files, entry);
    }
  if (policies > 1)
    return invalid(error, _("the manifest lists more than one policy file"));
  return TRUE;
}

SmBundleManifest *
sm_bundle_manifest_parse(const char *data, gsize len, const SmLimits *limits, GError **error)
{
  g_autoptr(GKeyFile) kf = g_key_file_new();
  g_autoptr(SmBundleManifest) m = sm_bundle_manifest_new();
  g_auto(GStrv) groups = NULL;
  g_autoptr(GError) local = NULL;
  guint64 max = sm_limits_get(limits, SM_LIMIT_BUNDLE_MANIFEST_BYTES);

  if (len > max)
    {
      g_set_error(error, SM_ERROR, SM_ERROR_LIMIT,
                  _("the manifest is larger than bundle-manifest-bytes (%" PRIu64 ")"),
                  max);
      return NULL;
    }
  if (memchr(data, '\0', len) != NULL || !g_utf8_validate(data, len, NULL))
    {
      invalid(error, _("the manifest is not UTF-8 text"));
      return NULL;
    }
  if (!g_key_file_load_from_data(kf, data, len, G_KEY_FILE_NONE, &local))
    {
      g_set_error(error, SM_ERROR, SM_ERROR_INVALID_INPUT,
                  _("the manifest is not a valid key file: %s"), local->message);
      return NULL;
    }
  groups = g_key_file_get_groups(kf, NULL);
  for (gsize i = 0; groups[i] != NULL; i++)
    {
      if (strcmp(groups[i], GROUP_BUNDLE) != 0 && strcmp(groups[i], GROUP_FILES) != 0)
        {
          invalid(error, _("the manifest has a group other than [bundle] and [files]"));
          return NULL;
        }
    }
  if (!parse_header(kf, m, error) || !parse_files(kf, m, limits, error))
    return NULL;
  return g_steal_pointer(&m);
}

static char *
format_date(GDateTime *date)
{
  g_autoptr(GDateTime) utc = g_date_time_to_utc(date);
  /* not g_date_time_format("%Y"): it does not pad years before 1000, which ISO 8601 needs */
  return g_strdup_printf("%04d-%02d-%02dT%02d:%02d:%02dZ", g_date_time_get_year(utc),
                         g_date_time_get_month(utc), g_date_time_get_day_of_month(utc),
                         g_date_time_get_hour(utc), g_date_time_get_minute(utc),
                         g_date_time_get_second(utc));
}

char *
sm_bundle_manifest_to_data(const SmBundleManifest *manifest, gsize *length)
{
  g_autoptr(GKeyFile) kf = g_key_file_new();
  g_autofree char *nb = format_date(manifest->not_before);
  g_autofree char *na = format_date(manifest->not_after);

  g_key_file_set_uint64(kf, GROUP_BUNDLE, "format", manifest->format);
  g_key_file_set_uint64(kf, GROUP_BUNDLE, "version", manifest->version);
  g_key_file_set_string(kf, GROUP_BUNDLE, "issuer", manifest->issuer);
  g_key_file_set_string(kf, GROUP_BUNDLE, "not-before", nb);
  g_key_file_set_string(kf, GROUP_BUNDLE, "not-after", na);
  if (manifest->description != NULL)
    g_key_file_set_string(kf, GROUP_BUNDLE, "description", manifest->description);
  g_key_file_set_comment(kf, GROUP_BUNDLE, NULL,
                         " sealmail organisation bundle manifest (certs/README.md)", NULL);
  for (guint i = 0; i < manifest->files->len; i++)
    {
      const SmBundleEntry *e = g_ptr_array_index(manifest->files, i);
      g_autofree char *value
          = g_strdup_printf("%s;%s", sm_bundle_role_to_string(e->role), e->sha256);
      g_key_file_set_string(kf, GROUP_FILES, e->path, value);
    }
  return g_key_file_to_data(kf, length, NULL);
}

gboolean
sm_bundle_manifest_check_period(const SmBundleManifest *manifest, GDateTime *now, GError **error)
{
  g_autoptr(GDateTime) current = now != NULL ? g_date_time_ref(now) : g_date_time_new_now_utc();

  if (g_date_time_compare(current, manifest->not_before) < 0)
    {
      g_autofree char *when = format_date(manifest->not_before);
      g_set_error(error, SM_ERROR, SM_ERROR_POLICY,
                  _("the bundle is not valid before %s; check this computer's clock or ask IT "
                    "for a current bundle"),
                  when);
      return FALSE;
    }
  if (g_date_time_compare(current, manifest->not_after) > 0)
    {
      g_autofree char *when = format_date(manifest->not_after);
      g_set_error(error, SM_ERROR, SM_ERROR_POLICY,
                  _("the bundle expired on %s; ask IT for a current bundle"), when);
      return FALSE;
    }
  return TRUE;
}

char *
sm_bundle_default_state_dir(void)
{
  return g_build_filename(g_get_user_data_dir(), "sealmail", "bundle", NULL);
}

char *
sm_bundle_default_org_policy_path(void)
{
  return g_build_filename(g_get_user_config_dir(), "sealmail", "org-policy.conf", NULL);
}

static char *
config_path(GKeyFile *config, const char *key)
{
  g_autofree char *value
      = config != NULL ? g_key_file_get_string(config, "bundle", key, NULL) : NULL;
  if (value == NULL || *g_strstrip(value) == '\0')
    return NULL;
  if (g_str_has_prefix(value, "~/"))
    return g_build_filename(g_get_home_dir(), value + 2, NULL);
  return g_steal_pointer(&value);
}

char *
sm_bundle_config_state_dir(GKeyFile *config)
{
  char *path = config_path(config, "state-dir");
  return path != NULL ? path : sm_bundle_default_state_dir();
}

char *
sm_bundle_config_org_policy_path(GKeyFile *config)
{
  char *path = config_path(config, "org-policy");
  return path != NULL ? path : sm_bundle_default_org_policy_path();
}
