/* sealmaild: the helper daemon for one user. Thin: it reads the configuration, prepares the
 * runtime and data directories, starts one SMTP submission listener per account
 * (helper/smtp) around the shared pipeline, and stops cleanly on SIGTERM or SIGINT.
 * Logs go to stderr as key=value lines (the journal collects them under systemd). */
#include "sm-config.h"
#include "sm-audit.h"
#include "sm-control.h"
#include "sm-net-tls.h"
#include "sm-smtp-config.h"
#include "sm-smtp-pipeline.h"
#include "sm-smtp-server.h"

#include <inttypes.h>
#include <errno.h>
#include <glib-unix.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#define STOP_GRACE_SECONDS 10

typedef struct
{
  char *runtime_dir; /* $XDG_RUNTIME_DIR/sealmail */
  char *spool_dir;
  char *data_dir; /* $XDG_DATA_HOME/sealmail */
  char *pid_file;
  SmSmtpConfig *config;
  SmSmtpPipeline *pipeline;
  SSL_CTX *server_tls;
  GPtrArray *servers;
  SmControlServer *control;
  GMainLoop *loop;
} Daemon;

static GLogWriterOutput
log_writer(GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
  const char *message = NULL;
  for (gsize i = 0; i < n_fields; i++)
    if (g_strcmp0(fields[i].key, "MESSAGE") == 0)
      message = fields[i].value;
  if (message == NULL || g_log_writer_default_would_drop(level, G_LOG_DOMAIN))
    return G_LOG_WRITER_HANDLED;
  const char *name = (level & G_LOG_LEVEL_ERROR)      ? "error"
                     : (level & G_LOG_LEVEL_CRITICAL) ? "critical"
                     : (level & G_LOG_LEVEL_WARNING)  ? "warning"
                     : (level & G_LOG_LEVEL_DEBUG)    ? "debug"
                                                      : "info";
  g_autoptr(GDateTime) now = g_date_time_new_now_utc();
  g_autofree char *ts = g_date_time_format(now, "%FT%T");
  fprintf(stderr, "%s.%03dZ sealmaild level=%s %s\n", ts, g_date_time_get_microsecond(now) / 1000,
          name, message);
  return G_LOG_WRITER_HANDLED;
}

static gboolean
make_private_dir(const char *dir, GError **error)
{
  if (g_mkdir_with_parents(dir, 0700) != 0)
    {
      g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), _("cannot create %s: %s"),
                  dir, g_strerror(errno));
      return FALSE;
    }
  return TRUE;
}

/* Removes spool files left by a daemon that was killed: their clients never got a 250. */
static void
clean_spool(const char *dir)
{
  g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
  const char *name;
  guint removed = 0;
  while (d != NULL && (name = g_dir_read_name(d)) != NULL)
    {
      g_autofree char *path = g_build_filename(dir, name, NULL);
      if (g_unlink(path) == 0)
        removed++;
    }
  if (removed > 0)
    g_message("event=spool-cleaned files=%u", removed);
}

static gboolean
store_pid(Daemon *d, GError **error)
{
  g_autofree char *text = g_strdup_printf("%d\n", (int)getpid());
  return g_file_set_contents_full(d->pid_file, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0644,
                                  error);
}

static gboolean
write_pid_file(Daemon *d, GError **error)
{
  g_autofree char *old = NULL;
  if (g_file_get_contents(d->pid_file, &old, NULL, NULL))
    {
      guint64 pid = 0;
      if (g_ascii_string_to_unsigned(g_strstrip(old), 10, 1, G_MAXINT, &pid, NULL)
          && kill((pid_t)pid, 0) == 0 && (pid_t)pid != getpid())
        {
          g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_EXIST,
                      _("sealmaild is already running (pid %" PRIu64 ", %s)"), pid, d->pid_file);
          return FALSE;
        }
    }
  return store_pid(d, error);
}

/* The daemon's part of the control socket's `status`: its listeners and accounts. Runs in the
 * main context (no SM_CONTROL_METHOD_ANY_THREAD), so it may read the daemon's state. */
