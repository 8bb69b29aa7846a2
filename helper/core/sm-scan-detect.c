/* sm-scan-detect: the one-pass candidate scanner over decoded UTF-8 text.
 *
 * A hand-written scanner: a SIMD skip finds the few bytes that can start a candidate (digits,
 * full-width digits, '@', the byte after a space for the medical vocabulary); a digit run is
 * collected with its grouping (spaces, dashes, dots, slashes, non-breaking and full-width
 * separators) and handed to the validators by length and layout, longest span first. Letters
 * directly before digits select IBAN, UK NINO, ICD-10 and the context-only passport/licence
 * forms. Context words are looked up only around candidates, never over the whole text.
 *
 * Streaming: text arrives in chunks; the scanner keeps SCAN_KEEP_BEFORE bytes of context before
 * the scan position and never starts a candidate in the last SCAN_TAIL bytes of a chunk until
 * more text (or the end) arrives, so matches across chunk boundaries are found and memory stays
 * at about SCAN_CHUNK bytes whatever the input size. */
#define _GNU_SOURCE /* memmem, memrchr */
#include "sm-scan-private.h"

#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define SCAN_CHUNK (256 * 1024) /* text scanned per round */
#define SCAN_CTX_BEFORE 64      /* context window before a match */
#define SCAN_CTX_AFTER 40       /* context window after a match */
#define SCAN_NAME_BEFORE 80     /* window searched for a person's name */
#define SCAN_TOKEN_MAX 160      /* bytes one candidate may span */
#define SCAN_TAIL (SCAN_TOKEN_MAX + SCAN_CTX_AFTER)
#define SCAN_KEEP_BEFORE 128
#define TOK_MAX_DIGITS SM_TOK_MAX_DIGITS
#define TOK_MAX_GROUPS SM_TOK_MAX_GROUPS
#define TOK_RANGE_GROUPS SM_TOK_RANGE_GROUPS

struct _SmScanner
{
  GByteArray *buf;
  gsize scan_from; /* first byte of buf not yet scanned by the built-in detectors */
  gsize pat_from;  /* same for the org patterns */
  guint64 base;    /* absolute offset of buf[0] */
  guint64 total;
  const GPtrArray *patterns;
  SmScanHitFunc func;
  gpointer user_data;
  /* line tracking, lazily advanced */
  gsize line_pos;
  guint64 line;
  gboolean line_quoted;
  gboolean forwarded;
  const guint8 *medical_filter;
};

/* ---------- bytes ---------- */

gsize
sm_scan_digit_at(const guint8 *b, gsize p, gsize len, char *out)
{
  if (b[p] >= '0' && b[p] <= '9')
    {
      *out = (char)b[p];
      return 1;
    }
  /* U+FF10..U+FF19 FULLWIDTH DIGIT ZERO..NINE */
  if (b[p] == 0xEF && p + 2 < len && b[p + 1] == 0xBC && b[p + 2] >= 0x90 && b[p + 2] <= 0x99)
    {
      *out = (char)('0' + (b[p + 2] - 0x90));
      return 3;
    }
  return 0;
}

/* Separators allowed between digit groups, normalised to ' ', '-', '.', '/', '+'. */
gsize
sm_scan_sep_at(const guint8 *b, gsize p, gsize len, char *kind)
{
  switch (b[p])
    {
      case ' ':
      case '-':
      case '.':
      case '/':
      case '+':
        *kind = (char)b[p];
        return 1;
      case 0xC2: /* U+00A0 NO-BREAK SPACE */
        if (p + 1 < len && b[p + 1] == 0xA0)
          {
            *kind = ' ';
            return 2;
          }
        return 0;
      case 0xE2: /* U+2009 thin space, U+202F narrow NBSP; U+2010..2013 hyphens and en dash */
        if (p + 2 < len && b[p + 1] == 0x80 && (b[p + 2] == 0x89 || b[p + 2] == 0xAF))
          {
            *kind = ' ';
            return 3;
          }
        if (p + 2 < len && b[p + 1] == 0x80 && b[p + 2] >= 0x90 && b[p + 2] <= 0x93)
          {
            *kind = '-';
            return 3;
          }
        return 0;
      case 0xE3: /* U+3000 IDEOGRAPHIC SPACE */
        if (p + 2 < len && b[p + 1] == 0x80 && b[p + 2] == 0x80)
          {
            *kind = ' ';
            return 3;
          }
        return 0;
      case 0xEF: /* U+FF0D FULLWIDTH HYPHEN-MINUS */
        if (p + 2 < len && b[p + 1] == 0xBC && b[p + 2] == 0x8D)
          {
            *kind = '-';
            return 3;
          }
        return 0;
      default:
        return 0;
    }
}

