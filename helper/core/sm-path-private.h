/* sm-path-private: the SmPath structure shared by sm-path.c (analysis, trust boundary,
 * verdict) and sm-path-output.c (JSON and the human hop table). */
#pragma once

#include "sm-authres.h"
#include "sm-path.h"
#include "sm-received.h"

G_BEGIN_DECLS

/* Where the client of a hop sat, from the IP address the receiver recorded. */
typedef enum
{
  SM_PATH_SCOPE_UNKNOWN,  /* no address recorded */
  SM_PATH_SCOPE_LOOPBACK, /* the same machine: never crossed a network */
  SM_PATH_SCOPE_PRIVATE,  /* RFC 1918 / RFC 4193 / link-local network */
  SM_PATH_SCOPE_PUBLIC,
} SmPathScope;

typedef struct
{
  guint index; /* 1 = topmost Received field */
  SmReceived *received;
  gboolean provider; /* written inside the trust boundary */
  SmPathScope scope;
  gboolean has_delay;
  gint64 delay_seconds; /* this hop's date minus the previous (lower) hop's date */
  char *raw;            /* the field, unfolded and sanitised, for display */
} SmPathHop;

typedef struct
{
  SmAuthres *authres;
  gboolean trusted;
  const char *ignored_reason; /* untranslated reason when not trusted */
} SmPathAuthres;

struct _SmPath
{
  GPtrArray *hops;        /* of SmPathHop, topmost first */
  GPtrArray *authres;     /* of SmPathAuthres, in header order */
  guint received_total;   /* Received fields seen, parsed or not */
  guint received_skipped; /* beyond SM_LIMIT_RECEIVED_HEADERS */
  guint authres_skipped;  /* beyond SM_LIMIT_AUTHRES_HEADERS */
  gboolean configured;    /* the boundary came from options->trusted */
  char *receiving_domain; /* the derived provider domain without configuration, or NULL */
  char *summary;
};

/* The source label of a hop's TLS claim: "provider", "claimed" or "unknown". */
const char *sm_path_hop_source(const SmPathHop *hop);
const char *sm_path_scope_to_string(SmPathScope scope);
/* "from-name [ip]" and "by" names of a hop for people, never NULL. */
char *sm_path_hop_from_display(const SmPathHop *hop);
/* The client's name alone (reverse DNS, else HELO, else the IP), never NULL. */
const char *sm_path_hop_from_name(const SmPathHop *hop);
const char *sm_path_hop_by_display(const SmPathHop *hop);
/* The one-line verdict (sm-path-verdict.c). */
char *sm_path_build_summary(const SmPath *path);

G_END_DECLS
