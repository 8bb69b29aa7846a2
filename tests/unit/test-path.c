/* Unit tests of sm-path: the trust boundary with and without configuration, forged hops and
 * Authentication-Results below the entry hop, the verdict text, the JSON contract, and the limits
 * (100,000 Received fields, a 50 MB header block). */
#include "sm-error.h"
#include "sm-json.h"
#include "sm-message.h"
#include "sm-path.h"

#include <string.h>

static GMimeMessage *
message_from(const char *headers)
{
  g_autofree char *msg = g_strconcat(headers, "\nbody\n", NULL);
  g_autoptr(GBytes) bytes = g_bytes_new(msg, strlen(msg));
  g_autoptr(GError) error = NULL;
  GMimeMessage *m = sm_message_parse_bytes(bytes, NULL, &error);
  g_assert_no_error(error);
  return m;
}

static SmPath *
path_from(const char *headers, const char *const *trusted)
{
  g_autoptr(GMimeMessage) m = message_from(headers);
  SmPathOptions options = { .trusted = trusted, .limits = NULL };
  g_autoptr(GError) error = NULL;
  SmPath *path
      = sm_path_new_from_headers(g_mime_object_get_header_list(GMIME_OBJECT(m)), &options, &error);
  g_assert_no_error(error);
  return path;
}

static SmPath *
path_from_file(const char *name, const char *const *trusted)
{
  g_autofree char *file = g_test_build_filename(G_TEST_DIST, "data", "received", name, NULL);
  g_autofree char *data = NULL;
  g_assert_true(g_file_get_contents(file, &data, NULL, NULL));
  g_autofree char *block = g_strconcat(data, "\n", NULL);
  return path_from(block, trusted);
}

static JsonArray *
hops_of(JsonNode *path_json)
{
  return json_object_get_array_member(json_node_get_object(path_json), "hops");
}

/* "provider"/"claimed"/"unknown" of each hop, joined with ',', and "P"/"-" for provider. */
static char *
labels(const SmPath *path)
{
  g_autoptr(JsonNode) node = sm_path_to_json(path);
  JsonArray *hops = hops_of(node);
  GString *s = g_string_new(NULL);
  for (guint i = 0; i < json_array_get_length(hops); i++)
    {
      JsonObject *h = json_array_get_object_element(hops, i);
      g_string_append_printf(s, "%s%s%s", i > 0 ? "," : "",
                             json_object_get_boolean_member(h, "provider") ? "P:" : "-:",
                             json_object_get_string_member(h, "source"));
    }
  return g_string_free(s, FALSE);
}

/* "authserv-id/method=trusted|ignored" of each Authentication-Results entry. */
static char *
authres_labels(const SmPath *path)
{
  g_autoptr(JsonNode) node = sm_path_authres_to_json(path);
  JsonArray *a = json_node_get_array(node);
  GString *s = g_string_new(NULL);
  for (guint i = 0; i < json_array_get_length(a); i++)
    {
      JsonObject *o = json_array_get_object_element(a, i);
      g_string_append_printf(s, "%s%s/%s=%s", i > 0 ? "," : "",
                             json_object_get_string_member_with_default(o, "authserv_id", "-"),
                             json_object_get_string_member_with_default(o, "method", "-"),
                             json_object_get_boolean_member(o, "trusted") ? "trusted" : "ignored");
    }
  return g_string_free(s, FALSE);
}

#define DATE "; Mon, 1 Jan 2024 10:00:%02d +0000\n"

static char *
tls_hop(const char *from, const char *ip, const char *by, int second)
{
  return g_strdup_printf("Received: from %s (%s [%s])\n\t(using TLSv1.3 with cipher "
                         "TLS_AES_256_GCM_SHA384 (256/256 bits))\n\tby %s (Postfix) with ESMTPS "
                         "id X" DATE,
                         from, from, ip, by, second);
}

static char *
clear_hop(const char *from, const char *ip, const char *by, int second)
{
  return g_strdup_printf("Received: from %s (%s [%s]) by %s (Postfix) with ESMTP id X" DATE, from,
                         from, ip, by, second);
}

