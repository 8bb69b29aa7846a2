/* sm-scan-private.h: what the files of the scan module share and nobody else sees.
 *
 * The module is split by job: validators (sm-scan-validate.c), the one-pass candidate scanner
 * (sm-scan-detect.c), context words and names near a match (sm-scan-context.c), MIME decoding
 * and HTML to text (sm-scan-text.c), attachment text extraction (sm-scan-extract.c), and the
 * orchestration, report and JSON (sm-scan.c). */
#pragma once

#include "sm-scan.h"

#include <string.h>

G_BEGIN_DECLS

typedef enum
{
  SM_SCAN_US_SSN,
  SM_SCAN_US_ITIN,
  SM_SCAN_CREDIT_CARD,
  SM_SCAN_IBAN,
  SM_SCAN_US_ABA_ROUTING,
  SM_SCAN_US_BANK_ACCOUNT,
  SM_SCAN_US_PASSPORT,
  SM_SCAN_US_DRIVER_LICENSE,
  SM_SCAN_FR_NIR,
  SM_SCAN_SE_PERSONNUMMER,
  SM_SCAN_CN_RESIDENT_ID,
  SM_SCAN_DE_TAX_ID,
  SM_SCAN_UK_NINO,
  SM_SCAN_DATE_OF_BIRTH,
  SM_SCAN_MEDICAL,
  SM_SCAN_EMAIL,
  SM_SCAN_PHONE,
  SM_SCAN_PERSON_WITH_ID,
  SM_SCAN_CUSTOM,
  SM_SCAN_TYPE_COUNT
} SmScanType;

/* The contract's type name ("US_SSN"), and a translated plural noun phrase for people. */
const char *sm_scan_type_name(SmScanType type);
char *sm_scan_type_describe(SmScanType type, guint count);
const char *sm_scan_confidence_name(SmConfidence confidence);
gboolean sm_scan_confidence_parse(const char *text, SmConfidence *out);

/* One detection in a text stream, before it is attached to a part. Offsets are absolute byte
 * offsets in the stream; @value is the normalised identifier (ASCII digits/letters and ASCII
 * separators), never logged. */
typedef struct
{
  SmScanType type;
  const char *custom_name; /* SM_SCAN_CUSTOM only; owned by the policy */
  SmConfidence confidence;
  guint64 start, end;
  guint64 line; /* 1-based */
  gboolean quoted;
  char value[96];
  char masked[96];
} SmScanHit;

/* ---- validators (sm-scan-validate.c): pure functions over ASCII digits/letters ---- */
gboolean sm_scan_luhn_valid(const char *digits, gsize n);
/* The card network of a Luhn-valid number of @n digits, or NULL when no issuer range of that
 * length contains it (e.g. IMEIs, ISBNs, order numbers). */
const char *sm_scan_card_network(const char *digits, gsize n);
/* @iban: upper-case letters and digits, no spaces. Checks country length/format and mod-97. */
gboolean sm_scan_iban_valid(const char *iban, gsize n);
/* Length of the IBAN for @country ("FR"), or 0 when the country has none. */
guint sm_scan_iban_length(const char *country);
gboolean sm_scan_aba_valid(const char *digits);  /* 9 digits, weights 3-7-1 */
gboolean sm_scan_ssn_valid(const char *digits);  /* 9 digits, SSA rules, known fakes rejected */
gboolean sm_scan_itin_valid(const char *digits); /* 9 digits, 9xx with ITIN group ranges */
gboolean sm_scan_nir_valid(const char *nir, gsize n); /* 15 chars (2A/2B for Corsica) */
/* 10 (YYMMDDNNNC) or 12 (YYYYMMDDNNNC) digits: date (day+60 for coordination numbers), Luhn. */
gboolean sm_scan_personnummer_valid(const char *digits, gsize n);
gboolean sm_scan_cn_id_valid(const char *id);           /* 18 chars, last may be 'X' */
gboolean sm_scan_de_tax_id_valid(const char *digits);   /* 11 digits */
gboolean sm_scan_nino_valid(const char *nino, gsize n); /* 8 or 9 chars, "AB123456C" */
gboolean sm_scan_date_valid(int year, int month, int day);

