/* Transcript tests of the SMTP session state machine (sm-smtp-session): each file in
 * smtp-transcripts/ lists client lines and the exact server lines expected back, in the style
 * of Postfix's .in/.ref tests. Directives:
 *   !key value   session setting: max_recipients, max_errors, max_message, starttls
 *   C: text      client line ending in CR LF      L: text  client line ending in a bare LF
 *   P: text      a piece of an over-long line (no line end yet)
 *   S: text      expected server line (a block of S lines is compared at once)
 *   A: action    expected action of the last line: continue, starttls or close
 *   T: ok|fail   the TLS handshake result after STARTTLS
 *   D: text      the last delivered envelope: from=<..> to=<..>,<..> utf8=0|1 8bit=0|1
 *   M: text      the next line of the last delivered message (as the spool holds it)
 *   M.           the delivered message has no more lines
 * The backend accepts alice/secret and records what it was asked to deliver. */
#include "sm-smtp-session.h"

#include <glib/gstdio.h>
#include <string.h>

typedef struct
{
  GString *envelope;
  GPtrArray *message_lines;
  guint next_message_line;
} Backend;

static SmSmtpReply *
fake_authenticate(gpointer data, const char *authzid, const char *user, const char *password)
{
  if (g_strcmp0(user, "alice") == 0 && g_strcmp0(password, "secret") == 0)
    return sm_smtp_reply_new(235, "2.7.0", "Authentication successful");
  return sm_smtp_reply_new(535, "5.7.8", "Authentication credentials invalid");
}

static SmSmtpReply *
fake_deliver(gpointer data, const SmSmtpEnvelope *env)
{
  Backend *b = data;
  g_autofree char *rcpts = g_strjoinv(">,<", (char **)env->rcpts);
  g_string_printf(b->envelope, "from=<%s> to=<%s> utf8=%d 8bit=%d", env->mail_from, rcpts,
                  env->smtputf8, env->body_8bit);
  g_autofree char *content = NULL;
  gsize len = 0;
  g_assert_true(g_file_get_contents(sm_smtp_spool_path(env->spool), &content, &len, NULL));
  g_assert_cmpuint(len, ==, sm_smtp_spool_size(env->spool));
  g_ptr_array_set_size(b->message_lines, 0);
  b->next_message_line = 0;
  /* The spool must hold CR LF lines only. */
  g_auto(GStrv) lines = g_strsplit(content, "\r\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_assert_null(strchr(lines[i], '\n'));
      if (lines[i + 1] != NULL) /* the text after the last CR LF is empty */
        g_ptr_array_add(b->message_lines, g_strdup(lines[i]));
      else
        g_assert_cmpstr(lines[i], ==, "");
    }
  return sm_smtp_reply_new(250, "2.0.0", "OK, sent");
}

static const SmSmtpBackend fake_backend = { fake_authenticate, fake_deliver };

static const char *
action_name(SmSmtpAction a)
{
  return a == SM_SMTP_ACTION_CLOSE      ? "close"
         : a == SM_SMTP_ACTION_STARTTLS ? "starttls"
                                        : "continue";
}

static void
apply_setting(SmSmtpSessionConfig *cfg, const char *line)
{
  g_auto(GStrv) kv = g_strsplit(line + 1, " ", 2);
  g_assert_nonnull(kv[1]);
  guint64 v = g_ascii_strtoull(kv[1], NULL, 10);
  if (strcmp(kv[0], "max_recipients") == 0)
    cfg->max_recipients = (guint)v;
  else if (strcmp(kv[0], "max_errors") == 0)
    cfg->max_errors = (guint)v;
  else if (strcmp(kv[0], "max_message") == 0)
    cfg->max_message = v;
  else if (strcmp(kv[0], "starttls") == 0)
    cfg->starttls = v != 0;
  else
    g_error("unknown setting %s", kv[0]);
}

