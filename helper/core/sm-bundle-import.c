/* sm-bundle-import: installs a verified org bundle for one user (`sealmail bundle import`).
 *
 * Order matters: the pinned key, the rollback rule and the whole of sm_bundle_verify() are
 * checked before anything changes. Then OpenPGP keys go into the user's GnuPG home, S/MIME
 * certificates into gpgsm, CA fingerprints into gpgsm's trustlist.txt ("FPR S", or
 * "FPR S relax" for roots without basicConstraints; "!FPR" lines the user wrote are
 * respected), the policy file to the org-policy location, and last the state: `pinned`,
 * `installed.ini` (read by sm-keys: [keys] openpgp/smime) and a copy of the manifest.
 * Every file is written through a temp file + rename. */
#include "sm-autocleanups.h"
#include "sm-bundle-private.h"
#include "sm-error.h"
#include "sm-json.h"

#include <inttypes.h>
#include <errno.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <string.h>

#define PINNED_NAME "pinned"
#define INSTALLED_NAME "installed.ini"
#define TRUSTLIST_NAME "trustlist.txt"

typedef enum
{
  CHANGE_UNCHANGED,
  CHANGE_UPDATED,
  CHANGE_ADDED
} KeyChange;

gboolean
sm_bundle_write_atomic(const char *path, const char *data, gsize len, int mode, GError **error)
{
  g_autofree char *parent = g_path_get_dirname(path);
  if (g_mkdir_with_parents(parent, 0700) != 0)
    {
      g_set_error(error, SM_ERROR, SM_ERROR_IO, _("cannot create %s: %s"), parent,
                  g_strerror(errno));
      return FALSE;
    }
  if (!g_file_set_contents_full(path, data, len, G_FILE_SET_CONTENTS_CONSISTENT, mode, error))
    {
      g_prefix_error(error, _("cannot write %s: "), path);
      return FALSE;
    }
  return TRUE;
}

/* Reads a small file of the user's (pinned, trustlist.txt, the installed policy), bounded by
 * bundle-file-bytes; a missing file is not an error (*contents = NULL). */
static gboolean
read_own_file(const char *path, const SmLimits *limits, char **contents, gsize *len, GError **error)
{
  GStatBuf sb;
  *contents = NULL;
  *len = 0;
  if (g_stat(path, &sb) != 0)
    return TRUE;
  if ((guint64)sb.st_size > sm_limits_get(limits, SM_LIMIT_BUNDLE_FILE_BYTES))
    {
      g_set_error(error, SM_ERROR, SM_ERROR_LIMIT,
                  _("%s is larger than bundle-file-bytes; check what it holds"), path);
      return FALSE;
    }
  return g_file_get_contents(path, contents, len, error);
}

static gboolean
read_pinned(const char *state_dir, const SmLimits *limits, char **pinned, GError **error)
{
  g_autofree char *path = g_build_filename(state_dir, PINNED_NAME, NULL);
  g_autofree char *text = NULL;
  gsize len = 0;

  *pinned = NULL;
  if (!read_own_file(path, limits, &text, &len, error))
    return FALSE;
  if (text == NULL)
    return TRUE;
  *pinned = sm_bundle_normalize_fingerprint(g_strstrip(text));
  if (*pinned == NULL)
    {
      g_set_error(error, SM_ERROR, SM_ERROR_INVALID_INPUT,
                  _("%s does not hold a fingerprint; remove it and import again with --trust"),
                  path);
      return FALSE;
    }
  return TRUE;
}

GKeyFile *
sm_bundle_status(const char *state_dir, char **pinned, GError **error)
{
  g_autofree char *dir = state_dir != NULL ? g_strdup(state_dir) : sm_bundle_default_state_dir();
  g_autofree char *path = g_build_filename(dir, INSTALLED_NAME, NULL);
  g_autoptr(GKeyFile) kf = g_key_file_new();

  if (pinned != NULL && !read_pinned(dir, NULL, pinned, error))
    return NULL;
  if (g_file_test(path, G_FILE_TEST_EXISTS)
      && !g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, error))
    {
      g_prefix_error(error, _("cannot read %s: "), path);
      return NULL;
    }
  return g_steal_pointer(&kf);
}

