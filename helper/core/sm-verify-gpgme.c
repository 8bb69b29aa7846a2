/* sm-verify-gpgme: the GPGME side of sm-verify: verify detached and opaque signatures,
 * decrypt, and turn GPGME's signature results and keys into SmVerifySignature.
 *
 * Both protocols go through GPGME: OpenPGP (gpg, RFC 4880) and CMS (gpgsm, RFC 5652). Contexts
 * are offline (no key servers, no CRL/OCSP fetches: inspecting a message must not phone home or
 * hang) and use the user's keyrings and trust settings (GNUPGHOME).
 *
 * Limits: plaintext written by GPGME is capped at SM_LIMIT_MESSAGE_BYTES (a compressed OpenPGP
 * message can expand without bound); signatures are capped at SM_LIMIT_SIGNATURES. */
#include "sm-verify-private.h"
#include "sm-autocleanups.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <string.h>

/* ---- bounded output data ---- */

typedef struct
{
  GByteArray *buf;
  guint64 max;
  gboolean overflow;
} BoundedSink;

static gpgme_ssize_t
sink_write(void *handle, const void *data, size_t size)
{
  BoundedSink *sink = handle;
  if ((guint64)sink->buf->len + size > sink->max)
    {
      sink->overflow = TRUE;
      errno = EFBIG;
      return -1;
    }
  g_byte_array_append(sink->buf, data, (guint)size);
  return (gpgme_ssize_t)size;
}

static gpgme_off_t
sink_seek(void *handle, gpgme_off_t offset, int whence)
{
  BoundedSink *sink = handle;
  /* GPGME only rewinds an output it has not written yet. */
  if (offset == 0 && (whence == SEEK_END || sink->buf->len == 0))
    return sink->buf->len;
  errno = EINVAL;
  return -1;
}

static struct gpgme_data_cbs sink_cbs = { NULL, sink_write, sink_seek, NULL };

static gpgme_data_t
sink_new(BoundedSink *sink, const SmLimits *limits)
{
  gpgme_data_t data = NULL;
  sink->buf = g_byte_array_new();
  sink->max = sm_limits_get(limits, SM_LIMIT_MESSAGE_BYTES);
  sink->overflow = FALSE;
  if (gpgme_data_new_from_cbs(&data, &sink_cbs, sink) != 0)
    return NULL;
  return data;
}

static gpgme_data_t
data_from_bytes(GBytes *bytes)
{
  gsize len = 0;
  const char *p = g_bytes_get_data(bytes, &len);
  gpgme_data_t data = NULL;
  /* copy = 0: @bytes outlives the operation. */
  if (gpgme_data_new_from_mem(&data, p != NULL ? p : "", len, 0) != 0)
    return NULL;
  return data;
}

/* ---- contexts ---- */

static gpgme_ctx_t
get_ctx(SmVerifyState *st, SmVerifyProtocol protocol, char **reason)
{
  guint idx = protocol == SM_VERIFY_PROTOCOL_SMIME ? 1 : 0;
  if (st->ctx[idx] != NULL)
    return st->ctx[idx];
  gpgme_ctx_t ctx = NULL;
  gpgme_error_t err = gpgme_new(&ctx);
  if (err == 0)
    err = gpgme_set_protocol(ctx, idx == 1 ? GPGME_PROTOCOL_CMS : GPGME_PROTOCOL_OpenPGP);
  if (err != 0)
    {
      *reason = g_strdup_printf(_("the %s engine is not available: %s"),
                                sm_verify_protocol_name(protocol), gpgme_strerror(err));
      if (ctx != NULL)
        gpgme_release(ctx);
      return NULL;
    }
  gpgme_set_offline(ctx, 1);
  st->ctx[idx] = ctx;
  return ctx;
}

void
sm_verify_gpgme_release(SmVerifyState *st)
{
  for (guint i = 0; i < G_N_ELEMENTS(st->ctx); i++)
    g_clear_pointer(&st->ctx[i], gpgme_release);
}

/* ---- signatures ---- */

