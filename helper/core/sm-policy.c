/* sm-policy: the user's and the organisation's encryption policy, and the decision for one
 * recipient (encrypt-openpgp, encrypt-smime, require-tls, plain or blocked) with its reason.
 *
 * Configuration (GKeyFile, docs/policy.md): [policy] prefer, sensitive-action, action-TYPE, and
 * the same keys in [domain:NAME] groups. The org policy file has the same format and wins where it
 * says something: org [domain:D] > org [policy] > user [domain:D] > user [policy] > default. A
 * domain group also covers its subdomains. Every preference remembers where it came from, so the
 * reason can say "S/MIME preferred for example.org by org policy". */
#include "sm-policy-private.h"
#include "sm-bundle.h"
#include "sm-error.h"

#include <glib/gi18n.h>
#include <string.h>

struct _SmPolicy
{
  GKeyFile *user; /* never NULL (may be empty) */
  GKeyFile *org;  /* NULL when there is no org policy */
};

/* A setting and where it was found. */
typedef struct
{
  const char *value; /* borrowed from a static table */
  gboolean org;
  char *domain; /* the [domain:NAME] that matched, NULL for [policy] or the default */
  gboolean is_default;
} Setting;

static void
setting_clear(Setting *s)
{
  g_clear_pointer(&s->domain, g_free);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Setting, setting_clear)

static const char *const prefer_values[] = { "openpgp", "smime", NULL };
static const char *const action_values[] = { "warn", "require-tls", "block", NULL };

/* Nesting of [domain:NAME] walked up the labels of a recipient's domain. */
#define SM_POLICY_DOMAIN_LABELS 16

const char *
sm_decision_to_string(SmDecision decision)
{
  switch (decision)
    {
      case SM_DECISION_ENCRYPT_OPENPGP:
        return "encrypt-openpgp";
      case SM_DECISION_ENCRYPT_SMIME:
        return "encrypt-smime";
      case SM_DECISION_REQUIRE_TLS:
        return "require-tls";
      case SM_DECISION_BLOCKED:
        return "blocked";
      case SM_DECISION_PLAIN:
      default:
        return "plain";
    }
}

const char *
sm_recipient_kind_to_string(SmRecipientKind kind)
{
  return kind == SM_RCPT_TO ? "to" : (kind == SM_RCPT_CC ? "cc" : "bcc");
}

/* --- configuration -------------------------------------------------------------------------- */

static const char *
canonical(const char *const *allowed, const char *value)
{
  for (guint i = 0; allowed[i] != NULL; i++)
    if (g_ascii_strcasecmp(allowed[i], value) == 0)
      return allowed[i];
  return NULL;
}

