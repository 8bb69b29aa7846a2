/* sm-seal: one outgoing message per group of a plan (issue 4, item 3).
 *
 *   encrypt-openpgp   PGP/MIME multipart/encrypted, signed and encrypted in one OpenPGP message
 *                     (RFC 3156 sections 4 and 6.2)
 *   encrypt-smime     application/pkcs7-mime enveloped-data over multipart/signed
 *                     (RFC 8551 sections 3.3 and 3.6)
 *   plain/require-tls the message as submitted, or multipart/signed with options->sign
 *
 * Every encrypted copy is also encrypted to the sender's own key or certificate, so that the
 * Sent copy stays readable; the signing key is the sender's (From) key of the group's protocol.
 * Header protection (RFC 9788) and Autocrypt are in sm-seal-headers.c, GPGME in sm-seal-gpgme.c.
 * Limits: mime-depth while preparing parts for signing, autocrypt-keydata-bytes,
 * autocrypt-gossip-recipients. */
#include "sm-seal-private.h"
#include "sm-error.h"
#include "sm-message.h"

#include <inttypes.h>
#include <glib/gi18n.h>
#include <string.h>

/* SmProtocol values index the per-protocol arrays below. */
#define SM_SEAL_PROTOCOLS (SM_PROTO_SMIME + 1)

typedef struct
{
  const SmPlan *plan;
  const SmSealOptions *options;
  const char *sender;
  GMimeMessage *template_msg;            /* header fields every copy starts from */
  GMimeObject *body;                     /* the submitted MIME tree (borrowed) */
  gpgme_ctx_t ctx[SM_SEAL_PROTOCOLS];    /* per SmProtocol, created on first use */
  gpgme_key_t signer[SM_SEAL_PROTOCOLS]; /* the sender's secret key per protocol, NULL = none */
  gboolean signer_known[SM_SEAL_PROTOCOLS];
  GBytes *autocrypt_keydata; /* the sender's minimal OpenPGP key, NULL = none */
} Session;

static void
session_clear(Session *s)
{
  for (int i = 0; i < SM_SEAL_PROTOCOLS; i++)
    {
      g_clear_pointer(&s->signer[i], gpgme_key_unref);
      g_clear_pointer(&s->ctx[i], gpgme_release);
    }
  g_clear_object(&s->template_msg);
  g_clear_pointer(&s->autocrypt_keydata, g_bytes_unref);
}

static gpgme_ctx_t
session_ctx(Session *s, SmProtocol protocol, GError **error)
{
  g_return_val_if_fail(protocol < SM_SEAL_PROTOCOLS, NULL);
  if (s->ctx[protocol] == NULL)
    s->ctx[protocol] = sm_seal_gpgme_context(protocol, s->options->gnupg_home, error);
  return s->ctx[protocol];
}

/* The sender's signing key for @protocol; NULL with *error unset when there is none. */
static gpgme_key_t
session_signer(Session *s, SmProtocol protocol, GError **error)
{
  g_return_val_if_fail(protocol < SM_SEAL_PROTOCOLS, NULL);
  if (s->signer_known[protocol] || s->sender == NULL)
    return s->signer[protocol];
  gpgme_ctx_t ctx = session_ctx(s, protocol, error);
  if (ctx == NULL)
    return NULL;
  s->signer[protocol] = sm_seal_gpgme_find_signer(ctx, s->sender, error);
  s->signer_known[protocol] = TRUE;
  return s->signer[protocol];
}

static const SmLimits *
session_limits(Session *s)
{
  return s->options->limits != NULL ? s->options->limits : sm_limits_default();
}

/* RFC 3156 section 3 and RFC 8551 section 3.1.3: signed data must survive 7-bit transports
 * unchanged, so every leaf that is not base64 already becomes quoted-printable (text) or base64.
 * Signed and encrypted parts inside are opaque and left alone. */
