/* Unit tests of sm-smtp-parse: commands, paths, parameters, replies and enhanced codes
 * (RFC 5321 §4.1, RFC 3463), including the inputs a hostile client sends. */
#include "sm-smtp-parse.h"
#include "sm-smtp-sasl.h"

#include <string.h>

static SmSmtpParseResult
parse(const char *line, SmSmtpCommand *cmd, const char **why)
{
  return sm_smtp_parse_command(line, strlen(line), cmd, why);
}

static void
test_verbs(void)
{
  const struct
  {
    const char *line;
    SmSmtpVerb verb;
    SmSmtpParseResult res;
  } cases[] = {
    { "EHLO client.example", SM_SMTP_VERB_EHLO, SM_SMTP_PARSE_OK },
    { "ehlo [127.0.0.1]", SM_SMTP_VERB_EHLO, SM_SMTP_PARSE_OK },
    { "HELO x", SM_SMTP_VERB_HELO, SM_SMTP_PARSE_OK },
    { "EHLO", SM_SMTP_VERB_EHLO, SM_SMTP_PARSE_SYNTAX },
    { "DATA", SM_SMTP_VERB_DATA, SM_SMTP_PARSE_OK },
    { "DATA x", SM_SMTP_VERB_DATA, SM_SMTP_PARSE_SYNTAX },
    { "QUIT ", SM_SMTP_VERB_QUIT, SM_SMTP_PARSE_OK },
    { "NOOP anything", SM_SMTP_VERB_NOOP, SM_SMTP_PARSE_OK },
    { "STARTTLS", SM_SMTP_VERB_STARTTLS, SM_SMTP_PARSE_OK },
    { "FOO bar", SM_SMTP_VERB_UNKNOWN, SM_SMTP_PARSE_UNKNOWN },
    { "", SM_SMTP_VERB_UNKNOWN, SM_SMTP_PARSE_UNKNOWN },
    { "MAILFROM:<a@b>", SM_SMTP_VERB_UNKNOWN, SM_SMTP_PARSE_UNKNOWN },
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++)
    {
      SmSmtpCommand cmd;
      const char *why = NULL;
      SmSmtpParseResult res = parse(cases[i].line, &cmd, &why);
      g_assert_cmpint(res, ==, cases[i].res);
      if (res != SM_SMTP_PARSE_UNKNOWN)
        g_assert_cmpint(cmd.verb, ==, cases[i].verb);
      if (res == SM_SMTP_PARSE_SYNTAX)
        g_assert_nonnull(why);
      sm_smtp_command_clear(&cmd);
    }
}

static void
test_mail_rcpt(void)
{
  SmSmtpCommand cmd;
  const char *why = NULL;

  g_assert_cmpint(
      parse("MAIL FROM:<alice@example.test> SIZE=1000 BODY=8BITMIME SMTPUTF8", &cmd, &why), ==,
      SM_SMTP_PARSE_OK);
  g_assert_cmpstr(cmd.path, ==, "alice@example.test");
  g_assert_cmpuint(cmd.params->len, ==, 3);
  g_assert_cmpstr(sm_smtp_command_param(&cmd, "size")->value, ==, "1000");
  g_assert_cmpstr(sm_smtp_command_param(&cmd, "BODY")->value, ==, "8BITMIME");
  g_assert_null(sm_smtp_command_param(&cmd, "SMTPUTF8")->value);
  sm_smtp_command_clear(&cmd);

  /* null reverse-path, lower case, space after the colon (common client quirks) */
  g_assert_cmpint(parse("mail from: <>", &cmd, &why), ==, SM_SMTP_PARSE_OK);
  g_assert_cmpstr(cmd.path, ==, "");
  sm_smtp_command_clear(&cmd);

  /* a source route is dropped; a quoted local part may hold '>' and spaces */
  g_assert_cmpint(parse("RCPT TO:<@relay.example:bob@example.test>", &cmd, &why), ==,
                  SM_SMTP_PARSE_OK);
  g_assert_cmpstr(cmd.path, ==, "bob@example.test");
  sm_smtp_command_clear(&cmd);
  g_assert_cmpint(parse("RCPT TO:<\"odd > name\"@example.test>", &cmd, &why), ==, SM_SMTP_PARSE_OK);
  g_assert_cmpstr(cmd.path, ==, "\"odd > name\"@example.test");
  g_assert_true(sm_smtp_address_is_valid(cmd.path, FALSE));
  sm_smtp_command_clear(&cmd);

  const char *bad[] = {
    "MAIL FROM:alice@example.test",  /* no brackets */
    "MAIL FROM:<alice@example.test", /* unterminated */
    "MAIL TO:<alice@example.test>",  /* wrong keyword */
    "RCPT TO:<a b@example.test>",    /* space in path */
    "MAIL FROM:<a@b>SIZE=1",         /* no space before parameters */
    "MAIL FROM:<a@b> =1",            /* empty keyword */
    "MAIL FROM:<a@b> SIZE=",         /* empty value */
    "MAIL FROM:<a@b> SIZE=1=2",      /* '=' in value */
    "MAIL FROM:<a@b> SIZE=\x01",     /* control character */
    "RCPT TO:<a@b>\r",               /* CR inside a command */
  };
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++)
    {
      g_assert_cmpint(parse(bad[i], &cmd, &why), ==, SM_SMTP_PARSE_SYNTAX);
      g_assert_nonnull(why);
      sm_smtp_command_clear(&cmd);
    }

  /* a path longer than 256 octets */
  g_autofree char *local = g_strnfill(300, 'a');
  g_autofree char *line = g_strdup_printf("RCPT TO:<%s@example.test>", local);
  g_assert_cmpint(parse(line, &cmd, &why), ==, SM_SMTP_PARSE_SYNTAX);
  sm_smtp_command_clear(&cmd);
}

