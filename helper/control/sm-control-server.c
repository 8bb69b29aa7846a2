/* sm-control-server: the listening side of the control socket (protocol in sm-control.h).
 * GThreadedSocketService serves each client in its own thread (at most control-clients); lines are
 * read with a bounded buffer (control-request-bytes) and an idle timeout (control-timeout).
 * Handlers that are not thread-safe, and the status provider, run in the main context the server
 * was created in, and the client thread waits for them at most control-timeout seconds.
 * Clients of another uid are refused (SO_PEERCRED), on top of the 0600 socket in a 0700 dir. */
#include "sm-config.h"
#include "sm-audit.h"
#include "sm-control.h"
#include "sm-error.h"

#include <errno.h>
#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

#define SM_CONTROL_READ_CHUNK 4096
#define SM_CONTROL_DEFAULT_RECENT 10

typedef struct
{
  char *path;
  GSocketService *service;
  GMainContext *context;
  const SmControlMethod *methods;
  gpointer user_data;
  SmLimits limits;
  char *audit_db;
  guint recent;
  SmControlStatusFunc status_func;
  gpointer status_data;
  gint64 started;
  GMutex lock;
  GCond cond;
  GPtrArray *clients; /* GSocket*, for shutdown on stop */
  gboolean stopping;
} Server;

struct _SmControlServer
{
  Server *s; /* refcounted: the service's signal handler holds a reference too */
};

static void
server_clear(Server *s)
{
  g_free(s->path);
  g_clear_object(&s->service);
  g_main_context_unref(s->context);
  g_free(s->audit_db);
  g_ptr_array_unref(s->clients);
  g_mutex_clear(&s->lock);
  g_cond_clear(&s->cond);
}

static void
server_unref(gpointer s)
{
  g_atomic_rc_box_release_full(s, (GDestroyNotify)server_clear);
}

/* ---- running a handler in the main context ---- */

typedef struct
{
  Server *s;
  SmControlHandler handler; /* NULL: the status provider */
  JsonObject *params;
  JsonNode *result;
  GError *error;
  gboolean done;
} Call;

static void
call_clear(Call *c)
{
  json_object_unref(c->params);
  g_clear_pointer(&c->result, json_node_unref);
  g_clear_error(&c->error);
  server_unref(c->s);
}

static gboolean
call_in_main(gpointer data)
{
  Call *c = data;
  Server *s = c->s;
  JsonNode *result = NULL;
  GError *error = NULL;
  g_mutex_lock(&s->lock);
  gboolean stopping = s->stopping;
  g_mutex_unlock(&s->lock);
  if (stopping)
    g_set_error_literal(&error, SM_ERROR, SM_ERROR_TEMPORARY, _("sealmaild is stopping"));
  else if (c->handler != NULL)
    result = c->handler(c->params, s->user_data, &error);
  else
    result = s->status_func != NULL ? s->status_func(s->status_data) : NULL;
  g_mutex_lock(&s->lock);
  c->result = result;
  c->error = error;
  c->done = TRUE;
  g_cond_broadcast(&s->cond);
  g_mutex_unlock(&s->lock);
  return G_SOURCE_REMOVE;
}

static void
call_release(gpointer data)
{
  g_atomic_rc_box_release_full(data, (GDestroyNotify)call_clear);
}

static JsonNode *
run_in_main(Server *s, SmControlHandler handler, JsonObject *params, GError **error)
{
  Call *c = g_atomic_rc_box_new0(Call);
  c->s = g_atomic_rc_box_acquire(s);
  c->handler = handler;
  c->params = json_object_ref(params);
  g_main_context_invoke_full(s->context, G_PRIORITY_DEFAULT, call_in_main,
                             g_atomic_rc_box_acquire(c), call_release);
  gint64 deadline = g_get_monotonic_time()
                    + sm_limits_get(&s->limits, SM_LIMIT_CONTROL_TIMEOUT_SECONDS) * G_USEC_PER_SEC;
  JsonNode *result = NULL;
  g_mutex_lock(&s->lock);
  while (!c->done && g_cond_wait_until(&s->cond, &s->lock, deadline))
    ;
  if (c->done)
    {
      result = g_steal_pointer(&c->result);
      if (c->error != NULL)
        g_propagate_error(error, g_steal_pointer(&c->error));
    }
  else
    g_set_error_literal(error, SM_ERROR, SM_ERROR_TEMPORARY,
                        _("sealmaild did not answer within control-timeout"));
  g_mutex_unlock(&s->lock);
  call_release(c);
  return result;
}