static JsonNode *
status_provider(gpointer user_data)
{
  Daemon *d = user_data;
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "listeners");
  json_builder_begin_array(b);
  for (guint i = 0; d->servers != NULL && i < d->servers->len; i++)
    {
      const SmSmtpAccount *a = g_ptr_array_index(d->config->accounts, i);
      json_builder_begin_object(b);
      json_builder_set_member_name(b, "account");
      json_builder_add_string_value(b, a->name);
      json_builder_set_member_name(b, "address");
      json_builder_add_string_value(b, a->listen);
      json_builder_set_member_name(b, "port");
      json_builder_add_int_value(b, sm_smtp_server_get_port(g_ptr_array_index(d->servers, i)));
      json_builder_set_member_name(b, "upstream");
      json_builder_add_string_value(b, a->upstream_url);
      json_builder_end_object(b);
    }
  json_builder_end_array(b);
  json_builder_set_member_name(b, "accounts");
  json_builder_begin_array(b);
  for (guint i = 0; i < d->config->accounts->len; i++)
    {
      const SmSmtpAccount *a = g_ptr_array_index(d->config->accounts, i);
      json_builder_begin_object(b);
      json_builder_set_member_name(b, "name");
      json_builder_add_string_value(b, a->name);
      json_builder_set_member_name(b, "upstream_ca");
      json_builder_add_string_value(b, a->upstream_ca != NULL ? a->upstream_ca : "system");
      json_builder_end_object(b);
    }
  json_builder_end_array(b);
  json_builder_set_member_name(b, "config");
  json_builder_add_string_value(b, d->config->path != NULL ? d->config->path : "embedded-default");
  json_builder_end_object(b);
  return json_builder_get_root(b);
}

/* Methods beyond the built-in `status`; the table ends with a {NULL} row. */
static const SmControlMethod control_methods[] = {
  { NULL, NULL, 0 },
};

static gboolean
setup(Daemon *d, const char *config_path, GError **error)
{
  d->config = sm_smtp_config_load(config_path, error);
  if (d->config == NULL)
    return FALSE;
  d->runtime_dir = g_build_filename(g_get_user_runtime_dir(), "sealmail", NULL);
  d->spool_dir = g_build_filename(d->runtime_dir, "spool", NULL);
  d->data_dir = g_build_filename(g_get_user_data_dir(), "sealmail", NULL);
  d->pid_file = g_build_filename(d->runtime_dir, "sealmaild.pid", NULL);
  if (!make_private_dir(d->spool_dir, error) || !make_private_dir(d->data_dir, error)
      || !write_pid_file(d, error))
    return FALSE;
  clean_spool(d->spool_dir);

  g_autofree char *audit_db = sm_audit_db_path(d->config->keyfile);
  SmSmtpPipelineOptions po = {
    .config = d->config->keyfile,
    .limits = d->config->limits,
    .spool_dir = d->spool_dir,
    .audit_db = audit_db,
  };
  d->pipeline = sm_smtp_pipeline_new(&po, error);
  if (d->pipeline == NULL)
    return FALSE;

  g_autofree char *cert = NULL, *key = NULL;
  if (!sm_net_tls_ensure_local_certificate(d->data_dir, &cert, &key, error))
    return FALSE;
  d->server_tls = sm_net_tls_server_context_new(cert, key, error);
  if (d->server_tls == NULL)
    return FALSE;

  d->servers = g_ptr_array_new();
  for (guint i = 0; i < d->config->accounts->len; i++)
    {
      const SmSmtpAccount *a = g_ptr_array_index(d->config->accounts, i);
      SmSmtpServer *srv = sm_smtp_server_new_for_account(a, d->pipeline, d->server_tls,
                                                         d->config->limits, d->spool_dir, error);
      if (srv == NULL)
        return FALSE;
      g_ptr_array_add(d->servers, srv);
      g_message("event=listening account=%s address=%s port=%u upstream=%s tls-ca=%s "
                "pipeline=%s local-cert=%s",
                a->name, a->listen, sm_smtp_server_get_port(srv), a->upstream_url,
                a->upstream_ca != NULL ? a->upstream_ca : "system",
                sm_smtp_pipeline_mode(d->pipeline), cert);
    }
  SmControlServerOptions co = {
    .limits = d->config->limits,
    .audit_db = audit_db,
    .status_func = status_provider,
    .status_data = d,
  };
  d->control = sm_control_server_new(NULL, control_methods, d, &co, error);
  if (d->control == NULL)
    return FALSE;
  g_message("event=control-listening path=%s", sm_control_server_get_path(d->control));
  g_message("event=ready config=%s pid=%d",
            d->config->path != NULL ? d->config->path : "embedded-default", (int)getpid());
  return TRUE;
}

static gboolean
on_signal(gpointer user_data)
{
  Daemon *d = user_data;
  g_message("event=stopping");
  g_main_loop_quit(d->loop);
  return G_SOURCE_REMOVE;
}

