/* sm-autocrypt: Autocrypt Level 1 (https://autocrypt.org/level1.html) peer state in SQLite.
 *
 * Implements the header syntax of section 2.1, the update rules of section 2.3 (an older message
 * changes nothing; last_seen, autocrypt_timestamp, public_key, prefer_encrypt) and the gossip rules
 * of section 2.4 (gossip_timestamp and gossip_key only: gossip never overrides a direct header).
 *
 * Where an Autocrypt key goes to be used: it is imported into the user's own GnuPG home, not into
 * a dedicated one. The seal module encrypts through GPGME in that home with the fingerprints of
 * the plan, so a key elsewhere could not be used without every sealing context switching homes
 * per recipient; and GnuPG itself (gpg --auto-key-import) imports Autocrypt keys into the main
 * keyring. The keys module imports only when the key is actually chosen (no usable keyring key),
 * and the import sets no owner trust, so the key keeps GnuPG's "unknown" validity.
 *
 * The attribute syntax is GMime's (GMimeAutocryptHeader); this file adds the limits, the check
 * that keydata is an OpenPGP key, the choice of the header that counts (addresses compared
 * lower-cased, which GMime's own selection does not do), the state and the rules.
 *
 * Limits: autocrypt-keydata-bytes (decoded keydata, and so the header length),
 * autocrypt-gossip-recipients (gossip fields used per message), address-bytes. */
#include "sm-autocrypt.h"
#include "sm-autocleanups.h"
#include "sm-error.h"
#include "sm-keys.h"
#include "sm-limits.h"
#include "sm-message.h"

#include <glib/gi18n.h>
#include <sqlite3.h>
#include <errno.h>
#include <string.h>

struct _SmAutocryptStore
{
  sqlite3 *db;
};

/* A database being written by the daemon while the CLI reads waits this long, not forever. */
#define SM_AUTOCRYPT_BUSY_TIMEOUT_MS 5000

static const char schema_sql[] = "CREATE TABLE IF NOT EXISTS autocrypt_peers ("
                                 " addr TEXT PRIMARY KEY,"
                                 " last_seen INTEGER NOT NULL DEFAULT 0,"
                                 " autocrypt_timestamp INTEGER NOT NULL DEFAULT 0,"
                                 " public_key BLOB,"
                                 " prefer_encrypt INTEGER NOT NULL DEFAULT 0,"
                                 " gossip_timestamp INTEGER NOT NULL DEFAULT 0,"
                                 " gossip_key BLOB)";

/* --- header syntax (section 2.1) ------------------------------------------------------------ */

void
sm_autocrypt_header_free(SmAutocryptHeader *header)
{
  if (header == NULL)
    return;
  g_free(header->addr);
  g_clear_pointer(&header->keydata, g_bytes_unref);
  g_free(header);
}

static gboolean
invalid(GError **error, const char *what)
{
  g_set_error(error, SM_ERROR, SM_ERROR_INVALID_INPUT, _("invalid Autocrypt header: %s"), what);
  return FALSE;
}

/* An OpenPGP public key packet (tag 6) must come first, old or new packet format (RFC 4880 4.2). */
static gboolean
looks_like_openpgp_key(GBytes *keydata)
{
  gsize len = 0;
  const guint8 *p = g_bytes_get_data(keydata, &len);
  if (len < 2)
    return FALSE;
  if ((p[0] & 0xC0) == 0xC0)
    return (p[0] & 0x3F) == 6;
  return (p[0] & 0x80) && ((p[0] >> 2) & 0x0F) == 6;
}

/* Takes what GMime parsed and checks what it does not: an address, the keydata's size and
 * that it is an OpenPGP key at all. */