/* ---- status ---- */

static JsonNode *
status_result(Server *s, GError **error)
{
  g_autoptr(JsonNode) provided = run_in_main(s, NULL, json_object_new(), error);
  if (error != NULL && *error != NULL)
    return NULL;
  g_autoptr(JsonBuilder) b = json_builder_new();
  gint64 now = g_get_real_time() / G_USEC_PER_SEC;
  g_autoptr(GDateTime) started = g_date_time_new_from_unix_utc(s->started);
  g_autofree char *started_iso = g_date_time_format(started, "%Y-%m-%dT%H:%M:%SZ");
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "format_version");
  json_builder_add_int_value(b, SM_CONTROL_FORMAT_VERSION);
  json_builder_set_member_name(b, "daemon");
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "pid");
  json_builder_add_int_value(b, getpid());
  json_builder_set_member_name(b, "version");
  json_builder_add_string_value(b, SM_VERSION);
  json_builder_set_member_name(b, "started");
  json_builder_add_string_value(b, started_iso);
  json_builder_set_member_name(b, "uptime_seconds");
  json_builder_add_int_value(b, now - s->started);
  json_builder_set_member_name(b, "control_socket");
  json_builder_add_string_value(b, s->path);
  json_builder_end_object(b);
  if (provided != NULL && JSON_NODE_HOLDS_OBJECT(provided))
    {
      JsonObjectIter iter;
      const char *name;
      JsonNode *value;
      json_object_iter_init(&iter, json_node_get_object(provided));
      while (json_object_iter_next(&iter, &name, &value))
        {
          json_builder_set_member_name(b, name);
          json_builder_add_value(b, json_node_copy(value));
        }
    }
  if (s->audit_db != NULL)
    {
      json_builder_set_member_name(b, "recent");
      g_autoptr(GError) local = NULL;
      g_autoptr(SmAudit) audit = g_file_test(s->audit_db, G_FILE_TEST_EXISTS)
                                     ? sm_audit_open(s->audit_db, &local)
                                     : NULL;
      g_autoptr(JsonNode) list
          = audit != NULL ? sm_audit_list_json(audit, s->recent, &local) : NULL;
      if (list != NULL)
        json_builder_add_value(
            b, json_node_copy(json_object_get_member(json_node_get_object(list), "messages")));
      else
        json_builder_add_null_value(b);
    }
  json_builder_end_object(b);
  return json_builder_get_root(b);
}

/* ---- one request line ---- */

static const SmControlMethod *
find_method(Server *s, const char *name)
{
  for (const SmControlMethod *m = s->methods; m != NULL && m->name != NULL; m++)
    if (strcmp(m->name, name) == 0)
      return m;
  return NULL;
}

static char *
dispatch(Server *s, const char *line, gsize len)
{
  g_autoptr(JsonNode) id = NULL;
  g_autoptr(GError) error = NULL;
  int code = 0;
  g_autoptr(SmControlRequest) req
      = sm_control_request_parse(line, len, &s->limits, &id, &code, &error);
  if (req == NULL)
    return sm_control_response_error(id, code, error->message);
  g_autoptr(JsonNode) result = NULL;
  const SmControlMethod *m = NULL;
  if (strcmp(req->method, "status") == 0)
    result = status_result(s, &error);
  else if ((m = find_method(s, req->method)) == NULL)
    {
      g_autofree char *msg = g_strdup_printf(_("unknown method \"%s\""), req->method);
      return sm_control_response_error(req->id, SM_CONTROL_ERROR_METHOD_NOT_FOUND, msg);
    }
  else if (m->flags & SM_CONTROL_METHOD_ANY_THREAD)
    result = m->handler(req->params, s->user_data, &error);
  else
    result = run_in_main(s, m->handler, req->params, &error);
  if (error != NULL)
    return sm_control_response_error(req->id, sm_control_error_code(error), error->message);
  return sm_control_response_result(req->id, result);
}

