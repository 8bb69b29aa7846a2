/* Unit tests of sm-policy and sm-plan: configuration checks, protocol preference from the user
 * and the org policy (and where the reason says it came from), split plans for mixed recipients
 * and Bcc, the SMTP envelope, limits and the plan JSON contract. Keys are real (make-test-keys.sh).
 */
#include "keys-fixture.h"
#include "sm-error.h"
#include "sm-json.h"
#include "sm-message.h"
#include "sm-policy.h"

static KeysFixture fx;

static GKeyFile *
keyfile(const char *text)
{
  GKeyFile *kf = g_key_file_new();
  g_assert_true(g_key_file_load_from_data(kf, text, -1, G_KEY_FILE_NONE, NULL));
  return kf;
}

static GMimeMessage *
message(const char *headers)
{
  g_autofree char *text = g_strdup_printf("From: Alice <alice@example.org>\n%s"
                                          "Subject: test\n\nHello.\n",
                                          headers);
  g_autoptr(GBytes) b = g_bytes_new(text, strlen(text));
  g_autoptr(GError) error = NULL;
  GMimeMessage *m = sm_message_parse_bytes(b, NULL, &error);
  g_assert_no_error(error);
  return m;
}

static SmKeyResolver *
resolver(void)
{
  SmKeyResolverOptions opts = { .gnupg_home = fx.user };
  g_autoptr(GError) error = NULL;
  SmKeyResolver *r = sm_key_resolver_new(&opts, &error);
  g_assert_no_error(error);
  return r;
}

/* With @scan, the message is scanned with the default scan policy. */
static SmPlan *
plan_scanned(const char *user_conf, const char *org_conf, const char *headers, const char *body,
             gboolean scan)
{
  g_autoptr(GKeyFile) user = keyfile(user_conf);
  g_autoptr(GKeyFile) org = org_conf != NULL ? keyfile(org_conf) : NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(SmPolicy) policy = sm_policy_new(user, org, &error);
  g_assert_no_error(error);
  g_autoptr(SmScanPolicy) scan_policy = scan ? sm_scan_policy_new(NULL, &error) : NULL;
  g_assert_no_error(error);
  g_autoptr(SmKeyResolver) r = resolver();
  g_autofree char *text
      = g_strdup_printf("From: alice@example.org\n%sSubject: s\n\n%s\n", headers, body);
  g_autoptr(GBytes) b = g_bytes_new(text, strlen(text));
  g_autoptr(GMimeMessage) m = sm_message_parse_bytes(b, NULL, &error);
  g_assert_no_error(error);
  SmPlan *plan = sm_policy_plan(policy, r, m, NULL, scan_policy, NULL, &error);
  g_assert_no_error(error);
  return plan;
}

static SmPlan *
plan_for(const char *user_conf, const char *org_conf, const char *headers,
         const char *const *envelope)
{
  g_autoptr(GKeyFile) user = keyfile(user_conf);
  g_autoptr(GKeyFile) org = org_conf != NULL ? keyfile(org_conf) : NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(SmPolicy) policy = sm_policy_new(user, org, &error);
  g_assert_no_error(error);
  g_autoptr(SmKeyResolver) r = resolver();
  g_autoptr(GMimeMessage) m = message(headers);
  SmPlan *plan = sm_policy_plan(policy, r, m, envelope, NULL, NULL, &error);
  g_assert_no_error(error);
  return plan;
}

static const SmRecipientPlan *
rcpt(const SmPlan *plan, const char *address)
{
  for (guint i = 0; i < plan->recipients->len; i++)
    {
      const SmRecipientPlan *r = g_ptr_array_index(plan->recipients, i);
      if (g_strcmp0(r->address, address) == 0)
        return r;
    }
  g_error("no recipient %s in the plan", address);
  return NULL;
}

static void
assert_contains(const char *text, const char *part)
{
  if (text == NULL || strstr(text, part) == NULL)
    g_error("\"%s\" does not contain \"%s\"", text, part);
}

/* The addresses of group @i, space-separated. */
static char *
group_members(const SmPlan *plan, guint i)
{
  const SmPlanGroup *g = g_ptr_array_index(plan->groups, i);
  g_autoptr(GString) s = g_string_new(NULL);
  for (guint j = 0; j < g->recipients->len; j++)
    g_string_append_printf(s, "%s%s", j ? " " : "",
                           ((SmRecipientPlan *)g_ptr_array_index(g->recipients, j))->address);
  return g_string_free(g_steal_pointer(&s), FALSE);
}

