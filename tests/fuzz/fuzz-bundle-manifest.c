/* Fuzz target for the org bundle manifest parser (sm_bundle_manifest_parse): arbitrary bytes
 * must give a manifest or an error, never a crash, a leak or unbounded work. An accepted
 * manifest is written back and must parse again (the writer and parser agree). */
#include "sm-bundle.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SmBundleManifest) m = sm_bundle_manifest_parse((const char *)data, size, NULL, &error);
  if (m == NULL)
    {
      g_assert_nonnull(error);
      return 0;
    }
  g_autoptr(GDateTime) now = g_date_time_new_now_utc();
  g_autoptr(GError) period = NULL;
  sm_bundle_manifest_check_period(m, now, &period);
  gsize len = 0;
  g_autofree char *text = sm_bundle_manifest_to_data(m, &len);
  g_autoptr(SmBundleManifest) again = sm_bundle_manifest_parse(text, len, NULL, &error);
  g_assert_nonnull(again);
  g_assert_cmpuint(again->files->len, ==, m->files->len);
  g_assert_cmpuint(again->version, ==, m->version);
  return 0;
}
