/* Unit tests of sm-seal: structures, keys used, protected headers, Autocrypt and Bcc handling,
 * checked by decrypting and verifying with GMime's own GPGME contexts (a different code path
 * from sm-seal's). Keys are generated with the gpg CLI in a throwaway GNUPGHOME; plans are built
 * by hand so that these tests do not depend on the policy module. */
#include "sm-error.h"
#include "sm-message.h"
#include "sm-seal.h"

#include <glib/gstdio.h>
#include <gpgme.h>
#include <string.h>

static char *gnupg_home;

static void
run_tool(const char *const *argv)
{
  g_autofree char *out = NULL, *err = NULL;
  int status = 0;
  g_autoptr(GError) error = NULL;
  g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err, &status,
               &error);
  g_assert_no_error(error);
  if (!g_spawn_check_wait_status(status, NULL))
    g_error("%s failed: %s", argv[0], err);
}

static void
gen_key(const char *uid, const char *algo)
{
  const char *argv[]
      = { "gpg", "--batch", "--homedir", gnupg_home, "--passphrase", "", "--quick-gen-key", uid,
          algo,  "default", "never",     NULL };
  run_tool(argv);
}

/* Runs a tool and returns its standard output. */
static char *
tool_output(const char *const *argv)
{
  g_autofree char *out = NULL, *err = NULL;
  int status = 0;
  g_autoptr(GError) error = NULL;
  g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err, &status,
               &error);
  g_assert_no_error(error);
  if (!g_spawn_check_wait_status(status, NULL))
    g_error("%s failed: %s", argv[0], err);
  return g_steal_pointer(&out);
}

/* The value of field @field of the first @record line of gpg/gpgsm --with-colons output. */
static char *
colon_field(const char *listing, const char *record, guint field)
{
  g_auto(GStrv) lines = g_strsplit(listing, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto(GStrv) f = g_strsplit(lines[i], ":", -1);
      if (g_strcmp0(f[0], record) == 0 && g_strv_length(f) > field)
        return g_strdup(f[field]);
    }
  g_error("no %s record", record);
}

/* A self-signed X.509 certificate for @address made by gpgsm on a new RSA key that gpg generates
 * without a passphrase (gpgsm 2.2 would ask for one), trusted in trustlist.txt. The gpg user ID
 * holds no address, so the OpenPGP side never offers this key for @address. */
static void
gen_cert(const char *address, const char *holder)
{
  const char *gen[] = { "gpg",          "--batch",   "--homedir",       gnupg_home,
                        "--passphrase", "",          "--quick-gen-key", holder,
                        "rsa2048",      "sign,encr", "never",           NULL };
  run_tool(gen);
  const char *list[] = { "gpg",         "--homedir", gnupg_home, "--with-colons", "--with-keygrip",
                         "--list-keys", holder,      NULL };
  g_autofree char *listing = tool_output(list);
  g_autofree char *grip = colon_field(listing, "grp", 9);
  g_autofree char *parms
      = g_strdup_printf("Key-Type: RSA\nKey-Grip: %s\nKey-Usage: sign, encrypt\n"
                        "Serial: random\nName-DN: CN=%s,O=Test\nName-Email: %s\n",
                        grip, holder, address);
  g_autofree char *parms_path = g_build_filename(gnupg_home, "cert.parms", NULL);
  g_autofree char *cert_path = g_build_filename(gnupg_home, "cert.pem", NULL);
  g_assert_true(g_file_set_contents(parms_path, parms, -1, NULL));
  const char *mk[]
      = { "gpgsm", "--homedir", gnupg_home, "--batch", "--gen-key", "--armor", parms_path, NULL };
  g_autofree char *cert = tool_output(mk);
  g_assert_true(g_file_set_contents(cert_path, cert, -1, NULL));
  const char *import[]
      = { "gpgsm", "--homedir", gnupg_home, "--batch", "--import", cert_path, NULL };
  run_tool(import);
  const char *certs[]
      = { "gpgsm", "--homedir", gnupg_home, "--with-colons", "--list-keys", address, NULL };
  g_autofree char *x509 = tool_output(certs);
  g_autofree char *fpr = colon_field(x509, "fpr", 9);
  g_autofree char *trustlist = g_build_filename(gnupg_home, "trustlist.txt", NULL);
  g_autofree char *old = NULL;
  g_file_get_contents(trustlist, &old, NULL, NULL);
  g_autofree char *entry = g_strdup_printf("%s%s S relax\n", old ? old : "", fpr);
  g_assert_true(g_file_set_contents(trustlist, entry, -1, NULL));
  const char *reload[] = { "gpgconf", "--homedir", gnupg_home, "--reload", "gpg-agent", NULL };
  run_tool(reload);
}

