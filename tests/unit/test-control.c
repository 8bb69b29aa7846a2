/* Unit tests of the control socket: request parsing (malformed, hostile and over-limit input),
 * and a real server on a UNIX socket answered in its own main-context thread: built-in status
 * with a provider and the audit, handlers in either thread, errors, bad lines on a live
 * connection, the over-long request, socket modes and removal. */
#include "sm-audit.h"
#include "sm-control.h"
#include "sm-error.h"
#include "sm-json.h"

#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

static SmControlRequest *
parse(const char *line, int *code, char **id_text)
{
  g_autoptr(JsonNode) id = NULL;
  g_autoptr(GError) error = NULL;
  SmControlRequest *req = sm_control_request_parse(line, strlen(line), NULL, &id, code, &error);
  g_assert_true((req == NULL) == (error != NULL));
  if (id_text != NULL)
    *id_text = id != NULL ? json_to_string(id, FALSE) : NULL;
  return req;
}

static void
test_parse(void)
{
  int code = 0;
  g_autofree char *id = NULL;
  g_autoptr(SmControlRequest) ok
      = parse("{\"id\": 7, \"method\": \"status\", \"params\": {\"x\": 1}}", &code, &id);
  g_assert_nonnull(ok);
  g_assert_cmpstr(ok->method, ==, "status");
  g_assert_cmpstr(id, ==, "7");
  g_assert_cmpint(json_object_get_int_member(ok->params, "x"), ==, 1);
  g_autoptr(SmControlRequest) bare = parse("{\"method\": \"scan\"}", &code, NULL);
  g_assert_nonnull(bare);
  g_assert_true(JSON_NODE_HOLDS_NULL(bare->id));
  g_assert_cmpuint(json_object_get_size(bare->params), ==, 0);

  struct
  {
    const char *line;
    int code;
  } bad[] = {
    { "", SM_CONTROL_ERROR_PARSE },
    { "{", SM_CONTROL_ERROR_PARSE },
    { "not json", SM_CONTROL_ERROR_PARSE },
    { "\xff\xfe", SM_CONTROL_ERROR_PARSE },
    { "[1, 2]", SM_CONTROL_ERROR_INVALID_REQUEST },
    { "\"status\"", SM_CONTROL_ERROR_INVALID_REQUEST },
    { "{\"id\": 1}", SM_CONTROL_ERROR_INVALID_REQUEST },
    { "{\"id\": 1, \"method\": 5}", SM_CONTROL_ERROR_INVALID_REQUEST },
    { "{\"id\": 1, \"method\": \"\"}", SM_CONTROL_ERROR_INVALID_REQUEST },
    { "{\"id\": 1, \"method\": \"a b\\n\"}", SM_CONTROL_ERROR_INVALID_REQUEST },
    { "{\"id\": [1], \"method\": \"status\"}", SM_CONTROL_ERROR_INVALID_REQUEST },
    { "{\"id\": 1, \"method\": \"status\", \"params\": [1]}", SM_CONTROL_ERROR_INVALID_PARAMS },
  };
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++)
    {
      g_autoptr(SmControlRequest) r = parse(bad[i].line, &code, NULL);
      g_assert_null(r);
      g_assert_cmpint(code, ==, bad[i].code);
    }
  /* The id comes back even when the method is wrong, for the error response. */
  g_autofree char *id2 = NULL;
  g_autoptr(SmControlRequest) r = parse("{\"id\": \"abc\", \"method\": 1}", &code, &id2);
  g_assert_cmpstr(id2, ==, "\"abc\"");
}

