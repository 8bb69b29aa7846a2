/* sm-verify: the walk over a message's crypto structure, and the findings that keep a
 * signature from being called verified (see sm-verify.h for the table).
 *
 * Structures: RFC 1847 multipart/signed and multipart/encrypted with RFC 3156 (PGP/MIME) and
 * RFC 8551 (S/MIME) protocols, RFC 8551 application/pkcs7-mime (the CMS content type is read
 * from the DER, not trusted from smime-type), and RFC 4880 armored inline blocks in text parts.
 *
 * Safety rules applied here: an encrypted part is decrypted only when it is the whole displayed
 * body (EFAIL direct exfiltration needs it next to attacker-controlled parts), decrypted
 * content is never merged with unencrypted parts, and OpenPGP data without MDC is refused.
 *
 * Limits: SM_LIMIT_MIME_DEPTH and SM_LIMIT_MIME_PARTS over original and decrypted parts,
 * SM_LIMIT_CRYPTO_LAYERS, SM_LIMIT_SIGNATURES. */
#include "sm-verify-private.h"
#include "sm-autocleanups.h"
#include "sm-error.h"
#include "sm-message.h"

#include <inttypes.h>
#include <glib/gi18n.h>
#include <string.h>

typedef struct
{
  gboolean at_root;   /* this entity is the whole displayed body */
  gboolean forwarded; /* inside a message/rfc822 part */
} Scope;

static gboolean analyse(SmVerifyState *st, GMimeObject *obj, const char *id, guint depth,
                        Scope scope, GError **error);

/* ---- small helpers ---- */

void
sm_verify_add_finding(GPtrArray *findings, const char *finding)
{
  for (guint i = 0; i < findings->len; i++)
    if (strcmp(g_ptr_array_index(findings, i), finding) == 0)
      return;
  g_ptr_array_add(findings, (gpointer)finding);
}

SmVerifySignature *
sm_verify_signature_new(SmVerifyProtocol protocol)
{
  SmVerifySignature *sig = g_new0(SmVerifySignature, 1);
  sig->protocol = protocol;
  sig->status = SM_VERIFY_STATUS_BAD;
  sig->covered_parts = g_ptr_array_new_with_free_func(g_free);
  sig->findings = g_ptr_array_new();
  return sig;
}

void
sm_verify_signature_free(SmVerifySignature *sig)
{
  if (sig == NULL)
    return;
  g_free(sig->name);
  g_free(sig->address);
  g_free(sig->fingerprint);
  g_free(sig->issuer);
  g_free(sig->part_id);
  g_free(sig->error);
  g_ptr_array_unref(sig->covered_parts);
  g_ptr_array_unref(sig->findings);
  g_free(sig);
}

void
sm_verify_result_free(SmVerifyResult *result)
{
  if (result == NULL)
    return;
  g_ptr_array_unref(result->signatures);
  g_ptr_array_unref(result->findings);
  g_free(result->from_address);
  g_free(result->decryption_error);
  g_clear_object(&result->displayed);
  g_free(result);
}

gboolean
sm_verify_result_has_finding(const SmVerifyResult *result, const char *finding)
{
  for (guint i = 0; i < result->findings->len; i++)
    if (strcmp(g_ptr_array_index(result->findings, i), finding) == 0)
      return TRUE;
  return FALSE;
}

static char *
child_id(const char *parent, int index)
{
  return *parent == '\0' ? g_strdup_printf("%d", index + 1)
                         : g_strdup_printf("%s.%d", parent, index + 1);
}

static gboolean
type_is(GMimeObject *obj, const char *type, const char *subtype)
{
  GMimeContentType *ct = g_mime_object_get_content_type(obj);
  return ct != NULL && g_mime_content_type_is_type(ct, type, subtype);
}

static const char *
type_param(GMimeObject *obj, const char *name)
{
  GMimeContentType *ct = g_mime_object_get_content_type(obj);
  return ct != NULL ? g_mime_content_type_get_parameter(ct, name) : NULL;
}

