/* sm-keys-private: what sm-keys.c and sm-keys-check.c share: judging one GPGME key for an
 * address. Not for other modules. */
#pragma once

#include <gpgme.h>
#include "sm-keys.h"

G_BEGIN_DECLS

/* TRUE when @addr (from a user ID or certificate) is @want: the local part exactly, the domain
 * case-insensitively (RFC 5321 2.4). */
gboolean sm_keys_address_matches(const char *addr, const char *want);

/* The user ID of @key whose address is @want, preferring one that is not revoked; NULL if none. */
gpgme_user_id_t sm_keys_matching_uid(gpgme_key_t key, const char *want);

/* sm_keys_matching_uid, or with @any_uid the first user ID when none has the address: an
 * Autocrypt key is bound to its address by the header, not by a user ID (Level 1, 2.1). */
gpgme_user_id_t sm_keys_pick_uid(gpgme_key_t key, const char *want, gboolean any_uid);

/* TRUE when @key can be used to encrypt to @want in @protocol. Otherwise FALSE with *@why set
 * to a reason for people, or left NULL when the key is not for @want at all. */
gboolean sm_keys_check(gpgme_key_t key, SmProtocol protocol, const char *want, gboolean any_uid,
                       gint64 now, char **why);

/* "2026-03-01" (UTC). */
char *sm_keys_format_date(gint64 t);
/* "ultimate", "full", "marginal", "unknown", "never". */
const char *sm_keys_validity_to_string(gpgme_validity_t validity);

G_END_DECLS