static void
test_parse_hostile(void)
{
  /* A million '[' would recurse a million times in json-glib: refused before. */
  gsize n = 1000000;
  g_autofree char *deep = g_malloc(n + 1);
  memset(deep, '[', n);
  deep[n] = '\0';
  int code = 0;
  g_autoptr(JsonNode) id = NULL;
  g_autoptr(GError) error = NULL;
  g_assert_null(sm_control_request_parse(deep, n, NULL, &id, &code, &error));
  g_assert_error(error, SM_ERROR, SM_ERROR_LIMIT);
  g_clear_error(&error);
  /* Brackets inside strings do not count. */
  g_autoptr(GString) s = g_string_new("{\"method\": \"x\", \"params\": {\"t\": \"");
  for (int i = 0; i < 1000; i++)
    g_string_append(s, "[{");
  g_string_append(s, "\"}}");
  g_autoptr(SmControlRequest) r
      = sm_control_request_parse(s->str, s->len, NULL, &id, &code, &error);
  g_assert_no_error(error);
  g_assert_nonnull(r);
  /* NUL bytes and the size limit. */
  g_assert_null(sm_control_request_parse("{\"method\":\"a\0\"}", 15, NULL, &id, &code, &error));
  g_assert_cmpint(code, ==, SM_CONTROL_ERROR_PARSE);
  g_clear_error(&error);
  g_autoptr(SmLimits) small = sm_limits_new(NULL, NULL);
  small->value[SM_LIMIT_CONTROL_REQUEST_BYTES] = 10;
  g_assert_null(
      sm_control_request_parse("{\"method\": \"status\"}", 20, small, &id, &code, &error));
  g_assert_error(error, SM_ERROR, SM_ERROR_LIMIT);
}

static void
test_responses(void)
{
  g_autoptr(JsonNode) id = json_from_string("\"q1\"", NULL);
  g_autoptr(JsonNode) result = json_from_string("{\"a\": [1]}", NULL);
  g_autofree char *ok = sm_control_response_result(id, result);
  g_assert_cmpstr(ok, ==, "{\"id\":\"q1\",\"result\":{\"a\":[1]}}\n");
  g_autofree char *err = sm_control_response_error(NULL, -32601, "unknown \"x\"\n");
  g_assert_cmpstr(
      err, ==, "{\"id\":null,\"error\":{\"code\":-32601,\"message\":\"unknown \\\"x\\\"\\n\"}}\n");
  g_autoptr(GError) e = g_error_new_literal(SM_ERROR, SM_ERROR_POLICY, "no");
  g_assert_cmpint(sm_control_error_code(e), ==, -32000 - SM_ERROR_POLICY);
}

/* ---- a live server ---- */

typedef struct
{
  char *dir;
  char *path;
  char *audit_db;
  GThread *thread;
  GMainContext *context;
  GMainLoop *loop;
  SmControlServer *server;
  GThread *server_thread_id;
  GMutex lock;
  GCond cond;
  gboolean ready;
} Live;

static JsonNode *
handle_echo(JsonObject *params, gpointer user_data, GError **error)
{
  JsonNode *n = json_node_new(JSON_NODE_OBJECT);
  json_node_set_object(n, params);
  return n;
}

static JsonNode *
handle_where(JsonObject *params, gpointer user_data, GError **error)
{
  Live *live = user_data;
  JsonNode *n = json_node_new(JSON_NODE_VALUE);
  json_node_set_boolean(n, g_thread_self() == live->server_thread_id);
  return n;
}

static JsonNode *
handle_refuse(JsonObject *params, gpointer user_data, GError **error)
{
  g_set_error_literal(error, SM_ERROR, SM_ERROR_POLICY, "refused by policy");
  return NULL;
}

static JsonNode *
status_provider(gpointer user_data)
{
  return json_from_string("{\"listeners\": [{\"account\": \"work\", \"address\": \"127.0.0.1\","
                          " \"port\": 1587}], \"accounts\": [{\"name\": \"work\"}]}",
                          NULL);
}

static const SmControlMethod methods[] = {
  { "echo", handle_echo, SM_CONTROL_METHOD_ANY_THREAD },
  { "where", handle_where, SM_CONTROL_METHOD_MAIN_CONTEXT },
  { "where-any", handle_where, SM_CONTROL_METHOD_ANY_THREAD },
  { "refuse", handle_refuse, SM_CONTROL_METHOD_MAIN_CONTEXT },
  { NULL },
};