/* The transfer-decoded content of a leaf part. */
static GBytes *
part_bytes(GMimeObject *obj)
{
  GMimeDataWrapper *wrapper = GMIME_IS_PART(obj) ? g_mime_part_get_content(GMIME_PART(obj)) : NULL;
  if (wrapper == NULL)
    return g_bytes_new(NULL, 0);
  GMimeStream *mem = g_mime_stream_mem_new();
  g_mime_data_wrapper_write_to_stream(wrapper, mem);
  GByteArray *arr = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
  GBytes *bytes = g_bytes_new(arr->data, arr->len);
  g_object_unref(mem);
  return bytes;
}

/* The signed entity exactly as signed: RFC 3156 5.1 and RFC 8551 3.1.1 canonical CRLF form. */
static GBytes *
canonical_bytes(GMimeObject *obj)
{
  g_autoptr(GMimeFormatOptions) fo = g_mime_format_options_new();
  g_mime_format_options_set_newline_format(fo, GMIME_NEWLINE_FORMAT_DOS);
  GMimeStream *mem = g_mime_stream_mem_new();
  g_mime_object_write_to_stream(obj, fo, mem);
  GByteArray *arr = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
  GBytes *bytes = g_bytes_new(arr->data, arr->len);
  g_object_unref(mem);
  return bytes;
}

static gboolean
enter_layer(SmVerifyState *st)
{
  if (st->layers >= sm_limits_get(st->options->limits, SM_LIMIT_CRYPTO_LAYERS))
    {
      sm_verify_add_finding(st->result->findings, SM_VERIFY_FINDING_LAYER_LIMIT);
      return FALSE;
    }
  st->layers++;
  return TRUE;
}

/* Adopts freshly found signatures, then analyses the signed entity inside their scope. */
static gboolean
analyse_signed_entity(SmVerifyState *st, GPtrArray *sigs, GMimeObject *entity, const char *id,
                      guint depth, Scope scope, GError **error)
{
  guint first_scope = st->scopes->len;
  for (guint i = 0; i < sigs->len; i++)
    {
      SmVerifySignature *sig = g_ptr_array_index(sigs, i);
      sig->part_id = g_strdup(id);
      sig->covers_whole_body = scope.at_root;
      if (scope.forwarded)
        sm_verify_add_finding(sig->findings, SM_VERIFY_FINDING_FORWARDED);
      else
        {
          st->toplevel_sigs++;
          if (!scope.at_root)
            sm_verify_add_finding(sig->findings, SM_VERIFY_FINDING_INNER_PART);
        }
      g_ptr_array_add(st->scopes, sig);
      g_ptr_array_add(st->result->signatures, sig);
    }
  g_free(g_ptr_array_steal(sigs, NULL)); /* the signatures now belong to the result */
  gboolean ok = entity == NULL || analyse(st, entity, id, depth, scope, error);
  g_ptr_array_set_size(st->scopes, first_scope);
  return ok;
}

static void
set_displayed(SmVerifyState *st, Scope scope, GMimeObject *obj)
{
  if (scope.at_root)
    g_set_object(&st->result->displayed, obj);
}

static GMimeObject *
parse_entity(SmVerifyState *st, GBytes *bytes, GError **error)
{
  return sm_message_parse_entity(bytes, st->options->limits, error);
}

/* ---- multipart/signed (RFC 1847 2.1) ---- */

static SmVerifyProtocol
signature_protocol(GMimeObject *sigpart)
{
  if (type_is(sigpart, "application", "pgp-signature"))
    return SM_VERIFY_PROTOCOL_OPENPGP;
  if (type_is(sigpart, "application", "pkcs7-signature")
      || type_is(sigpart, "application", "x-pkcs7-signature"))
    return SM_VERIFY_PROTOCOL_SMIME;
  return SM_VERIFY_PROTOCOL_NONE;
}

/* The protocol of a well-formed multipart/signed: two parts, the second a known signature. */
static SmVerifyProtocol
multipart_signed_protocol(GMimeMultipart *mp)
{
  if (g_mime_multipart_get_count(mp) != 2)
    return SM_VERIFY_PROTOCOL_NONE;
  GMimeObject *sigpart = g_mime_multipart_get_part(mp, 1);
  return GMIME_IS_PART(sigpart) ? signature_protocol(sigpart) : SM_VERIFY_PROTOCOL_NONE;
}

