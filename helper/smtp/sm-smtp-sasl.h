/* sm-smtp-sasl: the SASL messages sealmaild relays for AUTH (RFC 4954): PLAIN (RFC 4616) and
 * LOGIN (draft-murchison-sasl-login), decoded from and encoded to base64. Credentials only pass
 * through memory and are wiped with sm_smtp_sasl_wipe(); they are never logged or stored. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Decodes a base64 SASL response ("=" is the empty response) into text without NUL bytes. */
char *sm_smtp_sasl_decode_text(const char *b64);
/* Decodes a PLAIN message: [authzid] NUL authcid NUL passwd. */
gboolean sm_smtp_sasl_decode_plain(const char *b64, char **authzid, char **user, char **password);
/* Encodes a PLAIN message for the upstream server. */
char *sm_smtp_sasl_encode_plain(const char *authzid, const char *user, const char *password);
/* Overwrites and frees a secret. */
void sm_smtp_sasl_wipe(char *secret);

G_END_DECLS
