/* sm-json: JSON output helpers. */
#include "sm-json.h"

#include <string.h>

char *
sm_json_to_string(JsonNode *node, gboolean pretty)
{
  g_autoptr(JsonGenerator) gen = json_generator_new();
  json_generator_set_pretty(gen, pretty);
  json_generator_set_indent(gen, 2);
  json_generator_set_root(gen, node);
  return json_generator_to_data(gen, NULL);
}

void
sm_json_add_string_or_null(JsonBuilder *b, const char *name, const char *value)
{
  json_builder_set_member_name(b, name);
  if (value != NULL)
    json_builder_add_string_value(b, value);
  else
    json_builder_add_null_value(b);
}

char *
sm_json_sanitize(const char *text, gssize len, gsize max_chars)
{
  if (text == NULL)
    return NULL;
  g_autofree char *valid = g_utf8_make_valid(text, len);
  GString *out = g_string_sized_new(strlen(valid));
  gsize chars = 0;
  for (const char *p = valid; *p != '\0'; p = g_utf8_next_char(p)) {
    gunichar c = g_utf8_get_char(p);
    if (max_chars > 0 && chars++ >= max_chars) {
      g_string_append(out, "…");
      break;
    }
    if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0))
      g_string_append_c(out, c == '\t' ? ' ' : '?');
    else
      g_string_append_unichar(out, c);
  }
  return g_string_free(out, FALSE);
}
