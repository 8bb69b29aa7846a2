/* sm-control-request: parsing control-socket requests and writing responses (the protocol is in
 * sm-control.h). No I/O, so it can be fuzzed (tests/fuzz/fuzz-control.c). A request is checked
 * before json-glib sees it: its size (control-request-bytes), no NUL byte, valid UTF-8, and its
 * nesting (control-json-depth), because json-glib's parser recurses once per level and a line of
 * a million '[' would otherwise exhaust the stack. */
#include "sm-control.h"
#include "sm-error.h"
#include "sm-json.h"

#include <glib/gi18n.h>
#include <string.h>

#define SM_CONTROL_METHOD_MAX 64

static gboolean
fail(GError **error, int *code, int value, SmError kind, const char *message)
{
  *code = value;
  g_set_error_literal(error, SM_ERROR, kind, message);
  return FALSE;
}

/* One pass over the bytes: nesting outside strings, with escapes skipped. */
static gboolean
depth_ok(const char *s, gsize len, guint64 max_depth)
{
  guint64 depth = 0;
  gboolean in_string = FALSE;
  for (gsize i = 0; i < len; i++)
    {
      char c = s[i];
      if (in_string)
        {
          if (c == '\\')
            i++;
          else if (c == '"')
            in_string = FALSE;
          continue;
        }
      if (c == '"')
        in_string = TRUE;
      else if (c == '[' || c == '{')
        {
          if (++depth > max_depth)
            return FALSE;
        }
      else if ((c == ']' || c == '}') && depth > 0)
        depth--;
    }
  return TRUE;
}

static gboolean
precheck(const char *line, gsize len, const SmLimits *limits, int *code, GError **error)
{
  if (len > sm_limits_get(limits, SM_LIMIT_CONTROL_REQUEST_BYTES))
    return fail(error, code, SM_CONTROL_ERROR_INVALID_REQUEST, SM_ERROR_LIMIT,
                _("request larger than control-request-bytes"));
  if (memchr(line, '\0', len) != NULL || !g_utf8_validate(line, len, NULL))
    return fail(error, code, SM_CONTROL_ERROR_PARSE, SM_ERROR_INVALID_INPUT,
                _("request is not UTF-8 JSON text"));
  if (!depth_ok(line, len, sm_limits_get(limits, SM_LIMIT_CONTROL_JSON_DEPTH)))
    return fail(error, code, SM_CONTROL_ERROR_INVALID_REQUEST, SM_ERROR_LIMIT,
                _("request nested deeper than control-json-depth"));
  return TRUE;
}

static gboolean
method_name_ok(const char *m)
{
  gsize n = strlen(m);
  if (n == 0 || n > SM_CONTROL_METHOD_MAX)
    return FALSE;
  for (const char *p = m; *p != '\0'; p++)
    if (!g_ascii_isalnum(*p) && *p != '_' && *p != '-' && *p != '.')
      return FALSE;
  return TRUE;
}

/* The id may be a string, a number or null (as in JSON-RPC 2.0). */
static gboolean
id_ok(JsonNode *id)
{
  return id == NULL || JSON_NODE_HOLDS_NULL(id)
         || (JSON_NODE_HOLDS_VALUE(id) && json_node_get_value_type(id) != G_TYPE_BOOLEAN);
}

