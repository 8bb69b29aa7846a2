/* Unit tests of sm-autocrypt: header syntax, the Level 1 update rules (an older header is
 * ignored, a message without a header only moves last_seen, gossip never overrides a direct
 * header), message processing through GMime, and importing a peer's key with real gpg. */
#include "sm-autocrypt.h"
#include "sm-error.h"
#include "sm-message.h"

#include <glib/gstdio.h>
#include <string.h>

static char *tmpdir;
static char *gnupg_home;
static GBytes *key1, *key2; /* two real OpenPGP keys for peer@example.org */

static void
run(const char *const *argv, char **out)
{
  g_autoptr(GError) error = NULL;
  int status = 0;
  g_auto(GStrv) envp = g_environ_setenv(g_get_environ(), "GNUPGHOME", gnupg_home, TRUE);
  g_spawn_sync(NULL, (char **)argv, envp, G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL, NULL,
               NULL, out, NULL, &status, &error);
  g_assert_no_error(error);
  g_assert_true(g_spawn_check_wait_status(status, NULL));
}

static GBytes *
make_key(const char *uid)
{
  const char *gen[] = { "gpg", "--batch",        "--passphrase", "",   "--quick-gen-key",
                        uid,   "future-default", "default",      "1y", NULL };
  run(gen, NULL);
  /* Through a file: binary output may contain NUL. */
  g_autofree char *path = g_build_filename(tmpdir, "key.bin", NULL);
  const char *exp2[] = { "gpg", "--batch", "--yes", "--output", path, "--export", uid, NULL };
  run(exp2, NULL);
  char *data = NULL;
  gsize len = 0;
  g_assert_true(g_file_get_contents(path, &data, &len, NULL));
  return g_bytes_new_take(data, len);
}

static SmAutocryptStore *
new_store(const char *name)
{
  g_autofree char *path = g_build_filename(tmpdir, name, NULL);
  g_autoptr(GError) error = NULL;
  SmAutocryptStore *store = sm_autocrypt_store_open(path, &error);
  g_assert_no_error(error);
  return store;
}

static SmAutocryptHeader *
header_for(const char *addr, SmAutocryptPrefer prefer, GBytes *key)
{
  g_autofree char *value = sm_autocrypt_header_format(addr, prefer, key);
  g_autoptr(GError) error = NULL;
  SmAutocryptHeader *h = sm_autocrypt_header_parse(value, &error);
  g_assert_no_error(error);
  return h;
}

static void
test_header_syntax(void)
{
  g_autoptr(SmAutocryptHeader) h = header_for("Peer@Example.org", SM_AUTOCRYPT_PREFER_MUTUAL, key1);
  g_assert_cmpstr(h->addr, ==, "peer@example.org");
  g_assert_cmpint(h->prefer, ==, SM_AUTOCRYPT_PREFER_MUTUAL);
  g_assert_true(g_bytes_equal(h->keydata, key1));

  gsize len = 0;
  const guint8 *raw = g_bytes_get_data(key1, &len);
  g_autofree char *b64 = g_base64_encode(raw, len);
  /* Non-critical unknown attributes are ignored; critical ones invalidate the header. */
  g_autofree char *ok = g_strdup_printf("addr=a@b.org; _extra=1; keydata=%s", b64);
  g_autoptr(SmAutocryptHeader) h2 = sm_autocrypt_header_parse(ok, NULL);
  g_assert_nonnull(h2);
  g_assert_cmpint(h2->prefer, ==, SM_AUTOCRYPT_PREFER_NOPREFERENCE);
  g_autofree char *crit = g_strdup_printf("addr=a@b.org; extra=1; keydata=%s", b64);
  g_autofree char *no_addr = g_strdup_printf("keydata=%s", b64);
  const char *bad[] = { crit,
                        no_addr,
                        "addr=a@b.org",
                        "addr=a@b.org; keydata=!!!!",
                        "addr=a@b.org; keydata=aGVsbG8gd29ybGQ=", /* "hello world": not a key */
                        "",
                        ";;;",
                        "addr=no-at-sign; keydata=mQINBFoo" };
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(SmAutocryptHeader) b = sm_autocrypt_header_parse(bad[i], &error);
      g_assert_null(b);
      g_assert_error(error, SM_ERROR, SM_ERROR_INVALID_INPUT);
    }
  /* Over the keydata limit. */
  g_autoptr(GString) huge = g_string_new("addr=a@b.org; keydata=");
  for (int i = 0; i < 100000; i++)
    g_string_append(huge, "mQIN");
  g_autoptr(GError) error = NULL;
  g_assert_null(sm_autocrypt_header_parse(huge->str, &error));
  g_assert_error(error, SM_ERROR, SM_ERROR_INVALID_INPUT);
}

