/* Unit tests of sm-keys: recipient key resolution against real gpg and gpgsm keyrings made at
 * test time (expired, revoked, sign-only, two candidates, secondary user ID, address case,
 * S/MIME chain trusted / missing / untrusted, no encryption usage, org bundle and Autocrypt
 * sources). */
#include "keys-fixture.h"
#include "sm-autocrypt.h"
#include "sm-error.h"
#include "sm-keys.h"

static KeysFixture fx;

static SmKeyResolver *
resolver_with(const char *state_db, const char *bundle_state)
{
  SmKeyResolverOptions opts
      = { .gnupg_home = fx.user, .state_db = state_db, .bundle_state = bundle_state };
  g_autoptr(GError) error = NULL;
  SmKeyResolver *r = sm_key_resolver_new(&opts, &error);
  g_assert_no_error(error);
  return r;
}

/* Looks up @address and checks the outcome: @fpr_name's key, or no key with @why_part. */
static SmKey *
check(SmKeyResolver *r, const char *address, SmProtocol protocol, const char *fpr_name,
      SmKeyProblem want_problem, const char *why_part)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *why = NULL;
  SmKeyProblem problem = SM_KEY_PROBLEM_NONE;
  SmKey *key = sm_key_resolver_lookup(r, address, protocol, &problem, &why, &error);
  g_assert_no_error(error);
  g_assert_cmpint(problem, ==, want_problem);
  if (fpr_name != NULL)
    {
      g_assert_nonnull(key);
      g_assert_cmpstr(key->fingerprint, ==, keys_fixture_fpr(&fx, fpr_name));
      g_assert_null(why);
    }
  else
    {
      g_assert_null(key);
      g_assert_nonnull(why);
      if (strstr(why, why_part) == NULL)
        g_error("reason for %s is \"%s\", expected it to contain \"%s\"", address, why, why_part);
    }
  return key;
}

static void
test_address_normalize(void)
{
  g_autofree char *a = sm_key_address_normalize("Bob@Example.ORG");
  g_assert_cmpstr(a, ==, "Bob@example.org");
  const char *bad[]
      = { "", "bob", "@example.org", "bob@", "bob @example.org", "<b@x.org>", "b\n@x.org" };
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++)
    g_assert_null(sm_key_address_normalize(bad[i]));
  g_autoptr(GString) longer = g_string_new("a@");
  for (int i = 0; i < 300; i++)
    g_string_append_c(longer, 'x');
  g_assert_null(sm_key_address_normalize(longer->str));
}

static void
test_openpgp_usable(void)
{
  g_autoptr(SmKeyResolver) r = resolver_with(NULL, NULL);
  g_autoptr(SmKey) bob = check(r, "bob@example.org", SM_PROTO_OPENPGP, "BOB", 0, NULL);
  g_assert_cmpint(bob->source, ==, SM_KEY_SOURCE_KEYRING);
  g_assert_cmpstr(bob->name, ==, "Bob");
  g_assert_cmpint(bob->expires, >, bob->created);
  g_assert_null(bob->note);
  /* The user's own key is ultimately valid. */
  g_autoptr(SmKey) alice = check(r, "alice@example.org", SM_PROTO_OPENPGP, "ALICE", 0, NULL);
  g_assert_cmpstr(alice->validity, ==, "ultimate");
}

static void
test_openpgp_unusable(void)
{
  g_autoptr(SmKeyResolver) r = resolver_with(NULL, NULL);
  /* Created on 2026-02-28 with a one-day expiry. */
  check(r, "expired@example.org", SM_PROTO_OPENPGP, NULL, SM_KEY_PROBLEM_UNUSABLE,
        "key for expired@example.org expired on 2026-03-01");
  check(r, "revoked@example.org", SM_PROTO_OPENPGP, NULL, SM_KEY_PROBLEM_UNUSABLE,
        "key for revoked@example.org is revoked");
  check(r, "signonly@example.org", SM_PROTO_OPENPGP, NULL, SM_KEY_PROBLEM_UNUSABLE,
        "key for signonly@example.org has no encryption subkey");
  check(r, "carol@example.org", SM_PROTO_OPENPGP, NULL, SM_KEY_PROBLEM_NOT_FOUND,
        "no OpenPGP key for carol@example.org");
  check(r, "disabled@example.org", SM_PROTO_OPENPGP, NULL, SM_KEY_PROBLEM_UNUSABLE,
        "key for disabled@example.org is disabled in your keyring");
  check(r, "subexp@example.org", SM_PROTO_OPENPGP, NULL, SM_KEY_PROBLEM_UNUSABLE,
        "the encryption subkey of the key for subexp@example.org expired on 2026-01-03");
}

