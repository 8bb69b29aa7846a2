/* sm-cli-seal: `sealmail seal [--sign] [--no-protect-headers] [--no-autocrypt] [--no-scan]
 * [--rcpt ADDR]... [--output-dir DIR] FILE|-`: applies the plan that `sealmail plan` shows and
 * writes the sealed message or messages. Nothing is sent. A regular FILE is not read into
 * memory (sm_message_parse_file_streamed); the [seal] group of the configuration gives the
 * defaults (sm_seal_options_load), the options override them.
 *
 * Output: a plan with one group writes its message to standard output. A split plan (several
 * protocols, Bcc copies) writes DIR/1.eml, DIR/2.eml, ... with --output-dir; without it, all
 * copies go to standard output as an mbox (a "From " line before each copy, body lines that
 * start with "From " escaped as ">From "). Standard error names each copy's recipients (the
 * envelope RCPT TO) and how it is protected.
 * Exit codes: 0 sealed, 1 blocked by policy (the reason on standard error), 2 error. */
#include "sm-cli.h"
#include "sm-error.h"
#include "sm-message.h"
#include "sm-policy.h"
#include "sm-seal.h"

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

typedef struct
{
  gboolean sign;
  gboolean no_protect_headers;
  gboolean no_autocrypt;
  gboolean no_scan;
  char *output_dir;
  char **rcpts;
} SealArgs;

static void
seal_args_clear(SealArgs *args)
{
  g_free(args->output_dir);
  g_strfreev(args->rcpts);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(SealArgs, seal_args_clear)

static char *
describe_copy(const SmSealedMessage *sealed)
{
  g_autoptr(GString) s = g_string_new(sm_decision_to_string(sealed->group->decision));
  if (sealed->is_signed)
    g_string_append(s, _(", signed"));
  if (sealed->self_encrypted)
    g_string_append(s, _(", encrypted to self"));
  if (sealed->group->bcc_copy)
    g_string_append(s, _(", separate Bcc copy"));
  g_autofree char *rcpts = g_strjoinv(", ", sealed->envelope_rcpts);
  g_string_append_printf(s, " -> %s", rcpts);
  return g_string_free(g_steal_pointer(&s), FALSE);
}

/* Writes @message to @stream through a write buffer; @mbox adds the separator and escaping. */
static gboolean
write_message(GMimeMessage *message, GMimeStream *stream, const char *sender, gboolean mbox,
              GError **error)
{
  g_autoptr(GMimeStream) buffered
      = g_mime_stream_buffer_new(stream, GMIME_STREAM_BUFFER_BLOCK_WRITE);
  g_autoptr(GMimeStream) out = NULL;
  if (mbox)
    {
      g_autoptr(GDateTime) now = g_date_time_new_now_utc();
      g_autofree char *date = g_date_time_format(now, "%a %b %e %H:%M:%S %Y");
      g_autofree char *line
          = g_strdup_printf("From %s %s\n", sender ? sender : "MAILER-DAEMON", date);
      g_mime_stream_write_string(buffered, line);
      out = g_mime_stream_filter_new(buffered);
      g_autoptr(GMimeFilter) from = g_mime_filter_from_new(GMIME_FILTER_FROM_MODE_ESCAPE);
      g_mime_stream_filter_add(GMIME_STREAM_FILTER(out), from);
    }
  else
    {
      out = g_object_ref(buffered);
    }
  if (g_mime_object_write_to_stream(GMIME_OBJECT(message), NULL, out) < 0
      || (mbox && g_mime_stream_write_string(out, "\n") < 0) || g_mime_stream_flush(out) < 0
      || g_mime_stream_flush(buffered) < 0)
    {
      g_set_error_literal(error, SM_ERROR, SM_ERROR_IO, _("cannot write the sealed message"));
      return FALSE;
    }
  return TRUE;
}

static gboolean
write_copy_file(const SmSealedMessage *sealed, const char *dir, guint index, GError **error)
{
  g_autofree char *name = g_strdup_printf("%u.eml", index);
  g_autofree char *path = g_build_filename(dir, name, NULL);
  g_autoptr(GMimeStream) file
      = g_mime_stream_fs_open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600, error);
  if (file == NULL)
    {
      g_prefix_error(error, _("cannot create %s: "), path);
      return FALSE;
    }
  if (!write_message(sealed->message, file, NULL, FALSE, error))
    return FALSE;
  g_autofree char *what = describe_copy(sealed);
  fprintf(stderr, _("sealmail: %s: %s\n"), path, what);
  return TRUE;
}

