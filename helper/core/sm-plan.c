/* sm-plan: the plan for one outgoing message: who gets it how (sm-policy decides per recipient),
 * the split into one message per decision/protocol among To and Cc plus one copy per Bcc
 * recipient (like GpgOL's split-and-send; a Bcc recipient's key never appears in the others'
 * copy), whether the whole message is blocked and why, and the `sealmail plan --json` object.
 *
 * Recipients come from To, Cc and Bcc (RFC 5322 3.6.3; groups are flattened); with an SMTP
 * envelope, the envelope decides who receives the message: envelope recipients missing from the
 * headers are Bcc, header recipients missing from the envelope are not sent to.
 * Limits: plan-recipients, address-bytes. */
#include "sm-policy-private.h"
#include "sm-error.h"
#include "sm-json.h"
#include "sm-message.h"

#include <inttypes.h>
#include <glib/gi18n.h>
#include <string.h>

/* RFC 5322 groups cannot nest, but GMime would parse nesting; this bounds the descent. */
#define SM_PLAN_GROUP_DEPTH 2

typedef struct
{
  GPtrArray *rcpts; /* of SmRecipientPlan* */
  GHashTable *seen; /* normalised address -> SmRecipientPlan* */
  guint64 max;
} Collector;

static gboolean
add_recipient(Collector *c, const char *raw, SmRecipientKind kind, GError **error)
{
  g_autofree char *addr = sm_key_address_normalize(raw);
  if (addr == NULL)
    return TRUE; /* not an address we could send to; the MTA will refuse it too */
  if (g_hash_table_contains(c->seen, addr))
    return TRUE; /* the first mention (To before Cc before Bcc) wins */
  if (c->rcpts->len >= c->max)
    {
      g_set_error(error, SM_ERROR, SM_ERROR_LIMIT,
                  _("more than %" PRIu64 " recipients (limit %s)"), c->max,
                  sm_limits_name(SM_LIMIT_PLAN_RECIPIENTS));
      return FALSE;
    }
  SmRecipientPlan *r = g_new0(SmRecipientPlan, 1);
  r->address = g_steal_pointer(&addr);
  r->kind = kind;
  g_ptr_array_add(c->rcpts, r);
  g_hash_table_insert(c->seen, r->address, r);
  return TRUE;
}

static gboolean
add_list(Collector *c, InternetAddressList *list, SmRecipientKind kind, guint depth, GError **error)
{
  int n = list != NULL ? internet_address_list_length(list) : 0;
  for (int i = 0; i < n; i++)
    {
      InternetAddress *ia = internet_address_list_get_address(list, i);
      if (INTERNET_ADDRESS_IS_MAILBOX(ia))
        {
          const char *a = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia));
          if (a != NULL && !add_recipient(c, a, kind, error))
            return FALSE;
        }
      else if (INTERNET_ADDRESS_IS_GROUP(ia) && depth < SM_PLAN_GROUP_DEPTH)
        {
          InternetAddressList *members
              = internet_address_group_get_members(INTERNET_ADDRESS_GROUP(ia));
          if (!add_list(c, members, kind, depth + 1, error))
            return FALSE;
        }
    }
  return TRUE;
}

/* With an envelope, only envelope recipients receive the message. */
static void
apply_envelope(Collector *c, const char *const *envelope)
{
  g_autoptr(GHashTable) env = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  for (guint i = 0; envelope[i] != NULL; i++)
    {
      char *a = sm_key_address_normalize(envelope[i]);
      if (a != NULL)
        g_hash_table_add(env, a);
    }
  for (guint i = c->rcpts->len; i > 0; i--)
    {
      SmRecipientPlan *r = g_ptr_array_index(c->rcpts, i - 1);
      if (!g_hash_table_contains(env, r->address))
        {
          g_hash_table_remove(c->seen, r->address);
          g_ptr_array_remove_index(c->rcpts, i - 1);
        }
    }
}

