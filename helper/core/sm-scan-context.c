/* sm-scan-context: the words around a match that make it believable.
 *
 * Context words in English, French, Swedish, Chinese and German, per detector; a person's name
 * next to an identifier (for the 201 CMR 17.02 combination); the medical vocabulary.
 * Windows are bounded by the caller (a few dozen bytes around a match); comparisons fold ASCII
 * case only, so keywords with accents are listed in their usual lower-case spelling. */
#define _GNU_SOURCE /* memmem, memrchr */
#include "sm-scan-private.h"

#include <string.h>

#define CTX_WINDOW_MAX 256 /* bytes of a window copied for case folding */

/* Per context, keywords in lower case. Short ASCII keywords (<= 4 bytes) must stand as a word. */
static const char *const ctx_words[SM_CTX_COUNT][40] = {
  [SM_CTX_SSN] = { "ssn", "social security", "soc sec", "soc. sec", "ss#", "ss #",
                   "sécurité sociale", "securite sociale", "social-security", "sozialversicherung",
                   "社会安全号", "社会保障号", NULL },
  [SM_CTX_ITIN] = { "itin", "taxpayer", "tax id", "tax identification", "individual taxpayer",
                    "numéro fiscal", "steuernummer", NULL },
  [SM_CTX_CARD] = { "card",
                    "credit",
                    "debit",
                    "visa",
                    "mastercard",
                    "amex",
                    "american express",
                    "discover",
                    "cc#",
                    "cc #",
                    "ccn",
                    "cvv",
                    "expir",
                    "carte",
                    "cb",
                    "paiement",
                    "kort",
                    "kortnummer",
                    "kreditkort",
                    "betalkort",
                    "karte",
                    "kartennummer",
                    "kreditkarte",
                    "卡号",
                    "信用卡",
                    "银行卡",
                    "借记卡",
                    NULL },
  [SM_CTX_BANK] = { "account", "acct", "a/c", "compte", "rib", "konto", "kontonr", "bankgiro",
                    "plusgiro", "clearingnummer", "账号", "账户", "帐号", NULL },
  [SM_CTX_ABA] = { "routing", "aba", "rtn", "transit", "ach", "wire", "bank", NULL },
  [SM_CTX_PASSPORT]
  = { "passport", "passeport", "pass", "passnummer", "reisepass", "passnr", "travel document",
      "document de voyage", "resedokument", "reisedokument", "旅行证件", "护照", NULL },
  [SM_CTX_LICENSE]
  = { "driver", "driving", "licence", "license", "dl#", "dl", "lic#", "state id", "id card",
      "permis", "körkort", "korkort", "führerschein", "fuhrerschein", "驾驶证", "驾照", NULL },
  [SM_CTX_DOB]
  = { "born",   "birth",        "dob",        "d.o.b", "b-day",   "birthday", "né le",
      "née le", "naissance",    "né(e)",      "född",  "födelse", "fodelse",  "geboren",
      "geb.",   "geburtsdatum", "geburtstag", "出生",  "生日",    NULL },
  [SM_CTX_MEDICAL] = { "diagnos", "icd",        "patient", "medical",    "condition",  "treatment",
                       "prescri", "médical",    "medical", "traitement", "ordonnance", "maladie",
                       "sjukdom", "behandling", "recept",  "befund",     "krankheit",  "behandlung",
                       "arzt",    "诊断",       "病历",    "处方",       "疾病",       NULL },
  [SM_CTX_NIR] = { "sécurité sociale", "securite sociale", "sécu", "secu", "nir", "insee",
                   "carte vitale", "numéro de sécurité", "social security", "ssn", NULL },
  [SM_CTX_PERSONNUMMER]
  = { "personnummer", "personnr", "pnr", "samordningsnummer", "personal identity",
      "personal number", "id number", "ssn", "social security", NULL },
  [SM_CTX_CN_ID] = { "身份证", "居民身份", "证件号", "公民身份", "id card", "resident id",
                     "identity card", "id number", "id no", NULL },
  [SM_CTX_DE_TAX] = { "steuer", "steuer-id", "steuerid", "idnr", "identifikationsnummer", "tax id",
                      "tax identification", "tin", "numéro fiscal", NULL },
  [SM_CTX_NINO] = { "national insurance", "nino", "ni number", "ni no", "nat ins", NULL },
  [SM_CTX_PHONE] = { "phone", "tel", "mobile", "cell", "call", "fax", "téléphone", "tél",
                     "portable", "telefon", "mobil", "handy", "ring", "电话", "手机", NULL },
};

