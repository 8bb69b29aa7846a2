/* sm-verify: signatures and decryption of a received message, and the honest verdict.
 *
 * Unwraps PGP/MIME (RFC 3156) signed and encrypted parts, inline PGP (clearsigned and
 * encrypted, RFC 4880 armor), S/MIME (RFC 8551) detached multipart/signed and opaque
 * application/pkcs7-mime signed-data and enveloped-data, nested in any order, through GPGME for
 * both protocols. GMime gives the MIME tree and the canonical (CRLF) form of signed content.
 *
 * A signature is "verified" only when it is cryptographically valid, the key or certificate is
 * valid and trusted per the user's own keyring and trust settings (GNUPGHOME), the signer's
 * address equals the one From address, the signature covers the whole displayed body, and no
 * finding below applies. Everything else is reported as what it is, with named findings.
 *
 * Findings (kebab-case strings, stable: scripts and the plugin match on them):
 *
 *   name                              level      meaning
 *   inner-part-signature              signature  covers only an inner MIME part, not the body
 *   forwarded-signature               signature  inside a forwarded message (message/rfc822)
 *   signer-differs-from-from          signature  no valid user id / certificate address of the
 *                                                signer equals the From address
 *   signer-address-untrusted          signature  the user id matching From is not fully valid
 *   key-untrusted                     signature  good signature, key or chain not trusted
 *   signature-check-failed            signature  GPGME could not check it (reason in text)
 *   display-name-impersonation        both       From's display name holds an address that is
 *                                                not the real From address
 *   multiple-from                     both       From has more than one mailbox (or a group)
 *   no-from                           both       From is missing or has no address
 *   unsigned-text-around-signed       both       displayed parts (or inline text) outside the
 *                                                signed part
 *   encrypted-part-mixed-with-plain   message    an encrypted part next to unencrypted parts:
 *                                                not decrypted, never merged (EFAIL)
 *   no-integrity-protection           message    OpenPGP data without MDC: plaintext refused
 *   smime-unauthenticated-encryption  message    S/MIME enveloped-data (CBC, no integrity)
 *   not-decrypted-no-key              message    encrypted to keys the user does not have
 *   decryption-failed                 message    decryption failed for another reason
 *   crypto-layer-limit                message    more nested layers than SM_LIMIT_CRYPTO_LAYERS
 *   signature-limit                   message    more signatures than SM_LIMIT_SIGNATURES
 *   malformed-crypto-structure        message    a signed/encrypted part that breaks RFC 1847
 *
 * Limits: SM_LIMIT_CRYPTO_LAYERS, SM_LIMIT_SIGNATURES, SM_LIMIT_MIME_DEPTH, SM_LIMIT_MIME_PARTS,
 * and SM_LIMIT_MESSAGE_BYTES for any decrypted or unwrapped plaintext. */
#pragma once

#include <gmime/gmime.h>
#include <json-glib/json-glib.h>
#include "sm-limits.h"

G_BEGIN_DECLS

#define SM_VERIFY_FINDING_INNER_PART "inner-part-signature"
#define SM_VERIFY_FINDING_FORWARDED "forwarded-signature"
#define SM_VERIFY_FINDING_SIGNER_MISMATCH "signer-differs-from-from"
#define SM_VERIFY_FINDING_SIGNER_UID_UNTRUSTED "signer-address-untrusted"
#define SM_VERIFY_FINDING_KEY_UNTRUSTED "key-untrusted"
#define SM_VERIFY_FINDING_CHECK_FAILED "signature-check-failed"
#define SM_VERIFY_FINDING_DISPLAY_NAME "display-name-impersonation"
#define SM_VERIFY_FINDING_MULTIPLE_FROM "multiple-from"
#define SM_VERIFY_FINDING_NO_FROM "no-from"
#define SM_VERIFY_FINDING_UNSIGNED_AROUND "unsigned-text-around-signed"
#define SM_VERIFY_FINDING_MIXED_ENCRYPTED "encrypted-part-mixed-with-plain"
#define SM_VERIFY_FINDING_NO_MDC "no-integrity-protection"
#define SM_VERIFY_FINDING_SMIME_CBC "smime-unauthenticated-encryption"
#define SM_VERIFY_FINDING_NO_SECRET_KEY "not-decrypted-no-key"
#define SM_VERIFY_FINDING_DECRYPT_FAILED "decryption-failed"
#define SM_VERIFY_FINDING_LAYER_LIMIT "crypto-layer-limit"
#define SM_VERIFY_FINDING_SIGNATURE_LIMIT "signature-limit"
#define SM_VERIFY_FINDING_MALFORMED "malformed-crypto-structure"

