/* sm-control: sealmaild's JSON control socket, used by `sealmail status`, the Claws Mail plugin
 * and scripts. A UNIX stream socket, by default $XDG_RUNTIME_DIR/sealmail/control.sock (mode
 * 0600 in a 0700 directory; clients of another uid are refused). One JSON object per line:
 *
 *   request:  {"id": <any JSON value, optional>, "method": "status", "params": {...}}
 *   response: {"id": <the same>, "result": <value>}
 *         or  {"id": <the same>, "error": {"code": <int>, "message": "<for people>"}}
 *
 * Error codes follow JSON-RPC 2.0: -32700 parse error, -32600 invalid request, -32601 unknown
 * method, -32602 invalid params, -32603 internal error; a handler's SmError becomes
 * -32000 - code (e.g. SM_ERROR_POLICY = 6 gives -32006). Limits: control-request-bytes (longer
 * requests get -32600 and the connection is closed), control-json-depth, control-clients,
 * control-timeout.
 *
 * HOW SEALMAILD WIRES IT (in setup(), after the SMTP servers are listening):
 *
 *   static JsonNode *status_provider(gpointer user_data);   // {"listeners": [...], "accounts":
 * [...]} static const SmControlMethod methods[] = {
 *     {"scan", handle_scan, SM_CONTROL_METHOD_ANY_THREAD}, ..., {NULL}};
 *   SmControlServerOptions co = {.limits = limits, .audit_db = audit_db_path,
 *                                .status_func = status_provider, .status_data = d};
 *   d->control = sm_control_server_new(NULL, methods, d, &co, error);   // NULL: default path
 *   ...
 *   sm_control_server_free(d->control);   // in teardown: closes clients, unlinks the socket
 *
 * The server accepts in the thread-default main context of the caller of sm_control_server_new()
 * and serves each client in a thread of its own; handlers without SM_CONTROL_METHOD_ANY_THREAD
 * (and the status provider) are run in that main context, so they may touch the daemon's state
 * freely. `status` is built in: {"format_version", "daemon": {pid, version, started,
 * uptime_seconds, control_socket}, the members of the provider's object (sealmaild gives
 * "listeners": [{"account", "address", "port", "upstream"}] and "accounts": [{"name", ...}]),
 * "recent": the newest audit records when @audit_db is set}. */
#pragma once

#include <json-glib/json-glib.h>
#include "sm-limits.h"

G_BEGIN_DECLS

#define SM_CONTROL_FORMAT_VERSION 1

typedef enum
{
  SM_CONTROL_ERROR_PARSE = -32700,
  SM_CONTROL_ERROR_INVALID_REQUEST = -32600,
  SM_CONTROL_ERROR_METHOD_NOT_FOUND = -32601,
  SM_CONTROL_ERROR_INVALID_PARAMS = -32602,
  SM_CONTROL_ERROR_INTERNAL = -32603,
  SM_CONTROL_ERROR_SERVER = -32000, /* minus the SmError code */
} SmControlErrorCode;

/* ---- requests and responses (pure: no I/O; fuzzed by tests/fuzz/fuzz-control.c) ---- */

typedef struct
{
  JsonNode *id; /* a copy of the request's id; a JSON null when absent */
  char *method;
  JsonObject *params; /* never NULL: {} when absent */
} SmControlRequest;

/* Parses one request line of @len bytes (without the newline). On failure returns NULL, sets
 * @error (SM_ERROR_INVALID_INPUT or SM_ERROR_LIMIT) and *@code to the response's error code;
 * *@id gets the request's id when it could be read (for the error response), else NULL. */
SmControlRequest *sm_control_request_parse(const char *line, gsize len, const SmLimits *limits,
                                           JsonNode **id, int *code, GError **error);
void sm_control_request_free(SmControlRequest *request);
/* The response lines, newline-terminated. @id may be NULL (a JSON null is written). */
char *sm_control_response_result(JsonNode *id, JsonNode *result);
char *sm_control_response_error(JsonNode *id, int code, const char *message);
/* The error code for a handler's @error. */
int sm_control_error_code(const GError *error);

/* ---- server ---- */

typedef enum
{
  SM_CONTROL_METHOD_MAIN_CONTEXT = 0,
  SM_CONTROL_METHOD_ANY_THREAD = 1 << 0, /* thread-safe: run in the client's thread */
} SmControlMethodFlags;

/* Returns the "result" value (owned by the caller) or NULL with @error set. @params is never
 * NULL. A handler should report bad params with SM_ERROR_INVALID_INPUT. */
typedef JsonNode *(*SmControlHandler)(JsonObject *params, gpointer user_data, GError **error);

typedef struct
{
  const char *name;
  SmControlHandler handler;
  SmControlMethodFlags flags;
} SmControlMethod;

/* Returns a new JSON object whose members are added to the `status` result. */
typedef JsonNode *(*SmControlStatusFunc)(gpointer user_data);

typedef struct
{
  const SmLimits *limits;          /* NULL: the defaults */
  const char *audit_db;            /* NULL: `status` has no "recent" */
  guint recent;                    /* audit records in `status` (0: 10) */
  SmControlStatusFunc status_func; /* may be NULL */
  gpointer status_data;
} SmControlServerOptions;

typedef struct _SmControlServer SmControlServer;

/* $XDG_RUNTIME_DIR/sealmail/control.sock */
char *sm_control_default_socket_path(void);

/* Listens on @socket_path (NULL: the default). @methods ends with a {NULL} row and is borrowed
 * (a static table); @user_data goes to every handler. A stale socket file is replaced; a live one
 * (another sealmaild) is an error. */
SmControlServer *sm_control_server_new(const char *socket_path, const SmControlMethod *methods,
                                       gpointer user_data, const SmControlServerOptions *options,
                                       GError **error);
const char *sm_control_server_get_path(const SmControlServer *server);
/* Stops accepting, closes every client, waits for their threads and removes the socket file. */
void sm_control_server_free(SmControlServer *server);

/* ---- client ---- */

/* Sends one request and returns its "result". An "error" response becomes @error with its
 * message; no daemon listening at @socket_path (NULL: the default) is SM_ERROR_NOT_FOUND. */
JsonNode *sm_control_call(const char *socket_path, const char *method, JsonNode *params,
                          const SmLimits *limits, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(SmControlRequest, sm_control_request_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SmControlServer, sm_control_server_free)

G_END_DECLS
