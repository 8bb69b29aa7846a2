/* sm-cli-audit: `sealmail audit [--json] [--limit N]`, the newest records of the audit of
 * outgoing messages (helper/core/sm-audit), newest first. Only parsing and printing.
 * The database is `[audit] db` of sealmail.conf, default $XDG_DATA_HOME/sealmail/audit.sqlite;
 * a missing database means nothing was recorded yet, and is not created. */
#include "sm-audit.h"
#include "sm-cli.h"
#include "sm-error.h"
#include "sm-json.h"

#include <stdio.h>
#include <string.h>

#define SM_CLI_AUDIT_DEFAULT_LIMIT 20
/* Characters of the Message-ID hash shown in the text listing. */
#define SM_CLI_AUDIT_HASH_CHARS 12

static const char *
member_or(JsonObject *obj, const char *name, const char *fallback)
{
  JsonNode *n = json_object_get_member(obj, name);
  if (n == NULL || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING)
    return fallback;
  return json_node_get_string(n);
}

static void
print_tls(JsonObject *msg)
{
  JsonNode *n = json_object_get_member(msg, "tls");
  if (n == NULL || !JSON_NODE_HOLDS_OBJECT(n))
    return;
  JsonObject *tls = json_node_get_object(n);
  const char *host = member_or(tls, "host", "?");
  if (json_object_get_boolean_member_with_default(tls, "tls", FALSE))
    printf(_("  upstream: %s, TLS %s %s, verified\n"), host, member_or(tls, "version", "?"),
           member_or(tls, "cipher", ""));
  else
    printf(_("  upstream: %s, no verified TLS (%s)\n"), host, member_or(tls, "failure", "-"));
}

static void
print_findings(JsonObject *msg)
{
  JsonObject *findings = json_object_get_object_member(msg, "findings");
  if (findings == NULL || json_object_get_size(findings) == 0)
    return;
  g_autoptr(GString) line = g_string_new(NULL);
  JsonObjectIter iter;
  const char *type;
  JsonNode *count;
  json_object_iter_init(&iter, findings);
  while (json_object_iter_next(&iter, &type, &count))
    g_string_append_printf(line, "%s%s %" G_GINT64_FORMAT, line->len ? ", " : "", type,
                           json_node_get_int(count));
  printf(_("  found: %s\n"), line->str);
}

static void
print_message(JsonObject *msg)
{
  g_autofree char *hash
      = g_strndup(member_or(msg, "message_id_hash", "-"), SM_CLI_AUDIT_HASH_CHARS);
  printf("%s  %-8s  %s\n", member_or(msg, "time", "?"), member_or(msg, "result", "?"), hash);
  print_findings(msg);
  JsonArray *rcpts = json_object_get_array_member(msg, "recipients");
  for (guint i = 0; rcpts != NULL && i < json_array_get_length(rcpts); i++)
    {
      JsonObject *r = json_array_get_object_element(rcpts, i);
      g_autofree char *address = sm_json_sanitize(member_or(r, "address", "?"), -1, 80);
      g_autofree char *reason = sm_json_sanitize(member_or(r, "reason", ""), -1, 200);
      printf("  %-32s %-16s %s\n", address, member_or(r, "decision", "?"), reason);
    }
  print_tls(msg);
  const char *detail = member_or(msg, "detail", NULL);
  if (detail != NULL)
    {
      g_autofree char *clean = sm_json_sanitize(detail, -1, 300);
      printf(_("  detail: %s\n"), clean);
    }
}

int
sm_cli_audit(SmCli *cli, int argc, char **argv)
{
  gboolean json = FALSE;
  int limit = SM_CLI_AUDIT_DEFAULT_LIMIT;
  const GOptionEntry entries[]
      = { { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print JSON"), NULL },
          { "limit", 'n', 0, G_OPTION_ARG_INT, &limit, N_("Show the newest N records (default 20)"),
            "N" },
          { NULL } };
  if (!sm_cli_parse_options(_("Show what sealmail did with the messages you sent."), entries, &argc,
                            &argv, NULL))
    return SM_EXIT_ERROR;
  if (argc != 1 || limit <= 0)
    {
      fprintf(stderr, _("sealmail: usage: sealmail audit [--json] [--limit N], N > 0\n"));
      return SM_EXIT_ERROR;
    }
  g_autofree char *path = sm_audit_db_path(cli->config);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) list = NULL;
  if (g_file_test(path, G_FILE_TEST_EXISTS))
    {
      g_autoptr(SmAudit) audit = sm_audit_open(path, &error);
      if (audit == NULL)
        return sm_cli_fail(error);
      sm_audit_set_limits(audit, cli->limits);
      list = sm_audit_list_json(audit, (guint)limit, &error);
      if (list == NULL)
        return sm_cli_fail(error);
    }
  else
    {
      list = json_from_string("{\"format_version\": 1, \"messages\": []}", NULL);
    }
  if (json)
    {
      g_autofree char *text = sm_json_to_string(list, TRUE);
      printf("%s\n", text);
      return SM_EXIT_OK;
    }
  JsonArray *msgs = json_object_get_array_member(json_node_get_object(list), "messages");
  if (json_array_get_length(msgs) == 0)
    printf(_("No messages recorded yet in %s.\n"), path);
  for (guint i = 0; i < json_array_get_length(msgs); i++)
    print_message(json_array_get_object_element(msgs, i));
  return SM_EXIT_OK;
}
