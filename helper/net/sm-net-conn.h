/* sm-net-conn: one blocking stream connection (a TCP socket, optionally wrapped in TLS by
 * sm-net-tls) with a read/write timeout. The proxies run one thread per client session, so
 * blocking I/O with a deadline is the simplest correct model. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _SmNetConn SmNetConn;

/* Wraps a connected socket @fd (ownership taken) and applies @timeout_seconds to every read and
 * write. The descriptor is switched to blocking mode. */
SmNetConn *sm_net_conn_new_fd(int fd, guint timeout_seconds);
/* Connects to @host:@port (host name or address literal) within @timeout_seconds. */
SmNetConn *sm_net_conn_connect(const char *host, guint16 port, guint timeout_seconds,
                               GError **error);
void sm_net_conn_free(SmNetConn *conn);

/* Reads at most @len bytes: > 0 bytes read, 0 end of stream, -1 error (SM_ERROR_TEMPORARY on
 * timeout, SM_ERROR_IO otherwise). Reads through TLS once it is started. */
gssize sm_net_conn_read(SmNetConn *conn, void *buf, gsize len, GError **error);
gboolean sm_net_conn_write_all(SmNetConn *conn, const void *buf, gsize len, GError **error);
/* Ends the read side so that a thread blocked in sm_net_conn_read() sees end of stream. */
void sm_net_conn_shutdown_read(SmNetConn *conn);
gboolean sm_net_conn_is_tls(const SmNetConn *conn);
int sm_net_conn_get_fd(const SmNetConn *conn);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(SmNetConn, sm_net_conn_free)

G_END_DECLS
