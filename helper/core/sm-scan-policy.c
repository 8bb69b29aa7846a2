/* sm-scan-policy: the scan part of the policy file (docs/scan-policy.md).
 *
 * [policy] scan-threshold / scan-ignore, and one [pattern:NAME] group per organisation pattern:
 * a regular expression (GRegex, PCRE2 with JIT) or a keyword list, an optional validator
 * (luhn, iban), the number of matches that makes it trigger, its confidence and its action.
 * Patterns run over raw bytes (G_REGEX_RAW) so that invalid UTF-8 cannot make them fail. */
#define _GNU_SOURCE /* memmem, memrchr */
#include "sm-scan-private.h"
#include "sm-error.h"

#include <glib/gi18n.h>
#include <string.h>

#define PATTERN_GROUP_PREFIX "pattern:"
#define PATTERN_MATCH_MAX 95 /* bytes of one org-pattern match kept as its value */

typedef enum
{
  VALIDATOR_NONE,
  VALIDATOR_LUHN,
  VALIDATOR_IBAN
} Validator;

struct _SmScanPattern
{
  char *name;
  GRegex *regex;
  Validator validator;
  SmConfidence confidence;
  guint threshold;
  char *action;
};

struct _SmScanPolicy
{
  SmConfidence threshold;
  gboolean ignore[SM_SCAN_TYPE_COUNT];
  GPtrArray *patterns; /* SmScanPattern* */
};

static void
pattern_free(SmScanPattern *p)
{
  g_free(p->name);
  g_clear_pointer(&p->regex, g_regex_unref);
  g_free(p->action);
  g_free(p);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(SmScanPattern, pattern_free)

static GRegex *
keywords_regex(char **keywords, gboolean caseless, GError **error)
{
  g_autoptr(GString) re = g_string_new("(?<![[:alnum:]])(?:");
  for (gsize i = 0; keywords[i] != NULL; i++)
    {
      g_autofree char *kw = g_strstrip(g_strdup(keywords[i]));
      if (*kw == '\0')
        continue;
      g_autofree char *esc = g_regex_escape_string(kw, -1);
      g_string_append_printf(re, "%s%s", re->str[re->len - 1] == ':' ? "" : "|", esc);
    }
  g_string_append(re, ")(?![[:alnum:]])");
  return g_regex_new(re->str, G_REGEX_RAW | G_REGEX_OPTIMIZE | (caseless ? G_REGEX_CASELESS : 0), 0,
                     error);
}

static gboolean
parse_validator(const char *text, Validator *out)
{
  if (text == NULL || g_ascii_strcasecmp(text, "none") == 0)
    *out = VALIDATOR_NONE;
  else if (g_ascii_strcasecmp(text, "luhn") == 0)
    *out = VALIDATOR_LUHN;
  else if (g_ascii_strcasecmp(text, "iban") == 0)
    *out = VALIDATOR_IBAN;
  else
    return FALSE;
  return TRUE;
}

static SmScanPattern *
pattern_new(GKeyFile *kf, const char *group, GError **error)
{
  g_autoptr(SmScanPattern) p = g_new0(SmScanPattern, 1);
  g_autofree char *regex = g_key_file_get_string(kf, group, "regex", NULL);
  g_auto(GStrv) keywords = g_key_file_get_string_list(kf, group, "keywords", NULL, NULL);
  g_autofree char *validator = g_key_file_get_string(kf, group, "validator", NULL);
  g_autofree char *confidence = g_key_file_get_string(kf, group, "confidence", NULL);
  gboolean caseless = !g_key_file_get_boolean(kf, group, "case-sensitive", NULL);

  p->name = g_strdup(group + strlen(PATTERN_GROUP_PREFIX));
  p->action = g_key_file_get_string(kf, group, "action", NULL);
  p->threshold = 1;
  if (g_key_file_has_key(kf, group, "threshold", NULL))
    p->threshold = (guint)MAX(1, g_key_file_get_integer(kf, group, "threshold", NULL));
  p->confidence = SM_CONF_HIGH;
  if (confidence != NULL && !sm_scan_confidence_parse(confidence, &p->confidence))
    {
      g_set_error(error, SM_ERROR, SM_ERROR_INVALID_INPUT,
                  _("[%s] confidence must be low, medium or high"), group);
      return NULL;
    }
  if (!parse_validator(validator, &p->validator))
    {
      g_set_error(error, SM_ERROR, SM_ERROR_INVALID_INPUT,
                  _("[%s] validator must be none, luhn or iban"), group);
      return NULL;
    }
  if ((regex == NULL) == (keywords == NULL))
    {
      g_set_error(error, SM_ERROR, SM_ERROR_INVALID_INPUT,
                  _("[%s] needs exactly one of regex or keywords"), group);
      return NULL;
    }
  g_autoptr(GError) local = NULL;
  p->regex
      = regex != NULL ? g_regex_new(
            regex, G_REGEX_RAW | G_REGEX_OPTIMIZE | (caseless ? G_REGEX_CASELESS : 0), 0, &local)
                      : keywords_regex(keywords, caseless, &local);
  if (p->regex == NULL)
    {
      g_set_error(error, SM_ERROR, SM_ERROR_INVALID_INPUT, _("[%s] bad pattern: %s"), group,
                  local->message);
      return NULL;
    }
  return g_steal_pointer(&p);
}

SmScanPolicy *
sm_scan_policy_new(GKeyFile *kf, GError **error)
{
  g_autoptr(SmScanPolicy) policy = g_new0(SmScanPolicy, 1);
  policy->threshold = SM_CONF_MEDIUM;
  policy->patterns = g_ptr_array_new_with_free_func((GDestroyNotify)pattern_free);
  if (kf == NULL)
    return g_steal_pointer(&policy);

  g_autofree char *threshold = g_key_file_get_string(kf, "policy", "scan-threshold", NULL);
  if (threshold != NULL && !sm_scan_confidence_parse(threshold, &policy->threshold))
    {
      g_set_error_literal(error, SM_ERROR, SM_ERROR_INVALID_INPUT,
                          _("[policy] scan-threshold must be low, medium or high"));
      return NULL;
    }
  g_auto(GStrv) ignore = g_key_file_get_string_list(kf, "policy", "scan-ignore", NULL, NULL);
  for (gsize i = 0; ignore != NULL && ignore[i] != NULL; i++)
    {
      gboolean known = FALSE;
      for (int t = 0; t < SM_SCAN_CUSTOM; t++)
        if (g_ascii_strcasecmp(g_strstrip(ignore[i]), sm_scan_type_name(t)) == 0)
          policy->ignore[t] = known = TRUE;
      if (!known)
        {
          g_set_error(error, SM_ERROR, SM_ERROR_INVALID_INPUT,
                      _("[policy] scan-ignore: unknown type %s"), ignore[i]);
          return NULL;
        }
    }
  g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);
  for (gsize i = 0; groups[i] != NULL; i++)
    {
      if (!g_str_has_prefix(groups[i], PATTERN_GROUP_PREFIX))
        continue;
      SmScanPattern *p = pattern_new(kf, groups[i], error);
      if (p == NULL)
        return NULL;
      g_ptr_array_add(policy->patterns, p);
    }
  return g_steal_pointer(&policy);
}

