/* libFuzzer target for the control-socket request parser (helper/control/sm-control-request.c):
 * any bytes must give either a request or an error with a JSON-RPC code, and a response line
 * that is itself valid JSON. */
#include "sm-control.h"
#include "sm-error.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  g_autoptr(JsonNode) id = NULL;
  g_autoptr(GError) error = NULL;
  int code = 0;
  g_autoptr(SmControlRequest) req
      = sm_control_request_parse((const char *)data, size, NULL, &id, &code, &error);
  g_assert_true((req == NULL) == (error != NULL));
  g_autofree char *reply = req != NULL ? sm_control_response_result(req->id, NULL)
                                       : sm_control_response_error(id, code, error->message);
  g_autoptr(JsonNode) back = json_from_string(reply, NULL);
  g_assert_nonnull(back);
  return 0;
}
