/* sm-scan-ids: the detectors, called by the candidate scanner (sm-scan-detect.c).
 *
 * Each detector accepts only the layouts its identifier is written in (card groups of four,
 * SSN 3-2-4, personnummer YYMMDD-NNNN, ...), runs the validator, and sets a confidence:
 * a validated, formatted identifier is medium; context words nearby raise it one level;
 * identifiers without a check digit (bank accounts, passports, licences, dates of birth, ICD-10
 * codes) are reported only with context. E-mail addresses and phone numbers are always low:
 * they are context signals, never a reason to block on their own. */
#include "sm-scan-private.h"

#include <string.h>

#define ICD_CODE_MAX 8     /* "E11.65" */
#define EMAIL_LOCAL_MAX 64 /* RFC 5321 4.5.3.1.1 */
#define EMAIL_DOMAIN_MAX 255
#define MEDICAL_TERM_MAX 40

static gboolean
layout_is(const SmScanCand *c, const guint *lens, guint n)
{
  if (c->ng != n)
    return FALSE;
  for (guint i = 0; i < n; i++)
    if (c->lens[i] != lens[i])
      return FALSE;
  return TRUE;
}

#define LAYOUT(c, ...)                                                                             \
  layout_is(c, (const guint[]){ __VA_ARGS__ },                                                     \
            sizeof((const guint[]){ __VA_ARGS__ }) / sizeof(guint))

static SmConfidence
bump(SmConfidence c, gboolean by)
{
  return by && c < SM_CONF_HIGH ? c + 1 : c;
}

static gboolean
ctx(SmScanner *sc, SmScanCand *c, SmScanContext k)
{
  return sm_scanner_context(sc, c->t, k, c->s, c->e);
}

static gboolean
is_upper(guint8 c)
{
  return c >= 'A' && c <= 'Z';
}

static gboolean
is_alnum8(guint8 c)
{
  return g_ascii_isalnum(c);
}

/* ---------- numeric identifiers ---------- */

/* Printed card layouts: groups of four with a shorter last group (13-19 digits), Amex 4-6-5,
 * Diners 4-6-4. */
static gboolean
card_layout(const SmScanCand *c)
{
  if (c->ng == 1)
    return TRUE;
  if (c->sep != ' ' && c->sep != '-' && c->sep != '.')
    return FALSE;
  if (LAYOUT(c, 4, 6, 5) || LAYOUT(c, 4, 6, 4))
    return TRUE;
  for (guint i = 0; i + 1 < c->ng; i++)
    if (c->lens[i] != 4)
      return FALSE;
  return c->lens[c->ng - 1] >= 1 && c->lens[c->ng - 1] <= 4;
}

static gboolean
detect_card(SmScanner *sc, SmScanCand *c)
{
  if (c->n < 13 || c->n > 19 || !card_layout(c))
    return FALSE;
  if (sm_scan_card_network(c->d, c->n) == NULL)
    return FALSE;
  SmConfidence conf = bump(SM_CONF_MEDIUM, c->ng > 1 || ctx(sc, c, SM_CTX_CARD));
  sm_scanner_emit(sc, SM_SCAN_CREDIT_CARD, conf, c->s, c->e, c->value, 4, 0);
  return TRUE;
}

static gboolean
detect_cn_id(SmScanner *sc, SmScanCand *c)
{
  char id[19];
  gboolean x = c->n == 17 && c->g1 == c->t->ng && (c->t->right_char | 0x20) == 'x';
  if (!(c->n == 18 || x) || !(c->ng == 1 || LAYOUT(c, 6, 8, 4) || LAYOUT(c, 6, 8, 3)))
    return FALSE;
  memcpy(id, c->d, c->n);
  if (x)
    id[17] = 'X';
  id[18] = '\0';
  if (!sm_scan_cn_id_valid(id))
    return FALSE;
  char value[72];
  g_snprintf(value, sizeof value, "%s%s", c->value, x ? "X" : "");
  SmConfidence conf = bump(SM_CONF_MEDIUM, ctx(sc, c, SM_CTX_CN_ID));
  sm_scanner_emit(sc, SM_SCAN_CN_RESIDENT_ID, conf, c->s, c->e + (x ? 1 : 0), value, 4, 0);
  return TRUE;
}