static inline gboolean
is_alpha(guint8 c)
{
  return (guint8)((c | 0x20) - 'a') < 26;
}

static inline gboolean
is_alnum(guint8 c)
{
  return is_alpha(c) || (guint8)(c - '0') < 10;
}

/* ---------- lines, quoting ---------- */

static gboolean
line_is_quoted(const guint8 *b, gsize p, gsize len)
{
  while (p < len && (b[p] == ' ' || b[p] == '\t'))
    p++;
  return p < len && b[p] == '>';
}

static const char *const forward_words[]
    = { "original",      "forward",        "transf", "origine", "vidarebefordra",
        "ursprüngliche", "weitergeleitet", "转发",   "原始",    NULL };

/* A forwarded-message separator line ("---------- Forwarded message ---------") in
 * [from, to): everything after it is quoted. */
/* A forwarded-message separator line at @p ("---------- Forwarded message ---------",
 * "-----Original Message-----", "Begin forwarded message:"): everything after it is quoted. */
static gboolean
forward_marker_at(const guint8 *b, gsize p, gsize len)
{
  if (p + 24 <= len && memcmp(b + p, "Begin forwarded message:", 24) == 0)
    return TRUE;
  if (p + 5 > len || memcmp(b + p, "-----", 5) != 0)
    return FALSE;
  const guint8 *nl = memchr(b + p, '\n', MIN(len - p, (gsize)120));
  gsize n = nl != NULL ? (gsize)(nl - b) - p : MIN(len - p, (gsize)120);
  char low[128];
  for (gsize i = 0; i < n; i++)
    low[i] = g_ascii_tolower(b[p + i]);
  for (gsize k = 0; forward_words[k] != NULL; k++)
    if (memmem(low, n, forward_words[k], strlen(forward_words[k])) != NULL)
      return TRUE;
  return FALSE;
}

/* Newlines in [from, to); with @forward, also looks at the start of each line for a forward
 * marker (lines are counted anyway, so this costs one byte test per line). */
static guint64
count_newlines(const guint8 *b, gsize from, gsize to, gsize len, gboolean *forward)
{
  guint64 n = 0;
  gsize i = from;
#if defined(__SSE2__)
  const __m128i nl = _mm_set1_epi8('\n');
  for (; i + 16 <= to; i += 16)
    {
      __m128i v = _mm_loadu_si128((const __m128i *)(b + i));
      /* a loop rather than popcount, which x86-64 baseline lacks; newlines are few per block */
      for (unsigned m = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, nl)); m != 0; m &= m - 1)
        {
          n++;
          gsize q = i + (gsize)__builtin_ctz(m) + 1;
          if (forward != NULL && q < len && (b[q] == '-' || b[q] == 'B') && !*forward)
            *forward = forward_marker_at(b, q, len);
        }
    }
#endif
  for (; i < to; i++)
    if (b[i] == '\n')
      {
        n++;
        if (forward != NULL && i + 1 < len && (b[i + 1] == '-' || b[i + 1] == 'B') && !*forward)
          *forward = forward_marker_at(b, i + 1, len);
      }
  return n;
}

/* Moves the line tracker forward to @pos (a position in buf). */
static void
advance_lines(SmScanner *sc, gsize pos)
{
  const guint8 *b = sc->buf->data;
  if (pos <= sc->line_pos)
    return;
  sc->line += count_newlines(b, sc->line_pos, pos, sc->buf->len, &sc->forwarded);
  const guint8 *nl = memrchr(b + sc->line_pos, '\n', pos - sc->line_pos);
  if (nl != NULL)
    sc->line_quoted = line_is_quoted(b, (gsize)(nl - b) + 1, sc->buf->len);
  sc->line_pos = pos;
}

