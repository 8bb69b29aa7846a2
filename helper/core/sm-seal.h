/* sm-seal: building the outgoing messages of a plan: PGP/MIME (RFC 3156) or S/MIME (RFC 8551),
 * signed, encrypted to the recipients and to self, with protected headers and Autocrypt.
 * CONTRACT used by the CLI (seal) and the SMTP proxy; add, never rename. */
#pragma once

#include <gmime/gmime.h>
#include "sm-limits.h"
#include "sm-policy.h"

G_BEGIN_DECLS

typedef struct {
  const char *gnupg_home;   /* NULL = default */
  gboolean sign;            /* sign with the sender's key / certificate */
  gboolean protect_headers; /* real Subject inside, neutral outer Subject */
  gboolean autocrypt;       /* Autocrypt header and gossip */
  /* added by the seal module: */
  SmProtocol sign_protocol;       /* for groups sent unencrypted (plain, require-tls) with sign */
  gboolean prefer_encrypt_mutual; /* Autocrypt prefer-encrypt=mutual */
  const SmLimits *limits;         /* NULL = the defaults */
} SmSealOptions;

typedef struct {
  SmPlanGroup *group;    /* borrowed from the plan */
  GMimeMessage *message; /* the message to send to group->recipients */
  char **envelope_rcpts; /* NULL-terminated RCPT TO addresses for this copy */
  /* added by the seal module: */
  gboolean is_signed;      /* signed with the sender's key for the group's protocol */
  gboolean self_encrypted; /* the sender can decrypt it (Sent copy) */
} SmSealedMessage;

/* One sealed message per plan group, in plan order. A blocked plan is an SM_ERROR_POLICY error.
 * Encrypted groups are signed whenever the sender (plan->sender) has a usable secret key of the
 * group's protocol; plain and require-tls groups only with options->sign. Bcc is removed from
 * every copy. When any copy is signed or encrypted, @message's leaf parts get a 7-bit-safe
 * transfer encoding (quoted-printable or base64), as signed MIME requires (RFC 3156 section 3),
 * which plain copies of the same plan share; the content is unchanged.
 * The sealed bodies read their ciphertext from unlinked temporary files (TMPDIR), so a large
 * attachment costs disk, not memory; plaintext is never written to disk. */
GPtrArray *sm_seal_plan(const SmPlan *plan, GMimeMessage *message, const SmSealOptions *options,
                        GError **error); /* of SmSealedMessage*, free with sm_sealed_message_free */
void sm_sealed_message_free(SmSealedMessage *sealed);

/* Fills @options from the [seal] group of @kf (may be NULL); keys not present keep the values
 * already in @options. Keys: sign, protect-headers, autocrypt (booleans), prefer-encrypt
 * (mutual | nopreference), sign-protocol (openpgp | smime). gnupg_home and limits are left to
 * the caller. */
gboolean sm_seal_options_load(SmSealOptions *options, GKeyFile *kf, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(SmSealedMessage, sm_sealed_message_free)

G_END_DECLS