static SmAutocryptHeader *
header_from_gmime(GMimeAutocryptHeader *gh, GError **error)
{
  gsize max = sm_limits_get(sm_limits_default(), SM_LIMIT_AUTOCRYPT_KEYDATA_BYTES);
  const char *addr = gh->address != NULL ? internet_address_mailbox_get_addr(gh->address) : NULL;
  if (!g_mime_autocrypt_header_is_complete(gh) || addr == NULL || strchr(addr, '@') == NULL
      || strlen(addr) > sm_limits_get(sm_limits_default(), SM_LIMIT_ADDRESS_BYTES))
    {
      invalid(error, _("addr or keydata missing"));
      return NULL;
    }
  if (g_bytes_get_size(gh->keydata) > max)
    {
      invalid(error, _("keydata larger than the limit autocrypt-keydata-bytes"));
      return NULL;
    }
  if (!looks_like_openpgp_key(gh->keydata))
    {
      invalid(error, _("keydata is not an OpenPGP public key"));
      return NULL;
    }
  SmAutocryptHeader *h = g_new0(SmAutocryptHeader, 1);
  h->addr = g_ascii_strdown(addr, -1);
  h->prefer = gh->prefer_encrypt == GMIME_AUTOCRYPT_PREFER_ENCRYPT_MUTUAL
                  ? SM_AUTOCRYPT_PREFER_MUTUAL
                  : SM_AUTOCRYPT_PREFER_NOPREFERENCE;
  h->keydata = g_bytes_ref(gh->keydata);
  return h;
}

SmAutocryptHeader *
sm_autocrypt_header_parse(const char *value, GError **error)
{
  g_return_val_if_fail(value != NULL, NULL);
  /* base64 grows 4/3, folding a little more: twice the keydata limit bounds any valid header. */
  gsize max = sm_limits_get(sm_limits_default(), SM_LIMIT_AUTOCRYPT_KEYDATA_BYTES) * 2;
  if (strlen(value) > max)
    {
      invalid(error, _("header too long"));
      return NULL;
    }
  /* GMime implements the attribute syntax of section 2.1, including that an unknown attribute
   * not starting with '_' makes the whole header invalid. */
  g_autoptr(GMimeAutocryptHeader) gh = g_mime_autocrypt_header_new_from_string(value);
  if (gh == NULL)
    {
      invalid(error, _("bad syntax, a missing attribute or an unknown critical attribute"));
      return NULL;
    }
  return header_from_gmime(gh, error);
}

char *
sm_autocrypt_header_format(const char *addr, SmAutocryptPrefer prefer, GBytes *keydata)
{
  gsize len = 0;
  const guint8 *data = g_bytes_get_data(keydata, &len);
  g_autofree char *b64 = g_base64_encode(data, len);
  GString *out = g_string_new(NULL);
  g_string_append_printf(out, "addr=%s; ", addr);
  if (prefer == SM_AUTOCRYPT_PREFER_MUTUAL)
    g_string_append(out, "prefer-encrypt=mutual; ");
  g_string_append(out, "keydata=");
  /* Folded in 76-character pieces so that the header never exceeds RFC 5322's line limit. */
  for (gsize i = 0, n = strlen(b64); i < n; i += 76)
    {
      g_string_append(out, "\n ");
      g_string_append_len(out, b64 + i, MIN(76, n - i));
    }
  return g_string_free(out, FALSE);
}

/* --- the store ------------------------------------------------------------------------------ */

static gboolean
db_error(sqlite3 *db, GError **error, const char *context)
{
  g_set_error(error, SM_ERROR, SM_ERROR_IO, "%s: %s", context, sqlite3_errmsg(db));
  return FALSE;
}

SmAutocryptStore *
sm_autocrypt_store_open(const char *path, GError **error)
{
  g_return_val_if_fail(path != NULL, NULL);
  g_autoptr(SmAutocryptStore) store = g_new0(SmAutocryptStore, 1);
  g_autofree char *dir = g_path_get_dirname(path);
  if (g_mkdir_with_parents(dir, 0700) != 0)
    {
      g_set_error(error, SM_ERROR, SM_ERROR_IO, _("cannot create %s: %s"), dir, g_strerror(errno));
      return NULL;
    }
  if (sqlite3_open_v2(path, &store->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL)
      != SQLITE_OK)
    {
      db_error(store->db, error, path);
      return NULL;
    }
  sqlite3_busy_timeout(store->db, SM_AUTOCRYPT_BUSY_TIMEOUT_MS);
  if (sqlite3_exec(store->db, schema_sql, NULL, NULL, NULL) != SQLITE_OK)
    {
      db_error(store->db, error, _("cannot create the Autocrypt peer table"));
      return NULL;
    }
  return g_steal_pointer(&store);
}

