/* sm-path: the delivery path of a received message: every Received field parsed
 * (sm-received), Authentication-Results and ARC-Authentication-Results (sm-authres), the trust
 * boundary of the user's provider, a source label per hop and a one-line verdict.
 * CONTRACT used by sm-inspect (and later the IMAP proxy and plugin); add, never rename. */
#pragma once

#include <gmime/gmime.h>
#include <json-glib/json-glib.h>
#include "sm-limits.h"

G_BEGIN_DECLS

typedef struct _SmPath SmPath;

typedef struct {
  /* Host names, domains or authserv-ids of the user's provider (from --trust and the config);
   * NULL or empty: the topmost contiguous hops of the receiving domain. */
  const char *const *trusted;
  const SmLimits *limits;
} SmPathOptions;

/* Analyses the header block of a message. Never fails on odd headers: what cannot be parsed is
 * reported as unknown. Fails only on a limit (SM_ERROR_LIMIT). */
SmPath *sm_path_new_from_headers(GMimeHeaderList *headers, const SmPathOptions *options,
                                 GError **error);
void sm_path_free(SmPath *path);

/* The "path" object of the inspect contract. */
JsonNode *sm_path_to_json(const SmPath *path);
/* The "authentication_results" array of the inspect contract. */
JsonNode *sm_path_authres_to_json(const SmPath *path);
/* The one-line verdict for people. */
const char *sm_path_summary(const SmPath *path);
/* A readable hop table and the Authentication-Results lines, appended to @out. */
void sm_path_print_human(const SmPath *path, GString *out);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(SmPath, sm_path_free)

G_END_DECLS