static char *
fpr_of_proto(const char *address, gboolean secret, gpgme_protocol_t proto)
{
  gpgme_ctx_t ctx = NULL;
  gpgme_key_t key = NULL;
  g_assert_cmpint(gpgme_new(&ctx), ==, 0);
  g_assert_cmpint(gpgme_set_protocol(ctx, proto), ==, 0);
  g_assert_cmpint(gpgme_op_keylist_start(ctx, address, secret), ==, 0);
  g_assert_cmpint(gpgme_op_keylist_next(ctx, &key), ==, 0);
  char *fpr = g_strdup(key->fpr);
  gpgme_key_unref(key);
  gpgme_op_keylist_end(ctx);
  gpgme_release(ctx);
  return fpr;
}

static char *
fpr_of(const char *address, gboolean secret)
{
  return fpr_of_proto(address, secret, GPGME_PROTOCOL_OpenPGP);
}

/* --- hand-built plans (freed here: sm_plan_free belongs to the policy module) */

static SmRecipientPlan *
rcpt_new(const char *address, SmRecipientKind kind, SmDecision decision)
{
  SmRecipientPlan *rp = g_new0(SmRecipientPlan, 1);
  rp->address = g_strdup(address);
  rp->kind = kind;
  rp->decision = decision;
  rp->reason = g_strdup("test");
  if (decision == SM_DECISION_ENCRYPT_OPENPGP || decision == SM_DECISION_ENCRYPT_SMIME)
    {
      gboolean smime = decision == SM_DECISION_ENCRYPT_SMIME;
      rp->key = g_new0(SmKey, 1);
      rp->key->protocol = smime ? SM_PROTO_SMIME : SM_PROTO_OPENPGP;
      rp->key->fingerprint
          = fpr_of_proto(address, FALSE, smime ? GPGME_PROTOCOL_CMS : GPGME_PROTOCOL_OpenPGP);
      rp->key->address = g_strdup(address);
    }
  return rp;
}

static void
rcpt_free(SmRecipientPlan *rp)
{
  if (rp->key != NULL)
    {
      g_free(rp->key->fingerprint);
      g_free(rp->key->address);
      g_free(rp->key->name);
      g_free(rp->key);
    }
  g_free(rp->address);
  g_free(rp->reason);
  g_free(rp);
}

static SmPlan *
plan_new(const char *sender)
{
  SmPlan *plan = g_new0(SmPlan, 1);
  plan->recipients = g_ptr_array_new_with_free_func((GDestroyNotify)rcpt_free);
  plan->groups = g_ptr_array_new();
  plan->sender = g_strdup(sender);
  return plan;
}

/* Adds a group of @decision for the recipients "addr:kind" (kind t, c or b). */
static void
plan_add_group(SmPlan *plan, SmDecision decision, gboolean bcc_copy, const char *const *rcpts)
{
  SmPlanGroup *group = g_new0(SmPlanGroup, 1);
  group->decision = decision;
  group->bcc_copy = bcc_copy;
  group->recipients = g_ptr_array_new();
  for (gsize i = 0; rcpts[i] != NULL; i++)
    {
      g_auto(GStrv) f = g_strsplit(rcpts[i], ":", 2);
      SmRecipientKind kind = f[1][0] == 'b'   ? SM_RCPT_BCC
                             : f[1][0] == 'c' ? SM_RCPT_CC
                                              : SM_RCPT_TO;
      SmRecipientPlan *rp = rcpt_new(f[0], kind, decision);
      g_ptr_array_add(plan->recipients, rp);
      g_ptr_array_add(group->recipients, rp);
    }
  g_ptr_array_add(plan->groups, group);
}