/* Five public hops; the user's provider is example.net (mx2 <- mx1 <- relay.example.org). */
static char *
five_hops(gboolean third_in_clear)
{
  g_autofree char *h1 = tls_hop("mx1.example.net", "198.51.100.1", "mx2.example.net", 50);
  g_autofree char *h2 = tls_hop("relay.example.org", "192.0.2.10", "mx1.example.net", 40);
  g_autofree char *h3 = third_in_clear
                            ? clear_hop("mx.example.com", "192.0.2.20", "relay.example.org", 30)
                            : tls_hop("mx.example.com", "192.0.2.20", "relay.example.org", 30);
  g_autofree char *h4 = tls_hop("out.example.com", "192.0.2.30", "mx.example.com", 20);
  g_autofree char *h5 = tls_hop("laptop.example.com", "203.0.113.9", "out.example.com", 5);
  return g_strconcat(h1, h2, h3, h4, h5, "From: a@example.com\n", NULL);
}

static void
test_verdict_all_tls(void)
{
  const char *trust[] = { "example.net", NULL };
  g_autofree char *headers = five_hops(FALSE);
  g_autoptr(SmPath) path = path_from(headers, trust);
  g_assert_cmpstr(sm_path_summary(path), ==,
                  "TLS on all 5 hops: 2 vouched for by your provider, 3 only claimed");
  g_autofree char *l = labels(path);
  g_assert_cmpstr(l, ==, "P:provider,P:provider,-:claimed,-:claimed,-:claimed");

  /* without configuration the receiving domain of hop 1 gives the same boundary */
  g_autoptr(SmPath) derived = path_from(headers, NULL);
  g_autofree char *l2 = labels(derived);
  g_assert_cmpstr(l2, ==, l);
}

static void
test_verdict_clear(void)
{
  const char *trust[] = { "example.net", NULL };
  g_autofree char *headers = five_hops(TRUE);
  g_autoptr(SmPath) path = path_from(headers, trust);
  g_assert_cmpstr(sm_path_summary(path), ==,
                  "hop 3 (mx.example.com → relay.example.org) was in clear (claimed)");
}

static void
test_trust_configured(void)
{
  /* trusting only the sender's relay domain moves nothing: hop 1 is not by that host */
  const char *other[] = { "example.org", NULL };
  g_autofree char *headers = five_hops(FALSE);
  g_autoptr(SmPath) path = path_from(headers, other);
  g_autofree char *l = labels(path);
  g_assert_cmpstr(l, ==, "-:claimed,-:claimed,-:claimed,-:claimed,-:claimed");
  g_assert_cmpstr(sm_path_summary(path), ==,
                  "TLS on all 5 hops: 0 vouched for by your provider, 5 only claimed");

  /* a host name, matched on a label boundary only */
  const char *host[] = { "mx2.example.net", NULL };
  g_autoptr(SmPath) p2 = path_from(headers, host);
  g_autofree char *l2 = labels(p2);
  g_assert_cmpstr(l2, ==, "P:provider,-:claimed,-:claimed,-:claimed,-:claimed");
  const char *suffix[] = { "ample.net", NULL };
  g_autoptr(SmPath) p3 = path_from(headers, suffix);
  g_autofree char *l3 = labels(p3);
  g_assert_cmpstr(l3, ==, "-:claimed,-:claimed,-:claimed,-:claimed,-:claimed");
}

/* A sender writes Received and Authentication-Results fields that name the recipient's own MX.
 * They sit below the real entry hop, so they must stay claimed / ignored. */
static const char forged[]
    = "Received: from attacker.example (attacker.example [203.0.113.66])\n"
      "\tby mx.provider.example (Postfix) with ESMTP id REAL; Mon, 1 Jan 2024 10:00:09 +0000\n"
      "Authentication-Results: mx.provider.example; spf=fail smtp.mailfrom=bank.example\n"
      "Authentication-Results: relay.attacker.example; dkim=pass header.d=bank.example\n"
      "Received: from bank.example (bank.example [192.0.2.1]) (using TLSv1.3 with cipher\n"
      "\tTLS_AES_256_GCM_SHA384 (256/256 bits)) by mx.provider.example (Postfix) with ESMTPS\n"
      "\tid FAKE; Mon, 1 Jan 2024 10:00:00 +0000\n"
      "Authentication-Results: mx.provider.example; dkim=pass header.d=bank.example;\n"
      "\tdmarc=pass header.from=bank.example\n"
      "From: security@bank.example\n";