static GPtrArray *
collect_recipients(GMimeMessage *message, const char *const *envelope, const SmLimits *limits,
                   GError **error)
{
  Collector c = { g_ptr_array_new_with_free_func((GDestroyNotify)sm_recipient_plan_free),
                  g_hash_table_new(g_str_hash, g_str_equal),
                  sm_limits_get(limits, SM_LIMIT_PLAN_RECIPIENTS) };
  static const struct
  {
    GMimeAddressType type;
    SmRecipientKind kind;
  } lists[] = { { GMIME_ADDRESS_TYPE_TO, SM_RCPT_TO },
                { GMIME_ADDRESS_TYPE_CC, SM_RCPT_CC },
                { GMIME_ADDRESS_TYPE_BCC, SM_RCPT_BCC } };
  gboolean ok = TRUE;
  for (gsize i = 0; i < G_N_ELEMENTS(lists) && ok; i++)
    ok = add_list(&c, g_mime_message_get_addresses(message, lists[i].type), lists[i].kind, 0,
                  error);
  if (ok && envelope != NULL)
    {
      apply_envelope(&c, envelope);
      for (guint i = 0; envelope[i] != NULL && ok; i++)
        ok = add_recipient(&c, envelope[i], SM_RCPT_BCC, error);
    }
  g_hash_table_unref(c.seen);
  if (!ok)
    {
      g_ptr_array_unref(c.rcpts);
      return NULL;
    }
  return c.rcpts;
}

/* --- groups and the verdict ----------------------------------------------------------------- */

static SmPlanGroup *
group_new(SmDecision decision, gboolean bcc_copy)
{
  SmPlanGroup *g = g_new0(SmPlanGroup, 1);
  g->decision = decision;
  g->recipients = g_ptr_array_new();
  g->bcc_copy = bcc_copy;
  return g;
}

static void
group_free(SmPlanGroup *g)
{
  g_ptr_array_unref(g->recipients);
  g_free(g);
}

static void
make_groups(SmPlan *plan)
{
  for (guint i = 0; i < plan->recipients->len; i++)
    {
      SmRecipientPlan *r = g_ptr_array_index(plan->recipients, i);
      SmPlanGroup *target = NULL;
      if (r->kind != SM_RCPT_BCC)
        {
          for (guint j = 0; j < plan->groups->len && target == NULL; j++)
            {
              SmPlanGroup *g = g_ptr_array_index(plan->groups, j);
              if (!g->bcc_copy && g->decision == r->decision)
                target = g;
            }
        }
      if (target == NULL)
        {
          target = group_new(r->decision, r->kind == SM_RCPT_BCC);
          g_ptr_array_add(plan->groups, target);
        }
      g_ptr_array_add(target->recipients, r);
    }
}

/* "carol", "carol and dan", "carol, dan and erin" */
static char *
people_list(GPtrArray *names)
{
  if (names->len == 1)
    return g_strdup(g_ptr_array_index(names, 0));
  GString *s = g_string_new(NULL);
  for (guint i = 0; i < names->len; i++)
    {
      if (i > 0)
        g_string_append(s, i + 1 == names->len ? _(" and ") : ", ");
      g_string_append(s, g_ptr_array_index(names, i));
    }
  return g_string_free(s, FALSE);
}

static char *
block_reason(const SmPlan *plan)
{
  g_autoptr(GPtrArray) problems = g_ptr_array_new();
  g_autoptr(GPtrArray) people = g_ptr_array_new_with_free_func(g_free);
  for (guint i = 0; i < plan->recipients->len; i++)
    {
      SmRecipientPlan *r = g_ptr_array_index(plan->recipients, i);
      if (r->decision != SM_DECISION_BLOCKED)
        continue;
      g_ptr_array_add(problems, r->key_problem);
      g_ptr_array_add(people, sm_policy_person(r->address));
    }
  g_ptr_array_add(problems, NULL);
  g_autofree char *found = sm_scan_report_describe(plan->scan);
  g_autofree char *why = g_strjoinv("; ", (char **)problems->pdata);
  g_autofree char *who = people_list(people);
  if (people->len == 1)
    return g_strdup_printf(_("Not sent: %s found; %s. Remove the data or get %s's key."), found,
                           why, who);
  return g_strdup_printf(_("Not sent: %s found; %s. Remove the data or get the keys of %s."), found,
                         why, who);
}

static void
append_count(GString *s, SmDecision d, guint n)
{
  switch (d)
    {
      case SM_DECISION_ENCRYPT_OPENPGP:
        g_string_append_printf(s, _("%u encrypted with OpenPGP"), n);
        break;
      case SM_DECISION_ENCRYPT_SMIME:
        g_string_append_printf(s, _("%u encrypted with S/MIME"), n);
        break;
      case SM_DECISION_REQUIRE_TLS:
        g_string_append_printf(s, _("%u only over verified TLS"), n);
        break;
      case SM_DECISION_PLAIN:
      default:
        g_string_append_printf(s, _("%u not end-to-end encrypted"), n);
        break;
    }
}