static gboolean
prepare_for_signing(GMimeObject *object, guint depth, guint64 max_depth, GError **error)
{
  if (depth > max_depth)
    {
      g_set_error(error, SM_ERROR, SM_ERROR_LIMIT,
                  _("the message is nested more than %s = %" PRIu64 " levels deep"),
                  sm_limits_name(SM_LIMIT_MIME_DEPTH), max_depth);
      return FALSE;
    }
  if (GMIME_IS_MULTIPART_SIGNED(object) || GMIME_IS_MULTIPART_ENCRYPTED(object))
    return TRUE;
  if (GMIME_IS_MULTIPART(object))
    {
      int n = g_mime_multipart_get_count(GMIME_MULTIPART(object));
      for (int i = 0; i < n; i++)
        if (!prepare_for_signing(g_mime_multipart_get_part(GMIME_MULTIPART(object), i), depth + 1,
                                 max_depth, error))
          return FALSE;
      return TRUE;
    }
  if (GMIME_IS_MESSAGE_PART(object))
    {
      GMimeMessage *inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(object));
      GMimeObject *part = inner ? g_mime_message_get_mime_part(inner) : NULL;
      return part == NULL || prepare_for_signing(part, depth + 1, max_depth, error);
    }
  if (GMIME_IS_PART(object))
    {
      GMimePart *part = GMIME_PART(object);
      GMimeContentEncoding enc = g_mime_part_get_content_encoding(part);
      if (enc == GMIME_CONTENT_ENCODING_BASE64 || enc == GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE)
        return TRUE;
      GMimeContentType *ct = g_mime_object_get_content_type(object);
      gboolean text = g_mime_content_type_is_type(ct, "text", "*");
      g_mime_part_set_content_encoding(part, text ? GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE
                                                  : GMIME_CONTENT_ENCODING_BASE64);
    }
  return TRUE;
}

/* The sender's key for the Autocrypt header; a sender without an OpenPGP key sends none. */
static void
session_load_autocrypt(Session *s)
{
  g_autoptr(GError) local = NULL;
  gpgme_key_t signer = session_signer(s, SM_PROTO_OPENPGP, &local);
  if (signer == NULL)
    {
      if (local != NULL)
        g_debug("seal: no Autocrypt header: %s", local->message);
      return;
    }
  guint64 max = sm_limits_get(session_limits(s), SM_LIMIT_AUTOCRYPT_KEYDATA_BYTES);
  s->autocrypt_keydata
      = sm_seal_gpgme_export_minimal(s->ctx[SM_PROTO_OPENPGP], signer->fpr, max, &local);
  if (s->autocrypt_keydata == NULL)
    g_debug("seal: no Autocrypt header: %s", local->message);
}

static SmSealedMessage *
sealed_new(SmPlanGroup *group, GMimeMessage *message, gboolean is_signed, gboolean self)
{
  SmSealedMessage *sealed = g_new0(SmSealedMessage, 1);
  g_autoptr(GStrvBuilder) rcpts = g_strv_builder_new();
  for (guint i = 0; i < group->recipients->len; i++)
    {
      SmRecipientPlan *rp = g_ptr_array_index(group->recipients, i);
      g_strv_builder_add(rcpts, rp->address);
    }
  sealed->group = group;
  sealed->message = message;
  sealed->envelope_rcpts = g_strv_builder_end(rcpts);
  sealed->is_signed = is_signed;
  sealed->self_encrypted = self;
  return sealed;
}

void
sm_sealed_message_free(SmSealedMessage *sealed)
{
  if (sealed == NULL)
    return;
  g_clear_object(&sealed->message);
  g_strfreev(sealed->envelope_rcpts);
  g_free(sealed);
}

/* The outer message of a copy: template fields, Autocrypt, no body yet. */
static GMimeMessage *
new_outer(Session *s, gboolean obscure_subject)
{
  GMimeMessage *outer = sm_seal_headers_outer(s->template_msg, obscure_subject, NULL);
  if (s->options->autocrypt && s->autocrypt_keydata != NULL)
    sm_seal_headers_add_autocrypt(GMIME_OBJECT(outer), s->sender, s->autocrypt_keydata,
                                  s->options->prefer_encrypt_mutual, FALSE);
  return outer;
}