void
sm_autocrypt_store_free(SmAutocryptStore *store)
{
  if (store == NULL)
    return;
  sqlite3_close(store->db);
  g_free(store);
}

void
sm_autocrypt_peer_free(SmAutocryptPeer *peer)
{
  if (peer == NULL)
    return;
  g_free(peer->addr);
  g_clear_pointer(&peer->public_key, g_bytes_unref);
  g_clear_pointer(&peer->gossip_key, g_bytes_unref);
  g_free(peer);
}

static GBytes *
column_bytes(sqlite3_stmt *st, int col)
{
  if (sqlite3_column_type(st, col) == SQLITE_NULL)
    return NULL;
  const void *blob = sqlite3_column_blob(st, col);
  return g_bytes_new(blob, (gsize)sqlite3_column_bytes(st, col));
}

SmAutocryptPeer *
sm_autocrypt_lookup(SmAutocryptStore *store, const char *addr, GError **error)
{
  g_return_val_if_fail(store != NULL && addr != NULL, NULL);
  static const char sql[] = "SELECT last_seen, autocrypt_timestamp, public_key, prefer_encrypt,"
                            " gossip_timestamp, gossip_key FROM autocrypt_peers WHERE addr = ?";
  sqlite3_stmt *st = NULL;
  g_autofree char *key = g_ascii_strdown(addr, -1);
  if (sqlite3_prepare_v2(store->db, sql, -1, &st, NULL) != SQLITE_OK)
    {
      db_error(store->db, error, _("cannot read Autocrypt state"));
      return NULL;
    }
  sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
  SmAutocryptPeer *peer = NULL;
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW)
    {
      peer = g_new0(SmAutocryptPeer, 1);
      peer->addr = g_steal_pointer(&key);
      peer->last_seen = sqlite3_column_int64(st, 0);
      peer->autocrypt_timestamp = sqlite3_column_int64(st, 1);
      peer->public_key = column_bytes(st, 2);
      peer->prefer_encrypt = sqlite3_column_int(st, 3) ? SM_AUTOCRYPT_PREFER_MUTUAL
                                                       : SM_AUTOCRYPT_PREFER_NOPREFERENCE;
      peer->gossip_timestamp = sqlite3_column_int64(st, 4);
      peer->gossip_key = column_bytes(st, 5);
    }
  else if (rc != SQLITE_DONE)
    {
      db_error(store->db, error, _("cannot read Autocrypt state"));
    }
  sqlite3_finalize(st);
  return peer;
}

GBytes *
sm_autocrypt_peer_key(const SmAutocryptPeer *peer, gboolean *from_gossip)
{
  g_return_val_if_fail(peer != NULL, NULL);
  if (from_gossip != NULL)
    *from_gossip = peer->public_key == NULL;
  return peer->public_key != NULL ? peer->public_key : peer->gossip_key;
}

/* Runs @sql with the given binds: text at 1 (addr), then int64s and one optional blob. */
static gboolean
exec_update(SmAutocryptStore *store, const char *sql, const char *addr, const gint64 *ints,
            guint n_ints, GBytes *blob, GError **error)
{
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(store->db, sql, -1, &st, NULL) != SQLITE_OK)
    return db_error(store->db, error, _("cannot update Autocrypt state"));
  sqlite3_bind_text(st, 1, addr, -1, SQLITE_STATIC);
  for (guint i = 0; i < n_ints; i++)
    sqlite3_bind_int64(st, (int)i + 2, ints[i]);
  if (blob != NULL)
    {
      gsize len = 0;
      const void *data = g_bytes_get_data(blob, &len);
      sqlite3_bind_blob(st, (int)n_ints + 2, data, (int)len, SQLITE_STATIC);
    }
  int rc = sqlite3_step(st);
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE)
    return db_error(store->db, error, _("cannot update Autocrypt state"));
  return TRUE;
}