static gpointer
server_thread(gpointer data)
{
  Live *live = data;
  g_main_context_push_thread_default(live->context);
  g_autoptr(GError) error = NULL;
  SmControlServerOptions o = { .audit_db = live->audit_db, .status_func = status_provider };
  live->server_thread_id = g_thread_self();
  live->server = sm_control_server_new(live->path, methods, live, &o, &error);
  g_assert_no_error(error);
  g_mutex_lock(&live->lock);
  live->ready = TRUE;
  g_cond_signal(&live->cond);
  g_mutex_unlock(&live->lock);
  g_main_loop_run(live->loop);
  g_clear_pointer(&live->server, sm_control_server_free);
  g_main_context_pop_thread_default(live->context);
  return NULL;
}

static void
live_start(Live *live)
{
  live->dir = g_dir_make_tmp("sm-control-XXXXXX", NULL);
  live->path = g_build_filename(live->dir, "run", "control.sock", NULL);
  live->audit_db = g_build_filename(live->dir, "audit.sqlite", NULL);
  g_autoptr(SmAudit) audit = sm_audit_open(live->audit_db, NULL);
  g_autoptr(JsonNode) rec = json_from_string(
      "{\"result\": \"blocked\", \"recipients\": [{\"address\": \"carol@example.test\","
      " \"decision\": \"blocked\", \"reason\": \"no key\"}], \"findings\": {\"US_SSN\": 1}}",
      NULL);
  g_assert_true(sm_audit_record(audit, rec, NULL));
  live->context = g_main_context_new();
  live->loop = g_main_loop_new(live->context, FALSE);
  g_mutex_init(&live->lock);
  g_cond_init(&live->cond);
  live->thread = g_thread_new("control-server", server_thread, live);
  g_mutex_lock(&live->lock);
  while (!live->ready)
    g_cond_wait(&live->cond, &live->lock);
  g_mutex_unlock(&live->lock);
}

static void
live_stop(Live *live)
{
  g_main_loop_quit(live->loop);
  g_thread_join(live->thread);
  g_main_loop_unref(live->loop);
  g_main_context_unref(live->context);
  g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", live->dir);
  g_assert_cmpint(system(cmd), ==, 0);
  g_free(live->dir);
  g_free(live->path);
  g_free(live->audit_db);
}

/* Sends raw bytes on one connection and returns the reply lines. */
static char *
raw_exchange(const char *path, const char *bytes, gsize len)
{
  g_autoptr(GSocket) sock
      = g_socket_new(G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT, NULL);
  g_autoptr(GSocketAddress) addr = g_unix_socket_address_new(path);
  g_assert_true(g_socket_connect(sock, addr, NULL, NULL));
  g_socket_set_timeout(sock, 10);
  gsize off = 0;
  while (off < len)
    {
      gssize n = g_socket_send(sock, bytes + off, len - off, NULL, NULL);
      if (n <= 0)
        break; /* the server may close on an over-long line */
      off += n;
    }
  g_socket_shutdown(sock, FALSE, TRUE, NULL);
  g_autoptr(GString) out = g_string_new(NULL);
  char buf[4096];
  gssize n;
  while ((n = g_socket_receive(sock, buf, sizeof buf, NULL, NULL)) > 0)
    g_string_append_len(out, buf, n);
  return g_string_free(g_steal_pointer(&out), FALSE);
}

