/* Unit tests of sm-bundle: the manifest parser and writer, path safety, hashing, fingerprints,
 * the validity period, and the loader's refusal of traversal, links and over-limit bundles
 * (directories and tar archives written here with libarchive). Signatures and imports are
 * covered with real gpg/gpgsm by tests/integration/test-bundle.sh. */
#include "sm-bundle.h"
#include "sm-error.h"

#include <archive.h>
#include <archive_entry.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#define HASH_A "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

static const char *good_manifest = "# comment\n"
                                   "[bundle]\n"
                                   "format=1\n"
                                   "version=42\n"
                                   "issuer=Example Org IT <it@example.org>\n"
                                   "not-before=2026-01-01T00:00:00Z\n"
                                   "not-after=2027-01-01T00:00:00+01:00\n"
                                   "description=test\n"
                                   "[files]\n"
                                   "ca/root.pem=ca-certificate;" HASH_A "\n"
                                   "certs/alice.pem=user-certificate;" HASH_A "\n"
                                   "openpgp/org.asc = openpgp-key ; " HASH_A "\n"
                                   "policy/org.conf=policy;" HASH_A "\n";

static SmBundleManifest *
parse(const char *text, const SmLimits *limits, GError **error)
{
  return sm_bundle_manifest_parse(text, strlen(text), limits, error);
}

static SmLimits *
limits_with(const char *name, const char *value)
{
  g_autoptr(GKeyFile) kf = g_key_file_new();
  g_key_file_set_string(kf, "limits", name, value);
  SmLimits *limits = sm_limits_new(kf, NULL);
  g_assert_nonnull(limits);
  return limits;
}

static void
test_path_safety(void)
{
  const char *good[] = { "a", "ca/root.pem", "a_b-c.d", "x/y/z.asc", "A9/_x" };
  const char *bad[] = { "",      "/etc/passwd", "../x",  "a/../b", "./a",  "a//b", "a/", ".hidden",
                        "a/.b",  "a\\b",        "a b",   "-x",     "a/-b", "..",   ".",  "a/..",
                        "é.pem", "a\nb",        "a[de]", "C:/x",   "a;b",  "a=b" };
  for (gsize i = 0; i < G_N_ELEMENTS(good); i++)
    g_assert_true(sm_bundle_path_is_safe(good[i], 255));
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++)
    g_assert_false(sm_bundle_path_is_safe(bad[i], 255));
  g_assert_true(sm_bundle_path_is_safe("abcd", 4));
  g_assert_false(sm_bundle_path_is_safe("abcde", 4));
  g_assert_false(sm_bundle_path_is_safe(NULL, 255));
}

static void
test_hash_and_fingerprint(void)
{
  g_autofree char *h = sm_bundle_sha256_hex("abc", 3); /* FIPS 180-2, appendix B.1 */
  g_assert_cmpstr(h, ==, HASH_A);
  g_autofree char *f1
      = sm_bundle_normalize_fingerprint("a1fd fe58:9e50 3999 9271 3df9 fc1c 7722 7175 b203");
  g_assert_cmpstr(f1, ==, "A1FDFE589E50399992713DF9FC1C77227175B203");
  g_autofree char *f2
      = sm_bundle_normalize_fingerprint("0xA1FDFE589E50399992713DF9FC1C77227175B203");
  g_assert_cmpstr(f2, ==, "A1FDFE589E50399992713DF9FC1C77227175B203");
  const char *bad[] = { "", "A1FD", "G1FDFE589E50399992713DF9FC1C77227175B203",
                        "A1FDFE589E50399992713DF9FC1C77227175B2030" };
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++)
    g_assert_null(sm_bundle_normalize_fingerprint(bad[i]));
}

static void
test_parse_good(void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SmBundleManifest) m = parse(good_manifest, NULL, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(m->version, ==, 42);
  g_assert_cmpstr(m->issuer, ==, "Example Org IT <it@example.org>");
  g_assert_cmpuint(m->files->len, ==, 4);
  const SmBundleEntry *e = sm_bundle_manifest_lookup(m, "openpgp/org.asc");
  g_assert_nonnull(e);
  g_assert_cmpint(e->role, ==, SM_BUNDLE_ROLE_OPENPGP_KEY);
  g_assert_cmpstr(e->sha256, ==, HASH_A);
  g_assert_cmpint(g_date_time_to_unix(m->not_after), ==, 1798758000); /* 2026-12-31T23:00Z */
  g_assert_null(sm_bundle_manifest_lookup(m, "nope"));
}