static gboolean
detect_nir(SmScanner *sc, SmScanCand *c)
{
  if (c->n != 15 || !(c->ng == 1 || LAYOUT(c, 1, 2, 2, 2, 3, 3, 2) || LAYOUT(c, 13, 2)))
    return FALSE;
  if (!sm_scan_nir_valid(c->d, 15))
    return FALSE;
  SmConfidence conf = bump(SM_CONF_MEDIUM, ctx(sc, c, SM_CTX_NIR));
  sm_scanner_emit(sc, SM_SCAN_FR_NIR, conf, c->s, c->e, c->value, 2, 0);
  return TRUE;
}

static gboolean
detect_ssn(SmScanner *sc, SmScanCand *c)
{
  char d[10];
  if (c->n != 9)
    return FALSE;
  gboolean formatted = LAYOUT(c, 3, 2, 4) && (c->sep == '-' || c->sep == ' ' || c->sep == '.');
  if (!formatted && c->ng != 1)
    return FALSE;
  memcpy(d, c->d, 9);
  d[9] = '\0';
  SmConfidence base = formatted ? SM_CONF_MEDIUM : SM_CONF_LOW;
  if (sm_scan_ssn_valid(d))
    {
      SmConfidence conf = bump(base, ctx(sc, c, SM_CTX_SSN));
      if (conf == SM_CONF_LOW)
        return FALSE; /* a bare nine-digit number needs context */
      sm_scanner_emit(sc, SM_SCAN_US_SSN, conf, c->s, c->e, c->value, 4, 0);
      return TRUE;
    }
  if (sm_scan_itin_valid(d))
    {
      SmConfidence conf = bump(base, ctx(sc, c, SM_CTX_ITIN) || ctx(sc, c, SM_CTX_SSN));
      if (conf == SM_CONF_LOW)
        return FALSE;
      sm_scanner_emit(sc, SM_SCAN_US_ITIN, conf, c->s, c->e, c->value, 4, 0);
      return TRUE;
    }
  return FALSE;
}

static gboolean
detect_personnummer(SmScanner *sc, SmScanCand *c)
{
  gboolean formatted = (c->n == 10 && LAYOUT(c, 6, 4) && (c->sep == '-' || c->sep == '+'))
                       || (c->n == 12 && LAYOUT(c, 8, 4) && c->sep == '-');
  if ((c->n != 10 && c->n != 12) || (!formatted && c->ng != 1))
    return FALSE;
  if (!sm_scan_personnummer_valid(c->d, c->n))
    return FALSE;
  SmConfidence conf
      = bump(formatted ? SM_CONF_MEDIUM : SM_CONF_LOW, ctx(sc, c, SM_CTX_PERSONNUMMER));
  if (conf == SM_CONF_LOW)
    return FALSE;
  sm_scanner_emit(sc, SM_SCAN_SE_PERSONNUMMER, conf, c->s, c->e, c->value, 4, 0);
  return TRUE;
}

static gboolean
detect_de_tax(SmScanner *sc, SmScanCand *c)
{
  char d[12];
  gboolean formatted = LAYOUT(c, 2, 3, 3, 3) && (c->sep == ' ' || c->sep == '/');
  if (c->n != 11 || (!formatted && c->ng != 1))
    return FALSE;
  memcpy(d, c->d, 11);
  d[11] = '\0';
  if (!sm_scan_de_tax_id_valid(d))
    return FALSE;
  SmConfidence conf = bump(formatted ? SM_CONF_MEDIUM : SM_CONF_LOW, ctx(sc, c, SM_CTX_DE_TAX));
  if (conf == SM_CONF_LOW)
    return FALSE;
  sm_scanner_emit(sc, SM_SCAN_DE_TAX_ID, conf, c->s, c->e, c->value, 3, 0);
  return TRUE;
}

