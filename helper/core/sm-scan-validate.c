/* sm-scan-validate: the check-digit and format validators behind each detector.
 *
 * Pure functions over ASCII digits and upper-case letters, no allocation, fixed input sizes:
 * - Luhn (ISO/IEC 7812-1) and the card issuer ranges by length (Mastercard 2221-2720 included);
 * - IBAN (ISO 13616: per-country length and BBAN format, ISO 7064 MOD 97-10);
 * - US ABA routing numbers (weights 3-7-1), SSN (SSA rules, published fakes) and ITIN;
 * - French NIR (key = 97 - number mod 97, Corsica 2A/2B), Swedish personnummer (date + Luhn),
 *   Chinese resident ID (GB 11643, ISO 7064 MOD 11-2), German Steuer-IdNr (ISO 7064 MOD 11,10 and
 *   the digit-distribution rule), UK National Insurance number (HMRC prefix rules). */
#include "sm-scan-private.h"

#include <string.h>

static inline int
dval(char c)
{
  return c - '0';
}

static gboolean
all_digits(const char *s, gsize n)
{
  for (gsize i = 0; i < n; i++)
    if (!g_ascii_isdigit(s[i]))
      return FALSE;
  return TRUE;
}

gboolean
sm_scan_luhn_valid(const char *digits, gsize n)
{
  int sum = 0;
  gboolean dbl = FALSE;
  if (n == 0 || !all_digits(digits, n))
    return FALSE;
  for (gsize i = n; i-- > 0;)
    {
      int d = dval(digits[i]);
      if (dbl)
        {
          d *= 2;
          if (d > 9)
            d -= 9;
        }
      sum += d;
      dbl = !dbl;
    }
  return sum % 10 == 0;
}

static int
prefix_num(const char *digits, gsize n, gsize len)
{
  int v = 0;
  for (gsize i = 0; i < len && i < n; i++)
    v = v * 10 + dval(digits[i]);
  return v;
}

typedef struct
{
  const char *network;
  int lo, hi; /* inclusive range of the first @plen digits */
  guint8 plen;
  guint8 min_len, max_len;
} CardRange;

/* Issuer ranges (ISO/IEC 7812 IINs as published by the networks). Lengths are kept strict so
 * that 15-digit IMEIs, 13-digit ISBNs and order numbers that happen to pass Luhn fall out. */
static const CardRange card_ranges[] = {
  { "visa", 4, 4, 1, 13, 13 },
  { "visa", 4, 4, 1, 16, 16 },
  { "visa", 4, 4, 1, 19, 19 },
  { "mastercard", 51, 55, 2, 16, 16 },
  { "mastercard", 2221, 2720, 4, 16, 16 },
  { "amex", 34, 34, 2, 15, 15 },
  { "amex", 37, 37, 2, 15, 15 },
  { "discover", 6011, 6011, 4, 16, 19 },
  { "discover", 644, 649, 3, 16, 19 },
  { "discover", 65, 65, 2, 16, 19 },
  { "diners", 300, 305, 3, 14, 19 },
  { "diners", 36, 36, 2, 14, 19 },
  { "diners", 38, 39, 2, 14, 19 },
  { "jcb", 3528, 3589, 4, 16, 19 },
  { "unionpay", 62, 62, 2, 16, 19 },
  { "unionpay", 81, 81, 2, 16, 19 },
  { "maestro", 50, 50, 2, 16, 19 },
  { "maestro", 56, 58, 2, 16, 19 },
  { "maestro", 67, 67, 2, 16, 19 },
  { "maestro", 639, 639, 3, 16, 19 },
  { "mir", 2200, 2204, 4, 16, 19 },
  { "rupay", 60, 60, 2, 16, 16 },
  { "rupay", 508, 508, 3, 16, 16 },
  { "rupay", 82, 82, 2, 16, 16 },
  { "verve", 506099, 506198, 6, 16, 19 },
  { "troy", 9792, 9792, 4, 16, 16 },
  { "uatp", 1, 1, 1, 15, 15 }, /* airline cards; 15-digit IMEIs start 0, 3, 4, 8 or 9 */
};

const char *
sm_scan_card_network(const char *digits, gsize n)
{
  if (n < 13 || n > 19 || !sm_scan_luhn_valid(digits, n))
    return NULL;
  for (gsize i = 0; i < G_N_ELEMENTS(card_ranges); i++)
    {
      const CardRange *r = &card_ranges[i];
      int p = prefix_num(digits, n, r->plen);
      if (p >= r->lo && p <= r->hi && n >= r->min_len && n <= r->max_len)
        return r->network;
    }
  return NULL;
}

/* IBAN registry (SWIFT, release 2024): country, total length, BBAN format as runs of
 * <count><class> with n = digit, a = upper-case letter, c = letter or digit. */