static gboolean
room_for_signature(SmVerifyState *st, GPtrArray *pending)
{
  guint64 have = (guint64)st->result->signatures->len + pending->len;
  if (have < sm_limits_get(st->options->limits, SM_LIMIT_SIGNATURES))
    return TRUE;
  sm_verify_add_finding(st->result->findings, SM_VERIFY_FINDING_SIGNATURE_LIMIT);
  return FALSE;
}

static void
add_unreadable(SmVerifyState *st, SmVerifyProtocol protocol, const char *reason, GPtrArray *sigs)
{
  if (!room_for_signature(st, sigs))
    return;
  SmVerifySignature *sig = sm_verify_signature_new(protocol);
  sig->status = SM_VERIFY_STATUS_BAD;
  sig->error = g_strdup(reason);
  sm_verify_add_finding(sig->findings, SM_VERIFY_FINDING_CHECK_FAILED);
  g_ptr_array_add(sigs, sig);
}

/* The bare address of a user id: GPGME's parsed address, else the <...> of a CMS alt name. */
static char *
uid_address(gpgme_user_id_t uid)
{
  const char *a = uid->address != NULL ? uid->address : uid->email;
  if (a == NULL || *a == '\0')
    return NULL;
  if (*a == '<')
    {
      const char *end = strchr(a, '>');
      return end != NULL ? g_ascii_strdown(a + 1, end - a - 1) : NULL;
    }
  return strchr(a, '@') != NULL ? g_ascii_strdown(a, -1) : NULL;
}

/* The CN of an X.509 distinguished name, for a readable signer name. */
static char *
dn_common_name(const char *dn)
{
  const char *cn = dn != NULL ? strstr(dn, "CN=") : NULL;
  if (cn == NULL)
    return NULL;
  cn += 3;
  gsize len = 0;
  while (cn[len] != '\0' && cn[len] != ',')
    len++;
  return len > 0 ? g_strndup(cn, len) : NULL;
}

/* Fills name, address and issuer from the key, and decides whether a valid user id (or
 * certificate address) of the signer is the From address. */
static void
describe_signer(SmVerifyState *st, gpgme_ctx_t ctx, SmVerifySignature *sig)
{
  g_auto(gpgme_key_t) key = NULL;
  if (sig->fingerprint == NULL || gpgme_get_key(ctx, sig->fingerprint, &key, 0) != 0 || key == NULL)
    return;
  const char *from = st->result->from_address;
  gpgme_user_id_t match = NULL;
  for (gpgme_user_id_t uid = key->uids; uid != NULL; uid = uid->next)
    {
      g_autofree char *addr = uid_address(uid);
      if (sig->name == NULL && uid->name != NULL && *uid->name != '\0')
        sig->name = g_strdup(uid->name);
      if (addr == NULL || uid->revoked || uid->invalid)
        continue;
      if (sig->address == NULL)
        sig->address = g_strdup(addr);
      if (match == NULL && from != NULL && strcmp(addr, from) == 0)
        {
          match = uid;
          g_free(sig->address);
          sig->address = g_steal_pointer(&addr);
        }
    }
  if (sig->protocol == SM_VERIFY_PROTOCOL_SMIME)
    {
      if (sig->name == NULL && key->uids != NULL)
        sig->name = dn_common_name(key->uids->uid);
      sig->issuer = g_strdup(key->issuer_name);
    }
  sig->from_matches = match != NULL;
  /* An OpenPGP key may carry user ids nobody certified; the one naming From must be valid. */
  if (match != NULL && sig->protocol == SM_VERIFY_PROTOCOL_OPENPGP
      && match->validity < GPGME_VALIDITY_FULL && sig->trusted)
    sm_verify_add_finding(sig->findings, SM_VERIFY_FINDING_SIGNER_UID_UNTRUSTED);
}

