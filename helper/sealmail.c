/* sealmail: the command line. Thin: it loads the configuration and hands over to one
 * subcommand (helper/cli/sm-cli-NAME.c). */
#include "sm-config.h"
#include "sm-cli.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>

typedef struct {
  const char *name;
  SmCliCommandFunc func;
  const char *summary;
} SmCliCommand;

/* One row per subcommand; keep the list sorted by how often people use it. */
static const SmCliCommand commands[] = {
  {"inspect", sm_cli_inspect, N_("Show who signed a message and how it travelled")},
  {"bundle", sm_cli_bundle, N_("Verify and import organisation bundles (IT: create them)")},
  {"scan", sm_cli_scan, N_("Find sensitive content (IDs, card and bank numbers, health data) in a message")},
  {"keys", sm_cli_keys, N_("Show which key or certificate would encrypt to an address")},
  {"plan", sm_cli_plan, N_("Show how a message would be sent, recipient by recipient")},
  {"seal", sm_cli_seal, N_("Encrypt and sign a message as its plan says, without sending it")},
  {"status", sm_cli_status, N_("Show whether sealmaild runs and what it did recently")},
  {"audit", sm_cli_audit, N_("Show what was done with the messages you sent")},
  {"report", sm_cli_report, N_("Report on your upstream TLS sessions (RFC 8460)")},
  {"limits", sm_cli_limits, N_("List every limit and its current value")},
};

static void
usage(FILE *out)
{
  fprintf(out, _("Usage: sealmail [--config FILE] COMMAND [OPTIONS] [ARGS]\n\nCommands:\n"));
  for (gsize i = 0; i < G_N_ELEMENTS(commands); i++)
    fprintf(out, "  %-10s %s\n", commands[i].name, _(commands[i].summary));
  fprintf(out, _("\n'sealmail COMMAND --help' describes one command.\n"));
}

int
main(int argc, char **argv)
{
  const char *config_path = NULL;
  int first = 1;

  setlocale(LC_ALL, "");
  /* SEALMAIL_LOCALEDIR lets tests and uninstalled builds use catalogues that are not
   * installed yet (meson installs the .mo files only at install time). */
  const char *localedir = g_getenv("SEALMAIL_LOCALEDIR");
  bindtextdomain(GETTEXT_PACKAGE, localedir != NULL && *localedir != '\0' ? localedir : LOCALEDIR);
  bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
  textdomain(GETTEXT_PACKAGE);

  while (first < argc && argv[first][0] == '-') {
    if (strcmp(argv[first], "--config") == 0 && first + 1 < argc) {
      config_path = argv[first + 1];
      first += 2;
    } else if (g_str_has_prefix(argv[first], "--config=")) {
      config_path = argv[first] + strlen("--config=");
      first++;
    } else if (strcmp(argv[first], "--version") == 0) {
      printf("sealmail %s\n", SM_VERSION);
      return SM_EXIT_OK;
    } else if (strcmp(argv[first], "--help") == 0 || strcmp(argv[first], "-h") == 0) {
      usage(stdout);
      return SM_EXIT_OK;
    } else {
      fprintf(stderr, _("sealmail: unknown option %s\n"), argv[first]);
      usage(stderr);
      return SM_EXIT_ERROR;
    }
  }
  if (first >= argc) {
    usage(stderr);
    return SM_EXIT_ERROR;
  }
  for (gsize i = 0; i < G_N_ELEMENTS(commands); i++) {
    if (strcmp(argv[first], commands[i].name) != 0)
      continue;
    SmCli cli = {0};
    g_autoptr(GError) error = NULL;
    if (!sm_cli_load_config(&cli, config_path, &error))
      return sm_cli_fail(error);
    int rc = commands[i].func(&cli, argc - first, argv + first);
    sm_cli_clear(&cli);
    return rc;
  }
  fprintf(stderr, _("sealmail: unknown command '%s'\n"), argv[first]);
  usage(stderr);
  return SM_EXIT_ERROR;
}
