/* libFuzzer target for the scan module's converters of untrusted input (sm-scan-text.c,
 * sm-scan-extract.c): HTML to text fed in pieces, and the DOCX/XLSX/ODT (libarchive + libxml2
 * SAX) and PDF (poppler) extractors on arbitrary bytes, with small limits so that inflating
 * input is cut quickly. The first byte selects the converter. */
#include "sm-scan-private.h"

#include <stdint.h>

static void
ignore_hit(const SmScanHit *hit, gpointer user_data)
{
}

static void
fuzz_html(const uint8_t *data, size_t size)
{
  g_autoptr(SmHtmlText) h = sm_html_text_new();
  g_autoptr(GString) out = g_string_new(NULL);
  gsize step = 1 + size % 13;
  for (gsize off = 0; off < size; off += step)
    sm_html_text_feed(h, (const char *)data + off, MIN(step, size - off), out);
  /* output never grows much beyond input: entities shrink, "> " prefixes are bounded */
  if (out->len > size * 8 + 64)
    __builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static SmLimits *limits;
  if (limits == NULL)
    {
      g_autoptr(GKeyFile) kf = g_key_file_new();
      g_key_file_load_from_data(kf,
                                "[limits]\nextract-text-bytes = 65536\n"
                                "extract-xml-bytes = 1048576\nextract-entries = 64\n",
                                -1, 0, NULL);
      limits = sm_limits_new(kf, NULL);
    }
  if (size < 1)
    return 0;
  SmExtractKind kinds[]
      = { SM_EXTRACT_NONE, SM_EXTRACT_DOCX, SM_EXTRACT_XLSX, SM_EXTRACT_ODF, SM_EXTRACT_PDF };
  SmExtractKind kind = kinds[data[0] % G_N_ELEMENTS(kinds)];
  if (kind == SM_EXTRACT_NONE)
    {
      fuzz_html(data + 1, size - 1);
      return 0;
    }
  g_autoptr(GBytes) bytes = g_bytes_new(data + 1, size - 1);
  g_autoptr(SmScanner) sc = sm_scanner_new(NULL, ignore_hit, NULL);
  gboolean truncated = FALSE;
  g_autoptr(GError) error = NULL;
  sm_scan_extract(kind, bytes, sc, limits, &truncated, &error);
  sm_scanner_finish(sc);
  return 0;
}