static gboolean
is_ascii_alpha(guint8 c)
{
  return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}

/* ASCII keywords must start a word; short ones (<= 3 bytes, "ssn", "dl", "tin") must also end
 * one. Chinese keywords need no boundary. */
static gboolean
word_ok(const char *hay, gsize hay_len, gsize at, gsize kw_len)
{
  if (!is_ascii_alpha((guint8)hay[at]))
    return TRUE;
  if (at > 0 && is_ascii_alpha((guint8)hay[at - 1]))
    return FALSE;
  return kw_len > 3 || at + kw_len >= hay_len || !is_ascii_alpha((guint8)hay[at + kw_len]);
}

/* All keywords, deduplicated, with the contexts they belong to, indexed by first byte so that a
 * window is read once for every context at the same time. */
typedef struct
{
  const char *kw;
  guint8 len;
  guint32 mask;
} Keyword;

#define KEYWORDS_MAX 512

static Keyword keywords[KEYWORDS_MAX];
static guint16 first_byte[257]; /* keywords[first_byte[c] .. first_byte[c + 1]) start with c */

static int
keyword_cmp(gconstpointer a, gconstpointer b)
{
  const Keyword *x = a, *y = b;
  return (int)(guint8)x->kw[0] - (int)(guint8)y->kw[0];
}

static void
keywords_init(void)
{
  static gsize once = 0;
  if (!g_once_init_enter(&once))
    return;
  guint n = 0;
  for (int c = 0; c < SM_CTX_COUNT; c++)
    for (gsize k = 0; ctx_words[c][k] != NULL; k++)
      {
        guint i = 0;
        while (i < n && strcmp(keywords[i].kw, ctx_words[c][k]) != 0)
          i++;
        if (i == n && n < KEYWORDS_MAX)
          keywords[n++] = (Keyword){ ctx_words[c][k], (guint8)strlen(ctx_words[c][k]), 0 };
        if (i < n)
          keywords[i].mask |= 1u << c;
      }
  qsort(keywords, n, sizeof(Keyword), keyword_cmp);
  for (guint c = 0, i = 0; c <= 256; c++)
    {
      while (i < n && (guint8)keywords[i].kw[0] < c)
        i++;
      first_byte[c] = (guint16)i;
    }
  g_once_init_leave(&once, 1);
}

void
sm_scan_context_masks(const char *text, gsize lo, gsize lo_same, gsize hi, guint32 *all,
                      guint32 *same)
{
  char low[CTX_WINDOW_MAX + 1];
  gsize n = MIN(hi - lo, (gsize)CTX_WINDOW_MAX);
  *all = *same = 0;
  keywords_init();
  for (gsize i = 0; i < n; i++)
    {
      guint8 c = (guint8)text[lo + i];
      low[i] = (char)(c >= 'A' && c <= 'Z' ? c | 0x20 : c);
    }
  low[n] = '\0'; /* keywords are at least two bytes: low[i + 1] is always readable */
  for (gsize i = 0; i < n; i++)
    {
      guint8 c = (guint8)low[i];
      /* ASCII keywords start a word: skip the inside of words */
      if (i > 0 && is_ascii_alpha(c) && is_ascii_alpha((guint8)low[i - 1]))
        continue;
      for (guint k = first_byte[c]; k < first_byte[c + 1]; k++)
        {
          const Keyword *kw = &keywords[k];
          if (low[i + 1] != kw->kw[1] || i + kw->len > n
              || memcmp(low + i, kw->kw, kw->len) != 0 || !word_ok(low, n, i, kw->len))
            continue;
          *all |= kw->mask;
          if (lo + i >= lo_same)
            *same |= kw->mask;
        }
    }
}

gboolean
sm_scan_context_near(SmScanContext ctx, const char *text, gsize win_start, gsize win_end)
{
  guint32 all, same;
  g_return_val_if_fail(ctx < SM_CTX_COUNT, FALSE);
  sm_scan_context_masks(text, win_start, win_start, win_end, &all, &same);
  return (all >> ctx) & 1;
}