static void
test_openpgp_two_candidates(void)
{
  g_autoptr(SmKeyResolver) r = resolver_with(NULL, NULL);
  /* The older key is certified by the user: validity beats age. */
  g_autoptr(SmKey) two = check(r, "two@example.org", SM_PROTO_OPENPGP, "TWO_OLD", 0, NULL);
  g_assert_cmpstr(two->validity, ==, "full");
  g_assert_nonnull(strstr(two->note, "2 usable keys for two@example.org"));
  g_assert_nonnull(strstr(two->note, "full validity"));
  /* Equal validity: the newest wins, and the note says so. */
  g_autoptr(SmKey) newer = check(r, "newer@example.org", SM_PROTO_OPENPGP, "NEWER_NEW", 0, NULL);
  g_assert_nonnull(strstr(newer->note, "chose the newest"));
}

static void
test_openpgp_address_matching(void)
{
  g_autoptr(SmKeyResolver) r = resolver_with(NULL, NULL);
  /* Only in a secondary user ID. */
  g_autoptr(SmKey) second = check(r, "second@example.org", SM_PROTO_OPENPGP, "SECOND", 0, NULL);
  g_assert_cmpstr(second->address, ==, "second@example.org");
  /* The domain matches in any case ("case@Example.ORG" in the user ID). */
  g_autoptr(SmKey) c = check(r, "case@EXAMPLE.org", SM_PROTO_OPENPGP, "CASE", 0, NULL);
  g_assert_cmpstr(c->address, ==, "case@example.org");
  /* The local part does not: the user ID says "Upper@example.org". */
  check(r, "upper@example.org", SM_PROTO_OPENPGP, NULL, SM_KEY_PROBLEM_NOT_FOUND, "no OpenPGP key");
  g_autoptr(SmKey) upper
      = sm_key_resolver_find(r, "Upper@example.org", SM_PROTO_OPENPGP, NULL, NULL);
  g_assert_nonnull(upper);
  /* A substring of another address is not a match. */
  check(r, "ob@example.org", SM_PROTO_OPENPGP, NULL, SM_KEY_PROBLEM_NOT_FOUND, "no OpenPGP key");
  g_autoptr(GError) error = NULL;
  g_assert_null(sm_key_resolver_find(r, "not an address", SM_PROTO_OPENPGP, NULL, &error));
  g_assert_error(error, SM_ERROR, SM_ERROR_INVALID_INPUT);
}

