/* Microsoft Presidio's analyzer test strings (tests/data/pii/presidio_vectors.tsv, MIT) run
 * through sealmail's detectors.
 *
 * Every row of an entity we detect is asserted: the number of findings of the mapped type and
 * their matched text, or, for rows that only exercise Presidio's checksum function, our
 * validator on the whole string. Rows we deliberately treat differently are listed in
 * `differences` below with the reason; a listed row that starts to agree with Presidio fails
 * too, so the list stays true. */
#include "sm-scan-private.h"
#include "sm-message.h"

#include <string.h>

typedef struct
{
  const char *presidio;
  SmScanType type;
} EntityMap;

static const EntityMap entity_map[] = {
  { "US_SSN", SM_SCAN_US_SSN },
  { "US_ITIN", SM_SCAN_US_ITIN },
  { "CREDIT_CARD", SM_SCAN_CREDIT_CARD },
  { "IBAN_CODE", SM_SCAN_IBAN },
  { "ABA_ROUTING_NUMBER", SM_SCAN_US_ABA_ROUTING },
  { "US_BANK_NUMBER", SM_SCAN_US_BANK_ACCOUNT },
  { "US_PASSPORT", SM_SCAN_US_PASSPORT },
  { "US_DRIVER_LICENSE", SM_SCAN_US_DRIVER_LICENSE },
  { "SE_PERSONNUMMER", SM_SCAN_SE_PERSONNUMMER },
  { "DE_TAX_ID", SM_SCAN_DE_TAX_ID },
  { "UK_NINO", SM_SCAN_UK_NINO },
  { "EMAIL_ADDRESS", SM_SCAN_EMAIL },
};

typedef struct
{
  const char *entity;
  const char *text;
  const char *reason;
} Difference;

/* Rows where sealmail deliberately disagrees with Presidio. */
static const Difference differences[] = {
  { "ABA_ROUTING_NUMBER", "121000358",
    "a bare 9-digit number passes 3-7-1 one time in ten: routing numbers need context (routing, "
    "ABA)" },
  { "ABA_ROUTING_NUMBER", "3222-7162-7",
    "a bare 9-digit number passes 3-7-1 one time in ten: routing numbers need context (routing, "
    "ABA)" },
  { "ABA_ROUTING_NUMBER", "121042882",
    "a bare 9-digit number passes 3-7-1 one time in ten: routing numbers need context (routing, "
    "ABA)" },
  { "ABA_ROUTING_NUMBER", "0711-0130-7",
    "a bare 9-digit number passes 3-7-1 one time in ten: routing numbers need context (routing, "
    "ABA)" },
  { "DE_TAX_ID", "12345678903",
    "synthetic number: the BZSt rule wants exactly one digit twice or three times in the first "
    "ten; Presidio checks only the check digit" },
  { "DE_TAX_ID", "98765432106",
    "synthetic number: the BZSt rule wants exactly one digit twice or three times in the first "
    "ten; Presidio checks only the check digit" },
  { "DE_TAX_ID", "Meine Steuer-ID: 12345678903.",
    "synthetic number: the BZSt rule wants exactly one digit twice or three times in the first "
    "ten; Presidio checks only the check digit" },
  { "DE_TAX_ID", "IdNr. 98765432106 liegt vor.",
    "synthetic number: the BZSt rule wants exactly one digit twice or three times in the first "
    "ten; Presidio checks only the check digit" },
  { "SE_PERSONNUMMER", "189004119807",
    "bare 10/12 digits need context (date + Luhn pass too often by chance) or are glued to "
    "letters" },
  { "SE_PERSONNUMMER", "191005059801",
    "bare 10/12 digits need context (date + Luhn pass too often by chance) or are glued to "
    "letters" },
  { "SE_PERSONNUMMER", "198712202384",
    "bare 10/12 digits need context (date + Luhn pass too often by chance) or are glued to "
    "letters" },
  { "SE_PERSONNUMMER", "199201232387",
    "bare 10/12 digits need context (date + Luhn pass too often by chance) or are glued to "
    "letters" },
  { "SE_PERSONNUMMER", "9201232387",
    "bare 10/12 digits need context (date + Luhn pass too often by chance) or are glued to "
    "letters" },
  { "SE_PERSONNUMMER", "201109252385",
    "bare 10/12 digits need context (date + Luhn pass too often by chance) or are glued to "
    "letters" },
  { "SE_PERSONNUMMER", "My swedish id code is199003052397.",
    "bare 10/12 digits need context (date + Luhn pass too often by chance) or are glued to "
    "letters" },
  { "UK_NINO", "hh 01 02 03 d",
    "lower-case letter-digit strings are product and reference codes more often than NINOs; HMRC "
    "prints them upper-case" },
  { "UK_NINO", "tw987654a",
    "lower-case letter-digit strings are product and reference codes more often than NINOs; HMRC "
    "prints them upper-case" },
  { "US_BANK_NUMBER", "945456787654",
    "bank account numbers have no check digit: context required" },
  { "US_DRIVER_LICENSE", "H12234567", "licence numbers have no check digit: context required" },
  { "US_DRIVER_LICENSE", "123456789 1234567890 12345679012 123456790123 1234567901234 1234",
    "licence numbers have no check digit: context required" },
  { "US_ITIN", "911-701234 91170-1234",
    "only the 3-2-4 layout, or bare 9 digits with context, is taken for an ITIN" },
  { "US_ITIN", "911701234",
    "only the 3-2-4 layout, or bare 9 digits with context, is taken for an ITIN" },
  { "US_PASSPORT", "912803456", "passport numbers have no check digit: context required" },
  { "US_PASSPORT", "Z12803456", "passport numbers have no check digit: context required" },
  { "US_PASSPORT", "A12803456", "passport numbers have no check digit: context required" },
  { "US_SSN", "078-051121 07805-1121",
    "only 3-2-4 layouts, or bare 9 digits with context, are SSNs; Presidio scores these 0-0.4" },
  { "US_SSN", "078051121",
    "only 3-2-4 layouts, or bare 9 digits with context, are SSNs; Presidio scores these 0-0.4" },
  { "US_SSN", "my ssn is 078-051121",
    "only 3-2-4 layouts, or bare 9 digits with context, are SSNs; Presidio scores these 0-0.4" },
  { "US_ITIN", "my taxpayer id is 911-701234 91170-1234",
    "only the 3-2-4 layout, or bare 9 digits with context, is taken for an ITIN" },
  { NULL, NULL, NULL },
};