static gboolean
ensure_peer(SmAutocryptStore *store, const char *addr, GError **error)
{
  return exec_update(store, "INSERT OR IGNORE INTO autocrypt_peers (addr) VALUES (?)", addr, NULL,
                     0, NULL, error);
}

gboolean
sm_autocrypt_update(SmAutocryptStore *store, const char *from, gint64 date,
                    const SmAutocryptHeader *header, gint64 now, GError **error)
{
  g_return_val_if_fail(store != NULL && from != NULL, FALSE);
  g_autofree char *addr = g_ascii_strdown(from, -1);
  g_autoptr(SmAutocryptPeer) peer = NULL;
  g_autoptr(GError) local = NULL;

  if (header != NULL && g_strcmp0(header->addr, addr) != 0)
    header = NULL; /* a header for another address is not usable (section 2.3) */
  date = MIN(date, now);
  peer = sm_autocrypt_lookup(store, addr, &local);
  if (local != NULL)
    {
      g_propagate_error(error, g_steal_pointer(&local));
      return FALSE;
    }
  if (peer != NULL && date < peer->autocrypt_timestamp)
    return TRUE; /* older than what we know: no change */
  if (!ensure_peer(store, addr, error))
    return FALSE;
  gint64 seen[] = { date };
  if (!exec_update(store,
                   "UPDATE autocrypt_peers SET last_seen = MAX(last_seen, ?2) WHERE addr = ?1",
                   addr, seen, 1, NULL, error))
    return FALSE;
  if (header == NULL)
    return TRUE;
  gint64 vals[] = { date, header->prefer == SM_AUTOCRYPT_PREFER_MUTUAL };
  return exec_update(store,
                     "UPDATE autocrypt_peers SET autocrypt_timestamp = ?2, prefer_encrypt = ?3,"
                     " public_key = ?4 WHERE addr = ?1",
                     addr, vals, 2, header->keydata, error);
}

gboolean
sm_autocrypt_update_gossip(SmAutocryptStore *store, const SmAutocryptHeader *gossip, gint64 date,
                           gint64 now, GError **error)
{
  g_return_val_if_fail(store != NULL && gossip != NULL, FALSE);
  g_autoptr(GError) local = NULL;
  date = MIN(date, now);
  g_autoptr(SmAutocryptPeer) peer = sm_autocrypt_lookup(store, gossip->addr, &local);
  if (local != NULL)
    {
      g_propagate_error(error, g_steal_pointer(&local));
      return FALSE;
    }
  if (peer != NULL && date <= peer->gossip_timestamp)
    return TRUE;
  if (!ensure_peer(store, gossip->addr, error))
    return FALSE;
  gint64 vals[] = { date };
  return exec_update(store,
                     "UPDATE autocrypt_peers SET gossip_timestamp = ?2, gossip_key = ?3"
                     " WHERE addr = ?1",
                     gossip->addr, vals, 1, gossip->keydata, error);
}

/* --- messages ------------------------------------------------------------------------------- */

static gboolean
is_report(GMimeMessage *message)
{
  GMimeObject *body = g_mime_message_get_mime_part(message);
  return body != NULL
         && g_mime_content_type_is_type(g_mime_object_get_content_type(body), "multipart",
                                        "report");
}

/* The effective date of section 2.3: the Date header, or now when it is missing; the future
 * is clamped to now by the update functions. */
static gint64
message_date(GMimeMessage *message, gint64 now)
{
  GDateTime *date = g_mime_message_get_date(message);
  return date != NULL ? g_date_time_to_unix(date) : now;
}

/* The one From mailbox (lower-case), or NULL when there is not exactly one. */
static char *
single_from(GMimeMessage *message)
{
  InternetAddressList *from = g_mime_message_get_from(message);
  if (from == NULL || internet_address_list_length(from) != 1)
    return NULL;
  InternetAddress *ia = internet_address_list_get_address(from, 0);
  if (!INTERNET_ADDRESS_IS_MAILBOX(ia))
    return NULL;
  const char *addr = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia));
  return addr != NULL && strchr(addr, '@') != NULL ? g_ascii_strdown(addr, -1) : NULL;
}