static gboolean
write_outputs(GPtrArray *sealed, const char *sender, const char *dir, GError **error)
{
  if (dir != NULL && g_mkdir_with_parents(dir, 0700) != 0)
    {
      g_set_error(error, SM_ERROR, SM_ERROR_IO, _("cannot create the directory %s"), dir);
      return FALSE;
    }
  g_autoptr(GMimeStream) out = g_mime_stream_pipe_new(STDOUT_FILENO);
  g_mime_stream_pipe_set_owner(GMIME_STREAM_PIPE(out), FALSE);
  gboolean mbox = sealed->len > 1;
  for (guint i = 0; i < sealed->len; i++)
    {
      SmSealedMessage *copy = g_ptr_array_index(sealed, i);
      if (dir != NULL)
        {
          if (!write_copy_file(copy, dir, i + 1, error))
            return FALSE;
          continue;
        }
      if (!write_message(copy->message, out, sender, mbox, error))
        return FALSE;
      g_autofree char *what = describe_copy(copy);
      fprintf(stderr, _("sealmail: copy %u of %u: %s\n"), i + 1, sealed->len, what);
    }
  return TRUE;
}

static SmPlan *
make_plan(SmCli *cli, GMimeMessage *message, const SealArgs *args, char **gnupg_home,
          GError **error)
{
  g_autoptr(SmKeyResolver) resolver = sm_key_resolver_new_from_config(cli->config, error);
  if (resolver == NULL)
    return NULL;
  g_autoptr(SmPolicy) policy = sm_policy_new_from_config(cli->config, error);
  if (policy == NULL)
    return NULL;
  g_autoptr(SmScanPolicy) scan_policy = NULL;
  if (!args->no_scan)
    {
      scan_policy = sm_scan_policy_new(cli->config, error);
      if (scan_policy == NULL)
        return NULL;
    }
  *gnupg_home = g_strdup(sm_key_resolver_get_options(resolver)->gnupg_home);
  return sm_policy_plan(policy, resolver, message, (const char *const *)args->rcpts, scan_policy,
                        cli->limits, error);
}

int
sm_cli_seal(SmCli *cli, int argc, char **argv)
{
  g_auto(SealArgs) args = { 0 };
  const GOptionEntry entries[] = {
    { "sign", 0, 0, G_OPTION_ARG_NONE, &args.sign, N_("Also sign copies that go out unencrypted"),
      NULL },
    { "no-protect-headers", 0, 0, G_OPTION_ARG_NONE, &args.no_protect_headers,
      N_("Leave the real Subject outside the encryption"), NULL },
    { "no-autocrypt", 0, 0, G_OPTION_ARG_NONE, &args.no_autocrypt,
      N_("Add no Autocrypt header and no gossip"), NULL },
    { "no-scan", 0, 0, G_OPTION_ARG_NONE, &args.no_scan,
      N_("Do not scan for sensitive content (no sensitive-content block)"), NULL },
    { "rcpt", 0, 0, G_OPTION_ARG_STRING_ARRAY, &args.rcpts,
      N_("An envelope recipient, as in SMTP RCPT TO (repeatable)"), N_("ADDRESS") },
    { "output-dir", 'o', 0, G_OPTION_ARG_FILENAME, &args.output_dir,
      N_("Write each copy to DIR/N.eml instead of standard output"), N_("DIR") },
    { NULL },
  };
  if (!sm_cli_parse_options(_("Encrypts and signs a message as its plan says, one message per "
                              "group of recipients, and writes the result; nothing is sent."),
                            entries, &argc, &argv, _("FILE|-")))
    return SM_EXIT_ERROR;
  if (argc != 2)
    {
      fprintf(stderr, _("sealmail seal: give one message file, or - for standard input\n"));
      return SM_EXIT_ERROR;
    }
  g_autoptr(GError) error = NULL;
  g_autoptr(GMimeMessage) message = sm_message_parse_file_streamed(argv[1], cli->limits, &error);
  if (message == NULL)
    return sm_cli_fail(error);
  g_autofree char *gnupg_home = NULL;
  g_autoptr(SmPlan) plan = make_plan(cli, message, &args, &gnupg_home, &error);
  if (plan == NULL)
    return sm_cli_fail(error);
  if (plan->blocked)
    {
      fprintf(stderr, _("sealmail: not sealed: %s\n"), plan->reason);
      return SM_EXIT_FOUND;
    }

  SmSealOptions options = { .protect_headers = TRUE, .autocrypt = TRUE };
  if (!sm_seal_options_load(&options, cli->config, &error))
    return sm_cli_fail(error);
  options.sign = options.sign || args.sign;
  options.protect_headers = options.protect_headers && !args.no_protect_headers;
  options.autocrypt = options.autocrypt && !args.no_autocrypt;
  options.gnupg_home = gnupg_home;
  options.limits = cli->limits;
  g_autoptr(GPtrArray) sealed = sm_seal_plan(plan, message, &options, &error);
  if (sealed == NULL)
    return sm_cli_fail(error);
  if (!write_outputs(sealed, plan->sender, args.output_dir, &error))
    return sm_cli_fail(error);
  return SM_EXIT_OK;
}
