/* sm-seal: building the outgoing messages of a plan: PGP/MIME (RFC 3156) or S/MIME (RFC 8551),
 * signed, encrypted to the recipients and to self, with protected headers and Autocrypt.
 * CONTRACT used by the CLI (seal) and the SMTP proxy; add, never rename. */
#pragma once

#include <gmime/gmime.h>
#include "sm-policy.h"

G_BEGIN_DECLS

typedef struct {
  const char *gnupg_home;    /* NULL = default */
  gboolean sign;             /* sign with the sender's key / certificate */
  gboolean protect_headers;  /* real Subject inside, neutral outer Subject */
  gboolean autocrypt;        /* Autocrypt header and gossip */
} SmSealOptions;

typedef struct {
  SmPlanGroup *group;       /* borrowed from the plan */
  GMimeMessage *message;    /* the message to send to group->recipients */
  char **envelope_rcpts;    /* NULL-terminated RCPT TO addresses for this copy */
} SmSealedMessage;

/* One sealed message per plan group, in plan order. A blocked plan is an SM_ERROR_POLICY error. */
GPtrArray *sm_seal_plan(const SmPlan *plan, GMimeMessage *message, const SmSealOptions *options,
                        GError **error); /* of SmSealedMessage*, free with sm_sealed_message_free */
void sm_sealed_message_free(SmSealedMessage *sealed);

G_END_DECLS