static void
run_transcript(gconstpointer data)
{
  const char *path = data;
  g_autofree char *text = NULL;
  g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
  g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
  g_autofree char *spool = g_dir_make_tmp("smtp-session-XXXXXX", NULL);
  SmSmtpSessionConfig cfg = {
    .session_id = "test",
    .hostname = "localhost",
    .spool_dir = spool,
    .max_message = 52428800,
    .max_recipients = 1000,
    .max_errors = 20,
  };
  guint i = 0;
  for (; lines[i] != NULL && (lines[i][0] == '!' || lines[i][0] == '#'); i++)
    if (lines[i][0] == '!')
      apply_setting(&cfg, lines[i]);

  Backend b = { g_string_new(NULL), g_ptr_array_new_with_free_func(g_free), 0 };
  g_autoptr(SmSmtpSession) s = sm_smtp_session_new(&cfg, &fake_backend, &b);
  g_autoptr(GString) got = g_string_new(NULL);
  g_autoptr(GString) want = g_string_new(NULL);
  SmSmtpAction action = SM_SMTP_ACTION_CONTINUE;
  sm_smtp_session_start(s, got);

  for (; lines[i] != NULL; i++)
    {
      const char *l = lines[i];
      gsize len = strlen(l);
      if (len == 0 || l[0] == '#')
        continue;
      if (l[0] != 'S' && want->len > 0)
        {
          g_assert_cmpstr(got->str, ==, want->str);
          g_string_truncate(got, 0);
          g_string_truncate(want, 0);
        }
      const char *arg = len > 3 ? l + 3 : "";
      switch (l[0])
        {
          case 'C':
          case 'L':
          case 'P':
            g_assert_cmpstr(got->str, ==, ""); /* every reply was expected */
            action = sm_smtp_session_feed(s, arg, strlen(arg),
                                          l[0] == 'C'   ? SM_NET_LINE_END_CRLF
                                          : l[0] == 'L' ? SM_NET_LINE_END_LF
                                                        : SM_NET_LINE_END_NONE,
                                          got);
            break;
          case 'S':
            g_string_append_printf(want, "%s\r\n", arg);
            break;
          case 'A':
            g_assert_cmpstr(action_name(action), ==, arg);
            break;
          case 'T':
            action = sm_smtp_session_tls_done(s, strcmp(arg, "ok") == 0, got);
            break;
          case 'D':
            g_assert_cmpstr(b.envelope->str, ==, arg);
            break;
          case 'M':
            if (l[1] == '.')
              {
                g_assert_cmpuint(b.next_message_line, ==, b.message_lines->len);
              }
            else
              {
                g_assert_cmpuint(b.next_message_line, <, b.message_lines->len);
                g_assert_cmpstr(g_ptr_array_index(b.message_lines, b.next_message_line++), ==, arg);
              }
            break;
          default:
            g_error("%s:%u: unknown directive", path, i + 1);
        }
    }
  g_assert_cmpstr(got->str, ==, want->str);
  g_clear_pointer(&s, sm_smtp_session_free);
  g_string_free(b.envelope, TRUE);
  g_ptr_array_unref(b.message_lines);
  g_rmdir(spool);
}

static int
compare_names(gconstpointer a, gconstpointer b)
{
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_autofree char *dir = g_test_build_filename(G_TEST_DIST, "unit", "smtp-transcripts", NULL);
  g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
  g_assert_nonnull(d);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
  const char *name;
  while ((name = g_dir_read_name(d)) != NULL)
    if (g_str_has_suffix(name, ".trs"))
      g_ptr_array_add(names, g_strdup(name));
  g_ptr_array_sort(names, compare_names);
  g_assert_cmpuint(names->len, >, 0);
  for (guint i = 0; i < names->len; i++)
    {
      const char *n = g_ptr_array_index(names, i);
      g_autofree char *test = g_strdup_printf("/smtp-session/%.*s", (int)strlen(n) - 4, n);
      g_test_add_data_func_full(test, g_build_filename(dir, n, NULL), run_transcript, g_free);
    }
  return g_test_run();
}