static void
test_forged_below_entry(void)
{
  g_autoptr(SmPath) path = path_from(forged, NULL);
  g_autofree char *l = labels(path);
  g_assert_cmpstr(l, ==, "P:provider,-:claimed");
  g_autofree char *a = authres_labels(path);
  g_assert_cmpstr(a, ==,
                  "mx.provider.example/spf=trusted,relay.attacker.example/dkim=ignored,"
                  "mx.provider.example/dkim=ignored,mx.provider.example/dmarc=ignored");
  g_assert_cmpstr(sm_path_summary(path), ==,
                  "hop 1 (attacker.example → mx.provider.example) was in clear (recorded by your "
                  "provider)");

  /* the same with configuration: authserv-id trusted by name, still ignored below the entry */
  const char *trust[] = { "mx.provider.example", NULL };
  g_autoptr(SmPath) p2 = path_from(forged, trust);
  g_autofree char *a2 = authres_labels(p2);
  g_assert_cmpstr(a2, ==, a);
}

static void
test_real_provider_chain(void)
{
  /* Fastmail: Cyrus <- LMTP proxy <- Postfix <- milter <- Postfix MX, all inside; entry from
   * Amazon SES; its own Authentication-Results are trusted */
  g_autoptr(SmPath) path = path_from_file("dkimverifier_1.hdr", NULL);
  g_autofree char *l = labels(path);
  g_assert_cmpstr(l, ==, "P:provider,P:unknown,P:provider,P:provider,P:provider");
  g_autofree char *a = authres_labels(path);
  g_assert_true(g_str_has_prefix(a, "mx1.messagingengine.com/x-csa=trusted"));
  g_assert_null(strstr(a, "=ignored"));

  /* a mailing list re-sent by ietf.org: everything below Fastmail's entry is claimed, and
   * ietf.org's own Authentication-Results are ignored */
  g_autoptr(SmPath) ietf = path_from_file("mailauth_3.hdr", NULL);
  g_autofree char *li = labels(ietf);
  g_assert_true(g_str_has_prefix(li, "P:provider,P:unknown,P:provider,P:provider,P:provider,-:"));
  g_autofree char *ai = authres_labels(ietf);
  g_assert_true(g_str_has_suffix(ai, "ietfa.amsl.com/dkim=ignored"));

  /* Exchange Online omits the authserv-id: never trusted */
  g_autoptr(SmPath) ms = path_from_file("mimekit_1.hdr", NULL);
  g_autofree char *am = authres_labels(ms);
  g_assert_null(strstr(am, "=trusted"));
}

static void
test_json_contract(void)
{
  g_autoptr(SmPath) path = path_from_file("mailauth_1.hdr", NULL);
  g_autoptr(JsonNode) node = sm_path_to_json(path);
  JsonObject *o = json_node_get_object(node);
  g_assert_true(json_object_has_member(o, "summary"));
  JsonObject *h = json_array_get_object_element(hops_of(node), 1);
  g_assert_cmpint(json_object_get_int_member(h, "index"), ==, 2);
  g_assert_cmpstr(json_object_get_string_member(h, "by"), ==, "mail.stalw.art");
  g_assert_cmpstr(json_object_get_string_member(h, "with"), ==, "ESMTPS");
  g_assert_cmpstr(json_object_get_string_member(h, "date"), ==, "2022-10-25T04:08:22Z");
  g_assert_cmpstr(json_object_get_string_member(h, "ip"), ==, "40.107.244.73");
  JsonObject *tls = json_object_get_object_member(h, "tls");
  g_assert_cmpstr(json_object_get_string_member(tls, "status"), ==, "yes");
  g_assert_cmpstr(json_object_get_string_member(tls, "version"), ==, "1.2");
  g_assert_cmpstr(json_object_get_string_member(tls, "cipher"), ==, "ECDHE-RSA-AES256-GCM-SHA384");
  g_assert_cmpstr(json_object_get_string_member(h, "source"), ==, "provider");
  /* hop 3 was written 3 s before hop 2 */
  g_assert_cmpint(json_object_get_int_member(h, "delay_seconds"), ==, 3);
  JsonObject *h3 = json_array_get_object_element(hops_of(node), 2);
  g_assert_cmpstr(json_object_get_string_member(h3, "source"), ==, "claimed");

  g_autoptr(GString) human = g_string_new(NULL);
  sm_path_print_human(path, human);
  g_assert_nonnull(strstr(human->str, sm_path_summary(path)));
  g_assert_nonnull(strstr(human->str, "mail.stalw.art"));
  g_assert_nonnull(strstr(human->str, "ignored"));
}