/* ---- context (sm-scan-context.c) ---- */
typedef enum
{
  SM_CTX_SSN,
  SM_CTX_ITIN,
  SM_CTX_CARD,
  SM_CTX_BANK,
  SM_CTX_ABA,
  SM_CTX_PASSPORT,
  SM_CTX_LICENSE,
  SM_CTX_DOB,
  SM_CTX_MEDICAL,
  SM_CTX_NIR,
  SM_CTX_PERSONNUMMER,
  SM_CTX_CN_ID,
  SM_CTX_DE_TAX,
  SM_CTX_NINO,
  SM_CTX_PHONE,
  SM_CTX_COUNT
} SmScanContext;

/* TRUE when a context word of @ctx occurs in @text[win_start, win_end), a window around a
 * match, compared case-insensitively for ASCII. */
gboolean sm_scan_context_near(SmScanContext ctx, const char *text, gsize win_start, gsize win_end);
/* One pass over @text[lo, hi): the contexts whose words occur anywhere (*@all) and from
 * @lo_same on (*@same), one bit per SmScanContext. */
void sm_scan_context_masks(const char *text, gsize lo, gsize lo_same, gsize hi, guint32 *all,
                           guint32 *same);
/* Looks for a person's name in the window before/after a match: two capitalised words that
 * are not common non-name words, or a name label ("Name:", "Nom :", "姓名"). On success the
 * absolute span of the name and its initials ("J. S.") are returned. */
gboolean sm_scan_context_find_name(const char *text, gsize match_start, gsize match_end,
                                   gsize win_start, gsize win_end, gsize *name_start,
                                   gsize *name_end, char initials[16]);
/* Medical vocabulary at a word start: returns the length of the term at @p, or 0. */
gsize sm_scan_context_medical_term(const char *p, gsize avail);
/* Cheap filter on the first four bytes of a word: a bit per hash of the lower-cased prefix of
 * every medical term (the scanner tests it inline at each word start). */
#define SM_MEDICAL_FILTER_BITS 16
const guint8 *sm_scan_context_medical_filter(void);

static inline guint
sm_scan_prefix_hash(const guint8 *p)
{
  guint32 v = (guint32)p[0] | (guint32)p[1] << 8 | (guint32)p[2] << 16 | (guint32)p[3] << 24;
  /* ASCII letters to lower case; other bytes keep their value apart from bit 5 */
  return ((v | 0x20202020u) * 2654435761u) >> (32 - SM_MEDICAL_FILTER_BITS);
}

void sm_scan_context_init(void);

/* ---- the candidate scanner (sm-scan-detect.c) ---- */
typedef struct _SmScanPattern SmScanPattern; /* an org pattern, compiled */
typedef void (*SmScanHitFunc)(const SmScanHit *hit, gpointer user_data);
typedef struct _SmScanner SmScanner;

SmScanner *sm_scanner_new(const GPtrArray *patterns, SmScanHitFunc func, gpointer user_data);
/* Scans @len more bytes of the stream; may keep a small tail for matches across chunks. */
void sm_scanner_feed(SmScanner *scanner, const char *data, gsize len);
/* Scans what is left; the scanner can then be freed. */
void sm_scanner_finish(SmScanner *scanner);
guint64 sm_scanner_bytes(const SmScanner *scanner);
void sm_scanner_free(SmScanner *scanner);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SmScanner, sm_scanner_free)

/* Scanner internals shared by sm-scan-detect.c (machinery) and sm-scan-ids.c (detectors). */
#define SM_TOK_MAX_DIGITS 40
#define SM_TOK_MAX_GROUPS 16
#define SM_TOK_RANGE_GROUPS 8 /* groups one identifier may span inside a longer run */

