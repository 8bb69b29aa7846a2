/* sm-autocrypt: Autocrypt Level 1 peer state (https://autocrypt.org/level1.html), kept in SQLite.
 * Used by the keys module (a key seen in incoming mail can be used to encrypt) and by the IMAP/SMTP
 * side (process the headers of each incoming message; emit the header on outgoing mail). */
#pragma once

#include <gmime/gmime.h>

G_BEGIN_DECLS

typedef enum
{
  SM_AUTOCRYPT_PREFER_NOPREFERENCE,
  SM_AUTOCRYPT_PREFER_MUTUAL,
} SmAutocryptPrefer;

/* One parsed Autocrypt or Autocrypt-Gossip header (Level 1, section 2.1). */
typedef struct
{
  char *addr;               /* lower-case */
  SmAutocryptPrefer prefer; /* always NOPREFERENCE for gossip */
  GBytes *keydata;          /* the binary OpenPGP transferable public key */
} SmAutocryptHeader;

/* The peers[addr] record of the spec (section 2.3); times are Unix seconds, 0 = never. */
typedef struct
{
  char *addr;
  gint64 last_seen;
  gint64 autocrypt_timestamp;
  GBytes *public_key; /* NULL when only gossip was seen */
  SmAutocryptPrefer prefer_encrypt;
  gint64 gossip_timestamp;
  GBytes *gossip_key; /* NULL when no gossip was seen */
} SmAutocryptPeer;

typedef struct _SmAutocryptStore SmAutocryptStore;

/* Parses the value of an Autocrypt header. Unknown attributes starting with '_' are ignored,
 * other unknown ones make the header invalid (SM_ERROR_INVALID_INPUT), as the spec requires. */
SmAutocryptHeader *sm_autocrypt_header_parse(const char *value, GError **error);
void sm_autocrypt_header_free(SmAutocryptHeader *header);
/* The header value for outgoing mail: "addr=...; [prefer-encrypt=mutual; ]keydata=..." with the
 * base64 folded for a header line. */
char *sm_autocrypt_header_format(const char *addr, SmAutocryptPrefer prefer, GBytes *keydata);

/* Opens (creating when needed) the peer table in the SQLite file @path. */
SmAutocryptStore *sm_autocrypt_store_open(const char *path, GError **error);
void sm_autocrypt_store_free(SmAutocryptStore *store);

/* The update rules of section 2.3 for a message from @from with effective date @date (clamped
 * to @now); @header may be NULL (a message without a usable Autocrypt header). An older message
 * than the recorded autocrypt_timestamp changes nothing. */
gboolean sm_autocrypt_update(SmAutocryptStore *store, const char *from, gint64 date,
                             const SmAutocryptHeader *header, gint64 now, GError **error);
/* The gossip rules of section 2.4: gossip_key and gossip_timestamp only, never the direct
 * public_key. */
gboolean sm_autocrypt_update_gossip(SmAutocryptStore *store, const SmAutocryptHeader *gossip,
                                    gint64 date, gint64 now, GError **error);

/* Processes an incoming message: From (exactly one mailbox), Date and the Autocrypt headers of
 * the top-level header block. Ignores multipart/report messages, as the spec says. */
gboolean sm_autocrypt_process_message(SmAutocryptStore *store, GMimeMessage *message,
                                      GError **error);
/* Processes the Autocrypt-Gossip headers found in @decrypted (the decrypted top part of an
 * encrypted @message); only gossip for a To or Cc recipient of @message is accepted. */
gboolean sm_autocrypt_process_gossip(SmAutocryptStore *store, GMimeMessage *message,
                                     GMimeObject *decrypted, GError **error);

/* The recorded state of @addr, or NULL without error when nothing is known. */
SmAutocryptPeer *sm_autocrypt_lookup(SmAutocryptStore *store, const char *addr, GError **error);
void sm_autocrypt_peer_free(SmAutocryptPeer *peer);
/* The key to use for @peer: the direct public_key, else the gossip key (*@from_gossip TRUE). */
GBytes *sm_autocrypt_peer_key(const SmAutocryptPeer *peer, gboolean *from_gossip);

/* Imports the key of @peer into the GnuPG home @gnupg_home (NULL = default) so that GPGME can
 * encrypt to it, and returns its fingerprint. */
char *sm_autocrypt_import(const SmAutocryptPeer *peer, const char *gnupg_home, GError **error);
/* The fingerprint of the primary key in @keydata, without importing it. */
char *sm_autocrypt_key_fingerprint(GBytes *keydata, const char *gnupg_home, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(SmAutocryptHeader, sm_autocrypt_header_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SmAutocryptPeer, sm_autocrypt_peer_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SmAutocryptStore, sm_autocrypt_store_free)

G_END_DECLS
