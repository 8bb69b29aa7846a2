/* Unit tests of the scan module's detectors, streaming, HTML text, policy and report
 * (sm-scan*.c): what is found, with which confidence and where; what must not be found. */
#include "sm-error.h"
#include "sm-message.h"
#include "sm-scan-private.h"

#include <string.h>

/* "TYPE/confidence" of each finding in order, joined by spaces. */
static char *
found(const char *text, const SmScanPolicy *policy)
{
  g_autoptr(SmScanReport) r = sm_scan_text(text, strlen(text), policy, NULL);
  g_autoptr(GString) s = g_string_new(NULL);
  for (guint i = 0; i < r->findings->len; i++)
    {
      const SmScanFinding *f = g_ptr_array_index(r->findings, i);
      g_autofree char *type = sm_scan_finding_type(f);
      g_string_append_printf(s, "%s%s/%s", s->len ? " " : "", type,
                             sm_scan_confidence_name(f->confidence));
    }
  return g_string_free(g_steal_pointer(&s), FALSE);
}

#define assert_found(text, expected)                                                               \
  do                                                                                               \
    {                                                                                              \
      g_autofree char *got_ = found(text, NULL);                                                   \
      g_assert_cmpstr(got_, ==, expected);                                                         \
    }                                                                                              \
  while (0)

static void
test_ssn(void)
{
  assert_found("SSN: 078-05-1121", "US_SSN/high");
  assert_found("ref 078-05-1121 ok", "US_SSN/medium");
  assert_found("my social security number is 078051121", "US_SSN/medium");
  assert_found("number 078051121", ""); /* bare nine digits need context */
  assert_found("SSN: 078-05-1120", ""); /* Woolworth wallet card */
  assert_found("SSN: 123-45-6789", ""); /* advertising */
  assert_found("SSN: 666-12-3456", "");
  assert_found("SSN: 078-05 1121", ""); /* mixed separators */
  assert_found("ITIN 912-70-1234", "US_ITIN/high");
  assert_found("ZIP+4 02139-4307", "");
}

static void
test_cards(void)
{
  assert_found("card 4111 1111 1111 1111", "CREDIT_CARD/high");
  assert_found("4111-1111-1111-1111", "CREDIT_CARD/high");
  assert_found("x 4111111111111111 y", "CREDIT_CARD/medium");
  assert_found("x 2221000000000009 y", "CREDIT_CARD/medium");
  assert_found("Amex 3782 822463 10005", "CREDIT_CARD/high");
  assert_found("x 4111\xc2\xa0"
               "1111\xc2\xa0"
               "1111\xc2\xa0"
               "1111",
               "CREDIT_CARD/high");
  /* full-width digits (U+FF14 U+FF11 ...) */
  assert_found("card \xef\xbc\x94\xef\xbc\x91\xef\xbc\x91\xef\xbc\x91 1111 1111 1111",
               "CREDIT_CARD/high");
  assert_found("order 4111 1111 1111 1112", ""); /* Luhn fails */
  assert_found("IMEI 490154203237518", "");      /* Luhn-valid IMEI */
  assert_found("ISBN 978-3-16-148410-0", "");
  assert_found("pi 3.141592653589793238", "");
  assert_found("tracking 1Z999AA10123456784", "");
  assert_found("4111 1111 1111 11111", ""); /* bad grouping */
}

static void
test_bank(void)
{
  assert_found("IBAN FR76 3000 6000 0112 3456 7890 189", "IBAN/high");
  assert_found("iban:DE89370400440532013000.", "IBAN/high");
  assert_found("IBAN FR76 3000 6000 0112 3456 7890 188", ""); /* checksum */
  assert_found("routing number 121000358", "US_ABA_ROUTING/high");
  assert_found("number 121000358", "");
  assert_found("account number: 12345678901", "US_BANK_ACCOUNT/medium");
  assert_found("Kontonummer 1234 5678 90", "US_BANK_ACCOUNT/medium");
  assert_found("invoice 12345678901", "");
}

static void
test_national_ids(void)
{
  assert_found("numéro de sécurité sociale 1 84 12 76 451 089 46", "FR_NIR/high");
  assert_found("ref 184127645108946", "FR_NIR/medium");
  assert_found("personnummer 811218-9876", "SE_PERSONNUMMER/high");
  assert_found("pnr 19811218-9876", "SE_PERSONNUMMER/high");
  assert_found("pnr 811218-9877", "");
  assert_found("身份证号码：11010519491231002X。", "CN_RESIDENT_ID/high");
  assert_found("Steuer-IdNr. 86 095 742 719", "DE_TAX_ID/high");
  assert_found("Steuer-ID 86095742719", "DE_TAX_ID/medium");
  assert_found("Artikel 86095742719", "");
  assert_found("NI number AB 12 34 56 C", "UK_NINO/high");
  assert_found("ref AB123456C", "UK_NINO/medium");
  assert_found("NI number QQ 12 34 56 C", "");
}