static gboolean
detect_aba(SmScanner *sc, SmScanCand *c)
{
  char d[10];
  if (c->n != 9 || !(c->ng == 1 || (LAYOUT(c, 4, 4, 1) && c->sep == '-')))
    return FALSE;
  memcpy(d, c->d, 9);
  d[9] = '\0';
  if (!sm_scan_aba_valid(d) || !ctx(sc, c, SM_CTX_ABA))
    return FALSE;
  sm_scanner_emit(sc, SM_SCAN_US_ABA_ROUTING, SM_CONF_HIGH, c->s, c->e, c->value, 4, 0);
  return TRUE;
}

/* Numeric dates; a date of birth needs context. Any valid date is consumed so that it is not
 * taken for an account number. */
static gboolean
detect_date(SmScanner *sc, SmScanCand *c)
{
  int y, m, d;
  if (c->ng != 3 || (c->sep != '/' && c->sep != '.' && c->sep != '-'))
    return FALSE;
  int a = atoi(c->value), b = atoi(c->value + c->lens[0] + 1),
      e = atoi(c->value + c->lens[0] + c->lens[1] + 2);
  if (c->lens[0] == 4 && c->lens[1] <= 2 && c->lens[2] <= 2)
    {
      y = a, m = b, d = e;
    }
  else if (c->lens[0] <= 2 && c->lens[1] <= 2 && (c->lens[2] == 4 || c->lens[2] == 2))
    {
      y = c->lens[2] == 4 ? e : 1900 + e;
      /* day first (most of the world) or month first (US) */
      d = a, m = b;
      if (!sm_scan_date_valid(y, m, d))
        d = b, m = a;
    }
  else
    {
      return FALSE;
    }
  if (y < 1900 || y > 2100 || !sm_scan_date_valid(y, m, d))
    return FALSE;
  if (ctx(sc, c, SM_CTX_DOB))
    sm_scanner_emit(sc, SM_SCAN_DATE_OF_BIRTH, SM_CONF_MEDIUM, c->s, c->e, c->value, 0, 0);
  return TRUE;
}

/* Identifiers without a check digit: reported only next to their context words. */
static gboolean
detect_context_only(SmScanner *sc, SmScanCand *c)
{
  /* account numbers are written with spaces and dashes, even mixed ("923 456 789-0") */
  gboolean plain = c->ng == 1 || c->sep == ' ' || c->sep == '-' || c->spaces_dashes;
  for (guint i = 0; plain && i < c->ng; i++)
    plain = c->lens[i] >= 3
            || (i > 0 && i + 1 == c->ng
                && c->lens[i] == 1); /* not "978-3-16-148410-0"; a final check digit is fine */
  if (!plain)
    return FALSE;
  if (c->n == 9 && c->ng == 1 && ctx(sc, c, SM_CTX_PASSPORT))
    {
      sm_scanner_emit(sc, SM_SCAN_US_PASSPORT, SM_CONF_MEDIUM, c->s, c->e, c->value, 3, 0);
      return TRUE;
    }
  if (c->n >= 7 && c->n <= 13 && ctx(sc, c, SM_CTX_LICENSE))
    {
      sm_scanner_emit(sc, SM_SCAN_US_DRIVER_LICENSE, SM_CONF_MEDIUM, c->s, c->e, c->value, 3, 0);
      return TRUE;
    }
  if (c->n >= 8 && c->n <= 17 && ctx(sc, c, SM_CTX_BANK))
    {
      sm_scanner_emit(sc, SM_SCAN_US_BANK_ACCOUNT, SM_CONF_MEDIUM, c->s, c->e, c->value, 4, 0);
      return TRUE;
    }
  return FALSE;
}