static char *
send_reason(const SmPlan *plan)
{
  guint counts[SM_DECISION_BLOCKED + 1] = { 0 };
  guint bcc = 0;
  for (guint i = 0; i < plan->recipients->len; i++)
    {
      SmRecipientPlan *r = g_ptr_array_index(plan->recipients, i);
      counts[r->decision]++;
    }
  for (guint i = 0; i < plan->groups->len; i++)
    bcc += ((SmPlanGroup *)g_ptr_array_index(plan->groups, i))->bcc_copy;
  if (plan->recipients->len == 0)
    return g_strdup(_("Nothing to send: the message has no recipients."));
  GString *s = g_string_new(NULL);
  g_string_printf(
      s, g_dngettext(NULL, "Send as %u message: ", "Send as %u messages: ", plan->groups->len),
      plan->groups->len);
  gboolean first = TRUE;
  for (int d = 0; d < SM_DECISION_BLOCKED; d++)
    {
      if (counts[d] == 0)
        continue;
      if (!first)
        g_string_append(s, ", ");
      first = FALSE;
      append_count(s, d, counts[d]);
    }
  if (bcc > 0)
    g_string_append_printf(
        s, g_dngettext(NULL, "; %u separate Bcc copy", "; %u separate Bcc copies", bcc), bcc);
  g_string_append(s, ".");
  if (plan->scan != NULL && sm_scan_report_triggers(plan->scan))
    {
      g_autofree char *found = sm_scan_report_describe(plan->scan);
      if (counts[SM_DECISION_PLAIN] > 0)
        g_string_append_printf(s,
                               _(" Warning: %s found, and %u recipient(s) get it without "
                                 "encryption (policy: warn)."),
                               found, counts[SM_DECISION_PLAIN]);
      else
        g_string_append_printf(s, _(" %s found: protected for every recipient."), found);
    }
  return g_string_free(s, FALSE);
}

SmPlan *
sm_policy_plan(SmPolicy *policy, SmKeyResolver *resolver, GMimeMessage *message,
               const char *const *envelope_rcpts, const SmScanPolicy *scan_policy,
               const SmLimits *limits, GError **error)
{
  g_return_val_if_fail(policy != NULL && resolver != NULL, NULL);
  g_return_val_if_fail(GMIME_IS_MESSAGE(message), NULL);
  g_autoptr(SmPlan) plan = g_new0(SmPlan, 1);
  plan->groups = g_ptr_array_new_with_free_func((GDestroyNotify)group_free);
  plan->sender = sm_message_from_address(message);
  plan->recipients = collect_recipients(message, envelope_rcpts, limits, error);
  if (plan->recipients == NULL)
    return NULL;
  if (scan_policy != NULL)
    {
      plan->scan = sm_scan_message(message, scan_policy, limits, error);
      if (plan->scan == NULL)
        {
          g_prefix_error(error, _("cannot scan the message: "));
          return NULL;
        }
    }
  for (guint i = 0; i < plan->recipients->len; i++)
    {
      SmRecipientPlan *r = g_ptr_array_index(plan->recipients, i);
      if (!sm_policy_decide(policy, resolver, plan->scan, r, error))
        {
          g_prefix_error(error, _("cannot decide for %s: "), r->address);
          return NULL;
        }
      plan->blocked = plan->blocked || r->decision == SM_DECISION_BLOCKED;
    }
  /* A blocked message sends nothing at all: no group goes out. */
  if (!plan->blocked)
    make_groups(plan);
  plan->reason = plan->blocked ? block_reason(plan) : send_reason(plan);
  return g_steal_pointer(&plan);
}

void
sm_plan_free(SmPlan *plan)
{
  if (plan == NULL)
    return;
  g_clear_pointer(&plan->groups, g_ptr_array_unref);
  g_clear_pointer(&plan->recipients, g_ptr_array_unref);
  g_clear_pointer(&plan->scan, sm_scan_report_free);
  g_free(plan->reason);
  g_free(plan->sender);
  g_free(plan);
}

/* --- output --------------------------------------------------------------------------------- */