static const Difference *
find_difference(const char *entity, const char *text)
{
  for (gsize i = 0; differences[i].entity != NULL; i++)
    if (strcmp(differences[i].entity, entity) == 0 && strcmp(differences[i].text, text) == 0)
      return &differences[i];
  return NULL;
}

static gboolean
validator_only(SmScanType type, const char *text)
{
  gsize n = strlen(text);
  switch (type)
    {
      case SM_SCAN_DE_TAX_ID:
        return n == 11 && sm_scan_de_tax_id_valid(text);
      case SM_SCAN_US_ABA_ROUTING:
        return n == 9 && sm_scan_aba_valid(text);
      case SM_SCAN_IBAN:
        return sm_scan_iban_valid(text, n);
      case SM_SCAN_CREDIT_CARD:
        return sm_scan_card_network(text, n) != NULL;
      case SM_SCAN_SE_PERSONNUMMER:
        return sm_scan_personnummer_valid(text, n);
      default:
        return FALSE;
    }
}

/* Matched texts of @type in @text, '|'-joined like the TSV's expected_span_texts. */
static char *
spans(const char *text, SmScanType type, guint *count)
{
  g_autoptr(SmScanReport) r = sm_scan_text(text, strlen(text), NULL, NULL);
  g_autoptr(GString) s = g_string_new(NULL);
  *count = 0;
  for (guint i = 0; i < r->findings->len; i++)
    {
      const SmScanFinding *f = g_ptr_array_index(r->findings, i);
      if (f->type != type)
        continue;
      if ((*count)++ > 0)
        g_string_append_c(s, '|');
      g_string_append_len(s, text + f->start, (gssize)(f->end - f->start));
    }
  return g_string_free(g_steal_pointer(&s), FALSE);
}

static void
test_presidio(void)
{
  g_autofree char *path
      = g_test_build_filename(G_TEST_DIST, "data", "pii", "presidio_vectors.tsv", NULL);
  g_autofree char *data = NULL;
  g_autoptr(GError) error = NULL;
  g_assert_true(g_file_get_contents(path, &data, NULL, &error));
  g_auto(GStrv) lines = g_strsplit(data, "\n", -1);
  guint asserted = 0, agreed_diff = 0, differ = 0, failures = 0;
  for (gsize i = 1; lines[i] != NULL; i++)
    {
      g_auto(GStrv) col = g_strsplit(lines[i], "\t", 6);
      if (g_strv_length(col) < 6)
        continue;
      const EntityMap *m = NULL;
      for (gsize k = 0; k < G_N_ELEMENTS(entity_map) && m == NULL; k++)
        if (strcmp(col[0], entity_map[k].presidio) == 0)
          m = &entity_map[k];
      if (m == NULL)
        continue;
      guint expected = (guint)atoi(col[2]);
      gboolean agree;
      g_autofree char *got = NULL;
      guint count = 0;
      if (strstr(col[5], "validate_result-only") != NULL)
        {
          agree = validator_only(m->type, col[1]) == (expected > 0);
        }
      else
        {
          got = spans(col[1], m->type, &count);
          agree = count == expected
                  && (expected == 0 || strcmp(got, g_strstrip(col[3])) == 0
                      || strcmp(got, col[3]) == 0);
        }
      const Difference *d = find_difference(col[0], col[1]);
      if (d != NULL)
        {
          differ++;
          if (agree)
            {
              agreed_diff++;
              g_test_message("listed as a difference but agrees: %s \"%s\"", col[0], col[1]);
            }
          continue;
        }
      asserted++;
      if (!agree)
        {
          failures++;
          g_test_message("DISAGREE %s \"%s\": expected %u [%s], got %u [%s]", col[0], col[1],
                         expected, col[3], count, got ? got : "validator");
        }
    }
  g_test_message("presidio rows asserted: %u, deliberate differences: %u", asserted, differ);
  g_assert_cmpuint(failures, ==, 0);
  g_assert_cmpuint(agreed_diff, ==, 0);
  g_assert_cmpuint(asserted, >, 400);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  sm_message_init();
  g_test_add_func("/scan/presidio", test_presidio);
  return g_test_run();
}