static gboolean
detect_phone(SmScanner *sc, SmScanCand *c)
{
  gsize len;
  const guint8 *b = sm_scanner_text(sc, &len);
  /* "+46 70 123 45 67", but not "ZIP+4 02139-4307" */
  gboolean intl = c->g0 == 0 && c->t->left == '+' && c->n >= 8 && c->n <= 15
                  && (c->s < 2 || !is_alnum8(b[c->s - 2]));
  gboolean nanp = c->n == 10 && LAYOUT(c, 3, 3, 4) && c->sep != '/' && c->sep != '?';
  gboolean pairs = c->n == 10 && LAYOUT(c, 2, 2, 2, 2, 2) && (c->sep == ' ' || c->sep == '.');
  gboolean by_ctx
      = c->n >= 7 && c->n <= 15 && c->sep != '/' && c->sep != '.' && ctx(sc, c, SM_CTX_PHONE);
  if (!(intl || nanp || pairs || by_ctx))
    return FALSE;
  sm_scanner_emit(sc, SM_SCAN_PHONE, SM_CONF_LOW, intl ? c->s - 1 : c->s, c->e, c->value, 2, 0);
  return TRUE;
}

gboolean
sm_scan_detect_numeric(SmScanner *sc, SmScanCand *c)
{
  return detect_card(sc, c) || detect_cn_id(sc, c) || detect_nir(sc, c) || detect_ssn(sc, c)
         || detect_personnummer(sc, c) || detect_de_tax(sc, c) || detect_aba(sc, c)
         || detect_date(sc, c) || detect_context_only(sc, c) || detect_phone(sc, c);
}

/* ---------- identifiers that start with letters ---------- */

/* IBAN in electronic (FR7630006000011234567890189) or print form (FR76 3000 6000 ...). */
static gsize
detect_iban(SmScanner *sc, gsize l)
{
  gsize len;
  const guint8 *b = sm_scanner_text(sc, &len);
  char raw[35];
  gsize pos[35];
  gsize n = 0, q = l;
  while (q < len && n < 34)
    {
      if (g_ascii_isdigit(b[q]) || is_upper(b[q]))
        {
          pos[n] = q;
          raw[n++] = (char)b[q++];
        }
      else if ((b[q] == ' ' || b[q] == '-') && n >= 4 && q + 1 < len
               && (g_ascii_isdigit(b[q + 1]) || is_upper(b[q + 1])))
        {
          q++;
        }
      else
        {
          break;
        }
    }
  raw[n] = '\0';
  guint want = sm_scan_iban_length(raw);
  if (want == 0 || n < want)
    return 0;
  gsize end = pos[want - 1] + 1;
  if (end < len && is_alnum8(b[end]))
    return 0;
  if (!sm_scan_iban_valid(raw, want))
    return 0;
  char value[48];
  gsize o = 0;
  for (guint i = 0; i < want; i++)
    {
      if (i > 0 && i % 4 == 0)
        value[o++] = ' ';
      value[o++] = raw[i];
    }
  value[o] = '\0';
  sm_scanner_emit(sc, SM_SCAN_IBAN, SM_CONF_HIGH, l, end, value, 4, 2);
  return end;
}