typedef struct
{
  char cc[3];
  guint8 len;
  const char *bban;
} IbanCountry;

static const IbanCountry iban_countries[] = {
  { "AD", 24, "4n4n12c" },       { "AE", 23, "3n16n" },       { "AL", 28, "8n16c" },
  { "AT", 20, "5n11n" },         { "AZ", 28, "4a20c" },       { "BA", 20, "3n3n8n2n" },
  { "BE", 16, "3n7n2n" },        { "BG", 22, "4a4n2n8c" },    { "BH", 22, "4a14c" },
  { "BI", 27, "5n5n11n2n" },     { "BR", 29, "8n5n10n1a1c" }, { "BY", 28, "4c4n16c" },
  { "CH", 21, "5n12c" },         { "CR", 22, "4n14n" },       { "CY", 28, "3n5n16c" },
  { "CZ", 24, "4n6n10n" },       { "DE", 22, "8n10n" },       { "DJ", 27, "5n5n11n2n" },
  { "DK", 18, "4n9n1n" },        { "DO", 28, "4c20n" },       { "EE", 20, "2n2n11n1n" },
  { "EG", 29, "4n4n17n" },       { "ES", 24, "4n4n1n1n10n" }, { "FI", 18, "3n11n" },
  { "FK", 18, "2a12n" },         { "FO", 18, "4n9n1n" },      { "FR", 27, "5n5n11c2n" },
  { "GB", 22, "4a6n8n" },        { "GE", 22, "2a16n" },       { "GI", 23, "4a15c" },
  { "GL", 18, "4n9n1n" },        { "GR", 27, "3n4n16c" },     { "GT", 28, "4c20c" },
  { "HR", 21, "7n10n" },         { "HU", 28, "3n4n1n15n1n" }, { "IE", 22, "4a6n8n" },
  { "IL", 23, "3n3n13n" },       { "IQ", 23, "4a3n12n" },     { "IS", 26, "4n2n6n10n" },
  { "IT", 27, "1a5n5n12c" },     { "JO", 30, "4a4n18c" },     { "KW", 30, "4a22c" },
  { "KZ", 20, "3n13c" },         { "LB", 28, "4n20c" },       { "LC", 32, "4a24c" },
  { "LI", 21, "5n12c" },         { "LT", 20, "5n11n" },       { "LU", 20, "3n13c" },
  { "LV", 21, "4a13c" },         { "LY", 25, "3n3n15n" },     { "MC", 27, "5n5n11c2n" },
  { "MD", 24, "2c18c" },         { "ME", 22, "3n13n2n" },     { "MK", 19, "3n10c2n" },
  { "MN", 20, "4n12n" },         { "MR", 27, "5n5n11n2n" },   { "MT", 31, "4a5n18c" },
  { "MU", 30, "4a2n2n12n3n3a" }, { "NI", 28, "4a20n" },       { "NL", 18, "4a10n" },
  { "NO", 15, "4n6n1n" },        { "OM", 23, "3n16c" },       { "PK", 24, "4a16c" },
  { "PL", 28, "8n16n" },         { "PS", 29, "4a21c" },       { "PT", 25, "4n4n11n2n" },
  { "QA", 29, "4a21c" },         { "RO", 24, "4a16c" },       { "RS", 22, "3n13n2n" },
  { "RU", 33, "9n5n15c" },       { "SA", 24, "2n18c" },       { "SC", 31, "4a2n2n16n3a" },
  { "SD", 18, "2n12n" },         { "SE", 24, "3n16n1n" },     { "SI", 19, "5n8n2n" },
  { "SK", 24, "4n6n10n" },       { "SM", 27, "1a5n5n12c" },   { "SO", 23, "4n3n12n" },
  { "ST", 25, "4n4n11n2n" },     { "SV", 28, "4a20n" },       { "TL", 23, "3n14n2n" },
  { "TN", 24, "2n3n13n2n" },     { "TR", 26, "5n1n16c" },     { "UA", 29, "6n19c" },
  { "VA", 22, "3n15n" },         { "VG", 24, "4a16n" },       { "XK", 20, "4n10n2n" },
  { "YE", 30, "4a4n18c" },
};

static const IbanCountry *
iban_country(const char *cc)
{
  for (gsize i = 0; i < G_N_ELEMENTS(iban_countries); i++)
    if (iban_countries[i].cc[0] == cc[0] && iban_countries[i].cc[1] == cc[1])
      return &iban_countries[i];
  return NULL;
}

guint
sm_scan_iban_length(const char *country)
{
  const IbanCountry *c = country != NULL && country[0] && country[1] ? iban_country(country) : NULL;
  return c != NULL ? c->len : 0;
}