static void
test_server(void)
{
  Live live = { 0 };
  live_start(&live);
  g_autoptr(GError) error = NULL;

  GStatBuf st;
  g_assert_cmpint(g_stat(live.path, &st), ==, 0);
  g_assert_cmpint(st.st_mode & 0777, ==, 0600);
  g_autofree char *dir = g_path_get_dirname(live.path);
  g_assert_cmpint(g_stat(dir, &st), ==, 0);
  g_assert_cmpint(st.st_mode & 0777, ==, 0700);

  g_autoptr(JsonNode) status = sm_control_call(live.path, "status", NULL, NULL, &error);
  g_assert_no_error(error);
  JsonObject *so = json_node_get_object(status);
  JsonObject *daemon = json_object_get_object_member(so, "daemon");
  g_assert_cmpint(json_object_get_int_member(daemon, "pid"), ==, getpid());
  g_assert_cmpstr(json_object_get_string_member(daemon, "control_socket"), ==, live.path);
  JsonArray *listeners = json_object_get_array_member(so, "listeners");
  g_assert_cmpuint(json_array_get_length(listeners), ==, 1);
  JsonArray *recent = json_object_get_array_member(so, "recent");
  g_assert_cmpuint(json_array_get_length(recent), ==, 1);
  g_assert_cmpstr(json_object_get_string_member(json_array_get_object_element(recent, 0), "result"),
                  ==, "blocked");

  g_autoptr(JsonNode) params = json_from_string("{\"k\": \"v\"}", NULL);
  g_autoptr(JsonNode) echo = sm_control_call(live.path, "echo", params, NULL, &error);
  g_assert_no_error(error);
  g_assert_cmpstr(json_object_get_string_member(json_node_get_object(echo), "k"), ==, "v");
  g_autoptr(JsonNode) where = sm_control_call(live.path, "where", NULL, NULL, &error);
  g_assert_true(json_node_get_boolean(where));
  g_autoptr(JsonNode) any = sm_control_call(live.path, "where-any", NULL, NULL, &error);
  g_assert_false(json_node_get_boolean(any));

  g_assert_null(sm_control_call(live.path, "refuse", NULL, NULL, &error));
  g_assert_error(error, SM_ERROR, SM_ERROR_FAILED);
  g_assert_nonnull(strstr(error->message, "refused by policy"));
  g_clear_error(&error);
  g_assert_null(sm_control_call(live.path, "nosuch", NULL, NULL, &error));
  g_assert_nonnull(strstr(error->message, "unknown method"));
  g_clear_error(&error);

  /* Garbage, then a good request, on one connection: both answered, in order. */
  const char lines[] = "garbage\n\n{\"id\": 2, \"method\": \"echo\", \"params\": {}}\r\n";
  g_autofree char *replies = raw_exchange(live.path, lines, sizeof lines - 1);
  g_auto(GStrv) parts = g_strsplit(replies, "\n", -1);
  g_assert_cmpuint(g_strv_length(parts), ==, 3);
  g_assert_nonnull(strstr(parts[0], "-32700"));
  g_assert_cmpstr(parts[1], ==, "{\"id\":2,\"result\":{}}");

  /* An over-long request is answered with an error and the connection closed. */
  gsize big = sm_limits_get(NULL, SM_LIMIT_CONTROL_REQUEST_BYTES) + 10000;
  g_autofree char *huge = g_malloc(big);
  memset(huge, 'x', big);
  g_autofree char *over = raw_exchange(live.path, huge, big);
  g_assert_nonnull(strstr(over, "control-request-bytes"));

  live_stop(&live);
  g_assert_false(g_file_test(live.path, G_FILE_TEST_EXISTS));
}

static void
test_not_running(void)
{
  g_autoptr(GError) error = NULL;
  g_assert_null(
      sm_control_call("/nonexistent/sealmail/control.sock", "status", NULL, NULL, &error));
  g_assert_error(error, SM_ERROR, SM_ERROR_NOT_FOUND);
  g_assert_nonnull(strstr(error->message, "not running"));
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/control/parse", test_parse);
  g_test_add_func("/control/parse-hostile", test_parse_hostile);
  g_test_add_func("/control/responses", test_responses);
  g_test_add_func("/control/server", test_server);
  g_test_add_func("/control/not-running", test_not_running);
  return g_test_run();
}
