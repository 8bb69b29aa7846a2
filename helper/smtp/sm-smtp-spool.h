/* sm-smtp-spool: the DATA phase of one transaction (RFC 5321 §4.1.1.4, §4.5.2): end-of-data
 * detection, dot-unstuffing, bare-LF normalisation and the size limit, written to a private
 * temporary file so that memory does not grow with the message. */
#pragma once

#include <glib.h>
#include "sm-net-line.h"

G_BEGIN_DECLS

typedef struct _SmSmtpSpool SmSmtpSpool;

/* A new spool file in @dir (mode 0600); messages over @max_bytes are read to the end and dropped.
 */
SmSmtpSpool *sm_smtp_spool_new(const char *dir, guint64 max_bytes, GError **error);
/* Removes the file. */
void sm_smtp_spool_free(SmSmtpSpool *spool);

/* One line (or piece of a line, @end = NONE) of DATA as read from the client. Returns TRUE when
 * it was the terminating "." line: only CR LF "." CR LF ends the data (a bare LF never does, so
 * no other server can read a different message boundary from the same bytes). */
gboolean sm_smtp_spool_feed(SmSmtpSpool *spool, const char *line, gsize len, SmNetLineEnd end);
/* Flushes and rewinds. FALSE with @error when writing failed at any point. */
gboolean sm_smtp_spool_finish(SmSmtpSpool *spool, GError **error);

gboolean sm_smtp_spool_overflowed(const SmSmtpSpool *spool);
guint64 sm_smtp_spool_size(const SmSmtpSpool *spool);
/* Lines that ended in a bare LF (stored as CR LF). */
guint sm_smtp_spool_bare_lf_lines(const SmSmtpSpool *spool);
/* TRUE when a byte >= 0x80 was seen (the message needs 8BITMIME or SMTPUTF8 upstream). */
gboolean sm_smtp_spool_has_8bit(const SmSmtpSpool *spool);
const char *sm_smtp_spool_path(const SmSmtpSpool *spool);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(SmSmtpSpool, sm_smtp_spool_free)

G_END_DECLS
