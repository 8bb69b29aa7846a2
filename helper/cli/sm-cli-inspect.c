/* sm-cli-inspect: `sealmail inspect [--json] [--trust=HOST|AUTHSERV-ID ...] FILE|-`.
 *
 * The provider's hosts come from --trust (repeatable) and from the configuration file, where
 * [path] trust, [inspect] trust and every account's
 * provider-trust all count:
 *
 *   [inspect]
 *   trust = mx.example.org;example.org      # host names, domains or authserv-ids
 *   [account:NAME]
 *   provider-trust = mx1.example.net;example.net
 *
 * Exit status: 0 with a report, 2 when the input is not a message or breaks a limit. */
#include "sm-cli.h"
#include "sm-error.h"
#include "sm-inspect.h"
#include "sm-json.h"
#include "sm-message.h"

#include <stdio.h>

static void
add_config_list(GKeyFile *kf, const char *group, const char *key, GPtrArray *out)
{
  g_auto(GStrv) values = g_key_file_get_string_list(kf, group, key, NULL, NULL);
  for (char **v = values; v != NULL && *v != NULL; v++)
    {
      g_strstrip(*v);
      if (**v != '\0')
        g_ptr_array_add(out, g_strdup(*v));
    }
}

/* --trust values, then [path] trust, [inspect] trust and every account's provider-trust. */
static char **
collect_trusted(const SmCli *cli, char **from_args)
{
  g_autoptr(GPtrArray) trusted = g_ptr_array_new_with_free_func(g_free);
  for (char **t = from_args; t != NULL && *t != NULL; t++)
    g_ptr_array_add(trusted, g_strdup(*t));
  add_config_list(cli->config, "path", "trust", trusted);
  add_config_list(cli->config, "inspect", "trust", trusted);
  g_auto(GStrv) groups = g_key_file_get_groups(cli->config, NULL);
  for (char **g = groups; g != NULL && *g != NULL; g++)
    if (g_str_has_prefix(*g, "account:"))
      add_config_list(cli->config, *g, "provider-trust", trusted);
  g_ptr_array_add(trusted, NULL);
  return (char **)g_ptr_array_free(g_steal_pointer(&trusted), FALSE);
}

int
sm_cli_inspect(SmCli *cli, int argc, char **argv)
{
  gboolean json = FALSE;
  g_auto(GStrv) trust = NULL;
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print the report as JSON (docs/json.md)"), NULL },
    { "trust", 0, 0, G_OPTION_ARG_STRING_ARRAY, &trust,
      N_("A host name, domain or authserv-id of your provider (repeatable)"), N_("HOST") },
    { NULL },
  };
  if (!sm_cli_parse_options(_("Show who signed a message and how it travelled."), entries, &argc,
                            &argv, "FILE|-"))
    return SM_EXIT_ERROR;
  if (argc != 2)
    {
      fprintf(stderr,
              _("sealmail inspect: give exactly one message file, or - for standard input\n"));
      return SM_EXIT_ERROR;
    }

  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = sm_message_read_all(argv[1], cli->limits, &error);
  if (bytes == NULL)
    return sm_cli_fail(error);
  g_auto(GStrv) trusted = collect_trusted(cli, trust);
  SmInspectOptions options = { (const char *const *)trusted, cli->limits, FALSE };
  g_autoptr(SmInspect) inspect = sm_inspect_bytes(bytes, &options, &error);
  if (inspect == NULL)
    {
      g_prefix_error(&error, "%s: ", argv[1]);
      int rc = sm_cli_fail(error);
      if (g_error_matches(error, SM_ERROR, SM_ERROR_LIMIT))
        fprintf(stderr, _("If this message is legitimate, raise that limit in the [limits] group "
                          "of the configuration ('sealmail limits' lists them).\n"));
      return rc;
    }

  if (json)
    {
      g_autoptr(JsonNode) node = sm_inspect_to_json(inspect);
      g_autofree char *text = sm_json_to_string(node, TRUE);
      printf("%s\n", text);
    }
  else
    {
      g_autoptr(GString) out = g_string_new(NULL);
      sm_inspect_print_human(inspect, out);
      fputs(out->str, stdout);
    }
  return SM_EXIT_OK;
}