static void
locate(SmScanner *sc, gsize pos, guint64 *line, gboolean *quoted)
{
  const guint8 *b = sc->buf->data;
  if (pos >= sc->line_pos)
    {
      advance_lines(sc, pos);
      *line = sc->line;
      *quoted = sc->line_quoted || sc->forwarded;
      return;
    }
  /* an earlier position (org patterns, names): count back */
  *line = sc->line - count_newlines(b, pos, sc->line_pos, sc->buf->len, NULL);
  const guint8 *nl = pos > 0 ? memrchr(b, '\n', pos) : NULL;
  *quoted = nl != NULL ? line_is_quoted(b, (gsize)(nl - b) + 1, sc->buf->len) : sc->line_quoted;
  *quoted = *quoted || sc->forwarded;
}

/* ---------- emitting ---------- */

/* The context window of [s, e): up to @before bytes back, not beyond the previous line (a label
 * often sits on the line above), and up to SCAN_CTX_AFTER bytes on the same line. *@lo_same is
 * where the window of identifiers without a check digit starts: their own line, or the line
 * above when the match starts its line, so that a label does not leak onto the next line. */
static void
window(const SmScanner *sc, gsize s, gsize e, gsize before, gsize *lo, gsize *lo_same, gsize *hi)
{
  const guint8 *b = sc->buf->data;
  gsize start = s > before ? s - before : 0;
  gsize end = MIN(sc->buf->len, e + SCAN_CTX_AFTER);
  const guint8 *nl = s > start ? memrchr(b + start, '\n', s - start) : NULL;
  gboolean starts_line = nl != NULL;
  for (const guint8 *p = nl != NULL ? nl + 1 : b + s; p < b + s && starts_line; p++)
    starts_line = *p == ' ' || *p == '\t' || *p == '\r' || *p == '>';
  *lo = start;
  if (nl != NULL && (gsize)(nl - b) > start)
    {
      const guint8 *nl2 = memrchr(b + start, '\n', (gsize)(nl - b) - start);
      if (nl2 != NULL)
        *lo = (gsize)(nl2 - b) + 1;
    }
  *lo_same = nl != NULL && !starts_line ? (gsize)(nl - b) + 1 : *lo;
  const guint8 *after = e < end ? memchr(b + e, '\n', end - e) : NULL;
  *hi = after != NULL ? (gsize)(after - b) : end;
}

static gboolean
is_cmr_type(SmScanType t)
{
  return t == SM_SCAN_US_SSN || t == SM_SCAN_CREDIT_CARD || t == SM_SCAN_IBAN
         || t == SM_SCAN_US_BANK_ACCOUNT || t == SM_SCAN_US_DRIVER_LICENSE;
}

static void
emit_raw(SmScanner *sc, SmScanHit *hit, gsize s, gsize e, gsize at)
{
  hit->start = sc->base + s;
  hit->end = sc->base + e;
  locate(sc, at, &hit->line, &hit->quoted);
  sc->func(hit, sc->user_data);
}

void
sm_scanner_emit(SmScanner *sc, SmScanType type, SmConfidence conf, gsize s, gsize e,
                const char *value, guint keep, guint keep_prefix)
{
  SmScanHit hit = { .type = type, .confidence = conf };
  g_strlcpy(hit.value, value, sizeof hit.value);
  sm_scan_mask(hit.value, keep, keep_prefix, hit.masked);
  emit_raw(sc, &hit, s, e, s);
  if (!is_cmr_type(type) || conf < SM_CONF_MEDIUM)
    return;
  /* 201 CMR 17.02: a name next to the identifier makes it "personal information". */
  const char *text = (const char *)sc->buf->data;
  gsize ws, ws_same, we;
  window(sc, s, e, SCAN_NAME_BEFORE, &ws, &ws_same, &we);
  gsize ns, ne;
  char initials[16];
  if (!sm_scan_context_find_name(text, s, e, ws, we, &ns, &ne, initials))
    return;
  SmScanHit pid = hit;
  pid.type = SM_SCAN_PERSON_WITH_ID;
  g_snprintf(pid.masked, sizeof pid.masked, "%s %s", initials, hit.masked);
  emit_raw(sc, &pid, MIN(ns, s), MAX(ne, e), s);
}

/* ---------- tokens ---------- */

