/* sm-cli-bundle: `sealmail bundle create|import|verify|status`, organisation bundles
 * (certs/README.md). Only argument parsing and printing; the work is in helper/core/sm-bundle.
 *
 * Configuration ([bundle] group of sealmail.conf): state-dir (default
 * $XDG_DATA_HOME/sealmail/bundle), org-policy (default $XDG_CONFIG_HOME/sealmail/org-policy.conf),
 * gnupg-home (default: GNUPGHOME or ~/.gnupg). Command-line options win over the file. */
#include "sm-bundle.h"
#include "sm-cli.h"
#include "sm-error.h"
#include "sm-json.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

typedef struct
{
  const char *name;
  int (*func)(SmCli *cli, int argc, char **argv);
  const char *summary;
} BundleCommand;

/* [bundle] gnupg-home of the configuration, else NULL: GnuPG's default home. */
static char *
gnupg_home(SmCli *cli)
{
  return g_key_file_get_string(cli->config, "bundle", "gnupg-home", NULL);
}

static int
usage_error(const char *message)
{
  fprintf(stderr, "sealmail: %s\n", message);
  return SM_EXIT_ERROR;
}

static GDateTime *
parse_date_option(const char *text, const char *name, GError **error)
{
  g_autoptr(GTimeZone) utc = g_time_zone_new_utc();
  GDateTime *date = text != NULL ? g_date_time_new_from_iso8601(text, utc) : NULL;
  if (text != NULL && date == NULL)
    g_set_error(error, SM_ERROR, SM_ERROR_INVALID_INPUT,
                _("%s needs an ISO 8601 date and time such as 2027-01-31T00:00:00Z"), name);
  return date;
}

static int
bundle_create(SmCli *cli, int argc, char **argv)
{
  g_autofree char *sign_with = NULL, *issuer = NULL, *description = NULL, *output = NULL;
  g_autofree char *not_before = NULL, *not_after = NULL, *home = NULL;
  gint64 version = 0;
  int valid_days = 0;
  gboolean unsigned_ = FALSE;
  g_autoptr(GError) error = NULL;
  const GOptionEntry entries[]
      = { { "sign-with", 0, 0, G_OPTION_ARG_STRING, &sign_with,
            N_("OpenPGP key or S/MIME certificate fingerprint of the organisation"), "KEY" },
          { "unsigned", 0, 0, G_OPTION_ARG_NONE, &unsigned_,
            N_("Write no signature (sign manifest.ini yourself, e.g. with openssl cms)"), NULL },
          { "version", 0, 0, G_OPTION_ARG_INT64, &version,
            N_("Bundle version, higher than every earlier one (default: YYYYMMDDHHMMSS)"), "N" },
          { "issuer", 0, 0, G_OPTION_ARG_STRING, &issuer, N_("Issuer shown to users"), "TEXT" },
          { "description", 0, 0, G_OPTION_ARG_STRING, &description, N_("Description"), "TEXT" },
          { "valid-days", 0, 0, G_OPTION_ARG_INT, &valid_days, N_("Days of validity (default 365)"),
            "N" },
          { "not-before", 0, 0, G_OPTION_ARG_STRING, &not_before, N_("Start of validity"), "DATE" },
          { "not-after", 0, 0, G_OPTION_ARG_STRING, &not_after, N_("End of validity"), "DATE" },
          { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output,
            N_("Bundle to write: NAME.tar, NAME.tar.gz or a new directory"), "BUNDLE" },
          { NULL } };

  if (!sm_cli_parse_options(_("Make an organisation bundle of the files in DIR."), entries, &argc,
                            &argv, "DIR"))
    return SM_EXIT_ERROR;
  if (argc != 2 || output == NULL)
    return usage_error(_("usage: sealmail bundle create --sign-with KEY DIR -o BUNDLE"));
  if ((sign_with == NULL) == !unsigned_)
    return usage_error(_("give either --sign-with KEY or --unsigned"));
  if (version < 0 || valid_days < 0)
    return usage_error(_("--version and --valid-days must be positive"));
  g_autoptr(GDateTime) nb = parse_date_option(not_before, "--not-before", &error);
  g_autoptr(GDateTime) na
      = error == NULL ? parse_date_option(not_after, "--not-after", &error) : NULL;
  if (error != NULL)
    return sm_cli_fail(error);
  home = gnupg_home(cli);
  SmBundleCreateOptions options
      = { sign_with, home, version, issuer, description, valid_days, nb, na };
  if (!sm_bundle_create(argv[1], output, &options, cli->limits, &error))
    return sm_cli_fail(error);
  printf(_("wrote %s\n"), output);
  return SM_EXIT_OK;
}

static void
print_list(const char *label, GPtrArray *list)
{
  for (guint i = 0; i < list->len; i++)
    printf("    %s %s\n", label, (const char *)g_ptr_array_index(list, i));
}