static gint
compare_strings(gconstpointer a, gconstpointer b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
note_change(GHashTable *changes, const char *fpr, KeyChange change)
{
  g_autofree char *key = g_ascii_strup(fpr, -1);
  KeyChange old = GPOINTER_TO_INT(g_hash_table_lookup(changes, key)) - 1;
  if (!g_hash_table_contains(changes, key) || change > old)
    g_hash_table_insert(changes, g_steal_pointer(&key), GINT_TO_POINTER(change + 1));
}

static GPtrArray *
changes_with(GHashTable *changes, KeyChange wanted)
{
  GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
  GHashTableIter iter;
  gpointer key, value;
  g_hash_table_iter_init(&iter, changes);
  while (g_hash_table_iter_next(&iter, &key, &value))
    if (GPOINTER_TO_INT(value) - 1 == (int)wanted)
      g_ptr_array_add(out, g_strdup(key));
  g_ptr_array_sort(out, compare_strings);
  return out;
}

/* gpgsm also reports the issuers of an imported certificate: for certificates only the
 * file's own fingerprint (@only) counts. */
static gboolean
import_file(gpgme_ctx_t ctx, const SmBundleEntry *e, GBytes *bytes, const char *only,
            GHashTable *changes, GError **error)
{
  g_auto(gpgme_data_t) data = NULL;
  gsize len = 0;
  const char *p = g_bytes_get_data(bytes, &len);

  if (!sm_error_from_gpgme(error, gpgme_data_new_from_mem(&data, p, len, 0), "gpgme")
      || !sm_error_from_gpgme(error, gpgme_op_import(ctx, data), e->path))
    return FALSE;
  gpgme_import_result_t r = gpgme_op_import_result(ctx);
  if (only != NULL)
    note_change(changes, only, CHANGE_UNCHANGED);
  for (gpgme_import_status_t s = r != NULL ? r->imports : NULL; s != NULL; s = s->next)
    {
      if (s->result != 0 || s->fpr == NULL)
        return sm_error_from_gpgme(error, s->result != 0 ? s->result : GPG_ERR_GENERAL, e->path);
      if (only != NULL && g_ascii_strcasecmp(s->fpr, only) != 0)
        continue;
      if (s->status & GPGME_IMPORT_NEW)
        note_change(changes, s->fpr, CHANGE_ADDED);
      else if (s->status & (GPGME_IMPORT_UID | GPGME_IMPORT_SIG | GPGME_IMPORT_SUBKEY))
        note_change(changes, s->fpr, CHANGE_UPDATED);
      else
        note_change(changes, s->fpr, CHANGE_UNCHANGED);
    }
  return TRUE;
}

/* Imports every file of @role with @protocol; @changes collects fingerprint -> KeyChange. */
static gboolean
import_role(SmBundle *bundle, const SmBundleManifest *m, gpgme_protocol_t protocol,
            SmBundleRole role, const char *home, GHashTable *changes, GError **error)
{
  g_auto(gpgme_ctx_t) ctx = sm_bundle_gpgme_new(protocol, home, error);
  if (ctx == NULL)
    return FALSE;
  for (guint i = 0; i < m->files->len; i++)
    {
      const SmBundleEntry *e = g_ptr_array_index(m->files, i);
      GBytes *bytes = g_hash_table_lookup(bundle->files, e->path);
      g_autofree char *fpr = NULL;
      SmBundleCertKind kind;
      if (e->role != role)
        continue;
      if (protocol == GPGME_PROTOCOL_CMS && !sm_bundle_parse_certificate(bytes, &fpr, &kind, error))
        return FALSE;
      if (!import_file(ctx, e, bytes, fpr, changes, error))
        return FALSE;
    }
  return TRUE;
}

static char *
gnupg_home(const char *home)
{
  if (home != NULL)
    return g_strdup(home);
  const char *dir = gpgme_get_dirinfo("homedir");
  return dir != NULL ? g_strdup(dir) : g_build_filename(g_get_home_dir(), ".gnupg", NULL);
}

/* Fingerprints in trustlist.txt: @trusted and @distrusted ("!FPR" lines). */
static void
parse_trustlist(const char *text, GHashTable *trusted, GHashTable *distrusted)
{
  g_auto(GStrv) lines = g_strsplit(text != NULL ? text : "", "\n", -1);
  for (gsize i = 0; lines[i] != NULL; i++)
    {
      char *line = g_strstrip(lines[i]);
      gboolean negated = line[0] == '!';
      if (negated)
        line++;
      if (line[0] == '#' || line[0] == '\0')
        continue;
      g_auto(GStrv) fields = g_strsplit_set(line, " \t", 2);
      char *fpr = sm_bundle_normalize_fingerprint(fields[0]);
      if (fpr != NULL)
        g_hash_table_add(negated ? distrusted : trusted, fpr);
    }
}

/* Asks a running gpg-agent to re-read trustlist.txt; nothing to do when none runs. */
static void
reload_agent(const char *home)
{
  const char *with_home[] = { "gpgconf", "--homedir", home, "--reload", "gpg-agent", NULL };
  const char *without[] = { "gpgconf", "--reload", "gpg-agent", NULL };
  g_spawn_sync(NULL, (char **)(home != NULL ? with_home : without), NULL,
               G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL, NULL,
               NULL, NULL, NULL, NULL, NULL);
}

static gboolean
trust_cas(SmBundle *bundle, const SmBundleManifest *m, const char *home, const SmLimits *limits,
          SmBundleReport *report, GError **error)
{
  g_autofree char *dir = gnupg_home(home);
  g_autofree char *path = g_build_filename(dir, TRUSTLIST_NAME, NULL);
  g_autofree char *old = NULL;
  gsize len = 0;
  g_autoptr(GHashTable) trusted = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) distrusted = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

  if (!read_own_file(path, limits, &old, &len, error))
    return FALSE;
  parse_trustlist(old, trusted, distrusted);
  g_autoptr(GString) text = g_string_new_len(old != NULL ? old : "", len);
  if (text->len > 0 && text->str[text->len - 1] != '\n')
    g_string_append_c(text, '\n');
  for (guint i = 0; i < m->files->len; i++)
    {
      const SmBundleEntry *e = g_ptr_array_index(m->files, i);
      g_autofree char *fpr = NULL;
      SmBundleCertKind kind;
      if (e->role != SM_BUNDLE_ROLE_CA_CERTIFICATE)
        continue;
      if (!sm_bundle_parse_certificate(g_hash_table_lookup(bundle->files, e->path), &fpr, &kind,
                                       error))
        return FALSE;
      if (g_hash_table_contains(distrusted, fpr))
        {
          g_ptr_array_add(report->ca_distrusted, g_strdup(fpr));
        }
      else if (g_hash_table_contains(trusted, fpr))
        {
          g_ptr_array_add(report->ca_already_trusted, g_strdup(fpr));
        }
      else
        {
          g_autofree char *issuer = sm_json_sanitize(report->issuer, -1, 120);
          g_string_append_printf(text, "# %s (sealmail bundle %" G_GUINT64_FORMAT ", %s)\n%s S%s\n",
                                 e->path, report->version, issuer, fpr,
                                 kind == SM_BUNDLE_CERT_CA_RELAXED ? " relax" : "");
          g_hash_table_add(trusted, g_strdup(fpr));
          g_ptr_array_add(report->ca_trusted, g_strdup(fpr));
        }
    }
  if (report->ca_trusted->len == 0)
    return TRUE;
  if (!sm_bundle_write_atomic(path, text->str, text->len, 0600, error))
    return FALSE;
  reload_agent(home);
  return TRUE;
}