static void
plan_free_local(SmPlan *plan)
{
  for (guint i = 0; i < plan->groups->len; i++)
    {
      SmPlanGroup *g = g_ptr_array_index(plan->groups, i);
      g_ptr_array_unref(g->recipients);
      g_free(g);
    }
  g_ptr_array_unref(plan->groups);
  g_ptr_array_unref(plan->recipients);
  g_free(plan->sender);
  g_free(plan->reason);
  g_free(plan);
}

typedef SmPlan TestPlan;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(TestPlan, plan_free_local)

/* --- messages */

static const char sample[] = "From: Alice <alice@example.org>\n"
                             "To: Bob <bob@example.org>, carol@example.org\n"
                             "Bcc: dave@example.org\n"
                             "Subject: Quarterly numbers\n"
                             "Date: Tue, 24 Nov 2026 10:00:00 +0000\n"
                             "Message-ID: <q1@example.org>\n"
                             "MIME-Version: 1.0\n"
                             "Content-Type: text/plain; charset=utf-8\n"
                             "Content-Transfer-Encoding: 8bit\n"
                             "\n"
                             "The numbers are in.   \n"
                             "From the desk of Alice, with trailing spaces above.\n";

static GMimeMessage *
parse_str(const char *s)
{
  g_autoptr(GBytes) bytes = g_bytes_new(s, strlen(s));
  g_autoptr(GError) error = NULL;
  GMimeMessage *m = sm_message_parse_bytes(bytes, NULL, &error);
  g_assert_no_error(error);
  return m;
}

/* Serialises and re-parses, as a receiver would see the message. */
static GMimeMessage *
round_trip(GMimeMessage *m)
{
  g_autofree char *text = g_mime_object_to_string(GMIME_OBJECT(m), NULL);
  return parse_str(text);
}

static GPtrArray *
seal(SmPlan *plan, GMimeMessage *m, const SmSealOptions *opts, GError **error)
{
  return sm_seal_plan(plan, m, opts, error);
}

static const SmSealOptions default_opts
    = { .protect_headers = TRUE, .autocrypt = TRUE, .prefer_encrypt_mutual = TRUE };

/* Decrypts a multipart/encrypted with GMime; checks Alice's signature and returns the payload. */
static GMimeObject *
decrypt_pgp(GMimeMessage *m, GMimeDecryptResult **result_out)
{
  GMimeObject *body = g_mime_message_get_mime_part(m);
  g_assert_true(GMIME_IS_MULTIPART_ENCRYPTED(body));
  g_assert_cmpstr(g_mime_object_get_content_type_parameter(body, "protocol"), ==,
                  "application/pgp-encrypted");
  g_autoptr(GError) error = NULL;
  GMimeDecryptResult *result = NULL;
  GMimeObject *payload = g_mime_multipart_encrypted_decrypt(
      GMIME_MULTIPART_ENCRYPTED(body), GMIME_DECRYPT_NONE, NULL, &result, &error);
  g_assert_no_error(error);
  g_assert_nonnull(payload);
  *result_out = result;
  return payload;
}

static gboolean
result_has_recipient(GMimeDecryptResult *result, const char *fpr)
{
  GMimeCertificateList *list = g_mime_decrypt_result_get_recipients(result);
  for (int i = 0; list != NULL && i < g_mime_certificate_list_length(list); i++)
    {
      const char *keyid
          = g_mime_certificate_get_key_id(g_mime_certificate_list_get_certificate(list, i));
      /* The recipient is an encryption subkey: compare through GPGME's key listing. */
      gpgme_ctx_t ctx = NULL;
      gpgme_key_t key = NULL;
      gpgme_new(&ctx);
      gboolean match = gpgme_get_key(ctx, fpr, &key, 0) == 0 && key != NULL;
      gboolean found = FALSE;
      for (gpgme_subkey_t sk = match ? key->subkeys : NULL; sk != NULL; sk = sk->next)
        if (keyid != NULL && sk->keyid != NULL && g_ascii_strcasecmp(sk->keyid, keyid) == 0)
          found = TRUE;
      gpgme_key_unref(key);
      gpgme_release(ctx);
      if (found)
        return TRUE;
    }
  return FALSE;
}