static void
test_context_only(void)
{
  assert_found("Passport number: 912803456", "US_PASSPORT/medium");
  assert_found("passport C03005988", "US_PASSPORT/medium");
  assert_found("Driver's license D1234567", "US_DRIVER_LICENSE/medium");
  assert_found("Date of birth: 12/03/1985", "DATE_OF_BIRTH/medium");
  assert_found("né le 31.12.1985", "DATE_OF_BIRTH/medium");
  assert_found("meeting on 12/03/1985", "");
  assert_found("Diagnosis: E11.9", "MEDICAL/medium");
  assert_found("room E11.9", "");
  assert_found("he was diagnosed last year", "MEDICAL/low");
  assert_found("write to jane.doe@example.org", "EMAIL/low");
  assert_found("call +1 617 555 0199", "PHONE/low");
  assert_found("call (617) 555-0199", "PHONE/low");
}

static void
test_person_with_id(void)
{
  g_autoptr(SmScanReport) r
      = sm_scan_text("Employee: John Smith\nSSN 078-05-1121\n", 36, NULL, NULL);
  g_assert_true(sm_scan_report_personal_information(r));
  g_assert_cmpuint(sm_scan_report_count(r, "PERSON_WITH_ID"), ==, 1);
  g_autoptr(SmScanReport) r2 = sm_scan_text("SSN 078-05-1121 on file\n", 24, NULL, NULL);
  g_assert_false(sm_scan_report_personal_information(r2));
  g_assert_true(sm_scan_report_triggers(r2));
  g_autofree char *d = sm_scan_report_describe(r2);
  g_assert_cmpstr(d, ==, "1 social security number");
  g_assert_null(strstr(d, "1121"));
}

/* The same SSN at every offset around the scanner's chunk boundary is found exactly once, at the
 * right offset and line. */
static void
test_streaming(void)
{
  for (gsize pad = 256 * 1024 - 220; pad < 256 * 1024 + 20; pad += 7)
    {
      g_autoptr(GString) s = g_string_new(NULL);
      for (gsize i = 0; i < pad; i++)
        g_string_append_c(s, i % 64 == 63 ? '\n' : 'a' + (char)(i % 26));
      gsize at = s->len + 5;
      g_string_append(s, " SSN 078-05-1121 ");
      for (gsize i = 0; i < 300000; i++)
        g_string_append_c(s, 'z');
      g_autoptr(SmScanReport) r = sm_scan_text(s->str, s->len, NULL, NULL);
      g_assert_cmpuint(r->findings->len, ==, 1);
      const SmScanFinding *f = g_ptr_array_index(r->findings, 0);
      g_assert_cmpuint(f->start, ==, at);
      g_assert_cmpuint(f->end, ==, at + 11);
      g_assert_cmpuint(f->line, ==, pad / 64 + 1);
    }
}

static void
test_html(void)
{
  const char *in = "<p>SSN&nbsp;<b>078</b>&#45;05&#x2D;1121</p><div style=\"display:none\">"
                   "card 4111&#8203;1111 1111 1111</div><blockquote>IBAN DE89 3704 0044 0532 "
                   "0130 00</blockquote>&amp;&bogus; &lt;x&gt;";
  g_autoptr(SmHtmlText) h = sm_html_text_new();
  g_autoptr(GString) out = g_string_new(NULL);
  /* byte by byte: the converter must not depend on how input is split */
  for (gsize i = 0; in[i] != '\0'; i++)
    sm_html_text_feed(h, in + i, 1, out);
  g_assert_cmpstr(out->str, ==,
                  "SSN\xc2\xa0"
                  "078-05-1121\ncard 41111111 1111 1111\n> IBAN DE89 3704 0044 "
                  "0532 0130 00\n&&bogus; <x>");
}