static gsize
collect(const guint8 *b, gsize s, gsize len, SmScanToken *t, gboolean *overflow)
{
  gsize p = s;
  t->nd = t->ng = 0;
  t->ctx_done = FALSE;
  t->cut = FALSE;
  *overflow = FALSE;
  for (;;)
    {
      t->gstart[t->ng] = p;
      t->gfirst[t->ng] = t->nd;
      char c;
      gsize k;
      while (p < len && (k = sm_scan_digit_at(b, p, len, &c)) > 0)
        {
          if (t->nd < TOK_MAX_DIGITS)
            t->d[t->nd] = c;
          t->nd++;
          p += k;
        }
      t->gend[t->ng] = p;
      if (t->nd > TOK_MAX_DIGITS && t->ng > 0)
        {
          /* too many digits for one token: end it before this group, which starts the next */
          t->nd = t->gfirst[t->ng];
          p = t->gend[t->ng - 1];
          t->cut = TRUE;
          break;
        }
      if (t->nd > TOK_MAX_DIGITS)
        {
          /* one long digit string (tables, hashes): skip the rest of the run */
          *overflow = TRUE;
          while (p < len
                 && ((k = sm_scan_digit_at(b, p, len, &c)) > 0
                     || (k = sm_scan_sep_at(b, p, len, &c)) > 0))
            p += k;
          return p;
        }
      t->ng++;
      if (p >= len)
        break;
      if (t->ng == TOK_MAX_GROUPS)
        {
          t->cut = TRUE;
          break;
        }
      char kind;
      k = sm_scan_sep_at(b, p, len, &kind);
      if (k == 0 || p + k >= len || sm_scan_digit_at(b, p + k, len, &c) == 0)
        break;
      t->sep[t->ng] = kind;
      p += k;
    }
  t->gfirst[t->ng] = t->nd;
  t->d[MIN(t->nd, (guint)TOK_MAX_DIGITS)] = '\0';
  t->right_char = p < len ? (char)b[p] : '\0';
  t->right_alpha = p < len && is_alpha(b[p]);
  return p;
}

gboolean
sm_scanner_context(SmScanner *sc, SmScanToken *t, SmScanContext c, gsize s, gsize e)
{
  gboolean same_line
      = c == SM_CTX_BANK || c == SM_CTX_PASSPORT || c == SM_CTX_LICENSE || c == SM_CTX_PHONE;
  guint32 all, same;
  if (t != NULL && t->ctx_done)
    {
      all = t->ctx_all;
      same = t->ctx_same;
    }
  else
    {
      gsize lo, lo_same, hi;
      window(sc, s, e, SCAN_CTX_BEFORE, &lo, &lo_same, &hi);
      sm_scan_context_masks((const char *)sc->buf->data, lo, lo_same, hi, &all, &same);
      if (t != NULL)
        {
          t->ctx_done = TRUE;
          t->ctx_all = all;
          t->ctx_same = same;
        }
    }
  return ((same_line ? same : all) >> c) & 1;
}

static gboolean
eval_range(SmScanner *sc, SmScanToken *t, guint g0, guint g1)
{
  SmScanCand c = { .t = t, .g0 = g0, .g1 = g1 };
  c.spaces_dashes = TRUE;
  c.n = t->gfirst[g1] - t->gfirst[g0];
  if (c.n < 6 || c.n > 19 || g1 - g0 > TOK_RANGE_GROUPS)
    return FALSE;
  /* inside a longer run an identifier must be delimited by spaces, not by '.' or '/' */
  if ((g0 > 0 && t->sep[g0] != ' ') || (g1 < t->ng && t->sep[g1] != ' '))
    return FALSE;
  if (g1 == t->ng && t->right_alpha && !(c.n == 17 && (t->right_char | 0x20) == 'x'))
    return FALSE;
  c.d = t->d + t->gfirst[g0];
  c.ng = g1 - g0;
  c.s = t->gstart[g0];
  c.e = t->gend[g1 - 1];
  gsize vl = 0;
  for (guint g = g0; g < g1; g++)
    {
      c.lens[g - g0] = t->gfirst[g + 1] - t->gfirst[g];
      if (g > g0)
        {
          c.sep = c.sep == '\0' || c.sep == t->sep[g] ? t->sep[g] : '?';
          c.spaces_dashes &= t->sep[g] == ' ' || t->sep[g] == '-';
          c.value[vl++] = t->sep[g];
        }
      memcpy(c.value + vl, t->d + t->gfirst[g], c.lens[g - g0]);
      vl += c.lens[g - g0];
    }
  c.value[vl] = '\0';
  return sm_scan_detect_numeric(sc, &c);
}

/* Evaluates a token's ranges, longest first; returns the first group not examined. When the run
 * was cut, the last groups are left for the next token, which sees them with what follows. */