static gboolean
install_policy(SmBundle *bundle, const SmBundleManifest *m, const char *path,
               const SmLimits *limits, SmBundleReport *report, GError **error)
{
  g_autofree char *old = NULL;
  gsize old_len = 0;

  for (guint i = 0; i < m->files->len; i++)
    {
      const SmBundleEntry *e = g_ptr_array_index(m->files, i);
      if (e->role != SM_BUNDLE_ROLE_POLICY)
        continue;
      GBytes *bytes = g_hash_table_lookup(bundle->files, e->path);
      gsize len = 0;
      const char *data = g_bytes_get_data(bytes, &len);
      report->policy_path = g_strdup(path);
      if (!read_own_file(path, limits, &old, &old_len, error))
        return FALSE;
      if (old != NULL && old_len == len && memcmp(old, data, len) == 0)
        {
          report->policy = SM_BUNDLE_POLICY_UNCHANGED;
          return TRUE;
        }
      report->policy = old != NULL ? SM_BUNDLE_POLICY_UPDATED : SM_BUNDLE_POLICY_INSTALLED;
      return sm_bundle_write_atomic(path, data, len, 0644, error);
    }
  report->policy = SM_BUNDLE_POLICY_NONE;
  return TRUE;
}

static char *
join_fingerprints(GPtrArray *a, GPtrArray *b, GPtrArray *c)
{
  g_autoptr(GPtrArray) all = g_ptr_array_new();
  GPtrArray *parts[] = { a, b, c };
  for (gsize i = 0; i < G_N_ELEMENTS(parts); i++)
    for (guint j = 0; parts[i] != NULL && j < parts[i]->len; j++)
      g_ptr_array_add(all, g_ptr_array_index(parts[i], j));
  g_ptr_array_sort(all, compare_strings);
  g_ptr_array_add(all, NULL);
  return g_strjoinv(";", (char **)all->pdata);
}