static gboolean
bban_matches(const char *fmt, const char *bban, gsize n)
{
  gsize pos = 0;
  while (*fmt != '\0')
    {
      int count = 0;
      while (g_ascii_isdigit(*fmt))
        count = count * 10 + (*fmt++ - '0');
      char cls = *fmt++;
      for (int i = 0; i < count; i++, pos++)
        {
          if (pos >= n)
            return FALSE;
          char c = bban[pos];
          gboolean ok = cls == 'n'   ? g_ascii_isdigit(c)
                        : cls == 'a' ? g_ascii_isupper(c)
                                     : (g_ascii_isdigit(c) || g_ascii_isupper(c));
          if (!ok)
            return FALSE;
        }
    }
  return pos == n;
}

gboolean
sm_scan_iban_valid(const char *iban, gsize n)
{
  if (n < 15 || n > 34 || !g_ascii_isupper(iban[0]) || !g_ascii_isupper(iban[1])
      || !g_ascii_isdigit(iban[2]) || !g_ascii_isdigit(iban[3]))
    return FALSE;
  const IbanCountry *c = iban_country(iban);
  if (c == NULL || c->len != n || !bban_matches(c->bban, iban + 4, n - 4))
    return FALSE;
  /* Move the first four characters to the end, letters become 10..35, then mod 97 == 1;
   * computed digit by digit so no big integer is needed. */
  guint rem = 0;
  for (gsize k = 0; k < n; k++)
    {
      char ch = iban[(k + 4) % n];
      if (g_ascii_isdigit(ch))
        rem = (rem * 10 + (guint)(ch - '0')) % 97;
      else
        rem = (rem * 100 + (guint)(ch - 'A' + 10)) % 97;
    }
  return rem == 1;
}

gboolean
sm_scan_aba_valid(const char *digits)
{
  static const int w[9] = { 3, 7, 1, 3, 7, 1, 3, 7, 1 };
  int sum = 0;
  if (!all_digits(digits, 9))
    return FALSE;
  /* Federal Reserve prefixes: 00-12 banks, 21-32 thrifts, 61-72 electronic, 80 traveller's
   * cheques. Anything else is not a routing number. */
  int p = prefix_num(digits, 9, 2);
  if (!((p <= 12) || (p >= 21 && p <= 32) || (p >= 61 && p <= 72) || p == 80))
    return FALSE;
  if (memcmp(digits, "000000000", 9) == 0)
    return FALSE;
  for (int i = 0; i < 9; i++)
    sum += w[i] * dval(digits[i]);
  return sum % 10 == 0;
}

static gboolean
same_digits(const char *digits, gsize n)
{
  for (gsize i = 1; i < n; i++)
    if (digits[i] != digits[0])
      return FALSE;
  return TRUE;
}

/* Numbers published in advertising, on sample cards or as famous examples. */
static gboolean
ssn_known_fake(const char *d)
{
  static const char *const fakes[] = { "123456789", "078051120", "219099999", "457555462" };
  for (gsize i = 0; i < G_N_ELEMENTS(fakes); i++)
    if (memcmp(d, fakes[i], 9) == 0)
      return TRUE;
  return memcmp(d, "98765432", 8) == 0; /* 987-65-4320..4329, reserved for advertising */
}

gboolean
sm_scan_ssn_valid(const char *digits)
{
  if (!all_digits(digits, 9) || same_digits(digits, 9) || ssn_known_fake(digits))
    return FALSE;
  int area = prefix_num(digits, 9, 3);
  int group = dval(digits[3]) * 10 + dval(digits[4]);
  int serial = prefix_num(digits + 5, 4, 4);
  return area != 0 && area != 666 && area < 900 && group != 0 && serial != 0;
}

gboolean
sm_scan_itin_valid(const char *digits)
{
  if (!all_digits(digits, 9) || digits[0] != '9' || ssn_known_fake(digits))
    return FALSE;
  int group = dval(digits[3]) * 10 + dval(digits[4]);
  return (group >= 50 && group <= 65) || (group >= 70 && group <= 88)
         || (group >= 90 && group <= 92) || (group >= 94 && group <= 99);
}

gboolean
sm_scan_date_valid(int year, int month, int day)
{
  static const int mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
  if (month < 1 || month > 12 || day < 1 || day > mdays[month - 1])
    return FALSE;
  if (month == 2 && day == 29 && year >= 0)
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return TRUE;
}