static gboolean
all_bad(GPtrArray *sigs)
{
  for (guint i = 0; i < sigs->len; i++)
    {
      SmVerifySignature *sig = g_ptr_array_index(sigs, i);
      if (sig->status != SM_VERIFY_STATUS_BAD || sig->error != NULL)
        return FALSE;
    }
  return sigs->len > 0;
}

/* GMime always ends a nested multipart's close delimiter with a newline, while the CRLF before
 * the outer delimiter belongs to that delimiter (RFC 2046 5.1.1): a signer that canonicalised
 * "--inner--" without it is right, so its form is tried too. Nothing shown differs. */
static void
retry_without_final_crlf(SmVerifyState *st, SmVerifyProtocol protocol, GBytes *signed_bytes,
                         GBytes *sig_bytes, GPtrArray *sigs)
{
  gsize len = 0;
  const char *p = g_bytes_get_data(signed_bytes, &len);
  if (len < 2 || memcmp(p + len - 2, "\r\n", 2) != 0)
    return;
  g_autoptr(GBytes) shorter = g_bytes_new_from_bytes(signed_bytes, 0, len - 2);
  g_autoptr(GPtrArray) again
      = g_ptr_array_new_with_free_func((GDestroyNotify)sm_verify_signature_free);
  sm_verify_gpgme_detached(st, protocol, shorter, sig_bytes, again);
  if (all_bad(again))
    return;
  g_ptr_array_set_size(sigs, 0);
  g_ptr_array_extend_and_steal(sigs, g_steal_pointer(&again));
}

static gboolean
analyse_multipart_signed(SmVerifyState *st, GMimeMultipart *mp, SmVerifyProtocol protocol,
                         const char *id, guint depth, Scope scope, GError **error)
{
  GMimeObject *content = g_mime_multipart_get_part(mp, 0);
  GMimeObject *sigpart = g_mime_multipart_get_part(mp, 1);
  g_autofree char *content_id = child_id(id, 0);
  if (!enter_layer(st))
    return analyse(st, content, content_id, depth + 1, (Scope){ FALSE, scope.forwarded }, error);

  g_autoptr(GPtrArray) sigs
      = g_ptr_array_new_with_free_func((GDestroyNotify)sm_verify_signature_free);
  if (st->options->structure_only)
    {
      SmVerifySignature *sig = sm_verify_signature_new(protocol);
      sig->error = g_strdup("not checked");
      g_ptr_array_add(sigs, sig);
    }
  else
    {
      g_autoptr(GBytes) signed_bytes = canonical_bytes(content);
      g_autoptr(GBytes) sig_bytes = part_bytes(sigpart);
      sm_verify_gpgme_detached(st, protocol, signed_bytes, sig_bytes, sigs);
      if (GMIME_IS_MULTIPART(content) && all_bad(sigs))
        retry_without_final_crlf(st, protocol, signed_bytes, sig_bytes, sigs);
    }
  set_displayed(st, scope, content);
  return analyse_signed_entity(st, sigs, content, content_id, depth + 1, scope, error);
}

/* ---- decryption of a whole-body encrypted entity ---- */

static void
note_encrypted(SmVerifyState *st, SmVerifyProtocol protocol)
{
  if (!st->result->encrypted)
    st->result->decrypted = TRUE; /* until a layer fails */
  st->result->encrypted = TRUE;
  if (st->result->encryption_protocol == SM_VERIFY_PROTOCOL_NONE)
    st->result->encryption_protocol = protocol;
}

static const char *
outcome_finding(SmVerifyDecryptOutcome outcome)
{
  switch (outcome)
    {
      case SM_VERIFY_DECRYPT_NO_KEY:
        return SM_VERIFY_FINDING_NO_SECRET_KEY;
      case SM_VERIFY_DECRYPT_NO_MDC:
        return SM_VERIFY_FINDING_NO_MDC;
      default:
        return SM_VERIFY_FINDING_DECRYPT_FAILED;
    }
}

