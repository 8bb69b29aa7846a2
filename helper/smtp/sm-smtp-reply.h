/* sm-smtp-reply: one SMTP reply (RFC 5321 §4.2): a code and one or more text lines, each line
 * starting with its enhanced status code (RFC 3463, RFC 2034 ENHANCEDSTATUSCODES). Used for the
 * replies sealmaild gives and for those it relays from the upstream server. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  guint code; /* 200..599 */
  char *text; /* lines separated by '\n', without the code, e.g. "5.7.1 Not sent: ..." */
} SmSmtpReply;

/* A reply whose text is @enhanced (may be NULL), a space and the formatted text. A '\n' in the
 * text starts a new line, each prefixed with @enhanced. */
SmSmtpReply *sm_smtp_reply_new(guint code, const char *enhanced, const char *format, ...)
    G_GNUC_PRINTF(3, 4);
SmSmtpReply *sm_smtp_reply_new_raw(guint code, const char *text);
SmSmtpReply *sm_smtp_reply_copy(const SmSmtpReply *reply);
void sm_smtp_reply_free(SmSmtpReply *reply);
/* Appends "CODE-line\r\n ... CODE line\r\n" to @out; control characters in the text are
 * replaced so that a relayed reply can never inject protocol lines. */
void sm_smtp_reply_format(const SmSmtpReply *reply, GString *out);
/* 2xx or 3xx. */
gboolean sm_smtp_reply_is_positive(const SmSmtpReply *reply);
/* The first line, sanitised, for logs and error messages. */
char *sm_smtp_reply_summary(const SmSmtpReply *reply);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(SmSmtpReply, sm_smtp_reply_free)

G_END_DECLS