static void
test_config_errors(void)
{
  const char *bad[]
      = { "[policy]\nprefer = rot13\n", "[policy]\nsensitive-action = shrug\n",
          "[domain:example.org]\naction-US_SSN = maybe\n", "[domain:example.org]\nprefer = \n" };
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++)
    {
      g_autoptr(GKeyFile) kf = keyfile(bad[i]);
      g_autoptr(GError) error = NULL;
      g_autoptr(SmPolicy) as_user = sm_policy_new(kf, NULL, &error);
      g_assert_null(as_user);
      g_assert_error(error, SM_ERROR, SM_ERROR_INVALID_INPUT);
      g_assert_nonnull(strstr(error->message, "configuration"));
      g_clear_error(&error);
      g_autoptr(SmPolicy) as_org = sm_policy_new(NULL, kf, &error);
      g_assert_null(as_org);
      g_assert_nonnull(strstr(error->message, "org policy"));
    }
  /* Other modules' keys in the same groups are not ours to refuse. */
  g_autoptr(GKeyFile) ok = keyfile("[policy]\nprefer = SMIME\nthreshold = high\n"
                                   "[domain:example.org]\nsensitive-action = require-tls\n");
  g_autoptr(GError) error = NULL;
  g_autoptr(SmPolicy) p = sm_policy_new(ok, NULL, &error);
  g_assert_no_error(error);
  g_assert_nonnull(p);
}

static void
test_preference(void)
{
  const char *to = "To: erin@example.org\n";
  /* Default: OpenPGP when both exist. */
  g_autoptr(SmPlan) p0 = plan_for("", NULL, to, NULL);
  g_assert_cmpint(rcpt(p0, "erin@example.org")->decision, ==, SM_DECISION_ENCRYPT_OPENPGP);
  assert_contains(rcpt(p0, "erin@example.org")->reason, "OpenPGP preferred by default");
  /* The user prefers S/MIME. */
  g_autoptr(SmPlan) p1 = plan_for("[policy]\nprefer = smime\n", NULL, to, NULL);
  const SmRecipientPlan *e1 = rcpt(p1, "erin@example.org");
  g_assert_cmpint(e1->decision, ==, SM_DECISION_ENCRYPT_SMIME);
  g_assert_cmpstr(e1->key->fingerprint, ==, keys_fixture_fpr(&fx, "ERIN_SMIME"));
  assert_contains(e1->reason, "S/MIME preferred by your configuration");
  /* The org policy for the domain wins over the user's domain setting. */
  g_autoptr(SmPlan) p2 = plan_for("[domain:example.org]\nprefer = openpgp\n",
                                  "[domain:example.org]\nprefer = smime\n", to, NULL);
  const SmRecipientPlan *e2 = rcpt(p2, "erin@example.org");
  g_assert_cmpint(e2->decision, ==, SM_DECISION_ENCRYPT_SMIME);
  assert_contains(e2->reason, "S/MIME preferred for example.org by org policy");
  /* An org policy silent on the matter leaves the user's choice. */
  g_autoptr(SmPlan) p3 = plan_for("[domain:example.org]\nprefer = smime\n",
                                  "[domain:example.net]\nprefer = openpgp\n", to, NULL);
  assert_contains(rcpt(p3, "erin@example.org")->reason,
                  "S/MIME preferred for example.org by your configuration");
  /* Preference never forces a protocol the recipient lacks. */
  g_autoptr(SmPlan) p4
      = plan_for("[policy]\nprefer = smime\n", NULL, "To: bob@example.org\n", NULL);
  g_assert_cmpint(rcpt(p4, "bob@example.org")->decision, ==, SM_DECISION_ENCRYPT_OPENPGP);
}

