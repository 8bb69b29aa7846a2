/* sm-json: the one JSON printer and small builders shared by every --json output and the
 * control socket. Contract field names are snake_case (../DESIGN.md, Contracts). */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Version of the JSON contract; bumped only when a field changes meaning. */
#define SM_JSON_FORMAT_VERSION 1

/* Serialises @node; pretty-printed with two-space indent when @pretty. */
char *sm_json_to_string(JsonNode *node, gboolean pretty);
/* Adds "name": value, or "name": null when @value is NULL. */
void sm_json_add_string_or_null(JsonBuilder *b, const char *name, const char *value);
/* Makes untrusted text safe to show in a terminal: control characters become '?' and invalid
 * UTF-8 is replaced. The result is at most @max_chars characters (0 = no limit). */
char *sm_json_sanitize(const char *text, gssize len, gsize max_chars);

G_END_DECLS
