/* sm-message: reading one RFC 5322 message through GMime, with limits enforced before
 * GMime sees the bytes (header block size, header count, MIME depth and part count). */
#pragma once

#include <gmime/gmime.h>
#include "sm-autocleanups.h"
#include "sm-limits.h"

G_BEGIN_DECLS

/* Initialises GMime and GPGME once per process; safe to call many times. */
void sm_message_init(void);

/* Parses @path ("-" is standard input). Errors: SM_ERROR_INVALID_INPUT for something that is
 * not a message, SM_ERROR_LIMIT when a named limit is exceeded, SM_ERROR_IO. */
GMimeMessage *sm_message_parse_file(const char *path, const SmLimits *limits, GError **error);
GMimeMessage *sm_message_parse_bytes(GBytes *bytes, const SmLimits *limits, GError **error);
/* Parses decrypted or unwrapped content as one MIME entity (headers, then body), with the same
 * limits; used for the plaintext of signed-data and encrypted parts. */
GMimeObject *sm_message_parse_entity(GBytes *bytes, const SmLimits *limits, GError **error);
/* Like sm_message_parse_file, without reading a regular file into memory: the parts read their
 * content from the file when needed, so the file must not change while the message is in use.
 * Standard input ("-") and other non-regular files are read into memory as before. */
GMimeMessage *sm_message_parse_file_streamed(const char *path, const SmLimits *limits,
                                             GError **error);
/* Reads a whole file or stdin into memory, refusing more than SM_LIMIT_MESSAGE_BYTES. */
GBytes *sm_message_read_all(const char *path, const SmLimits *limits, GError **error);

/* Callback for sm_message_walk: @part_id is "1", "1.2", ... (IMAP-style); @depth starts at 0. */
typedef gboolean (*SmMessageWalkFunc)(GMimeObject *part, const char *part_id, guint depth,
                                      gpointer user_data);
/* Depth-first walk of the MIME tree, bounded by SM_LIMIT_MIME_DEPTH and SM_LIMIT_MIME_PARTS.
 * Enters message/rfc822 parts. Returning FALSE from @func stops the walk. */
gboolean sm_message_walk(GMimeObject *root, const SmLimits *limits, SmMessageWalkFunc func,
                         gpointer user_data, GError **error);

/* The bare lower-case address of the first From mailbox, or NULL. */
char *sm_message_from_address(GMimeMessage *message);

G_END_DECLS
