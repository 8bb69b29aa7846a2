/* sm-cli-keys: `sealmail keys [--json] [--learn FILE] ADDRESS...`: the OpenPGP key and the S/MIME
 * certificate sealmail would use for each address, and why (or why none). --learn first reads
 * the Autocrypt header of a received message into the peer state, as the IMAP proxy does.
 * Exit 0 when every address has a usable key or certificate, 1 when one has none, 2 on error. */
#include "sm-cli.h"
#include "sm-error.h"
#include "sm-json.h"
#include "sm-autocrypt.h"
#include "sm-keys.h"
#include "sm-message.h"

#include <stdio.h>

static const char *
problem_to_string(SmKeyProblem problem)
{
  switch (problem)
    {
      case SM_KEY_PROBLEM_NOT_FOUND:
        return "not-found";
      case SM_KEY_PROBLEM_UNUSABLE:
        return "unusable";
      case SM_KEY_PROBLEM_NONE:
      default:
        return "none";
    }
}

typedef struct
{
  SmKey *key;
  SmKeyProblem problem;
  char *why;
} Lookup;

static void
lookup_clear(Lookup *l)
{
  g_clear_pointer(&l->key, sm_key_free);
  g_clear_pointer(&l->why, g_free);
}

static void
add_protocol_json(JsonBuilder *b, const Lookup *l, SmProtocol protocol)
{
  json_builder_set_member_name(b, sm_protocol_to_string(protocol));
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "key");
  json_builder_add_value(b, sm_key_to_json(l->key));
  json_builder_set_member_name(b, "problem");
  json_builder_add_string_value(b, problem_to_string(l->problem));
  sm_json_add_string_or_null(b, "reason", l->why);
  json_builder_end_object(b);
}

static void
print_protocol(const Lookup *l, SmProtocol protocol)
{
  const char *label = protocol == SM_PROTO_SMIME ? _("S/MIME") : _("OpenPGP");
  if (l->key == NULL)
    {
      printf("  %-8s %s\n", label, l->why);
      return;
    }
  const SmKey *k = l->key;
  g_autofree char *expires = NULL;
  if (k->expires != 0)
    {
      g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(k->expires);
      expires = g_date_time_format(dt, "%Y-%m-%d");
    }
  printf("  %-8s %s", label, k->fingerprint);
  if (k->name != NULL)
    {
      g_autofree char *name = sm_json_sanitize(k->name, -1, 80);
      printf(" \"%s\"", name);
    }
  printf("\n           ");
  printf(_("from %s, validity %s, %s%s"), sm_key_source_to_string(k->source), k->validity,
         expires != NULL ? _("expires ") : _("does not expire"), expires != NULL ? expires : "");
  printf("\n");
  if (k->note != NULL)
    printf("           %s\n", k->note);
}

/* Updates the Autocrypt state from a received message, as the IMAP proxy does. */
static gboolean
learn(SmCli *cli, SmKeyResolver *resolver, const char *path, GError **error)
{
  const char *db = sm_key_resolver_get_options(resolver)->state_db;
  if (db == NULL)
    {
      g_set_error_literal(error, SM_ERROR, SM_ERROR_INVALID_INPUT,
                          _("--learn needs an Autocrypt state database ([keys] state-db)"));
      return FALSE;
    }
  g_autoptr(GMimeMessage) message = sm_message_parse_file(path, cli->limits, error);
  if (message == NULL)
    return FALSE;
  g_autoptr(SmAutocryptStore) store = sm_autocrypt_store_open(db, error);
  return store != NULL && sm_autocrypt_process_message(store, message, error);
}

int
sm_cli_keys(SmCli *cli, int argc, char **argv)
{
  gboolean json = FALSE;
  g_autofree char *learn_path = NULL;
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print JSON"), NULL },
    { "learn", 0, 0, G_OPTION_ARG_FILENAME, &learn_path,
      N_("First learn the Autocrypt header of a received message"), N_("FILE") },
    { NULL },
  };
  if (!sm_cli_parse_options(_("Shows the OpenPGP key and the S/MIME certificate sealmail would use "
                              "for each address, and why."),
                            entries, &argc, &argv, _("[--learn FILE] ADDRESS...")))
    return SM_EXIT_ERROR;
  if (argc < 2)
    {
      fprintf(stderr, _("sealmail keys: give at least one address\n"));
      return SM_EXIT_ERROR;
    }
  g_autoptr(GError) error = NULL;
  g_autoptr(SmKeyResolver) resolver = sm_key_resolver_new_from_config(cli->config, &error);
  if (resolver == NULL)
    return sm_cli_fail(error);
  if (learn_path != NULL && !learn(cli, resolver, learn_path, &error))
    return sm_cli_fail(error);

  gboolean all_usable = TRUE;
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "addresses");
  json_builder_begin_array(b);
  for (int i = 1; i < argc; i++)
    {
      g_autofree char *address = sm_key_address_normalize(argv[i]);
      if (address == NULL)
        {
          g_autofree char *shown = sm_json_sanitize(argv[i], -1, 80);
          fprintf(stderr, _("sealmail keys: not an e-mail address: %s\n"), shown);
          return SM_EXIT_ERROR;
        }
      Lookup l[2] = { { 0 } };
      for (int p = SM_PROTO_OPENPGP; p <= SM_PROTO_SMIME; p++)
        {
          l[p].key = sm_key_resolver_lookup(resolver, address, p, &l[p].problem, &l[p].why, &error);
          if (error != NULL)
            {
              lookup_clear(&l[0]);
              lookup_clear(&l[1]);
              return sm_cli_fail(error);
            }
        }
      gboolean usable = l[0].key != NULL || l[1].key != NULL;
      all_usable = all_usable && usable;
      json_builder_begin_object(b);
      json_builder_set_member_name(b, "address");
      json_builder_add_string_value(b, address);
      json_builder_set_member_name(b, "usable");
      json_builder_add_boolean_value(b, usable);
      add_protocol_json(b, &l[0], SM_PROTO_OPENPGP);
      add_protocol_json(b, &l[1], SM_PROTO_SMIME);
      json_builder_end_object(b);
      if (!json)
        {
          g_autofree char *shown = sm_json_sanitize(address, -1, 0);
          printf("%s\n", shown);
          print_protocol(&l[0], SM_PROTO_OPENPGP);
          print_protocol(&l[1], SM_PROTO_SMIME);
        }
      lookup_clear(&l[0]);
      lookup_clear(&l[1]);
    }
  json_builder_end_array(b);
  json_builder_end_object(b);
  if (json)
    {
      g_autoptr(JsonNode) root = json_builder_get_root(b);
      g_autofree char *text = sm_json_to_string(root, TRUE);
      printf("%s\n", text);
    }
  return all_usable ? SM_EXIT_OK : SM_EXIT_FOUND;
}