static void
test_smime(void)
{
  g_autoptr(SmKeyResolver) r = resolver_with(NULL, NULL);
  g_autoptr(SmKey) dave = check(r, "dave@example.org", SM_PROTO_SMIME, "DAVE", 0, NULL);
  g_assert_cmpint(dave->protocol, ==, SM_PROTO_SMIME);
  g_assert_cmpstr(dave->validity, ==, "full");
  g_assert_cmpstr(dave->name, ==, "CN=Dave,O=Example");
  check(r, "frank@example.org", SM_PROTO_SMIME, NULL, SM_KEY_PROBLEM_UNUSABLE,
        "the certificate of its issuer (CN=Missing CA,O=Elsewhere) is missing");
  check(r, "grace@example.org", SM_PROTO_SMIME, NULL, SM_KEY_PROBLEM_UNUSABLE,
        "certificate for grace@example.org does not chain to a trusted root");
  check(r, "ivan@example.org", SM_PROTO_SMIME, NULL, SM_KEY_PROBLEM_UNUSABLE,
        "certificate for ivan@example.org cannot be used for encryption");
  check(r, "hank@example.org", SM_PROTO_SMIME, NULL, SM_KEY_PROBLEM_UNUSABLE,
        "certificate for hank@example.org expired on 2026-01-01");
  check(r, "bob@example.org", SM_PROTO_SMIME, NULL, SM_KEY_PROBLEM_NOT_FOUND,
        "no S/MIME certificate for bob@example.org");
  /* Erin has both. */
  g_autoptr(SmKey) erin = check(r, "erin@example.org", SM_PROTO_SMIME, "ERIN_SMIME", 0, NULL);
  g_assert_cmpint(erin->protocol, ==, SM_PROTO_SMIME);
  g_autoptr(SmKey) erin_pgp = check(r, "erin@example.org", SM_PROTO_OPENPGP, "ERIN_PGP", 0, NULL);
  g_assert_cmpint(erin_pgp->protocol, ==, SM_PROTO_OPENPGP);
}

static void
test_bundle_source(void)
{
  g_autofree char *state = g_build_filename(fx.dir, "bundle", NULL);
  g_autofree char *ini = g_build_filename(state, "installed.ini", NULL);
  g_assert_cmpint(g_mkdir_with_parents(state, 0700), ==, 0);
  /* As `sealmail bundle import` writes it; fingerprints in any case. */
  g_autofree char *lower = g_ascii_strdown(keys_fixture_fpr(&fx, "BUNDLED"), -1);
  g_autofree char *text
      = g_strdup_printf("[keys]\nopenpgp=%s;\nsmime=%s\n", lower, keys_fixture_fpr(&fx, "DAVE"));
  g_assert_true(g_file_set_contents(ini, text, -1, NULL));
  g_autoptr(SmKeyResolver) r = resolver_with(NULL, state);
  g_autoptr(SmKey) b = check(r, "bundled@example.org", SM_PROTO_OPENPGP, "BUNDLED", 0, NULL);
  g_assert_cmpint(b->source, ==, SM_KEY_SOURCE_BUNDLE);
  g_autoptr(SmKey) d = check(r, "dave@example.org", SM_PROTO_SMIME, "DAVE", 0, NULL);
  g_assert_cmpint(d->source, ==, SM_KEY_SOURCE_BUNDLE);
  g_autoptr(SmKey) bob = check(r, "bob@example.org", SM_PROTO_OPENPGP, "BOB", 0, NULL);
  g_assert_cmpint(bob->source, ==, SM_KEY_SOURCE_KEYRING);
}

