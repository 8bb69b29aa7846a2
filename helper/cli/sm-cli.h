/* sm-cli: the sealmail command line. Each subcommand lives in sm-cli-NAME.c and only parses
 * arguments, calls the engine (helper/core) and prints; it holds no engine logic. */
#pragma once

#include <glib.h>
#include <glib/gi18n.h>
#include "sm-limits.h"

G_BEGIN_DECLS

/* Exit codes shared by all subcommands (scan adds 1 = sensitive content found). */
#define SM_EXIT_OK 0
#define SM_EXIT_FOUND 1
#define SM_EXIT_ERROR 2

typedef struct {
  char *config_path; /* the file read, or NULL when none exists */
  GKeyFile *config;  /* never NULL; empty when there is no file */
  SmLimits *limits;
} SmCli;

/* Loads --config FILE, or $XDG_CONFIG_HOME/sealmail/sealmail.conf when it exists. */
gboolean sm_cli_load_config(SmCli *cli, const char *path, GError **error);
void sm_cli_clear(SmCli *cli);
/* Prints "sealmail: MESSAGE" to stderr and returns SM_EXIT_ERROR. */
int sm_cli_fail(const GError *error);
/* Parses @argv with @entries; prints the error and returns FALSE on bad usage. */
gboolean sm_cli_parse_options(const char *summary, const GOptionEntry *entries, int *argc,
                              char ***argv, const char *usage);

typedef int (*SmCliCommandFunc)(SmCli *cli, int argc, char **argv);

int sm_cli_inspect(SmCli *cli, int argc, char **argv);
int sm_cli_scan(SmCli *cli, int argc, char **argv);
int sm_cli_keys(SmCli *cli, int argc, char **argv);
int sm_cli_plan(SmCli *cli, int argc, char **argv);
int sm_cli_seal(SmCli *cli, int argc, char **argv);
int sm_cli_bundle(SmCli *cli, int argc, char **argv);
int sm_cli_audit(SmCli *cli, int argc, char **argv);
int sm_cli_report(SmCli *cli, int argc, char **argv);
int sm_cli_status(SmCli *cli, int argc, char **argv);
int sm_cli_limits(SmCli *cli, int argc, char **argv);

G_END_DECLS
