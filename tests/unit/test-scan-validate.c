/* Unit tests of the scan validators (sm-scan-validate.c): one test per check-digit scheme,
 * with the published examples, their one-digit-off twins and the known traps (IMEIs, ISBNs,
 * advertising SSNs, Mastercard 2-series, 13-19 digit cards). */
#include "sm-scan-private.h"

#include <string.h>

static gboolean
card(const char *digits)
{
  return sm_scan_card_network(digits, strlen(digits)) != NULL;
}

static void
test_luhn(void)
{
  g_assert_true(sm_scan_luhn_valid("4111111111111111", 16));
  g_assert_false(sm_scan_luhn_valid("4111111111111112", 16));
  g_assert_true(sm_scan_luhn_valid("79927398713", 11));
  g_assert_false(sm_scan_luhn_valid("79927398710", 11));
  g_assert_false(sm_scan_luhn_valid("", 0));
  g_assert_false(sm_scan_luhn_valid("4111a11111111111", 16));
}

static void
test_cards(void)
{
  /* networks' published test numbers */
  g_assert_cmpstr(sm_scan_card_network("4111111111111111", 16), ==, "visa");
  g_assert_cmpstr(sm_scan_card_network("4222222222222", 13), ==, "visa");
  g_assert_cmpstr(sm_scan_card_network("4000000000000000006", 19), ==, "visa");
  g_assert_cmpstr(sm_scan_card_network("5555555555554444", 16), ==, "mastercard");
  g_assert_cmpstr(sm_scan_card_network("2221000000000009", 16), ==, "mastercard");
  g_assert_cmpstr(sm_scan_card_network("2720999999999996", 16), ==, "mastercard");
  g_assert_cmpstr(sm_scan_card_network("378282246310005", 15), ==, "amex");
  g_assert_cmpstr(sm_scan_card_network("6011111111111117", 16), ==, "discover");
  g_assert_cmpstr(sm_scan_card_network("3530111333300000", 16), ==, "jcb");
  g_assert_cmpstr(sm_scan_card_network("30569309025904", 14), ==, "diners");
  g_assert_cmpstr(sm_scan_card_network("38520000023237", 14), ==, "diners");
  g_assert_cmpstr(sm_scan_card_network("6200000000000005", 16), ==, "unionpay");
  g_assert_cmpstr(sm_scan_card_network("620000000000000005", 18), ==, "unionpay");
  g_assert_cmpstr(sm_scan_card_network("6759649826438453", 16), ==, "maestro");
  /* Luhn-valid but not a card */
  g_assert_false(card("490154203237518"));      /* IMEI */
  g_assert_false(card("356938035643809"));      /* IMEI */
  g_assert_false(card("2720999999999997"));     /* Luhn fails */
  g_assert_false(card("2721000000000008"));     /* just past the 2-series */
  g_assert_false(card("9783161484100"));        /* ISBN-13 */
  g_assert_false(card("411111111111"));         /* 12 digits */
  g_assert_false(card("41111111111111111111")); /* 20 digits */
  g_assert_false(card("0000000000000000"));
}

static void
test_iban(void)
{
  const char *good[]
      = { "GB82WEST12345698765432",   "DE89370400440532013000", "FR7630006000011234567890189",
          "SE4550000000058398257466", "NO9386011117947",        "CH9300762011623852957" };
  for (gsize i = 0; i < G_N_ELEMENTS(good); i++)
    g_assert_true(sm_scan_iban_valid(good[i], strlen(good[i])));
  const char *bad[] = { "GB82WEST12345698765433",      /* checksum */
                        "FR7630006000011234567890188", /* checksum */
                        "DE8937040044053201300",       /* length */
                        "GB82W3ST12345698765432",      /* BBAN format: bank code is letters */
                        "XX82WEST12345698765432",      /* no such country */
                        "gb82WEST12345698765432" };
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++)
    g_assert_false(sm_scan_iban_valid(bad[i], strlen(bad[i])));
  g_assert_cmpuint(sm_scan_iban_length("FR"), ==, 27);
  g_assert_cmpuint(sm_scan_iban_length("US"), ==, 0);
}

static void
test_aba(void)
{
  g_assert_true(sm_scan_aba_valid("121000358"));
  g_assert_true(sm_scan_aba_valid("021000021"));
  g_assert_true(sm_scan_aba_valid("322271627"));
  g_assert_false(sm_scan_aba_valid("121000359"));
  g_assert_false(sm_scan_aba_valid("000000000"));
  g_assert_false(sm_scan_aba_valid("421000352")); /* 42: no Federal Reserve district */
}

static void
test_ssn(void)
{
  g_assert_true(sm_scan_ssn_valid("536225232"));
  g_assert_true(sm_scan_ssn_valid("078051121"));
  const char *bad[]
      = { "078051120", "123456789", "219099999", "987654320", "987654329", "000123456",
          "666123456", "900123456", "123004567", "123450000", "111111111", "12345678" };
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++)
    g_assert_false(sm_scan_ssn_valid(bad[i]));
}

