/* sm-net-conn: blocking socket I/O with a per-operation timeout (SO_RCVTIMEO/SO_SNDTIMEO), plain
 * or through OpenSSL once sm-net-tls has started TLS on the connection.
 * Limits: the caller's timeout (SM_LIMIT_SMTP_TIMEOUT_SECONDS or
 * SM_LIMIT_UPSTREAM_TIMEOUT_SECONDS) applies to connect, to every read and to every write. */
#include "sm-net-private.h"
#include "sm-error.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void
set_timeouts(int fd, guint seconds)
{
  struct timeval tv = { .tv_sec = seconds, .tv_usec = 0 };
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

static void
set_blocking(int fd, gboolean blocking)
{
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0)
    return;
  fcntl(fd, F_SETFL, blocking ? (flags & ~O_NONBLOCK) : (flags | O_NONBLOCK));
}

SmNetConn *
sm_net_conn_new_fd(int fd, guint timeout_seconds)
{
  SmNetConn *conn = g_new0(SmNetConn, 1);
  int one = 1;
  conn->fd = fd;
  conn->timeout = timeout_seconds;
  set_blocking(fd, TRUE);
  set_timeouts(fd, timeout_seconds);
  /* Replies and commands are small; do not let Nagle hold them back. */
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return conn;
}

/* Non-blocking connect bounded by @timeout_seconds. Returns the socket or -1 with errno. */
static int
connect_one(const struct addrinfo *ai, guint timeout_seconds)
{
  int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
  if (fd < 0)
    return -1;
  set_blocking(fd, FALSE);
  if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
    return fd;
  if (errno == EINPROGRESS)
    {
      struct pollfd pfd = { .fd = fd, .events = POLLOUT };
      int soerr = 0;
      socklen_t sl = sizeof soerr;
      int rc = poll(&pfd, 1, (int)MIN(timeout_seconds, 86400u) * 1000);
      if (rc == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 && soerr == 0)
        return fd;
      errno = rc == 0 ? ETIMEDOUT : (soerr != 0 ? soerr : errno);
    }
  int saved = errno;
  close(fd);
  errno = saved;
  return -1;
}

SmNetConn *
sm_net_conn_connect(const char *host, guint16 port, guint timeout_seconds, GError **error)
{
  struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
  struct addrinfo *res = NULL;
  char service[8];
  int last_errno = ECONNREFUSED;

  g_snprintf(service, sizeof service, "%u", port);
  int rc = getaddrinfo(host, service, &hints, &res);
  if (rc != 0)
    {
      g_set_error(error, SM_ERROR, SM_ERROR_TEMPORARY, _("cannot resolve %s: %s"), host,
                  gai_strerror(rc));
      return NULL;
    }
  for (const struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next)
    {
      int fd = connect_one(ai, timeout_seconds);
      if (fd >= 0)
        {
          freeaddrinfo(res);
          return sm_net_conn_new_fd(fd, timeout_seconds);
        }
      last_errno = errno;
    }
  freeaddrinfo(res);
  g_set_error(error, SM_ERROR, SM_ERROR_TEMPORARY, _("cannot connect to %s port %u: %s"), host,
              port, g_strerror(last_errno));
  return NULL;
}

void
sm_net_conn_free(SmNetConn *conn)
{
  if (conn == NULL)
    return;
  if (conn->ssl != NULL)
    {
      /* A close_notify is polite but must not block a dying session. */
      SSL_set_quiet_shutdown(conn->ssl, 1);
      SSL_free(conn->ssl);
    }
  if (conn->fd >= 0)
    close(conn->fd);
  sm_net_tls_facts_free(conn->facts);
  g_free(conn);
}

static gssize
fail_errno(GError **error, int err, const char *what)
{
  if (err == EAGAIN || err == EWOULDBLOCK)
    g_set_error(error, SM_ERROR, SM_ERROR_TEMPORARY, _("%s timed out"), what);
  else
    g_set_error(error, SM_ERROR, SM_ERROR_IO, _("%s failed: %s"), what, g_strerror(err));
  return -1;
}

/* Converts an SSL_read/SSL_write failure into a GError; returns 0 for a clean end of stream. */
static gssize
fail_ssl(SmNetConn *conn, int ret, GError **error, const char *what)
{
  int err = SSL_get_error(conn->ssl, ret);
  int saved_errno = errno;
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  switch (err)
    {
      case SSL_ERROR_ZERO_RETURN:
        return 0;
      case SSL_ERROR_WANT_READ:
      case SSL_ERROR_WANT_WRITE:
        g_set_error(error, SM_ERROR, SM_ERROR_TEMPORARY, _("%s timed out"), what);
        return -1;
      case SSL_ERROR_SYSCALL:
        if (saved_errno == 0)
          return 0;
        return fail_errno(error, saved_errno, what);
      default:
        g_set_error(error, SM_ERROR, SM_ERROR_TLS, _("%s failed: TLS error %s"), what,
                    code != 0 ? ERR_reason_error_string(code) : "unknown");
        return -1;
    }
}

gssize
sm_net_conn_read(SmNetConn *conn, void *buf, gsize len, GError **error)
{
  g_return_val_if_fail(conn != NULL && buf != NULL, -1);
  if (conn->ssl != NULL)
    {
      size_t got = 0;
      int ret = SSL_read_ex(conn->ssl, buf, len, &got);
      if (ret > 0)
        return (gssize)got;
      return fail_ssl(conn, ret, error, _("reading"));
    }
  for (;;)
    {
      ssize_t n = recv(conn->fd, buf, len, 0);
      if (n >= 0)
        return n;
      if (errno != EINTR)
        return fail_errno(error, errno, _("reading"));
    }
}

gboolean
sm_net_conn_write_all(SmNetConn *conn, const void *buf, gsize len, GError **error)
{
  const char *p = buf;
  g_return_val_if_fail(conn != NULL, FALSE);
  while (len > 0)
    {
      if (conn->ssl != NULL)
        {
          size_t put = 0;
          int ret = SSL_write_ex(conn->ssl, p, len, &put);
          if (ret <= 0)
            {
              if (fail_ssl(conn, ret, error, _("writing")) == 0)
                g_set_error(error, SM_ERROR, SM_ERROR_IO, _("writing failed: connection closed"));
              return FALSE;
            }
          p += put;
          len -= put;
          continue;
        }
      ssize_t n = send(conn->fd, p, len, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return fail_errno(error, errno, _("writing")) == 0;
      p += n;
      len -= (gsize)n;
    }
  return TRUE;
}

void
sm_net_conn_shutdown_read(SmNetConn *conn)
{
  if (conn != NULL && conn->fd >= 0)
    shutdown(conn->fd, SHUT_RD);
}

gboolean
sm_net_conn_is_tls(const SmNetConn *conn)
{
  return conn != NULL && conn->ssl != NULL;
}

int
sm_net_conn_get_fd(const SmNetConn *conn)
{
  return conn != NULL ? conn->fd : -1;
}