static guint
eval_token(SmScanner *sc, SmScanToken *t)
{
  guint keep = t->cut ? MIN(t->ng - 1, (guint)TOK_RANGE_GROUPS - 1) : 0;
  guint stop = t->ng - keep;
  guint g0 = 0;
  while (g0 < stop)
    {
      guint matched = 0;
      for (guint g1 = MIN(t->ng, g0 + TOK_RANGE_GROUPS); g1 > g0; g1--)
        {
          if (eval_range(sc, t, g0, g1))
            {
              matched = g1;
              break;
            }
        }
      g0 = matched != 0 ? matched : g0 + 1;
    }
  return g0;
}

/* A digit at @s: collects the run and tries every detector; returns where scanning resumes. */
static gsize
scan_digits(SmScanner *sc, gsize s, gsize len)
{
  const guint8 *b = sc->buf->data;
  guint8 left = s > 0 ? b[s - 1] : ' ';
  if (is_alpha(left) || (left == ' ' && s >= 3 && is_alpha(b[s - 2])))
    {
      gsize resume = sm_scan_detect_letter_prefixed(sc, s);
      if (resume > s)
        return resume;
    }
  SmScanToken t;
  gboolean overflow;
  gsize e = collect(b, s, len, &t, &overflow);
  if (overflow || is_alnum(left) || left == '_')
    return e;
  t.left = left;
  if (t.nd < 6 && t.ng == 1)
    {
      if (t.nd == 3 && left == '(')
        {
          gsize end = sm_scan_detect_paren_phone(sc, s);
          return MAX(e, end);
        }
      return e;
    }
  guint next = eval_token(sc, &t);
  return t.cut && next < t.ng ? t.gstart[next] : e;
}

/* A word starting at @p may be a medical term: test the prefix filter, then the vocabulary. */
static inline gsize
medical_at(SmScanner *sc, const guint8 *b, gsize p, gsize len)
{
  guint h;
  if (p + 4 > len)
    return 0;
  h = sm_scan_prefix_hash(b + p);
  if (!((sc->medical_filter[h >> 3] >> (h & 7)) & 1))
    return 0;
  return sm_scan_detect_medical_term(sc, p);
}

/* One byte that may start a candidate; returns where scanning resumes. */
static gsize
dispatch(SmScanner *sc, const guint8 *b, gsize i, gsize len)
{
  char dc;
  if (b[i] == '@')
    {
      gsize end = sm_scan_detect_email(sc, i);
      return MAX(end, i + 1);
    }
  if (sm_scan_digit_at(b, i, len, &dc) > 0)
    return scan_digits(sc, i, len);
  return i + 1;
}

static inline gboolean
special_byte(guint8 c)
{
  return (guint8)(c - '0') < 10 || c == '@' || c == 0xEF;
}

/* Scans [sc->scan_from, limit); candidates may read up to buf->len. 16 bytes at a time: one
 * mask of bytes that start candidates (digits, '@', the lead byte of full-width digits) and one
 * of spaces, after which the medical vocabulary filter is tested inline. */
static void
scan_builtin(SmScanner *sc, gsize limit)
{
  const guint8 *b = sc->buf->data;
  gsize len = sc->buf->len;
  gsize i = sc->scan_from;
#if defined(__SSE2__)
  const __m128i shift = _mm_set1_epi8((char)(0x80 - '0'));
  const __m128i ten = _mm_set1_epi8((char)(0x80 + 10));
  const __m128i at = _mm_set1_epi8('@');
  const __m128i ef = _mm_set1_epi8((char)0xEF);
  const __m128i sp = _mm_set1_epi8(' ');
  while (i + 16 <= limit)
    {
      __m128i v = _mm_loadu_si128((const __m128i *)(b + i));
      __m128i dig = _mm_cmplt_epi8(_mm_add_epi8(v, shift), ten);
      unsigned special = (unsigned)_mm_movemask_epi8(
          _mm_or_si128(dig, _mm_or_si128(_mm_cmpeq_epi8(v, at), _mm_cmpeq_epi8(v, ef))));
      unsigned spaces = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, sp));
      unsigned first = special != 0 ? (unsigned)__builtin_ctz(special) : 16;
      spaces &= (1u << first) - 1;
      gsize resume = 0;
      while (spaces != 0 && resume == 0)
        {
          resume = medical_at(sc, b, i + (gsize)__builtin_ctz(spaces) + 1, len);
          spaces &= spaces - 1;
        }
      if (resume != 0)
        i = resume;
      else if (special != 0)
        i = dispatch(sc, b, i + first, len);
      else
        i += 16;
    }
