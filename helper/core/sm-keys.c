/* sm-keys: which OpenPGP key or S/MIME certificate sealmail would use for an address, and why.
 *
 * Sources, in order: the user's keyrings (gpg and gpgsm through GPGME), of which keys listed in
 * the installed org bundle (bundle-state/installed.ini, [keys] openpgp= / smime=) are reported as
 * "bundle"; then a key seen in an Autocrypt header (sm-autocrypt), imported when chosen; then,
 * only when the user enabled network look-ups, WKD through GnuPG's locate mechanism. Without that
 * setting GPGME runs offline (gpgsm gets no dirmngr, gpg no key servers).
 *
 * Among several usable keys the highest validity wins, then the newest; the key says so.
 *
 * Limits: address-bytes (addresses longer are refused), key-candidates (keys examined per
 * look-up; the listing stops there). */
#include "sm-keys.h"
#include "sm-autocleanups.h"
#include "sm-autocrypt.h"
#include "sm-bundle.h"
#include "sm-error.h"
#include "sm-json.h"
#include "sm-keys-private.h"
#include "sm-limits.h"
#include "sm-message.h"

#include <glib/gi18n.h>
#include <string.h>

struct _SmKeyResolver
{
  SmKeyResolverOptions options; /* strings point into the fields below */
  char *gnupg_home;
  char *state_db;
  char *bundle_state;
  GHashTable *bundle[2]; /* upper-case fingerprints per SmProtocol */
  SmAutocryptStore *autocrypt;
};

/* One usable key found for the address. */
typedef struct
{
  gpgme_key_t key;
  gpgme_validity_t validity;
  SmKeySource source;
  gboolean any_uid; /* an Autocrypt key: the address need not be in a user ID */
} Candidate;

/* What one look-up learnt. */
typedef struct
{
  GPtrArray *usable; /* of Candidate* */
  GPtrArray *why;    /* reasons of the keys that matched the address but cannot be used */
} Found;

const char *
sm_protocol_to_string(SmProtocol protocol)
{
  return protocol == SM_PROTO_SMIME ? "smime" : "openpgp";
}

const char *
sm_key_source_to_string(SmKeySource source)
{
  switch (source)
    {
      case SM_KEY_SOURCE_BUNDLE:
        return "bundle";
      case SM_KEY_SOURCE_AUTOCRYPT:
        return "autocrypt";
      case SM_KEY_SOURCE_WKD:
        return "wkd";
      case SM_KEY_SOURCE_KEYRING:
      default:
        return "keyring";
    }
}

/* --- SmKey ---------------------------------------------------------------------------------- */

SmKey *
sm_key_copy(const SmKey *key)
{
  if (key == NULL)
    return NULL;
  SmKey *copy = g_new0(SmKey, 1);
  *copy = *key;
  copy->fingerprint = g_strdup(key->fingerprint);
  copy->address = g_strdup(key->address);
  copy->name = g_strdup(key->name);
  copy->validity = g_strdup(key->validity);
  copy->note = g_strdup(key->note);
  return copy;
}

void
sm_key_free(SmKey *key)
{
  if (key == NULL)
    return;
  g_free(key->fingerprint);
  g_free(key->address);
  g_free(key->name);
  g_free(key->validity);
  g_free(key->note);
  g_free(key);
}

static void
add_date(JsonBuilder *b, const char *name, gint64 t)
{
  json_builder_set_member_name(b, name);
  if (t == 0)
    {
      json_builder_add_null_value(b);
    }
  else
    {
      g_autofree char *s = sm_keys_format_date(t);
      json_builder_add_string_value(b, s);
    }
}

