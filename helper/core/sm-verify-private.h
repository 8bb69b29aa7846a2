/* sm-verify-private: what the parts of the verify module share: the walk state (sm-verify.c)
 * and the GPGME operations (sm-verify-gpgme.c). Not for use outside sm-verify*.c. */
#pragma once

#include <gpgme.h>
#include "sm-verify.h"

G_BEGIN_DECLS

typedef struct
{
  const SmVerifyOptions *options;
  SmVerifyResult *result;
  gpgme_ctx_t ctx[2];    /* OpenPGP and CMS, created on first use */
  guint layers;          /* crypto layers unwrapped so far */
  guint64 parts;         /* MIME parts visited, decrypted ones included */
  GPtrArray *scopes;     /* SmVerifySignature *: signatures whose signed entity we are in */
  guint unsigned_leaves; /* displayed leaves outside any signed entity and any forward */
  guint toplevel_sigs;   /* signatures outside forwarded messages */
} SmVerifyState;

typedef enum
{
  SM_VERIFY_DECRYPT_OK,
  SM_VERIFY_DECRYPT_NO_KEY,
  SM_VERIFY_DECRYPT_NO_MDC,
  SM_VERIFY_DECRYPT_FAILED,
} SmVerifyDecryptOutcome;

/* Each appends one SmVerifySignature per signature found to @sigs (at least one: a signature
 * that cannot be read at all is reported as bad, with the reason). */
void sm_verify_gpgme_detached(SmVerifyState *st, SmVerifyProtocol protocol, GBytes *content,
                              GBytes *signature, GPtrArray *sigs);
/* Opaque signed data (S/MIME signed-data, inline PGP clearsigned): returns the signed
 * content, or NULL when there is none to show. */
GBytes *sm_verify_gpgme_opaque(SmVerifyState *st, SmVerifyProtocol protocol, GBytes *signed_data,
                               GPtrArray *sigs);
/* Decrypts @cipher; on SM_VERIFY_DECRYPT_OK sets @plain and appends the signatures of a
 * combined signed+encrypted OpenPGP message to @sigs. Otherwise @reason says why. */
SmVerifyDecryptOutcome sm_verify_gpgme_decrypt(SmVerifyState *st, SmVerifyProtocol protocol,
                                               GBytes *cipher, GBytes **plain, GPtrArray *sigs,
                                               char **reason);
void sm_verify_gpgme_release(SmVerifyState *st);

SmVerifySignature *sm_verify_signature_new(SmVerifyProtocol protocol);
void sm_verify_signature_free(SmVerifySignature *sig);
/* Sets result->from_address and adds the From findings (sm-verify-from.c). */
void sm_verify_check_from(SmVerifyState *st, GMimeMessage *message);
/* Adds @finding (a static string) to @findings once. */
void sm_verify_add_finding(GPtrArray *findings, const char *finding);

G_END_DECLS
