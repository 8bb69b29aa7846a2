/* sm-cli-status: `sealmail status [--json] [--socket PATH]`, asks the running sealmaild over the
 * control socket (helper/control) for its listeners, accounts and recent decisions. Exit 2 with a
 * message saying how to start it when no daemon answers. The socket is --socket, else
 * `[control] socket` of sealmail.conf, else $XDG_RUNTIME_DIR/sealmail/control.sock. */
#include "sm-cli.h"
#include "sm-control.h"
#include "sm-error.h"
#include "sm-json.h"

#include <stdio.h>

/* Prints one object of a list as "key=value" pairs, sanitised (the daemon is trusted, its
 * configuration strings are not meant for a terminal). */
static void
print_object_line(JsonObject *obj)
{
  g_autoptr(GString) line = g_string_new("  ");
  JsonObjectIter iter;
  const char *name;
  JsonNode *value;
  json_object_iter_init(&iter, obj);
  while (json_object_iter_next(&iter, &name, &value))
    {
      if (!JSON_NODE_HOLDS_VALUE(value))
        continue;
      g_autofree char *text = json_node_get_value_type(value) == G_TYPE_STRING
                                  ? sm_json_sanitize(json_node_get_string(value), -1, 200)
                                  : g_strdup_printf("%" G_GINT64_FORMAT, json_node_get_int(value));
      g_string_append_printf(line, "%s=%s  ", name, text);
    }
  printf("%s\n", line->str);
}

static void
print_list(JsonObject *status, const char *member, const char *title)
{
  JsonNode *n = json_object_get_member(status, member);
  if (n == NULL || !JSON_NODE_HOLDS_ARRAY(n))
    return;
  JsonArray *a = json_node_get_array(n);
  printf("%s (%u):\n", title, json_array_get_length(a));
  for (guint i = 0; i < json_array_get_length(a); i++)
    {
      JsonNode *e = json_array_get_element(a, i);
      if (JSON_NODE_HOLDS_OBJECT(e))
        print_object_line(json_node_get_object(e));
    }
}

static void
print_recent(JsonObject *status)
{
  JsonNode *n = json_object_get_member(status, "recent");
  if (n == NULL || !JSON_NODE_HOLDS_ARRAY(n))
    return;
  JsonArray *a = json_node_get_array(n);
  printf(_("Recent decisions (%u):\n"), json_array_get_length(a));
  for (guint i = 0; i < json_array_get_length(a); i++)
    {
      JsonObject *m = json_array_get_object_element(a, i);
      JsonArray *rcpts = json_object_get_array_member(m, "recipients");
      printf("  %s  %-8s", json_object_get_string_member_with_default(m, "time", "?"),
             json_object_get_string_member_with_default(m, "result", "?"));
      for (guint j = 0; rcpts != NULL && j < json_array_get_length(rcpts); j++)
        {
          JsonObject *r = json_array_get_object_element(rcpts, j);
          g_autofree char *addr = sm_json_sanitize(
              json_object_get_string_member_with_default(r, "address", "?"), -1, 80);
          printf(" %s:%s", addr, json_object_get_string_member_with_default(r, "decision", "?"));
        }
      printf("\n");
    }
}

static void
print_status(JsonObject *status)
{
  JsonObject *d = json_object_get_object_member(status, "daemon");
  if (d != NULL)
    printf(_("sealmaild %s is running (pid %" G_GINT64_FORMAT ", up %" G_GINT64_FORMAT
             " s), control socket %s\n"),
           json_object_get_string_member_with_default(d, "version", "?"),
           json_object_get_int_member_with_default(d, "pid", 0),
           json_object_get_int_member_with_default(d, "uptime_seconds", 0),
           json_object_get_string_member_with_default(d, "control_socket", "?"));
  print_list(status, "listeners", _("Listeners"));
  print_list(status, "accounts", _("Accounts"));
  print_recent(status);
}

int
sm_cli_status(SmCli *cli, int argc, char **argv)
{
  gboolean json = FALSE;
  g_autofree char *socket = NULL;
  const GOptionEntry entries[]
      = { { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print JSON"), NULL },
          { "socket", 0, 0, G_OPTION_ARG_FILENAME, &socket, N_("Control socket of sealmaild"),
            "PATH" },
          { NULL } };
  if (!sm_cli_parse_options(_("Show whether sealmaild runs, what it listens on and what it did "
                              "recently."),
                            entries, &argc, &argv, NULL))
    return SM_EXIT_ERROR;
  if (argc != 1)
    {
      fprintf(stderr, _("sealmail: usage: sealmail status [--json] [--socket PATH]\n"));
      return SM_EXIT_ERROR;
    }
  if (socket == NULL)
    socket = g_key_file_get_string(cli->config, "control", "socket", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) status = sm_control_call(socket, "status", NULL, cli->limits, &error);
  if (status == NULL)
    return sm_cli_fail(error);
  if (json)
    {
      g_autofree char *text = sm_json_to_string(status, TRUE);
      printf("%s\n", text);
    }
  else if (JSON_NODE_HOLDS_OBJECT(status))
    print_status(json_node_get_object(status));
  return SM_EXIT_OK;
}