JsonNode *
sm_key_to_json(const SmKey *key)
{
  if (key == NULL)
    return json_node_new(JSON_NODE_NULL);
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "protocol");
  json_builder_add_string_value(b, sm_protocol_to_string(key->protocol));
  sm_json_add_string_or_null(b, "fingerprint", key->fingerprint);
  sm_json_add_string_or_null(b, "address", key->address);
  sm_json_add_string_or_null(b, "name", key->name);
  json_builder_set_member_name(b, "source");
  json_builder_add_string_value(b, sm_key_source_to_string(key->source));
  add_date(b, "created", key->created);
  add_date(b, "expires", key->expires);
  sm_json_add_string_or_null(b, "validity", key->validity);
  sm_json_add_string_or_null(b, "note", key->note);
  json_builder_end_object(b);
  return json_builder_get_root(b);
}

/* --- the resolver --------------------------------------------------------------------------- */

static GHashTable *
fingerprint_set(GKeyFile *kf, const char *key)
{
  GHashTable *set = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  g_auto(GStrv) list = g_key_file_get_string_list(kf, "keys", key, NULL, NULL);
  for (guint i = 0; list != NULL && list[i] != NULL; i++)
    {
      char *fpr = g_ascii_strup(g_strstrip(list[i]), -1);
      if (*fpr != '\0')
        g_hash_table_add(set, fpr);
      else
        g_free(fpr);
    }
  return set;
}

/* installed.ini as written by `sealmail bundle import`; no file means no bundle. */
static gboolean
load_bundle_state(SmKeyResolver *r, GError **error)
{
  g_autoptr(GKeyFile) kf = g_key_file_new();
  if (r->bundle_state != NULL)
    {
      g_autofree char *path = g_build_filename(r->bundle_state, "installed.ini", NULL);
      if (g_file_test(path, G_FILE_TEST_EXISTS)
          && !g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, error))
        {
          g_prefix_error(error, _("cannot read the org bundle state %s: "), path);
          return FALSE;
        }
    }
  r->bundle[SM_PROTO_OPENPGP] = fingerprint_set(kf, "openpgp");
  r->bundle[SM_PROTO_SMIME] = fingerprint_set(kf, "smime");
  return TRUE;
}

SmKeyResolver *
sm_key_resolver_new(const SmKeyResolverOptions *options, GError **error)
{
  static const SmKeyResolverOptions defaults = { 0 };
  if (options == NULL)
    options = &defaults;
  sm_message_init();
  g_autoptr(SmKeyResolver) r = g_new0(SmKeyResolver, 1);
  r->gnupg_home = g_strdup(options->gnupg_home);
  r->state_db = g_strdup(options->state_db);
  r->bundle_state = g_strdup(options->bundle_state);
  r->options.gnupg_home = r->gnupg_home;
  r->options.state_db = r->state_db;
  r->options.bundle_state = r->bundle_state;
  r->options.allow_network = options->allow_network;
  if (!load_bundle_state(r, error))
    return NULL;
  return g_steal_pointer(&r);
}

SmKeyResolver *
sm_key_resolver_new_from_config(GKeyFile *kf, GError **error)
{
  g_autofree char *data = g_build_filename(g_get_user_data_dir(), "sealmail", NULL);
  g_autofree char *home = NULL, *state_db = NULL, *bundle = NULL;
  SmKeyResolverOptions opts = { 0 };
  if (kf != NULL)
    {
      g_autoptr(GError) local = NULL;
      home = g_key_file_get_string(kf, "keys", "gnupg-home", NULL);
      state_db = g_key_file_get_string(kf, "keys", "state-db", NULL);
      bundle = g_key_file_get_string(kf, "keys", "bundle-state", NULL);
      if (g_key_file_has_key(kf, "keys", "network", NULL))
        {
          opts.allow_network = g_key_file_get_boolean(kf, "keys", "network", &local);
          if (local != NULL)
            {
              g_set_error(error, SM_ERROR, SM_ERROR_INVALID_INPUT,
                          _("[keys] network must be true or false"));
              return NULL;
            }
        }
    }
  if (state_db == NULL)
    state_db = g_build_filename(data, "state.db", NULL);
  if (bundle == NULL)
    bundle = sm_bundle_config_state_dir(kf); /* [bundle] state-dir, as `sealmail bundle` uses */
  opts.gnupg_home = home;
  opts.state_db = state_db;
  opts.bundle_state = bundle;
  return sm_key_resolver_new(&opts, error);
}