/* The status from GPGME's per-signature error code and summary bits. */
static void
classify(SmVerifySignature *sig, gpgme_signature_t gs)
{
  switch (gpg_err_code(gs->status))
    {
      case GPG_ERR_NO_ERROR:
        sig->valid = TRUE;
        if (gs->summary & GPGME_SIGSUM_KEY_REVOKED)
          sig->status = SM_VERIFY_STATUS_REVOKED;
        else if (gs->summary & (GPGME_SIGSUM_KEY_EXPIRED | GPGME_SIGSUM_SIG_EXPIRED))
          sig->status = SM_VERIFY_STATUS_EXPIRED;
        else
          sig->status = SM_VERIFY_STATUS_VALID_UNTRUSTED; /* promoted later if all holds */
        break;
      case GPG_ERR_KEY_EXPIRED:
      case GPG_ERR_SIG_EXPIRED:
      case GPG_ERR_CERT_EXPIRED:
        sig->valid = TRUE;
        sig->status = SM_VERIFY_STATUS_EXPIRED;
        break;
      case GPG_ERR_CERT_REVOKED:
        sig->valid = TRUE;
        sig->status = SM_VERIFY_STATUS_REVOKED;
        break;
      case GPG_ERR_NO_PUBKEY:
        sig->status = SM_VERIFY_STATUS_UNKNOWN_KEY;
        break;
      case GPG_ERR_BAD_SIGNATURE:
        sig->status = SM_VERIFY_STATUS_BAD;
        break;
      default:
        sig->status = SM_VERIFY_STATUS_BAD;
        sig->error = g_strdup(gpgme_strerror(gs->status));
        sm_verify_add_finding(sig->findings, SM_VERIFY_FINDING_CHECK_FAILED);
        break;
    }
  /* GPGME's validity is the user's trust: full/ultimate for OpenPGP, a chain to a trusted
   * root for CMS. RED means something in the chain or key is wrong. */
  sig->trusted = sig->status == SM_VERIFY_STATUS_VALID_UNTRUSTED
                 && gs->validity >= GPGME_VALIDITY_FULL && !(gs->summary & GPGME_SIGSUM_RED);
  if (sig->status == SM_VERIFY_STATUS_VALID_UNTRUSTED && !sig->trusted)
    {
      sm_verify_add_finding(sig->findings, SM_VERIFY_FINDING_KEY_UNTRUSTED);
      if (gs->validity_reason != 0)
        sig->error = g_strdup(gpgme_strerror(gs->validity_reason));
    }
}

static void
collect_signatures(SmVerifyState *st, gpgme_ctx_t ctx, SmVerifyProtocol protocol,
                   gpgme_error_t op_err, GPtrArray *sigs)
{
  gpgme_verify_result_t vr = gpgme_op_verify_result(ctx);
  if (vr == NULL || vr->signatures == NULL)
    {
      add_unreadable(st, protocol,
                     op_err != 0 ? gpgme_strerror(op_err)
                                 : _("no signature found in the signature part"),
                     sigs);
      return;
    }
  for (gpgme_signature_t gs = vr->signatures; gs != NULL; gs = gs->next)
    {
      if (!room_for_signature(st, sigs))
        return;
      SmVerifySignature *sig = sm_verify_signature_new(protocol);
      sig->fingerprint = g_strdup(gs->fpr);
      sig->signing_time = gs->timestamp;
      classify(sig, gs);
      describe_signer(st, ctx, sig);
      g_ptr_array_add(sigs, sig);
    }
}

void
sm_verify_gpgme_detached(SmVerifyState *st, SmVerifyProtocol protocol, GBytes *content,
                         GBytes *signature, GPtrArray *sigs)
{
  g_autofree char *reason = NULL;
  gpgme_ctx_t ctx = get_ctx(st, protocol, &reason);
  if (ctx == NULL)
    {
      add_unreadable(st, protocol, reason, sigs);
      return;
    }
  g_auto(gpgme_data_t) sig_data = data_from_bytes(signature);
  g_auto(gpgme_data_t) text_data = data_from_bytes(content);
  gpgme_error_t err = gpgme_op_verify(ctx, sig_data, text_data, NULL);
  collect_signatures(st, ctx, protocol, err, sigs);
}

