/* sm-verify-json: how a verification result is shown: the "signatures", "encryption" and
 * "findings" members of the `sealmail inspect --json` contract (docs/json.md), the names of the
 * enums, a sentence per finding and the one-line verdict for people. Signer names come from
 * keys and certificates anyone can make: they are sanitised before they are shown. */
#include "sm-verify-private.h"
#include "sm-json.h"

#include <glib/gi18n.h>
#include <string.h>

/* Longest signer name shown, in characters. */
#define SIGNER_NAME_CHARS 128

typedef struct
{
  const char *name;
  const char *description;
} FindingText;

static const FindingText finding_texts[] = {
  { SM_VERIFY_FINDING_INNER_PART, N_("the signature covers only one part of the message") },
  { SM_VERIFY_FINDING_FORWARDED,
    N_("the signature belongs to a forwarded message, not to this one") },
  { SM_VERIFY_FINDING_SIGNER_MISMATCH, N_("the signer is not the sender shown in From") },
  { SM_VERIFY_FINDING_SIGNER_UID_UNTRUSTED,
    N_("the key's user id for the From address is not certified as valid") },
  { SM_VERIFY_FINDING_KEY_UNTRUSTED,
    N_("the signature is valid but the key or certificate is not trusted") },
  { SM_VERIFY_FINDING_CHECK_FAILED, N_("the signature could not be checked") },
  { SM_VERIFY_FINDING_DISPLAY_NAME,
    N_("the sender's display name shows an address that is not the real From address") },
  { SM_VERIFY_FINDING_MULTIPLE_FROM, N_("the message has more than one From address") },
  { SM_VERIFY_FINDING_NO_FROM, N_("the message has no From address") },
  { SM_VERIFY_FINDING_UNSIGNED_AROUND, N_("unsigned content is shown next to the signed content") },
  { SM_VERIFY_FINDING_MIXED_ENCRYPTED,
    N_("an encrypted part sits next to unencrypted parts; it was not decrypted (EFAIL)") },
  { SM_VERIFY_FINDING_NO_MDC,
    N_("the encrypted data has no integrity protection (no MDC); the plaintext was refused") },
  { SM_VERIFY_FINDING_SMIME_CBC,
    N_("S/MIME encryption without integrity protection (CBC); the content could be altered") },
  { SM_VERIFY_FINDING_NO_SECRET_KEY, N_("the message is encrypted to keys you do not have") },
  { SM_VERIFY_FINDING_DECRYPT_FAILED, N_("the message could not be decrypted") },
  { SM_VERIFY_FINDING_LAYER_LIMIT, N_("too many nested signed or encrypted layers") },
  { SM_VERIFY_FINDING_SIGNATURE_LIMIT, N_("too many signatures; the rest were not checked") },
  { SM_VERIFY_FINDING_MALFORMED, N_("a signed or encrypted part is malformed") },
};

const char *
sm_verify_finding_describe(const char *finding)
{
  for (gsize i = 0; i < G_N_ELEMENTS(finding_texts); i++)
    if (g_strcmp0(finding, finding_texts[i].name) == 0)
      return _(finding_texts[i].description);
  return NULL;
}

const char *
sm_verify_status_name(SmVerifyStatus status)
{
  static const char *const names[]
      = { "verified", "valid-untrusted", "bad", "unknown-key", "expired", "revoked" };
  g_return_val_if_fail(status < G_N_ELEMENTS(names), NULL);
  return names[status];
}

const char *
sm_verify_protocol_name(SmVerifyProtocol protocol)
{
  switch (protocol)
    {
      case SM_VERIFY_PROTOCOL_OPENPGP:
        return "openpgp";
      case SM_VERIFY_PROTOCOL_SMIME:
        return "smime";
      default:
        return NULL;
    }
}

const char *
sm_verify_verdict_name(SmVerifyVerdict verdict)
{
  static const char *const names[] = { "verified", "not-verified", "unsigned" };
  g_return_val_if_fail(verdict < G_N_ELEMENTS(names), NULL);
  return names[verdict];
}

static char *
iso_time(gint64 t)
{
  if (t <= 0)
    return NULL;
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(t);
  return dt != NULL ? g_date_time_format_iso8601(dt) : NULL;
}

static void
add_string_array(JsonBuilder *b, const char *name, GPtrArray *items)
{
  json_builder_set_member_name(b, name);
  json_builder_begin_array(b);
  for (guint i = 0; i < items->len; i++)
    json_builder_add_string_value(b, g_ptr_array_index(items, i));
  json_builder_end_array(b);
}

static void
add_signature(JsonBuilder *b, const SmVerifySignature *sig)
{
  g_autofree char *name = sm_json_sanitize(sig->name, -1, SIGNER_NAME_CHARS);
  g_autofree char *address = sm_json_sanitize(sig->address, -1, SIGNER_NAME_CHARS);
  g_autofree char *issuer = sm_json_sanitize(sig->issuer, -1, 0);
  g_autofree char *when = iso_time(sig->signing_time);
  json_builder_begin_object(b);
  sm_json_add_string_or_null(b, "protocol", sm_verify_protocol_name(sig->protocol));
  sm_json_add_string_or_null(b, "status", sm_verify_status_name(sig->status));
  json_builder_set_member_name(b, "signer");
  json_builder_begin_object(b);
  sm_json_add_string_or_null(b, "name", name);
  sm_json_add_string_or_null(b, "address", address);
  sm_json_add_string_or_null(b, "fingerprint", sig->fingerprint);
  sm_json_add_string_or_null(b, "issuer", issuer);
  json_builder_end_object(b);
  json_builder_set_member_name(b, "valid");
  json_builder_add_boolean_value(b, sig->valid);
  json_builder_set_member_name(b, "trusted");
  json_builder_add_boolean_value(b, sig->trusted);
  sm_json_add_string_or_null(b, "signing_time", when);
  sm_json_add_string_or_null(b, "part", sig->part_id);
  add_string_array(b, "covered_parts", sig->covered_parts);
  json_builder_set_member_name(b, "from_matches");
  json_builder_add_boolean_value(b, sig->from_matches);
  json_builder_set_member_name(b, "covers_whole_body");
  json_builder_add_boolean_value(b, sig->covers_whole_body);
  add_string_array(b, "findings", sig->findings);
  sm_json_add_string_or_null(b, "error", sig->error);
  json_builder_end_object(b);
}

