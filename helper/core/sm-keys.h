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
} SmKey;

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
void sm_key_free(SmKey *key);
const char *sm_key_source_to_string(SmKeySource source); /* "keyring", "bundle", ... */

G_DEFINE_AUTOPTR_CLEANUP_FUNC(SmKeyResolver, sm_key_resolver_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SmKey, sm_key_free)

G_END_DECLS