/* Decrypts @cipher when the encrypted entity is the whole body and analyses the plaintext, a
 * MIME entity (@mime) or inline text. Returns FALSE only on a hard error. */
static gboolean
decrypt_and_analyse(SmVerifyState *st, SmVerifyProtocol protocol, GBytes *cipher, gboolean mime,
                    const char *id, guint depth, Scope scope, GError **error)
{
  note_encrypted(st, protocol);
  if (!scope.at_root)
    {
      sm_verify_add_finding(st->result->findings, SM_VERIFY_FINDING_MIXED_ENCRYPTED);
      st->result->decrypted = FALSE;
      return TRUE;
    }
  if (st->options->structure_only || !enter_layer(st))
    {
      st->result->decrypted = FALSE;
      return TRUE;
    }
  g_autoptr(GBytes) plain = NULL;
  g_autofree char *reason = NULL;
  g_autoptr(GPtrArray) sigs
      = g_ptr_array_new_with_free_func((GDestroyNotify)sm_verify_signature_free);
  SmVerifyDecryptOutcome outcome
      = sm_verify_gpgme_decrypt(st, protocol, cipher, &plain, sigs, &reason);
  if (outcome != SM_VERIFY_DECRYPT_OK)
    {
      sm_verify_add_finding(st->result->findings, outcome_finding(outcome));
      st->result->decrypted = FALSE;
      if (st->result->decryption_error == NULL)
        st->result->decryption_error = g_steal_pointer(&reason);
      return TRUE;
    }
  g_autoptr(GMimeObject) entity = NULL;
  if (mime)
    {
      entity = parse_entity(st, plain, error);
      if (entity == NULL)
        return FALSE;
    }
  else
    {
      gsize len = 0;
      const char *text = g_bytes_get_data(plain, &len);
      g_autofree char *copy = g_strndup(text != NULL ? text : "", len);
      GMimeTextPart *tp = g_mime_text_part_new_with_subtype("plain");
      g_mime_text_part_set_text(tp, copy);
      entity = GMIME_OBJECT(tp);
    }
  set_displayed(st, scope, entity);
  return analyse_signed_entity(st, sigs, entity, id, depth + 1, scope, error);
}

static gboolean
analyse_multipart_encrypted(SmVerifyState *st, GMimeMultipart *mp, const char *id, guint depth,
                            Scope scope, GError **error)
{
  const char *protocol = type_param(GMIME_OBJECT(mp), "protocol");
  GMimeObject *data = g_mime_multipart_get_count(mp) == 2 ? g_mime_multipart_get_part(mp, 1) : NULL;
  if (protocol == NULL || g_ascii_strcasecmp(protocol, "application/pgp-encrypted") != 0
      || data == NULL || !GMIME_IS_PART(data))
    {
      sm_verify_add_finding(st->result->findings, SM_VERIFY_FINDING_MALFORMED);
      note_encrypted(st, SM_VERIFY_PROTOCOL_OPENPGP);
      st->result->decrypted = FALSE;
      return TRUE;
    }
  g_autoptr(GBytes) cipher = part_bytes(data);
  return decrypt_and_analyse(st, SM_VERIFY_PROTOCOL_OPENPGP, cipher, TRUE, id, depth, scope, error);
}

/* ---- application/pkcs7-mime (RFC 8551 3.2) ---- */

typedef enum
{
  CMS_UNKNOWN,
  CMS_SIGNED,
  CMS_ENVELOPED,
  CMS_AUTH_ENVELOPED
} CmsType;

