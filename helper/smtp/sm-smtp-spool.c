/* sm-smtp-spool: receives the message text of one transaction into a temporary file.
 * Limits: the caller's maximum (SM_LIMIT_SMTP_MESSAGE_BYTES); past it nothing more is written and
 * the transaction gets 552 5.3.4 once the client has finished sending. Memory use is one write
 * buffer, whatever the message size. */
#include "sm-smtp-spool.h"
#include "sm-error.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <unistd.h>

#define WRITE_BUFFER_BYTES (256 * 1024)

struct _SmSmtpSpool
{
  char *path;
  int fd;
  GString *buf;
  guint64 size; /* message bytes after unstuffing */
  guint64 max_bytes;
  gboolean overflow;
  gboolean at_line_start;
  gboolean prev_crlf; /* the previous line ended with CR LF (or there was none) */
  gboolean has_8bit;
  guint bare_lf;
  int write_errno; /* first write error, reported at the end */
};

SmSmtpSpool *
sm_smtp_spool_new(const char *dir, guint64 max_bytes, GError **error)
{
  g_autofree char *tmpl = g_build_filename(dir, "msg-XXXXXX", NULL);
  int fd = g_mkstemp_full(tmpl, O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      g_set_error(error, SM_ERROR, SM_ERROR_IO, _("cannot create a spool file in %s: %s"), dir,
                  g_strerror(errno));
      return NULL;
    }
  SmSmtpSpool *spool = g_new0(SmSmtpSpool, 1);
  spool->path = g_steal_pointer(&tmpl);
  spool->fd = fd;
  spool->buf = g_string_sized_new(WRITE_BUFFER_BYTES);
  spool->max_bytes = max_bytes;
  spool->at_line_start = TRUE;
  spool->prev_crlf = TRUE;
  return spool;
}

void
sm_smtp_spool_free(SmSmtpSpool *spool)
{
  if (spool == NULL)
    return;
  close(spool->fd);
  g_unlink(spool->path);
  g_free(spool->path);
  g_string_free(spool->buf, TRUE);
  g_free(spool);
}

static void
flush(SmSmtpSpool *spool)
{
  const char *p = spool->buf->str;
  gsize left = spool->buf->len;
  while (left > 0 && spool->write_errno == 0)
    {
      ssize_t n = write(spool->fd, p, left);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          spool->write_errno = errno;
          break;
        }
      p += n;
      left -= (gsize)n;
    }
  g_string_truncate(spool->buf, 0);
}

static void
append(SmSmtpSpool *spool, const char *data, gsize len)
{
  if (spool->overflow)
    return;
  if (spool->size + len > spool->max_bytes)
    {
      spool->overflow = TRUE;
      return;
    }
  spool->size += len;
  if (!spool->has_8bit)
    for (gsize i = 0; i < len; i++)
      if ((guchar)data[i] >= 0x80)
        {
          spool->has_8bit = TRUE;
          break;
        }
  g_string_append_len(spool->buf, data, len);
  if (spool->buf->len >= WRITE_BUFFER_BYTES)
    flush(spool);
}

gboolean
sm_smtp_spool_feed(SmSmtpSpool *spool, const char *line, gsize len, SmNetLineEnd end)
{
  if (spool->at_line_start && len > 0 && line[0] == '.')
    {
      if (len == 1 && end == SM_NET_LINE_END_CRLF && spool->prev_crlf)
        return TRUE;
      /* RFC 5321 §4.5.2: drop the first dot of a line that starts with one. */
      line++;
      len--;
    }
  append(spool, line, len);
  if (end == SM_NET_LINE_END_NONE)
    {
      spool->at_line_start = FALSE;
      return FALSE;
    }
  if (end == SM_NET_LINE_END_LF)
    spool->bare_lf++;
  append(spool, "\r\n", 2);
  spool->at_line_start = TRUE;
  spool->prev_crlf = end == SM_NET_LINE_END_CRLF;
  return FALSE;
}

gboolean
sm_smtp_spool_finish(SmSmtpSpool *spool, GError **error)
{
  flush(spool);
  if (spool->write_errno == 0 && lseek(spool->fd, 0, SEEK_SET) < 0)
    spool->write_errno = errno;
  if (spool->write_errno != 0)
    {
      g_set_error(error, SM_ERROR, SM_ERROR_IO, _("cannot write the spool file %s: %s"),
                  spool->path, g_strerror(spool->write_errno));
      return FALSE;
    }
  return TRUE;
}

gboolean
sm_smtp_spool_overflowed(const SmSmtpSpool *spool)
{
  return spool->overflow;
}

guint64
sm_smtp_spool_size(const SmSmtpSpool *spool)
{
  return spool->size;
}

guint
sm_smtp_spool_bare_lf_lines(const SmSmtpSpool *spool)
{
  return spool->bare_lf;
}

gboolean
sm_smtp_spool_has_8bit(const SmSmtpSpool *spool)
{
  return spool->has_8bit;
}

const char *
sm_smtp_spool_path(const SmSmtpSpool *spool)
{
  return spool->path;
}
