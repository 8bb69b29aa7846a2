/* Unit tests of sm-message: limits and the refusal of non-messages. */
#include "sm-error.h"
#include "sm-message.h"

#include <string.h>

static GMimeMessage *
parse_str(const char *s, const SmLimits *limits, GError **error)
{
  g_autoptr(GBytes) b = g_bytes_new(s, strlen(s));
  return sm_message_parse_bytes(b, limits, error);
}

static void
test_plain(void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GMimeMessage) m =
    parse_str("From: Alice <ALICE@Example.org>\r\nSubject: hi\r\n\r\nbody\r\n", NULL, &error);
  g_assert_no_error(error);
  g_autofree char *from = sm_message_from_address(m);
  g_assert_cmpstr(from, ==, "alice@example.org");
}

static void
test_garbage(void)
{
  const char *inputs[] = {"", "hello world\n", "\x01\x02\x03\xff\xfe", "\n\nbody", ": x\n\n"};
  for (gsize i = 0; i < G_N_ELEMENTS(inputs); i++) {
    g_autoptr(GError) error = NULL;
    g_autoptr(GMimeMessage) m = parse_str(inputs[i], NULL, &error);
    g_assert_null(m);
    g_assert_error(error, SM_ERROR, SM_ERROR_INVALID_INPUT);
  }
}

static void
test_header_limit(void)
{
  g_autoptr(GString) s = g_string_new("From: a@b.c\n");
  for (int i = 0; i < 30000; i++)
    g_string_append(s, "Received: from x by y; Mon, 1 Jan 2024 00:00:00 +0000\n");
  g_string_append(s, "\nbody\n");
  g_autoptr(GError) error = NULL;
  g_autoptr(GMimeMessage) m = parse_str(s->str, NULL, &error);
  g_assert_null(m);
  g_assert_error(error, SM_ERROR, SM_ERROR_LIMIT);
}

static gboolean
count_part(GMimeObject *part, const char *id, guint depth, gpointer data)
{
  (*(guint *)data)++;
  return TRUE;
}

static void
test_deep_nesting(void)
{
  g_autoptr(GString) s = g_string_new("From: a@b.c\nMIME-Version: 1.0\n");
  for (int i = 0; i < 1000; i++)
    g_string_append_printf(s, "Content-Type: multipart/mixed; boundary=\"b%d\"\n\n--b%d\n", i, i);
  g_string_append(s, "Content-Type: text/plain\n\nx\n");
  g_autoptr(GError) error = NULL;
  g_autoptr(GMimeMessage) m = parse_str(s->str, NULL, &error);
  if (m == NULL) {
    g_assert_error(error, SM_ERROR, SM_ERROR_LIMIT);
    return;
  }
  guint n = 0;
  g_assert_false(sm_message_walk(m->mime_part, NULL, count_part, &n, &error));
  g_assert_error(error, SM_ERROR, SM_ERROR_LIMIT);
}

/* Nesting is refused before GMime parses it (linear pre-scan), whether by multiparts or by
 * forwarded messages; many siblings at a shallow depth are fine. */
static void
test_nesting_prescan(void)
{
  g_autoptr(GString) rfc822 = g_string_new("From: a@b.c\nMIME-Version: 1.0\n");
  for (int i = 0; i < 100000; i++)
    g_string_append(rfc822, "Content-Type: message/rfc822\n\nFrom: b@c.d\n");
  g_string_append(rfc822, "\nx\n");
  g_autoptr(GError) error = NULL;
  g_autoptr(GMimeMessage) m = parse_str(rfc822->str, NULL, &error);
  g_assert_null(m);
  g_assert_error(error, SM_ERROR, SM_ERROR_LIMIT);

  g_autoptr(GString) wide = g_string_new("From: a@b.c\nContent-Type: multipart/mixed; boundary=o\n\n");
  for (int i = 0; i < 500; i++)
    g_string_append_printf(wide, "--o\nContent-Type: multipart/alternative;\n boundary=\"i%d\"\n\n"
                           "--i%d\nContent-Type: text/plain\n\nx\n--i%d--\n", i, i, i);
  g_string_append(wide, "--o--\n");
  g_clear_error(&error);
  g_autoptr(GMimeMessage) ok = parse_str(wide->str, NULL, &error);
  g_assert_no_error(error);
  g_assert_cmpint(g_mime_multipart_get_count(GMIME_MULTIPART(ok->mime_part)), ==, 500);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  sm_message_init();
  g_test_add_func("/message/plain", test_plain);
  g_test_add_func("/message/garbage", test_garbage);
  g_test_add_func("/message/header-limit", test_header_limit);
  g_test_add_func("/message/deep-nesting", test_deep_nesting);
  g_test_add_func("/message/nesting-prescan", test_nesting_prescan);
  return g_test_run();
}