/* Reads the contentType OID of a DER ContentInfo (RFC 5652 3): SEQUENCE { OID, [0] ... }. */
static CmsType
cms_content_type(GBytes *der)
{
  static const guint8 pkcs7[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07 };
  static const guint8 smime_ct[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x10, 0x01 };
  gsize len = 0;
  const guint8 *p = g_bytes_get_data(der, &len);
  gsize pos = 2;
  if (len < 4 || p[0] != 0x30)
    return CMS_UNKNOWN;
  if (p[1] & 0x80)
    pos += p[1] & 0x7f; /* long-form length */
  if (pos + 2 > len || p[pos] != 0x06)
    return CMS_UNKNOWN;
  gsize oid_len = p[pos + 1];
  const guint8 *oid = p + pos + 2;
  if (pos + 2 + oid_len > len)
    return CMS_UNKNOWN;
  if (oid_len == sizeof pkcs7 + 1 && memcmp(oid, pkcs7, sizeof pkcs7) == 0)
    return oid[sizeof pkcs7] == 2   ? CMS_SIGNED
           : oid[sizeof pkcs7] == 3 ? CMS_ENVELOPED
                                    : CMS_UNKNOWN;
  if (oid_len == sizeof smime_ct + 1 && memcmp(oid, smime_ct, sizeof smime_ct) == 0
      && oid[sizeof smime_ct] == 23)
    return CMS_AUTH_ENVELOPED;
  return CMS_UNKNOWN;
}

static gboolean
analyse_pkcs7_signed(SmVerifyState *st, GBytes *der, const char *id, guint depth, Scope scope,
                     GError **error)
{
  if (!enter_layer(st))
    return TRUE;
  g_autoptr(GPtrArray) sigs
      = g_ptr_array_new_with_free_func((GDestroyNotify)sm_verify_signature_free);
  g_autoptr(GBytes) content = NULL;
  if (st->options->structure_only)
    {
      SmVerifySignature *sig = sm_verify_signature_new(SM_VERIFY_PROTOCOL_SMIME);
      sig->error = g_strdup("not checked");
      g_ptr_array_add(sigs, sig);
    }
  else
    {
      content = sm_verify_gpgme_opaque(st, SM_VERIFY_PROTOCOL_SMIME, der, sigs);
    }
  g_autoptr(GMimeObject) entity = NULL;
  if (content != NULL)
    {
      entity = parse_entity(st, content, error);
      if (entity == NULL)
        return FALSE;
      set_displayed(st, scope, entity);
    }
  return analyse_signed_entity(st, sigs, entity, id, depth + 1, scope, error);
}

static gboolean
analyse_pkcs7(SmVerifyState *st, GMimeObject *part, const char *id, guint depth, Scope scope,
              GError **error)
{
  g_autoptr(GBytes) der = part_bytes(part);
  switch (cms_content_type(der))
    {
      case CMS_SIGNED:
        return analyse_pkcs7_signed(st, der, id, depth, scope, error);
      case CMS_ENVELOPED:
        /* CBC without authentication: malleable (EFAIL's CBC gadgets); decrypted but flagged. */
        sm_verify_add_finding(st->result->findings, SM_VERIFY_FINDING_SMIME_CBC);
        return decrypt_and_analyse(st, SM_VERIFY_PROTOCOL_SMIME, der, TRUE, id, depth, scope,
                                   error);
      case CMS_AUTH_ENVELOPED:
        return decrypt_and_analyse(st, SM_VERIFY_PROTOCOL_SMIME, der, TRUE, id, depth, scope,
                                   error);
      default:
        sm_verify_add_finding(st->result->findings, SM_VERIFY_FINDING_MALFORMED);
        return TRUE;
    }
}

/* ---- inline PGP (RFC 4880 6.2 and 7) ---- */

#define ARMOR_SIGNED "-----BEGIN PGP SIGNED MESSAGE-----"
#define ARMOR_MESSAGE "-----BEGIN PGP MESSAGE-----"
#define ARMOR_SIG_END "-----END PGP SIGNATURE-----"
#define ARMOR_MSG_END "-----END PGP MESSAGE-----"

/* Finds @marker at the start of a line within [p, p+len). */
static const char *
find_line(const char *p, gsize len, const char *marker)
{
  gsize mlen = strlen(marker);
  for (const char *q = p; q != NULL && (gsize)(q - p) + mlen <= len;)
    {
      if ((q == p || q[-1] == '\n') && memcmp(q, marker, mlen) == 0)
        return q;
      q = memchr(q, '\n', len - (gsize)(q - p));
      if (q != NULL)
        q++;
    }
  return NULL;
}

static gboolean
only_space(const char *p, gsize len)
{
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isspace(p[i]))
      return FALSE;
  return TRUE;
}

