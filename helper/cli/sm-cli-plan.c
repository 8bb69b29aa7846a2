/* sm-cli-plan: `sealmail plan [--json] [--no-scan] [--rcpt ADDR]... FILE|-`: what happens when
 * the user presses Send: the decision and its reason for every recipient, the messages the split
 * produces, and whether the whole message is blocked. Nothing is sent or changed, except that a
 * key learnt from Autocrypt is imported into the keyring when it is the one to use.
 * Exit 0 when the message would be sent, 1 when it would be blocked, 2 on error. */
#include "sm-cli.h"
#include "sm-error.h"
#include "sm-json.h"
#include "sm-message.h"
#include "sm-policy.h"

#include <stdio.h>

int
sm_cli_plan(SmCli *cli, int argc, char **argv)
{
  gboolean json = FALSE, no_scan = FALSE;
  g_auto(GStrv) rcpts = NULL;
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print JSON"), NULL },
    { "no-scan", 0, 0, G_OPTION_ARG_NONE, &no_scan, N_("Do not scan for sensitive content"), NULL },
    { "rcpt", 0, 0, G_OPTION_ARG_STRING_ARRAY, &rcpts,
      N_("An envelope recipient, as in SMTP RCPT TO (repeatable)"), N_("ADDRESS") },
    { NULL },
  };
  if (!sm_cli_parse_options(_("Shows how a message would be sent: per recipient encrypted with "
                              "OpenPGP or S/MIME, only over TLS, in clear, or blocked, and why."),
                            entries, &argc, &argv, _("FILE|-")))
    return SM_EXIT_ERROR;
  if (argc != 2)
    {
      fprintf(stderr, _("sealmail plan: give one message file, or - for standard input\n"));
      return SM_EXIT_ERROR;
    }
  g_autoptr(GError) error = NULL;
  g_autoptr(GMimeMessage) message = sm_message_parse_file_streamed(argv[1], cli->limits, &error);
  if (message == NULL)
    return sm_cli_fail(error);
  g_autoptr(SmKeyResolver) resolver = sm_key_resolver_new_from_config(cli->config, &error);
  if (resolver == NULL)
    return sm_cli_fail(error);
  g_autoptr(SmPolicy) policy = sm_policy_new_from_config(cli->config, &error);
  if (policy == NULL)
    return sm_cli_fail(error);
  g_autoptr(SmScanPolicy) scan_policy = NULL;
  if (!no_scan)
    {
      scan_policy = sm_scan_policy_new(cli->config, &error);
      if (scan_policy == NULL)
        return sm_cli_fail(error);
    }
  g_autoptr(SmPlan) plan = sm_policy_plan(policy, resolver, message, (const char *const *)rcpts,
                                          scan_policy, cli->limits, &error);
  if (plan == NULL)
    return sm_cli_fail(error);
  if (json)
    {
      g_autoptr(JsonNode) root = sm_plan_to_json(plan);
      g_autofree char *text = sm_json_to_string(root, TRUE);
      printf("%s\n", text);
    }
  else
    {
      g_autofree char *text = sm_plan_describe(plan);
      fputs(text, stdout);
    }
  return plan->blocked ? SM_EXIT_FOUND : SM_EXIT_OK;
}
