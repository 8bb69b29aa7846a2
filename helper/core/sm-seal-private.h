/* sm-seal-private: what the files of the seal module share; not a public header.
 *
 *   sm-seal.c          the plan loop: one outgoing message per group (orchestration)
 *   sm-seal-gpgme.c    GPGME for both protocols: keys, streaming sign / encrypt, key export
 *   sm-seal-openpgp.c  PGP/MIME structures (RFC 3156)
 *   sm-seal-smime.c    S/MIME structures (RFC 8551)
 *   sm-seal-headers.c  outer headers, protected headers (RFC 9788), Autocrypt (Level 1) */
#pragma once

#include <gpgme.h>
#include "sm-autocleanups.h"
#include "sm-seal.h"

G_BEGIN_DECLS

/* --- sm-seal-gpgme.c */

/* A GPGME context for @protocol on @gnupg_home (NULL = the user's default). */
gpgme_ctx_t sm_seal_gpgme_context(SmProtocol protocol, const char *gnupg_home, GError **error);
/* The sender's usable secret key for signing: valid, can sign, a user ID whose address is exactly
 * @address. NULL without an error when there is none. */
gpgme_key_t sm_seal_gpgme_find_signer(gpgme_ctx_t ctx, const char *address, GError **error);
/* Signs the canonical (CRLF) form of @entity, streamed; returns the detached signature and the
 * micalg name for multipart/signed ("pgp-sha256" or "sha-256"). */
GBytes *sm_seal_gpgme_sign(gpgme_ctx_t ctx, gpgme_key_t signer, GMimeObject *entity, char **micalg,
                           GError **error);
/* Encrypts the canonical form of @entity to @recipients (fingerprints, one a line), signed in
 * the same OpenPGP message when @signer is set; the ciphertext goes to an unlinked temporary
 * file. A recipient key missing from the keyring is SM_ERROR_NOT_FOUND. */
GMimeStream *sm_seal_gpgme_encrypt(gpgme_ctx_t ctx, const char *recipients, gpgme_key_t signer,
                                   GMimeObject *entity, GError **error);
/* The minimal binary export of an OpenPGP key for Autocrypt, refused above @max_bytes. */
GBytes *sm_seal_gpgme_export_minimal(gpgme_ctx_t ctx, const char *fingerprint, guint64 max_bytes,
                                     GError **error);

/* --- sm-seal-openpgp.c and sm-seal-smime.c: MIME structures around GPGME output */

GMimeObject *sm_seal_openpgp_signed(GMimeObject *content, GBytes *signature, const char *micalg);
GMimeObject *sm_seal_openpgp_encrypted(GMimeStream *ciphertext);
GMimeObject *sm_seal_smime_signed(GMimeObject *content, GBytes *signature, const char *micalg);
GMimeObject *sm_seal_smime_enveloped(GMimeStream *ciphertext);

/* --- sm-seal-headers.c */

/* The header fields every copy starts from: those of @source without Bcc, plus a Date and a
 * Message-ID when @source has none (so that all copies and their protected headers agree). */
GMimeMessage *sm_seal_headers_template(GMimeMessage *source);
/* A new message with the header fields of @template, the Subject replaced by "[...]" when
 * @obscure_subject (RFC 9788 hcp_baseline), and @body as its MIME part. */
GMimeMessage *sm_seal_headers_outer(GMimeMessage *template_msg, gboolean obscure_subject,
                                    GMimeObject *body);
/* A shallow copy of @part (children and content shared, not copied) to carry protected headers
 * without changing the caller's message. */
GMimeObject *sm_seal_headers_clone_part(GMimeObject *part);
/* RFC 9788 on the cryptographic payload root @payload: copies of the header fields of @template,
 * Content-Type parameter hp="cipher" (or "clear" when signed only), and for encrypted messages
 * one HP-Outer field per header field of @outer. */
void sm_seal_headers_protect(GMimeObject *payload, GMimeMessage *template_msg, GMimeMessage *outer);
/* Adds an Autocrypt (or Autocrypt-Gossip when @gossip) header field to @object. */
void sm_seal_headers_add_autocrypt(GMimeObject *object, const char *address, GBytes *keydata,
                                   gboolean prefer_mutual, gboolean gossip);

G_END_DECLS
