/* sm-smtp-config: reading the [account:NAME] groups for the SMTP proxy, with the embedded
 * default used when the user has no configuration file. */
#include "sm-smtp-config.h"
#include "sm-error.h"

#include <glib/gi18n.h>
#include <string.h>

#define ACCOUNT_PREFIX "account:"

static const char default_text[]
    = "# sealmail's embedded default configuration (sealmaild --print-default-config).\n"
      "# Copy it to $XDG_CONFIG_HOME/sealmail/sealmail.conf and set your provider's server.\n"
      "[account:default]\n"
      "smtp-listen = 127.0.0.1:1587\n"
      "smtp-upstream = smtp+starttls://localhost:587\n"
      "smtp-starttls = true\n"
      "\n"
      "[policy]\n"
      "sensitive-action = block\n";

const char *
sm_smtp_config_default_text(void)
{
  return default_text;
}

static void
account_free(gpointer p)
{
  SmSmtpAccount *a = p;
  g_free(a->name);
  g_free(a->listen);
  g_free(a->upstream_url);
  sm_smtp_upstream_address_clear(&a->upstream);
  g_free(a->upstream_ca);
  g_free(a);
}

void
sm_smtp_config_free(SmSmtpConfig *config)
{
  if (config == NULL)
    return;
  g_clear_pointer(&config->keyfile, g_key_file_unref);
  g_clear_pointer(&config->accounts, g_ptr_array_unref);
  g_clear_pointer(&config->limits, sm_limits_free);
  g_free(config->path);
  g_free(config);
}

static gboolean
get_bool(GKeyFile *kf, const char *group, const char *key, gboolean def, GError **error)
{
  g_autoptr(GError) local = NULL;
  if (!g_key_file_has_key(kf, group, key, NULL))
    return def;
  gboolean v = g_key_file_get_boolean(kf, group, key, &local);
  if (local != NULL)
    g_set_error(error, SM_ERROR, SM_ERROR_INVALID_INPUT, _("[%s] %s must be true or false"), group,
                key);
  return v;
}

static char *
resolve_path(const char *value, const char *config_dir)
{
  if (value == NULL || value[0] == '\0')
    return NULL;
  g_autofree char *expanded = value[0] == '~' && (value[1] == '/' || value[1] == '\0')
                                  ? g_build_filename(g_get_home_dir(), value + 1, NULL)
                                  : g_strdup(value);
  if (g_path_is_absolute(expanded))
    return g_steal_pointer(&expanded);
  return g_build_filename(config_dir, expanded, NULL);
}

static SmSmtpAccount *
account_new(GKeyFile *kf, const char *group, const char *config_dir, GError **error)
{
  g_autoptr(GError) local = NULL;
  SmSmtpAccount *a = g_new0(SmSmtpAccount, 1);
  a->name = g_strdup(group + strlen(ACCOUNT_PREFIX));
  a->listen = g_key_file_get_string(kf, group, "smtp-listen", NULL);
  a->upstream_url = g_key_file_get_string(kf, group, "smtp-upstream", NULL);
  g_autofree char *ca = g_key_file_get_string(kf, group, "smtp-upstream-ca", NULL);
  a->upstream_ca = resolve_path(ca, config_dir);
  a->starttls = get_bool(kf, group, "smtp-starttls", TRUE, &local);
  if (local == NULL)
    a->allow_remote = get_bool(kf, group, "smtp-allow-remote", FALSE, &local);
  if (local == NULL && a->upstream_url == NULL)
    g_set_error(&local, SM_ERROR, SM_ERROR_INVALID_INPUT,
                _("[%s] has smtp-listen but no smtp-upstream (e.g. "
                  "smtp+starttls://smtp.example.org:587)"),
                group);
  if (local == NULL)
    sm_smtp_upstream_parse_url(a->upstream_url, &a->upstream, &local);
  if (local != NULL)
    {
      g_propagate_error(error, g_steal_pointer(&local));
      account_free(a);
      return NULL;
    }
  return a;
}

/* The environment overrides of the embedded default (see the header). */
static void
apply_environment(GKeyFile *kf)
{
  const char *upstream = g_getenv("SEALMAIL_SMTP_UPSTREAM");
  const char *ca = g_getenv("SEALMAIL_SMTP_UPSTREAM_CA");
  if (upstream != NULL && upstream[0] != '\0')
    g_key_file_set_string(kf, "account:default", "smtp-upstream", upstream);
  if (ca != NULL && ca[0] != '\0')
    g_key_file_set_string(kf, "account:default", "smtp-upstream-ca", ca);
}

static gboolean
read_keyfile(SmSmtpConfig *config, const char *path, GError **error)
{
  g_autofree char *user_path = NULL;
  if (path == NULL)
    {
      user_path = g_build_filename(g_get_user_config_dir(), "sealmail", "sealmail.conf", NULL);
      if (g_file_test(user_path, G_FILE_TEST_EXISTS))
        path = user_path;
    }
  if (path == NULL)
    {
      if (!g_key_file_load_from_data(config->keyfile, default_text, sizeof default_text - 1,
                                     G_KEY_FILE_KEEP_COMMENTS, error))
        return FALSE;
      apply_environment(config->keyfile);
      return TRUE;
    }
  if (!g_key_file_load_from_file(config->keyfile, path, G_KEY_FILE_NONE, error))
    {
      g_prefix_error(error, _("cannot read configuration %s: "), path);
      return FALSE;
    }
  config->path = g_strdup(path);
  return TRUE;
}

SmSmtpConfig *
sm_smtp_config_load(const char *path, GError **error)
{
  g_autoptr(SmSmtpConfig) config = g_new0(SmSmtpConfig, 1);
  config->keyfile = g_key_file_new();
  config->accounts = g_ptr_array_new_with_free_func(account_free);
  if (!read_keyfile(config, path, error))
    return NULL;
  config->limits = sm_limits_new(config->keyfile, error);
  if (config->limits == NULL)
    return NULL;

  g_autofree char *config_dir = config->path != NULL
                                    ? g_path_get_dirname(config->path)
                                    : g_build_filename(g_get_user_config_dir(), "sealmail", NULL);
  g_auto(GStrv) groups = g_key_file_get_groups(config->keyfile, NULL);
  for (guint i = 0; groups[i] != NULL; i++)
    {
      if (!g_str_has_prefix(groups[i], ACCOUNT_PREFIX)
          || !g_key_file_has_key(config->keyfile, groups[i], "smtp-listen", NULL))
        continue;
      SmSmtpAccount *a = account_new(config->keyfile, groups[i], config_dir, error);
      if (a == NULL)
        {
          g_prefix_error(error,
                         "%s: ", config->path != NULL ? config->path : _("embedded default"));
          return NULL;
        }
      g_ptr_array_add(config->accounts, a);
    }
  if (config->accounts->len == 0)
    {
      g_set_error(error, SM_ERROR, SM_ERROR_NOT_FOUND,
                  _("%s has no [account:NAME] group with smtp-listen; see sealmaild "
                    "--print-default-config"),
                  config->path != NULL ? config->path : _("the configuration"));
      return NULL;
    }
  return g_steal_pointer(&config);
}