JsonNode *
sm_verify_signatures_to_json(const SmVerifyResult *result)
{
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_array(b);
  for (guint i = 0; i < result->signatures->len; i++)
    add_signature(b, g_ptr_array_index(result->signatures, i));
  json_builder_end_array(b);
  return json_builder_get_root(b);
}

JsonNode *
sm_verify_encryption_to_json(const SmVerifyResult *result)
{
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "encrypted");
  json_builder_add_boolean_value(b, result->encrypted);
  sm_json_add_string_or_null(b, "protocol", sm_verify_protocol_name(result->encryption_protocol));
  json_builder_set_member_name(b, "decrypted");
  json_builder_add_boolean_value(b, result->encrypted && result->decrypted);
  sm_json_add_string_or_null(b, "error", result->decryption_error);
  json_builder_end_object(b);
  return json_builder_get_root(b);
}

JsonNode *
sm_verify_findings_to_json(const SmVerifyResult *result)
{
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_array(b);
  for (guint i = 0; i < result->findings->len; i++)
    json_builder_add_string_value(b, g_ptr_array_index(result->findings, i));
  json_builder_end_array(b);
  return json_builder_get_root(b);
}

/* "Alice <alice@example.org>", or whichever of the two is known. */
static char *
signer_label(const SmVerifySignature *sig)
{
  g_autofree char *name = sm_json_sanitize(sig->name, -1, SIGNER_NAME_CHARS);
  g_autofree char *address = sm_json_sanitize(sig->address, -1, SIGNER_NAME_CHARS);
  if (name != NULL && address != NULL)
    return g_strdup_printf("%s <%s>", name, address);
  if (name != NULL || address != NULL)
    return g_strdup(name != NULL ? name : address);
  if (sig->fingerprint != NULL)
    return g_strdup_printf(_("key %s"), sig->fingerprint);
  return g_strdup(_("an unknown signer"));
}

static const char *
protocol_label(SmVerifyProtocol protocol)
{
  return protocol == SM_VERIFY_PROTOCOL_SMIME ? "S/MIME" : "OpenPGP";
}

/* The signature the verdict talks about: a verified one, else the first. */
static const SmVerifySignature *
main_signature(const SmVerifyResult *result)
{
  for (guint i = 0; i < result->signatures->len; i++)
    {
      const SmVerifySignature *sig = g_ptr_array_index(result->signatures, i);
      if (sig->status == SM_VERIFY_STATUS_VERIFIED)
        return sig;
    }
  return g_ptr_array_index(result->signatures, 0);
}

static const char *
first_finding(const SmVerifyResult *result, const SmVerifySignature *sig)
{
  if (result->findings->len > 0)
    return g_ptr_array_index(result->findings, 0);
  return sig->findings->len > 0 ? g_ptr_array_index(sig->findings, 0) : NULL;
}

static const char *
status_phrase(SmVerifyStatus status)
{
  switch (status)
    {
      case SM_VERIFY_STATUS_VERIFIED:
        return _("verified");
      case SM_VERIFY_STATUS_VALID_UNTRUSTED:
        return _("valid signature, not verified");
      case SM_VERIFY_STATUS_BAD:
        return _("BAD signature");
      case SM_VERIFY_STATUS_UNKNOWN_KEY:
        return _("signed with a key you do not have");
      case SM_VERIFY_STATUS_EXPIRED:
        return _("signed with an expired key or certificate");
      case SM_VERIFY_STATUS_REVOKED:
        return _("signed with a REVOKED key or certificate");
    }
  return "";
}

char *
sm_verify_result_text(const SmVerifyResult *result)
{
  if (result->signatures->len == 0)
    {
      const char *f = result->findings->len > 0 ? g_ptr_array_index(result->findings, 0) : NULL;
      if (f != NULL)
        return g_strdup_printf(_("Not signed: %s."), sm_verify_finding_describe(f));
      return g_strdup(result->encrypted ? _("Encrypted, not signed: the sender is not proven.")
                                        : _("Not signed: the sender is not proven."));
    }
  const SmVerifySignature *sig = main_signature(result);
  g_autofree char *who = signer_label(sig);
  if (sm_verify_result_verdict(result) == SM_VERIFY_VERDICT_VERIFIED)
    return g_strdup_printf(_("Signed by %s: verified (%s)."), who, protocol_label(sig->protocol));
  const char *f = first_finding(result, sig);
  if (f != NULL)
    return g_strdup_printf(_("Signed by %s: %s (%s): %s."), who, status_phrase(sig->status),
                           protocol_label(sig->protocol), sm_verify_finding_describe(f));
  return g_strdup_printf(_("Signed by %s: %s (%s)."), who, status_phrase(sig->status),
                         protocol_label(sig->protocol));
}