static void
test_update_rules(void)
{
  g_autoptr(SmAutocryptStore) store = new_store("rules.db");
  g_autoptr(SmAutocryptHeader) h1
      = header_for("peer@example.org", SM_AUTOCRYPT_PREFER_MUTUAL, key1);
  g_autoptr(SmAutocryptHeader) h2 = header_for("peer@example.org", 0, key2);
  g_autoptr(GError) error = NULL;
  const gint64 now = 2000000000, t1 = now - 1000, t0 = now - 5000;

  g_assert_true(sm_autocrypt_update(store, "peer@example.org", t1, h1, now, &error));
  g_autoptr(SmAutocryptPeer) p = sm_autocrypt_lookup(store, "PEER@example.org", &error);
  g_assert_nonnull(p);
  g_assert_cmpint(p->last_seen, ==, t1);
  g_assert_cmpint(p->autocrypt_timestamp, ==, t1);
  g_assert_cmpint(p->prefer_encrypt, ==, SM_AUTOCRYPT_PREFER_MUTUAL);
  g_assert_true(g_bytes_equal(p->public_key, key1));

  /* An older message with another key changes nothing. */
  g_assert_true(sm_autocrypt_update(store, "peer@example.org", t0, h2, now, &error));
  g_autoptr(SmAutocryptPeer) p2 = sm_autocrypt_lookup(store, "peer@example.org", &error);
  g_assert_true(g_bytes_equal(p2->public_key, key1));
  g_assert_cmpint(p2->last_seen, ==, t1);

  /* A newer message without a header moves last_seen only. */
  g_assert_true(sm_autocrypt_update(store, "peer@example.org", t1 + 10, NULL, now, &error));
  g_autoptr(SmAutocryptPeer) p3 = sm_autocrypt_lookup(store, "peer@example.org", &error);
  g_assert_cmpint(p3->last_seen, ==, t1 + 10);
  g_assert_cmpint(p3->autocrypt_timestamp, ==, t1);
  g_assert_true(g_bytes_equal(p3->public_key, key1));

  /* A date in the future counts as now; the newer header replaces key and preference. */
  g_assert_true(sm_autocrypt_update(store, "peer@example.org", now + 99999, h2, now, &error));
  g_autoptr(SmAutocryptPeer) p4 = sm_autocrypt_lookup(store, "peer@example.org", &error);
  g_assert_cmpint(p4->autocrypt_timestamp, ==, now);
  g_assert_cmpint(p4->prefer_encrypt, ==, SM_AUTOCRYPT_PREFER_NOPREFERENCE);
  g_assert_true(g_bytes_equal(p4->public_key, key2));

  /* A header for another address than From is not used. */
  g_assert_true(sm_autocrypt_update(store, "other@example.org", t1, h1, now, &error));
  g_autoptr(SmAutocryptPeer) other = sm_autocrypt_lookup(store, "other@example.org", &error);
  g_assert_null(other->public_key);
  g_assert_null(sm_autocrypt_lookup(store, "nobody@example.org", &error));
  g_assert_no_error(error);
}