static void
test_roundtrip(void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SmBundleManifest) m = parse(good_manifest, NULL, &error);
  gsize len = 0;
  g_autofree char *text = sm_bundle_manifest_to_data(m, &len);
  g_autoptr(SmBundleManifest) again = sm_bundle_manifest_parse(text, len, NULL, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(again->version, ==, m->version);
  g_assert_cmpstr(again->issuer, ==, m->issuer);
  g_assert_cmpstr(again->description, ==, m->description);
  g_assert_true(g_date_time_equal(again->not_before, m->not_before));
  g_assert_true(g_date_time_equal(again->not_after, m->not_after));
  g_assert_cmpuint(again->files->len, ==, m->files->len);
  for (guint i = 0; i < m->files->len; i++)
    {
      const SmBundleEntry *a = g_ptr_array_index(m->files, i);
      const SmBundleEntry *b = sm_bundle_manifest_lookup(again, a->path);
      g_assert_nonnull(b);
      g_assert_cmpint(a->role, ==, b->role);
      g_assert_cmpstr(a->sha256, ==, b->sha256);
    }
}

/* Replaces the first occurrence of @from in the good manifest. */
static char *
variant(const char *from, const char *to)
{
  const char *at = strstr(good_manifest, from);
  g_assert_nonnull(at);
  return g_strdup_printf("%.*s%s%s", (int)(at - good_manifest), good_manifest, to,
                         at + strlen(from));
}