/* Capitalised words that start many sentences or label identifiers but are not names. */
static const char *const not_names[] = {
  "The",          "This",      "That",        "Dear",    "Hello",    "Hi",         "Hej",
  "Bonjour",      "Hallo",     "Thanks",      "Thank",   "Please",   "Social",     "Security",
  "Number",       "Card",      "Credit",      "Debit",   "Visa",     "Mastercard", "American",
  "Express",      "Discover",  "Bank",        "Account", "Routing",  "National",   "Insurance",
  "Passport",     "Driver",    "Driving",     "License", "Licence",  "State",      "Date",
  "Birth",        "Tax",       "Id",          "ID",      "My",       "His",        "Her",
  "Our",          "Your",      "Name",        "Mr",      "Mrs",      "Ms",         "Dr",
  "Numéro",       "Carte",     "Sécurité",    "Sociale", "Compte",   "Monsieur",   "Madame",
  "Le",           "La",        "Les",         "Mon",     "Ma",       "Kort",       "Konto",
  "Personnummer", "Steuer",    "Kontonummer", "Herr",    "Frau",     "Sehr",       "Geehrte",
  "Liebe",        "Lieber",    "Mit",         "Der",     "Die",      "Das",        "Ihre",
  "Meine",        "January",   "February",    "March",   "April",    "May",        "June",
  "July",         "August",    "September",   "October", "November", "December",   "Monday",
  "Tuesday",      "Wednesday", "Thursday",    "Friday",  "Saturday", "Sunday",     "Regards",
  "Best",         "Kind",      "Cheers",      "Subject", "From",     "To",         "Sent",
  "Order",        "Invoice",   "Patient",     "Client",  "Customer", "Employee",   "Member",
  "SSN",          "IBAN",      "BIC",         "Re",      "Fwd",      NULL
};

static gboolean
is_not_name(const char *w, gsize n)
{
  for (gsize i = 0; not_names[i] != NULL; i++)
    if (strlen(not_names[i]) == n && memcmp(not_names[i], w, n) == 0)
      return TRUE;
  return FALSE;
}

/* A capitalised word at @p: an ASCII or Latin-1-range upper-case letter then lower-case
 * letters (UTF-8 two-byte letters accepted as lower case). Returns its length or 0. */
static gsize
cap_word(const char *text, gsize p, gsize end)
{
  guint8 c = (guint8)text[p];
  gsize i;
  if (c >= 'A' && c <= 'Z')
    i = p + 1;
  else if (c == 0xC3 && p + 1 < end && (guint8)text[p + 1] >= 0x80 && (guint8)text[p + 1] <= 0x9E)
    i = p + 2;
  else
    return 0;
  gsize letters = 0;
  while (i < end)
    {
      guint8 d = (guint8)text[i];
      if ((d >= 'a' && d <= 'z') || d == '\'' || d == '-')
        {
          i++;
          letters++;
        }
      else if (d == 0xC3 && i + 1 < end && (guint8)text[i + 1] >= 0x9F)
        {
          i += 2;
          letters++;
        }
      else
        {
          break;
        }
    }
  return letters >= 1 ? i - p : 0;
}

static const char *const name_labels[]
    = { "name:",     "name :",  "nom :",  "nom:",  "namn:",  "navn:", "patient:",
        "employee:", "client:", "姓名：", "姓名:", "名字：", NULL };

/* "J. S." from "John Smith"; non-ASCII initials are shown as '*'. */
static void
name_initials(const char *text, gsize p, gsize q, char initials[16])
{
  gsize o = 0;
  for (gsize i = p; i < q && o + 4 < 16; i++)
    if (i == p || text[i - 1] == ' ')
      {
        guint8 c = (guint8)text[i];
        initials[o++] = c < 0x80 && g_ascii_isalpha(c) ? (char)c : '*';
        initials[o++] = '.';
        initials[o++] = ' ';
      }
  initials[o > 0 ? o - 1 : 0] = '\0';
}

static gboolean
find_label_name(const char *text, gsize win_start, gsize win_end, gsize *ns, gsize *ne,
                char initials[16])
{
  char low[CTX_WINDOW_MAX];
  gsize n = MIN(win_end - win_start, (gsize)CTX_WINDOW_MAX);
  for (gsize i = 0; i < n; i++)
    low[i] = g_ascii_tolower(text[win_start + i]);
  for (gsize k = 0; name_labels[k] != NULL; k++)
    {
      const char *hit = memmem(low, n, name_labels[k], strlen(name_labels[k]));
      if (hit == NULL)
        continue;
      gsize p = win_start + (gsize)(hit - low) + strlen(name_labels[k]);
      while (p < win_end && text[p] == ' ')
        p++;
      gsize q = p;
      while (q < win_end && text[q] != '\n' && text[q] != ',' && text[q] != ';'
             && !g_ascii_isdigit(text[q]) && q - p < 40)
        q++;
      while (q > p && text[q - 1] == ' ')
        q--;
      if (q <= p || (guint8)text[p] < 'A' || (text[p] >= 'a' && text[p] <= 'z'))
        continue;
      *ns = p;
      *ne = q;
      name_initials(text, p, q, initials);
      return TRUE;
    }
  return FALSE;
}

