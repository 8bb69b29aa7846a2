/* sm-scan: sensitive-content detection over the decoded text of a message (issue 3).
 * CONTRACT used by sm-policy and the SMTP proxy; the scan module may add to it, never rename. */
#pragma once

#include <gmime/gmime.h>
#include <json-glib/json-glib.h>
#include "sm-limits.h"

G_BEGIN_DECLS

typedef enum
{
  SM_CONF_LOW,
  SM_CONF_MEDIUM,
  SM_CONF_HIGH
} SmConfidence;

typedef struct _SmScanPolicy SmScanPolicy; /* org patterns, thresholds, per-type actions */
typedef struct _SmScanReport SmScanReport;

/* Reads the scan policy from a GKeyFile (the [policy] / [pattern:NAME] groups); NULL = defaults. */
SmScanPolicy *sm_scan_policy_new(GKeyFile *kf, GError **error);
void sm_scan_policy_free(SmScanPolicy *policy);

SmScanReport *sm_scan_message(GMimeMessage *message, const SmScanPolicy *policy,
                              const SmLimits *limits, GError **error);
void sm_scan_report_free(SmScanReport *report);

/* TRUE when something at or above the policy threshold was found (the message needs protection). */
gboolean sm_scan_report_triggers(const SmScanReport *report);
/* The finding types at or above threshold, e.g. {"US_SSN", "CREDIT_CARD", NULL}; free with
 * g_strfreev. */
char **sm_scan_report_types(const SmScanReport *report);
/* Count of findings of @type at or above threshold. */
guint sm_scan_report_count(const SmScanReport *report, const char *type);
/* For people, types and counts only, never values: "1 social security number and 2 card numbers".
 */
char *sm_scan_report_describe(const SmScanReport *report);
/* TRUE when a person's name was found next to an SSN, licence/state ID, financial account or
 * card number (Massachusetts 201 CMR 17.02 "personal information"), at or above threshold. */
gboolean sm_scan_report_personal_information(const SmScanReport *report);
/* One line for people: "2 card numbers (high), 1 social security number (high) in body;
 * 201 CMR 17 personal information: yes". Types, counts and confidences only. */
char *sm_scan_report_summary_line(const SmScanReport *report);
/* Scans plain UTF-8 @text as one body part "1" (no MIME); for tests and the control socket. */
SmScanReport *sm_scan_text(const char *text, gsize len, const SmScanPolicy *policy,
                           const SmLimits *limits);
/* The "summary" object of the scan JSON contract (../DESIGN.md). */
JsonNode *sm_scan_report_summary_json(const SmScanReport *report);
/* The whole `sealmail scan --json` object. @unmasked adds raw values (only on explicit request). */
JsonNode *sm_scan_report_to_json(const SmScanReport *report, gboolean unmasked);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(SmScanPolicy, sm_scan_policy_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SmScanReport, sm_scan_report_free)

G_END_DECLS