/* ---- one client ---- */

static gboolean
send_all(GSocket *sock, const char *text)
{
  gsize len = strlen(text), off = 0;
  while (off < len)
    {
      gssize n = g_socket_send(sock, text + off, len - off, NULL, NULL);
      if (n <= 0)
        return FALSE;
      off += n;
    }
  return TRUE;
}

static gboolean
peer_is_us(GSocket *sock)
{
  g_autoptr(GCredentials) cred = g_socket_get_credentials(sock, NULL);
  return cred != NULL && g_credentials_get_unix_user(cred, NULL) == getuid();
}

/* Serves lines until the client closes, times out, or sends an over-long line. */
static void
serve(Server *s, GSocket *sock)
{
  gsize max = sm_limits_get(&s->limits, SM_LIMIT_CONTROL_REQUEST_BYTES);
  g_autoptr(GByteArray) buf = g_byte_array_new();
  char chunk[SM_CONTROL_READ_CHUNK];
  for (;;)
    {
      guint8 *nl = buf->len > 0 ? memchr(buf->data, '\n', buf->len) : NULL;
      if (nl == NULL)
        {
          if (buf->len > max)
            {
              g_autofree char *err
                  = sm_control_response_error(NULL, SM_CONTROL_ERROR_INVALID_REQUEST,
                                              _("request larger than control-request-bytes"));
              send_all(sock, err);
              return;
            }
          gssize n = g_socket_receive(sock, chunk, sizeof chunk, NULL, NULL);
          if (n <= 0)
            return;
          g_byte_array_append(buf, (const guint8 *)chunk, n);
          continue;
        }
      gsize len = nl - buf->data;
      gsize line_len = len > 0 && buf->data[len - 1] == '\r' ? len - 1 : len;
      g_autofree char *reply = line_len > 0 ? dispatch(s, (const char *)buf->data, line_len) : NULL;
      g_byte_array_remove_range(buf, 0, len + 1);
      if (reply != NULL && !send_all(sock, reply))
        return;
    }
}

static gboolean
on_run(GThreadedSocketService *service, GSocketConnection *conn, GObject *source, gpointer data)
{
  Server *s = data;
  GSocket *sock = g_socket_connection_get_socket(conn);
  g_socket_set_timeout(sock, sm_limits_get(&s->limits, SM_LIMIT_CONTROL_TIMEOUT_SECONDS));
  g_mutex_lock(&s->lock);
  gboolean stopping = s->stopping;
  if (!stopping)
    g_ptr_array_add(s->clients, g_object_ref(sock));
  g_mutex_unlock(&s->lock);
  if (stopping)
    return TRUE;
  if (peer_is_us(sock))
    serve(s, sock);
  else
    g_warning("event=control-refused reason=other-uid");
  g_mutex_lock(&s->lock);
  g_ptr_array_remove(s->clients, sock);
  g_cond_broadcast(&s->cond);
  g_mutex_unlock(&s->lock);
  return TRUE;
}

/* ---- socket file ---- */

char *
sm_control_default_socket_path(void)
{
  return g_build_filename(g_get_user_runtime_dir(), "sealmail", "control.sock", NULL);
}

static gboolean
socket_is_live(const char *path)
{
  g_autoptr(GSocket) sock
      = g_socket_new(G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT, NULL);
  g_autoptr(GSocketAddress) addr = g_unix_socket_address_new(path);
  return sock != NULL && g_socket_connect(sock, addr, NULL, NULL);
}

/* A 0700 directory; a stale socket removed; a live one refused. */
static gboolean
prepare_path(const char *path, GError **error)
{
  struct sockaddr_un sun;
  if (strlen(path) >= sizeof sun.sun_path)
    {
      g_set_error(error, SM_ERROR, SM_ERROR_INVALID_INPUT,
                  _("control socket path %s is longer than %zu bytes"), path,
                  sizeof sun.sun_path - 1);
      return FALSE;
    }
  g_autofree char *dir = g_path_get_dirname(path);
  if (g_mkdir_with_parents(dir, 0700) != 0 || g_chmod(dir, 0700) != 0)
    {
      int e = errno;
      g_set_error(error, SM_ERROR, SM_ERROR_IO, _("cannot create %s: %s"), dir, g_strerror(e));
      return FALSE;
    }
  if (!g_file_test(path, G_FILE_TEST_EXISTS))
    return TRUE;
  if (socket_is_live(path))
    {
      g_set_error(error, SM_ERROR, SM_ERROR_FAILED,
                  _("another sealmaild already answers on %s; stop it first"), path);
      return FALSE;
    }
  g_unlink(path);
  return TRUE;
}

