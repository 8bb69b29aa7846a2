/* sm-scan-report: the findings of one scan, what counts, and how it is told.
 *
 * Three faces: the `sealmail scan --json` object (../DESIGN.md, Contracts), a one-line summary
 * for people, and a types-and-counts description for the SMTP proxy's 5.7.1 reply. Values are
 * kept only for an explicit --show-values; every other output uses the masked form. */
#include "sm-scan-private.h"
#include "sm-json.h"

#include <glib/gi18n.h>
#include <string.h>

static const char *const type_names[SM_SCAN_TYPE_COUNT]
    = { "US_SSN",          "US_ITIN",     "CREDIT_CARD",       "IBAN",          "US_ABA_ROUTING",
        "US_BANK_ACCOUNT", "US_PASSPORT", "US_DRIVER_LICENSE", "FR_NIR",        "SE_PERSONNUMMER",
        "CN_RESIDENT_ID",  "DE_TAX_ID",   "UK_NINO",           "DATE_OF_BIRTH", "MEDICAL",
        "EMAIL",           "PHONE",       "PERSON_WITH_ID",    "CUSTOM" };

const char *
sm_scan_type_name(SmScanType type)
{
  g_return_val_if_fail(type < SM_SCAN_TYPE_COUNT, NULL);
  return type_names[type];
}

char *
sm_scan_type_describe(SmScanType type, guint n)
{
  switch (type)
    {
      case SM_SCAN_US_SSN:
        return g_strdup_printf(
            ngettext("%u social security number", "%u social security numbers", n), n);
      case SM_SCAN_US_ITIN:
        return g_strdup_printf(
            ngettext("%u taxpayer number (ITIN)", "%u taxpayer numbers (ITIN)", n), n);
      case SM_SCAN_CREDIT_CARD:
        return g_strdup_printf(ngettext("%u card number", "%u card numbers", n), n);
      case SM_SCAN_IBAN:
        return g_strdup_printf(ngettext("%u IBAN", "%u IBANs", n), n);
      case SM_SCAN_US_ABA_ROUTING:
        return g_strdup_printf(ngettext("%u bank routing number", "%u bank routing numbers", n), n);
      case SM_SCAN_US_BANK_ACCOUNT:
        return g_strdup_printf(ngettext("%u bank account number", "%u bank account numbers", n), n);
      case SM_SCAN_US_PASSPORT:
        return g_strdup_printf(ngettext("%u passport number", "%u passport numbers", n), n);
      case SM_SCAN_US_DRIVER_LICENSE:
        return g_strdup_printf(
            ngettext("%u driver's licence number", "%u driver's licence numbers", n), n);
      case SM_SCAN_FR_NIR:
        return g_strdup_printf(
            ngettext("%u French social security number", "%u French social security numbers", n),
            n);
      case SM_SCAN_SE_PERSONNUMMER:
        return g_strdup_printf(ngettext("%u Swedish personal identity number",
                                        "%u Swedish personal identity numbers", n),
                               n);
      case SM_SCAN_CN_RESIDENT_ID:
        return g_strdup_printf(
            ngettext("%u Chinese resident ID number", "%u Chinese resident ID numbers", n), n);
      case SM_SCAN_DE_TAX_ID:
        return g_strdup_printf(ngettext("%u German tax ID", "%u German tax IDs", n), n);
      case SM_SCAN_UK_NINO:
        return g_strdup_printf(
            ngettext("%u National Insurance number", "%u National Insurance numbers", n), n);
      case SM_SCAN_DATE_OF_BIRTH:
        return g_strdup_printf(ngettext("%u date of birth", "%u dates of birth", n), n);
      case SM_SCAN_MEDICAL:
        return g_strdup_printf(ngettext("%u health data item", "%u health data items", n), n);
      case SM_SCAN_EMAIL:
        return g_strdup_printf(ngettext("%u e-mail address", "%u e-mail addresses", n), n);
      case SM_SCAN_PHONE:
        return g_strdup_printf(ngettext("%u phone number", "%u phone numbers", n), n);
      case SM_SCAN_PERSON_WITH_ID:
        return g_strdup_printf(
            ngettext("%u name next to an identifier", "%u names next to an identifier", n), n);
      case SM_SCAN_CUSTOM:
      case SM_SCAN_TYPE_COUNT:
      default:
        return g_strdup_printf(ngettext("%u match of an organisation pattern",
                                        "%u matches of organisation patterns", n),
                               n);
    }
}