static void
assert_signed_by(GMimeSignatureList *sigs, const char *fpr)
{
  g_assert_nonnull(sigs);
  g_assert_cmpint(g_mime_signature_list_length(sigs), ==, 1);
  GMimeSignature *sig = g_mime_signature_list_get_signature(sigs, 0);
  g_assert_cmpint(g_mime_signature_get_status(sig) & GMIME_SIGNATURE_STATUS_RED, ==, 0);
  g_assert_cmpstr(g_mime_certificate_get_fingerprint(g_mime_signature_get_certificate(sig)), ==,
                  fpr);
}

/* --- tests */

static void
test_openpgp_encrypt(void)
{
  g_autoptr(TestPlan) plan = plan_new("alice@example.org");
  const char *rcpts[] = { "bob@example.org:t", "carol@example.org:t", NULL };
  plan_add_group(plan, SM_DECISION_ENCRYPT_OPENPGP, FALSE, rcpts);
  g_autoptr(GMimeMessage) m = parse_str(sample);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) out = seal(plan, m, &default_opts, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(out->len, ==, 1);
  SmSealedMessage *sealed = g_ptr_array_index(out, 0);
  g_assert_true(sealed->is_signed);
  g_assert_true(sealed->self_encrypted);
  g_assert_cmpuint(g_strv_length(sealed->envelope_rcpts), ==, 2);
  g_assert_true(g_strv_contains((const char *const *)sealed->envelope_rcpts, "bob@example.org"));

  g_autoptr(GMimeMessage) rx = round_trip(sealed->message);
  g_assert_cmpstr(g_mime_message_get_subject(rx), ==, "[...]");
  g_assert_null(g_mime_object_get_header(GMIME_OBJECT(rx), "Bcc"));
  g_assert_cmpstr(g_mime_message_get_message_id(rx), ==, "q1@example.org");
  /* The Autocrypt header parses and carries Alice's key. */
  g_autoptr(GDateTime) now = g_date_time_new_now_utc();
  g_autoptr(GMimeAutocryptHeader) ah = g_mime_message_get_autocrypt_header(rx, now);
  g_assert_nonnull(ah);
  g_assert_true(g_mime_autocrypt_header_is_complete(ah));
  g_assert_cmpstr(g_mime_autocrypt_header_get_address_as_string(ah), ==, "alice@example.org");
  g_assert_cmpint(g_mime_autocrypt_header_get_prefer_encrypt(ah), ==,
                  GMIME_AUTOCRYPT_PREFER_ENCRYPT_MUTUAL);

  g_autoptr(GMimeDecryptResult) result = NULL;
  g_autoptr(GMimeObject) payload = decrypt_pgp(rx, &result);
  g_autofree char *alice = fpr_of("alice@example.org", TRUE);
  g_autofree char *bob = fpr_of("bob@example.org", FALSE);
  g_autofree char *carol = fpr_of("carol@example.org", FALSE);
  g_autofree char *dave = fpr_of("dave@example.org", FALSE);
  assert_signed_by(g_mime_decrypt_result_get_signatures(result), alice);
  g_assert_true(result_has_recipient(result, bob));
  g_assert_true(result_has_recipient(result, carol));
  g_assert_true(result_has_recipient(result, alice)); /* encrypt-to-self */
  g_assert_false(result_has_recipient(result, dave));

  /* Protected headers: hp="cipher", the real Subject, HP-Outer, no Bcc, gossip for both. */
  g_assert_cmpstr(g_mime_object_get_content_type_parameter(payload, "hp"), ==, "cipher");
  g_assert_cmpstr(g_mime_object_get_header(payload, "Subject"), ==, "Quarterly numbers");
  g_assert_null(g_mime_object_get_header(payload, "Bcc"));
  g_autofree char *headers = g_mime_object_get_headers(payload, NULL);
  g_assert_nonnull(strstr(headers, "HP-Outer: Subject: [...]"));
  g_assert_null(strstr(headers, "dave@"));
  g_autoptr(GMimeAutocryptHeaderList) gossip
      = g_mime_message_get_autocrypt_gossip_headers_from_inner_part(rx, now, payload);
  g_assert_cmpuint(g_mime_autocrypt_header_list_get_count(gossip), ==, 2);
  g_autofree char *text = g_mime_text_part_get_text(GMIME_TEXT_PART(payload));
  g_assert_nonnull(strstr(text, "The numbers are in."));
}