gboolean
sm_scan_nir_valid(const char *nir, gsize n)
{
  char num[16];
  if (n != 15)
    return FALSE;
  memcpy(num, nir, 15);
  num[15] = '\0';
  /* Corsica: departments 2A and 2B count as 19 and 18 in the key. */
  if (num[5] == '2' && (num[6] == 'A' || num[6] == 'B'))
    {
      num[6] = num[6] == 'A' ? '9' : '8';
      num[5] = '1';
    }
  if (!all_digits(num, 15))
    return FALSE;
  /* layout: sex, YY, MM, department, commune, order, key; sex 3/4/7/8 are temporary numbers,
   * months 20-42 and 50-99 mean "unknown" in INSEE's register. */
  if (strchr("123478", num[0]) == NULL)
    return FALSE;
  int month = dval(num[3]) * 10 + dval(num[4]);
  if (!((month >= 1 && month <= 12) || (month >= 20 && month <= 42) || month >= 50))
    return FALSE;
  guint64 body = 0;
  for (int i = 0; i < 13; i++)
    body = body * 10 + (guint64)dval(num[i]);
  int key = dval(num[13]) * 10 + dval(num[14]);
  return key == (int)(97 - body % 97);
}

gboolean
sm_scan_personnummer_valid(const char *digits, gsize n)
{
  if ((n != 10 && n != 12) || !all_digits(digits, n))
    return FALSE;
  const char *d = digits + (n - 10);
  int year = n == 12 ? prefix_num(digits, n, 4) : -1;
  if (n == 12 && (year < 1800 || year > 2100))
    return FALSE;
  int month = dval(d[2]) * 10 + dval(d[3]);
  int day = dval(d[4]) * 10 + dval(d[5]);
  if (day > 60) /* samordningsnummer: day + 60 */
    day -= 60;
  if (!sm_scan_date_valid(year, month, day))
    return FALSE;
  return sm_scan_luhn_valid(d, 10);
}

gboolean
sm_scan_cn_id_valid(const char *id)
{
  static const int w[17] = { 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2 };
  static const char check[11] = { '1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2' };
  if (!all_digits(id, 17))
    return FALSE;
  /* Province codes of GB/T 2260: 11-15, 21-23, 31-37, 41-46, 50-54, 61-65, 71, 81-83. */
  int prov = prefix_num(id, 17, 2);
  if (!((prov >= 11 && prov <= 15) || (prov >= 21 && prov <= 23) || (prov >= 31 && prov <= 37)
        || (prov >= 41 && prov <= 46) || (prov >= 50 && prov <= 54) || (prov >= 61 && prov <= 65)
        || prov == 71 || (prov >= 81 && prov <= 83)))
    return FALSE;
  int year = prefix_num(id + 6, 4, 4);
  int month = prefix_num(id + 10, 2, 2);
  int day = prefix_num(id + 12, 2, 2);
  if (year < 1900 || year > 2100 || !sm_scan_date_valid(year, month, day))
    return FALSE;
  int sum = 0;
  for (int i = 0; i < 17; i++)
    sum += w[i] * dval(id[i]);
  char c = id[17] == 'x' ? 'X' : id[17];
  return c == check[sum % 11];
}

gboolean
sm_scan_de_tax_id_valid(const char *digits)
{
  int counts[10] = { 0 };
  if (!all_digits(digits, 11) || digits[0] == '0')
    return FALSE;
  for (int i = 0; i < 10; i++)
    counts[dval(digits[i])]++;
  /* Exactly one digit occurs twice or three times in the first ten, the others at most once;
   * a digit occurring three times may not do so in three adjacent positions. */
  int multi = 0;
  for (int d = 0; d < 10; d++)
    {
      if (counts[d] > 3)
        return FALSE;
      if (counts[d] >= 2)
        multi++;
    }
  if (multi != 1)
    return FALSE;
  for (int i = 0; i + 2 < 10; i++)
    if (digits[i] == digits[i + 1] && digits[i] == digits[i + 2])
      return FALSE;
  /* ISO 7064 MOD 11,10 */
  int product = 10;
  for (int i = 0; i < 10; i++)
    {
      int sum = (dval(digits[i]) + product) % 10;
      if (sum == 0)
        sum = 10;
      product = (sum * 2) % 11;
    }
  int check = 11 - product;
  if (check == 10)
    check = 0;
  return check == dval(digits[10]);
}

gboolean
sm_scan_nino_valid(const char *nino, gsize n)
{
  if (n != 8 && n != 9)
    return FALSE;
  char a = nino[0], b = nino[1];
  if (!g_ascii_isupper(a) || !g_ascii_isupper(b) || !all_digits(nino + 2, 6))
    return FALSE;
  /* HMRC: D, F, I, Q, U, V never used; O not second; BG, GB, KN, NK, NT, TN, ZZ not allocated. */
  if (strchr("DFIQUV", a) != NULL || strchr("DFIOQUV", b) != NULL)
    return FALSE;
  static const char *const bad[] = { "BG", "GB", "KN", "NK", "NT", "TN", "ZZ" };
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++)
    if (a == bad[i][0] && b == bad[i][1])
      return FALSE;
  return n == 8 || (nino[8] >= 'A' && nino[8] <= 'D');
}
