/* Unit tests of sm-verify: From checks, the structure walk and its findings (without GPGME),
 * CMS content-type sniffing, and real verification of the committed sample with gpg in a
 * throwaway GNUPGHOME. The wide crypto matrix lives in tests/integration/test-inspect-crypto.sh. */
#include "sm-error.h"
#include "sm-message.h"
#include "sm-verify.h"

#include <glib/gstdio.h>
#include <string.h>

static SmVerifyResult *
verify_str(const char *text, const SmLimits *limits, gboolean structure_only)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = g_bytes_new(text, strlen(text));
  g_autoptr(GMimeMessage) message = sm_message_parse_bytes(bytes, limits, &error);
  g_assert_no_error(error);
  SmVerifyOptions options = { limits, structure_only };
  SmVerifyResult *result = sm_verify_message(message, &options, &error);
  g_assert_no_error(error);
  return result;
}

static gboolean
sig_has(const SmVerifySignature *sig, const char *finding)
{
  for (guint i = 0; i < sig->findings->len; i++)
    if (strcmp(g_ptr_array_index(sig->findings, i), finding) == 0)
      return TRUE;
  return FALSE;
}

static void
test_unsigned(void)
{
  g_autoptr(SmVerifyResult) r
      = verify_str("From: Alice <Alice@Example.ORG>\n\nhello\n", NULL, TRUE);
  g_assert_cmpuint(r->signatures->len, ==, 0);
  g_assert_cmpint(sm_verify_result_verdict(r), ==, SM_VERIFY_VERDICT_UNSIGNED);
  g_assert_cmpstr(r->from_address, ==, "alice@example.org");
  g_assert_cmpuint(r->findings->len, ==, 0);
  g_autofree char *text = sm_verify_result_text(r);
  g_assert_nonnull(strstr(text, "Not signed"));
}

static void
test_display_name(void)
{
  struct
  {
    const char *from;
    gboolean spoof;
  } cases[] = {
    { "\"ceo@example.com\" <mallory@evil.example>", TRUE },
    { "\"CEO (ceo@example.com)\" <mallory@evil.example>", TRUE },
    { "\"ceo\xef\xbc\xa0"
      "example.com\" <mallory@evil.example>",
      TRUE }, /* fullwidth at sign */
    { "\"Alice Example\" <alice@example.org>", FALSE },
    { "\"alice@example.org\" <alice@example.org>", FALSE },
    { "\"ALICE@EXAMPLE.ORG\" <alice@example.org>", FALSE },
    { "\"Alice @ home\" <alice@example.org>", FALSE }, /* no address shape */
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++)
    {
      g_autofree char *msg = g_strdup_printf("From: %s\n\nhi\n", cases[i].from);
      g_autoptr(SmVerifyResult) r = verify_str(msg, NULL, TRUE);
      g_assert_cmpint(sm_verify_result_has_finding(r, SM_VERIFY_FINDING_DISPLAY_NAME), ==,
                      cases[i].spoof);
    }
}

static void
test_from_count(void)
{
  const char *multi[] = {
    "From: a@example.org, b@example.net\n\nhi\n",
    "From: a@example.org\nFrom: a@example.org\n\nhi\n",
    "From: team: a@example.org, b@example.org;\n\nhi\n",
  };
  for (gsize i = 0; i < G_N_ELEMENTS(multi); i++)
    {
      g_autoptr(SmVerifyResult) r = verify_str(multi[i], NULL, TRUE);
      g_assert_true(sm_verify_result_has_finding(r, SM_VERIFY_FINDING_MULTIPLE_FROM));
      g_assert_null(r->from_address);
    }
  g_autoptr(SmVerifyResult) none = verify_str("Subject: x\n\nhi\n", NULL, TRUE);
  g_assert_true(sm_verify_result_has_finding(none, SM_VERIFY_FINDING_NO_FROM));
}

#define SIGNED_TEXT                                                                                \
  "Content-Type: multipart/signed; boundary=s; protocol=\"application/pgp-signature\"\n\n"         \
  "--s\nContent-Type: text/plain\n\nsigned text\n"                                                 \
  "--s\nContent-Type: application/pgp-signature\n\n-----BEGIN PGP SIGNATURE-----\nxx\n"            \
  "-----END PGP SIGNATURE-----\n--s--\n"