/* Stops the listeners; the servers are freed only when no session thread still uses them. */
static void
teardown(Daemon *d)
{
  gboolean idle = TRUE;
  for (guint i = 0; d->servers != NULL && i < d->servers->len; i++)
    {
      SmSmtpServer *srv = g_ptr_array_index(d->servers, i);
      sm_smtp_server_stop(srv, STOP_GRACE_SECONDS);
      idle = idle && sm_smtp_server_active_sessions(srv) == 0;
    }
  g_clear_pointer(&d->control, sm_control_server_free);
  if (d->pid_file != NULL)
    g_unlink(d->pid_file);
  if (!idle)
    return; /* the process exits; running sessions end with it */
  if (d->servers != NULL)
    g_ptr_array_set_free_func(d->servers, (GDestroyNotify)sm_smtp_server_free);
  g_clear_pointer(&d->servers, g_ptr_array_unref);
  g_clear_pointer(&d->pipeline, sm_smtp_pipeline_free);
  g_clear_pointer(&d->server_tls, SSL_CTX_free);
  g_clear_pointer(&d->config, sm_smtp_config_free);
  g_free(d->runtime_dir);
  g_free(d->spool_dir);
  g_free(d->data_dir);
  g_free(d->pid_file);
}

/* Without --foreground: the parent returns once the child listens, with its status. */
static int
daemonize(int *ready_fd)
{
  int fds[2];
  if (pipe(fds) != 0)
    return -1;
  pid_t pid = fork();
  if (pid < 0)
    return -1;
  if (pid > 0)
    {
      char status = 1;
      close(fds[1]);
      if (read(fds[0], &status, 1) != 1)
        status = 1;
      _exit(status);
    }
  close(fds[0]);
  setsid();
  *ready_fd = fds[1];
  return 0;
}

int
main(int argc, char **argv)
{
  g_autofree char *config_path = NULL;
  gboolean foreground = FALSE, print_default = FALSE, version = FALSE;
  GOptionEntry entries[] = {
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path, N_("Read FILE instead of the default"),
      N_("FILE") },
    { "foreground", 'f', 0, G_OPTION_ARG_NONE, &foreground, N_("Stay in the foreground"), NULL },
    { "print-default-config", 0, 0, G_OPTION_ARG_NONE, &print_default,
      N_("Print the embedded default configuration"), NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, &version, N_("Print the version"), NULL },
    { NULL },
  };
  g_autoptr(GError) error = NULL;
  int ready_fd = -1;

  setlocale(LC_ALL, "");
  /* SEALMAIL_LOCALEDIR lets tests and uninstalled builds use catalogues that are not
   * installed yet (meson installs the .mo files only at install time). */
  const char *localedir = g_getenv("SEALMAIL_LOCALEDIR");
  bindtextdomain(GETTEXT_PACKAGE, localedir != NULL && *localedir != '\0' ? localedir : LOCALEDIR);
  bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
  textdomain(GETTEXT_PACKAGE);
  g_autoptr(GOptionContext) ctx = g_option_context_new(NULL);
  g_option_context_set_summary(ctx, _("sealmail's helper daemon: a local SMTP submission proxy "
                                      "that encrypts, or refuses, before anything leaves."));
  g_option_context_add_main_entries(ctx, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse(ctx, &argc, &argv, &error))
    {
      fprintf(stderr, "sealmaild: %s\n", error->message);
      return 2;
    }
  if (version || print_default)
    {
      fputs(version ? "sealmaild " SM_VERSION "\n" : sm_smtp_config_default_text(), stdout);
      return 0;
    }
  signal(SIGPIPE, SIG_IGN);
  g_log_set_writer_func(log_writer, NULL, NULL);

  Daemon d = { 0 };
  d.loop = g_main_loop_new(NULL, FALSE);
  if (!setup(&d, config_path, &error))
    {
      fprintf(stderr, "sealmaild: %s\n", error->message);
      teardown(&d);
      return 2;
    }
  if (!foreground && daemonize(&ready_fd) != 0)
    {
      fprintf(stderr, "sealmaild: cannot start in the background: %s\n", g_strerror(errno));
      return 2;
    }
  if (ready_fd >= 0)
    {
      store_pid(&d, NULL); /* the child's own pid */
      char ok = 0;
      if (write(ready_fd, &ok, 1) != 1)
        return 2;
      close(ready_fd);
    }
  g_unix_signal_add(SIGTERM, on_signal, &d);
  g_unix_signal_add(SIGINT, on_signal, &d);
  g_main_loop_run(d.loop);
  teardown(&d);
  g_main_loop_unref(d.loop);
  g_message("event=stopped");
  return 0;
}