const char *
sm_scan_confidence_name(SmConfidence c)
{
  return c == SM_CONF_HIGH ? "high" : c == SM_CONF_MEDIUM ? "medium" : "low";
}

gboolean
sm_scan_confidence_parse(const char *text, SmConfidence *out)
{
  static const char *const names[] = { "low", "medium", "high" };
  g_autofree char *t = g_strstrip(g_strdup(text));
  for (int i = 0; i < 3; i++)
    if (g_ascii_strcasecmp(t, names[i]) == 0)
      {
        *out = (SmConfidence)i;
        return TRUE;
      }
  return FALSE;
}

static void
finding_free(SmScanFinding *f)
{
  g_free(f->custom_name);
  g_free(f->part);
  g_free(f->source);
  g_free(f->filename);
  if (f->value != NULL)
    memset(f->value, 0, strlen(f->value)); /* do not leave identifiers in freed memory */
  g_free(f->value);
  g_free(f->masked);
  g_free(f);
}

static void
rule_free(SmScanCustomRule *r)
{
  g_free(r->action);
  g_free(r);
}

SmScanReport *
sm_scan_report_new(const SmScanPolicy *policy)
{
  SmScanReport *r = g_new0(SmScanReport, 1);
  r->findings = g_ptr_array_new_with_free_func((GDestroyNotify)finding_free);
  r->skipped = g_ptr_array_new_with_free_func(g_free);
  r->custom = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)rule_free);
  r->threshold = sm_scan_policy_threshold(policy);
  const GPtrArray *patterns = sm_scan_policy_patterns(policy);
  for (guint i = 0; patterns != NULL && i < patterns->len; i++)
    {
      const char *name = sm_scan_pattern_name(g_ptr_array_index(patterns, i));
      const char *action = NULL;
      SmScanCustomRule *rule = g_new0(SmScanCustomRule, 1);
      sm_scan_policy_pattern_rule(policy, name, &rule->threshold, &action);
      rule->action = g_strdup(action);
      g_hash_table_replace(r->custom, g_strdup(name), rule);
    }
  return r;
}

gboolean
sm_scan_report_add(SmScanReport *r, const SmScanHit *hit, const char *part, const char *source,
                   const char *filename, guint64 max_findings)
{
  if (r->findings->len >= max_findings)
    {
      r->truncated = TRUE;
      return FALSE;
    }
  SmScanFinding *f = g_new0(SmScanFinding, 1);
  f->type = hit->type;
  f->custom_name = g_strdup(hit->custom_name);
  f->confidence = hit->confidence;
  f->part = g_strdup(part);
  f->source = g_strdup(source);
  f->filename = g_strdup(filename);
  f->start = hit->start;
  f->end = hit->end;
  f->line = hit->line;
  f->quoted = hit->quoted;
  f->masked = g_strdup(hit->masked);
  f->value = g_strdup(hit->value);
  g_ptr_array_add(r->findings, f);
  if (f->type == SM_SCAN_CUSTOM)
    {
      SmScanCustomRule *rule = g_hash_table_lookup(r->custom, f->custom_name);
      if (rule != NULL)
        rule->matches++;
    }
  return TRUE;
}

void
sm_scan_report_free(SmScanReport *r)
{
  if (r == NULL)
    return;
  g_ptr_array_unref(r->findings);
  g_ptr_array_unref(r->skipped);
  g_hash_table_unref(r->custom);
  g_free(r);
}

char *
sm_scan_finding_type(const SmScanFinding *f)
{
  if (f->type == SM_SCAN_CUSTOM)
    return g_strdup_printf("CUSTOM:%s", f->custom_name);
  return g_strdup(sm_scan_type_name(f->type));
}

gboolean
sm_scan_report_counts(const SmScanReport *r, const SmScanFinding *f)
{
  if (f->confidence < r->threshold)
    return FALSE;
  if (f->type != SM_SCAN_CUSTOM)
    return TRUE;
  const SmScanCustomRule *rule = g_hash_table_lookup(r->custom, f->custom_name);
  return rule == NULL || rule->matches >= rule->threshold;
}

gboolean
sm_scan_report_triggers(const SmScanReport *r)
{
  g_return_val_if_fail(r != NULL, FALSE);
  for (guint i = 0; i < r->findings->len; i++)
    if (sm_scan_report_counts(r, g_ptr_array_index(r->findings, i)))
      return TRUE;
  return FALSE;
}

