/* sm-keys: which OpenPGP key or S/MIME certificate sealmail would use for an address, and why.
 * CONTRACT shared with sm-policy and sm-seal; the keys module may add to it, never rename. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef enum { SM_PROTO_OPENPGP, SM_PROTO_SMIME } SmProtocol;
typedef enum {
  SM_KEY_SOURCE_KEYRING,
  SM_KEY_SOURCE_BUNDLE,
  SM_KEY_SOURCE_AUTOCRYPT,
  SM_KEY_SOURCE_WKD,
} SmKeySource;

typedef struct {
  SmProtocol protocol;
  char *fingerprint;
  char *address;     /* the matching user ID / SAN address */
  char *name;
  SmKeySource source;
  gint64 expires;    /* 0 = never */
  /* added by the keys module */
  gint64 created;       /* creation time of the key / certificate */
  char *validity;       /* "ultimate", "full", "marginal", "unknown" (GnuPG's view) */
  char *note;           /* for people: why this one among several, or where it came from; NULL */
} SmKey;

/* A resolver holds an SQLite connection: use one per thread. */
typedef struct _SmKeyResolver SmKeyResolver;

typedef struct {
  const char *gnupg_home;   /* NULL = the user's default */
  const char *state_db;     /* SQLite file for Autocrypt peer state; NULL = none */
  const char *bundle_state; /* directory of installed org bundle state; NULL = none */
  gboolean allow_network;   /* WKD look-ups through GnuPG (off by default) */
} SmKeyResolverOptions;

SmKeyResolver *sm_key_resolver_new(const SmKeyResolverOptions *options, GError **error);
void sm_key_resolver_free(SmKeyResolver *resolver);

/* The usable key for @address in @protocol, or NULL with *@why set to a reason for people
 * ("no key or certificate for carol@example.org", "key for bob expired on 2026-03-01"). */
SmKey *sm_key_resolver_find(SmKeyResolver *resolver, const char *address, SmProtocol protocol,
                            char **why, GError **error);
SmKey *sm_key_copy(const SmKey *key);

/* Why sm_key_resolver_lookup found nothing usable. */
typedef enum {
  SM_KEY_PROBLEM_NONE,      /* a usable key was found */
  SM_KEY_PROBLEM_NOT_FOUND, /* nothing at all for the address */
  SM_KEY_PROBLEM_UNUSABLE,  /* something exists but cannot be used (expired, revoked, ...) */
} SmKeyProblem;

/* Like sm_key_resolver_find, and says whether anything existed at all (@problem may be NULL). */
SmKey *sm_key_resolver_lookup(SmKeyResolver *resolver, const char *address, SmProtocol protocol,
                              SmKeyProblem *problem, char **why, GError **error);
/* The options the resolver was built with (paths resolved). */
const SmKeyResolverOptions *sm_key_resolver_get_options(SmKeyResolver *resolver);
/* A resolver configured by the [keys] group of @kf (may be NULL): network (default false),
 * gnupg-home (default: GnuPG's own), state-db (default $XDG_DATA_HOME/sealmail/state.db) and
 * bundle-state (default: [bundle] state-dir, else $XDG_DATA_HOME/sealmail/bundle).
 * docs/policy.md documents them. */
SmKeyResolver *sm_key_resolver_new_from_config(GKeyFile *kf, GError **error);
/* @address with its domain lower-cased and the local part kept (RFC 5321 2.4), or NULL when it
 * is not a plausible addr-spec (no '@', control characters, longer than address-bytes). */
char *sm_key_address_normalize(const char *address);
const char *sm_protocol_to_string(SmProtocol protocol); /* "openpgp", "smime" */
/* {"protocol", "fingerprint", "address", "name", "source", "expires", "created", "validity",
 * "note"}: the "key" object of the plan contract with extra fields. */
JsonNode *sm_key_to_json(const SmKey *key);
void sm_key_free(SmKey *key);
const char *sm_key_source_to_string(SmKeySource source); /* "keyring", "bundle", ... */

G_DEFINE_AUTOPTR_CLEANUP_FUNC(SmKeyResolver, sm_key_resolver_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SmKey, sm_key_free)

G_END_DECLS