GBytes *
sm_verify_gpgme_opaque(SmVerifyState *st, SmVerifyProtocol protocol, GBytes *signed_data,
                       GPtrArray *sigs)
{
  g_autofree char *reason = NULL;
  gpgme_ctx_t ctx = get_ctx(st, protocol, &reason);
  if (ctx == NULL)
    {
      add_unreadable(st, protocol, reason, sigs);
      return NULL;
    }
  BoundedSink sink;
  g_auto(gpgme_data_t) in = data_from_bytes(signed_data);
  g_auto(gpgme_data_t) out = sink_new(&sink, st->options->limits);
  g_autoptr(GByteArray) buf = sink.buf;
  gpgme_error_t err = gpgme_op_verify(ctx, in, NULL, out);
  if (sink.overflow)
    {
      add_unreadable(st, protocol, _("the signed content is larger than the message size limit"),
                     sigs);
      return NULL;
    }
  collect_signatures(st, ctx, protocol, err, sigs);
  if (err != 0 && buf->len == 0)
    return NULL;
  return g_byte_array_free_to_bytes(g_steal_pointer(&buf));
}

/* Every recipient we could not decrypt for lacks a secret key: the message is simply not
 * for a key of this keyring. */
static gboolean
all_recipients_without_key(gpgme_decrypt_result_t dr)
{
  if (dr == NULL || dr->recipients == NULL)
    return FALSE;
  for (gpgme_recipient_t r = dr->recipients; r != NULL; r = r->next)
    if (gpg_err_code(r->status) != GPG_ERR_NO_SECKEY)
      return FALSE;
  return TRUE;
}

static SmVerifyDecryptOutcome
decrypt_outcome(gpgme_error_t err, gpgme_decrypt_result_t dr, gboolean overflow, char **reason)
{
  /* No MDC: refused even if gpg was told to ignore it (--ignore-mdc-error), and even though
   * gpg may already have written the plaintext (EFAIL, USENIX Security 2018). */
  if (dr != NULL && dr->legacy_cipher_nomdc)
    {
      *reason = g_strdup(_("the encrypted data has no integrity protection (no MDC)"));
      return SM_VERIFY_DECRYPT_NO_MDC;
    }
  if (overflow)
    {
      *reason = g_strdup(_("the decrypted content is larger than the message size limit"));
      return SM_VERIFY_DECRYPT_FAILED;
    }
  if (err == 0)
    return SM_VERIFY_DECRYPT_OK;
  if (gpg_err_code(err) == GPG_ERR_NO_SECKEY || all_recipients_without_key(dr))
    {
      *reason = g_strdup(_("no secret key for any recipient of this message"));
      return SM_VERIFY_DECRYPT_NO_KEY;
    }
  if (dr != NULL && dr->unsupported_algorithm != NULL)
    *reason = g_strdup_printf(_("unsupported algorithm %s"), dr->unsupported_algorithm);
  else
    *reason = g_strdup(gpgme_strerror(err));
  return SM_VERIFY_DECRYPT_FAILED;
}

SmVerifyDecryptOutcome
sm_verify_gpgme_decrypt(SmVerifyState *st, SmVerifyProtocol protocol, GBytes *cipher,
                        GBytes **plain, GPtrArray *sigs, char **reason)
{
  gpgme_ctx_t ctx = get_ctx(st, protocol, reason);
  if (ctx == NULL)
    return SM_VERIFY_DECRYPT_FAILED;
  BoundedSink sink;
  g_auto(gpgme_data_t) in = data_from_bytes(cipher);
  g_auto(gpgme_data_t) out = sink_new(&sink, st->options->limits);
  g_autoptr(GByteArray) buf = sink.buf;
  gboolean combined = protocol == SM_VERIFY_PROTOCOL_OPENPGP;
  gpgme_error_t err
      = combined ? gpgme_op_decrypt_verify(ctx, in, out) : gpgme_op_decrypt(ctx, in, out);
  SmVerifyDecryptOutcome outcome
      = decrypt_outcome(err, gpgme_op_decrypt_result(ctx), sink.overflow, reason);
  if (outcome != SM_VERIFY_DECRYPT_OK)
    return outcome;
  if (combined)
    {
      gpgme_verify_result_t vr = gpgme_op_verify_result(ctx);
      if (vr != NULL && vr->signatures != NULL)
        collect_signatures(st, ctx, protocol, 0, sigs);
    }
  *plain = g_byte_array_free_to_bytes(g_steal_pointer(&buf));
  return SM_VERIFY_DECRYPT_OK;
}
