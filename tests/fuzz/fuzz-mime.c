/* fuzz-mime: libFuzzer target for the MIME side of `sealmail inspect`: sm_message_parse_bytes
 * (header checks, nesting pre-scan, GMime), sm_message_walk, and sm-verify's structure walk
 * with its findings, then the whole inspect report (JSON and human). GPGME is not called
 * (structure_only): gpg is slow and stateful, and its own parsers are fuzzed upstream. */
#include "sm-inspect.h"
#include "sm-json.h"
#include "sm-message.h"

#include <stdint.h>
#include <string.h>

static gboolean
count_part(GMimeObject *part, const char *part_id, guint depth, gpointer user_data)
{
  (*(guint *)user_data)++;
  return TRUE;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  sm_message_init();
  g_autoptr(GBytes) bytes = g_bytes_new(data, size);
  g_autoptr(GMimeMessage) message = sm_message_parse_bytes(bytes, NULL, NULL);
  if (message == NULL)
    return 0;
  guint parts = 0;
  g_autoptr(GError) walk_error = NULL;
  sm_message_walk(message->mime_part, NULL, count_part, &parts, &walk_error);
  g_autofree char *from = sm_message_from_address(message);
  g_assert_true(from == NULL || strchr(from, '@') != NULL || *from != '\0');

  SmInspectOptions options = { NULL, NULL, TRUE };
  g_autoptr(SmInspect) inspect = sm_inspect_message(message, &options, NULL);
  if (inspect == NULL)
    return 0;
  g_autoptr(JsonNode) node = sm_inspect_to_json(inspect);
  g_autofree char *json = sm_json_to_string(node, FALSE);
  g_assert_true(json != NULL && json[0] == '{');
  g_autoptr(GString) human = g_string_new(NULL);
  sm_inspect_print_human(inspect, human);
  return 0;
}
