/* sm-authres: parses one Authentication-Results field (RFC 8601) or ARC-Authentication-Results
 * field (RFC 8617 section 4.1.1: an "i=N;" instance tag, then the same payload) into the
 * authserv-id, version and each method's result, reason and properties.
 * A pure parser, no I/O. Bounded by SM_LIMIT_AUTHRES_BYTES and SM_LIMIT_AUTHRES_RESULTS. */
#pragma once

#include <glib.h>
#include "sm-limits.h"

G_BEGIN_DECLS

typedef struct
{
  char *name;  /* "ptype.property", e.g. "smtp.mailfrom", "header.d"; or a bare key */
  char *value; /* unquoted */
} SmAuthresProperty;

typedef struct
{
  char *method;          /* lower-case: "spf", "dkim", "dmarc", "arc", "iprev", "auth", ... */
  char *result;          /* lower-case: "pass", "fail", "none", "softfail", ... */
  char *reason;          /* reason=, or NULL */
  char *comment;         /* the first comment after the result, or NULL */
  GPtrArray *properties; /* of SmAuthresProperty */
} SmAuthresResult;

typedef struct
{
  gboolean arc;       /* an ARC-Authentication-Results field */
  gint instance;      /* ARC i= value; 0 when absent */
  char *authserv_id;  /* NULL when the field has none (some servers omit it) */
  guint version;      /* 1 when not written */
  gboolean none;      /* "; none": no authentication was done */
  GPtrArray *results; /* of SmAuthresResult */
  guint dropped;      /* results beyond SM_LIMIT_AUTHRES_RESULTS, counted not kept */
  gboolean too_long;  /* longer than SM_LIMIT_AUTHRES_BYTES: not parsed */
} SmAuthres;

/* Parses the raw (possibly folded) value of one field. Never fails: what cannot be understood
 * is skipped. @limits may be NULL for the defaults. */
SmAuthres *sm_authres_parse(const char *raw, gsize len, gboolean arc, const SmLimits *limits);
void sm_authres_free(SmAuthres *authres);

/* The value of property @name ("smtp.mailfrom") of @result, or NULL. */
const char *sm_authres_result_property(const SmAuthresResult *result, const char *name);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(SmAuthres, sm_authres_free)

G_END_DECLS