static gboolean
write_state(const char *state_dir, SmBundle *bundle, const SmBundleVerification *v,
            const char *manifest_sha, SmBundleReport *r, GError **error)
{
  g_autoptr(GKeyFile) kf = g_key_file_new();
  g_autoptr(GDateTime) now = g_date_time_new_now_utc();
  g_autofree char *at = g_date_time_format(now, "%Y-%m-%dT%H:%M:%SZ");
  g_autofree char *openpgp
      = join_fingerprints(r->openpgp_added, r->openpgp_updated, r->openpgp_unchanged);
  g_autofree char *smime = join_fingerprints(r->smime_added, r->smime_unchanged, NULL);
  g_autofree char *cas = join_fingerprints(r->ca_trusted, r->ca_already_trusted, NULL);
  g_autofree char *installed = g_build_filename(state_dir, INSTALLED_NAME, NULL);
  g_autofree char *pinned = g_build_filename(state_dir, PINNED_NAME, NULL);
  g_autofree char *copy = g_build_filename(state_dir, SM_BUNDLE_MANIFEST_NAME, NULL);
  g_autofree char *pin_line = g_strconcat(v->signer_fingerprint, "\n", NULL);
  gsize len = 0, mlen = 0;
  const char *mtext = g_bytes_get_data(bundle->manifest, &mlen);

  g_key_file_set_string(kf, "keys", "openpgp", openpgp);
  g_key_file_set_string(kf, "keys", "smime", smime);
  g_key_file_set_string(kf, "keys", "smime-ca", cas);
  g_key_file_set_uint64(kf, "bundle", "version", r->version);
  g_key_file_set_string(kf, "bundle", "issuer", r->issuer);
  g_key_file_set_string(kf, "bundle", "imported-at", at);
  g_key_file_set_string(kf, "bundle", "signer", v->signer_fingerprint);
  g_key_file_set_string(kf, "bundle", "protocol",
                        v->protocol == SM_PROTO_OPENPGP ? "openpgp" : "smime");
  g_key_file_set_string(kf, "bundle", "manifest-sha256", manifest_sha);
  if (r->policy_path != NULL)
    g_key_file_set_string(kf, "bundle", "org-policy", r->policy_path);
  g_autofree char *text = g_key_file_to_data(kf, &len, NULL);
  return (!r->newly_pinned
          || sm_bundle_write_atomic(pinned, pin_line, strlen(pin_line), 0644, error))
         && sm_bundle_write_atomic(copy, mtext, mlen, 0644, error)
         && sm_bundle_write_atomic(installed, text, len, 0644, error);
}