static void
test_parse_rejects(void)
{
  const char *cases[][2] = {
    { "[files]", "[other]\nx=1\n[files]" },
    { "description=test", "description=test\nunknown=1" },
    { "format=1", "format=2" },
    { "format=1", "format=one" },
    { "version=42", "version=0" },
    { "version=42", "version=-3" },
    { "version=42", "version=99999999999999999999999" },
    { "version=42\n", "" },
    { "issuer=Example Org IT <it@example.org>", "issuer=  " },
    { "not-before=2026-01-01T00:00:00Z", "not-before=2028-01-01T00:00:00Z" },
    { "not-before=2026-01-01T00:00:00Z", "not-before=yesterday" },
    { "ca/root.pem=ca-certificate;" HASH_A, "ca/root.pem=ca-certificate;abc" },
    { "ca/root.pem=ca-certificate;" HASH_A, "ca/root.pem=ca-certificate;" HASH_A ";x" },
    { "ca/root.pem=ca-certificate;", "ca/root.pem=root-ca;" },
    { "ca/root.pem=", "../root.pem=" },
    { "ca/root.pem=", "/etc/root.pem=" },
    { "ca/root.pem=", "ca/../../root.pem=" },
    { "ca/root.pem=", "manifest.ini=" },
    { "ca/root.pem=", "manifest.ini.sig=" },
    { "ca/root.pem=ca-certificate", "ca/root.pem=policy" },
    { "[bundle]", "[bundle" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *text = variant(cases[i][0], cases[i][1]);
      g_autoptr(SmBundleManifest) m = parse(text, NULL, &error);
      if (m != NULL)
        g_error("case %" G_GSIZE_FORMAT " was accepted:\n%s", i, text);
      g_assert_error(error, SM_ERROR, SM_ERROR_INVALID_INPUT);
    }
}

/* GKeyFile merges repeated groups; the manifest must not let a second value win silently. */
static void
test_parse_duplicates(void)
{
  const char *extra[]
      = { "[files]\nca/root.pem=ca-certificate;" HASH_A "\n", "[bundle]\nversion=43\n" };
  for (gsize i = 0; i < G_N_ELEMENTS(extra); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *text = g_strconcat(good_manifest, extra[i], NULL);
      g_autoptr(SmBundleManifest) m = parse(text, NULL, &error);
      g_assert_null(m);
      g_assert_error(error, SM_ERROR, SM_ERROR_INVALID_INPUT);
    }
}

static void
test_parse_bytes(void)
{
  g_autoptr(GError) error = NULL;
  char with_nul[] = "[bundle]\nformat=1\0\n";
  g_assert_null(sm_bundle_manifest_parse(with_nul, sizeof with_nul - 1, NULL, &error));
  g_assert_error(error, SM_ERROR, SM_ERROR_INVALID_INPUT);
  g_clear_error(&error);
  g_assert_null(parse("[bundle]\nissuer=\xff\xfe\n", NULL, &error));
  g_assert_error(error, SM_ERROR, SM_ERROR_INVALID_INPUT);
  g_clear_error(&error);
  g_assert_null(parse("", NULL, &error));
  g_assert_error(error, SM_ERROR, SM_ERROR_INVALID_INPUT);
}

static void
test_parse_limits(void)
{
  g_autoptr(GError) error = NULL;
  /* four files + manifest + signature > 5 */
  g_autoptr(SmLimits) few = limits_with("bundle-files", "5");
  g_assert_null(parse(good_manifest, few, &error));
  g_assert_error(error, SM_ERROR, SM_ERROR_LIMIT);
  g_clear_error(&error);
  g_autoptr(SmLimits) six = limits_with("bundle-files", "6");
  g_autoptr(SmBundleManifest) ok = parse(good_manifest, six, &error);
  g_assert_no_error(error);
  g_assert_nonnull(ok);
  g_autoptr(SmLimits) small = limits_with("bundle-manifest-bytes", "100");
  g_assert_null(parse(good_manifest, small, &error));
  g_assert_error(error, SM_ERROR, SM_ERROR_LIMIT);
  g_clear_error(&error);
  g_autoptr(SmLimits) short_paths = limits_with("bundle-path-bytes", "10");
  g_assert_null(parse(good_manifest, short_paths, &error)); /* certs/alice.pem is 15 */
  g_assert_error(error, SM_ERROR, SM_ERROR_INVALID_INPUT);
}

static void
test_period(void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SmBundleManifest) m = parse(good_manifest, NULL, &error);
  g_autoptr(GDateTime) before = g_date_time_new_utc(2025, 12, 31, 23, 59, 59);
  g_autoptr(GDateTime) inside = g_date_time_new_utc(2026, 6, 1, 0, 0, 0);
  g_autoptr(GDateTime) after = g_date_time_new_utc(2026, 12, 31, 23, 0, 1);
  g_assert_true(sm_bundle_manifest_check_period(m, inside, &error));
  g_assert_false(sm_bundle_manifest_check_period(m, before, &error));
  g_assert_error(error, SM_ERROR, SM_ERROR_POLICY);
  g_assert_nonnull(strstr(error->message, "not valid before"));
  g_clear_error(&error);
  g_assert_false(sm_bundle_manifest_check_period(m, after, &error));
  g_assert_nonnull(strstr(error->message, "expired"));
}

static void
write_file(const char *dir, const char *name, const char *text)
{
  g_autofree char *path = g_build_filename(dir, name, NULL);
  g_autofree char *parent = g_path_get_dirname(path);
  g_assert_cmpint(g_mkdir_with_parents(parent, 0700), ==, 0);
  g_assert_true(g_file_set_contents(path, text, -1, NULL));
}

static char *
make_dir_bundle(void)
{
  char *dir = g_dir_make_tmp("test-bundle-XXXXXX", NULL);
  g_assert_nonnull(dir);
  write_file(dir, "manifest.ini", good_manifest);
  write_file(dir, "manifest.ini.sig", "sig");
  write_file(dir, "ca/root.pem", "abc");
  return dir;
}

static void
remove_tree(const char *path)
{
  g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
  const char *name;
  while (dir != NULL && (name = g_dir_read_name(dir)) != NULL)
    {
      g_autofree char *child = g_build_filename(path, name, NULL);
      if (g_file_test(child, G_FILE_TEST_IS_DIR) && !g_file_test(child, G_FILE_TEST_IS_SYMLINK))
        remove_tree(child);
      else
        g_unlink(child);
    }
  g_rmdir(path);
}