static void
test_inner_part(void)
{
  g_autoptr(SmVerifyResult) r = verify_str(
      "From: alice@example.org\nContent-Type: multipart/mixed; boundary=m\n\n"
      "--m\nContent-Type: text/plain\n\nunsigned: wire the money\n--m\n" SIGNED_TEXT "--m--\n",
      NULL, TRUE);
  g_assert_cmpuint(r->signatures->len, ==, 1);
  SmVerifySignature *sig = g_ptr_array_index(r->signatures, 0);
  g_assert_cmpstr(sig->part_id, ==, "2.1");
  g_assert_cmpuint(sig->covered_parts->len, ==, 1);
  g_assert_cmpstr(g_ptr_array_index(sig->covered_parts, 0), ==, "2.1");
  g_assert_false(sig->covers_whole_body);
  g_assert_true(sig_has(sig, SM_VERIFY_FINDING_INNER_PART));
  g_assert_true(sig_has(sig, SM_VERIFY_FINDING_UNSIGNED_AROUND));
  g_assert_true(sm_verify_result_has_finding(r, SM_VERIFY_FINDING_UNSIGNED_AROUND));
  g_assert_cmpint(sm_verify_result_verdict(r), ==, SM_VERIFY_VERDICT_NOT_VERIFIED);
}

static void
test_whole_body(void)
{
  g_autoptr(SmVerifyResult) r = verify_str(
      "From: alice@example.org\nContent-Type: multipart/signed; boundary=s; "
      "protocol=\"application/pkcs7-signature\"\n\n"
      "--s\nContent-Type: multipart/mixed; boundary=m\n\n--m\nContent-Type: text/plain\n\nhi\n"
      "--m\nContent-Type: application/pdf\nContent-Disposition: attachment\n\n%PDF\n--m--\n"
      "--s\nContent-Type: application/pkcs7-signature\nContent-Transfer-Encoding: base64\n\n"
      "MAA=\n--s--\n",
      NULL, TRUE);
  g_assert_cmpuint(r->signatures->len, ==, 1);
  SmVerifySignature *sig = g_ptr_array_index(r->signatures, 0);
  g_assert_cmpint(sig->protocol, ==, SM_VERIFY_PROTOCOL_SMIME);
  g_assert_true(sig->covers_whole_body);
  g_assert_cmpstr(sig->part_id, ==, "1");
  g_assert_cmpuint(sig->covered_parts->len, ==, 3); /* 1, 1.1, 1.2 */
  g_assert_cmpstr(g_ptr_array_index(sig->covered_parts, 2), ==, "1.2");
  g_assert_cmpuint(sig->findings->len, ==, 0);
  /* Structure only: nothing was checked, so nothing is verified. */
  g_assert_cmpint(sig->status, ==, SM_VERIFY_STATUS_BAD);
  g_assert_cmpint(sm_verify_result_verdict(r), ==, SM_VERIFY_VERDICT_NOT_VERIFIED);
  g_assert_true(GMIME_IS_MULTIPART(r->displayed)); /* the signed multipart/mixed */
}

static void
test_efail_mixed(void)
{
  g_autoptr(SmVerifyResult) r = verify_str(
      "From: alice@example.org\nContent-Type: multipart/mixed; boundary=m\n\n"
      "--m\nContent-Type: text/html\n\n<img src=\"http://evil.example/\n"
      "--m\nContent-Type: multipart/encrypted; boundary=e; "
      "protocol=\"application/pgp-encrypted\"\n\n"
      "--e\nContent-Type: application/pgp-encrypted\n\nVersion: 1\n"
      "--e\nContent-Type: application/octet-stream\n\n-----BEGIN PGP MESSAGE-----\nxx\n"
      "-----END PGP MESSAGE-----\n--e--\n--m\nContent-Type: text/html\n\n\">\n--m--\n",
      NULL, FALSE); /* with GPGME: it must not even try */
  g_assert_true(r->encrypted);
  g_assert_false(r->decrypted);
  g_assert_cmpint(r->encryption_protocol, ==, SM_VERIFY_PROTOCOL_OPENPGP);
  g_assert_true(sm_verify_result_has_finding(r, SM_VERIFY_FINDING_MIXED_ENCRYPTED));
}

static void
test_malformed(void)
{
  g_autoptr(SmVerifyResult) r
      = verify_str("From: alice@example.org\nContent-Type: multipart/signed; boundary=s\n\n"
                   "--s\nContent-Type: text/plain\n\nonly one part\n--s--\n",
                   NULL, TRUE);
  g_assert_cmpuint(r->signatures->len, ==, 0);
  g_assert_true(sm_verify_result_has_finding(r, SM_VERIFY_FINDING_MALFORMED));
}