void
sm_key_resolver_free(SmKeyResolver *resolver)
{
  if (resolver == NULL)
    return;
  g_free(resolver->gnupg_home);
  g_free(resolver->state_db);
  g_free(resolver->bundle_state);
  g_clear_pointer(&resolver->bundle[0], g_hash_table_unref);
  g_clear_pointer(&resolver->bundle[1], g_hash_table_unref);
  g_clear_pointer(&resolver->autocrypt, sm_autocrypt_store_free);
  g_free(resolver);
}

const SmKeyResolverOptions *
sm_key_resolver_get_options(SmKeyResolver *resolver)
{
  g_return_val_if_fail(resolver != NULL, NULL);
  return &resolver->options;
}

/* --- looking keys up ------------------------------------------------------------------------ */

static gpgme_ctx_t
new_context(SmKeyResolver *r, SmProtocol protocol, gpgme_keylist_mode_t mode, GError **error)
{
  gpgme_protocol_t proto = protocol == SM_PROTO_SMIME ? GPGME_PROTOCOL_CMS : GPGME_PROTOCOL_OpenPGP;
  gpgme_ctx_t ctx = NULL;
  if (!sm_error_from_gpgme(error, gpgme_new(&ctx), _("cannot start GnuPG")))
    return NULL;
  g_auto(gpgme_ctx_t) owned = ctx;
  if (!sm_error_from_gpgme(error, gpgme_set_protocol(ctx, proto), _("cannot select protocol")))
    return NULL;
  if (r->gnupg_home != NULL
      && !sm_error_from_gpgme(error, gpgme_ctx_set_engine_info(ctx, proto, NULL, r->gnupg_home),
                              _("cannot use the GnuPG home")))
    return NULL;
  /* Offline: gpgsm asks no dirmngr (no CRL/OCSP fetches), gpg no key server. */
  gpgme_set_offline(ctx, !r->options.allow_network);
  /* gpgsm computes a certificate's validity (its chain to a trusted root) only when asked. */
  if (protocol == SM_PROTO_SMIME)
    mode |= GPGME_KEYLIST_MODE_VALIDATE;
  if (!sm_error_from_gpgme(error, gpgme_set_keylist_mode(ctx, mode), _("cannot list keys")))
    return NULL;
  return g_steal_pointer(&owned);
}

static void
candidate_free(Candidate *c)
{
  gpgme_key_unref(c->key);
  g_free(c);
}

static void
found_clear(Found *f)
{
  g_clear_pointer(&f->usable, g_ptr_array_unref);
  g_clear_pointer(&f->why, g_ptr_array_unref);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Found, found_clear)

static gboolean
found_has(const Found *f, const char *fpr)
{
  for (guint i = 0; i < f->usable->len; i++)
    {
      Candidate *c = g_ptr_array_index(f->usable, i);
      if (g_strcmp0(c->key->subkeys->fpr, fpr) == 0)
        return TRUE;
    }
  return FALSE;
}

static void
add_reason(GPtrArray *why, char *reason)
{
  for (guint i = 0; i < why->len; i++)
    if (g_strcmp0(g_ptr_array_index(why, i), reason) == 0)
      {
        g_free(reason);
        return;
      }
  g_ptr_array_add(why, reason);
}

static SmKeySource
source_of(SmKeyResolver *r, SmProtocol protocol, const char *fpr, const char *autocrypt_fpr)
{
  g_autofree char *up = g_ascii_strup(fpr, -1);
  if (g_hash_table_contains(r->bundle[protocol], up))
    return SM_KEY_SOURCE_BUNDLE;
  if (autocrypt_fpr != NULL && g_ascii_strcasecmp(fpr, autocrypt_fpr) == 0)
    return SM_KEY_SOURCE_AUTOCRYPT;
  return SM_KEY_SOURCE_KEYRING;
}

