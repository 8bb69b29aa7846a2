/* Benchmark of the Received parser (not a test: nothing is asserted). Loads every Received field
 * of the real corpus (every tests/data/received/NAME.hdr, through GMime, and the header column of
 * tests/data/received/extra/EXTERNAL.tsv), then times, in the same run and over the same bytes:
 *   baseline  a plain scan that finds each field's last ';' (memrchr) and its " with " (strstr),
 *             the least any Received reader must do;
 *   gmime     GMime's own date parser on the text after the last ';' (part of our work too);
 *   sealmail  sm_received_parse on each field.
 * Prints fields per second for each and sealmail's cost as a ratio to the baseline and to the
 * GMime date parse. Usage: bench-received [SECONDS-PER-MEASURE] (default 1). */
#define _GNU_SOURCE
#include "sm-message.h"
#include "sm-received.h"

#include <string.h>

static void
add_hdr_file(GPtrArray *fields, const char *path)
{
  g_autofree char *data = NULL;
  if (!g_file_get_contents(path, &data, NULL, NULL))
    return;
  g_autofree char *msg = g_strconcat(data, "\n\nbody\n", NULL);
  g_autoptr(GBytes) bytes = g_bytes_new(msg, strlen(msg));
  g_autoptr(GMimeMessage) m = sm_message_parse_bytes(bytes, NULL, NULL);
  if (m == NULL)
    return;
  GMimeHeaderList *headers = g_mime_object_get_header_list(GMIME_OBJECT(m));
  for (int i = 0; i < g_mime_header_list_get_count(headers); i++)
    {
      GMimeHeader *h = g_mime_header_list_get_header_at(headers, i);
      if (g_ascii_strcasecmp(g_mime_header_get_name(h), "Received") == 0)
        g_ptr_array_add(fields, g_strdup(g_mime_header_get_raw_value(h)));
    }
}

static char *
replace(const char *s, const char *from, const char *to)
{
  g_auto(GStrv) parts = g_strsplit(s, from, -1);
  return g_strjoinv(to, parts);
}

static void
add_tsv(GPtrArray *fields, const char *path)
{
  g_autofree char *data = NULL;
  if (!g_file_get_contents(path, &data, NULL, NULL))
    return;
  g_auto(GStrv) lines = g_strsplit(data, "\n", -1);
  for (guint i = 1; lines[i] != NULL; i++)
    {
      g_auto(GStrv) col = g_strsplit(lines[i], "\t", 3);
      if (col[0] == NULL || col[1] == NULL)
        continue;
      g_autofree char *a = replace(col[1], "\\r", "\r");
      g_autofree char *b = replace(a, "\\n", "\n");
      g_ptr_array_add(fields, replace(b, "\\t", "\t"));
    }
}

typedef guint64 (*PassFunc)(GPtrArray *fields);

static guint64
pass_baseline(GPtrArray *fields)
{
  guint64 sum = 0;
  for (guint i = 0; i < fields->len; i++)
    {
      const char *s = fields->pdata[i];
      gsize len = strlen(s);
      const char *semi = memrchr(s, ';', len);
      const char *with = strstr(s, " with ");
      sum += (semi != NULL ? (guint64)(semi - s) : 0) + (with != NULL ? 1 : 0);
    }
  return sum;
}

static guint64
pass_gmime_date(GPtrArray *fields)
{
  guint64 sum = 0;
  for (guint i = 0; i < fields->len; i++)
    {
      const char *s = fields->pdata[i];
      const char *semi = strrchr(s, ';');
      g_autoptr(GDateTime) dt = semi != NULL ? g_mime_utils_header_decode_date(semi + 1) : NULL;
      sum += dt != NULL ? 1 : 0;
    }
  return sum;
}

static guint64
pass_sealmail(GPtrArray *fields)
{
  guint64 sum = 0;
  for (guint i = 0; i < fields->len; i++)
    {
      const char *s = fields->pdata[i];
      g_autoptr(SmReceived) r = sm_received_parse(s, strlen(s), NULL);
      sum += r->tls;
    }
  return sum;
}

/* Fields per second of @pass, run repeatedly for about @seconds. */
static double
measure(PassFunc pass, GPtrArray *fields, double seconds, guint64 *sink)
{
  guint64 start = g_get_monotonic_time();
  guint64 rounds = 0, elapsed = 0;
  do
    {
      *sink += pass(fields);
      rounds++;
      elapsed = g_get_monotonic_time() - start;
    }
  while (elapsed < seconds * G_USEC_PER_SEC);
  return (double)rounds * fields->len / ((double)elapsed / G_USEC_PER_SEC);
}

int
main(int argc, char **argv)
{
  double seconds = argc > 1 ? g_ascii_strtod(argv[1], NULL) : 1.0;
  const char *srcdir = g_getenv("G_TEST_SRCDIR");
  g_autofree char *dir
      = g_build_filename(srcdir != NULL ? srcdir : "tests", "data", "received", NULL);
  sm_message_init();
  g_autoptr(GPtrArray) fields = g_ptr_array_new_with_free_func(g_free);
  g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
  for (const char *name; d != NULL && (name = g_dir_read_name(d)) != NULL;)
    {
      if (g_str_has_suffix(name, ".hdr"))
        {
          g_autofree char *path = g_build_filename(dir, name, NULL);
          add_hdr_file(fields, path);
        }
    }
  g_autofree char *tsv = g_build_filename(dir, "extra", "EXTERNAL.tsv", NULL);
  add_tsv(fields, tsv);
  if (fields->len == 0)
    {
      g_printerr("bench-received: no Received fields found under %s (set G_TEST_SRCDIR)\n", dir);
      return 1;
    }
  guint64 bytes = 0, sink = 0;
  for (guint i = 0; i < fields->len; i++)
    bytes += strlen(fields->pdata[i]);
  double base = measure(pass_baseline, fields, seconds, &sink);
  double date = measure(pass_gmime_date, fields, seconds, &sink);
  double ours = measure(pass_sealmail, fields, seconds, &sink);
  g_print("corpus: %u Received fields, %" G_GUINT64_FORMAT " bytes (checksum %" G_GUINT64_FORMAT
          ")\n",
          fields->len, bytes, sink % 1000);
  g_print("baseline memrchr+strstr scan: %12.0f fields/s\n", base);
  g_print("GMime date parse only:        %12.0f fields/s\n", date);
  g_print("sm_received_parse:            %12.0f fields/s (%.1f MB/s)\n", ours,
          ours * bytes / fields->len / 1e6);
  g_print("ratio: sm_received_parse takes %.1fx the time of the plain scan and %.1fx the time of "
          "GMime's date parse alone\n",
          base / ours, date / ours);
  return 0;
}