static void
test_layer_limit(void)
{
  g_autoptr(GKeyFile) kf = g_key_file_new();
  g_assert_true(g_key_file_load_from_data(kf, "[limits]\ncrypto-layers=1\n", -1, 0, NULL));
  g_autoptr(SmLimits) limits = sm_limits_new(kf, NULL);
  g_autoptr(SmVerifyResult) r
      = verify_str("From: alice@example.org\nContent-Type: multipart/signed; boundary=o; "
                   "protocol=\"application/pgp-signature\"\n\n--o\n" SIGNED_TEXT
                   "--o\nContent-Type: application/pgp-signature\n\nsig\n--o--\n",
                   limits, TRUE);
  g_assert_cmpuint(r->signatures->len, ==, 1);
  g_assert_true(sm_verify_result_has_finding(r, SM_VERIFY_FINDING_LAYER_LIMIT));
  g_assert_cmpint(sm_verify_result_verdict(r), ==, SM_VERIFY_VERDICT_NOT_VERIFIED);
}

/* DER ContentInfo heads: SEQUENCE, OID 1.2.840.113549.1.7.{2,3}, then nothing useful. */
static void
test_cms_sniffing(void)
{
  struct
  {
    const char *b64;
    gboolean encrypted;
    const char *finding;
  } cases[] = {
    { "MA8GCSqGSIb3DQEHA6ACMAA=", TRUE, SM_VERIFY_FINDING_SMIME_CBC }, /* enveloped-data */
    { "MA8GCSqGSIb3DQEHAqACMAA=", FALSE, NULL },                       /* signed-data */
    { "aGVsbG8gd29ybGQ=", FALSE, SM_VERIFY_FINDING_MALFORMED },        /* not DER */
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++)
    {
      g_autofree char *msg = g_strdup_printf(
          "From: a@example.org\nContent-Type: application/pkcs7-mime; smime-type=enveloped-data\n"
          "Content-Transfer-Encoding: base64\n\n%s\n",
          cases[i].b64);
      g_autoptr(SmVerifyResult) r = verify_str(msg, NULL, TRUE);
      g_assert_cmpint(r->encrypted, ==, cases[i].encrypted);
      if (cases[i].finding != NULL)
        g_assert_true(sm_verify_result_has_finding(r, cases[i].finding));
      if (!cases[i].encrypted && cases[i].finding == NULL)
        g_assert_cmpuint(r->signatures->len, ==, 1); /* signed-data, not checked */
    }
}

static void
test_names(void)
{
  g_assert_cmpstr(sm_verify_status_name(SM_VERIFY_STATUS_VALID_UNTRUSTED), ==, "valid-untrusted");
  g_assert_cmpstr(sm_verify_status_name(SM_VERIFY_STATUS_UNKNOWN_KEY), ==, "unknown-key");
  g_assert_cmpstr(sm_verify_verdict_name(SM_VERIFY_VERDICT_NOT_VERIFIED), ==, "not-verified");
  g_assert_cmpstr(sm_verify_protocol_name(SM_VERIFY_PROTOCOL_SMIME), ==, "smime");
  g_assert_null(sm_verify_protocol_name(SM_VERIFY_PROTOCOL_NONE));
  g_assert_nonnull(sm_verify_finding_describe(SM_VERIFY_FINDING_NO_MDC));
  g_assert_null(sm_verify_finding_describe("no-such-finding"));
}

/* ---- real gpg on the committed sample ---- */

typedef struct
{
  char *home;
} GpgFixture;

static gboolean
run_gpg(const char *home, const char *const *args)
{
  g_autoptr(GStrvBuilder) b = g_strv_builder_new();
  g_strv_builder_add_many(b, "gpg", "--homedir", home, "--batch", "--quiet", NULL);
  g_strv_builder_addv(b, (const char **)args);
  g_auto(GStrv) argv = g_strv_builder_end(b);
  gint status = 0;
  if (!g_spawn_sync(NULL, argv, NULL,
                    G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                    NULL, NULL, NULL, NULL, &status, NULL))
    return FALSE;
  return g_spawn_check_wait_status(status, NULL);
}

static void
rm_rf(const char *path)
{
  g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
  const char *name;
  while (dir != NULL && (name = g_dir_read_name(dir)) != NULL)
    {
      g_autofree char *child = g_build_filename(path, name, NULL);
      if (g_file_test(child, G_FILE_TEST_IS_DIR) && !g_file_test(child, G_FILE_TEST_IS_SYMLINK))
        rm_rf(child);
      else
        g_unlink(child);
    }
  g_rmdir(path);
}