static void
print_report(const SmBundleReport *r)
{
  g_autofree char *issuer = sm_json_sanitize(r->issuer, -1, 200);
  if (!r->changed)
    {
      printf(_("Bundle version %" PRIu64 " from %s is already installed; nothing "
               "changed.\n"),
             r->version, issuer);
      return;
    }
  printf(_("Imported bundle version %" PRIu64 " from %s, signed by %s.\n"), r->version,
         issuer, r->signer_fingerprint);
  if (r->newly_pinned)
    printf(_("  organisation key pinned: %s\n"), r->signer_fingerprint);
  printf(_("  OpenPGP keys: %u added, %u updated, %u unchanged\n"), r->openpgp_added->len,
         r->openpgp_updated->len, r->openpgp_unchanged->len);
  print_list("+", r->openpgp_added);
  print_list("~", r->openpgp_updated);
  printf(_("  S/MIME certificates: %u added, %u unchanged\n"), r->smime_added->len,
         r->smime_unchanged->len);
  print_list("+", r->smime_added);
  printf(_("  CA certificates: %u newly trusted, %u already trusted\n"), r->ca_trusted->len,
         r->ca_already_trusted->len);
  print_list("+", r->ca_trusted);
  for (guint i = 0; i < r->ca_distrusted->len; i++)
    printf(_("  CA %s is marked untrusted (!) in your trustlist.txt; left as it is\n"),
           (const char *)g_ptr_array_index(r->ca_distrusted, i));
  if (r->policy == SM_BUNDLE_POLICY_INSTALLED)
    printf(_("  policy installed: %s\n"), r->policy_path);
  else if (r->policy == SM_BUNDLE_POLICY_UPDATED)
    printf(_("  policy updated: %s\n"), r->policy_path);
  else if (r->policy == SM_BUNDLE_POLICY_UNCHANGED)
    printf(_("  policy unchanged: %s\n"), r->policy_path);
}

static void
print_json(JsonNode *node)
{
  g_autofree char *text = sm_json_to_string(node, TRUE);
  printf("%s\n", text);
  json_node_unref(node);
}