static void
test_itin(void)
{
  g_assert_true(sm_scan_itin_valid("912701234"));
  g_assert_true(sm_scan_itin_valid("999881234"));
  g_assert_true(sm_scan_itin_valid("900501234"));
  g_assert_false(sm_scan_itin_valid("912931234")); /* group 93 is not an ITIN group */
  g_assert_false(sm_scan_itin_valid("912661234"));
  g_assert_false(sm_scan_itin_valid("812701234"));
  g_assert_false(sm_scan_itin_valid("987654321")); /* advertising range */
}

static void
test_nir(void)
{
  g_assert_true(sm_scan_nir_valid("184127645108946", 15));
  g_assert_true(sm_scan_nir_valid("269054958815780", 15));
  g_assert_true(sm_scan_nir_valid("269052A12345688", 15)); /* Corsica, 2A counts as 19 */
  g_assert_false(sm_scan_nir_valid("184127645108947", 15));
  g_assert_false(sm_scan_nir_valid("584127645108946", 15)); /* sex digit */
  g_assert_false(sm_scan_nir_valid("18412764510894", 14));
}

static void
test_personnummer(void)
{
  g_assert_true(sm_scan_personnummer_valid("8112189876", 10));
  g_assert_true(sm_scan_personnummer_valid("198112189876", 12));
  g_assert_true(sm_scan_personnummer_valid("7010632391", 10)); /* samordningsnummer */
  g_assert_false(sm_scan_personnummer_valid("8112189877", 10));
  g_assert_false(sm_scan_personnummer_valid("8113189876", 10));   /* month 13 */
  g_assert_false(sm_scan_personnummer_valid("178112189876", 12)); /* century */
}

static void
test_cn_id(void)
{
  g_assert_true(sm_scan_cn_id_valid("11010519491231002X"));
  g_assert_true(sm_scan_cn_id_valid("11010519491231002x"));
  g_assert_true(sm_scan_cn_id_valid("310115198801015675"));
  g_assert_false(sm_scan_cn_id_valid("110105194912310021"));
  g_assert_false(sm_scan_cn_id_valid("99010519491231002X")); /* province 99 */
  g_assert_false(sm_scan_cn_id_valid("11010519491331002X")); /* month 13 */
}

static void
test_de_tax(void)
{
  g_assert_true(sm_scan_de_tax_id_valid("86095742719"));
  g_assert_true(sm_scan_de_tax_id_valid("47036892816"));
  g_assert_true(sm_scan_de_tax_id_valid("65929970489"));
  g_assert_false(sm_scan_de_tax_id_valid("86095742718")); /* check digit */
  g_assert_false(sm_scan_de_tax_id_valid("06095742719")); /* leading zero */
  g_assert_false(sm_scan_de_tax_id_valid("12345678903")); /* every digit once */
  g_assert_false(sm_scan_de_tax_id_valid("11123456789")); /* three in a row */
}

static void
test_nino(void)
{
  g_assert_true(sm_scan_nino_valid("AB123456C", 9));
  g_assert_true(sm_scan_nino_valid("AB123456", 8));
  g_assert_false(sm_scan_nino_valid("QQ123456C", 9)); /* Q never used */
  g_assert_false(sm_scan_nino_valid("BG123456A", 9)); /* not allocated */
  g_assert_false(sm_scan_nino_valid("AO123456A", 9)); /* O not second */
  g_assert_false(sm_scan_nino_valid("AB123456E", 9)); /* suffix A-D */
  g_assert_false(sm_scan_nino_valid("AB12345C", 8));
}

static void
test_dates(void)
{
  g_assert_true(sm_scan_date_valid(2024, 2, 29));
  g_assert_true(sm_scan_date_valid(2000, 2, 29));
  g_assert_false(sm_scan_date_valid(2023, 2, 29));
  g_assert_false(sm_scan_date_valid(1900, 2, 29));
  g_assert_false(sm_scan_date_valid(2024, 4, 31));
  g_assert_false(sm_scan_date_valid(2024, 0, 1));
}

static void
test_mask(void)
{
  char out[96];
  sm_scan_mask("078-05-1121", 4, 0, out);
  g_assert_cmpstr(out, ==, "***-**-1121");
  sm_scan_mask("4111 1111 1111 1111", 4, 0, out);
  g_assert_cmpstr(out, ==, "**** **** **** 1111");
  sm_scan_mask("FR76 3000 6000 0112 3456 7890 189", 4, 2, out);
  g_assert_cmpstr(out, ==, "FR** **** **** **** **** ***0 189");
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/scan/validate/luhn", test_luhn);
  g_test_add_func("/scan/validate/cards", test_cards);
  g_test_add_func("/scan/validate/iban", test_iban);
  g_test_add_func("/scan/validate/aba", test_aba);
  g_test_add_func("/scan/validate/ssn", test_ssn);
  g_test_add_func("/scan/validate/itin", test_itin);
  g_test_add_func("/scan/validate/nir", test_nir);
  g_test_add_func("/scan/validate/personnummer", test_personnummer);
  g_test_add_func("/scan/validate/cn-id", test_cn_id);
  g_test_add_func("/scan/validate/de-tax-id", test_de_tax);
  g_test_add_func("/scan/validate/nino", test_nino);
  g_test_add_func("/scan/validate/dates", test_dates);
  g_test_add_func("/scan/validate/mask", test_mask);
  return g_test_run();
}