gboolean
sm_scan_report_personal_information(const SmScanReport *r)
{
  g_return_val_if_fail(r != NULL, FALSE);
  for (guint i = 0; i < r->findings->len; i++)
    {
      const SmScanFinding *f = g_ptr_array_index(r->findings, i);
      if (f->type == SM_SCAN_PERSON_WITH_ID && sm_scan_report_counts(r, f))
        return TRUE;
    }
  return FALSE;
}

char **
sm_scan_report_types(const SmScanReport *r)
{
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func(g_free);
  g_return_val_if_fail(r != NULL, NULL);
  for (guint i = 0; i < r->findings->len; i++)
    {
      const SmScanFinding *f = g_ptr_array_index(r->findings, i);
      if (!sm_scan_report_counts(r, f))
        continue;
      g_autofree char *t = sm_scan_finding_type(f);
      gboolean seen = FALSE;
      for (guint k = 0; k < out->len && !seen; k++)
        seen = strcmp(g_ptr_array_index(out, k), t) == 0;
      if (!seen)
        g_ptr_array_add(out, g_steal_pointer(&t));
    }
  g_ptr_array_add(out, NULL);
  return (char **)g_ptr_array_free(g_steal_pointer(&out), FALSE);
}

guint
sm_scan_report_count(const SmScanReport *r, const char *type)
{
  guint n = 0;
  g_return_val_if_fail(r != NULL && type != NULL, 0);
  for (guint i = 0; i < r->findings->len; i++)
    {
      const SmScanFinding *f = g_ptr_array_index(r->findings, i);
      g_autofree char *t = sm_scan_finding_type(f);
      n += sm_scan_report_counts(r, f) && strcmp(t, type) == 0;
    }
  return n;
}

/* Per counted type: how many and the highest confidence, in first-seen order. */
typedef struct
{
  SmScanType type;
  guint count;
  SmConfidence best;
} TypeTally;

static GArray *
tally(const SmScanReport *r, gboolean with_person)
{
  GArray *t = g_array_new(FALSE, TRUE, sizeof(TypeTally));
  for (guint i = 0; i < r->findings->len; i++)
    {
      const SmScanFinding *f = g_ptr_array_index(r->findings, i);
      if (!sm_scan_report_counts(r, f) || (!with_person && f->type == SM_SCAN_PERSON_WITH_ID))
        continue;
      guint k = 0;
      while (k < t->len && g_array_index(t, TypeTally, k).type != f->type)
        k++;
      if (k == t->len)
        {
          TypeTally z = { f->type, 0, f->confidence };
          g_array_append_val(t, z);
        }
      TypeTally *e = &g_array_index(t, TypeTally, k);
      e->count++;
      e->best = MAX(e->best, f->confidence);
    }
  return t;
}

char *
sm_scan_report_describe(const SmScanReport *r)
{
  g_return_val_if_fail(r != NULL, NULL);
  g_autoptr(GArray) t = tally(r, FALSE);
  g_autoptr(GString) s = g_string_new(NULL);
  for (guint k = 0; k < t->len; k++)
    {
      TypeTally *e = &g_array_index(t, TypeTally, k);
      g_autofree char *d = sm_scan_type_describe(e->type, e->count);
      if (k > 0)
        g_string_append(s, k + 1 == t->len ? _(" and ") : ", ");
      g_string_append(s, d);
    }
  if (s->len == 0)
    g_string_append(s, _("no sensitive content"));
  return g_string_free(g_steal_pointer(&s), FALSE);
}

char *
sm_scan_report_summary_line(const SmScanReport *r)
{
  g_return_val_if_fail(r != NULL, NULL);
  g_autoptr(GArray) t = tally(r, FALSE);
  g_autoptr(GString) s = g_string_new(NULL);
  for (guint k = 0; k < t->len; k++)
    {
      TypeTally *e = &g_array_index(t, TypeTally, k);
      g_autofree char *d = sm_scan_type_describe(e->type, e->count);
      g_string_append_printf(s, "%s%s (%s)", k > 0 ? ", " : "", d,
                             sm_scan_confidence_name(e->best));
    }
  if (s->len == 0)
    {
      g_string_append_printf(s, _("nothing at or above %s confidence"),
                             sm_scan_confidence_name(r->threshold));
    }
  else
    {
      /* where: subject, body, attachments */
      gboolean subject = FALSE, body = FALSE, attach = FALSE;
      for (guint i = 0; i < r->findings->len; i++)
        {
          const SmScanFinding *f = g_ptr_array_index(r->findings, i);
          if (!sm_scan_report_counts(r, f))
            continue;
          subject |= g_strcmp0(f->source, "subject") == 0;
          body |= g_strcmp0(f->source, "body") == 0;
          attach |= g_strcmp0(f->source, "attachment") == 0;
        }
      g_string_append_printf(s, _(" in %s%s%s%s%s"), subject ? _("subject") : "",
                             subject && (body || attach) ? ", " : "", body ? _("body") : "",
                             body && attach ? ", " : "", attach ? _("attachments") : "");
    }
  g_string_append_printf(s, _("; 201 CMR 17 personal information: %s"),
                         sm_scan_report_personal_information(r) ? _("yes") : _("no"));
  return g_string_free(g_steal_pointer(&s), FALSE);
}