/* Lists the keys matching @pattern (the address, or a fingerprint with @any_uid) in @mode and sorts
 * them into usable ones and reasons. Keys already in @f are skipped, so a second pass (after an
 * import or a locate) adds only new ones, which get @new_source when it is not keyring. */
static gboolean
collect_pattern(SmKeyResolver *r, const char *pattern, const char *address, gboolean any_uid,
                SmProtocol protocol, gpgme_keylist_mode_t mode, SmKeySource new_source,
                const char *autocrypt_fpr, Found *f, GError **error)
{
  g_auto(gpgme_ctx_t) ctx = new_context(r, protocol, mode, error);
  if (ctx == NULL)
    return FALSE;
  if (!sm_error_from_gpgme(error, gpgme_op_keylist_start(ctx, pattern, 0), _("cannot list keys")))
    return FALSE;
  guint64 max = sm_limits_get(sm_limits_default(), SM_LIMIT_KEY_CANDIDATES);
  gint64 now = g_get_real_time() / G_USEC_PER_SEC;
  gpgme_key_t key = NULL;
  for (guint64 seen = 0; seen < max && gpgme_op_keylist_next(ctx, &key) == 0; seen++)
    {
      g_auto(gpgme_key_t) owned = key;
      char *why = NULL;
      if (key->subkeys == NULL || key->subkeys->fpr == NULL || found_has(f, key->subkeys->fpr))
        continue;
      if (!sm_keys_check(key, protocol, address, any_uid, now, &why))
        {
          if (why != NULL)
            add_reason(f->why, why);
          continue;
        }
      Candidate *c = g_new0(Candidate, 1);
      c->key = g_steal_pointer(&owned);
      c->validity = sm_keys_pick_uid(c->key, address, any_uid)->validity;
      c->source = source_of(r, protocol, c->key->subkeys->fpr, autocrypt_fpr);
      if (c->source == SM_KEY_SOURCE_KEYRING)
        c->source = new_source;
      c->any_uid = any_uid;
      g_ptr_array_add(f->usable, c);
    }
  gpgme_op_keylist_end(ctx);
  return TRUE;
}

static gboolean
collect(SmKeyResolver *r, const char *address, SmProtocol protocol, gpgme_keylist_mode_t mode,
        SmKeySource new_source, const char *autocrypt_fpr, Found *f, GError **error)
{
  return collect_pattern(r, address, address, FALSE, protocol, mode, new_source, autocrypt_fpr, f,
                         error);
}

/* Higher validity first, then the newest key. */
static int
compare_candidates(gconstpointer a, gconstpointer b)
{
  const Candidate *x = *(const Candidate *const *)a;
  const Candidate *y = *(const Candidate *const *)b;
  if (x->validity != y->validity)
    return x->validity > y->validity ? -1 : 1;
  glong tx = x->key->subkeys->timestamp, ty = y->key->subkeys->timestamp;
  return tx == ty ? 0 : (tx > ty ? -1 : 1);
}

static char *
choice_note(const Found *f, const char *address)
{
  if (f->usable->len < 2)
    return NULL;
  Candidate *best = g_ptr_array_index(f->usable, 0);
  Candidate *next = g_ptr_array_index(f->usable, 1);
  if (best->validity != next->validity)
    return g_strdup_printf(_("%u usable keys for %s; chose the one with %s validity"),
                           f->usable->len, address, sm_keys_validity_to_string(best->validity));
  g_autofree char *created = sm_keys_format_date(best->key->subkeys->timestamp);
  return g_strdup_printf(_("%u usable keys for %s with the same validity; chose the newest, "
                           "created %s"),
                         f->usable->len, address, created);
}