static void
test_load_dir(void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = make_dir_bundle();
  g_autoptr(SmBundle) b = sm_bundle_load(dir, NULL, &error);
  g_assert_no_error(error);
  g_assert_nonnull(b);

  /* a symbolic link, even to a file inside the bundle, is refused */
  g_autofree char *link = g_build_filename(dir, "ca", "link.pem", NULL);
  g_assert_cmpint(symlink("root.pem", link), ==, 0);
  g_autoptr(SmBundle) with_link = sm_bundle_load(dir, NULL, &error);
  g_assert_null(with_link);
  g_assert_error(error, SM_ERROR, SM_ERROR_INVALID_INPUT);
  g_clear_error(&error);
  g_unlink(link);

  /* hidden files and odd names */
  write_file(dir, ".hidden", "x");
  g_assert_null(sm_bundle_load(dir, NULL, &error));
  g_assert_error(error, SM_ERROR, SM_ERROR_INVALID_INPUT);
  g_clear_error(&error);
  g_autofree char *hidden = g_build_filename(dir, ".hidden", NULL);
  g_unlink(hidden);

  /* limits on count and size */
  g_autoptr(SmLimits) two = limits_with("bundle-files", "2");
  g_assert_null(sm_bundle_load(dir, two, &error));
  g_assert_error(error, SM_ERROR, SM_ERROR_LIMIT);
  g_clear_error(&error);
  g_autoptr(SmLimits) tiny = limits_with("bundle-file-bytes", "100");
  g_assert_null(sm_bundle_load(dir, tiny, &error)); /* the manifest is larger */
  g_assert_error(error, SM_ERROR, SM_ERROR_LIMIT);
  g_clear_error(&error);
  g_autoptr(SmLimits) total = limits_with("bundle-bytes", "500");
  g_assert_null(sm_bundle_load(dir, total, &error));
  g_assert_error(error, SM_ERROR, SM_ERROR_LIMIT);
  g_clear_error(&error);

  /* no signature */
  g_autofree char *sig = g_build_filename(dir, "manifest.ini.sig", NULL);
  g_unlink(sig);
  g_assert_null(sm_bundle_load(dir, NULL, &error));
  g_assert_error(error, SM_ERROR, SM_ERROR_INVALID_INPUT);
  remove_tree(dir);
}

typedef struct
{
  const char *name;
  int type; /* AE_IFREG, AE_IFLNK, AE_IFDIR */
  const char *content;
} TarEntry;

static char *
make_tar(const TarEntry *entries, gsize n)
{
  g_autofree char *dir = g_dir_make_tmp("test-bundle-XXXXXX", NULL);
  char *path = g_build_filename(dir, "b.tar", NULL);
  struct archive *a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  g_assert_cmpint(archive_write_open_filename(a, path), ==, ARCHIVE_OK);
  for (gsize i = 0; i < n; i++)
    {
      struct archive_entry *e = archive_entry_new();
      gsize len = entries[i].content != NULL ? strlen(entries[i].content) : 0;
      archive_entry_set_pathname(e, entries[i].name);
      archive_entry_set_filetype(e, entries[i].type);
      archive_entry_set_perm(e, 0644);
      if (entries[i].type == AE_IFLNK)
        archive_entry_set_symlink(e, "/etc/passwd");
      archive_entry_set_size(e, entries[i].type == AE_IFREG ? len : 0);
      g_assert_cmpint(archive_write_header(a, e), ==, ARCHIVE_OK);
      if (entries[i].type == AE_IFREG && len > 0)
        archive_write_data(a, entries[i].content, len);
      archive_entry_free(e);
    }
  archive_write_close(a);
  archive_write_free(a);
  return path;
}

static void
remove_tar(const char *path)
{
  g_autofree char *dir = g_path_get_dirname(path);
  g_unlink(path);
  g_rmdir(dir);
}

