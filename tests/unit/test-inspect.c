/* Unit tests of sm-inspect: the JSON contract of `sealmail inspect --json` (../DESIGN.md,
 * docs/json.md: every member and type, the format version), the human output, refusal of
 * non-messages, and that untrusted header text cannot reach the terminal raw. The delivery path
 * members are only checked for presence and type here: their content is sm-path's tests' job. */
#include "sm-error.h"
#include "sm-inspect.h"
#include "sm-json.h"
#include "sm-message.h"

#include <string.h>

static SmInspect *
inspect_str(const char *text, GError **error)
{
  g_autoptr(GBytes) bytes = g_bytes_new(text, strlen(text));
  SmInspectOptions options = { NULL, NULL, TRUE };
  return sm_inspect_bytes(bytes, &options, error);
}

static JsonObject *
member_object(JsonObject *o, const char *name)
{
  JsonNode *n = json_object_get_member(o, name);
  g_assert_nonnull(n);
  g_assert_true(JSON_NODE_HOLDS_OBJECT(n));
  return json_node_get_object(n);
}

static JsonArray *
member_array(JsonObject *o, const char *name)
{
  JsonNode *n = json_object_get_member(o, name);
  g_assert_nonnull(n);
  g_assert_true(JSON_NODE_HOLDS_ARRAY(n));
  return json_node_get_array(n);
}

static void
assert_type(JsonObject *o, const char *name, GType type)
{
  JsonNode *n = json_object_get_member(o, name);
  g_assert_nonnull(n);
  if (JSON_NODE_HOLDS_NULL(n))
    return;
  g_assert_cmpstr(g_type_name(json_node_get_value_type(n)), ==, g_type_name(type));
}

static void
test_contract_unsigned(void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SmInspect) in
      = inspect_str("From: Alice <alice@example.org>\nSubject: hi\n\nhi\n", &error);
  g_assert_no_error(error);
  g_autoptr(JsonNode) root = sm_inspect_to_json(in);
  JsonObject *o = json_node_get_object(root);
  g_assert_cmpint(json_object_get_int_member(o, "format_version"), ==, SM_JSON_FORMAT_VERSION);
  g_assert_cmpuint(json_array_get_length(member_array(o, "signatures")), ==, 0);
  JsonObject *enc = member_object(o, "encryption");
  g_assert_false(json_object_get_boolean_member(enc, "encrypted"));
  g_assert_true(json_object_get_null_member(enc, "protocol"));
  g_assert_false(json_object_get_boolean_member(enc, "decrypted"));
  JsonObject *verdict = member_object(o, "verdict");
  g_assert_cmpstr(json_object_get_string_member(verdict, "signature"), ==, "unsigned");
  assert_type(verdict, "text", G_TYPE_STRING);
  JsonObject *path = member_object(o, "path");
  member_array(path, "hops");
  assert_type(path, "summary", G_TYPE_STRING);
  member_array(o, "authentication_results");
  member_array(o, "findings");
  JsonObject *msg = member_object(o, "message");
  g_assert_cmpstr(json_object_get_string_member(msg, "from_address"), ==, "alice@example.org");
}

static void
test_contract_signature(void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SmInspect) in = inspect_str(
      "From: Alice <alice@example.org>\nContent-Type: multipart/signed; boundary=s; "
      "protocol=\"application/pgp-signature\"\n\n--s\nContent-Type: text/plain\n\nhi\n"
      "--s\nContent-Type: application/pgp-signature\n\nx\n--s--\n",
      &error);
  g_assert_no_error(error);
  g_autoptr(JsonNode) root = sm_inspect_to_json(in);
  JsonArray *sigs = member_array(json_node_get_object(root), "signatures");
  g_assert_cmpuint(json_array_get_length(sigs), ==, 1);
  JsonObject *sig = json_array_get_object_element(sigs, 0);
  g_assert_cmpstr(json_object_get_string_member(sig, "protocol"), ==, "openpgp");
  g_assert_cmpstr(json_object_get_string_member(sig, "status"), ==, "bad");
  JsonObject *signer = member_object(sig, "signer");
  const char *signer_members[] = { "name", "address", "fingerprint", "issuer" };
  for (gsize i = 0; i < G_N_ELEMENTS(signer_members); i++)
    assert_type(signer, signer_members[i], G_TYPE_STRING);
  assert_type(sig, "from_matches", G_TYPE_BOOLEAN);
  assert_type(sig, "covers_whole_body", G_TYPE_BOOLEAN);
  assert_type(sig, "signing_time", G_TYPE_STRING);
  g_assert_cmpstr(json_object_get_string_member(sig, "part"), ==, "1");
  g_assert_cmpuint(json_array_get_length(member_array(sig, "covered_parts")), ==, 1);
  member_array(sig, "findings");
  g_assert_cmpstr(json_object_get_string_member(
                      member_object(json_node_get_object(root), "verdict"), "signature"),
                  ==, "not-verified");
}

static void
test_human(void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SmInspect) in
      = inspect_str("From: \"ceo@example.com\" <mallory@evil.example>\nSubject: "
                    "=?utf-8?q?caf=C3=A9?= \x1b[31mred\n"
                    "\nhi\n",
                    &error);
  g_assert_no_error(error);
  g_autoptr(GString) out = g_string_new(NULL);
  sm_inspect_print_human(in, out);
  g_assert_nonnull(strstr(out->str, "Signature: Not signed"));
  g_assert_nonnull(strstr(out->str, "Delivery path:"));
  g_assert_nonnull(strstr(out->str, "café"));
  g_assert_nonnull(strstr(out->str, "display-name-impersonation"));
  g_assert_null(strchr(out->str, '\x1b')); /* no terminal escapes from headers */
}

static void
test_not_a_message(void)
{
  const char *inputs[] = { "",
                           "\x7f"
                           "ELF\x02\x01\x01",
                           "just some words\n" };
  for (gsize i = 0; i < G_N_ELEMENTS(inputs); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(SmInspect) in = inspect_str(inputs[i], &error);
      g_assert_null(in);
      g_assert_error(error, SM_ERROR, SM_ERROR_INVALID_INPUT);
    }
}

static void
test_sample(void)
{
  g_autofree char *path = g_test_build_filename(G_TEST_DIST, "data", "sample", "signed.eml", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = sm_message_read_all(path, NULL, &error);
  g_assert_no_error(error);
  SmInspectOptions options = { NULL, NULL, TRUE };
  g_autoptr(SmInspect) in = sm_inspect_bytes(bytes, &options, &error);
  g_assert_no_error(error);
  const SmVerifyResult *v = sm_inspect_get_verify(in);
  g_assert_cmpuint(v->signatures->len, ==, 1);
  g_assert_nonnull(sm_inspect_get_path(in));
  g_autoptr(JsonNode) root = sm_inspect_to_json(in);
  g_autofree char *text = sm_json_to_string(root, FALSE);
  g_assert_nonnull(strstr(text, "\"subject\":\"Minutes of Tuesday's meeting\""));
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  sm_message_init();
  g_test_add_func("/inspect/contract-unsigned", test_contract_unsigned);
  g_test_add_func("/inspect/contract-signature", test_contract_signature);
  g_test_add_func("/inspect/human", test_human);
  g_test_add_func("/inspect/not-a-message", test_not_a_message);
  g_test_add_func("/inspect/sample", test_sample);
  return g_test_run();
}