static void
test_autocrypt_source(void)
{
  g_autofree char *db = g_build_filename(fx.dir, "state.db", NULL);
  g_autofree char *keyfile = g_build_filename(fx.dir, "ac.key", NULL);
  g_autofree char *raw = NULL;
  gsize len = 0;
  g_assert_true(g_file_get_contents(keyfile, &raw, &len, NULL));
  g_autoptr(GBytes) keydata = g_bytes_new(raw, len);
  g_autoptr(SmKeyResolver) before = resolver_with(db, NULL);
  check(before, "ac@example.org", SM_PROTO_OPENPGP, NULL, SM_KEY_PROBLEM_NOT_FOUND,
        "no OpenPGP key");

  /* A message from the peer with an Autocrypt header, through the real parser. */
  g_autofree char *header
      = sm_autocrypt_header_format("ac@example.org", SM_AUTOCRYPT_PREFER_MUTUAL, keydata);
  g_autoptr(GError) error = NULL;
  g_autoptr(SmAutocryptHeader) h = sm_autocrypt_header_parse(header, &error);
  g_assert_no_error(error);
  g_autoptr(SmAutocryptStore) store = sm_autocrypt_store_open(db, &error);
  g_assert_no_error(error);
  gint64 now = g_get_real_time() / G_USEC_PER_SEC;
  g_assert_true(sm_autocrypt_update(store, "ac@example.org", now - 60, h, now, &error));

  g_autoptr(SmKeyResolver) r = resolver_with(db, NULL);
  g_autoptr(SmKey) ac = check(r, "ac@example.org", SM_PROTO_OPENPGP, "AC", 0, NULL);
  g_assert_cmpint(ac->source, ==, SM_KEY_SOURCE_AUTOCRYPT);
  g_assert_nonnull(strstr(ac->note, "learnt from an Autocrypt header on"));
  /* Imported into the keyring, and still labelled as coming from Autocrypt. */
  g_autoptr(SmKeyResolver) again = resolver_with(db, NULL);
  g_autoptr(SmKey) ac2 = check(again, "ac@example.org", SM_PROTO_OPENPGP, "AC", 0, NULL);
  g_assert_cmpint(ac2->source, ==, SM_KEY_SOURCE_AUTOCRYPT);
  /* An Autocrypt key need not carry the address in a user ID: the header binds it. */
  g_autoptr(SmAutocryptHeader) alias = NULL;
  {
    g_autofree char *v = sm_autocrypt_header_format("alias@example.net", 0, keydata);
    alias = sm_autocrypt_header_parse(v, &error);
    g_assert_no_error(error);
  }
  g_assert_true(sm_autocrypt_update(store, "alias@example.net", now - 30, alias, now, &error));
  g_autoptr(SmKey) al = check(again, "alias@example.net", SM_PROTO_OPENPGP, "AC", 0, NULL);
  g_assert_cmpint(al->source, ==, SM_KEY_SOURCE_AUTOCRYPT);
  g_assert_cmpstr(al->address, ==, "alias@example.net");
  g_autoptr(SmKeyResolver) no_state = resolver_with(NULL, NULL);
  g_autoptr(SmKey) ac3 = check(no_state, "ac@example.org", SM_PROTO_OPENPGP, "AC", 0, NULL);
  g_assert_cmpint(ac3->source, ==, SM_KEY_SOURCE_KEYRING);
}

static void
test_config(void)
{
  g_autoptr(GKeyFile) kf = g_key_file_new();
  g_autoptr(GError) error = NULL;
  g_assert_true(g_key_file_load_from_data(kf, "[keys]\nnetwork = maybe\n", -1, 0, NULL));
  g_assert_null(sm_key_resolver_new_from_config(kf, &error));
  g_assert_error(error, SM_ERROR, SM_ERROR_INVALID_INPUT);
  g_clear_error(&error);
  g_autofree char *text
      = g_strdup_printf("[keys]\ngnupg-home = %s\nstate-db = %s/cfg.db\n", fx.user, fx.dir);
  g_assert_true(g_key_file_load_from_data(kf, text, -1, 0, NULL));
  g_autoptr(SmKeyResolver) r = sm_key_resolver_new_from_config(kf, &error);
  g_assert_no_error(error);
  const SmKeyResolverOptions *o = sm_key_resolver_get_options(r);
  g_assert_false(o->allow_network);
  g_assert_cmpstr(o->gnupg_home, ==, fx.user);
  g_assert_true(g_str_has_suffix(o->state_db, "/cfg.db"));
  g_assert_true(g_str_has_suffix(o->bundle_state, "sealmail/bundle"));
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_setenv("XDG_DATA_HOME", "/nonexistent/sealmail-test", TRUE);
  keys_fixture_setup(&fx);
  g_test_add_func("/keys/address-normalize", test_address_normalize);
  g_test_add_func("/keys/openpgp-usable", test_openpgp_usable);
  g_test_add_func("/keys/openpgp-unusable", test_openpgp_unusable);
  g_test_add_func("/keys/openpgp-two-candidates", test_openpgp_two_candidates);
  g_test_add_func("/keys/openpgp-address-matching", test_openpgp_address_matching);
  g_test_add_func("/keys/smime", test_smime);
  g_test_add_func("/keys/bundle-source", test_bundle_source);
  g_test_add_func("/keys/autocrypt-source", test_autocrypt_source);
  g_test_add_func("/keys/config", test_config);
  int rc = g_test_run();
  keys_fixture_teardown(&fx);
  return rc;
}
