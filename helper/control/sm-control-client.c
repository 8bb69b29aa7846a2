/* sm-control-client: one request over the control socket (protocol in sm-control.h), used by
 * `sealmail status`. The reply is read up to control-response-bytes, with control-timeout. */
#include "sm-control.h"
#include "sm-error.h"
#include "sm-json.h"

#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <glib/gi18n.h>
#include <string.h>

#define SM_CONTROL_CLIENT_CHUNK 65536

static GSocket *
connect_to(const char *path, const SmLimits *limits, GError **error)
{
  g_autoptr(GError) local = NULL;
  g_autoptr(GSocket) sock
      = g_socket_new(G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT, &local);
  g_autoptr(GSocketAddress) addr = g_unix_socket_address_new(path);
  if (sock != NULL)
    {
      g_socket_set_timeout(sock, sm_limits_get(limits, SM_LIMIT_CONTROL_TIMEOUT_SECONDS));
      if (g_socket_connect(sock, addr, NULL, &local))
        return g_steal_pointer(&sock);
    }
  g_set_error(error, SM_ERROR, SM_ERROR_NOT_FOUND,
              _("sealmaild is not running (nothing answers on %s: %s). Start it with "
                "'sealmaild' or 'systemctl --user start sealmaild'."),
              path, local != NULL ? local->message : "?");
  return NULL;
}

static gboolean
send_request(GSocket *sock, const char *method, JsonNode *params, GError **error)
{
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "id");
  json_builder_add_int_value(b, 1);
  json_builder_set_member_name(b, "method");
  json_builder_add_string_value(b, method);
  json_builder_set_member_name(b, "params");
  json_builder_add_value(b,
                         params != NULL ? json_node_copy(params) : json_node_new(JSON_NODE_NULL));
  json_builder_end_object(b);
  g_autoptr(JsonNode) root = json_builder_get_root(b);
  g_autofree char *body = sm_json_to_string(root, FALSE);
  g_autofree char *line = g_strconcat(body, "\n", NULL);
  gsize len = strlen(line), off = 0;
  while (off < len)
    {
      gssize n = g_socket_send(sock, line + off, len - off, NULL, error);
      if (n <= 0)
        {
          g_prefix_error(error, _("control socket: "));
          return FALSE;
        }
      off += n;
    }
  return TRUE;
}

static GByteArray *
read_line(GSocket *sock, gsize max, GError **error)
{
  g_autoptr(GByteArray) buf = g_byte_array_new();
  g_autofree char *chunk = g_malloc(SM_CONTROL_CLIENT_CHUNK);
  while (buf->len == 0 || memchr(buf->data, '\n', buf->len) == NULL)
    {
      if (buf->len > max)
        {
          g_set_error_literal(error, SM_ERROR, SM_ERROR_LIMIT,
                              _("control socket: response larger than control-response-bytes"));
          return NULL;
        }
      gssize n = g_socket_receive(sock, chunk, SM_CONTROL_CLIENT_CHUNK, NULL, error);
      if (n < 0)
        {
          g_prefix_error(error, _("control socket: "));
          return NULL;
        }
      if (n == 0)
        {
          g_set_error_literal(
              error, SM_ERROR, SM_ERROR_PROTOCOL,
              _("control socket: sealmaild closed the connection without answering"));
          return NULL;
        }
      g_byte_array_append(buf, (const guint8 *)chunk, n);
    }
  gsize len = (guint8 *)memchr(buf->data, '\n', buf->len) - buf->data;
  g_byte_array_set_size(buf, len);
  return g_steal_pointer(&buf);
}

static JsonNode *
parse_response(GByteArray *line, GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable();
  JsonNode *root = NULL;
  if (json_parser_load_from_data(parser, (const char *)line->data, line->len, NULL))
    root = json_parser_get_root(parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root))
    {
      g_set_error_literal(error, SM_ERROR, SM_ERROR_PROTOCOL,
                          _("control socket: the response is not a JSON object"));
      return NULL;
    }
  JsonObject *obj = json_node_get_object(root);
  if (json_object_has_member(obj, "error"))
    {
      JsonNode *e = json_object_get_member(obj, "error");
      const char *msg = JSON_NODE_HOLDS_OBJECT(e) ? json_object_get_string_member_with_default(
                            json_node_get_object(e), "message", NULL)
                                                  : NULL;
      g_autofree char *clean = sm_json_sanitize(msg != NULL ? msg : "?", -1, 500);
      g_set_error(error, SM_ERROR, SM_ERROR_FAILED, _("sealmaild answered: %s"), clean);
      return NULL;
    }
  JsonNode *result = json_object_get_member(obj, "result");
  if (result == NULL)
    {
      g_set_error_literal(error, SM_ERROR, SM_ERROR_PROTOCOL,
                          _("control socket: the response has neither result nor error"));
      return NULL;
    }
  return json_node_copy(result);
}

JsonNode *
sm_control_call(const char *socket_path, const char *method, JsonNode *params,
                const SmLimits *limits, GError **error)
{
  g_return_val_if_fail(method != NULL, NULL);
  g_autofree char *path
      = socket_path != NULL ? g_strdup(socket_path) : sm_control_default_socket_path();
  g_autoptr(GSocket) sock = connect_to(path, limits, error);
  if (sock == NULL || !send_request(sock, method, params, error))
    return NULL;
  g_autoptr(GByteArray) line
      = read_line(sock, sm_limits_get(limits, SM_LIMIT_CONTROL_RESPONSE_BYTES), error);
  return line != NULL ? parse_response(line, error) : NULL;
}
