/* Benchmark of `sealmail inspect` (not a test: nothing is asserted). The corpus is made of real
 * header blocks (every tests/data/received/NAME.hdr) each joined to three kinds of body: plain
 * text, multipart/alternative (text and HTML), and multipart/mixed with a 40 KB base64
 * attachment, plus the PGP/MIME signed README sample. In the same run and over the same bytes:
 *   baseline   GMime's parser alone (g_mime_parser_construct_message);
 *   parse      sm_message_parse_bytes: header checks, nesting pre-scan, GMime;
 *   inspect    sm_inspect_bytes without GPGME (structure of signatures, delivery path, JSON);
 *   gpg        sm_inspect_bytes with GPGME on the signed sample only, its signer imported into a
 *              throwaway GNUPGHOME (skipped when gpg is missing).
 * Prints messages per second and each as a ratio to the baseline.
 * Usage: bench-inspect [SECONDS-PER-MEASURE] (default 1). */
#include "sm-inspect.h"
#include "sm-json.h"
#include "sm-message.h"

#include <glib/gstdio.h>
#include <string.h>

static const char plain_body[]
    = "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: "
      "quoted-printable\n\nHello,\n\nthe quarterly figures are attached; the caf=C3=A9 budget "
      "stays as agreed.\n\n-- \nsent from a desktop client\n";

static const char alternative_body[]
    = "MIME-Version: 1.0\nContent-Type: multipart/alternative; boundary=\"alt-7f3a\"\n\n"
      "--alt-7f3a\nContent-Type: text/plain; charset=utf-8\n\nHello,\nsee you on Tuesday.\n"
      "--alt-7f3a\nContent-Type: text/html; charset=utf-8\n\n<html><body><p>Hello,</p>"
      "<p>see you on <b>Tuesday</b>.</p></body></html>\n--alt-7f3a--\n";

static GBytes *
make_message(const char *headers, gsize headers_len, const char *body)
{
  GString *s = g_string_new_len(headers, headers_len);
  while (s->len > 0 && (s->str[s->len - 1] == '\n' || s->str[s->len - 1] == '\r'))
    g_string_truncate(s, s->len - 1);
  g_string_append(s, "\nFrom: Alice Example <alice@example.org>\nTo: bob@example.net\n"
                     "Subject: Quarterly figures\nDate: Wed, 25 Nov 2026 10:00:00 +0000\n");
  g_string_append(s, body);
  return g_string_free_to_bytes(s);
}

static char *
mixed_body(void)
{
  GString *s
      = g_string_new("MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"mix-19\"\n\n"
                     "--mix-19\nContent-Type: text/plain\n\nFigures attached.\n--mix-19\n"
                     "Content-Type: application/pdf; name=\"q3.pdf\"\nContent-Disposition: "
                     "attachment; filename=\"q3.pdf\"\nContent-Transfer-Encoding: base64\n\n");
  guint8 chunk[57];
  for (gsize i = 0; i < sizeof chunk; i++)
    chunk[i] = (guint8)(i * 37 + 11);
  g_autofree char *line = g_base64_encode(chunk, sizeof chunk);
  for (int i = 0; i < 40 * 1024 / 57; i++)
    g_string_append_printf(s, "%s\n", line);
  g_string_append(s, "--mix-19--\n");
  return g_string_free(s, FALSE);
}

static void
load_corpus(const char *srcdir, GPtrArray *corpus, GBytes **signed_sample)
{
  g_autofree char *dir = g_build_filename(srcdir, "data", "received", NULL);
  g_autofree char *mixed = mixed_body();
  g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
  for (const char *name; d != NULL && (name = g_dir_read_name(d)) != NULL;)
    {
      g_autofree char *path = g_build_filename(dir, name, NULL);
      g_autofree char *hdr = NULL;
      gsize len = 0;
      if (!g_str_has_suffix(name, ".hdr") || !g_file_get_contents(path, &hdr, &len, NULL))
        continue;
      g_ptr_array_add(corpus, make_message(hdr, len, plain_body));
      g_ptr_array_add(corpus, make_message(hdr, len, alternative_body));
      g_ptr_array_add(corpus, make_message(hdr, len, mixed));
    }
  g_autofree char *sample = g_build_filename(srcdir, "data", "sample", "signed.eml", NULL);
  g_autofree char *data = NULL;
  gsize len = 0;
  if (g_file_get_contents(sample, &data, &len, NULL))
    {
      *signed_sample = g_bytes_new(data, len);
      g_ptr_array_add(corpus, g_bytes_ref(*signed_sample));
    }
}

typedef guint64 (*PassFunc)(GPtrArray *corpus);

static guint64
pass_gmime(GPtrArray *corpus)
{
  guint64 sum = 0;
  for (guint i = 0; i < corpus->len; i++)
    {
      gsize len = 0;
      const char *p = g_bytes_get_data(corpus->pdata[i], &len);
      g_autoptr(GMimeStream) stream = g_mime_stream_mem_new_with_buffer(p, len);
      g_autoptr(GMimeParser) parser = g_mime_parser_new_with_stream(stream);
      g_autoptr(GMimeMessage) m = g_mime_parser_construct_message(parser, NULL);
      sum += m != NULL;
    }
  return sum;
}