static SmKey *
make_key(const Candidate *c, SmProtocol protocol, const char *address, char *note)
{
  gpgme_user_id_t uid = sm_keys_pick_uid(c->key, address, c->any_uid);
  SmKey *key = g_new0(SmKey, 1);
  key->protocol = protocol;
  key->fingerprint = g_strdup(c->key->subkeys->fpr);
  key->address = g_strdup(address);
  if (protocol == SM_PROTO_SMIME)
    key->name = g_strdup(c->key->uids != NULL ? c->key->uids->uid : NULL); /* the subject DN */
  else if (uid != NULL && uid->name != NULL && *uid->name != '\0')
    key->name = g_strdup(uid->name);
  key->source = c->source;
  key->expires = c->key->subkeys->expires;
  key->created = c->key->subkeys->timestamp;
  key->validity = g_strdup(sm_keys_validity_to_string(c->validity));
  key->note = note;
  return key;
}

/* Autocrypt: the fingerprint of the peer's key (to label a keyring key that came from there), and
 * an import when nothing usable is in the keyring yet. */
static SmAutocryptPeer *
autocrypt_peer(SmKeyResolver *r, const char *address, char **fpr)
{
  *fpr = NULL;
  g_autoptr(GError) local = NULL;
  /* Opened on first use, and only when it exists: looking keys up must not create files. */
  if (r->autocrypt == NULL && r->state_db != NULL && g_file_test(r->state_db, G_FILE_TEST_EXISTS))
    r->autocrypt = sm_autocrypt_store_open(r->state_db, &local);
  if (r->autocrypt == NULL)
    {
      if (local != NULL)
        g_debug("Autocrypt state %s cannot be opened: %s", r->state_db, local->message);
      return NULL;
    }
  g_autoptr(SmAutocryptPeer) peer = sm_autocrypt_lookup(r->autocrypt, address, &local);
  if (peer == NULL || sm_autocrypt_peer_key(peer, NULL) == NULL)
    {
      if (local != NULL)
        g_debug("Autocrypt state for a recipient could not be read: %s", local->message);
      return NULL;
    }
  *fpr = sm_autocrypt_key_fingerprint(sm_autocrypt_peer_key(peer, NULL), r->gnupg_home, NULL);
  return g_steal_pointer(&peer);
}

/* Says when the key was seen, and that gossip is only a third party's word for it. */
static char *
add_autocrypt_note(char *note, const SmAutocryptPeer *peer)
{
  gboolean gossip = FALSE;
  sm_autocrypt_peer_key(peer, &gossip);
  g_autofree char *when
      = sm_keys_format_date(gossip ? peer->gossip_timestamp : peer->autocrypt_timestamp);
  g_autofree char *ac
      = gossip ? g_strdup_printf(_("learnt from Autocrypt gossip on %s (another sender's word "
                                   "for it)"),
                                 when)
               : g_strdup_printf(_("learnt from an Autocrypt header on %s"), when);
  g_autofree char *old = note;
  return old != NULL ? g_strdup_printf("%s; %s", old, ac) : g_strdup(ac);
}

static gboolean
try_autocrypt(SmKeyResolver *r, const char *address, SmAutocryptPeer *peer, Found *f,
              GError **error)
{
  g_autoptr(GError) local = NULL;
  g_autofree char *fpr = sm_autocrypt_import(peer, r->gnupg_home, &local);
  if (fpr == NULL)
    {
      add_reason(f->why, g_strdup_printf(_("the Autocrypt key seen for %s cannot be used: %s"),
                                         address, local->message));
      return TRUE;
    }
  /* By fingerprint: the header, not a user ID, binds an Autocrypt key to the address. */
  return collect_pattern(r, fpr, address, TRUE, SM_PROTO_OPENPGP, GPGME_KEYLIST_MODE_LOCAL,
                         SM_KEY_SOURCE_AUTOCRYPT, fpr, f, error);
}