static void
test_bcc_copies(void)
{
  g_autoptr(TestPlan) plan = plan_new("alice@example.org");
  const char *to[] = { "bob@example.org:t", NULL };
  const char *bcc[] = { "dave@example.org:b", NULL };
  plan_add_group(plan, SM_DECISION_ENCRYPT_OPENPGP, FALSE, to);
  plan_add_group(plan, SM_DECISION_ENCRYPT_OPENPGP, TRUE, bcc);
  g_autoptr(GMimeMessage) m = parse_str(sample);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) out = seal(plan, m, &default_opts, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(out->len, ==, 2);
  g_autofree char *bob = fpr_of("bob@example.org", FALSE);
  g_autofree char *dave = fpr_of("dave@example.org", FALSE);
  for (guint i = 0; i < 2; i++)
    {
      SmSealedMessage *sealed = g_ptr_array_index(out, i);
      g_assert_cmpuint(g_strv_length(sealed->envelope_rcpts), ==, 1);
      g_assert_cmpstr(sealed->envelope_rcpts[0], ==,
                      i == 0 ? "bob@example.org" : "dave@example.org");
      g_autofree char *wire = g_mime_object_to_string(GMIME_OBJECT(sealed->message), NULL);
      /* A header field, not three letters that base64 keydata or armor may contain by chance. */
      g_autoptr(GMimeMessage) parsed = parse_str(wire);
      g_assert_null(g_mime_object_get_header(GMIME_OBJECT(parsed), "Bcc"));
      g_assert_null(strstr(wire, "dave@"));
      g_autoptr(GMimeMessage) rx = parse_str(wire);
      g_autoptr(GMimeDecryptResult) result = NULL;
      g_autoptr(GMimeObject) payload = decrypt_pgp(rx, &result);
      g_assert_true(result_has_recipient(result, i == 0 ? bob : dave));
      g_assert_false(result_has_recipient(result, i == 0 ? dave : bob));
      g_autofree char *inner = g_mime_object_to_string(payload, NULL);
      g_assert_null(strstr(inner, "dave@"));
      /* One visible recipient: no gossip. */
      g_assert_null(strstr(inner, "Autocrypt-Gossip"));
    }
}

static void
test_sign_only(void)
{
  g_autoptr(TestPlan) plan = plan_new("alice@example.org");
  const char *rcpts[] = { "zed@example.net:t", NULL };
  plan_add_group(plan, SM_DECISION_PLAIN, FALSE, rcpts);
  g_autoptr(GMimeMessage) m = parse_str(sample);
  SmSealOptions opts = default_opts;
  opts.sign = TRUE;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) out = seal(plan, m, &opts, &error);
  g_assert_no_error(error);
  SmSealedMessage *sealed = g_ptr_array_index(out, 0);
  g_assert_true(sealed->is_signed);
  g_autoptr(GMimeMessage) rx = round_trip(sealed->message);
  g_assert_cmpstr(g_mime_message_get_subject(rx), ==, "Quarterly numbers");
  GMimeObject *body = g_mime_message_get_mime_part(rx);
  g_assert_true(GMIME_IS_MULTIPART_SIGNED(body));
  g_autoptr(GMimeSignatureList) sigs
      = g_mime_multipart_signed_verify(GMIME_MULTIPART_SIGNED(body), GMIME_VERIFY_NONE, &error);
  g_assert_no_error(error);
  /* micalg names the digest the signature really uses (RFC 3156 section 5). */
  GMimeSignature *sig = g_mime_signature_list_get_signature(sigs, 0);
  g_autoptr(GMimeCryptoContext) ctx = g_mime_gpg_context_new();
  g_assert_cmpstr(
      g_mime_object_get_content_type_parameter(body, "micalg"), ==,
      g_mime_crypto_context_digest_name(
          ctx, g_mime_certificate_get_digest_algo(g_mime_signature_get_certificate(sig))));
  g_autofree char *alice = fpr_of("alice@example.org", TRUE);
  assert_signed_by(sigs, alice);
  GMimeObject *content = g_mime_multipart_get_part(GMIME_MULTIPART(body), 0);
  g_assert_cmpstr(g_mime_object_get_content_type_parameter(content, "hp"), ==, "clear");
}

