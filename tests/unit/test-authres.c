/* Unit tests of sm-authres: RFC 8601 section 5 and appendix B examples, RFC 8617 ARC, and the
 * deviations of real servers (no authserv-id, trailing ';', space after '='). */
#include "sm-authres.h"

#include <string.h>

static SmAuthres *
parse(const char *s, gboolean arc)
{
  return sm_authres_parse(s, strlen(s), arc, NULL);
}

static const SmAuthresResult *
result_at(const SmAuthres *a, guint i)
{
  g_assert_cmpuint(i, <, a->results->len);
  return a->results->pdata[i];
}

static void
test_rfc8601_examples(void)
{
  /* RFC 8601 appendix B.2: nothing done */
  g_autoptr(SmAuthres) none = parse(" example.org 1; none", FALSE);
  g_assert_cmpstr(none->authserv_id, ==, "example.org");
  g_assert_cmpuint(none->version, ==, 1);
  g_assert_true(none->none);
  g_assert_cmpuint(none->results->len, ==, 0);

  /* B.4: SMTP AUTH and SPF, with comments and a quoted local-part */
  g_autoptr(SmAuthres) a = parse(" example.com;\r\n"
                                 "          auth=pass (cram-md5) smtp.auth=sender@example.net;\r\n"
                                 "          spf=pass smtp.mailfrom=example.net",
                                 FALSE);
  g_assert_cmpstr(a->authserv_id, ==, "example.com");
  g_assert_cmpuint(a->results->len, ==, 2);
  g_assert_cmpstr(result_at(a, 0)->method, ==, "auth");
  g_assert_cmpstr(result_at(a, 0)->result, ==, "pass");
  g_assert_cmpstr(result_at(a, 0)->comment, ==, "cram-md5");
  g_assert_cmpstr(sm_authres_result_property(result_at(a, 0), "smtp.auth"), ==,
                  "sender@example.net");
  g_assert_cmpstr(result_at(a, 1)->method, ==, "spf");
  g_assert_cmpstr(sm_authres_result_property(result_at(a, 1), "smtp.mailfrom"), ==, "example.net");

  /* B.6: several DKIM results, a reason, header.i with '@' */
  g_autoptr(SmAuthres) d = parse(" mail-router.example.net;\r\n"
                                 "   dkim=pass (good signature) header.d=newyork.example.com\r\n"
                                 "         header.b=oINEO8hg;\r\n"
                                 "   dkim=fail (bad signature) header.d=newyork.example.net\r\n"
                                 "         header.b=EToRSuvU reason=\"body hash mismatch\"",
                                 FALSE);
  g_assert_cmpuint(d->results->len, ==, 2);
  g_assert_cmpstr(result_at(d, 1)->result, ==, "fail");
  g_assert_cmpstr(result_at(d, 1)->reason, ==, "body hash mismatch");
  g_assert_cmpstr(sm_authres_result_property(result_at(d, 0), "header.d"), ==,
                  "newyork.example.com");
  g_assert_null(sm_authres_result_property(result_at(d, 0), "header.s"));
}

static void
test_arc(void)
{
  g_autoptr(SmAuthres) a = parse(
      " i=1; mx.microsoft.com 1; spf=none; dmarc=none action=none\r\n header.from=microsoft.com; "
      "dkim=none (message not signed); arc=none",
      TRUE);
  g_assert_true(a->arc);
  g_assert_cmpint(a->instance, ==, 1);
  g_assert_cmpstr(a->authserv_id, ==, "mx.microsoft.com");
  g_assert_cmpuint(a->version, ==, 1);
  g_assert_cmpuint(a->results->len, ==, 4);
  g_assert_cmpstr(sm_authres_result_property(result_at(a, 1), "action"), ==, "none");
  g_assert_cmpstr(result_at(a, 2)->comment, ==, "message not signed");
  g_assert_cmpstr(result_at(a, 3)->method, ==, "arc");
}

static void
test_real_deviations(void)
{
  /* Exchange Online: no authserv-id, no spaces around ';', trailing ';' */
  g_autoptr(SmAuthres) ms
      = parse(" spf=none (sender IP is 185.132.181.12)\r\n smtp.helo=a.example; "
              "dkim=none (message not signed)\r\n header.d=none;dmarc=fail "
              "action=none header.from=b.example;compauth=softpass reason=202;",
              FALSE);
  g_assert_null(ms->authserv_id);
  g_assert_cmpuint(ms->results->len, ==, 4);
  g_assert_cmpstr(result_at(ms, 0)->method, ==, "spf");
  g_assert_cmpstr(result_at(ms, 3)->reason, ==, "202");

  /* a comment after the authserv-id, and "key= value" */
  g_autoptr(SmAuthres) c = parse(" ietfa.amsl.com (amavisd-new); dkim=pass (2048-bit key)\r\n"
                                 " header.d=example.com header.b=\"BegZuiNO\"; bimi=pass "
                                 "policy.authority-uri= https://x.example/a.pem",
                                 FALSE);
  g_assert_cmpstr(c->authserv_id, ==, "ietfa.amsl.com");
  g_assert_cmpstr(sm_authres_result_property(result_at(c, 0), "header.b"), ==, "BegZuiNO");
  g_assert_cmpstr(sm_authres_result_property(result_at(c, 1), "policy.authority-uri"), ==,
                  "https://x.example/a.pem");

  /* method versions and upper case are normalised */
  g_autoptr(SmAuthres) v = parse("x.example; DKIM/1=PASS header.d=a.example", FALSE);
  g_assert_cmpstr(result_at(v, 0)->method, ==, "dkim");
  g_assert_cmpstr(result_at(v, 0)->result, ==, "pass");
}

static void
test_limits_and_garbage(void)
{
  g_autoptr(GString) s = g_string_new("x.example");
  for (int i = 0; i < 1000; i++)
    g_string_append_printf(s, "; dkim=pass header.d=d%d.example", i);
  g_autoptr(SmAuthres) a = sm_authres_parse(s->str, s->len, FALSE, NULL);
  g_assert_cmpuint(a->results->len, ==, 64);
  g_assert_cmpuint(a->dropped, ==, 1000 - 64);

  g_autoptr(GString) big = g_string_new("x.example; spf=pass ");
  while (big->len <= 65536)
    g_string_append(big, "(comment) ");
  g_autoptr(SmAuthres) b = sm_authres_parse(big->str, big->len, FALSE, NULL);
  g_assert_true(b->too_long);
  g_assert_cmpuint(b->results->len, ==, 0);

  const char *garbage[] = { "", ";;;;", "= = =", "(((", "\"", "a; =b; c=; =", "i=; i=x" };
  for (gsize i = 0; i < G_N_ELEMENTS(garbage); i++)
    {
      g_autoptr(SmAuthres) g = parse(garbage[i], i % 2 == 0);
      g_assert_nonnull(g);
      for (guint j = 0; j < g->results->len; j++)
        g_assert_nonnull(result_at(g, j)->method);
    }
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/authres/rfc8601-examples", test_rfc8601_examples);
  g_test_add_func("/authres/arc", test_arc);
  g_test_add_func("/authres/real-deviations", test_real_deviations);
  g_test_add_func("/authres/limits-and-garbage", test_limits_and_garbage);
  return g_test_run();
}