SmControlServer *
sm_control_server_new(const char *socket_path, const SmControlMethod *methods, gpointer user_data,
                      const SmControlServerOptions *options, GError **error)
{
  g_autofree char *path
      = socket_path != NULL ? g_strdup(socket_path) : sm_control_default_socket_path();
  if (!prepare_path(path, error))
    return NULL;
  const SmControlServerOptions none = { 0 };
  const SmControlServerOptions *o = options != NULL ? options : &none;
  Server *s = g_atomic_rc_box_new0(Server);
  s->path = g_steal_pointer(&path);
  s->context = g_main_context_ref_thread_default();
  s->methods = methods;
  s->user_data = user_data;
  s->limits = *(o->limits != NULL ? o->limits : sm_limits_default());
  s->audit_db = g_strdup(o->audit_db);
  s->recent = o->recent > 0 ? o->recent : SM_CONTROL_DEFAULT_RECENT;
  s->status_func = o->status_func;
  s->status_data = o->status_data;
  s->started = g_get_real_time() / G_USEC_PER_SEC;
  g_mutex_init(&s->lock);
  g_cond_init(&s->cond);
  s->clients = g_ptr_array_new_with_free_func(g_object_unref);
  s->service
      = g_threaded_socket_service_new((int)sm_limits_get(&s->limits, SM_LIMIT_CONTROL_CLIENTS));
  g_autoptr(GSocketAddress) addr = g_unix_socket_address_new(s->path);
  if (!g_socket_listener_add_address(G_SOCKET_LISTENER(s->service), addr, G_SOCKET_TYPE_STREAM,
                                     G_SOCKET_PROTOCOL_DEFAULT, NULL, NULL, error))
    {
      g_prefix_error(error, _("cannot listen on %s: "), s->path);
      server_unref(s);
      return NULL;
    }
  /* The directory is 0700, so the moment before this chmod exposes nothing. */
  g_chmod(s->path, 0600);
  g_signal_connect_data(s->service, "run", G_CALLBACK(on_run), g_atomic_rc_box_acquire(s),
                        (GClosureNotify)(void (*)(void))server_unref, 0);
  g_socket_service_start(s->service);
  SmControlServer *server = g_new0(SmControlServer, 1);
  server->s = s;
  return server;
}

const char *
sm_control_server_get_path(const SmControlServer *server)
{
  return server->s->path;
}

void
sm_control_server_free(SmControlServer *server)
{
  if (server == NULL)
    return;
  Server *s = server->s;
  g_socket_service_stop(s->service);
  g_socket_listener_close(G_SOCKET_LISTENER(s->service));
  g_unlink(s->path);
  g_mutex_lock(&s->lock);
  s->stopping = TRUE;
  for (guint i = 0; i < s->clients->len; i++)
    g_socket_shutdown(g_ptr_array_index(s->clients, i), TRUE, TRUE, NULL);
  g_mutex_unlock(&s->lock);
  /* Client threads may wait for this main context: keep dispatching it until they are gone. */
  gint64 deadline = g_get_monotonic_time()
                    + sm_limits_get(&s->limits, SM_LIMIT_CONTROL_TIMEOUT_SECONDS) * G_USEC_PER_SEC;
  for (;;)
    {
      g_mutex_lock(&s->lock);
      guint left = s->clients->len;
      g_mutex_unlock(&s->lock);
      if (left == 0 || g_get_monotonic_time() > deadline)
        break;
      if (g_main_context_acquire(s->context))
        {
          g_main_context_iteration(s->context, FALSE);
          g_main_context_release(s->context);
        }
      g_usleep(G_USEC_PER_SEC / 100);
    }
  server_unref(s);
  g_free(server);
}
