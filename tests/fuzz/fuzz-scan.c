/* libFuzzer target for the scan module's text scanner (sm-scan-detect.c, sm-scan-ids.c,
 * sm-scan-context.c): arbitrary bytes fed in arbitrary chunk sizes, with an org pattern, so
 * candidates cut by chunk boundaries, invalid UTF-8 and pathological digit runs are covered.
 * Every hit must lie inside the input and be masked. */
#include "sm-scan-private.h"

#include <stdint.h>
#include <string.h>

static SmScanPolicy *policy;

typedef struct
{
  gsize len;
} Input;

static void
check_hit(const SmScanHit *hit, gpointer user_data)
{
  const Input *in = user_data;
  if (hit->start > hit->end || hit->end > in->len || hit->line == 0)
    __builtin_trap();
  if (strlen(hit->masked) >= sizeof hit->masked || strlen(hit->value) >= sizeof hit->value)
    __builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (policy == NULL)
    {
      g_autoptr(GKeyFile) kf = g_key_file_new();
      g_key_file_load_from_data(kf,
                                "[pattern:ID]\nregex = EMP-[0-9]{4,8}\nvalidator = luhn\n"
                                "[pattern:WORD]\nkeywords = falcon;heron\n",
                                -1, 0, NULL);
      policy = sm_scan_policy_new(kf, NULL);
    }
  if (size < 1)
    return 0;
  /* the first byte picks the chunk size, so boundaries fall everywhere */
  gsize chunk = 1 + data[0] * 97u;
  Input in = { size - 1 };
  g_autoptr(SmScanner) sc = sm_scanner_new(sm_scan_policy_patterns(policy), check_hit, &in);
  for (gsize off = 1; off < size; off += chunk)
    sm_scanner_feed(sc, (const char *)data + off, MIN(chunk, size - off));
  sm_scanner_finish(sc);
  /* and the whole-text entry point with the report */
  g_autoptr(SmScanReport) r = sm_scan_text((const char *)data + 1, size - 1, policy, NULL);
  g_autofree char *d = sm_scan_report_describe(r);
  g_autoptr(JsonNode) j = sm_scan_report_to_json(r, FALSE);
  if (d == NULL || j == NULL)
    __builtin_trap();
  return 0;
}