static void
test_no_received(void)
{
  g_autoptr(SmPath) path = path_from("From: a@example.org\nSubject: x\n", NULL);
  g_assert_cmpstr(sm_path_summary(path), ==, "No Received headers: the delivery path is unknown");
  g_autoptr(JsonNode) a = sm_path_authres_to_json(path);
  g_assert_cmpuint(json_array_get_length(json_node_get_array(a)), ==, 0);
}

static void
test_many_received(void)
{
  /* 100,000 fields: GMime may hold them (sm-message would refuse the block by its own limit),
   * sm-path parses SM_LIMIT_RECEIVED_HEADERS of them and counts the rest */
  g_autoptr(GString) s = g_string_new(NULL);
  for (int i = 0; i < 100000; i++)
    g_string_append(s, "Received: from a.example (a.example [192.0.2.1]) by b.example with "
                       "ESMTPS; Mon, 1 Jan 2024 10:00:00 +0000\n");
  g_string_append(s, "From: a@example.org\n\nbody\n");
  g_autoptr(GMimeStream) stream = g_mime_stream_mem_new_with_buffer(s->str, s->len);
  g_autoptr(GMimeParser) parser = g_mime_parser_new_with_stream(stream);
  g_autoptr(GMimeMessage) m = g_mime_parser_construct_message(parser, NULL);
  g_assert_nonnull(m);
  SmPathOptions options = { 0 };
  g_autoptr(SmPath) path
      = sm_path_new_from_headers(g_mime_object_get_header_list(GMIME_OBJECT(m)), &options, NULL);
  g_autoptr(JsonNode) node = sm_path_to_json(path);
  JsonObject *o = json_node_get_object(node);
  g_assert_cmpuint(json_array_get_length(hops_of(node)), ==, 200);
  g_assert_cmpint(json_object_get_int_member(o, "received_count"), ==, 100000);
  g_assert_cmpint(json_object_get_int_member(o, "received_not_analysed"), ==, 99800);
  g_assert_nonnull(strstr(sm_path_summary(path), "99800 more Received headers not analysed"));
}

static void
test_huge_header_refused(void)
{
  /* a 50 MB header block never reaches sm-path: sm-message refuses it */
  gsize size = 50 * 1024 * 1024;
  g_autoptr(GString) s = g_string_sized_new(size + 64);
  g_string_append(s, "Received: from a by b with SMTP");
  while (s->len < size)
    g_string_append(s, "\n x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x");
  g_string_append(s, "; Mon, 1 Jan 2024 10:00:00 +0000\nFrom: a@b.example\n\nbody\n");
  g_autoptr(GBytes) bytes = g_bytes_new(s->str, s->len);
  g_autoptr(GError) error = NULL;
  g_autoptr(GMimeMessage) m = sm_message_parse_bytes(bytes, NULL, &error);
  g_assert_null(m);
  g_assert_error(error, SM_ERROR, SM_ERROR_LIMIT);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  sm_message_init();
  g_test_add_func("/path/verdict-all-tls", test_verdict_all_tls);
  g_test_add_func("/path/verdict-clear", test_verdict_clear);
  g_test_add_func("/path/trust-configured", test_trust_configured);
  g_test_add_func("/path/forged-below-entry", test_forged_below_entry);
  g_test_add_func("/path/real-provider-chain", test_real_provider_chain);
  g_test_add_func("/path/json-contract", test_json_contract);
  g_test_add_func("/path/no-received", test_no_received);
  g_test_add_func("/path/many-received", test_many_received);
  g_test_add_func("/path/huge-header-refused", test_huge_header_refused);
  return g_test_run();
}
