/* sm-policy: the per-recipient decision and the split plan for one outgoing message (issue 4),
 * with the sensitive-content actions of the SMTP proxy (issue 5).
 * CONTRACT shared by sm-seal, the CLI (plan/seal) and the SMTP proxy; add, never rename. */
#pragma once

#include <gmime/gmime.h>
#include <json-glib/json-glib.h>
#include "sm-keys.h"
#include "sm-limits.h"
#include "sm-scan.h"

G_BEGIN_DECLS

typedef enum {
  SM_DECISION_ENCRYPT_OPENPGP,
  SM_DECISION_ENCRYPT_SMIME,
  SM_DECISION_REQUIRE_TLS,
  SM_DECISION_PLAIN,
  SM_DECISION_BLOCKED,
} SmDecision;

typedef enum { SM_RCPT_TO, SM_RCPT_CC, SM_RCPT_BCC } SmRecipientKind;

typedef struct {
  char *address;        /* lower-case addr-spec */
  SmRecipientKind kind; /* To/Cc/Bcc; envelope-only recipients are Bcc */
  SmDecision decision;
  char *reason;         /* for people, translated */
  SmKey *key;           /* the chosen key or certificate, NULL for plain/tls/blocked */
  /* added by the keys module */
  char *key_problem;    /* why there is no encryption ("no key or certificate for ..."), or NULL */
} SmRecipientPlan;

typedef struct {
  SmDecision decision;
  GPtrArray *recipients; /* of SmRecipientPlan*, borrowed from SmPlan.recipients */
  gboolean bcc_copy;     /* a separate copy for one Bcc recipient */
} SmPlanGroup;

typedef struct {
  GPtrArray *recipients; /* of SmRecipientPlan*, owned */
  GPtrArray *groups;     /* of SmPlanGroup*, owned: one outgoing message each */
  SmScanReport *scan;    /* owned, may be NULL when not scanned */
  gboolean blocked;      /* the whole message must not be sent */
  char *reason;          /* for people; for a block, what to do (types and counts only) */
  char *sender;          /* lower-case From address, for signing and encrypt-to-self */
} SmPlan;

typedef struct _SmPolicy SmPolicy; /* user config + org policy: protocol preferences, actions */

/* Reads [policy] and [domain:NAME] groups of @kf (user config) and @org_policy (may be NULL). */
SmPolicy *sm_policy_new(GKeyFile *kf, GKeyFile *org_policy, GError **error);
void sm_policy_free(SmPolicy *policy);

/* Decides for each recipient of @message (To, Cc, Bcc, plus @envelope_rcpts that are not in
 * the headers, which count as Bcc; @envelope_rcpts may be NULL). */
SmPlan *sm_policy_plan(SmPolicy *policy, SmKeyResolver *resolver, GMimeMessage *message,
                       const char *const *envelope_rcpts, const SmScanPolicy *scan_policy,
                       const SmLimits *limits, GError **error);
void sm_plan_free(SmPlan *plan);
const char *sm_decision_to_string(SmDecision decision); /* "encrypt-openpgp", ... */
const char *sm_recipient_kind_to_string(SmRecipientKind kind); /* "to", "cc", "bcc" */
/* Reads the org policy file named by [policy] org-policy in @kf, else the one `sealmail bundle
 * import` installs ([bundle] org-policy, default $XDG_CONFIG_HOME/sealmail/org-policy.conf), and
 * makes the policy. A missing org policy file is not an error unless [policy] org-policy names it. */
SmPolicy *sm_policy_new_from_config(GKeyFile *kf, GError **error);
/* The plan for people: one line per recipient and group, and the verdict (the `sealmail plan`
 * text output). */
char *sm_plan_describe(const SmPlan *plan);
/* The `sealmail plan --json` object (../DESIGN.md, Contracts). */
JsonNode *sm_plan_to_json(const SmPlan *plan);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(SmPolicy, sm_policy_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SmPlan, sm_plan_free)

G_END_DECLS
