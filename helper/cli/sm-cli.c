/* sm-cli: shared plumbing of the subcommands: configuration, errors, option parsing. */
#include "sm-cli.h"
#include "sm-error.h"

#include <stdio.h>

gboolean
sm_cli_load_config(SmCli *cli, const char *path, GError **error)
{
  g_autofree char *default_path = NULL;
  cli->config = g_key_file_new();
  if (path == NULL) {
    default_path = g_build_filename(g_get_user_config_dir(), "sealmail", "sealmail.conf", NULL);
    if (g_file_test(default_path, G_FILE_TEST_EXISTS))
      path = default_path;
  }
  if (path != NULL) {
    if (!g_key_file_load_from_file(cli->config, path, G_KEY_FILE_NONE, error)) {
      g_prefix_error(error, _("cannot read configuration %s: "), path);
      return FALSE;
    }
    cli->config_path = g_strdup(path);
  }
  cli->limits = sm_limits_new(cli->config, error);
  return cli->limits != NULL;
}

void
sm_cli_clear(SmCli *cli)
{
  g_clear_pointer(&cli->config_path, g_free);
  g_clear_pointer(&cli->config, g_key_file_unref);
  g_clear_pointer(&cli->limits, sm_limits_free);
}

int
sm_cli_fail(const GError *error)
{
  fprintf(stderr, "sealmail: %s\n", error != NULL ? error->message : _("unknown error"));
  return SM_EXIT_ERROR;
}

gboolean
sm_cli_parse_options(const char *summary, const GOptionEntry *entries, int *argc, char ***argv,
                     const char *usage)
{
  g_autoptr(GOptionContext) ctx = g_option_context_new(usage);
  g_autoptr(GError) error = NULL;
  g_option_context_set_summary(ctx, summary);
  g_option_context_add_main_entries(ctx, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse(ctx, argc, argv, &error)) {
    fprintf(stderr, "sealmail: %s\n", error->message);
    return FALSE;
  }
  return TRUE;
}

int
sm_cli_limits(SmCli *cli, int argc, char **argv)
{
  for (int i = 0; i < SM_LIMIT_COUNT; i++)
    printf("%-24s %12" G_GUINT64_FORMAT "  %s\n", sm_limits_name(i), sm_limits_get(cli->limits, i),
           sm_limits_description(i));
  return SM_EXIT_OK;
}
