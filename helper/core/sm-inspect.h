/* sm-inspect: the recipient's view of one message: parse (sm-message), signatures and
 * decryption (sm-verify), delivery path (sm-path), in one report printed as the
 * `sealmail inspect --json` contract (docs/json.md, ../DESIGN.md Contracts) or for people.
 * Used by the CLI now, and by the IMAP proxy and the control socket later. */
#pragma once

#include <gmime/gmime.h>
#include <json-glib/json-glib.h>
#include "sm-limits.h"
#include "sm-path.h"
#include "sm-verify.h"

G_BEGIN_DECLS

typedef struct _SmInspect SmInspect;

typedef struct
{
  /* Host names, domains or authserv-ids of the user's provider; NULL-terminated, may be NULL. */
  const char *const *trusted;
  const SmLimits *limits;
  /* Never call GPGME: the structure of signed and encrypted parts only (see sm-verify.h). */
  gboolean structure_only;
} SmInspectOptions;

/* Errors: those of sm_message_parse_bytes (not a message, limits) and of sm_verify_message and
 * sm_path_new_from_headers (limits). */
SmInspect *sm_inspect_bytes(GBytes *bytes, const SmInspectOptions *options, GError **error);
SmInspect *sm_inspect_message(GMimeMessage *message, const SmInspectOptions *options,
                              GError **error);
void sm_inspect_free(SmInspect *inspect);

const SmVerifyResult *sm_inspect_get_verify(const SmInspect *inspect);
const SmPath *sm_inspect_get_path(const SmInspect *inspect);

/* The whole inspect object, with "format_version" = SM_JSON_FORMAT_VERSION. */
JsonNode *sm_inspect_to_json(const SmInspect *inspect);
/* Summary lines, signatures, findings and the hop table, appended to @out. */
void sm_inspect_print_human(const SmInspect *inspect, GString *out);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(SmInspect, sm_inspect_free)

G_END_DECLS