#endif
  for (; i < limit;)
    {
      if (b[i] == ' ')
        {
          gsize resume = medical_at(sc, b, i + 1, len);
          i = resume != 0 ? resume : i + 1;
        }
      else if (special_byte(b[i]))
        i = dispatch(sc, b, i, len);
      else
        i++;
    }
  sc->scan_from = MAX(i, limit);
}

static void
pattern_hit(const SmScanHit *hit, gpointer user_data)
{
  SmScanner *sc = user_data;
  SmScanHit h = *hit;
  locate(sc, (gsize)(h.start - sc->base), &h.line, &h.quoted);
  sc->func(&h, sc->user_data);
}

static void
process(SmScanner *sc, gboolean final)
{
  gsize len = sc->buf->len;
  gsize limit = final ? len : (len > SCAN_TAIL ? len - SCAN_TAIL : 0);
  if (sc->patterns != NULL && limit > sc->pat_from)
    {
      for (guint k = 0; k < sc->patterns->len; k++)
        sm_scan_pattern_run(g_ptr_array_index(sc->patterns, k), (const char *)sc->buf->data, len,
                            sc->pat_from, limit, sc->base, pattern_hit, sc);
    }
  sc->pat_from = MAX(sc->pat_from, limit);
  if (limit > sc->scan_from)
    scan_builtin(sc, limit);
  if (final)
    return;
  gsize keep_from = MIN(sc->scan_from, sc->pat_from);
  gsize drop = keep_from > SCAN_KEEP_BEFORE ? keep_from - SCAN_KEEP_BEFORE : 0;
  if (drop == 0)
    return;
  advance_lines(sc, drop);
  g_byte_array_remove_range(sc->buf, 0, (guint)drop);
  sc->base += drop;
  sc->scan_from -= drop;
  sc->pat_from -= drop;
  sc->line_pos -= drop;
}

SmScanner *
sm_scanner_new(const GPtrArray *patterns, SmScanHitFunc func, gpointer user_data)
{
  SmScanner *sc = g_new0(SmScanner, 1);
  sc->medical_filter = sm_scan_context_medical_filter();
  sc->buf = g_byte_array_new(); /* grows to about SCAN_CHUNK on large input */
  sc->patterns = patterns;
  sc->func = func;
  sc->user_data = user_data;
  sc->line = 1;
  return sc;
}

void
sm_scanner_feed(SmScanner *sc, const char *data, gsize len)
{
  while (len > 0)
    {
      gsize room = SCAN_CHUNK + SCAN_TAIL + SCAN_KEEP_BEFORE - MIN(sc->buf->len, (gsize)SCAN_CHUNK);
      gsize n = MIN(len, room);
      g_byte_array_append(sc->buf, (const guint8 *)data, (guint)n);
      sc->total += n;
      data += n;
      len -= n;
      if (sc->buf->len - MIN(sc->scan_from, sc->pat_from) >= SCAN_CHUNK)
        process(sc, FALSE);
    }
}

void
sm_scanner_finish(SmScanner *sc)
{
  process(sc, TRUE);
}

const guint8 *
sm_scanner_text(const SmScanner *sc, gsize *len)
{
  *len = sc->buf->len;
  return sc->buf->data;
}

guint64
sm_scanner_bytes(const SmScanner *sc)
{
  return sc->total;
}

void
sm_scanner_free(SmScanner *sc)
{
  if (sc == NULL)
    return;
  g_byte_array_unref(sc->buf);
  g_free(sc);
}

void
sm_scan_mask(const char *value, guint keep, guint keep_prefix, char out[96])
{
  gsize n = strlen(value), alnum = 0, seen = 0, o = 0;
  for (gsize i = 0; i < n; i++)
    alnum += is_alnum((guint8)value[i]);
  for (gsize i = 0; i < n && o < 95; i++)
    {
      guint8 c = (guint8)value[i];
      if (is_alnum(c))
        {
          seen++;
          out[o++] = (seen <= keep_prefix || seen + keep > alnum) ? (char)c : '*';
        }
      else
        {
          out[o++] = (char)c;
        }
    }
  out[o] = '\0';
}