static void
test_plain_unchanged(void)
{
  g_autoptr(TestPlan) plan = plan_new("alice@example.org");
  const char *rcpts[] = { "zed@example.net:t", NULL };
  plan_add_group(plan, SM_DECISION_PLAIN, FALSE, rcpts);
  g_autoptr(GMimeMessage) m = parse_str(sample);
  SmSealOptions opts = { .protect_headers = TRUE };
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) out = seal(plan, m, &opts, &error);
  g_assert_no_error(error);
  SmSealedMessage *sealed = g_ptr_array_index(out, 0);
  g_assert_false(sealed->is_signed);
  g_autoptr(GMimeMessage) rx = round_trip(sealed->message);
  g_assert_cmpstr(g_mime_message_get_subject(rx), ==, "Quarterly numbers");
  g_assert_null(g_mime_object_get_header(GMIME_OBJECT(rx), "Bcc"));
  g_assert_null(g_mime_object_get_header(GMIME_OBJECT(rx), "Autocrypt"));
  GMimeObject *body = g_mime_message_get_mime_part(rx);
  g_assert_true(GMIME_IS_TEXT_PART(body));
  g_autofree char *text = g_mime_text_part_get_text(GMIME_TEXT_PART(body));
  g_assert_nonnull(strstr(text, "The numbers are in.   \n"));
  /* Nothing signed: the transfer encoding is the one the sender chose. */
  g_assert_cmpint(g_mime_part_get_content_encoding(GMIME_PART(body)), ==,
                  GMIME_CONTENT_ENCODING_8BIT);
}

static void
test_blocked_and_missing_key(void)
{
  g_autoptr(GMimeMessage) m = parse_str(sample);
  g_autoptr(TestPlan) blocked = plan_new("alice@example.org");
  blocked->blocked = TRUE;
  blocked->reason = g_strdup("US_SSN found (1) and no key for zed@example.net");
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) out = seal(blocked, m, &default_opts, &error);
  g_assert_null(out);
  g_assert_error(error, SM_ERROR, SM_ERROR_POLICY);
  g_assert_nonnull(strstr(error->message, "US_SSN"));
  g_clear_error(&error);

  g_autoptr(TestPlan) plan = plan_new("alice@example.org");
  const char *rcpts[] = { "bob@example.org:t", NULL };
  plan_add_group(plan, SM_DECISION_ENCRYPT_OPENPGP, FALSE, rcpts);
  SmRecipientPlan *rp = g_ptr_array_index(plan->recipients, 0);
  g_free(rp->key->fingerprint);
  rp->key->fingerprint = g_strdup("0123456789ABCDEF0123456789ABCDEF01234567");
  g_autoptr(GPtrArray) out2 = seal(plan, m, &default_opts, &error);
  g_assert_null(out2);
  g_assert_error(error, SM_ERROR, SM_ERROR_NOT_FOUND);
}

/* A multipart message with a 3 MB binary attachment: many pipe buffers through the feeder. */
static void
test_large_attachment(void)
{
  g_autoptr(GString) s = g_string_new(
      "From: alice@example.org\nTo: bob@example.org\nSubject: big\nMIME-Version: 1.0\n"
      "Content-Type: multipart/mixed; boundary=\"b\"\n\n--b\nContent-Type: text/plain\n\nsee "
      "attached\n--b\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: "
      "base64\n\n");
  gsize n = 3 * 1024 * 1024;
  g_autofree guchar *data = g_malloc(n);
  for (gsize i = 0; i < n; i++)
    data[i] = (guchar)(g_random_int() & 0xff);
  g_autofree char *b64 = g_base64_encode(data, n);
  gsize b64_len = strlen(b64);
  for (gsize i = 0; i < b64_len; i += 76)
    g_string_append_printf(s, "%.76s\n", b64 + i);
  g_string_append(s, "--b--\n");
  g_autoptr(GMimeMessage) m = parse_str(s->str);

  g_autoptr(TestPlan) plan = plan_new("alice@example.org");
  const char *rcpts[] = { "bob@example.org:t", NULL };
  plan_add_group(plan, SM_DECISION_ENCRYPT_OPENPGP, FALSE, rcpts);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) out = seal(plan, m, &default_opts, &error);
  g_assert_no_error(error);
  g_autoptr(GMimeMessage) rx = round_trip(((SmSealedMessage *)g_ptr_array_index(out, 0))->message);
  g_autoptr(GMimeDecryptResult) result = NULL;
  g_autoptr(GMimeObject) payload = decrypt_pgp(rx, &result);
  g_assert_true(GMIME_IS_MULTIPART(payload));
  GMimeObject *att = g_mime_multipart_get_part(GMIME_MULTIPART(payload), 1);
  g_autoptr(GMimeStream) decoded = g_mime_stream_mem_new();
  g_mime_data_wrapper_write_to_stream(g_mime_part_get_content(GMIME_PART(att)), decoded);
  GByteArray *ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(decoded));
  g_assert_cmpuint(ba->len, ==, n);
  g_assert_true(memcmp(ba->data, data, n) == 0);
}