/* A run of digit groups as found in the text. */
typedef struct
{
  char d[SM_TOK_MAX_DIGITS + 1];
  guint nd, ng;
  guint gfirst[SM_TOK_MAX_GROUPS + 1]; /* index in d of each group's first digit */
  gsize gstart[SM_TOK_MAX_GROUPS], gend[SM_TOK_MAX_GROUPS];
  char sep[SM_TOK_MAX_GROUPS]; /* separator before group i (i >= 1), normalised */
  gboolean right_alpha;        /* a letter follows the run directly */
  gboolean cut;                /* the run went on beyond SM_TOK_MAX_GROUPS / _DIGITS */
  char right_char;
  guint8 left;               /* byte before the run */
  gboolean ctx_done;         /* ctx_all / ctx_same computed */
  guint32 ctx_all, ctx_same; /* contexts near the token, one bit per SmScanContext */
} SmScanToken;

/* One candidate: groups [g0, g1) of a token. */
typedef struct
{
  SmScanToken *t;
  guint g0, g1;
  guint n;                /* digits */
  const char *d;          /* the n digits (not NUL-terminated) */
  char sep;               /* '\0' one group, the separator when uniform, '?' when mixed */
  gboolean spaces_dashes; /* every separator is a space or a dash */
  guint lens[SM_TOK_RANGE_GROUPS];
  guint ng;
  gsize s, e;     /* byte span in the scanner's buffer */
  char value[64]; /* digits and normalised separators */
} SmScanCand;

/* The scanner's current buffer (positions in hits and candidates index it). */
const guint8 *sm_scanner_text(const SmScanner *sc, gsize *len);
/* Reports a hit over buffer bytes [s, e); adds PERSON_WITH_ID when a name is next to a
 * 201 CMR 17 identifier. */
void sm_scanner_emit(SmScanner *sc, SmScanType type, SmConfidence conf, gsize s, gsize e,
                     const char *value, guint keep, guint keep_prefix);
/* Context words of @c around [s, e), cached in @t when given. */
gboolean sm_scanner_context(SmScanner *sc, SmScanToken *t, SmScanContext c, gsize s, gsize e);
/* Digit (ASCII or full-width) at @p: its byte length and value, or 0. */
gsize sm_scan_digit_at(const guint8 *b, gsize p, gsize len, char *out);
/* Group separator at @p: its byte length and normalised kind, or 0. */
gsize sm_scan_sep_at(const guint8 *b, gsize p, gsize len, char *kind);

/* Detectors (sm-scan-ids.c). Each returns TRUE (or the resume position) when it reported. */
gboolean sm_scan_detect_numeric(SmScanner *sc, SmScanCand *c);
gsize sm_scan_detect_letter_prefixed(SmScanner *sc, gsize s);
gsize sm_scan_detect_email(SmScanner *sc, gsize at);
gsize sm_scan_detect_medical_term(SmScanner *sc, gsize p);
gsize sm_scan_detect_paren_phone(SmScanner *sc, gsize s);

/* ---- policy (sm-scan-policy.c) ---- */
SmConfidence sm_scan_policy_threshold(const SmScanPolicy *policy);
gboolean sm_scan_policy_ignores(const SmScanPolicy *policy, SmScanType type);
/* Threshold (matches needed) and action of the org pattern @name; FALSE when unknown. */
gboolean sm_scan_policy_pattern_rule(const SmScanPolicy *policy, const char *name, guint *threshold,
                                     const char **action);

/* ---- report (sm-scan-report.c) ---- */
typedef struct
{
  SmScanType type;
  char *custom_name; /* SM_SCAN_CUSTOM */
  SmConfidence confidence;
  char *part;     /* "0" subject, "1.2", ... */
  char *source;   /* "subject", "body", "attachment" */
  char *filename; /* attachment name or NULL */
  guint64 start, end, line;
  gboolean quoted;
  char *masked;
  char *value; /* only ever printed on explicit request */
} SmScanFinding;

typedef struct
{
  guint threshold; /* matches of the pattern needed */
  guint matches;   /* matches found so far */
  char *action;
} SmScanCustomRule;

struct _SmScanReport
{
  GPtrArray *findings; /* SmScanFinding* */
  SmConfidence threshold;
  GHashTable *custom; /* name -> SmScanCustomRule* */
  GPtrArray *skipped; /* char*: parts not scanned, for people */
  gboolean truncated; /* SM_LIMIT_SCAN_FINDINGS reached */
  guint64 bytes_scanned;
  guint parts_scanned;
};