/* Signs @payload for @protocol and wraps it in multipart/signed. */
static GMimeObject *
sign_entity(Session *s, SmProtocol protocol, gpgme_key_t signer, GMimeObject *payload,
            GError **error)
{
  g_autofree char *micalg = NULL;
  g_autoptr(GBytes) sig = sm_seal_gpgme_sign(s->ctx[protocol], signer, payload, &micalg, error);
  if (sig == NULL)
    return NULL;
  return protocol == SM_PROTO_SMIME ? sm_seal_smime_signed(payload, sig, micalg)
                                    : sm_seal_openpgp_signed(payload, sig, micalg);
}

static SmSealedMessage *
seal_clear(Session *s, SmPlanGroup *group, GError **error)
{
  g_autoptr(GMimeMessage) outer = new_outer(s, FALSE);
  gpgme_key_t signer = NULL;
  if (s->options->sign)
    {
      g_autoptr(GError) local = NULL;
      signer = session_signer(s, s->options->sign_protocol, &local);
      if (local != NULL)
        {
          g_propagate_prefixed_error(error, g_steal_pointer(&local),
                                     _("cannot look up the sender's signing key: "));
          return NULL;
        }
    }
  if (signer == NULL)
    {
      g_mime_message_set_mime_part(outer, s->body);
      return sealed_new(group, g_steal_pointer(&outer), FALSE, FALSE);
    }
  g_autoptr(GMimeObject) payload = sm_seal_headers_clone_part(s->body);
  if (s->options->protect_headers)
    sm_seal_headers_protect(payload, s->template_msg, NULL);
  g_autoptr(GMimeObject) body = sign_entity(s, s->options->sign_protocol, signer, payload, error);
  if (body == NULL)
    return NULL;
  g_mime_message_set_mime_part(outer, body);
  return sealed_new(group, g_steal_pointer(&outer), TRUE, FALSE);
}

/* The recipients' fingerprints plus the sender's own (encrypt-to-self), one a line, in the form
 * gpgme_op_encrypt_ext takes. */
static char *
recipient_list(SmPlanGroup *group, SmProtocol protocol, gpgme_key_t signer, gboolean *self,
               GError **error)
{
  g_autoptr(GString) list = g_string_new(NULL);
  for (guint i = 0; i < group->recipients->len; i++)
    {
      SmRecipientPlan *rp = g_ptr_array_index(group->recipients, i);
      if (rp->key == NULL || rp->key->protocol != protocol || rp->key->fingerprint == NULL
          || !g_str_is_ascii(rp->key->fingerprint) || strchr(rp->key->fingerprint, '\n') != NULL)
        {
          g_set_error(error, SM_ERROR, SM_ERROR_POLICY,
                      _("the plan encrypts to %s without a key of that protocol"), rp->address);
          return NULL;
        }
      g_string_append_printf(list, "%s\n", rp->key->fingerprint);
    }
  /* The secret key listing says whether the sender's key as a whole can encrypt. */
  *self = signer != NULL && signer->can_encrypt && signer->fpr != NULL;
  if (*self)
    g_string_append_printf(list, "%s\n", signer->fpr);
  return g_string_free(g_steal_pointer(&list), FALSE);
}

/* Autocrypt-Gossip (Level 1 section 2.7): the other recipients' keys, inside the encryption. */
static void
add_gossip(Session *s, SmPlanGroup *group, GMimeObject *payload)
{
  guint visible = 0;
  for (guint i = 0; i < group->recipients->len; i++)
    if (((SmRecipientPlan *)g_ptr_array_index(group->recipients, i))->kind != SM_RCPT_BCC)
      visible++;
  if (visible < 2
      || visible > sm_limits_get(session_limits(s), SM_LIMIT_AUTOCRYPT_GOSSIP_RECIPIENTS))
    return;
  guint64 max = sm_limits_get(session_limits(s), SM_LIMIT_AUTOCRYPT_KEYDATA_BYTES);
  for (guint i = 0; i < group->recipients->len; i++)
    {
      SmRecipientPlan *rp = g_ptr_array_index(group->recipients, i);
      if (rp->kind == SM_RCPT_BCC)
        continue; /* never tell the others about a Bcc recipient */
      g_autoptr(GError) local = NULL;
      g_autoptr(GBytes) keydata = sm_seal_gpgme_export_minimal(s->ctx[SM_PROTO_OPENPGP],
                                                               rp->key->fingerprint, max, &local);
      if (keydata == NULL)
        {
          g_debug("seal: no gossip for one recipient: %s", local->message);
          continue;
        }
      sm_seal_headers_add_autocrypt(payload, rp->address, keydata, FALSE, TRUE);
    }
}