static int
bundle_import(SmCli *cli, int argc, char **argv)
{
  g_autofree char *trust = NULL, *state_dir = NULL, *org_policy = NULL;
  gboolean json = FALSE;
  g_autoptr(GError) error = NULL;
  const GOptionEntry entries[]
      = { { "trust", 0, 0, G_OPTION_ARG_STRING, &trust,
            N_("Pin this organisation key fingerprint (first import only)"), "FINGERPRINT" },
          { "state-dir", 0, 0, G_OPTION_ARG_FILENAME, &state_dir, N_("Bundle state directory"),
            "DIR" },
          { "org-policy", 0, 0, G_OPTION_ARG_FILENAME, &org_policy,
            N_("Where to install the policy"), "FILE" },
          { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print JSON"), NULL },
          { NULL } };

  if (!sm_cli_parse_options(_("Verify an organisation bundle and install it."), entries, &argc,
                            &argv, "BUNDLE"))
    return SM_EXIT_ERROR;
  if (argc != 2)
    return usage_error(_("usage: sealmail bundle import [--trust FINGERPRINT] BUNDLE"));
  g_autofree char *sd
      = state_dir != NULL ? g_strdup(state_dir) : sm_bundle_config_state_dir(cli->config);
  g_autofree char *op
      = org_policy != NULL ? g_strdup(org_policy) : sm_bundle_config_org_policy_path(cli->config);
  g_autofree char *home = gnupg_home(cli);
  SmBundleImportOptions options = { sd, home, op, trust, NULL };
  g_autoptr(SmBundleReport) report = sm_bundle_import(argv[1], &options, cli->limits, &error);
  if (report == NULL)
    return sm_cli_fail(error);
  if (json)
    print_json(sm_bundle_report_to_json(report));
  else
    print_report(report);
  return SM_EXIT_OK;
}

static int
bundle_verify(SmCli *cli, int argc, char **argv)
{
  g_autofree char *trust = NULL, *state_dir = NULL, *pinned = NULL;
  g_autoptr(GError) error = NULL;
  const GOptionEntry entries[] = { { "trust", 0, 0, G_OPTION_ARG_STRING, &trust,
                                     N_("Expect this signer fingerprint"), "FINGERPRINT" },
                                   { "state-dir", 0, 0, G_OPTION_ARG_FILENAME, &state_dir,
                                     N_("Bundle state directory"), "DIR" },
                                   { NULL } };

  if (!sm_cli_parse_options(_("Check an organisation bundle without installing anything."), entries,
                            &argc, &argv, "BUNDLE"))
    return SM_EXIT_ERROR;
  if (argc != 2)
    return usage_error(_("usage: sealmail bundle verify [--trust FINGERPRINT] BUNDLE"));
  g_autofree char *sd
      = state_dir != NULL ? g_strdup(state_dir) : sm_bundle_config_state_dir(cli->config);
  g_autoptr(GKeyFile) status = sm_bundle_status(sd, &pinned, &error);
  if (status == NULL)
    return sm_cli_fail(error);
  g_autofree char *expected
      = trust != NULL ? sm_bundle_normalize_fingerprint(trust) : g_strdup(pinned);
  if (trust != NULL && expected == NULL)
    return usage_error(_("--trust needs a fingerprint of 40 or 64 hexadecimal digits"));
  g_autoptr(SmBundle) bundle = sm_bundle_load(argv[1], cli->limits, &error);
  g_autoptr(SmBundleVerification) v
      = bundle != NULL ? sm_bundle_verify(bundle, expected, NULL, cli->limits, &error) : NULL;
  if (v == NULL)
    return sm_cli_fail(error);
  g_autofree char *issuer = sm_json_sanitize(v->manifest->issuer, -1, 200);
  g_autofree char *nb = g_date_time_format_iso8601(v->manifest->not_before);
  g_autofree char *na = g_date_time_format_iso8601(v->manifest->not_after);
  printf(_("bundle version %" PRIu64 " from %s, valid %s to %s, %u files: good\n"),
         v->manifest->version, issuer, nb, na, v->manifest->files->len);
  printf(_("signed (%s) by %s\n"), v->protocol == SM_PROTO_OPENPGP ? "OpenPGP" : "S/MIME",
         v->signer_fingerprint);
  if (expected == NULL)
    printf(_("no organisation key is pinned and no --trust was given: the signer above was "
             "not compared with anything\n"));
  return SM_EXIT_OK;
}

static int
bundle_status(SmCli *cli, int argc, char **argv)
{
  g_autofree char *state_dir = NULL, *pinned = NULL;
  gboolean json = FALSE;
  g_autoptr(GError) error = NULL;
  const GOptionEntry entries[]
      = { { "state-dir", 0, 0, G_OPTION_ARG_FILENAME, &state_dir, N_("Bundle state directory"),
            "DIR" },
          { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print JSON"), NULL },
          { NULL } };

  if (!sm_cli_parse_options(_("Show the installed organisation bundle."), entries, &argc, &argv,
                            ""))
    return SM_EXIT_ERROR;
  g_autofree char *sd
      = state_dir != NULL ? g_strdup(state_dir) : sm_bundle_config_state_dir(cli->config);
  g_autoptr(GKeyFile) st = sm_bundle_status(sd, &pinned, &error);
  if (st == NULL)
    return sm_cli_fail(error);
  if (json)
    {
      print_json(sm_bundle_status_to_json(st, pinned));
      return SM_EXIT_OK;
    }
  if (!g_key_file_has_group(st, "bundle"))
    {
      printf(_("no organisation bundle is installed\n"));
      return SM_EXIT_OK;
    }
  g_autofree char *issuer = g_key_file_get_string(st, "bundle", "issuer", NULL);
  g_autofree char *shown = sm_json_sanitize(issuer, -1, 200);
  g_autofree char *at = g_key_file_get_string(st, "bundle", "imported-at", NULL);
  printf(_("bundle version %" PRIu64 " from %s, imported %s\n"),
         g_key_file_get_uint64(st, "bundle", "version", NULL), shown, at != NULL ? at : "?");
  printf(_("organisation key: %s\n"), pinned != NULL ? pinned : _("not pinned"));
  g_auto(GStrv) openpgp = g_key_file_get_string_list(st, "keys", "openpgp", NULL, NULL);
  g_auto(GStrv) smime = g_key_file_get_string_list(st, "keys", "smime", NULL, NULL);
  g_auto(GStrv) cas = g_key_file_get_string_list(st, "keys", "smime-ca", NULL, NULL);
  printf(_("from the bundle: %u OpenPGP keys, %u S/MIME certificates, %u CA certificates\n"),
         openpgp != NULL ? g_strv_length(openpgp) : 0, smime != NULL ? g_strv_length(smime) : 0,
         cas != NULL ? g_strv_length(cas) : 0);
  g_autofree char *policy = g_key_file_get_string(st, "bundle", "org-policy", NULL);
  if (policy != NULL)
    printf(_("org policy: %s\n"), policy);
  return SM_EXIT_OK;
}

static const BundleCommand bundle_commands[] = {
  { "import", bundle_import, N_("verify a bundle and install it") },
  { "status", bundle_status, N_("show the installed bundle") },
  { "verify", bundle_verify, N_("check a bundle without installing it") },
  { "create", bundle_create, N_("make a bundle (for IT)") },
};

int
sm_cli_bundle(SmCli *cli, int argc, char **argv)
{
  if (argc >= 2)
    {
      for (gsize i = 0; i < G_N_ELEMENTS(bundle_commands); i++)
        if (strcmp(argv[1], bundle_commands[i].name) == 0)
          return bundle_commands[i].func(cli, argc - 1, argv + 1);
    }
  gboolean help = argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0);
  FILE *out = help ? stdout : stderr;
  fprintf(out, _("Usage: sealmail bundle COMMAND [OPTIONS]\n\nCommands:\n"));
  for (gsize i = 0; i < G_N_ELEMENTS(bundle_commands); i++)
    fprintf(out, "  %-8s %s\n", bundle_commands[i].name, _(bundle_commands[i].summary));
  fprintf(out, _("\n'sealmail bundle COMMAND --help' describes one command; certs/README.md the "
                 "bundle format.\n"));
  return help ? SM_EXIT_OK : SM_EXIT_ERROR;
}