static void
test_gossip_rules(void)
{
  g_autoptr(SmAutocryptStore) store = new_store("gossip.db");
  g_autoptr(SmAutocryptHeader) direct = header_for("peer@example.org", 0, key1);
  g_autoptr(SmAutocryptHeader) gossip = header_for("peer@example.org", 0, key2);
  g_autoptr(GError) error = NULL;
  const gint64 now = 2000000000;

  /* Gossip alone gives a key, marked as gossip. */
  g_assert_true(sm_autocrypt_update_gossip(store, gossip, now - 500, now, &error));
  g_autoptr(SmAutocryptPeer) p = sm_autocrypt_lookup(store, "peer@example.org", &error);
  gboolean from_gossip = FALSE;
  g_assert_true(g_bytes_equal(sm_autocrypt_peer_key(p, &from_gossip), key2));
  g_assert_true(from_gossip);
  g_assert_cmpint(p->last_seen, ==, 0);

  /* A direct header, then newer gossip with another key: the direct key stays the one used. */
  g_assert_true(sm_autocrypt_update(store, "peer@example.org", now - 400, direct, now, &error));
  g_assert_true(sm_autocrypt_update_gossip(store, gossip, now - 100, now, &error));
  g_autoptr(SmAutocryptPeer) p2 = sm_autocrypt_lookup(store, "peer@example.org", &error);
  g_assert_true(g_bytes_equal(p2->public_key, key1));
  g_assert_true(g_bytes_equal(sm_autocrypt_peer_key(p2, &from_gossip), key1));
  g_assert_false(from_gossip);
  g_assert_cmpint(p2->gossip_timestamp, ==, now - 100);
  g_assert_cmpint(p2->autocrypt_timestamp, ==, now - 400);

  /* Older gossip is ignored. */
  g_autoptr(SmAutocryptHeader) old = header_for("peer@example.org", 0, key1);
  g_assert_true(sm_autocrypt_update_gossip(store, old, now - 300, now, &error));
  g_autoptr(SmAutocryptPeer) p3 = sm_autocrypt_lookup(store, "peer@example.org", &error);
  g_assert_true(g_bytes_equal(p3->gossip_key, key2));
}

static GMimeMessage *
parse(const char *text)
{
  g_autoptr(GBytes) b = g_bytes_new(text, strlen(text));
  g_autoptr(GError) error = NULL;
  GMimeMessage *m = sm_message_parse_bytes(b, NULL, &error);
  g_assert_no_error(error);
  return m;
}

static void
test_process_message(void)
{
  g_autoptr(SmAutocryptStore) store = new_store("messages.db");
  g_autoptr(GError) error = NULL;
  g_autofree char *h1
      = sm_autocrypt_header_format("peer@example.org", SM_AUTOCRYPT_PREFER_MUTUAL, key1);
  g_autofree char *h2 = sm_autocrypt_header_format("peer@example.org", 0, key2);
  g_autofree char *text = g_strdup_printf("From: Peer <Peer@example.org>\nTo: me@example.org\n"
                                          "Date: Tue, 24 Nov 2026 10:00:00 +0000\n"
                                          "Autocrypt: %s\nSubject: hi\n\nbody\n",
                                          h1);
  g_autoptr(GMimeMessage) m = parse(text);
  g_assert_true(sm_autocrypt_process_message(store, m, &error));
  g_autoptr(SmAutocryptPeer) p = sm_autocrypt_lookup(store, "peer@example.org", &error);
  g_assert_nonnull(p);
  g_assert_true(g_bytes_equal(p->public_key, key1));
  g_assert_cmpint(p->autocrypt_timestamp, ==, 1795514400); /* 2026-11-24T10:00:00Z */

  /* Two headers for the sender: treated as none (only last_seen moves). */
  g_autofree char *two = g_strdup_printf("From: peer@example.org\n"
                                         "Date: Wed, 25 Nov 2026 10:00:00 +0000\n"
                                         "Autocrypt: %s\nAutocrypt: %s\n\nbody\n",
                                         h1, h2);
  g_autoptr(GMimeMessage) m2 = parse(two);
  g_assert_true(sm_autocrypt_process_message(store, m2, &error));
  g_autoptr(SmAutocryptPeer) p2 = sm_autocrypt_lookup(store, "peer@example.org", &error);
  g_assert_true(g_bytes_equal(p2->public_key, key1));
  g_assert_cmpint(p2->last_seen, ==, 1795600800); /* 2026-11-25T10:00:00Z */

  /* A delivery report is ignored altogether. */
  g_autofree char *report = g_strdup_printf(
      "From: peer@example.org\nDate: Thu, 26 Nov 2026 09:00:00 +0000\nAutocrypt: %s\n"
      "MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; "
      "boundary=b\n\n--b\nContent-Type: text/plain\n\nx\n--b--\n",
      h2);
  g_autoptr(GMimeMessage) m3 = parse(report);
  g_assert_true(sm_autocrypt_process_message(store, m3, &error));
  g_autoptr(SmAutocryptPeer) p3 = sm_autocrypt_lookup(store, "peer@example.org", &error);
  g_assert_true(g_bytes_equal(p3->public_key, key1));

  /* Gossip in the decrypted part, for a To recipient and for a stranger (ignored). */
  g_autofree char *g1 = sm_autocrypt_header_format("friend@example.org", 0, key2);
  g_autofree char *g2 = sm_autocrypt_header_format("stranger@example.org", 0, key2);
  g_autoptr(GMimeMessage) outer = parse("From: peer@example.org\nTo: me@example.org, "
                                        "friend@example.org\nDate: Wed, 25 Nov 2026 11:00:00 "
                                        "+0000\n\nx\n");
  g_autofree char *inner_text = g_strdup_printf("Autocrypt-Gossip: %s\nAutocrypt-Gossip: %s\n"
                                                "Content-Type: text/plain\n\nsecret\n",
                                                g1, g2);
  g_autoptr(GMimeStream) st = g_mime_stream_mem_new_with_buffer(inner_text, strlen(inner_text));
  g_autoptr(GMimeParser) parser = g_mime_parser_new_with_stream(st);
  g_autoptr(GMimeObject) inner = g_mime_parser_construct_part(parser, NULL);
  g_assert_nonnull(inner);
  g_assert_true(sm_autocrypt_process_gossip(store, outer, inner, &error));
  g_autoptr(SmAutocryptPeer) friend = sm_autocrypt_lookup(store, "friend@example.org", &error);
  g_assert_nonnull(friend);
  g_assert_true(g_bytes_equal(friend->gossip_key, key2));
  g_assert_null(friend->public_key);
  g_assert_null(sm_autocrypt_lookup(store, "stranger@example.org", &error));
  g_assert_no_error(error);
}