static void
test_addresses(void)
{
  g_assert_true(sm_smtp_address_is_valid("alice@example.test", FALSE));
  g_assert_true(sm_smtp_address_is_valid("a.b+tag@sub.example-x.test", FALSE));
  g_assert_true(sm_smtp_address_is_valid("root@[127.0.0.1]", FALSE));
  g_assert_false(sm_smtp_address_is_valid("alice", FALSE));
  g_assert_false(sm_smtp_address_is_valid("@example.test", FALSE));
  g_assert_false(sm_smtp_address_is_valid("a..b@example.test", FALSE));
  g_assert_false(sm_smtp_address_is_valid(".a@example.test", FALSE));
  g_assert_false(sm_smtp_address_is_valid("a@-example.test", FALSE));
  g_assert_false(sm_smtp_address_is_valid("a@example..test", FALSE));
  g_assert_false(sm_smtp_address_is_valid("a@exa_mple.test", FALSE));
  /* RFC 6531: non-ASCII only with SMTPUTF8, and only valid UTF-8 */
  g_assert_false(sm_smtp_address_is_valid("jos\xc3\xa9@example.test", FALSE));
  g_assert_true(sm_smtp_address_is_valid("jos\xc3\xa9@example.test", TRUE));
  g_assert_true(sm_smtp_address_is_valid("\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b.test", TRUE));
  g_assert_false(sm_smtp_address_is_valid("jos\xc3@example.test", TRUE));
}

static void
test_auth(void)
{
  SmSmtpCommand cmd;
  const char *why = NULL;
  g_assert_cmpint(parse("AUTH plain AGFsaWNlAHNlY3JldA==", &cmd, &why), ==, SM_SMTP_PARSE_OK);
  g_assert_cmpstr(cmd.arg, ==, "PLAIN");
  g_autofree char *authzid = NULL, *user = NULL, *password = NULL;
  g_assert_true(sm_smtp_sasl_decode_plain(cmd.initial, &authzid, &user, &password));
  g_assert_null(authzid);
  g_assert_cmpstr(user, ==, "alice");
  g_assert_cmpstr(password, ==, "secret");
  sm_smtp_command_clear(&cmd);

  g_autofree char *b64 = sm_smtp_sasl_encode_plain("admin", "alice", "secret");
  g_autofree char *z = NULL, *u = NULL, *p = NULL;
  g_assert_true(sm_smtp_sasl_decode_plain(b64, &z, &u, &p));
  g_assert_cmpstr(z, ==, "admin");
  g_assert_cmpstr(u, ==, "alice");
  g_assert_cmpstr(p, ==, "secret");

  g_assert_cmpint(parse("AUTH LOGIN", &cmd, &why), ==, SM_SMTP_PARSE_OK);
  g_assert_null(cmd.initial);
  sm_smtp_command_clear(&cmd);
  g_assert_cmpint(parse("AUTH PLAIN not*base64", &cmd, &why), ==, SM_SMTP_PARSE_SYNTAX);
  sm_smtp_command_clear(&cmd);

  char *t = sm_smtp_sasl_decode_text("YWxpY2U=");
  g_assert_cmpstr(t, ==, "alice");
  sm_smtp_sasl_wipe(t);
  g_assert_null(sm_smtp_sasl_decode_text("YWxpY2U"));  /* not a multiple of 4 */
  g_assert_null(sm_smtp_sasl_decode_text("YW=pY2U=")); /* padding in the middle */
  g_assert_null(sm_smtp_sasl_decode_text("AGE="));     /* a NUL byte */
  g_autofree char *a = NULL, *b = NULL, *c = NULL;
  g_assert_false(sm_smtp_sasl_decode_plain("YWxpY2U=", &a, &b, &c)); /* no separators */
}

static void
test_replies(void)
{
  guint code = 0;
  gboolean more = FALSE;
  const char *text = NULL;
  gsize len = 0;
  g_assert_true(sm_smtp_parse_reply_line("250-PIPELINING", 14, &code, &more, &text, &len));
  g_assert_cmpuint(code, ==, 250);
  g_assert_true(more);
  g_assert_cmpint(strncmp(text, "PIPELINING", len), ==, 0);
  g_assert_true(sm_smtp_parse_reply_line("354", 3, &code, &more, &text, &len));
  g_assert_false(more);
  g_assert_cmpuint(len, ==, 0);
  g_assert_false(sm_smtp_parse_reply_line("25", 2, &code, &more, &text, &len));
  g_assert_false(sm_smtp_parse_reply_line("650 x", 5, &code, &more, &text, &len));
  g_assert_false(sm_smtp_parse_reply_line("250x", 4, &code, &more, &text, &len));

  g_assert_cmpuint(sm_smtp_parse_enhanced_code("5.7.1 Not sent", 14), ==, 5);
  g_assert_cmpuint(sm_smtp_parse_enhanced_code("4.4.1", 5), ==, 5);
  g_assert_cmpuint(sm_smtp_parse_enhanced_code("2.10.100 ok", 11), ==, 8);
  g_assert_cmpuint(sm_smtp_parse_enhanced_code("3.0.0 x", 7), ==, 0);
  g_assert_cmpuint(sm_smtp_parse_enhanced_code("5.7.1234 x", 10), ==, 0);
  g_assert_cmpuint(sm_smtp_parse_enhanced_code("5.7 x", 5), ==, 0);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/smtp-parse/verbs", test_verbs);
  g_test_add_func("/smtp-parse/mail-rcpt", test_mail_rcpt);
  g_test_add_func("/smtp-parse/addresses", test_addresses);
  g_test_add_func("/smtp-parse/auth", test_auth);
  g_test_add_func("/smtp-parse/replies", test_replies);
  return g_test_run();
}