static SmSealedMessage *
seal_encrypted(Session *s, SmPlanGroup *group, SmProtocol protocol, GError **error)
{
  gboolean self = FALSE;
  if (session_ctx(s, protocol, error) == NULL)
    return NULL;
  g_autoptr(GError) local = NULL;
  gpgme_key_t signer = session_signer(s, protocol, &local);
  if (local != NULL)
    {
      g_propagate_prefixed_error(error, g_steal_pointer(&local),
                                 _("cannot look up the sender's key: "));
      return NULL;
    }
  g_autofree char *recipients = recipient_list(group, protocol, signer, &self, error);
  if (recipients == NULL)
    return NULL;

  g_autoptr(GMimeMessage) outer = new_outer(s, s->options->protect_headers);
  g_autoptr(GMimeObject) payload = sm_seal_headers_clone_part(s->body);
  if (s->options->protect_headers)
    sm_seal_headers_protect(payload, s->template_msg, outer);
  if (s->options->autocrypt && protocol == SM_PROTO_OPENPGP)
    add_gossip(s, group, payload);

  g_autoptr(GMimeObject) inner = g_object_ref(payload);
  if (protocol == SM_PROTO_SMIME && signer != NULL)
    {
      g_clear_object(&inner);
      inner = sign_entity(s, protocol, signer, payload, error);
      if (inner == NULL)
        return NULL;
    }
  /* OpenPGP signs inside the encryption (one message); S/MIME signed above. */
  gpgme_key_t pgp_signer = protocol == SM_PROTO_OPENPGP ? signer : NULL;
  g_autoptr(GMimeStream) cipher
      = sm_seal_gpgme_encrypt(s->ctx[protocol], recipients, pgp_signer, inner, error);
  if (cipher == NULL)
    return NULL;
  g_autoptr(GMimeObject) body = protocol == SM_PROTO_SMIME ? sm_seal_smime_enveloped(cipher)
                                                           : sm_seal_openpgp_encrypted(cipher);
  g_mime_message_set_mime_part(outer, body);
  return sealed_new(group, g_steal_pointer(&outer), signer != NULL, self);
}

static SmSealedMessage *
seal_group(Session *s, SmPlanGroup *group, GError **error)
{
  switch (group->decision)
    {
      case SM_DECISION_ENCRYPT_OPENPGP:
        return seal_encrypted(s, group, SM_PROTO_OPENPGP, error);
      case SM_DECISION_ENCRYPT_SMIME:
        return seal_encrypted(s, group, SM_PROTO_SMIME, error);
      case SM_DECISION_REQUIRE_TLS:
      case SM_DECISION_PLAIN:
        return seal_clear(s, group, error);
      case SM_DECISION_BLOCKED:
      default:
        g_set_error_literal(error, SM_ERROR, SM_ERROR_POLICY,
                            _("a group of recipients is blocked by policy; nothing was sealed"));
        return NULL;
    }
}

static gboolean
plan_protects(const SmPlan *plan, const SmSealOptions *options)
{
  for (guint i = 0; i < plan->groups->len; i++)
    {
      SmDecision d = ((SmPlanGroup *)g_ptr_array_index(plan->groups, i))->decision;
      if (d == SM_DECISION_ENCRYPT_OPENPGP || d == SM_DECISION_ENCRYPT_SMIME || options->sign)
        return TRUE;
    }
  return FALSE;
}

