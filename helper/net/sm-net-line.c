/* sm-net-line: bounded line reading (RFC 5321 §4.5.3.1 lines, but any bound). The buffer holds
 * at most max_line bytes plus one read; a longer line is returned in pieces, never grown. */
#include "sm-net-line.h"

#include <string.h>

#define READ_CHUNK 16384

struct _SmNetLineReader
{
  SmNetConn *conn;
  gsize max_line;
  char *buf;
  gsize size;  /* allocated */
  gsize start; /* first unread byte */
  gsize end;   /* one past the last received byte */
  gboolean eof;
};

SmNetLineReader *
sm_net_line_reader_new(SmNetConn *conn, gsize max_line)
{
  SmNetLineReader *reader = g_new0(SmNetLineReader, 1);
  reader->conn = conn;
  reader->max_line = MAX(max_line, 2);
  reader->size = reader->max_line + READ_CHUNK;
  reader->buf = g_malloc(reader->size);
  return reader;
}

void
sm_net_line_reader_free(SmNetLineReader *reader)
{
  if (reader == NULL)
    return;
  g_free(reader->buf);
  g_free(reader);
}

/* Hands out buf[start, start+take) and consumes @consumed bytes. */
static void
emit(SmNetLineReader *r, gsize take, gsize consumed, const char **line, gsize *len)
{
  *line = r->buf + r->start;
  *len = take;
  r->start += consumed;
}

/* Tries to cut a line or a piece from what is buffered; FALSE when more bytes are needed. */
static gboolean
cut(SmNetLineReader *r, const char **line, gsize *len, SmNetLineEnd *end)
{
  gsize avail = r->end - r->start;
  gsize scan = MIN(avail, r->max_line + 2);
  const char *p = r->start < r->end ? memchr(r->buf + r->start, '\n', scan) : NULL;
  if (p != NULL)
    {
      gsize n = (gsize)(p - (r->buf + r->start));
      gboolean cr = n > 0 && p[-1] == '\r';
      if (n - (cr ? 1 : 0) <= r->max_line)
        {
          *end = cr ? SM_NET_LINE_END_CRLF : SM_NET_LINE_END_LF;
          emit(r, n - (cr ? 1 : 0), n + 1, line, len);
          return TRUE;
        }
    }
  if (avail >= r->max_line)
    {
      gsize take = r->max_line;
      /* Keep a CR that may start the CR LF of this line for the next piece. */
      if (r->buf[r->start + take - 1] == '\r')
        take--;
      *end = SM_NET_LINE_END_NONE;
      emit(r, take, take, line, len);
      return TRUE;
    }
  if (r->eof && avail > 0)
    {
      *end = SM_NET_LINE_END_NONE;
      emit(r, avail, avail, line, len);
      return TRUE;
    }
  return FALSE;
}

gboolean
sm_net_line_read(SmNetLineReader *r, const char **line, gsize *len, SmNetLineEnd *end,
                 GError **error)
{
  g_return_val_if_fail(r != NULL && line != NULL && len != NULL && end != NULL, FALSE);
  for (;;)
    {
      if (cut(r, line, len, end))
        return TRUE;
      if (r->eof)
        return FALSE;
      /* Move the unread tail to the front; the previous line handed out is no longer valid. */
      if (r->start > 0)
        {
          memmove(r->buf, r->buf + r->start, r->end - r->start);
          r->end -= r->start;
          r->start = 0;
        }
      gssize n = sm_net_conn_read(r->conn, r->buf + r->end, r->size - r->end, error);
      if (n < 0)
        return FALSE;
      if (n == 0)
        r->eof = TRUE;
      r->end += (gsize)n;
    }
}

gsize
sm_net_line_reader_buffered(const SmNetLineReader *reader)
{
  return reader->end - reader->start;
}

void
sm_net_line_reader_clear(SmNetLineReader *reader)
{
  reader->start = reader->end = 0;
}
