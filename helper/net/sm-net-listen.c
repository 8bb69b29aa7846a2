/* sm-net-listen: GSocketService accepting in the main context, a detached thread per session.
 * Limits: max_sessions concurrent sessions (the caller passes SM_LIMIT_SMTP_SESSIONS); clients
 * outside loopback are refused unless allow_remote. */
#include "sm-net-listen.h"
#include "sm-error.h"

#include <glib/gi18n.h>
#include <sys/socket.h>
#include <string.h>
#include <unistd.h>

/* What session threads share with the listener; reference-counted so that a thread still
 * finishing after sm_net_listener_free() never touches freed memory. */
typedef struct
{
  GMutex lock;
  GCond idle;
  GPtrArray *active; /* SmNetConn* of running sessions */
  SmNetSessionFunc func;
  gpointer user_data;
  guint timeout;
} Shared;

struct _SmNetListener
{
  GSocketService *service;
  Shared *shared;
  guint max_sessions;
  gboolean allow_remote;
  char *busy_reply;
  char *remote_reply;
  guint16 port;
};

typedef struct
{
  Shared *shared;
  SmNetConn *conn;
  char *peer;
} SessionStart;

static void
shared_clear(Shared *shared)
{
  g_mutex_clear(&shared->lock);
  g_cond_clear(&shared->idle);
  g_ptr_array_unref(shared->active);
}

static void
shared_unref(Shared *shared)
{
  g_atomic_rc_box_release_full(shared, (GDestroyNotify)shared_clear);
}

gboolean
sm_net_parse_host_port(const char *spec, char **host, guint16 *port, GError **error)
{
  const char *colon = strrchr(spec, ':');
  const char *host_start = spec;
  gsize host_len = colon != NULL ? (gsize)(colon - spec) : 0;
  guint64 value = 0;

  if (spec[0] == '[')
    {
      const char *close = strchr(spec, ']');
      if (close == NULL || close[1] != ':')
        colon = NULL;
      host_start = spec + 1;
      host_len = close != NULL ? (gsize)(close - host_start) : 0;
    }
  if (colon == NULL || host_len == 0
      || !g_ascii_string_to_unsigned(colon + 1, 10, 0, G_MAXUINT16, &value, NULL))
    {
      g_set_error(error, SM_ERROR, SM_ERROR_INVALID_INPUT,
                  _("'%s' is not HOST:PORT (for example 127.0.0.1:1587)"), spec);
      return FALSE;
    }
  *host = g_strndup(host_start, host_len);
  *port = (guint16)value;
  return TRUE;
}

static GSocketAddress *
listen_address(const char *spec, GError **error)
{
  g_autofree char *host = NULL;
  guint16 port = 0;
  if (!sm_net_parse_host_port(spec, &host, &port, error))
    return NULL;
  /* Never ask a resolver which address "localhost" is: a listener must not depend on DNS. */
  if (g_ascii_strcasecmp(host, "localhost") == 0)
    {
      g_free(host);
      host = g_strdup("127.0.0.1");
    }
  GSocketAddress *addr = g_inet_socket_address_new_from_string(host, port);
  if (addr == NULL)
    g_set_error(error, SM_ERROR, SM_ERROR_INVALID_INPUT,
                _("'%s' is not an IP address; listen on an address such as 127.0.0.1"), host);
  return addr;
}

static gpointer
session_thread(gpointer data)
{
  SessionStart *start = data;
  Shared *shared = start->shared;

  shared->func(start->conn, start->peer, shared->user_data);

  g_mutex_lock(&shared->lock);
  g_ptr_array_remove_fast(shared->active, start->conn);
  g_cond_broadcast(&shared->idle);
  g_mutex_unlock(&shared->lock);
  sm_net_conn_free(start->conn);
  g_free(start->peer);
  g_free(start);
  shared_unref(shared);
  return NULL;
}

static char *
peer_string(GSocketConnection *connection, gboolean *loopback)
{
  g_autoptr(GSocketAddress) addr = g_socket_connection_get_remote_address(connection, NULL);
  *loopback = FALSE;
  if (!G_IS_INET_SOCKET_ADDRESS(addr))
    return g_strdup("unknown");
  GInetAddress *inet = g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(addr));
  g_autofree char *ip = g_inet_address_to_string(inet);
  *loopback = g_inet_address_get_is_loopback(inet);
  return g_strdup_printf("%s:%u", ip, g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(addr)));
}

/* Sends a one-line refusal on the still non-blocking socket; losing it is harmless. */
static void
refuse(GSocketConnection *connection, const char *reply)
{
  GSocket *sock = g_socket_connection_get_socket(connection);
  if (reply != NULL)
    g_socket_send(sock, reply, strlen(reply), NULL, NULL);
  g_io_stream_close(G_IO_STREAM(connection), NULL, NULL);
}