JsonNode *
sm_scan_report_summary_json(const SmScanReport *r)
{
  g_return_val_if_fail(r != NULL, NULL);
  g_autoptr(JsonBuilder) b = json_builder_new();
  g_auto(GStrv) types = sm_scan_report_types(r);
  json_builder_begin_object(b);
  for (gsize i = 0; types[i] != NULL; i++)
    {
      json_builder_set_member_name(b, types[i]);
      json_builder_add_int_value(b, sm_scan_report_count(r, types[i]));
    }
  json_builder_set_member_name(b, "personal_information_201cmr17");
  json_builder_add_boolean_value(b, sm_scan_report_personal_information(r));
  json_builder_end_object(b);
  return json_builder_get_root(b);
}

static void
add_finding(JsonBuilder *b, const SmScanReport *r, const SmScanFinding *f, gboolean unmasked)
{
  g_autofree char *type = sm_scan_finding_type(f);
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "type");
  json_builder_add_string_value(b, type);
  json_builder_set_member_name(b, "confidence");
  json_builder_add_string_value(b, sm_scan_confidence_name(f->confidence));
  json_builder_set_member_name(b, "part");
  json_builder_add_string_value(b, f->part);
  json_builder_set_member_name(b, "source");
  json_builder_add_string_value(b, f->source);
  sm_json_add_string_or_null(b, "filename", f->filename);
  json_builder_set_member_name(b, "start");
  json_builder_add_int_value(b, (gint64)f->start);
  json_builder_set_member_name(b, "end");
  json_builder_add_int_value(b, (gint64)f->end);
  json_builder_set_member_name(b, "line");
  json_builder_add_int_value(b, (gint64)f->line);
  json_builder_set_member_name(b, "masked");
  json_builder_add_string_value(b, f->masked);
  json_builder_set_member_name(b, "quoted");
  json_builder_add_boolean_value(b, f->quoted);
  if (f->type == SM_SCAN_CUSTOM)
    {
      const SmScanCustomRule *rule = g_hash_table_lookup(r->custom, f->custom_name);
      sm_json_add_string_or_null(b, "action", rule != NULL ? rule->action : NULL);
    }
  json_builder_set_member_name(b, "counts");
  json_builder_add_boolean_value(b, sm_scan_report_counts(r, f));
  if (unmasked)
    {
      json_builder_set_member_name(b, "value");
      json_builder_add_string_value(b, f->value);
    }
  json_builder_end_object(b);
}

JsonNode *
sm_scan_report_to_json(const SmScanReport *r, gboolean unmasked)
{
  g_return_val_if_fail(r != NULL, NULL);
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "format_version");
  json_builder_add_int_value(b, SM_JSON_FORMAT_VERSION);
  json_builder_set_member_name(b, "findings");
  json_builder_begin_array(b);
  for (guint i = 0; i < r->findings->len; i++)
    add_finding(b, r, g_ptr_array_index(r->findings, i), unmasked);
  json_builder_end_array(b);
  json_builder_set_member_name(b, "summary");
  json_builder_add_value(b, sm_scan_report_summary_json(r));
  json_builder_set_member_name(b, "threshold");
  json_builder_add_string_value(b, sm_scan_confidence_name(r->threshold));
  json_builder_set_member_name(b, "triggers");
  json_builder_add_boolean_value(b, sm_scan_report_triggers(r));
  json_builder_set_member_name(b, "truncated");
  json_builder_add_boolean_value(b, r->truncated);
  json_builder_set_member_name(b, "bytes_scanned");
  json_builder_add_int_value(b, (gint64)r->bytes_scanned);
  json_builder_set_member_name(b, "not_scanned");
  json_builder_begin_array(b);
  for (guint i = 0; i < r->skipped->len; i++)
    json_builder_add_string_value(b, g_ptr_array_index(r->skipped, i));
  json_builder_end_array(b);
  json_builder_end_object(b);
  return json_builder_get_root(b);
}