/* UK National Insurance number: AB 12 34 56 C, AB123456C. */
static gsize
detect_nino(SmScanner *sc, gsize l, gsize s)
{
  gsize len;
  const guint8 *b = sm_scanner_text(sc, &len);
  char v[10] = { (char)b[l], (char)b[l + 1] };
  gsize n = 2, q = s;
  while (q < len && n < 8)
    {
      if (g_ascii_isdigit(b[q]))
        v[n++] = (char)b[q++];
      else if (b[q] == ' ' && (n == 4 || n == 6))
        q++;
      else
        break;
    }
  if (n != 8 || (q < len && g_ascii_isdigit(b[q])))
    return 0;
  gsize r = q < len && b[q] == ' ' ? q + 1 : q;
  if (r < len && b[r] >= 'A' && b[r] <= 'D' && (r + 1 >= len || !is_alnum8(b[r + 1])))
    {
      v[n++] = (char)b[r];
      q = r + 1;
    }
  else if (q < len && is_alnum8(b[q]))
    {
      return 0;
    }
  if (!sm_scan_nino_valid(v, n))
    return 0;
  SmConfidence conf = bump(n == 9 ? SM_CONF_MEDIUM : SM_CONF_LOW,
                           sm_scanner_context(sc, NULL, SM_CTX_NINO, l, q));
  if (conf == SM_CONF_LOW)
    return 0;
  sm_scanner_emit(sc, SM_SCAN_UK_NINO, conf, l, q, v, 3, 0);
  return q;
}

/* ICD-10 code (E11.9, F32, J45.20) next to medical context. */
static gsize
detect_icd(SmScanner *sc, gsize l)
{
  gsize len;
  const guint8 *b = sm_scanner_text(sc, &len);
  gsize q = l + 1;
  if (b[l] == 'U' || q + 1 >= len || !g_ascii_isdigit(b[q]) || !g_ascii_isdigit(b[q + 1]))
    return 0;
  q += 2;
  if (q + 1 < len && b[q] == '.' && (g_ascii_isdigit(b[q + 1]) || b[q + 1] == 'X'))
    {
      q++;
      while (q < len && q - l < ICD_CODE_MAX && (g_ascii_isdigit(b[q]) || b[q] == 'X'))
        q++;
    }
  if (q < len && is_alnum8(b[q]))
    return 0;
  if (!sm_scanner_context(sc, NULL, SM_CTX_MEDICAL, l, q))
    return 0;
  char v[ICD_CODE_MAX + 1];
  sm_scan_copy(v, sizeof v, b + l, q - l);
  sm_scanner_emit(sc, SM_SCAN_MEDICAL, SM_CONF_MEDIUM, l, q, v, 0, 1);
  return q;
}

/* Passport or licence numbers with a letter prefix (C03005988, D1234567): context only. */
static gsize
detect_prefixed_document(SmScanner *sc, gsize l, gsize s, guint letters)
{
  gsize len;
  const guint8 *b = sm_scanner_text(sc, &len);
  gsize q = s;
  while (q < len && g_ascii_isdigit(b[q]) && q - s < 16)
    q++;
  gsize nd = q - s;
  if (s != l + letters || nd < 4 || nd > 14 || (q < len && is_alnum8(b[q])))
    return 0;
  char v[24];
  sm_scan_copy(v, sizeof v, b + l, q - l);
  if (letters == 1 && nd == 8 && sm_scanner_context(sc, NULL, SM_CTX_PASSPORT, l, q))
    {
      sm_scanner_emit(sc, SM_SCAN_US_PASSPORT, SM_CONF_MEDIUM, l, q, v, 3, 0);
      return q;
    }
  if (sm_scanner_context(sc, NULL, SM_CTX_LICENSE, l, q))
    {
      sm_scanner_emit(sc, SM_SCAN_US_DRIVER_LICENSE, SM_CONF_MEDIUM, l, q, v, 3, 0);
      return q;
    }
  return 0;
}

gsize
sm_scan_detect_letter_prefixed(SmScanner *sc, gsize s)
{
  gsize len;
  const guint8 *b = sm_scanner_text(sc, &len);
  gsize sp = b[s - 1] == ' ' ? 1 : 0;
  gsize l = s - sp;
  while (l > 0 && s - sp - l < 3 && g_ascii_isalpha(b[l - 1]))
    l--;
  guint letters = (guint)(s - sp - l);
  if (letters == 0 || letters > 2 || (l > 0 && (is_alnum8(b[l - 1]) || b[l - 1] == '_')))
    return 0;
  for (gsize i = l; i < l + letters; i++)
    if (!is_upper(b[i]))
      return 0;
  gsize r = 0;
  if (letters == 2 && sp == 0)
    r = detect_iban(sc, l);
  if (r == 0 && letters == 2)
    r = detect_nino(sc, l, s);
  if (r == 0 && letters == 1 && sp == 0)
    r = detect_icd(sc, l);
  if (r == 0 && sp == 0)
    r = detect_prefixed_document(sc, l, s, letters);
  return r;
}

