/* sm-keys-check: is this OpenPGP key or S/MIME certificate usable to encrypt to this address?
 *
 * OpenPGP (RFC 4880 / RFC 9580 as GnuPG sees it): the key is not revoked, expired, disabled or
 * invalid; a user ID with exactly the address is not revoked and not marked never-valid; and an
 * encryption-capable subkey is itself valid. S/MIME (RFC 5280 / RFC 8550 as gpgsm sees it): the
 * certificate is not revoked or expired, can encrypt, carries the address in subjectAltName or the
 * e-mail attribute (gpgsm lists both as "<addr>" user IDs) and chains to a trusted root (GPGME's
 * validity after gpgsm's validation; a missing issuer is reported as such). */
#include "sm-keys-private.h"

#include <glib/gi18n.h>
#include <string.h>

gboolean
sm_keys_address_matches(const char *addr, const char *want)
{
  if (addr == NULL || want == NULL)
    return FALSE;
  const char *a_at = strrchr(addr, '@');
  const char *w_at = strrchr(want, '@');
  if (a_at == NULL || w_at == NULL || a_at - addr != w_at - want)
    return FALSE;
  return strncmp(addr, want, (gsize)(a_at - addr)) == 0 && g_ascii_strcasecmp(a_at, w_at) == 0;
}

/* The address as written in the user ID: gpgme's uid->address is lower-cased, which would make
 * the local part match case-insensitively; for S/MIME uid->email keeps gpgsm's "<addr>" form.
 * A subject DN has no address and never matches. */
static gboolean
uid_matches(gpgme_user_id_t uid, const char *want)
{
  const char *a = uid->email != NULL && *uid->email != '\0' ? uid->email : uid->address;
  if (a == NULL)
    return FALSE;
  gsize len = strlen(a);
  if (len >= 2 && a[0] == '<' && a[len - 1] == '>')
    {
      a++;
      len -= 2;
    }
  g_autofree char *addr = g_strndup(a, len);
  return sm_keys_address_matches(addr, want);
}

gpgme_user_id_t
sm_keys_matching_uid(gpgme_key_t key, const char *want)
{
  gpgme_user_id_t revoked = NULL;
  for (gpgme_user_id_t uid = key->uids; uid != NULL; uid = uid->next)
    {
      if (!uid_matches(uid, want))
        continue;
      if (!uid->revoked && !uid->invalid)
        return uid;
      revoked = uid;
    }
  return revoked;
}

gpgme_user_id_t
sm_keys_pick_uid(gpgme_key_t key, const char *want, gboolean any_uid)
{
  gpgme_user_id_t uid = sm_keys_matching_uid(key, want);
  return uid == NULL && any_uid ? key->uids : uid;
}

char *
sm_keys_format_date(gint64 t)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(t);
  return dt != NULL ? g_date_time_format(dt, "%Y-%m-%d") : g_strdup("?");
}

const char *
sm_keys_validity_to_string(gpgme_validity_t validity)
{
  switch (validity)
    {
      case GPGME_VALIDITY_ULTIMATE:
        return "ultimate";
      case GPGME_VALIDITY_FULL:
        return "full";
      case GPGME_VALIDITY_MARGINAL:
        return "marginal";
      case GPGME_VALIDITY_NEVER:
        return "never";
      case GPGME_VALIDITY_UNKNOWN:
      case GPGME_VALIDITY_UNDEFINED:
      default:
        return "unknown";
    }
}

static gboolean
subkey_usable(gpgme_subkey_t sub, gint64 now)
{
  return sub->can_encrypt && !sub->revoked && !sub->disabled && !sub->invalid && !sub->expired
         && (sub->expires == 0 || sub->expires > now);
}

/* The reason an OpenPGP key has no usable encryption subkey. */
static char *
openpgp_subkey_problem(gpgme_key_t key, const char *want, gint64 now)
{
  for (gpgme_subkey_t sub = key->subkeys; sub != NULL; sub = sub->next)
    {
      if (!sub->can_encrypt)
        continue;
      if (sub->revoked)
        return g_strdup_printf(_("the encryption subkey of the key for %s is revoked"), want);
      if (sub->expired || (sub->expires != 0 && sub->expires <= now))
        {
          g_autofree char *when = sm_keys_format_date(sub->expires);
          return g_strdup_printf(_("the encryption subkey of the key for %s expired on %s"), want,
                                 when);
        }
    }
  return g_strdup_printf(_("key for %s has no encryption subkey"), want);
}