static gboolean
check_group(GKeyFile *kf, const char *group, const char *which, GError **error)
{
  g_auto(GStrv) keys = g_key_file_get_keys(kf, group, NULL, NULL);
  for (guint i = 0; keys != NULL && keys[i] != NULL; i++)
    {
      const char *const *allowed = NULL;
      if (g_strcmp0(keys[i], "prefer") == 0)
        allowed = prefer_values;
      else if (g_strcmp0(keys[i], "sensitive-action") == 0 || g_str_has_prefix(keys[i], "action-"))
        allowed = action_values;
      else
        continue; /* other modules' keys (scan thresholds, org-policy, ...) */
      g_autofree char *v = g_key_file_get_string(kf, group, keys[i], NULL);
      if (v == NULL || canonical(allowed, g_strstrip(v)) == NULL)
        {
          g_autofree char *list = g_strjoinv(", ", (char **)allowed);
          g_set_error(error, SM_ERROR, SM_ERROR_INVALID_INPUT, _("%s: [%s] %s must be one of %s"),
                      which, group, keys[i], list);
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
check_policy_file(GKeyFile *kf, const char *which, GError **error)
{
  g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);
  for (guint i = 0; groups[i] != NULL; i++)
    {
      if (g_strcmp0(groups[i], "policy") != 0 && !g_str_has_prefix(groups[i], "domain:"))
        continue;
      if (!check_group(kf, groups[i], which, error))
        return FALSE;
    }
  return TRUE;
}

SmPolicy *
sm_policy_new(GKeyFile *kf, GKeyFile *org_policy, GError **error)
{
  g_autoptr(SmPolicy) policy = g_new0(SmPolicy, 1);
  policy->user = kf != NULL ? g_key_file_ref(kf) : g_key_file_new();
  policy->org = org_policy != NULL ? g_key_file_ref(org_policy) : NULL;
  if (!check_policy_file(policy->user, _("configuration"), error))
    return NULL;
  if (policy->org != NULL && !check_policy_file(policy->org, _("org policy"), error))
    return NULL;
  return g_steal_pointer(&policy);
}

SmPolicy *
sm_policy_new_from_config(GKeyFile *kf, GError **error)
{
  g_autofree char *path
      = kf != NULL ? g_key_file_get_string(kf, "policy", "org-policy", NULL) : NULL;
  gboolean explicit = path != NULL;
  /* Otherwise where `sealmail bundle import` installs it ([bundle] org-policy, or the default). */
  if (path == NULL)
    path = sm_bundle_config_org_policy_path(kf);
  g_autoptr(GKeyFile) org = NULL;
  if (explicit || g_file_test(path, G_FILE_TEST_EXISTS))
    {
      org = g_key_file_new();
      if (!g_key_file_load_from_file(org, path, G_KEY_FILE_NONE, error))
        {
          g_prefix_error(error, _("cannot read the org policy %s: "), path);
          return NULL;
        }
    }
  return sm_policy_new(kf, org, error);
}

void
sm_policy_free(SmPolicy *policy)
{
  if (policy == NULL)
    return;
  g_key_file_unref(policy->user);
  g_clear_pointer(&policy->org, g_key_file_unref);
  g_free(policy);
}

/* The value of @key in [domain:D] for @domain or its parents, most specific first. */
static const char *
lookup_domain(GKeyFile *kf, const char *domain, const char *key, const char *const *allowed,
              char **matched)
{
  const char *d = domain;
  for (guint labels = 0; d != NULL && *d != '\0' && labels < SM_POLICY_DOMAIN_LABELS; labels++)
    {
      g_autofree char *group = g_strconcat("domain:", d, NULL);
      g_autofree char *v = g_key_file_get_string(kf, group, key, NULL);
      if (v != NULL)
        {
          *matched = g_strdup(d);
          return canonical(allowed, g_strstrip(v));
        }
      d = strchr(d, '.');
      d = d != NULL ? d + 1 : NULL;
    }
  return NULL;
}

/* Looks @key up in the order org domain, org global, user domain, user global. */
static gboolean
lookup(SmPolicy *policy, const char *domain, const char *key, const char *const *allowed,
       Setting *out)
{
  GKeyFile *files[] = { policy->org, policy->user };
  for (guint f = 0; f < G_N_ELEMENTS(files); f++)
    {
      if (files[f] == NULL)
        continue;
      out->org = files[f] == policy->org;
      out->value
          = domain != NULL ? lookup_domain(files[f], domain, key, allowed, &out->domain) : NULL;
      if (out->value != NULL)
        return TRUE;
      g_autofree char *v = g_key_file_get_string(files[f], "policy", key, NULL);
      if (v != NULL && (out->value = canonical(allowed, g_strstrip(v))) != NULL)
        return TRUE;
    }
  return FALSE;
}

static void
lookup_or_default(SmPolicy *policy, const char *domain, const char *key, const char *const *allowed,
                  const char *def, Setting *out)
{
  if (!lookup(policy, domain, key, allowed, out))
    {
      out->value = def;
      out->org = FALSE;
      out->is_default = TRUE;
    }
}

/* "by org policy", "for example.org by your configuration", "by default". */
static char *
setting_origin(const Setting *s)
{
  if (s->is_default)
    return g_strdup(_("by default"));
  const char *who = s->org ? _("by org policy") : _("by your configuration");
  if (s->domain == NULL)
    return g_strdup(who);
  return g_strdup_printf(_("for %s %s"), s->domain, who);
}

/* --- one recipient -------------------------------------------------------------------------- */

char *
sm_policy_person(const char *address)
{
  const char *at = strrchr(address, '@');
  return at != NULL ? g_strndup(address, (gsize)(at - address)) : g_strdup(address);
}

static const char *
domain_of(const char *address)
{
  const char *at = strrchr(address, '@');
  return at != NULL ? at + 1 : NULL;
}

static SmSensitiveAction
action_from_string(const char *value)
{
  if (g_strcmp0(value, "warn") == 0)
    return SM_ACTION_WARN;
  if (g_strcmp0(value, "require-tls") == 0)
    return SM_ACTION_REQUIRE_TLS;
  return SM_ACTION_BLOCK;
}

/* The action of an organisation pattern (type "CUSTOM:NAME"): its [pattern:NAME] group, the
 * scan module's, may say `action = ...`; the org policy wins. */
static gboolean
lookup_pattern_action(SmPolicy *policy, const char *type, Setting *out)
{
  if (!g_str_has_prefix(type, "CUSTOM:"))
    return FALSE;
  g_autofree char *group = g_strconcat("pattern:", type + strlen("CUSTOM:"), NULL);
  GKeyFile *files[] = { policy->org, policy->user };
  for (guint f = 0; f < G_N_ELEMENTS(files); f++)
    {
      g_autofree char *v
          = files[f] != NULL ? g_key_file_get_string(files[f], group, "action", NULL) : NULL;
      if (v != NULL && (out->value = canonical(action_values, g_strstrip(v))) != NULL)
        {
          out->org = files[f] == policy->org;
          return TRUE;
        }
    }
  return FALSE;
}

/* The strictest action over the finding types of @report, and the origin of that setting. */
static SmSensitiveAction
sensitive_action(SmPolicy *policy, const char *domain, const SmScanReport *report, char **origin)
{
  g_auto(GStrv) types = sm_scan_report_types(report);
  SmSensitiveAction worst = SM_ACTION_WARN;
  *origin = NULL;
  for (guint i = 0; types != NULL && types[i] != NULL; i++)
    {
      g_auto(Setting) s = { 0 };
      g_autofree char *key = g_strconcat("action-", types[i], NULL);
      if (!lookup(policy, domain, key, action_values, &s)
          && !lookup_pattern_action(policy, types[i], &s))
        lookup_or_default(policy, domain, "sensitive-action", action_values, "block", &s);
      SmSensitiveAction a = action_from_string(s.value);
      if (*origin == NULL || a > worst)
        {
          worst = a;
          g_free(*origin);
          *origin = setting_origin(&s);
        }
    }
  return worst;
}

static char *
encrypt_reason(SmPolicy *policy, const char *domain, SmKey *chosen, gboolean both)
{
  const char *proto = chosen->protocol == SM_PROTO_SMIME ? _("S/MIME") : _("OpenPGP");
  const char *what = chosen->protocol == SM_PROTO_SMIME ? _("certificate") : _("key");
  g_autofree char *base = g_strdup_printf(
      _("encrypted with %s: %s %s from %s, validity %s"), proto, what, chosen->fingerprint,
      sm_key_source_to_string(chosen->source), chosen->validity);
  GString *r = g_string_new(base);
  if (both)
    {
      g_auto(Setting) s = { 0 };
      lookup_or_default(policy, domain, "prefer", prefer_values, "openpgp", &s);
      g_autofree char *origin = setting_origin(&s);
      g_string_append_printf(r, _("; %s preferred %s (the recipient has both)"), proto, origin);
    }
  if (chosen->note != NULL)
    g_string_append_printf(r, " (%s)", chosen->note);
  return g_string_free(r, FALSE);
}

/* Why neither protocol can be used: the unusable keys if any, else "no key or certificate". */
static char *
no_key_reason(const char *address, SmKeyProblem problems[2], char *whys[2])
{
  if (problems[0] == SM_KEY_PROBLEM_NOT_FOUND && problems[1] == SM_KEY_PROBLEM_NOT_FOUND)
    return g_strdup_printf(_("no key or certificate for %s"), address);
  GPtrArray *parts = g_ptr_array_new();
  for (int p = 0; p < 2; p++)
    if (problems[p] == SM_KEY_PROBLEM_UNUSABLE)
      g_ptr_array_add(parts, whys[p]);
  g_ptr_array_add(parts, NULL);
  char *joined = g_strjoinv("; ", (char **)parts->pdata);
  g_ptr_array_free(parts, TRUE);
  return joined;
}

static void
decide_unencrypted(SmPolicy *policy, const SmScanReport *report, SmRecipientPlan *rcpt)
{
  const char *domain = domain_of(rcpt->address);
  if (report == NULL || !sm_scan_report_triggers(report))
    {
      rcpt->decision = SM_DECISION_PLAIN;
      rcpt->reason = g_strdup_printf(_("not end-to-end encrypted: %s"), rcpt->key_problem);
      return;
    }
  g_autofree char *origin = NULL;
  g_autofree char *found = sm_scan_report_describe(report);
  switch (sensitive_action(policy, domain, report, &origin))
    {
      case SM_ACTION_BLOCK:
        rcpt->decision = SM_DECISION_BLOCKED;
        rcpt->reason = g_strdup_printf(_("%s found and %s: not sent (block %s)"), found,
                                       rcpt->key_problem, origin);
        break;
      case SM_ACTION_REQUIRE_TLS:
        rcpt->decision = SM_DECISION_REQUIRE_TLS;
        rcpt->reason = g_strdup_printf(_("%s found and %s: sent only over verified TLS "
                                         "(require-tls %s)"),
                                       found, rcpt->key_problem, origin);
        break;
      case SM_ACTION_WARN:
      default:
        rcpt->decision = SM_DECISION_PLAIN;
        rcpt->reason = g_strdup_printf(_("%s found and %s: sent without end-to-end "
                                         "encryption (warn %s)"),
                                       found, rcpt->key_problem, origin);
        break;
    }
}

gboolean
sm_policy_decide(SmPolicy *policy, SmKeyResolver *resolver, const SmScanReport *report,
                 SmRecipientPlan *rcpt, GError **error)
{
  SmKey *keys[2] = { NULL, NULL };
  SmKeyProblem problems[2] = { SM_KEY_PROBLEM_NONE, SM_KEY_PROBLEM_NONE };
  char *whys[2] = { NULL, NULL };
  gboolean ok = TRUE;
  for (int p = SM_PROTO_OPENPGP; p <= SM_PROTO_SMIME && ok; p++)
    {
      keys[p] = sm_key_resolver_lookup(resolver, rcpt->address, p, &problems[p], &whys[p], error);
      ok = keys[p] != NULL || problems[p] != SM_KEY_PROBLEM_NONE;
    }
  if (ok)
    {
      const char *domain = domain_of(rcpt->address);
      SmProtocol use = keys[SM_PROTO_OPENPGP] != NULL ? SM_PROTO_OPENPGP : SM_PROTO_SMIME;
      gboolean both = keys[0] != NULL && keys[1] != NULL;
      if (both)
        {
          g_auto(Setting) s = { 0 };
          lookup_or_default(policy, domain, "prefer", prefer_values, "openpgp", &s);
          use = g_strcmp0(s.value, "smime") == 0 ? SM_PROTO_SMIME : SM_PROTO_OPENPGP;
        }
      if (keys[use] != NULL)
        {
          rcpt->decision
              = use == SM_PROTO_SMIME ? SM_DECISION_ENCRYPT_SMIME : SM_DECISION_ENCRYPT_OPENPGP;
          rcpt->reason = encrypt_reason(policy, domain, keys[use], both);
          rcpt->key = g_steal_pointer(&keys[use]);
        }
      else
        {
          rcpt->key_problem = no_key_reason(rcpt->address, problems, whys);
          decide_unencrypted(policy, report, rcpt);
        }
    }
  for (int p = 0; p < 2; p++)
    {
      sm_key_free(keys[p]);
      g_free(whys[p]);
    }
  return ok;
}

void
sm_recipient_plan_free(SmRecipientPlan *rcpt)
{
  if (rcpt == NULL)
    return;
  g_free(rcpt->address);
  g_free(rcpt->reason);
  g_free(rcpt->key_problem);
  sm_key_free(rcpt->key);
  g_free(rcpt);
}