/* The streamed parse of a file seals the same as the in-memory one; garbage is still refused. */
static void
test_streamed_file(void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename(gnupg_home, "msg.eml", NULL);
  g_assert_true(g_file_set_contents(path, sample, -1, &error));
  g_autoptr(GMimeMessage) m = sm_message_parse_file_streamed(path, NULL, &error);
  g_assert_no_error(error);
  g_autoptr(TestPlan) plan = plan_new("alice@example.org");
  const char *rcpts[] = { "bob@example.org:t", NULL };
  plan_add_group(plan, SM_DECISION_ENCRYPT_OPENPGP, FALSE, rcpts);
  g_autoptr(GPtrArray) out = seal(plan, m, &default_opts, &error);
  g_assert_no_error(error);
  g_autoptr(GMimeMessage) rx = round_trip(((SmSealedMessage *)g_ptr_array_index(out, 0))->message);
  g_autoptr(GMimeDecryptResult) result = NULL;
  g_autoptr(GMimeObject) payload = decrypt_pgp(rx, &result);
  g_autofree char *text = g_mime_text_part_get_text(GMIME_TEXT_PART(payload));
  g_assert_nonnull(strstr(text, "The numbers are in."));

  g_assert_true(g_file_set_contents(path, "\x01\x02 not a message\n", -1, &error));
  g_autoptr(GMimeMessage) bad = sm_message_parse_file_streamed(path, NULL, &error);
  g_assert_null(bad);
  g_assert_error(error, SM_ERROR, SM_ERROR_INVALID_INPUT);
  g_unlink(path);
}

/* A bare RFC 5322 message (no MIME header fields) still gets hp= on a part of its own. */
static void
test_no_mime_headers(void)
{
  g_autoptr(GMimeMessage) m
      = parse_str("From: alice@example.org\nTo: bob@example.org\nSubject: bare\n\nhello\n");
  g_autoptr(TestPlan) plan = plan_new("alice@example.org");
  const char *rcpts[] = { "bob@example.org:t", NULL };
  plan_add_group(plan, SM_DECISION_ENCRYPT_OPENPGP, FALSE, rcpts);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) out = seal(plan, m, &default_opts, &error);
  g_assert_no_error(error);
  g_autoptr(GMimeMessage) rx = round_trip(((SmSealedMessage *)g_ptr_array_index(out, 0))->message);
  g_autoptr(GMimeDecryptResult) result = NULL;
  g_autoptr(GMimeObject) payload = decrypt_pgp(rx, &result);
  g_assert_cmpstr(g_mime_object_get_content_type_parameter(payload, "hp"), ==, "cipher");
  g_assert_cmpstr(g_mime_object_get_header(payload, "Subject"), ==, "bare");
  /* The caller's message is unchanged. */
  g_assert_null(g_mime_object_get_content_type_parameter(g_mime_message_get_mime_part(m), "hp"));
}

/* S/MIME: enveloped-data over multipart/signed; decrypted and verified with GMime's gpgsm
 * context; encrypted to the recipient and to the sender's own certificate. */
