/* sm-net-listen: a TCP listener that runs one thread per accepted connection, refuses clients
 * that are not on the loopback interface (unless allowed) and bounds the number of concurrent
 * sessions (SM_LIMIT_SMTP_SESSIONS for the SMTP proxy). */
#pragma once

#include <gio/gio.h>
#include "sm-net-conn.h"

G_BEGIN_DECLS

typedef struct _SmNetListener SmNetListener;

/* Runs in the session's own thread; @conn is owned by the listener (do not free it). @peer is a
 * printable "address:port" of the client. */
typedef void (*SmNetSessionFunc)(SmNetConn *conn, const char *peer, gpointer user_data);

typedef struct
{
  const char *address;      /* "127.0.0.1:1587", "[::1]:1587", "localhost:1587" */
  guint max_sessions;       /* further clients get @busy_reply and are closed */
  const char *busy_reply;   /* protocol text sent to a client over the limit, e.g. "421 ..." */
  const char *remote_reply; /* sent to a refused non-loopback client */
  gboolean allow_remote;    /* accept clients that are not on loopback */
  guint timeout_seconds;    /* I/O timeout of each session's connection */
} SmNetListenerOptions;

/* Splits "host:port" or "[v6]:port" (port 0: any free port); the host comes without brackets. */
gboolean sm_net_parse_host_port(const char *spec, char **host, guint16 *port, GError **error);

/* Binds and starts accepting in the thread-default main context. */
SmNetListener *sm_net_listener_new(const SmNetListenerOptions *options, SmNetSessionFunc func,
                                   gpointer user_data, GError **error);
/* The actual port (useful with port 0). */
guint16 sm_net_listener_get_port(const SmNetListener *listener);
guint sm_net_listener_active_sessions(SmNetListener *listener);
/* Stops accepting, ends the read side of every session and waits up to @grace_seconds for the
 * session threads to finish their current command. */
void sm_net_listener_stop(SmNetListener *listener, guint grace_seconds);
void sm_net_listener_free(SmNetListener *listener);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(SmNetListener, sm_net_listener_free)

G_END_DECLS