static void
gpg_setup(GpgFixture *fx, gconstpointer data)
{
  fx->home = g_dir_make_tmp("sm-test-verify-XXXXXX", NULL);
  g_assert_nonnull(fx->home);
  g_setenv("GNUPGHOME", fx->home, TRUE);
  g_autofree char *key
      = g_test_build_filename(G_TEST_DIST, "data", "sample", "sample-signer.asc", NULL);
  const char *import[] = { "--import", key, NULL };
  if (!run_gpg(fx->home, import))
    return; /* the test skips itself */
  if (GPOINTER_TO_INT(data))
    {
      g_autofree char *trust
          = g_test_build_filename(G_TEST_DIST, "data", "sample", "sample-signer.trust", NULL);
      const char *own[] = { "--import-ownertrust", trust, NULL };
      g_assert_true(run_gpg(fx->home, own));
    }
}

static void
gpg_teardown(GpgFixture *fx, gconstpointer data)
{
  const char *argv[] = { "gpgconf", "--kill", "all", NULL };
  g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL, NULL,
               NULL, NULL, NULL, NULL, NULL);
  rm_rf(fx->home);
  g_free(fx->home);
}

static SmVerifyResult *
verify_sample(const char *replace, const char *with)
{
  g_autofree char *path = g_test_build_filename(G_TEST_DIST, "data", "sample", "signed.eml", NULL);
  g_autofree char *text = NULL;
  g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
  if (replace != NULL)
    {
      g_autoptr(GString) s = g_string_new(text);
      g_assert_cmpuint(g_string_replace(s, replace, with, 1), ==, 1);
      g_free(text);
      text = g_string_free(g_steal_pointer(&s), FALSE);
    }
  return verify_str(text, NULL, FALSE);
}

static void
test_sample_verified(GpgFixture *fx, gconstpointer data)
{
  if (g_find_program_in_path("gpg") == NULL)
    {
      g_test_skip("gpg is not installed");
      return;
    }
  g_autoptr(SmVerifyResult) r = verify_sample(NULL, NULL);
  g_assert_cmpuint(r->signatures->len, ==, 1);
  SmVerifySignature *sig = g_ptr_array_index(r->signatures, 0);
  g_assert_cmpint(sig->status, ==, SM_VERIFY_STATUS_VERIFIED);
  g_assert_true(sig->from_matches);
  g_assert_true(sig->trusted);
  g_assert_cmpstr(sig->address, ==, "ada@example.org");
  g_assert_cmpint(sm_verify_result_verdict(r), ==, SM_VERIFY_VERDICT_VERIFIED);

  g_autoptr(SmVerifyResult) bad = verify_sample("budget line", "budget LINE");
  sig = g_ptr_array_index(bad->signatures, 0);
  g_assert_cmpint(sig->status, ==, SM_VERIFY_STATUS_BAD);
  g_assert_false(sig->valid);

  g_autoptr(SmVerifyResult) other = verify_sample("From: Ada Lovelace <ada@example.org>",
                                                  "From: Ada Lovelace <ada@example.com>");
  sig = g_ptr_array_index(other->signatures, 0);
  g_assert_cmpint(sig->status, ==, SM_VERIFY_STATUS_VALID_UNTRUSTED);
  g_assert_true(sig_has(sig, SM_VERIFY_FINDING_SIGNER_MISMATCH));
}

static void
test_sample_untrusted(GpgFixture *fx, gconstpointer data)
{
  if (g_find_program_in_path("gpg") == NULL)
    {
      g_test_skip("gpg is not installed");
      return;
    }
  g_autoptr(SmVerifyResult) r = verify_sample(NULL, NULL);
  SmVerifySignature *sig = g_ptr_array_index(r->signatures, 0);
  g_assert_cmpint(sig->status, ==, SM_VERIFY_STATUS_VALID_UNTRUSTED);
  g_assert_true(sig->valid);
  g_assert_false(sig->trusted);
  g_assert_true(sig_has(sig, SM_VERIFY_FINDING_KEY_UNTRUSTED));
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  sm_message_init();
  g_test_add_func("/verify/unsigned", test_unsigned);
  g_test_add_func("/verify/display-name", test_display_name);
  g_test_add_func("/verify/from-count", test_from_count);
  g_test_add_func("/verify/inner-part", test_inner_part);
  g_test_add_func("/verify/whole-body", test_whole_body);
  g_test_add_func("/verify/efail-mixed", test_efail_mixed);
  g_test_add_func("/verify/malformed", test_malformed);
  g_test_add_func("/verify/layer-limit", test_layer_limit);
  g_test_add_func("/verify/cms-sniffing", test_cms_sniffing);
  g_test_add_func("/verify/names", test_names);
  g_test_add("/verify/gpg/sample-verified", GpgFixture, GINT_TO_POINTER(TRUE), gpg_setup,
             test_sample_verified, gpg_teardown);
  g_test_add("/verify/gpg/sample-untrusted", GpgFixture, GINT_TO_POINTER(FALSE), gpg_setup,
             test_sample_untrusted, gpg_teardown);
  return g_test_run();
}
