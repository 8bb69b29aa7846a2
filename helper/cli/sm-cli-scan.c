/* sm-cli-scan: `sealmail scan [--json] [--policy FILE] [--show-values] FILE|-`.
 *
 * Parses the message, runs the scan module and prints its findings (masked) and a one-line
 * summary, or the JSON contract object. Exit codes: 0 nothing at or above the threshold,
 * 1 something was found, 2 error. Raw values only with --show-values. */
#include "sm-cli.h"
#include "sm-error.h"
#include "sm-json.h"
#include "sm-message.h"
#include "sm-scan.h"

#include <inttypes.h>
#include <stdio.h>

static void
print_finding(JsonObject *f)
{
  const char *filename = json_object_get_null_member(f, "filename")
                             ? NULL
                             : json_object_get_string_member(f, "filename");
  g_autofree char *safe_name = filename ? sm_json_sanitize(filename, -1, 60) : NULL;
  const char *value = json_object_has_member(f, "value")
                          ? json_object_get_string_member(f, "value")
                          : json_object_get_string_member(f, "masked");
  g_autofree char *safe_value = sm_json_sanitize(value, -1, 100);
  /* TRANSLATORS: part number, line, type, confidence, masked value */
  printf(_("  part %s line %" PRId64 ": %s (%s) %s"),
         json_object_get_string_member(f, "part"), json_object_get_int_member(f, "line"),
         json_object_get_string_member(f, "type"), json_object_get_string_member(f, "confidence"),
         safe_value);
  if (safe_name != NULL)
    printf(_(" in %s"), safe_name);
  if (json_object_get_boolean_member(f, "quoted"))
    printf(_(" [quoted]"));
  if (!json_object_get_boolean_member(f, "counts"))
    printf(_(" [below threshold]"));
  printf("\n");
}

static void
print_text(const SmScanReport *report, JsonNode *root)
{
  JsonArray *findings = json_object_get_array_member(json_node_get_object(root), "findings");
  JsonArray *skipped = json_object_get_array_member(json_node_get_object(root), "not_scanned");
  guint n = json_array_get_length(findings);
  if (n > 0)
    printf(_("Findings:\n"));
  for (guint i = 0; i < n; i++)
    print_finding(json_array_get_object_element(findings, i));
  for (guint i = 0; i < json_array_get_length(skipped); i++)
    {
      g_autofree char *why = sm_json_sanitize(json_array_get_string_element(skipped, i), -1, 200);
      printf(_("  not scanned: %s\n"), why);
    }
  g_autofree char *line = sm_scan_report_summary_line(report);
  printf("%s\n", line);
}

static SmScanPolicy *
load_policy(SmCli *cli, const char *path, GError **error)
{
  if (path == NULL)
    return sm_scan_policy_new(cli->config, error);
  g_autoptr(GKeyFile) kf = g_key_file_new();
  if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, error))
    {
      g_prefix_error(error, _("cannot read policy %s: "), path);
      return NULL;
    }
  return sm_scan_policy_new(kf, error);
}

int
sm_cli_scan(SmCli *cli, int argc, char **argv)
{
  gboolean json = FALSE, show_values = FALSE;
  g_autofree char *policy_path = NULL;
  const GOptionEntry entries[]
      = { { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print the JSON report"), NULL },
          { "policy", 0, 0, G_OPTION_ARG_FILENAME, &policy_path,
            N_("Scan policy file (thresholds, organisation patterns)"), N_("FILE") },
          { "show-values", 0, 0, G_OPTION_ARG_NONE, &show_values,
            N_("Also print the sensitive values themselves, unmasked"), NULL },
          { NULL } };
  if (!sm_cli_parse_options(_("Find sensitive content in a message. Exit status: 0 nothing "
                              "found, 1 found, 2 error."),
                            entries, &argc, &argv, _("FILE|-")))
    return SM_EXIT_ERROR;
  if (argc != 2)
    {
      fprintf(stderr, _("sealmail scan: give one message file, or - for standard input\n"));
      return SM_EXIT_ERROR;
    }
  g_autoptr(GError) error = NULL;
  g_autoptr(SmScanPolicy) policy = load_policy(cli, policy_path, &error);
  if (policy == NULL)
    return sm_cli_fail(error);
  g_autoptr(GMimeMessage) message = sm_message_parse_file_streamed(argv[1], cli->limits, &error);
  if (message == NULL)
    return sm_cli_fail(error);
  g_autoptr(SmScanReport) report = sm_scan_message(message, policy, cli->limits, &error);
  if (report == NULL)
    return sm_cli_fail(error);
  g_autoptr(JsonNode) root = sm_scan_report_to_json(report, show_values);
  if (json)
    {
      g_autofree char *out = sm_json_to_string(root, TRUE);
      printf("%s\n", out);
    }
  else
    {
      print_text(report, root);
    }
  return sm_scan_report_triggers(report) ? SM_EXIT_FOUND : SM_EXIT_OK;
}