gboolean
sm_scan_context_find_name(const char *text, gsize match_start, gsize match_end, gsize win_start,
                          gsize win_end, gsize *name_start, gsize *name_end, char initials[16])
{
  if (find_label_name(text, win_start, win_end, name_start, name_end, initials))
    return TRUE;
  /* Two adjacent capitalised words, not inside the identifier itself. */
  for (gsize p = win_start; p < win_end; p++)
    {
      if (p > win_start && (g_ascii_isalnum(text[p - 1]) || (guint8)text[p - 1] >= 0x80))
        continue;
      if (p >= match_start && p < match_end)
        continue;
      gsize l1 = cap_word(text, p, win_end);
      if (l1 == 0 || is_not_name(text + p, l1))
        continue;
      gsize q = p + l1;
      if (q < win_end && text[q] == '.')
        q++; /* middle initial "John Q. Public" is handled by the next word */
      if (q >= win_end || text[q] != ' ')
        continue;
      q++;
      gsize l2 = cap_word(text, q, win_end);
      if (l2 == 0 || is_not_name(text + q, l2))
        continue;
      *name_start = p;
      *name_end = q + l2;
      g_snprintf(initials, 16, "%c. %c.", (guint8)text[p] < 0x80 ? text[p] : '*',
                 (guint8)text[q] < 0x80 ? text[q] : '*');
      return TRUE;
    }
  return FALSE;
}

/* Diagnoses, treatments and medications that are health data on their own (lower case). */
static const char *const medical_terms[]
    = { "diagnosis",     "diagnosed",     "chemotherapy",    "radiotherapy", "oncology",
        "hiv",           "hepatitis",     "diabetes",        "insulin",      "metformin",
        "cancer",        "tumor",         "tumour",          "leukemia",     "dementia",
        "alzheimer",     "schizophrenia", "bipolar",         "depression",   "antidepressant",
        "sertraline",    "fluoxetine",    "prozac",          "methadone",    "chlamydia",
        "syphilis",      "pregnancy",     "miscarriage",     "diagnostic",   "chimiothérapie",
        "diabète",       "séropositif",   "dépression",      "ordonnance",   "diagnostiserad",
        "cellgift",      "cancer",        "depression",      "graviditet",   "diagnose",
        "chemotherapie", "krebs",         "schwangerschaft", "befund",       NULL };

static guint8 medical_filter[(1u << SM_MEDICAL_FILTER_BITS) / 8]; /* by the first 4 bytes */
static guint8 medical_len[G_N_ELEMENTS(medical_terms)];

static void
medical_init(void)
{
  static gsize once = 0;
  if (g_once_init_enter(&once))
    {
      for (gsize i = 0; medical_terms[i] != NULL; i++)
        {
          medical_len[i] = (guint8)strlen(medical_terms[i]);
          guint h = sm_scan_prefix_hash((const guint8 *)medical_terms[i]);
          medical_filter[h >> 3] |= (guint8)(1u << (h & 7));
        }
      g_once_init_leave(&once, 1);
    }
}

const guint8 *
sm_scan_context_medical_filter(void)
{
  medical_init();
  return medical_filter;
}

gsize
sm_scan_context_medical_term(const char *p, gsize avail)
{
  if (avail < 4)
    return 0;
  medical_init();
  for (gsize i = 0; medical_terms[i] != NULL; i++)
    {
      gsize n = medical_len[i];
      if (n > avail || g_ascii_strncasecmp(p, medical_terms[i], n) != 0)
        continue;
      /* whole word, or an inflection ("diagnoses", "cancers") */
      gsize e = n;
      while (e < avail && e < n + 3 && g_ascii_isalpha(p[e]))
        e++;
      if (e < avail && g_ascii_isalpha(p[e]))
        continue;
      return e;
    }
  return 0;
}

void
sm_scan_context_init(void)
{
  medical_init();
}