static void
add_recipient_json(JsonBuilder *b, const SmRecipientPlan *r)
{
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "address");
  json_builder_add_string_value(b, r->address);
  json_builder_set_member_name(b, "kind");
  json_builder_add_string_value(b, sm_recipient_kind_to_string(r->kind));
  json_builder_set_member_name(b, "decision");
  json_builder_add_string_value(b, sm_decision_to_string(r->decision));
  sm_json_add_string_or_null(b, "reason", r->reason);
  json_builder_set_member_name(b, "key");
  json_builder_add_value(b, sm_key_to_json(r->key));
  json_builder_end_object(b);
}

static void
add_group_json(JsonBuilder *b, const SmPlanGroup *g)
{
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "decision");
  json_builder_add_string_value(b, sm_decision_to_string(g->decision));
  json_builder_set_member_name(b, "bcc_copy");
  json_builder_add_boolean_value(b, g->bcc_copy);
  json_builder_set_member_name(b, "recipients");
  json_builder_begin_array(b);
  for (guint i = 0; i < g->recipients->len; i++)
    json_builder_add_string_value(
        b, ((SmRecipientPlan *)g_ptr_array_index(g->recipients, i))->address);
  json_builder_end_array(b);
  json_builder_end_object(b);
}

JsonNode *
sm_plan_to_json(const SmPlan *plan)
{
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "format_version");
  json_builder_add_int_value(b, SM_JSON_FORMAT_VERSION);
  sm_json_add_string_or_null(b, "sender", plan->sender);
  json_builder_set_member_name(b, "recipients");
  json_builder_begin_array(b);
  for (guint i = 0; i < plan->recipients->len; i++)
    add_recipient_json(b, g_ptr_array_index(plan->recipients, i));
  json_builder_end_array(b);
  json_builder_set_member_name(b, "groups");
  json_builder_begin_array(b);
  for (guint i = 0; i < plan->groups->len; i++)
    add_group_json(b, g_ptr_array_index(plan->groups, i));
  json_builder_end_array(b);
  json_builder_set_member_name(b, "sensitive");
  if (plan->scan != NULL)
    {
      json_builder_add_value(b, sm_scan_report_summary_json(plan->scan));
    }
  else
    {
      json_builder_begin_object(b);
      json_builder_end_object(b);
    }
  json_builder_set_member_name(b, "scanned");
  json_builder_add_boolean_value(b, plan->scan != NULL);
  json_builder_set_member_name(b, "action");
  json_builder_add_string_value(b, plan->blocked ? "block" : "send");
  sm_json_add_string_or_null(b, "reason", plan->reason);
  json_builder_end_object(b);
  return json_builder_get_root(b);
}

char *
sm_plan_describe(const SmPlan *plan)
{
  GString *s = g_string_new(NULL);
  for (guint i = 0; i < plan->recipients->len; i++)
    {
      const SmRecipientPlan *r = g_ptr_array_index(plan->recipients, i);
      g_autofree char *addr = sm_json_sanitize(r->address, -1, 0);
      g_string_append_printf(s, "%-4s %s\n     %s: %s\n", sm_recipient_kind_to_string(r->kind),
                             addr, sm_decision_to_string(r->decision), r->reason);
    }
  if (plan->scan == NULL)
    g_string_append(s, _("Sensitive content: not scanned.\n"));
  else if (!sm_scan_report_triggers(plan->scan))
    g_string_append(s, _("Sensitive content: none found at or above the threshold.\n"));
  else
    {
      g_autofree char *line = sm_scan_report_summary_line(plan->scan);
      g_string_append_printf(s, _("Sensitive content: %s.\n"), line);
    }
  for (guint i = 0; i < plan->groups->len; i++)
    {
      const SmPlanGroup *g = g_ptr_array_index(plan->groups, i);
      g_string_append_printf(s, _("Message %u (%s%s):"), i + 1, sm_decision_to_string(g->decision),
                             g->bcc_copy ? _(", Bcc copy") : "");
      for (guint j = 0; j < g->recipients->len; j++)
        g_string_append_printf(s, " %s",
                               ((SmRecipientPlan *)g_ptr_array_index(g->recipients, j))->address);
      g_string_append_c(s, '\n');
    }
  g_string_append_printf(s, "%s\n", plan->reason);
  return g_string_free(s, FALSE);
}
