/* sm-smtp-parse: pure parsers of the SMTP protocol, bytes in and results out, no I/O:
 * client command lines (RFC 5321 §4.1, with the MAIL/RCPT parameters of RFC 1870 SIZE,
 * RFC 6152 8BITMIME, RFC 6531 SMTPUTF8, RFC 8689 REQUIRETLS, RFC 4954 AUTH), server reply lines
 * and EHLO keywords. Each has a fuzz target (tests/fuzz/fuzz-smtp.c). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  SM_SMTP_VERB_UNKNOWN,
  SM_SMTP_VERB_HELO,
  SM_SMTP_VERB_EHLO,
  SM_SMTP_VERB_STARTTLS,
  SM_SMTP_VERB_AUTH,
  SM_SMTP_VERB_MAIL,
  SM_SMTP_VERB_RCPT,
  SM_SMTP_VERB_DATA,
  SM_SMTP_VERB_RSET,
  SM_SMTP_VERB_NOOP,
  SM_SMTP_VERB_QUIT,
  SM_SMTP_VERB_HELP,
  SM_SMTP_VERB_VRFY,
  SM_SMTP_VERB_EXPN,
  SM_SMTP_VERB_BDAT,
  SM_SMTP_VERB_COUNT
} SmSmtpVerb;

typedef struct
{
  char *keyword; /* upper case */
  char *value;   /* NULL when the parameter has no "=value" */
} SmSmtpParam;

typedef struct
{
  SmSmtpVerb verb;
  char *arg;         /* HELO/EHLO domain, AUTH mechanism (upper case), VRFY/HELP/NOOP text */
  char *initial;     /* AUTH initial response, or NULL */
  char *path;        /* MAIL/RCPT address without angle brackets; "" for the null reverse-path */
  GPtrArray *params; /* of SmSmtpParam*, MAIL and RCPT only */
} SmSmtpCommand;

typedef enum
{
  SM_SMTP_PARSE_OK,
  SM_SMTP_PARSE_UNKNOWN, /* not a command we know: 500 5.5.2 */
  SM_SMTP_PARSE_SYNTAX,  /* a known command with bad arguments: 501 5.5.4 */
} SmSmtpParseResult;

/* Parses one command line (without CR LF). On SM_SMTP_PARSE_SYNTAX, *@why is a static English
 * reason for the reply text. @cmd is cleared first and must be cleared by the caller. */
SmSmtpParseResult sm_smtp_parse_command(const char *line, gsize len, SmSmtpCommand *cmd,
                                        const char **why);
void sm_smtp_command_clear(SmSmtpCommand *cmd);
/* The parameter @keyword (case-insensitive) of @cmd, or NULL. */
const SmSmtpParam *sm_smtp_command_param(const SmSmtpCommand *cmd, const char *keyword);
const char *sm_smtp_verb_name(SmSmtpVerb verb);

/* One reply line "DDD-text" or "DDD text": the code and whether more lines follow. */
gboolean sm_smtp_parse_reply_line(const char *line, gsize len, guint *code, gboolean *more,
                                  const char **text, gsize *text_len);
/* An enhanced status code "c.s.d" at the start of @text (RFC 3463): its length, else 0. */
gsize sm_smtp_parse_enhanced_code(const char *text, gsize len);

/* Checks an address for a path: dot-atom or quoted local part, "@", domain or address literal,
 * at most 256 octets (RFC 5321 §4.5.3.1.3). @utf8 allows non-ASCII (RFC 6531). */
gboolean sm_smtp_address_is_valid(const char *address, gboolean utf8);

G_END_DECLS