static void
test_smime_encrypt(void)
{
  g_autoptr(GMimeMessage) m = parse_str(
      "From: Sal <sal@example.com>\nTo: tom@example.com\nBcc: dave@example.org\nSubject: offer\n"
      "MIME-Version: 1.0\nContent-Type: text/plain\n\nThe offer stands.\n");
  g_autoptr(TestPlan) plan = plan_new("sal@example.com");
  const char *rcpts[] = { "tom@example.com:t", NULL };
  plan_add_group(plan, SM_DECISION_ENCRYPT_SMIME, FALSE, rcpts);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) out = seal(plan, m, &default_opts, &error);
  g_assert_no_error(error);
  SmSealedMessage *sealed = g_ptr_array_index(out, 0);
  g_assert_true(sealed->is_signed);
  g_assert_true(sealed->self_encrypted);
  g_autoptr(GMimeMessage) rx = round_trip(sealed->message);
  g_assert_cmpstr(g_mime_message_get_subject(rx), ==, "[...]");
  g_assert_null(g_mime_object_get_header(GMIME_OBJECT(rx), "Autocrypt")); /* no OpenPGP key */
  GMimeObject *body = g_mime_message_get_mime_part(rx);
  g_assert_true(GMIME_IS_APPLICATION_PKCS7_MIME(body));
  g_assert_cmpint(g_mime_application_pkcs7_mime_get_smime_type(GMIME_APPLICATION_PKCS7_MIME(body)),
                  ==, GMIME_SECURE_MIME_TYPE_ENVELOPED_DATA);
  g_autoptr(GMimeDecryptResult) result = NULL;
  g_autoptr(GMimeObject) inner = g_mime_application_pkcs7_mime_decrypt(
      GMIME_APPLICATION_PKCS7_MIME(body), GMIME_DECRYPT_NONE, NULL, &result, &error);
  g_assert_no_error(error);
  g_assert_true(GMIME_IS_MULTIPART_SIGNED(inner));
  g_assert_cmpstr(g_mime_object_get_content_type_parameter(inner, "micalg"), ==, "sha-256");
  g_autoptr(GMimeSignatureList) sigs
      = g_mime_multipart_signed_verify(GMIME_MULTIPART_SIGNED(inner), GMIME_VERIFY_NONE, &error);
  g_assert_no_error(error);
  g_autofree char *sal = fpr_of_proto("sal@example.com", TRUE, GPGME_PROTOCOL_CMS);
  assert_signed_by(sigs, sal);
  GMimeObject *payload = g_mime_multipart_get_part(GMIME_MULTIPART(inner), 0);
  g_assert_cmpstr(g_mime_object_get_content_type_parameter(payload, "hp"), ==, "cipher");
  g_assert_cmpstr(g_mime_object_get_header(payload, "Subject"), ==, "offer");
  g_assert_null(g_mime_object_get_header(payload, "Bcc"));
  /* gpgsm reports only the RecipientInfo it used, so encrypt-to-self is checked by the interop
   * test with openssl and the sender's key (tests/integration/test-seal-interop.sh). */
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  sm_message_init();
  g_autoptr(GError) error = NULL;
  gnupg_home = g_dir_make_tmp("sm-test-seal-XXXXXX", &error);
  g_assert_no_error(error);
  g_setenv("GNUPGHOME", gnupg_home, TRUE);
  gen_key("Alice <alice@example.org>", "future-default");
  gen_key("Bob <bob@example.org>", "future-default");
  gen_key("carol@example.org", "default");
  gen_key("Dave <dave@example.org>", "future-default");
  g_autofree char *gpgsm_conf = g_build_filename(gnupg_home, "gpgsm.conf", NULL);
  g_assert_true(g_file_set_contents(gpgsm_conf, "disable-crl-checks\n", -1, NULL));
  gen_cert("sal@example.com", "x509-holder-sal");
  gen_cert("tom@example.com", "x509-holder-tom");

  g_test_add_func("/seal/openpgp-encrypt", test_openpgp_encrypt);
  g_test_add_func("/seal/bcc-copies", test_bcc_copies);
  g_test_add_func("/seal/sign-only", test_sign_only);
  g_test_add_func("/seal/plain-unchanged", test_plain_unchanged);
  g_test_add_func("/seal/blocked-and-missing-key", test_blocked_and_missing_key);
  g_test_add_func("/seal/large-attachment", test_large_attachment);
  g_test_add_func("/seal/streamed-file", test_streamed_file);
  g_test_add_func("/seal/no-mime-headers", test_no_mime_headers);
  g_test_add_func("/seal/smime-encrypt", test_smime_encrypt);
  int rc = g_test_run();

  const char *kill_argv[] = { "gpgconf", "--homedir", gnupg_home, "--kill", "all", NULL };
  run_tool(kill_argv);
  const char *rm_argv[] = { "rm", "-rf", gnupg_home, NULL };
  run_tool(rm_argv);
  g_free(gnupg_home);
  return rc;
}
