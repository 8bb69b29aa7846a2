/* sm-policy-private: what sm-policy.c (configuration, one recipient's decision) and sm-plan.c
 * (the whole message: recipients, groups, block reason, JSON) share. Not for other modules. */
#pragma once

#include "sm-policy.h"

G_BEGIN_DECLS

typedef enum
{
  SM_ACTION_WARN,        /* send, and say so */
  SM_ACTION_REQUIRE_TLS, /* send only over verified TLS */
  SM_ACTION_BLOCK,       /* do not send */
} SmSensitiveAction;

/* One recipient's decision. @report is the scan of the message (NULL = not scanned). Fills
 * plan->decision, reason and key. */
gboolean sm_policy_decide(SmPolicy *policy, SmKeyResolver *resolver, const SmScanReport *report,
                          SmRecipientPlan *rcpt, GError **error);

/* "carol" from "carol@example.org": how a block reason names people. */
char *sm_policy_person(const char *address);

void sm_recipient_plan_free(SmRecipientPlan *rcpt);

G_END_DECLS