/* ---------- e-mail, medical vocabulary, phone in parentheses ---------- */

static gboolean
email_local_char(guint8 c)
{
  return g_ascii_isalnum(c) || strchr(".!#$%&'*+/=?^_`{|}~-", c) != NULL;
}

gsize
sm_scan_detect_email(SmScanner *sc, gsize at)
{
  gsize len;
  const guint8 *b = sm_scanner_text(sc, &len);
  gsize p = at;
  while (p > 0 && at - p < EMAIL_LOCAL_MAX && email_local_char(b[p - 1]) && b[p - 1] != '\0')
    p--;
  gsize q = at + 1, last_dot = 0;
  while (q < len && q - at < EMAIL_DOMAIN_MAX
         && (g_ascii_isalnum(b[q]) || b[q] == '-' || (b[q] == '.' && q > at + 1)))
    {
      if (b[q] == '.')
        last_dot = q;
      q++;
    }
  while (q > at + 1 && (b[q - 1] == '.' || b[q - 1] == '-'))
    q--;
  if (p == at || last_dot == 0 || last_dot + 2 >= q)
    return at + 1;
  /* the top-level domain is letters, or an IDNA A-label ("xn--p1ai") */
  gboolean a_label = q - last_dot > 5 && memcmp(b + last_dot + 1, "xn--", 4) == 0;
  for (gsize i = last_dot + 1; i < q && !a_label; i++)
    if (!g_ascii_isalpha(b[i]))
      return at + 1;
  char raw[96];
  sm_scan_copy(raw, sizeof raw, b + p, q - p);
  sm_scanner_emit(sc, SM_SCAN_EMAIL, SM_CONF_LOW, p, q, raw, 0, 1);
  return q;
}

gsize
sm_scan_detect_medical_term(SmScanner *sc, gsize p)
{
  gsize len;
  const guint8 *b = sm_scanner_text(sc, &len);
  gsize n = sm_scan_context_medical_term((const char *)b + p, MIN(len - p, MEDICAL_TERM_MAX));
  if (n == 0)
    return 0;
  char v[MEDICAL_TERM_MAX + 1];
  sm_scan_copy(v, sizeof v, b + p, n);
  /* a word alone is a signal, not a reason to block; ICD-10 codes with context are stronger */
  sm_scanner_emit(sc, SM_SCAN_MEDICAL, SM_CONF_LOW, p, p + n, v, 0, 1);
  return p + n;
}

/* (555) 123-4567 */
gsize
sm_scan_detect_paren_phone(SmScanner *sc, gsize s)
{
  gsize len;
  const guint8 *b = sm_scanner_text(sc, &len);
  gsize q = s + 3;
  if (q + 9 > len || b[q] != ')')
    return 0;
  q += b[q + 1] == ' ' ? 2 : 1;
  for (int i = 0; i < 8; i++, q++)
    {
      gboolean want_sep = i == 3;
      if (want_sep ? (b[q] != '-' && b[q] != ' ' && b[q] != '.') : !g_ascii_isdigit(b[q]))
        return 0;
    }
  if (q < len && is_alnum8(b[q]))
    return 0;
  char v[16];
  sm_scan_copy(v, sizeof v, b + s - 1, q - s + 1);
  sm_scanner_emit(sc, SM_SCAN_PHONE, SM_CONF_LOW, s - 1, q, v, 2, 0);
  return q;
}
