/* sm-net-line: a bounded line reader over an SmNetConn. A line longer than the bound is handed
 * out in pieces (SM_NET_LINE_END_NONE), so a reader never holds more than the bound in memory:
 * command parsers reject such a piece, message readers append it. */
#pragma once

#include <glib.h>
#include "sm-net-conn.h"

G_BEGIN_DECLS

typedef enum
{
  SM_NET_LINE_END_CRLF, /* the line ended with CR LF */
  SM_NET_LINE_END_LF,   /* the line ended with a bare LF */
  SM_NET_LINE_END_NONE, /* a piece of a longer line, or the last bytes before end of stream */
} SmNetLineEnd;

typedef struct _SmNetLineReader SmNetLineReader;

/* @conn is borrowed and must outlive the reader; @max_line bounds one line or piece in bytes. */
SmNetLineReader *sm_net_line_reader_new(SmNetConn *conn, gsize max_line);
void sm_net_line_reader_free(SmNetLineReader *reader);

/* Reads the next line. Returns FALSE with @error on failure, and FALSE without an error at the
 * end of the stream. *@line points into the reader's buffer (valid until the next call) and is
 * *@len bytes long without the line terminator. */
gboolean sm_net_line_read(SmNetLineReader *reader, const char **line, gsize *len, SmNetLineEnd *end,
                          GError **error);
/* Bytes received but not yet returned (a client that pipelines after STARTTLS). */
gsize sm_net_line_reader_buffered(const SmNetLineReader *reader);
/* Drops buffered bytes: after STARTTLS nothing sent in clear text may be read as TLS data. */
void sm_net_line_reader_clear(SmNetLineReader *reader);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(SmNetLineReader, sm_net_line_reader_free)

G_END_DECLS