static char *
nothing_usable(const Found *f, SmProtocol protocol, const char *address, SmKeyProblem *problem)
{
  if (f->why->len == 0)
    {
      *problem = SM_KEY_PROBLEM_NOT_FOUND;
      return protocol == SM_PROTO_SMIME
                 ? g_strdup_printf(_("no S/MIME certificate for %s"), address)
                 : g_strdup_printf(_("no OpenPGP key for %s"), address);
    }
  *problem = SM_KEY_PROBLEM_UNUSABLE;
  g_ptr_array_add(f->why, NULL);
  return g_strjoinv("; ", (char **)f->why->pdata);
}

char *
sm_key_address_normalize(const char *address)
{
  g_return_val_if_fail(address != NULL, NULL);
  const char *at = strrchr(address, '@');
  gsize len = strlen(address);
  if (at == NULL || at == address || at[1] == '\0'
      || len > sm_limits_get(sm_limits_default(), SM_LIMIT_ADDRESS_BYTES))
    return NULL;
  for (const char *p = address; *p != '\0'; p++)
    if ((guchar)*p <= ' ' || *p == '<' || *p == '>' || *p == 0x7f)
      return NULL;
  g_autofree char *domain = g_utf8_strdown(at + 1, -1);
  return g_strdup_printf("%.*s@%s", (int)(at - address), address, domain);
}

SmKey *
sm_key_resolver_lookup(SmKeyResolver *resolver, const char *address, SmProtocol protocol,
                       SmKeyProblem *problem, char **why, GError **error)
{
  g_return_val_if_fail(resolver != NULL && address != NULL, NULL);
  SmKeyProblem dummy;
  problem = problem != NULL ? problem : &dummy;
  *problem = SM_KEY_PROBLEM_NONE;
  if (why != NULL)
    *why = NULL;
  g_autofree char *normal = sm_key_address_normalize(address);
  if (normal == NULL)
    {
      g_set_error_literal(error, SM_ERROR, SM_ERROR_INVALID_INPUT, _("not an e-mail address"));
      return NULL;
    }
  address = normal;
  g_auto(Found) f = { g_ptr_array_new_with_free_func((GDestroyNotify)candidate_free),
                      g_ptr_array_new_with_free_func(g_free) };
  g_autofree char *ac_fpr = NULL;
  g_autoptr(SmAutocryptPeer) peer
      = protocol == SM_PROTO_OPENPGP ? autocrypt_peer(resolver, address, &ac_fpr) : NULL;
  if (!collect(resolver, address, protocol, GPGME_KEYLIST_MODE_LOCAL, SM_KEY_SOURCE_KEYRING, ac_fpr,
               &f, error))
    return NULL;
  if (f.usable->len == 0 && peer != NULL && !try_autocrypt(resolver, address, peer, &f, error))
    return NULL;
  if (f.usable->len == 0 && protocol == SM_PROTO_OPENPGP && resolver->options.allow_network
      && !collect(resolver, address, protocol, GPGME_KEYLIST_MODE_LOCATE, SM_KEY_SOURCE_WKD, NULL,
                  &f, error))
    return NULL;
  if (f.usable->len == 0)
    {
      char *reason = nothing_usable(&f, protocol, address, problem);
      if (why != NULL)
        *why = reason;
      else
        g_free(reason);
      return NULL;
    }
  g_ptr_array_sort(f.usable, compare_candidates);
  Candidate *best = g_ptr_array_index(f.usable, 0);
  char *note = choice_note(&f, address);
  if (best->source == SM_KEY_SOURCE_AUTOCRYPT && peer != NULL)
    note = add_autocrypt_note(note, peer);
  if (best->source == SM_KEY_SOURCE_WKD && note == NULL)
    note = g_strdup(_("found on the network by GnuPG's locate mechanism (auto-key-locate: WKD "
                      "or a key server), because [keys] network is on"));
  return make_key(best, protocol, address, note);
}

SmKey *
sm_key_resolver_find(SmKeyResolver *resolver, const char *address, SmProtocol protocol, char **why,
                     GError **error)
{
  return sm_key_resolver_lookup(resolver, address, protocol, NULL, why, error);
}