SmControlRequest *
sm_control_request_parse(const char *line, gsize len, const SmLimits *limits, JsonNode **id,
                         int *code, GError **error)
{
  g_return_val_if_fail(line != NULL || len == 0, NULL);
  *id = NULL;
  *code = 0;
  if (!precheck(line != NULL ? line : "", len, limits, code, error))
    return NULL;
  g_autoptr(JsonParser) parser = json_parser_new_immutable();
  g_autoptr(GError) local = NULL;
  if (len == 0 || !json_parser_load_from_data(parser, line, (gssize)len, &local))
    {
      fail(error, code, SM_CONTROL_ERROR_PARSE, SM_ERROR_INVALID_INPUT, _("request is not JSON"));
      return NULL;
    }
  JsonNode *root = json_parser_get_root(parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root))
    {
      fail(error, code, SM_CONTROL_ERROR_INVALID_REQUEST, SM_ERROR_INVALID_INPUT,
           _("request is not a JSON object"));
      return NULL;
    }
  JsonObject *obj = json_node_get_object(root);
  JsonNode *id_node = json_object_get_member(obj, "id");
  if (!id_ok(id_node))
    {
      fail(error, code, SM_CONTROL_ERROR_INVALID_REQUEST, SM_ERROR_INVALID_INPUT,
           _("request id must be a string, a number or null"));
      return NULL;
    }
  *id = id_node != NULL ? json_node_copy(id_node) : NULL;
  JsonNode *m = json_object_get_member(obj, "method");
  if (m == NULL || !JSON_NODE_HOLDS_VALUE(m) || json_node_get_value_type(m) != G_TYPE_STRING
      || !method_name_ok(json_node_get_string(m)))
    {
      fail(error, code, SM_CONTROL_ERROR_INVALID_REQUEST, SM_ERROR_INVALID_INPUT,
           _("request has no valid \"method\""));
      return NULL;
    }
  JsonNode *p = json_object_get_member(obj, "params");
  if (p != NULL && !JSON_NODE_HOLDS_NULL(p) && !JSON_NODE_HOLDS_OBJECT(p))
    {
      fail(error, code, SM_CONTROL_ERROR_INVALID_PARAMS, SM_ERROR_INVALID_INPUT,
           _("\"params\" must be an object"));
      return NULL;
    }
  SmControlRequest *req = g_new0(SmControlRequest, 1);
  req->id = *id != NULL ? json_node_copy(*id) : json_node_new(JSON_NODE_NULL);
  req->method = g_strdup(json_node_get_string(m));
  req->params = p != NULL && JSON_NODE_HOLDS_OBJECT(p) ? json_object_ref(json_node_get_object(p))
                                                       : json_object_new();
  g_clear_pointer(id, json_node_unref);
  *id = json_node_copy(req->id);
  return req;
}

void
sm_control_request_free(SmControlRequest *request)
{
  if (request == NULL)
    return;
  g_clear_pointer(&request->id, json_node_unref);
  g_free(request->method);
  g_clear_pointer(&request->params, json_object_unref);
  g_free(request);
}

static char *
response(JsonNode *id, const char *member, JsonNode *value)
{
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "id");
  json_builder_add_value(b, id != NULL ? json_node_copy(id) : json_node_new(JSON_NODE_NULL));
  json_builder_set_member_name(b, member);
  json_builder_add_value(b, value);
  json_builder_end_object(b);
  g_autoptr(JsonNode) root = json_builder_get_root(b);
  g_autofree char *text = sm_json_to_string(root, FALSE);
  return g_strconcat(text, "\n", NULL);
}

char *
sm_control_response_result(JsonNode *id, JsonNode *result)
{
  return response(id, "result",
                  result != NULL ? json_node_copy(result) : json_node_new(JSON_NODE_NULL));
}

char *
sm_control_response_error(JsonNode *id, int code, const char *message)
{
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "code");
  json_builder_add_int_value(b, code);
  json_builder_set_member_name(b, "message");
  json_builder_add_string_value(b, message != NULL ? message : "");
  json_builder_end_object(b);
  return response(id, "error", json_builder_get_root(b));
}

int
sm_control_error_code(const GError *error)
{
  if (error == NULL || error->domain != SM_ERROR)
    return SM_CONTROL_ERROR_INTERNAL;
  if (error->code == SM_ERROR_INVALID_INPUT)
    return SM_CONTROL_ERROR_INVALID_PARAMS;
  return SM_CONTROL_ERROR_SERVER - error->code;
}