static void
test_message(void)
{
  const char *msg
      = "From: a@example.org\r\nSubject: SSN 078-05-1121\r\nMIME-Version: 1.0\r\n"
        "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
        "Content-Type: text/plain; charset=iso-8859-1\r\n"
        "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
        "Num=E9ro de carte : 4111=20=\r\n1111 1111 1111\r\n> old: 5555 5555 5555 4444\r\n"
        "--b\r\nContent-Type: text/html\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        "PHA+SUJBTiBHQjgyIFdFU1QgMTIzNCA1Njk4IDc2NTQgMzI8L3A+\r\n--b--\r\n";
  g_autoptr(GBytes) b = g_bytes_new_static(msg, strlen(msg));
  g_autoptr(GError) error = NULL;
  g_autoptr(GMimeMessage) m = sm_message_parse_bytes(b, NULL, &error);
  g_assert_no_error(error);
  g_autoptr(SmScanReport) r = sm_scan_message(m, NULL, NULL, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(r->findings->len, ==, 4);
  const SmScanFinding *f0 = g_ptr_array_index(r->findings, 0);
  g_assert_cmpstr(f0->part, ==, "0");
  g_assert_cmpuint(f0->type, ==, SM_SCAN_US_SSN);
  const SmScanFinding *f1 = g_ptr_array_index(r->findings, 1);
  g_assert_cmpstr(f1->part, ==, "1");
  g_assert_cmpuint(f1->type, ==, SM_SCAN_CREDIT_CARD);
  /* "Numéro de carte : " in UTF-8 is 19 bytes */
  g_assert_cmpuint(f1->start, ==, 19);
  g_assert_false(f1->quoted);
  const SmScanFinding *f2 = g_ptr_array_index(r->findings, 2);
  g_assert_true(f2->quoted);
  const SmScanFinding *f3 = g_ptr_array_index(r->findings, 3);
  g_assert_cmpstr(f3->part, ==, "2");
  g_assert_cmpuint(f3->type, ==, SM_SCAN_IBAN);
  g_assert_cmpuint(sm_scan_report_count(r, "CREDIT_CARD"), ==, 2);
}

static void
test_policy(void)
{
  g_autoptr(GKeyFile) kf = g_key_file_new();
  const char *conf = "[policy]\nscan-threshold = high\nscan-ignore = EMAIL\n"
                     "[pattern:PROJECT]\nkeywords = Project Falcon;Blue Heron\n"
                     "confidence = medium\nthreshold = 2\naction = warn\n"
                     "[pattern:EMPLOYEE_ID]\nregex = EMP-[0-9]{6}\nconfidence = high\n";
  g_assert_true(g_key_file_load_from_data(kf, conf, -1, 0, NULL));
  g_autoptr(GError) error = NULL;
  g_autoptr(SmScanPolicy) p = sm_scan_policy_new(kf, &error);
  g_assert_no_error(error);
  const char *text = "project falcon and EMP-123456, mail x@example.org; ref 078-05-1121";
  g_autoptr(SmScanReport) r = sm_scan_text(text, strlen(text), p, NULL);
  g_autofree char *got = found(text, p);
  g_assert_cmpstr(got, ==, "CUSTOM:PROJECT/medium CUSTOM:EMPLOYEE_ID/high US_SSN/medium");
  g_assert_true(sm_scan_report_triggers(r));
  g_auto(GStrv) types = sm_scan_report_types(r);
  g_assert_cmpuint(g_strv_length(types), ==, 1); /* threshold high: only EMPLOYEE_ID */
  g_assert_cmpstr(types[0], ==, "CUSTOM:EMPLOYEE_ID");
  g_assert_cmpuint(sm_scan_report_count(r, "CUSTOM:PROJECT"), ==, 0);

  /* threshold = 2: one keyword match does not count, two do */
  g_key_file_set_string(kf, "policy", "scan-threshold", "medium");
  g_autoptr(SmScanPolicy) pm = sm_scan_policy_new(kf, &error);
  g_assert_no_error(error);
  const char *once = "Project Falcon";
  const char *twice = "Project Falcon, then BLUE HERON";
  g_autoptr(SmScanReport) r1 = sm_scan_text(once, strlen(once), pm, NULL);
  g_autoptr(SmScanReport) r2 = sm_scan_text(twice, strlen(twice), pm, NULL);
  g_assert_false(sm_scan_report_triggers(r1));
  g_assert_true(sm_scan_report_triggers(r2));
  g_assert_cmpuint(sm_scan_report_count(r2, "CUSTOM:PROJECT"), ==, 2);

  g_autoptr(GKeyFile) bad = g_key_file_new();
  g_assert_true(g_key_file_load_from_data(bad, "[pattern:X]\nregex = ([a-\n", -1, 0, NULL));
  g_autoptr(SmScanPolicy) p2 = sm_scan_policy_new(bad, &error);
  g_assert_null(p2);
  g_assert_error(error, SM_ERROR, SM_ERROR_INVALID_INPUT);
}

static void
test_json(void)
{
  const char *text = "SSN 078-05-1121";
  g_autoptr(SmScanReport) r = sm_scan_text(text, strlen(text), NULL, NULL);
  g_autoptr(JsonNode) masked = sm_scan_report_to_json(r, FALSE);
  g_autoptr(JsonNode) raw = sm_scan_report_to_json(r, TRUE);
  g_autoptr(JsonGenerator) gen = json_generator_new();
  json_generator_set_root(gen, masked);
  g_autofree char *m = json_generator_to_data(gen, NULL);
  json_generator_set_root(gen, raw);
  g_autofree char *v = json_generator_to_data(gen, NULL);
  g_assert_null(strstr(m, "078-05"));
  g_assert_nonnull(strstr(m, "\"masked\":\"***-**-1121\""));
  g_assert_nonnull(strstr(m, "\"US_SSN\":1"));
  g_assert_nonnull(strstr(m, "\"personal_information_201cmr17\":false"));
  g_assert_nonnull(strstr(v, "\"value\":\"078-05-1121\""));
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  sm_message_init();
  g_test_add_func("/scan/ssn", test_ssn);
  g_test_add_func("/scan/cards", test_cards);
  g_test_add_func("/scan/bank", test_bank);
  g_test_add_func("/scan/national-ids", test_national_ids);
  g_test_add_func("/scan/context-only", test_context_only);
  g_test_add_func("/scan/person-with-id", test_person_with_id);
  g_test_add_func("/scan/streaming", test_streaming);
  g_test_add_func("/scan/html", test_html);
  g_test_add_func("/scan/message", test_message);
  g_test_add_func("/scan/policy", test_policy);
  g_test_add_func("/scan/json", test_json);
  return g_test_run();
}