SmScanReport *sm_scan_report_new(const SmScanPolicy *policy);
/* Copies @hit into the report; FALSE when the findings limit is reached. */
gboolean sm_scan_report_add(SmScanReport *report, const SmScanHit *hit, const char *part,
                            const char *source, const char *filename, guint64 max_findings);
/* TRUE when @f counts: at or above the confidence threshold and, for org patterns, with enough
 * matches of its pattern in the message. */
gboolean sm_scan_report_counts(const SmScanReport *report, const SmScanFinding *f);
/* The contract's type string of @f ("US_SSN", "CUSTOM:name"); free it. */
char *sm_scan_finding_type(const SmScanFinding *f);

/* Compiled org patterns of a policy (SmScanPattern*), used by the scanner. */
const GPtrArray *sm_scan_policy_patterns(const SmScanPolicy *policy);
const char *sm_scan_pattern_name(const SmScanPattern *pattern);
/* Runs one org pattern over @text[from, to) (matches may extend to @len); calls @func per match
 * with offsets relative to @base. */
void sm_scan_pattern_run(const SmScanPattern *pattern, const char *text, gsize len, gsize from,
                         gsize to, guint64 base, SmScanHitFunc func, gpointer user_data);

/* Copies @n bytes of scanned text (not NUL-terminated, unlike what g_strlcpy needs) into @dest
 * of @size bytes, cut to fit, NUL-terminated. */
static inline void
sm_scan_copy(char *dest, gsize size, const guint8 *src, gsize n)
{
  n = MIN(n, size - 1);
  memcpy(dest, src, n);
  dest[n] = '\0';
}

/* Masks @value (ASCII) keeping separators and the last @keep alnum characters. */
void sm_scan_mask(const char *value, guint keep, guint keep_prefix, char out[96]);

/* ---- text of MIME parts (sm-scan-text.c) ---- */
/* Streaming HTML to text: tags dropped, entities decoded, hidden text kept, <br>/<p> become
 * newlines and <blockquote> content is prefixed with "> " so that it is marked quoted. */
typedef struct _SmHtmlText SmHtmlText;
SmHtmlText *sm_html_text_new(void);
/* Appends the text of @len more HTML bytes to @out. */
void sm_html_text_feed(SmHtmlText *html, const char *data, gsize len, GString *out);
void sm_html_text_free(SmHtmlText *html);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SmHtmlText, sm_html_text_free)

typedef enum
{
  SM_TEXT_PLAIN,
  SM_TEXT_HTML
} SmTextKind;
/* Decodes the transfer encoding and charset of @part and feeds UTF-8 text (HTML converted) to
 * @scanner in chunks, at most @max_bytes. Sets *@truncated when the limit cut it. */
gboolean sm_scan_text_part(GMimePart *part, SmTextKind kind, SmScanner *scanner, guint64 max_bytes,
                           gboolean *truncated, GError **error);
/* Decodes the transfer encoding of @part into memory, at most @max_bytes (else NULL with
 * SM_ERROR_LIMIT). */
GBytes *sm_scan_text_decode_part(GMimePart *part, guint64 max_bytes, GError **error);

/* ---- attachments (sm-scan-extract.c) ---- */
typedef enum
{
  SM_EXTRACT_NONE,
  SM_EXTRACT_PDF,
  SM_EXTRACT_DOCX,
  SM_EXTRACT_XLSX,
  SM_EXTRACT_ODF,
} SmExtractKind;

/* Which extractor fits a content type / file name. */
SmExtractKind sm_scan_extract_kind(const char *mime_type, const char *filename);
/* Extracts the text of @data and feeds it to @scanner, within SM_LIMIT_EXTRACT_TEXT_BYTES,
 * SM_LIMIT_EXTRACT_XML_BYTES and SM_LIMIT_EXTRACT_ENTRIES (*@truncated when one cut it). */
gboolean sm_scan_extract(SmExtractKind kind, GBytes *data, SmScanner *scanner,
                         const SmLimits *limits, gboolean *truncated, GError **error);

G_END_DECLS
