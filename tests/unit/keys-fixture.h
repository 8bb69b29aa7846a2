/* keys-fixture: the throwaway GnuPG homes of the key and policy tests, made once per test program
 * by make-test-keys.sh with the real gpg and gpgsm, and removed at the end. */
#pragma once

#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

typedef struct
{
  char *dir;        /* temporary directory holding everything */
  char *user;       /* the user's GNUPGHOME */
  char *world;      /* where the correspondents' secret keys live */
  GHashTable *fprs; /* "BOB" -> fingerprint, from keys.env */
} KeysFixture;

static void
keys_fixture_load_env(KeysFixture *fx)
{
  g_autofree char *path = g_build_filename(fx->dir, "keys.env", NULL);
  g_autofree char *text = NULL;
  g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
  g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      char *eq = strchr(lines[i], '=');
      if (!g_str_has_prefix(lines[i], "FPR_") || eq == NULL)
        continue;
      *eq = '\0';
      g_hash_table_insert(fx->fprs, g_strdup(lines[i] + 4), g_strdup(eq + 1));
    }
}

/* Makes the keys; GNUPGHOME is set to the user's home so that GPGME defaults agree. */
static void
keys_fixture_setup(KeysFixture *fx)
{
  g_autoptr(GError) error = NULL;
  fx->dir = g_dir_make_tmp("sm-keys-XXXXXX", &error);
  g_assert_no_error(error);
  fx->user = g_build_filename(fx->dir, "user", NULL);
  fx->world = g_build_filename(fx->dir, "world", NULL);
  fx->fprs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  const char *srcdir = g_getenv("G_TEST_SRCDIR");
  g_autofree char *script
      = g_build_filename(srcdir != NULL ? srcdir : ".", "unit", "make-test-keys.sh", NULL);
  char *argv[] = { "sh", script, fx->dir, NULL };
  int status = 0;
  g_autofree char *err = NULL;
  g_spawn_sync(NULL, argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL,
               &err, &status, &error);
  g_assert_no_error(error);
  if (!g_spawn_check_wait_status(status, NULL))
    g_error("make-test-keys.sh failed: %s", err);
  keys_fixture_load_env(fx);
  g_setenv("GNUPGHOME", fx->user, TRUE);
}

static const char *
keys_fixture_fpr(KeysFixture *fx, const char *name)
{
  const char *fpr = g_hash_table_lookup(fx->fprs, name);
  g_assert_nonnull(fpr);
  return fpr;
}

static void
keys_fixture_kill_agent(const char *home)
{
  char *argv[] = { "gpgconf", "--kill", "all", NULL };
  g_auto(GStrv) envp = g_environ_setenv(g_get_environ(), "GNUPGHOME", home, TRUE);
  g_spawn_sync(NULL, argv, envp,
               G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL, NULL,
               NULL, NULL, NULL, NULL, NULL);
}

static void
keys_fixture_rm_rf(const char *path)
{
  char *argv[] = { "rm", "-rf", (char *)path, NULL };
  g_spawn_sync(NULL, argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL, NULL);
}

static void
keys_fixture_teardown(KeysFixture *fx)
{
  keys_fixture_kill_agent(fx->user);
  keys_fixture_kill_agent(fx->world);
  keys_fixture_rm_rf(fx->dir);
  g_free(fx->dir);
  g_free(fx->user);
  g_free(fx->world);
  g_hash_table_unref(fx->fprs);
}
