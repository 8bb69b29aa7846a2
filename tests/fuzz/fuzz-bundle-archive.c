/* Fuzz target for reading org bundles as tar archives (sm_bundle_load: libarchive plus
 * sealmail's own checks on entry names, types, counts and sizes) and then verifying the
 * manifest's files against it without the signature step. Arbitrary bytes must give a bundle
 * or an error, never a crash or a leak. */
#include "sm-bundle.h"

#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *archive_path;

static void
remove_archive(void)
{
  unlink(archive_path);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  g_autoptr(GError) error = NULL;

  if (archive_path == NULL)
    {
      /* sm_bundle_load reads a path: one private file, rewritten for every input */
      int fd = g_file_open_tmp("fuzz-bundle-XXXXXX.tar", &archive_path, NULL);
      g_assert_cmpint(fd, >=, 0);
      close(fd);
      atexit(remove_archive);
    }
  /* no fsync: this file is scratch */
  g_assert_true(g_file_set_contents_full(archive_path, (const char *)data, size,
                                         G_FILE_SET_CONTENTS_NONE, 0600, NULL));
  g_autoptr(SmBundle) bundle = sm_bundle_load(archive_path, NULL, &error);
  if (bundle == NULL)
    g_assert_nonnull(error);
  return 0;
}