static SmBundleReport *
report_new(const SmBundleVerification *v)
{
  SmBundleReport *r = g_new0(SmBundleReport, 1);
  GPtrArray **lists[]
      = { &r->openpgp_added,   &r->openpgp_updated, &r->openpgp_unchanged,  &r->smime_added,
          &r->smime_unchanged, &r->ca_trusted,      &r->ca_already_trusted, &r->ca_distrusted };
  for (gsize i = 0; i < G_N_ELEMENTS(lists); i++)
    *lists[i] = g_ptr_array_new_with_free_func(g_free);
  r->signer_fingerprint = g_strdup(v->signer_fingerprint);
  r->issuer = g_strdup(v->manifest->issuer);
  r->version = v->manifest->version;
  return r;
}

/* The fingerprint the bundle must be signed by: the pinned one, or --trust on first import. */
static gboolean
expected_signer(const char *state_dir, const char *trust_arg, const SmLimits *limits, char **pinned,
                char **trust, GError **error)
{
  g_autofree char *pin_path = g_build_filename(state_dir, PINNED_NAME, NULL);

  if (!read_pinned(state_dir, limits, pinned, error))
    return FALSE;
  if (trust_arg != NULL && (*trust = sm_bundle_normalize_fingerprint(trust_arg)) == NULL)
    {
      g_set_error_literal(error, SM_ERROR, SM_ERROR_INVALID_INPUT,
                          _("--trust needs a fingerprint of 40 or 64 hexadecimal digits"));
      return FALSE;
    }
  if (*pinned != NULL && *trust != NULL && strcmp(*pinned, *trust) != 0)
    {
      g_set_error(error, SM_ERROR, SM_ERROR_POLICY,
                  _("the organisation key is already pinned to %s and --trust names another "
                    "key; if IT really changed its key, remove %s and import again with --trust"),
                  *pinned, pin_path);
      return FALSE;
    }
  return TRUE;
}

/* The rollback rule: lower versions are refused, the same version is a no-op only when it is
 * the very same manifest. Returns FALSE with an error, or TRUE with *@same set. */
static gboolean
check_version(GKeyFile *installed, const SmBundleVerification *v, const char *manifest_sha,
              SmBundleReport *report, gboolean *same, GError **error)
{
  guint64 prev = g_key_file_get_uint64(installed, "bundle", "version", NULL);
  g_autofree char *prev_sha = g_key_file_get_string(installed, "bundle", "manifest-sha256", NULL);

  report->previous_version = prev;
  *same = FALSE;
  if (v->manifest->version < prev)
    {
      g_set_error(error, SM_ERROR, SM_ERROR_POLICY,
                  _("this bundle is version %" PRIu64 ", older than the installed "
                    "version %" PRIu64 ": downgrades are refused (ask IT for the "
                    "current bundle)"),
                  v->manifest->version, prev);
      return FALSE;
    }
  if (v->manifest->version == prev)
    {
      if (g_strcmp0(prev_sha, manifest_sha) != 0)
        {
          g_set_error(error, SM_ERROR, SM_ERROR_POLICY,
                      _("a different bundle with the same version %" PRIu64 " is "
                        "already installed; IT must publish changes with a higher version"),
                      prev);
          return FALSE;
        }
      *same = TRUE;
    }
  return TRUE;
}

