/* bench-scan: throughput of the scan module's one-pass scanner over a text file.
 *
 * Feeds FILE to the scanner in 1 MiB reads, the way sm-scan-text feeds decoded parts, and
 * prints bytes, CPU seconds of this process, MB/s per core and the number of findings (the test
 * machine is shared: CPU time, not wall time, measures one core's throughput). `bench-scan.sh` runs it side by side
 * with GNU grep on the same file. Usage: bench-scan FILE [ROUNDS] */
#include "sm-scan-private.h"

#include <stdio.h>
#include <time.h>

#define BENCH_READ_BYTES (1024 * 1024)

static void
count_hit(const SmScanHit *hit, gpointer user_data)
{
  (*(guint64 *)user_data)++;
}

static double
cpu_seconds(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
  if (argc < 2)
    {
      fprintf(stderr, "usage: bench-scan FILE [ROUNDS]\n");
      return 2;
    }
  int rounds = argc > 2 ? atoi(argv[2]) : 1;
  g_autofree char *buf = g_malloc(BENCH_READ_BYTES);
  guint64 bytes = 0, hits = 0;
  double t0 = cpu_seconds();
  for (int r = 0; r < rounds; r++)
    {
      FILE *f = fopen(argv[1], "rb");
      if (f == NULL)
        {
          perror(argv[1]);
          return 2;
        }
      g_autoptr(SmScanner) sc = sm_scanner_new(NULL, count_hit, &hits);
      size_t n;
      while ((n = fread(buf, 1, BENCH_READ_BYTES, f)) > 0)
        {
          sm_scanner_feed(sc, buf, n);
          bytes += n;
        }
      sm_scanner_finish(sc);
      fclose(f);
    }
  double secs = cpu_seconds() - t0;
  printf("bytes=%" G_GUINT64_FORMAT " seconds=%.3f mb_per_s=%.1f findings=%" G_GUINT64_FORMAT
         "\n",
         bytes, secs, (double)bytes / 1e6 / secs, hits);
  return 0;
}