static void
test_split_plan(void)
{
  g_autoptr(SmPlan) plan
      = plan_for("", NULL,
                 "To: Bob <bob@example.org>, dave@example.org, carol@example.org\n"
                 "Cc: erin@Example.ORG, expired@example.org, Bob <bob@EXAMPLE.org>\n"
                 "Bcc: two@example.org, frank@example.org, second@example.org\n",
                 NULL);
  g_assert_false(plan->blocked);
  g_assert_null(plan->scan);
  g_assert_cmpstr(plan->sender, ==, "alice@example.org");
  g_assert_cmpuint(plan->recipients->len, ==, 8); /* bob only once */
  g_assert_cmpint(rcpt(plan, "bob@example.org")->kind, ==, SM_RCPT_TO);
  g_assert_cmpint(rcpt(plan, "dave@example.org")->decision, ==, SM_DECISION_ENCRYPT_SMIME);
  const SmRecipientPlan *carol = rcpt(plan, "carol@example.org");
  g_assert_cmpint(carol->decision, ==, SM_DECISION_PLAIN);
  g_assert_null(carol->key);
  assert_contains(carol->reason, "no key or certificate for carol@example.org");
  const SmRecipientPlan *exp = rcpt(plan, "expired@example.org");
  g_assert_cmpint(exp->decision, ==, SM_DECISION_PLAIN);
  assert_contains(exp->reason, "key for expired@example.org expired on 2026-03-01");
  assert_contains(rcpt(plan, "frank@example.org")->reason, "is missing");
  assert_contains(rcpt(plan, "two@example.org")->reason, "chose the one with full validity");

  /* To/Cc: one message per decision; Bcc: one message each, even with the same decision. */
  g_assert_cmpuint(plan->groups->len, ==, 6);
  const char *want[][3] = {
    { "encrypt-openpgp", "bob@example.org erin@example.org", "0" },
    { "encrypt-smime", "dave@example.org", "0" },
    { "plain", "carol@example.org expired@example.org", "0" },
    { "encrypt-openpgp", "two@example.org", "1" },
    { "plain", "frank@example.org", "1" },
    { "encrypt-openpgp", "second@example.org", "1" },
  };
  for (guint i = 0; i < plan->groups->len; i++)
    {
      const SmPlanGroup *g = g_ptr_array_index(plan->groups, i);
      g_autofree char *members = group_members(plan, i);
      g_assert_cmpstr(sm_decision_to_string(g->decision), ==, want[i][0]);
      g_assert_cmpstr(members, ==, want[i][1]);
      g_assert_cmpint(g->bcc_copy, ==, want[i][2][0] == '1');
    }
  assert_contains(plan->reason, "Send as 6 messages");
  assert_contains(plan->reason, "3 separate Bcc copies");

  g_autofree char *text = sm_plan_describe(plan);
  assert_contains(text, "Message 4 (encrypt-openpgp, Bcc copy): two@example.org");
}

static void
test_envelope(void)
{
  /* hidden@ is only in the envelope: a Bcc. carol@ is only in the headers: not sent to. */
  const char *env[] = { "bob@example.org", "Hidden@Example.org", "dave@example.org", NULL };
  g_autoptr(SmPlan) plan = plan_for("", NULL,
                                    "To: bob@example.org, carol@example.org\n"
                                    "Cc: dave@example.org\n",
                                    env);
  g_assert_cmpuint(plan->recipients->len, ==, 3);
  g_assert_cmpint(rcpt(plan, "dave@example.org")->kind, ==, SM_RCPT_CC);
  const SmRecipientPlan *hidden = rcpt(plan, "Hidden@example.org");
  g_assert_cmpint(hidden->kind, ==, SM_RCPT_BCC);
  g_assert_cmpint(hidden->decision, ==, SM_DECISION_PLAIN);
  g_assert_cmpuint(plan->groups->len, ==, 3);
  const SmPlanGroup *last = g_ptr_array_index(plan->groups, 2);
  g_assert_true(last->bcc_copy);
}

