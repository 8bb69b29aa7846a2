/* Fuzz target for the delivery-path parsers: the same bytes go to the Received parser
 * (sm_received_parse), to both Authentication-Results parsers (sm_authres_parse, plain and ARC),
 * and, read as a header block through sm-message, to sm_path_new_from_headers with and without
 * a trust list, then to the JSON and human printers. Nothing may crash, leak or run unbounded;
 * every string the parsers return must be valid UTF-8. */
#include "sm-authres.h"
#include "sm-json.h"
#include "sm-message.h"
#include "sm-path.h"
#include "sm-received.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_utf8(const char *s)
{
  g_assert_true(s == NULL || g_utf8_validate(s, -1, NULL));
}

static void
fuzz_received(const char *text, size_t size)
{
  g_autoptr(SmReceived) r = sm_received_parse(text, size, NULL);
  const char *strings[] = { r->from, r->helo,     r->rdns, r->ip,       r->by,          r->via,
                            r->with, r->protocol, r->id,   r->for_addr, r->tls_version, r->cipher };
  for (gsize i = 0; i < G_N_ELEMENTS(strings); i++)
    check_utf8(strings[i]);
  g_assert_nonnull(r->mta);
}

static void
fuzz_authres(const char *text, size_t size, gboolean arc)
{
  g_autoptr(SmAuthres) a = sm_authres_parse(text, size, arc, NULL);
  check_utf8(a->authserv_id);
  for (guint i = 0; i < a->results->len; i++)
    {
      const SmAuthresResult *res = a->results->pdata[i];
      check_utf8(res->method);
      check_utf8(res->result);
    }
}

static void
fuzz_path(GMimeMessage *m, const char *const *trusted)
{
  SmPathOptions options = { .trusted = trusted };
  g_autoptr(SmPath) path
      = sm_path_new_from_headers(g_mime_object_get_header_list(GMIME_OBJECT(m)), &options, NULL);
  g_assert_nonnull(path);
  g_autoptr(JsonNode) json = sm_path_to_json(path);
  g_autoptr(JsonNode) ar = sm_path_authres_to_json(path);
  g_autofree char *s1 = sm_json_to_string(json, FALSE);
  g_autofree char *s2 = sm_json_to_string(ar, FALSE);
  g_autoptr(GString) human = g_string_new(NULL);
  sm_path_print_human(path, human);
  check_utf8(sm_path_summary(path));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static gboolean initialised = FALSE;
  if (!initialised)
    {
      sm_message_init();
      initialised = TRUE;
    }
  const char *text = (const char *)data;
  fuzz_received(text, size);
  fuzz_authres(text, size, FALSE);
  fuzz_authres(text, size, TRUE);

  g_autoptr(GBytes) bytes = g_bytes_new(data, size);
  g_autoptr(GMimeMessage) m = sm_message_parse_bytes(bytes, NULL, NULL);
  if (m != NULL)
    {
      static const char *const trusted[] = { "example.net", "mx.example.org", NULL };
      fuzz_path(m, NULL);
      fuzz_path(m, trusted);
    }
  return 0;
}
