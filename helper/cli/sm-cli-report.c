/* sm-cli-report: `sealmail report --tls-rpt [--days N] [--organization X] [--contact Y]`, an
 * RFC 8460 (SMTP TLS Reporting) aggregate report in JSON over the user's own upstream sessions of
 * the last N days, from the audit database (helper/core/sm-audit). Only parsing and printing.
 * Defaults come from `[report] organization` and `[report] contact` of sealmail.conf, else the
 * user's name and user@host. Limits: --days at most SM_CLI_REPORT_MAX_DAYS. */
#include "sm-audit.h"
#include "sm-cli.h"
#include "sm-error.h"
#include "sm-json.h"

#include <stdio.h>

#define SM_CLI_REPORT_MAX_DAYS 3650
#define SM_CLI_SECONDS_PER_DAY 86400

static char *
default_organization(SmCli *cli)
{
  char *org = g_key_file_get_string(cli->config, "report", "organization", NULL);
  if (org != NULL)
    return org;
  const char *real = g_get_real_name();
  return g_strdup(real != NULL && g_strcmp0(real, "Unknown") != 0 ? real : g_get_user_name());
}

static char *
default_contact(SmCli *cli)
{
  char *contact = g_key_file_get_string(cli->config, "report", "contact", NULL);
  if (contact != NULL)
    return contact;
  return g_strdup_printf("%s@%s", g_get_user_name(), g_get_host_name());
}

int
sm_cli_report(SmCli *cli, int argc, char **argv)
{
  gboolean tls_rpt = FALSE;
  int days = 1;
  g_autofree char *organization = NULL, *contact = NULL;
  const GOptionEntry entries[]
      = { { "tls-rpt", 0, 0, G_OPTION_ARG_NONE, &tls_rpt,
            N_("RFC 8460 TLS report of your upstream sessions"), NULL },
          { "days", 0, 0, G_OPTION_ARG_INT, &days, N_("Cover the last N days (default 1)"), "N" },
          { "organization", 0, 0, G_OPTION_ARG_STRING, &organization, N_("organization-name"),
            "NAME" },
          { "contact", 0, 0, G_OPTION_ARG_STRING, &contact, N_("contact-info"), "ADDRESS" },
          { NULL } };
  if (!sm_cli_parse_options(_("Report on how your mail left this machine."), entries, &argc, &argv,
                            NULL))
    return SM_EXIT_ERROR;
  if (argc != 1 || !tls_rpt || days <= 0 || days > SM_CLI_REPORT_MAX_DAYS)
    {
      fprintf(stderr,
              _("sealmail: usage: sealmail report --tls-rpt [--days N] [--organization NAME] "
                "[--contact ADDRESS], 0 < N <= %d\n"),
              SM_CLI_REPORT_MAX_DAYS);
      return SM_EXIT_ERROR;
    }
  if (organization == NULL)
    organization = default_organization(cli);
  if (contact == NULL)
    contact = default_contact(cli);

  g_autofree char *path = sm_audit_db_path(cli->config);
  g_autoptr(GError) error = NULL;
  /* An absent database is an empty one: the report then says so with no policies. */
  g_autoptr(SmAudit) audit
      = sm_audit_open(g_file_test(path, G_FILE_TEST_EXISTS) ? path : ":memory:", &error);
  if (audit == NULL)
    return sm_cli_fail(error);
  gint64 end = g_get_real_time() / G_USEC_PER_SEC;
  gint64 start = end - (gint64)days * SM_CLI_SECONDS_PER_DAY;
  g_autoptr(JsonNode) report
      = sm_audit_tls_report_json(audit, start, end + 1, organization, contact, &error);
  if (report == NULL)
    return sm_cli_fail(error);
  g_autofree char *text = sm_json_to_string(report, TRUE);
  printf("%s\n", text);
  return SM_EXIT_OK;
}
