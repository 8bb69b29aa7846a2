/* fuzz-autocrypt: the Autocrypt header parser and the update rules over arbitrary input. The input
 * is used twice: as one header value, and as a whole received message whose From, Date and
 * Autocrypt headers update an in-memory peer table. */
#include "sm-autocrypt.h"
#include "sm-message.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static SmAutocryptStore *store;
  if (store == NULL)
    {
      sm_message_init();
      store = sm_autocrypt_store_open(":memory:", NULL);
    }
  g_autofree char *text = g_strndup((const char *)data, size);
  g_autoptr(SmAutocryptHeader) h = sm_autocrypt_header_parse(text, NULL);
  if (h != NULL)
    {
      g_autofree char *again = sm_autocrypt_header_format(h->addr, h->prefer, h->keydata);
      g_autoptr(SmAutocryptHeader) h2 = sm_autocrypt_header_parse(again, NULL);
      if (h2 == NULL || !g_bytes_equal(h->keydata, h2->keydata))
        __builtin_trap(); /* what we format, we must parse back */
      sm_autocrypt_update(store, h->addr, 1000, h, 2000, NULL);
    }
  g_autoptr(GBytes) bytes = g_bytes_new(data, size);
  g_autoptr(GMimeMessage) message = sm_message_parse_bytes(bytes, NULL, NULL);
  if (message != NULL)
    sm_autocrypt_process_message(store, message, NULL);
  return 0;
}
