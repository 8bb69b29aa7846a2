/* sm-error: the one error domain of sealmail.
 * Foreign errors (GPGME, GMime, OpenSSL, GIO) are converted where they enter. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define SM_ERROR (sm_error_quark())

typedef enum {
  SM_ERROR_FAILED,        /* anything else */
  SM_ERROR_INVALID_INPUT, /* not a message, broken syntax */
  SM_ERROR_LIMIT,         /* a named limit was exceeded */
  SM_ERROR_IO,            /* reading or writing failed */
  SM_ERROR_CRYPTO,        /* GPGME / OpenSSL failure */
  SM_ERROR_NOT_FOUND,     /* key, certificate, file, account */
  SM_ERROR_POLICY,        /* refused by policy */
  SM_ERROR_TLS,           /* TLS handshake or verification */
  SM_ERROR_PROTOCOL,      /* a peer broke the protocol */
  SM_ERROR_TEMPORARY,     /* try again later */
} SmError;

GQuark sm_error_quark(void);

/* Converts a GPGME error code into a GError in SM_ERROR_CRYPTO with context. */
gboolean sm_error_from_gpgme(GError **error, unsigned int gpg_err, const char *context);

G_END_DECLS