static gboolean
apply(SmBundle *bundle, const SmBundleVerification *v, const SmBundleImportOptions *o,
      const char *policy_path, const SmLimits *limits, SmBundleReport *r, GError **error)
{
  const SmBundleManifest *m = v->manifest;
  g_autoptr(GHashTable) pgp = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) cas = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) certs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

  if (!import_role(bundle, m, GPGME_PROTOCOL_OpenPGP, SM_BUNDLE_ROLE_OPENPGP_KEY, o->gnupg_home,
                   pgp, error)
      || !import_role(bundle, m, GPGME_PROTOCOL_CMS, SM_BUNDLE_ROLE_CA_CERTIFICATE, o->gnupg_home,
                      cas, error)
      || !import_role(bundle, m, GPGME_PROTOCOL_CMS, SM_BUNDLE_ROLE_USER_CERTIFICATE, o->gnupg_home,
                      certs, error))
    return FALSE;
  g_ptr_array_extend_and_steal(r->openpgp_added, changes_with(pgp, CHANGE_ADDED));
  g_ptr_array_extend_and_steal(r->openpgp_updated, changes_with(pgp, CHANGE_UPDATED));
  g_ptr_array_extend_and_steal(r->openpgp_unchanged, changes_with(pgp, CHANGE_UNCHANGED));
  g_ptr_array_extend_and_steal(r->smime_added, changes_with(certs, CHANGE_ADDED));
  g_ptr_array_extend_and_steal(r->smime_unchanged, changes_with(certs, CHANGE_UPDATED));
  g_ptr_array_extend_and_steal(r->smime_unchanged, changes_with(certs, CHANGE_UNCHANGED));
  return trust_cas(bundle, m, o->gnupg_home, limits, r, error)
         && install_policy(bundle, m, policy_path, limits, r, error);
}

SmBundleReport *
sm_bundle_import(const char *path, const SmBundleImportOptions *o, const SmLimits *limits,
                 GError **error)
{
  g_return_val_if_fail(path != NULL && o != NULL, NULL);

  g_autofree char *state_dir
      = o->state_dir != NULL ? g_strdup(o->state_dir) : sm_bundle_default_state_dir();
  g_autofree char *policy_path = o->org_policy_path != NULL ? g_strdup(o->org_policy_path)
                                                            : sm_bundle_default_org_policy_path();
  g_autofree char *pinned = NULL, *trust = NULL;
  gboolean same = FALSE;

  if (!expected_signer(state_dir, o->trust, limits, &pinned, &trust, error))
    return NULL;
  g_autoptr(SmBundle) bundle = sm_bundle_load(path, limits, error);
  if (bundle == NULL)
    return NULL;
  g_autoptr(SmBundleVerification) v
      = sm_bundle_verify(bundle, pinned != NULL ? pinned : trust, o->now, limits, error);
  if (v == NULL)
    return NULL;
  if (pinned == NULL && trust == NULL)
    {
      g_set_error(error, SM_ERROR, SM_ERROR_POLICY,
                  _("no organisation key is pinned yet. This bundle is signed by %s (%s). Check "
                    "that fingerprint with your IT department by phone or in person, then run: "
                    "sealmail bundle import --trust %s %s"),
                  v->signer_fingerprint, v->signer_name != NULL ? v->signer_name : "?",
                  v->signer_fingerprint, path);
      return NULL;
    }
  g_autoptr(GKeyFile) installed = sm_bundle_status(state_dir, NULL, error);
  gsize mlen = 0;
  const char *mtext = g_bytes_get_data(bundle->manifest, &mlen);
  g_autofree char *manifest_sha = sm_bundle_sha256_hex(mtext, mlen);
  g_autoptr(SmBundleReport) report = report_new(v);
  report->newly_pinned = pinned == NULL;
  if (installed == NULL || !check_version(installed, v, manifest_sha, report, &same, error))
    return NULL;
  if (same)
    {
      report->newly_pinned = FALSE;
      return g_steal_pointer(&report);
    }
  if (!apply(bundle, v, o, policy_path, limits, report, error)
      || !write_state(state_dir, bundle, v, manifest_sha, report, error))
    {
      g_prefix_error(error, _("the bundle was verified but installing it failed; importing it "
                              "again is safe: "));
      return NULL;
    }
  report->changed = TRUE;
  return g_steal_pointer(&report);
}