static void
test_limits_and_garbage(void)
{
  g_autoptr(GKeyFile) lk = keyfile("[limits]\nplan-recipients = 2\n");
  g_autoptr(GError) error = NULL;
  g_autoptr(SmLimits) limits = sm_limits_new(lk, &error);
  g_assert_no_error(error);
  g_autoptr(SmPolicy) policy = sm_policy_new(NULL, NULL, &error);
  g_autoptr(SmKeyResolver) r = resolver();
  g_autoptr(GMimeMessage) m = message("To: a@example.org, b@example.org, c@example.org\n");
  g_autoptr(SmPlan) plan = sm_policy_plan(policy, r, m, NULL, NULL, limits, &error);
  g_assert_null(plan);
  g_assert_error(error, SM_ERROR, SM_ERROR_LIMIT);
  g_clear_error(&error);
  /* Things that are not addresses are left out, not crashed on; groups are flattened. */
  g_autoptr(GMimeMessage) odd = message("To: undisclosed-recipients:;, \"x\" <not-an-address>, "
                                        "Team: bob@example.org, dave@example.org;\n");
  g_autoptr(SmPlan) p2 = sm_policy_plan(policy, r, odd, NULL, NULL, NULL, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(p2->recipients->len, ==, 2);
  g_autoptr(GMimeMessage) none = message("");
  g_autoptr(SmPlan) p3 = sm_policy_plan(policy, r, none, NULL, NULL, NULL, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(p3->groups->len, ==, 0);
  assert_contains(p3->reason, "no recipients");
}

static void
test_json_contract(void)
{
  g_autoptr(SmPlan) plan = plan_for("", NULL,
                                    "To: bob@example.org, carol@example.org\n"
                                    "Bcc: dave@example.org\n",
                                    NULL);
  g_autoptr(JsonNode) node = sm_plan_to_json(plan);
  JsonObject *o = json_node_get_object(node);
  g_assert_cmpstr(json_object_get_string_member(o, "action"), ==, "send");
  g_assert_nonnull(json_object_get_string_member(o, "reason"));
  g_assert_true(JSON_NODE_HOLDS_OBJECT(json_object_get_member(o, "sensitive")));
  JsonArray *rs = json_object_get_array_member(o, "recipients");
  g_assert_cmpuint(json_array_get_length(rs), ==, 3);
  JsonObject *bob = json_array_get_object_element(rs, 0);
  g_assert_cmpstr(json_object_get_string_member(bob, "address"), ==, "bob@example.org");
  g_assert_cmpstr(json_object_get_string_member(bob, "decision"), ==, "encrypt-openpgp");
  JsonObject *key = json_object_get_object_member(bob, "key");
  g_assert_cmpstr(json_object_get_string_member(key, "fingerprint"), ==,
                  keys_fixture_fpr(&fx, "BOB"));
  g_assert_cmpstr(json_object_get_string_member(key, "source"), ==, "keyring");
  JsonObject *carol = json_array_get_object_element(rs, 1);
  g_assert_true(json_object_get_null_member(carol, "key"));
  g_assert_cmpstr(json_object_get_string_member(carol, "decision"), ==, "plain");
  JsonArray *gs = json_object_get_array_member(o, "groups");
  g_assert_cmpuint(json_array_get_length(gs), ==, 3);
  JsonObject *g3 = json_array_get_object_element(gs, 2);
  g_assert_cmpstr(json_object_get_string_member(g3, "decision"), ==, "encrypt-smime");
  g_assert_true(json_object_get_boolean_member(g3, "bcc_copy"));
  JsonArray *members = json_object_get_array_member(g3, "recipients");
  g_assert_cmpstr(json_array_get_string_element(members, 0), ==, "dave@example.org");
}

/* A structurally valid SSN (SSA rules: no area 000/666/9xx, group 00 or serial 0000, and not
 * one of the numbers the SSA voided after advertising, such as 219-09-9999) and a Luhn-valid card.
 */
static const char sensitive_body[]
    = "My SSN is 536-22-1234 and my card is 4111 1111 1111 1111, expiry 12/30.";

static void
test_sensitive_block(void)
{
  g_autoptr(SmPlan) plan
      = plan_scanned("", NULL, "To: bob@example.org, carol@example.org\n", sensitive_body, TRUE);
  g_assert_nonnull(plan->scan);
  g_assert_true(plan->blocked);
  g_assert_cmpuint(plan->groups->len, ==, 0); /* nothing goes out */
  g_assert_cmpint(rcpt(plan, "bob@example.org")->decision, ==, SM_DECISION_ENCRYPT_OPENPGP);
  g_assert_cmpint(rcpt(plan, "carol@example.org")->decision, ==, SM_DECISION_BLOCKED);
  g_assert_cmpstr(plan->reason, ==,
                  "Not sent: 1 social security number and 1 card number found; no key or "
                  "certificate for carol@example.org. Remove the data or get carol's key.");
  g_autoptr(JsonNode) node = sm_plan_to_json(plan);
  g_autofree char *json = sm_json_to_string(node, FALSE);
  assert_contains(json, "\"action\":\"block\"");
  assert_contains(json, "\"US_SSN\":1");
  /* Never the values, anywhere. */
  g_autofree char *text = sm_plan_describe(plan);
  for (const char *v = "536-22-1234\0"
                       "4111 1111\0"
                       "1111 1111\0";
       *v; v += strlen(v) + 1)
    {
      g_assert_null(strstr(json, v));
      g_assert_null(strstr(text, v));
      g_assert_null(strstr(plan->reason, v));
    }

  /* Two people without keys: both named, and what to do for both. */
  g_autoptr(SmPlan) two = plan_scanned("", NULL, "To: carol@example.org, expired@example.org\n",
                                       sensitive_body, TRUE);
  assert_contains(two->reason, "no key or certificate for carol@example.org; key for "
                               "expired@example.org expired on 2026-03-01");
  assert_contains(two->reason, "get the keys of carol and expired.");
}

static void
test_sensitive_actions(void)
{
  const char *to = "To: bob@example.org, carol@example.org\n";
  g_autoptr(SmPlan) tls = plan_scanned("[domain:example.org]\nsensitive-action = require-tls\n",
                                       NULL, to, sensitive_body, TRUE);
  g_assert_false(tls->blocked);
  const SmRecipientPlan *carol = rcpt(tls, "carol@example.org");
  g_assert_cmpint(carol->decision, ==, SM_DECISION_REQUIRE_TLS);
  assert_contains(carol->reason, "require-tls for example.org by your configuration");
  g_assert_cmpuint(tls->groups->len, ==, 2);
  g_autofree char *g2 = group_members(tls, 1);
  g_assert_cmpstr(g2, ==, "carol@example.org");

  g_autoptr(SmPlan) warn
      = plan_scanned("[policy]\nsensitive-action = warn\n", NULL, to, sensitive_body, TRUE);
  g_assert_false(warn->blocked);
  g_assert_cmpint(rcpt(warn, "carol@example.org")->decision, ==, SM_DECISION_PLAIN);
  assert_contains(rcpt(warn, "carol@example.org")->reason, "warn by your configuration");
  assert_contains(warn->reason, "Warning: 1 social security number and 1 card number found");

  /* The org policy's per-type action beats the user's general one, and the strictest type wins. */
  g_autoptr(SmPlan) org = plan_scanned("[policy]\nsensitive-action = warn\n",
                                       "[policy]\naction-US_SSN = block\n"
                                       "action-CREDIT_CARD = require-tls\n",
                                       to, sensitive_body, TRUE);
  g_assert_true(org->blocked);
  assert_contains(rcpt(org, "carol@example.org")->reason, "block by org policy");
  g_autoptr(SmPlan) card
      = plan_scanned("[policy]\nsensitive-action = warn\n",
                     "[policy]\naction-CREDIT_CARD = require-tls\n", to, sensitive_body, TRUE);
  g_assert_cmpint(rcpt(card, "carol@example.org")->decision, ==, SM_DECISION_REQUIRE_TLS);

  /* Everyone has a key: sent, and the verdict says the data is protected. */
  g_autoptr(SmPlan) all
      = plan_scanned("", NULL, "To: bob@example.org, dave@example.org\n", sensitive_body, TRUE);
  g_assert_false(all->blocked);
  assert_contains(all->reason, "protected for every recipient");

  /* Nothing sensitive: plain stays plain, and the scan is reported as done. */
  g_autoptr(SmPlan) clean = plan_scanned("", NULL, to, "Lunch on Friday?", TRUE);
  g_assert_nonnull(clean->scan);
  g_assert_false(clean->blocked);
  g_assert_cmpint(rcpt(clean, "carol@example.org")->decision, ==, SM_DECISION_PLAIN);
  g_autofree char *text = sm_plan_describe(clean);
  assert_contains(text, "Sensitive content: none found");
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  sm_message_init();
  keys_fixture_setup(&fx);
  g_test_add_func("/policy/config-errors", test_config_errors);
  g_test_add_func("/policy/preference", test_preference);
  g_test_add_func("/policy/split-plan", test_split_plan);
  g_test_add_func("/policy/envelope", test_envelope);
  g_test_add_func("/policy/limits-and-garbage", test_limits_and_garbage);
  g_test_add_func("/policy/json-contract", test_json_contract);
  g_test_add_func("/policy/sensitive-block", test_sensitive_block);
  g_test_add_func("/policy/sensitive-actions", test_sensitive_actions);
  int rc = g_test_run();
  keys_fixture_teardown(&fx);
  return rc;
}