typedef enum
{
  SM_VERIFY_PROTOCOL_NONE,
  SM_VERIFY_PROTOCOL_OPENPGP,
  SM_VERIFY_PROTOCOL_SMIME,
} SmVerifyProtocol;

typedef enum
{
  SM_VERIFY_STATUS_VERIFIED,
  SM_VERIFY_STATUS_VALID_UNTRUSTED, /* valid, but not everything "verified" needs */
  SM_VERIFY_STATUS_BAD,             /* does not match the content, or cannot be checked */
  SM_VERIFY_STATUS_UNKNOWN_KEY,
  SM_VERIFY_STATUS_EXPIRED, /* key, certificate or signature expired */
  SM_VERIFY_STATUS_REVOKED,
} SmVerifyStatus;

typedef enum
{
  SM_VERIFY_VERDICT_VERIFIED,
  SM_VERIFY_VERDICT_NOT_VERIFIED,
  SM_VERIFY_VERDICT_UNSIGNED,
} SmVerifyVerdict;

typedef struct
{
  SmVerifyProtocol protocol;
  SmVerifyStatus status;
  gboolean valid;   /* the signature matches the content */
  gboolean trusted; /* the key is fully valid, or the certificate chains to a trusted root */
  char *name;       /* signer, from the key or certificate; untrusted text, may be NULL */
  char *address;    /* the user id / certificate address matching From, else the first one */
  char *fingerprint;
  char *issuer;             /* S/MIME: issuer DN of the signer's certificate */
  gint64 signing_time;      /* seconds since the epoch, 0 when unknown */
  char *part_id;            /* the signed MIME entity ("" = the whole body), displayed numbering */
  GPtrArray *covered_parts; /* char *: every part id inside the signed entity */
  gboolean from_matches;
  gboolean covers_whole_body;
  GPtrArray *findings; /* const char *: SM_VERIFY_FINDING_* */
  char *error;         /* why GPGME could not check it, or NULL */
} SmVerifySignature;

typedef struct
{
  GPtrArray *signatures; /* SmVerifySignature * */
  gboolean encrypted;
  gboolean decrypted; /* every encrypted layer was decrypted and its plaintext used */
  SmVerifyProtocol encryption_protocol;
  GPtrArray *findings; /* const char *: message-level SM_VERIFY_FINDING_* */
  char *from_address;  /* bare lower-case address of the only From mailbox, or NULL */
  /* The body as a mail client displays it: decrypted and unwrapped layers replaced by their
   * content where that is safe (never merged with unencrypted parts). */
  GMimeObject *displayed;
  char *decryption_error; /* why the first undecrypted layer was not decrypted, or NULL */
} SmVerifyResult;

typedef struct
{
  const SmLimits *limits;
  /* Analyse the structure only and never call GPGME (fuzzing, tests of the walk): every
   * signature is reported as bad with the error "not checked". */
  gboolean structure_only;
} SmVerifyOptions;

/* Verifies every signature and decrypts what it can with the keys of GNUPGHOME. Fails only
 * when the MIME tree breaks a limit (SM_ERROR_LIMIT) or GPGME cannot start (SM_ERROR_CRYPTO);
 * bad signatures and undecryptable parts are results, not errors. */
SmVerifyResult *sm_verify_message(GMimeMessage *message, const SmVerifyOptions *options,
                                  GError **error);
void sm_verify_result_free(SmVerifyResult *result);

SmVerifyVerdict sm_verify_result_verdict(const SmVerifyResult *result);
/* One line for people, e.g. "Signed by Alice <alice@example.org>: verified (OpenPGP)". */
char *sm_verify_result_text(const SmVerifyResult *result);
gboolean sm_verify_result_has_finding(const SmVerifyResult *result, const char *finding);

const char *sm_verify_status_name(SmVerifyStatus status);
const char *sm_verify_protocol_name(SmVerifyProtocol protocol);
const char *sm_verify_verdict_name(SmVerifyVerdict verdict);
/* A sentence for people explaining @finding, or NULL for an unknown name. */
const char *sm_verify_finding_describe(const char *finding);

/* The "signatures" array and the "encryption" object of the inspect contract. */
JsonNode *sm_verify_signatures_to_json(const SmVerifyResult *result);
JsonNode *sm_verify_encryption_to_json(const SmVerifyResult *result);
/* The message-level findings as an array of strings. */
JsonNode *sm_verify_findings_to_json(const SmVerifyResult *result);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(SmVerifyResult, sm_verify_result_free)

G_END_DECLS