static void
test_import(void)
{
  g_autoptr(SmAutocryptStore) store = new_store("import.db");
  g_autoptr(SmAutocryptHeader) h = header_for("peer@example.org", 0, key1);
  g_autoptr(GError) error = NULL;
  g_assert_true(sm_autocrypt_update(store, "peer@example.org", 1000, h, 2000, &error));
  g_autoptr(SmAutocryptPeer) p = sm_autocrypt_lookup(store, "peer@example.org", &error);
  /* Into a fresh home: the key must then be listed by gpg there. */
  g_autofree char *home = g_build_filename(tmpdir, "import-home", NULL);
  g_assert_cmpint(g_mkdir(home, 0700), ==, 0);
  g_autofree char *want = sm_autocrypt_key_fingerprint(key1, home, &error);
  g_assert_no_error(error);
  g_autofree char *fpr = sm_autocrypt_import(p, home, &error);
  g_assert_no_error(error);
  g_assert_cmpstr(fpr, ==, want);
  g_assert_cmpuint(strlen(fpr), ==, 40);
  /* Garbage that passes the first-byte check is refused by GnuPG, not trusted. */
  g_autoptr(GBytes) junk = g_bytes_new_static("\x99\x01\x0d\x04garbage", 12);
  g_assert_null(sm_autocrypt_key_fingerprint(junk, home, &error));
  g_assert_nonnull(error);
  const char *kill[] = { "gpgconf", "--homedir", home, "--kill", "all", NULL };
  run(kill, NULL);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  sm_message_init();
  tmpdir = g_dir_make_tmp("sm-autocrypt-XXXXXX", NULL);
  gnupg_home = g_build_filename(tmpdir, "gnupg", NULL);
  g_assert_cmpint(g_mkdir(gnupg_home, 0700), ==, 0);
  key1 = make_key("Peer One <peer@example.org>");
  key2 = make_key("Peer Two <peer2@example.org>");
  g_test_add_func("/autocrypt/header-syntax", test_header_syntax);
  g_test_add_func("/autocrypt/update-rules", test_update_rules);
  g_test_add_func("/autocrypt/gossip-rules", test_gossip_rules);
  g_test_add_func("/autocrypt/process-message", test_process_message);
  g_test_add_func("/autocrypt/import", test_import);
  int rc = g_test_run();
  const char *kill[] = { "gpgconf", "--kill", "all", NULL };
  run(kill, NULL);
  const char *rm[] = { "rm", "-rf", tmpdir, NULL };
  run(rm, NULL);
  g_bytes_unref(key1);
  g_bytes_unref(key2);
  return rc;
}