static gboolean
session_init(Session *s, const SmPlan *plan, GMimeMessage *message, GError **error)
{
  s->body = g_mime_message_get_mime_part(message);
  if (s->body == NULL)
    {
      g_set_error_literal(error, SM_ERROR, SM_ERROR_INVALID_INPUT,
                          _("the message has no body to seal"));
      return FALSE;
    }
  /* Only when something is signed or encrypted: a plan of plain copies leaves the body as is. */
  if (plan_protects(plan, s->options)
      && !prepare_for_signing(s->body, 0, sm_limits_get(session_limits(s), SM_LIMIT_MIME_DEPTH),
                              error))
    return FALSE;
  s->template_msg = sm_seal_headers_template(message);
  if (s->options->autocrypt && s->sender != NULL)
    session_load_autocrypt(s);
  return TRUE;
}

GPtrArray *
sm_seal_plan(const SmPlan *plan, GMimeMessage *message, const SmSealOptions *options,
             GError **error)
{
  g_return_val_if_fail(plan != NULL && GMIME_IS_MESSAGE(message) && options != NULL, NULL);
  if (plan->blocked)
    {
      g_set_error(error, SM_ERROR, SM_ERROR_POLICY, _("the message is blocked: %s"),
                  plan->reason != NULL ? plan->reason : _("no reason given"));
      return NULL;
    }
  sm_message_init();
  g_autofree char *from = plan->sender ? NULL : sm_message_from_address(message);
  Session s = { .plan = plan, .options = options, .sender = plan->sender ? plan->sender : from };
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func((GDestroyNotify)sm_sealed_message_free);
  gboolean ok = session_init(&s, plan, message, error);
  for (guint i = 0; ok && i < plan->groups->len; i++)
    {
      SmSealedMessage *sealed = seal_group(&s, g_ptr_array_index(plan->groups, i), error);
      if (sealed == NULL)
        ok = FALSE;
      else
        g_ptr_array_add(out, sealed);
    }
  session_clear(&s);
  return ok ? g_steal_pointer(&out) : NULL;
}

static gboolean
load_bool(GKeyFile *kf, const char *key, gboolean *value, GError **error)
{
  g_autoptr(GError) local = NULL;
  if (!g_key_file_has_key(kf, "seal", key, NULL))
    return TRUE;
  gboolean v = g_key_file_get_boolean(kf, "seal", key, &local);
  if (local != NULL)
    {
      g_set_error(error, SM_ERROR, SM_ERROR_INVALID_INPUT, _("[seal] %s must be true or false"),
                  key);
      return FALSE;
    }
  *value = v;
  return TRUE;
}

/* An enumerated [seal] key: the index of its value in @names, or -1 when absent. */
static gboolean
load_choice(GKeyFile *kf, const char *key, const char *const *names, int *value, GError **error)
{
  g_autofree char *text = g_key_file_get_string(kf, "seal", key, NULL);
  if (text == NULL)
    return TRUE;
  g_strstrip(text);
  for (int i = 0; names[i] != NULL; i++)
    {
      if (g_ascii_strcasecmp(text, names[i]) == 0)
        {
          *value = i;
          return TRUE;
        }
    }
  g_autofree char *allowed = g_strjoinv(" | ", (char **)names);
  g_set_error(error, SM_ERROR, SM_ERROR_INVALID_INPUT, _("[seal] %s must be one of: %s"), key,
              allowed);
  return FALSE;
}

gboolean
sm_seal_options_load(SmSealOptions *options, GKeyFile *kf, GError **error)
{
  static const char *const prefer[] = { "nopreference", "mutual", NULL };
  static const char *const protocols[] = { "openpgp", "smime", NULL }; /* SmProtocol order */
  g_return_val_if_fail(options != NULL, FALSE);
  if (kf == NULL || !g_key_file_has_group(kf, "seal"))
    return TRUE;
  int pref = options->prefer_encrypt_mutual ? 1 : 0;
  int proto = options->sign_protocol;
  if (!load_bool(kf, "sign", &options->sign, error)
      || !load_bool(kf, "protect-headers", &options->protect_headers, error)
      || !load_bool(kf, "autocrypt", &options->autocrypt, error)
      || !load_choice(kf, "prefer-encrypt", prefer, &pref, error)
      || !load_choice(kf, "sign-protocol", protocols, &proto, error))
    return FALSE;
  options->prefer_encrypt_mutual = pref == 1;
  options->sign_protocol = proto;
  return TRUE;
}