static void
test_load_tar(void)
{
  const TarEntry good[] = { { "./", AE_IFDIR, NULL },
                            { "./manifest.ini", AE_IFREG, "m" },
                            { "manifest.ini.sig", AE_IFREG, "s" },
                            { "ca/", AE_IFDIR, NULL },
                            { "ca/root.pem", AE_IFREG, "abc" } };
  g_autoptr(GError) error = NULL;
  g_autofree char *path = make_tar(good, G_N_ELEMENTS(good));
  g_autoptr(SmBundle) b = sm_bundle_load(path, NULL, &error);
  g_assert_no_error(error);
  g_assert_nonnull(b);
  remove_tar(path);

  const TarEntry *bad[] = {
    (const TarEntry[]){ { "../evil", AE_IFREG, "x" } },
    (const TarEntry[]){ { "/etc/evil", AE_IFREG, "x" } },
    (const TarEntry[]){ { "ca/../../evil", AE_IFREG, "x" } },
    (const TarEntry[]){ { "ca/link.pem", AE_IFLNK, NULL } },
    (const TarEntry[]){ { "ca/x.pem", AE_IFREG, "1" } },
  };
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++)
    {
      TarEntry entries[] = { good[1], good[2], bad[i][0], bad[i][0] };
      /* the last case: the same name twice */
      gsize n = i == G_N_ELEMENTS(bad) - 1 ? 4 : 3;
      g_autofree char *p = make_tar(entries, n);
      g_autoptr(SmBundle) refused = sm_bundle_load(p, NULL, &error);
      if (refused != NULL)
        g_error("tar case %" G_GSIZE_FORMAT " was accepted", i);
      g_assert_error(error, SM_ERROR, SM_ERROR_INVALID_INPUT);
      g_clear_error(&error);
      remove_tar(p);
    }
}

static void
test_load_garbage(void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp("test-bundle-XXXXXX", NULL);
  g_autofree char *path = g_build_filename(dir, "junk.tar", NULL);
  g_assert_true(g_file_set_contents(path, "this is not a tar archive at all", -1, NULL));
  g_assert_null(sm_bundle_load(path, NULL, &error));
  g_assert_error(error, SM_ERROR, SM_ERROR_INVALID_INPUT);
  g_unlink(path);
  g_rmdir(dir);
}

static void
test_config_paths(void)
{
  g_autoptr(GKeyFile) kf = g_key_file_new();
  g_autofree char *def_state = sm_bundle_config_state_dir(NULL);
  g_autofree char *def_state2 = sm_bundle_default_state_dir();
  g_assert_cmpstr(def_state, ==, def_state2);
  g_assert_true(g_str_has_suffix(def_state, "/sealmail/bundle"));
  g_autofree char *def_policy = sm_bundle_config_org_policy_path(kf);
  g_assert_true(g_str_has_suffix(def_policy, "/sealmail/org-policy.conf"));

  g_key_file_set_string(kf, "bundle", "state-dir", "~/org/state");
  g_key_file_set_string(kf, "bundle", "org-policy", "/etc/x/policy.conf");
  g_autofree char *state = sm_bundle_config_state_dir(kf);
  g_autofree char *expected = g_build_filename(g_get_home_dir(), "org/state", NULL);
  g_assert_cmpstr(state, ==, expected);
  g_autofree char *policy = sm_bundle_config_org_policy_path(kf);
  g_assert_cmpstr(policy, ==, "/etc/x/policy.conf");
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/bundle/path-safety", test_path_safety);
  g_test_add_func("/bundle/hash-fingerprint", test_hash_and_fingerprint);
  g_test_add_func("/bundle/manifest/good", test_parse_good);
  g_test_add_func("/bundle/manifest/roundtrip", test_roundtrip);
  g_test_add_func("/bundle/manifest/rejects", test_parse_rejects);
  g_test_add_func("/bundle/manifest/bytes", test_parse_bytes);
  g_test_add_func("/bundle/manifest/duplicates", test_parse_duplicates);
  g_test_add_func("/bundle/manifest/limits", test_parse_limits);
  g_test_add_func("/bundle/manifest/period", test_period);
  g_test_add_func("/bundle/load/dir", test_load_dir);
  g_test_add_func("/bundle/load/tar", test_load_tar);
  g_test_add_func("/bundle/load/garbage", test_load_garbage);
  g_test_add_func("/bundle/config-paths", test_config_paths);
  return g_test_run();
}