/* Finds the first armored block of a text; FALSE when there is none. */
static gboolean
find_armor(const char *text, gsize len, const char **begin, const char **end, gboolean *is_signed)
{
  *begin = find_line(text, len, ARMOR_SIGNED);
  *is_signed = *begin != NULL;
  if (*begin == NULL)
    *begin = find_line(text, len, ARMOR_MESSAGE);
  if (*begin == NULL)
    return FALSE;
  const char *end_marker = *is_signed ? ARMOR_SIG_END : ARMOR_MSG_END;
  *end = find_line(*begin, len - (gsize)(*begin - text), end_marker);
  if (*end != NULL)
    *end += strlen(end_marker);
  return TRUE;
}

/* Returns FALSE only on a hard error; *@handled says whether @part held an armored block. */
static gboolean
analyse_inline(SmVerifyState *st, GMimeObject *part, const char *id, guint depth, Scope scope,
               gboolean *handled, GError **error)
{
  g_autoptr(GBytes) bytes = part_bytes(part);
  gsize len = 0;
  const char *text = g_bytes_get_data(bytes, &len);
  const char *begin = NULL, *end = NULL;
  gboolean signed_block = FALSE;
  *handled = text != NULL && find_armor(text, len, &begin, &end, &signed_block);
  if (!*handled)
    return TRUE;
  if (end == NULL)
    {
      sm_verify_add_finding(st->result->findings, SM_VERIFY_FINDING_MALFORMED);
      *handled = FALSE;
      return TRUE;
    }
  gboolean alone
      = only_space(text, (gsize)(begin - text)) && only_space(end, len - (gsize)(end - text));
  g_autoptr(GBytes) block
      = g_bytes_new_from_bytes(bytes, (gsize)(begin - text), (gsize)(end - begin));
  Scope inner = { scope.at_root && alone, scope.forwarded };
  if (!alone && !scope.forwarded)
    st->unsigned_leaves++; /* the text around the block is shown unsigned */
  if (!signed_block)
    return decrypt_and_analyse(st, SM_VERIFY_PROTOCOL_OPENPGP, block, FALSE, id, depth, inner,
                               error);
  if (!enter_layer(st))
    return TRUE;
  g_autoptr(GPtrArray) sigs
      = g_ptr_array_new_with_free_func((GDestroyNotify)sm_verify_signature_free);
  if (st->options->structure_only)
    {
      SmVerifySignature *sig = sm_verify_signature_new(SM_VERIFY_PROTOCOL_OPENPGP);
      sig->error = g_strdup("not checked");
      g_ptr_array_add(sigs, sig);
    }
  else
    {
      g_autoptr(GBytes) content
          = sm_verify_gpgme_opaque(st, SM_VERIFY_PROTOCOL_OPENPGP, block, sigs);
      if (content != NULL && inner.at_root)
        {
          gsize clen = 0;
          const char *ctext = g_bytes_get_data(content, &clen);
          g_autoptr(GMimeTextPart) tp = g_mime_text_part_new_with_subtype("plain");
          g_autofree char *copy = g_strndup(ctext != NULL ? ctext : "", clen);
          g_mime_text_part_set_text(tp, copy);
          set_displayed(st, inner, GMIME_OBJECT(tp));
        }
    }
  /* The armored block is a leaf: the signature covers this part's signed text only. */
  for (guint i = 0; i < sigs->len; i++)
    g_ptr_array_add(((SmVerifySignature *)g_ptr_array_index(sigs, i))->covered_parts, g_strdup(id));
  return analyse_signed_entity(st, sigs, NULL, id, depth + 1, inner, error);
}

/* ---- the walk ---- */

static gboolean
count_part(SmVerifyState *st, guint depth, GError **error)
{
  guint64 max_depth = sm_limits_get(st->options->limits, SM_LIMIT_MIME_DEPTH);
  guint64 max_parts = sm_limits_get(st->options->limits, SM_LIMIT_MIME_PARTS);
  if (depth > max_depth)
    {
      g_set_error(error, SM_ERROR, SM_ERROR_LIMIT,
                  _("MIME nesting deeper than %" PRIu64 " levels (limit %s)"), max_depth,
                  sm_limits_name(SM_LIMIT_MIME_DEPTH));
      return FALSE;
    }
  if (++st->parts > max_parts)
    {
      g_set_error(error, SM_ERROR, SM_ERROR_LIMIT,
                  _("more than %" PRIu64 " MIME parts (limit %s)"), max_parts,
                  sm_limits_name(SM_LIMIT_MIME_PARTS));
      return FALSE;
    }
  return TRUE;
}