/* The valid @field headers of @headers whose addr passes @accept, in order. Addresses are compared
 * lower-cased, as the spec canonicalises them (GMime's own selection compares them as written,
 * so it is not used). Bounded by the header count limit GMime's input was parsed with. */
static GPtrArray *
valid_headers(GMimeHeaderList *headers, const char *field,
              gboolean (*accept)(const char *addr, gpointer data), gpointer data)
{
  GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)sm_autocrypt_header_free);
  int n = g_mime_header_list_get_count(headers);
  for (int i = 0; i < n; i++)
    {
      GMimeHeader *h = g_mime_header_list_get_header_at(headers, i);
      if (g_ascii_strcasecmp(g_mime_header_get_name(h), field) != 0)
        continue;
      SmAutocryptHeader *parsed = sm_autocrypt_header_parse(g_mime_header_get_raw_value(h), NULL);
      if (parsed != NULL && accept(parsed->addr, data))
        g_ptr_array_add(out, parsed);
      else
        sm_autocrypt_header_free(parsed);
    }
  return out;
}

static gboolean
is_sender(const char *addr, gpointer from)
{
  return g_strcmp0(addr, from) == 0;
}

gboolean
sm_autocrypt_process_message(SmAutocryptStore *store, GMimeMessage *message, GError **error)
{
  g_return_val_if_fail(store != NULL && GMIME_IS_MESSAGE(message), FALSE);
  g_autofree char *from = single_from(message);
  if (from == NULL || is_report(message))
    return TRUE; /* section 2.3: such messages are ignored */
  GMimeHeaderList *headers = g_mime_object_get_header_list(GMIME_OBJECT(message));
  g_autoptr(GPtrArray) found = valid_headers(headers, "Autocrypt", is_sender, from);
  /* More than one valid header for the sender counts as none. */
  const SmAutocryptHeader *header = found->len == 1 ? g_ptr_array_index(found, 0) : NULL;
  gint64 now = g_get_real_time() / G_USEC_PER_SEC;
  return sm_autocrypt_update(store, from, message_date(message, now), header, now, error);
}

static gboolean
is_recipient(const char *addr, gpointer message)
{
  GMimeAddressType types[] = { GMIME_ADDRESS_TYPE_TO, GMIME_ADDRESS_TYPE_CC };
  for (gsize t = 0; t < G_N_ELEMENTS(types); t++)
    {
      InternetAddressList *list = g_mime_message_get_addresses(message, types[t]);
      int n = list != NULL ? internet_address_list_length(list) : 0;
      for (int i = 0; i < n; i++)
        {
          InternetAddress *ia = internet_address_list_get_address(list, i);
          const char *a = INTERNET_ADDRESS_IS_MAILBOX(ia)
                              ? internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia))
                              : NULL;
          if (a != NULL && g_ascii_strcasecmp(a, addr) == 0)
            return TRUE;
        }
    }
  return FALSE;
}

gboolean
sm_autocrypt_process_gossip(SmAutocryptStore *store, GMimeMessage *message, GMimeObject *decrypted,
                            GError **error)
{
  g_return_val_if_fail(store != NULL && GMIME_IS_MESSAGE(message), FALSE);
  g_return_val_if_fail(GMIME_IS_OBJECT(decrypted), FALSE);
  if (is_report(message))
    return TRUE;
  gint64 now = g_get_real_time() / G_USEC_PER_SEC;
  gint64 date = message_date(message, now);
  GMimeHeaderList *headers = g_mime_object_get_header_list(decrypted);
  /* Section 2.4: only gossip about a To or Cc recipient of this message counts. */
  g_autoptr(GPtrArray) gossip = valid_headers(headers, "Autocrypt-Gossip", is_recipient, message);
  guint max = sm_limits_get(sm_limits_default(), SM_LIMIT_AUTOCRYPT_GOSSIP_RECIPIENTS);
  for (guint i = 0; i < gossip->len && i < max; i++)
    {
      SmAutocryptHeader *g = g_ptr_array_index(gossip, i);
      g->prefer = SM_AUTOCRYPT_PREFER_NOPREFERENCE; /* gossip carries no preference */
      if (!sm_autocrypt_update_gossip(store, g, date, now, error))
        return FALSE;
    }
  return TRUE;
}