static gboolean
check_openpgp(gpgme_key_t key, gpgme_user_id_t uid, const char *want, gint64 now, char **why)
{
  gpgme_subkey_t primary = key->subkeys;
  if (key->revoked || (primary != NULL && primary->revoked))
    {
      *why = g_strdup_printf(_("key for %s is revoked"), want);
    }
  else if (key->expired || (primary != NULL && primary->expires != 0 && primary->expires <= now))
    {
      g_autofree char *when = sm_keys_format_date(primary != NULL ? primary->expires : 0);
      *why = g_strdup_printf(_("key for %s expired on %s"), want, when);
    }
  else if (key->disabled)
    {
      *why = g_strdup_printf(_("key for %s is disabled in your keyring"), want);
    }
  else if (key->invalid)
    {
      *why = g_strdup_printf(_("key for %s is invalid"), want);
    }
  else if (uid->revoked || uid->invalid)
    {
      *why = g_strdup_printf(_("the user ID %s of the key is revoked"), want);
    }
  else if (uid->validity == GPGME_VALIDITY_NEVER)
    {
      *why = g_strdup_printf(_("key for %s is marked as never valid in your keyring"), want);
    }
  else
    {
      for (gpgme_subkey_t sub = key->subkeys; sub != NULL; sub = sub->next)
        if (subkey_usable(sub, now))
          return TRUE;
      *why = openpgp_subkey_problem(key, want, now);
    }
  return FALSE;
}

static gboolean
check_smime(gpgme_key_t key, gpgme_user_id_t uid, const char *want, gint64 now, char **why)
{
  gpgme_subkey_t sub = key->subkeys;
  gboolean self_signed = key->chain_id != NULL && sub != NULL && sub->fpr != NULL
                         && g_ascii_strcasecmp(key->chain_id, sub->fpr) == 0;
  if (key->revoked || (sub != NULL && sub->revoked))
    {
      *why = g_strdup_printf(_("certificate for %s is revoked"), want);
    }
  else if (key->expired || (sub != NULL && sub->expires != 0 && sub->expires <= now))
    {
      g_autofree char *when = sm_keys_format_date(sub != NULL ? sub->expires : 0);
      *why = g_strdup_printf(_("certificate for %s expired on %s"), want, when);
    }
  else if (sub != NULL && sub->timestamp > now)
    {
      g_autofree char *when = sm_keys_format_date(sub->timestamp);
      *why = g_strdup_printf(_("certificate for %s is not valid before %s"), want, when);
    }
  else if (!key->can_encrypt || sub == NULL || !sub->can_encrypt)
    {
      *why = g_strdup_printf(_("certificate for %s cannot be used for encryption"), want);
    }
  else if (key->chain_id == NULL && !self_signed)
    {
      *why = g_strdup_printf(_("certificate for %s cannot be checked: the certificate of its "
                               "issuer (%s) is missing"),
                             want, key->issuer_name != NULL ? key->issuer_name : "?");
    }
  else if (key->invalid || uid->validity < GPGME_VALIDITY_FULL)
    {
      *why = g_strdup_printf(_("certificate for %s does not chain to a trusted root"), want);
    }
  else
    {
      return TRUE;
    }
  return FALSE;
}

gboolean
sm_keys_check(gpgme_key_t key, SmProtocol protocol, const char *want, gboolean any_uid, gint64 now,
              char **why)
{
  *why = NULL;
  gpgme_user_id_t uid = sm_keys_pick_uid(key, want, any_uid);
  if (uid == NULL)
    return FALSE; /* GnuPG's substring search found a key for another address */
  if (protocol == SM_PROTO_OPENPGP)
    return check_openpgp(key, uid, want, now, why);
  return check_smime(key, uid, want, now, why);
}