static guint64
pass_parse(GPtrArray *corpus)
{
  guint64 sum = 0;
  for (guint i = 0; i < corpus->len; i++)
    {
      g_autoptr(GMimeMessage) m = sm_message_parse_bytes(corpus->pdata[i], NULL, NULL);
      sum += m != NULL;
    }
  return sum;
}

static guint64
inspect_all(GPtrArray *corpus, gboolean structure_only)
{
  guint64 sum = 0;
  SmInspectOptions options = { NULL, NULL, structure_only };
  for (guint i = 0; i < corpus->len; i++)
    {
      g_autoptr(SmInspect) in = sm_inspect_bytes(corpus->pdata[i], &options, NULL);
      if (in == NULL)
        continue;
      g_autoptr(JsonNode) node = sm_inspect_to_json(in);
      g_autofree char *json = sm_json_to_string(node, TRUE);
      sum += strlen(json);
    }
  return sum;
}

static guint64
pass_inspect(GPtrArray *corpus)
{
  return inspect_all(corpus, TRUE);
}

static guint64
pass_inspect_gpg(GPtrArray *corpus)
{
  return inspect_all(corpus, FALSE);
}

/* Messages per second of @pass, run repeatedly for about @seconds. */
static double
measure(PassFunc pass, GPtrArray *corpus, double seconds, guint64 *sink)
{
  gint64 start = g_get_monotonic_time(), elapsed = 0;
  guint64 rounds = 0;
  do
    {
      *sink += pass(corpus);
      rounds++;
      elapsed = g_get_monotonic_time() - start;
    }
  while (elapsed < seconds * G_USEC_PER_SEC);
  return (double)rounds * corpus->len / ((double)elapsed / G_USEC_PER_SEC);
}

static gboolean
run(const char *const *argv)
{
  gint status = 0;
  return g_spawn_sync(NULL, (char **)argv, NULL,
                      G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                      NULL, NULL, NULL, NULL, &status, NULL)
         && g_spawn_check_wait_status(status, NULL);
}

/* A throwaway GNUPGHOME holding the sample's signer, trusted; NULL without gpg. */
static char *
gpg_home(const char *srcdir)
{
  g_autofree char *home = g_dir_make_tmp("sm-bench-XXXXXX", NULL);
  g_autofree char *key = g_build_filename(srcdir, "data", "sample", "sample-signer.asc", NULL);
  g_autofree char *trust = g_build_filename(srcdir, "data", "sample", "sample-signer.trust", NULL);
  const char *import[] = { "gpg", "--homedir", home, "--batch", "--import", key, NULL };
  const char *own[] = { "gpg", "--homedir", home, "--batch", "--import-ownertrust", trust, NULL };
  if (home == NULL || !run(import) || !run(own))
    return NULL;
  g_setenv("GNUPGHOME", home, TRUE);
  return g_steal_pointer(&home);
}

int
main(int argc, char **argv)
{
  double seconds = argc > 1 ? g_ascii_strtod(argv[1], NULL) : 1.0;
  const char *srcdir = g_getenv("G_TEST_SRCDIR") != NULL ? g_getenv("G_TEST_SRCDIR") : "tests";
  sm_message_init();
  g_autoptr(GPtrArray) corpus = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
  g_autoptr(GBytes) signed_sample = NULL;
  load_corpus(srcdir, corpus, &signed_sample);
  if (corpus->len == 0 || signed_sample == NULL)
    {
      g_printerr("bench-inspect: no corpus under %s (set G_TEST_SRCDIR to tests/)\n", srcdir);
      return 1;
    }
  guint64 bytes = 0, sink = 0;
  for (guint i = 0; i < corpus->len; i++)
    bytes += g_bytes_get_size(corpus->pdata[i]);
  double base = measure(pass_gmime, corpus, seconds, &sink);
  double parse = measure(pass_parse, corpus, seconds, &sink);
  double inspect = measure(pass_inspect, corpus, seconds, &sink);
  g_print("corpus: %u messages, %" G_GUINT64_FORMAT " bytes (checksum %" G_GUINT64_FORMAT ")\n",
          corpus->len, bytes, sink % 1000);
  g_print("baseline GMime parse:          %10.0f messages/s\n", base);
  g_print("sm_message_parse_bytes:        %10.0f messages/s  (%.2fx the baseline's time)\n", parse,
          base / parse);
  g_print("inspect, no GPGME:             %10.0f messages/s  (%.2fx the baseline's time)\n",
          inspect, base / inspect);

  g_autofree char *home = gpg_home(srcdir);
  if (home == NULL)
    {
      g_print("inspect with gpg: skipped (gpg not available)\n");
      return 0;
    }
  g_autoptr(GPtrArray) one = g_ptr_array_new();
  g_ptr_array_add(one, signed_sample);
  double base1 = measure(pass_gmime, one, seconds, &sink);
  double gpg = measure(pass_inspect_gpg, one, seconds, &sink);
  g_print("signed sample, GMime parse:    %10.0f messages/s\n", base1);
  g_print("signed sample, inspect + gpg:  %10.1f messages/s  (%.0fx the baseline's time: one gpg "
          "process per signature)\n",
          gpg, base1 / gpg);
  const char *kill[] = { "gpgconf", "--kill", "all", NULL };
  run(kill);
  const char *rm[] = { "rm", "-rf", home, NULL };
  run(rm);
  return 0;
}