static gboolean
on_incoming(GSocketService *service, GSocketConnection *connection, GObject *source,
            gpointer user_data)
{
  SmNetListener *listener = user_data;
  Shared *shared = listener->shared;
  gboolean loopback = FALSE;
  g_autofree char *peer = peer_string(connection, &loopback);

  if (!loopback && !listener->allow_remote)
    {
      g_message("event=refused peer=%s reason=not-loopback", peer);
      refuse(connection, listener->remote_reply);
      return TRUE;
    }
  g_mutex_lock(&shared->lock);
  gboolean busy = shared->active->len >= listener->max_sessions;
  g_mutex_unlock(&shared->lock);
  if (busy)
    {
      g_message("event=refused peer=%s reason=too-many-sessions limit=%u", peer,
                listener->max_sessions);
      refuse(connection, listener->busy_reply);
      return TRUE;
    }

  int fd = dup(g_socket_get_fd(g_socket_connection_get_socket(connection)));
  g_io_stream_close(G_IO_STREAM(connection), NULL, NULL);
  if (fd < 0)
    return TRUE;
  SessionStart *start = g_new0(SessionStart, 1);
  start->shared = g_atomic_rc_box_acquire(shared);
  start->conn = sm_net_conn_new_fd(fd, shared->timeout);
  start->peer = g_steal_pointer(&peer);
  g_mutex_lock(&shared->lock);
  g_ptr_array_add(shared->active, start->conn);
  g_mutex_unlock(&shared->lock);
  g_autoptr(GError) error = NULL;
  GThread *thread = g_thread_try_new("session", session_thread, start, &error);
  if (thread == NULL)
    {
      g_warning("event=thread-failed error=\"%s\"", error->message);
      g_mutex_lock(&shared->lock);
      g_ptr_array_remove_fast(shared->active, start->conn);
      g_mutex_unlock(&shared->lock);
      sm_net_conn_free(start->conn);
      g_free(start->peer);
      g_free(start);
      shared_unref(shared);
      return TRUE;
    }
  g_thread_unref(thread);
  return TRUE;
}

SmNetListener *
sm_net_listener_new(const SmNetListenerOptions *options, SmNetSessionFunc func, gpointer user_data,
                    GError **error)
{
  g_autoptr(GSocketAddress) addr = listen_address(options->address, error);
  if (addr == NULL)
    return NULL;
  g_autoptr(GSocketService) service = g_socket_service_new();
  g_autoptr(GSocketAddress) effective = NULL;
  if (!g_socket_listener_add_address(G_SOCKET_LISTENER(service), addr, G_SOCKET_TYPE_STREAM,
                                     G_SOCKET_PROTOCOL_TCP, NULL, &effective, error))
    {
      g_prefix_error(error, _("cannot listen on %s: "), options->address);
      return NULL;
    }

  SmNetListener *listener = g_new0(SmNetListener, 1);
  listener->shared = g_atomic_rc_box_new0(Shared);
  g_mutex_init(&listener->shared->lock);
  g_cond_init(&listener->shared->idle);
  listener->shared->active = g_ptr_array_new();
  listener->shared->func = func;
  listener->shared->user_data = user_data;
  listener->shared->timeout = options->timeout_seconds;
  listener->max_sessions = MAX(options->max_sessions, 1);
  listener->allow_remote = options->allow_remote;
  listener->busy_reply = g_strdup(options->busy_reply);
  listener->remote_reply = g_strdup(options->remote_reply);
  listener->port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(effective));
  listener->service = g_steal_pointer(&service);
  g_signal_connect(listener->service, "incoming", G_CALLBACK(on_incoming), listener);
  g_socket_service_start(listener->service);
  return listener;
}

guint16
sm_net_listener_get_port(const SmNetListener *listener)
{
  return listener->port;
}

guint
sm_net_listener_active_sessions(SmNetListener *listener)
{
  g_mutex_lock(&listener->shared->lock);
  guint n = listener->shared->active->len;
  g_mutex_unlock(&listener->shared->lock);
  return n;
}

void
sm_net_listener_stop(SmNetListener *listener, guint grace_seconds)
{
  Shared *shared = listener->shared;
  g_socket_service_stop(listener->service);
  g_socket_listener_close(G_SOCKET_LISTENER(listener->service));
  gint64 deadline = g_get_monotonic_time() + (gint64)grace_seconds * G_TIME_SPAN_SECOND;
  g_mutex_lock(&shared->lock);
  /* Idle sessions see end of stream at once; a session relaying a message finishes it first. */
  for (guint i = 0; i < shared->active->len; i++)
    sm_net_conn_shutdown_read(g_ptr_array_index(shared->active, i));
  while (shared->active->len > 0)
    if (!g_cond_wait_until(&shared->idle, &shared->lock, deadline))
      break;
  g_mutex_unlock(&shared->lock);
}

void
sm_net_listener_free(SmNetListener *listener)
{
  if (listener == NULL)
    return;
  g_signal_handlers_disconnect_by_data(listener->service, listener);
  g_object_unref(listener->service);
  shared_unref(listener->shared);
  g_free(listener->busy_reply);
  g_free(listener->remote_reply);
  g_free(listener);
}