/* --- using a key ---------------------------------------------------------------------------- */

static gpgme_ctx_t
openpgp_context(const char *gnupg_home, GError **error)
{
  gpgme_ctx_t ctx = NULL;
  if (!sm_error_from_gpgme(error, gpgme_new(&ctx), _("cannot start GnuPG")))
    return NULL;
  gpgme_set_protocol(ctx, GPGME_PROTOCOL_OpenPGP);
  gpgme_set_offline(ctx, 1);
  if (gnupg_home != NULL)
    gpgme_ctx_set_engine_info(ctx, GPGME_PROTOCOL_OpenPGP, NULL, gnupg_home);
  return ctx;
}

char *
sm_autocrypt_key_fingerprint(GBytes *keydata, const char *gnupg_home, GError **error)
{
  g_return_val_if_fail(keydata != NULL, NULL);
  sm_message_init();
  g_auto(gpgme_ctx_t) ctx = openpgp_context(gnupg_home, error);
  g_auto(gpgme_data_t) data = NULL;
  gpgme_key_t key = NULL;
  gsize len = 0;
  const char *raw = g_bytes_get_data(keydata, &len);
  if (ctx == NULL
      || !sm_error_from_gpgme(error, gpgme_data_new_from_mem(&data, raw, len, 0),
                              _("cannot read Autocrypt key"))
      || !sm_error_from_gpgme(error, gpgme_op_keylist_from_data_start(ctx, data, 0),
                              _("cannot read Autocrypt key")))
    return NULL;
  gpgme_error_t err = gpgme_op_keylist_next(ctx, &key);
  gpgme_op_keylist_end(ctx);
  /* gpg lists even a truncated packet as an "invalid" key with a fingerprint. */
  if (err != 0 || key == NULL || key->fpr == NULL || key->invalid || key->uids == NULL)
    {
      g_set_error_literal(error, SM_ERROR, SM_ERROR_INVALID_INPUT,
                          _("the Autocrypt key data holds no OpenPGP key"));
      if (key != NULL)
        gpgme_key_unref(key);
      return NULL;
    }
  char *fpr = g_strdup(key->fpr);
  gpgme_key_unref(key);
  return fpr;
}

char *
sm_autocrypt_import(const SmAutocryptPeer *peer, const char *gnupg_home, GError **error)
{
  g_return_val_if_fail(peer != NULL, NULL);
  GBytes *keydata = sm_autocrypt_peer_key(peer, NULL);
  if (keydata == NULL)
    {
      g_set_error(error, SM_ERROR, SM_ERROR_NOT_FOUND, _("no Autocrypt key for %s"), peer->addr);
      return NULL;
    }
  sm_message_init();
  g_auto(gpgme_ctx_t) ctx = openpgp_context(gnupg_home, error);
  g_auto(gpgme_data_t) data = NULL;
  gsize len = 0;
  const char *raw = g_bytes_get_data(keydata, &len);
  if (ctx == NULL
      || !sm_error_from_gpgme(error, gpgme_data_new_from_mem(&data, raw, len, 0),
                              _("cannot read Autocrypt key"))
      || !sm_error_from_gpgme(error, gpgme_op_import(ctx, data), _("cannot import Autocrypt key")))
    return NULL;
  gpgme_import_result_t res = gpgme_op_import_result(ctx);
  for (gpgme_import_status_t st = res != NULL ? res->imports : NULL; st != NULL; st = st->next)
    if (st->result == 0 && st->fpr != NULL)
      return g_strdup(st->fpr);
  g_set_error(error, SM_ERROR, SM_ERROR_CRYPTO, _("GnuPG did not import the Autocrypt key of %s"),
              peer->addr);
  return NULL;
}