/* Records @id as covered by every signature whose signed entity encloses it. */
static void
cover(SmVerifyState *st, const char *id)
{
  for (guint i = 0; i < st->scopes->len; i++)
    {
      SmVerifySignature *sig = g_ptr_array_index(st->scopes, i);
      g_ptr_array_add(sig->covered_parts, g_strdup(id));
    }
}

static gboolean
analyse_children(SmVerifyState *st, GMimeMultipart *mp, const char *id, guint depth, Scope scope,
                 GError **error)
{
  int n = g_mime_multipart_get_count(mp);
  Scope inner = { FALSE, scope.forwarded };
  for (int i = 0; i < n; i++)
    {
      g_autofree char *cid = child_id(id, i);
      if (!analyse(st, g_mime_multipart_get_part(mp, i), cid, depth + 1, inner, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
analyse_message_part(SmVerifyState *st, GMimeMessagePart *mpart, const char *id, guint depth,
                     Scope scope, GError **error)
{
  GMimeMessage *inner = g_mime_message_part_get_message(mpart);
  if (inner == NULL || inner->mime_part == NULL)
    return TRUE;
  /* IMAP numbering: the body of a message/rfc822 part X is X (multipart) or X.1. */
  g_autofree char *body_id
      = GMIME_IS_MULTIPART(inner->mime_part) ? g_strdup(id) : g_strdup_printf("%s.1", id);
  return analyse(st, inner->mime_part, body_id, depth + 1, (Scope){ FALSE, TRUE }, error);
}

static gboolean
analyse_leaf(SmVerifyState *st, GMimeObject *obj, const char *id, guint depth, Scope scope,
             GError **error)
{
  if (type_is(obj, "application", "pkcs7-mime") || type_is(obj, "application", "x-pkcs7-mime"))
    return analyse_pkcs7(st, obj, id, depth, scope, error);
  if (type_is(obj, "text", "plain"))
    {
      gboolean handled = FALSE;
      if (!analyse_inline(st, obj, id, depth, scope, &handled, error))
        return FALSE;
      if (handled)
        return TRUE;
    }
  if (st->scopes->len == 0 && !scope.forwarded)
    st->unsigned_leaves++;
  return TRUE;
}

static gboolean
analyse(SmVerifyState *st, GMimeObject *obj, const char *id, guint depth, Scope scope,
        GError **error)
{
  if (!count_part(st, depth, error))
    return FALSE;
  const char *self_id = (*id == '\0' && !GMIME_IS_MULTIPART(obj)) ? "1" : id;
  cover(st, self_id);
  if (GMIME_IS_MULTIPART(obj))
    {
      GMimeMultipart *mp = GMIME_MULTIPART(obj);
      if (type_is(obj, "multipart", "signed"))
        {
          SmVerifyProtocol protocol = multipart_signed_protocol(mp);
          if (protocol != SM_VERIFY_PROTOCOL_NONE)
            return analyse_multipart_signed(st, mp, protocol, id, depth, scope, error);
          /* Not RFC 1847: shown as an ordinary multipart, and nothing in it is signed. */
          sm_verify_add_finding(st->result->findings, SM_VERIFY_FINDING_MALFORMED);
        }
      else if (type_is(obj, "multipart", "encrypted"))
        {
          return analyse_multipart_encrypted(st, mp, id, depth, scope, error);
        }
      return analyse_children(st, mp, id, depth, scope, error);
    }
  if (GMIME_IS_MESSAGE_PART(obj))
    return analyse_message_part(st, GMIME_MESSAGE_PART(obj), self_id, depth, scope, error);
  return analyse_leaf(st, obj, self_id, depth, scope, error);
}

/* ---- the final decision ---- */

/* Message-level findings that also keep every signature of the message from being verified. */
static const char *const disqualifying[] = {
  SM_VERIFY_FINDING_DISPLAY_NAME,    SM_VERIFY_FINDING_MULTIPLE_FROM,
  SM_VERIFY_FINDING_NO_FROM,         SM_VERIFY_FINDING_UNSIGNED_AROUND,
  SM_VERIFY_FINDING_MIXED_ENCRYPTED, SM_VERIFY_FINDING_SIGNATURE_LIMIT,
  SM_VERIFY_FINDING_LAYER_LIMIT,     SM_VERIFY_FINDING_MALFORMED,
};

static void
finalize_signature(SmVerifyState *st, SmVerifySignature *sig)
{
  gboolean forwarded = FALSE;
  for (guint i = 0; i < sig->findings->len; i++)
    if (strcmp(g_ptr_array_index(sig->findings, i), SM_VERIFY_FINDING_FORWARDED) == 0)
      forwarded = TRUE;
  if (!forwarded)
    {
      for (gsize i = 0; i < G_N_ELEMENTS(disqualifying); i++)
        if (sm_verify_result_has_finding(st->result, disqualifying[i]))
          sm_verify_add_finding(sig->findings, disqualifying[i]);
      /* Without the key nobody knows who signed: that is the unknown-key status, not a
       * mismatch. */
      if (!sig->from_matches && sig->status != SM_VERIFY_STATUS_UNKNOWN_KEY
          && sig->fingerprint != NULL && st->result->from_address != NULL)
        sm_verify_add_finding(sig->findings, SM_VERIFY_FINDING_SIGNER_MISMATCH);
    }
  if (sig->status == SM_VERIFY_STATUS_VALID_UNTRUSTED && sig->trusted && sig->from_matches
      && sig->covers_whole_body && sig->findings->len == 0)
    sig->status = SM_VERIFY_STATUS_VERIFIED;
}

SmVerifyVerdict
sm_verify_result_verdict(const SmVerifyResult *result)
{
  if (result->signatures->len == 0)
    return SM_VERIFY_VERDICT_UNSIGNED;
  for (gsize i = 0; i < G_N_ELEMENTS(disqualifying); i++)
    if (sm_verify_result_has_finding(result, disqualifying[i]))
      return SM_VERIFY_VERDICT_NOT_VERIFIED;
  for (guint i = 0; i < result->signatures->len; i++)
    {
      const SmVerifySignature *sig = g_ptr_array_index(result->signatures, i);
      if (sig->status == SM_VERIFY_STATUS_VERIFIED)
        return SM_VERIFY_VERDICT_VERIFIED;
    }
  return SM_VERIFY_VERDICT_NOT_VERIFIED;
}

SmVerifyResult *
sm_verify_message(GMimeMessage *message, const SmVerifyOptions *options, GError **error)
{
  static const SmVerifyOptions defaults = { NULL, FALSE };
  g_return_val_if_fail(GMIME_IS_MESSAGE(message), NULL);
  sm_message_init();
  g_autoptr(SmVerifyResult) result = g_new0(SmVerifyResult, 1);
  result->signatures = g_ptr_array_new_with_free_func((GDestroyNotify)sm_verify_signature_free);
  result->findings = g_ptr_array_new();
  SmVerifyState st = { options != NULL ? options : &defaults, result };
  st.scopes = g_ptr_array_new();

  sm_verify_check_from(&st, message);
  gboolean ok = TRUE;
  if (message->mime_part != NULL)
    {
      g_set_object(&result->displayed, message->mime_part);
      ok = analyse(&st, message->mime_part, "", 0, (Scope){ TRUE, FALSE }, error);
    }
  sm_verify_gpgme_release(&st);
  g_ptr_array_unref(st.scopes);
  if (!ok)
    return NULL;
  if (st.toplevel_sigs > 0 && st.unsigned_leaves > 0)
    sm_verify_add_finding(result->findings, SM_VERIFY_FINDING_UNSIGNED_AROUND);
  for (guint i = 0; i < result->signatures->len; i++)
    finalize_signature(&st, g_ptr_array_index(result->signatures, i));
  return g_steal_pointer(&result);
}