void
sm_scan_policy_free(SmScanPolicy *policy)
{
  if (policy == NULL)
    return;
  g_ptr_array_unref(policy->patterns);
  g_free(policy);
}

const GPtrArray *
sm_scan_policy_patterns(const SmScanPolicy *policy)
{
  return policy != NULL && policy->patterns->len > 0 ? policy->patterns : NULL;
}

SmConfidence
sm_scan_policy_threshold(const SmScanPolicy *policy)
{
  return policy != NULL ? policy->threshold : SM_CONF_MEDIUM;
}

gboolean
sm_scan_policy_ignores(const SmScanPolicy *policy, SmScanType type)
{
  return policy != NULL && type < SM_SCAN_TYPE_COUNT && policy->ignore[type];
}

/* Threshold (matches needed) and action of the org pattern @name; FALSE when unknown. */
gboolean
sm_scan_policy_pattern_rule(const SmScanPolicy *policy, const char *name, guint *threshold,
                            const char **action)
{
  for (guint i = 0; policy != NULL && i < policy->patterns->len; i++)
    {
      const SmScanPattern *p = g_ptr_array_index(policy->patterns, i);
      if (g_strcmp0(p->name, name) == 0)
        {
          *threshold = p->threshold;
          *action = p->action;
          return TRUE;
        }
    }
  return FALSE;
}

const char *
sm_scan_pattern_name(const SmScanPattern *pattern)
{
  return pattern->name;
}

static gboolean
validate(Validator v, const char *value)
{
  char norm[PATTERN_MATCH_MAX + 1];
  gsize n = 0;
  if (v == VALIDATOR_NONE)
    return TRUE;
  for (const char *p = value; *p != '\0' && n < PATTERN_MATCH_MAX; p++)
    if (g_ascii_isalnum(*p))
      norm[n++] = g_ascii_toupper(*p);
  norm[n] = '\0';
  return v == VALIDATOR_LUHN ? sm_scan_luhn_valid(norm, n) : sm_scan_iban_valid(norm, n);
}

void
sm_scan_pattern_run(const SmScanPattern *pattern, const char *text, gsize len, gsize from, gsize to,
                    guint64 base, SmScanHitFunc func, gpointer user_data)
{
  g_autoptr(GMatchInfo) info = NULL;
  g_regex_match_full(pattern->regex, text, (gssize)len, (gint)from, 0, &info, NULL);
  while (g_match_info_matches(info))
    {
      gint s = 0, e = 0;
      if (!g_match_info_fetch_pos(info, 0, &s, &e) || (gsize)s >= to)
        break;
      SmScanHit hit = { .type = SM_SCAN_CUSTOM,
                        .custom_name = pattern->name,
                        .confidence = pattern->confidence,
                        .start = base + (guint64)s,
                        .end = base + (guint64)e };
      sm_scan_copy(hit.value, sizeof hit.value, (const guint8 *)text + s, (gsize)(e - s));
      if (e > s && validate(pattern->validator, hit.value))
        {
          sm_scan_mask(hit.value, 2, 0, hit.masked);
          func(&hit, user_data);
        }
      if (!g_match_info_next(info, NULL))
        break;
    }
}
