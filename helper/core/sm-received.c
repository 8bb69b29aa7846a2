/* sm-received: one Received field (RFC 5321 section 4.4 "Stamp", RFC 5322 section 3.6.7
 * "received") parsed into its clauses: FROM with the client's HELO name, reverse-DNS name and IP
 * address, BY, VIA, WITH, ID, FOR, and the date-time after the last ';' outside comments.
 *
 * The field is lexed into RFC 5322 tokens (sm-path-lexer: comments nest, quoted strings and
 * angle addresses are single tokens). Clauses are keyword atoms followed by their value; each
 * keyword is taken once, so text such as "for <a> from <b>" after a banner cannot overwrite
 * earlier clauses. Every comment is examined for TLS facts (sm-received-tls.c) whichever clause
 * it follows; comments in the FROM clause are also read as TCP-info in the shapes MTAs write:
 *   Postfix, Sendmail  from HELO (RDNS [IP])         Exim    from RDNS ([IP]:port helo=HELO)
 *   qmail              from RDNS (HELO name) (IP)    Exchange from HELO (IP)
 * The address the receiver recorded in TCP-info wins over an address literal written as the
 * FROM value, because that one is the client's own HELO argument.
 * Limits: SM_LIMIT_RECEIVED_BYTES (longer fields are not parsed at all); words per comment;
 * characters kept per value. */
#include "sm-json.h"
#include "sm-path-lexer-private.h"
#include "sm-received-private.h"

#include <gio/gio.h>
#include <gmime/gmime.h>
#include <string.h>

/* Longest text kept for one clause value; longer values are cut (with an ellipsis). */
#define FIELD_MAX_CHARS 255
/* Words examined in one comment; TLS comments have about a dozen. */
#define COMMENT_MAX_WORDS 64

typedef enum
{
  CLAUSE_NONE,
  CLAUSE_FROM,
  CLAUSE_BY,
  CLAUSE_VIA,
  CLAUSE_WITH,
  CLAUSE_ID,
  CLAUSE_FOR,
  CLAUSE_TLS,
  CLAUSE_COUNT
} Clause;

static const char *const clause_words[CLAUSE_COUNT] = {
  [CLAUSE_FROM] = "from", [CLAUSE_BY] = "by",   [CLAUSE_VIA] = "via", [CLAUSE_WITH] = "with",
  [CLAUSE_ID] = "id",     [CLAUSE_FOR] = "for", [CLAUSE_TLS] = "tls",
};

typedef struct
{
  SmReceivedTlsState tls;
  SmReceived *r;
  gboolean seen[CLAUSE_COUNT];
  Clause clause;          /* the clause whose value or comments come next */
  gboolean value_done;    /* the current clause's value has been read */
  guint from_comments;    /* TCP-info comments examined after FROM */
  gboolean helo_explicit; /* the TCP-info named the HELO, so FROM is the rDNS name */
  gboolean ip_from_value; /* r->ip came from the FROM value, not from TCP-info */
  char *prev_atom;        /* the previous atom outside comments */
  GString *with;
  guint with_atoms;
} Parser;

/* ---- helpers shared with sm-received-tls.c ------------------------------------------------ */

char *
sm_received_clean(const char *text, gsize len)
{
  /* the common case, printable ASCII, needs no UTF-8 repair */
  gsize i = 0;
  while (i < len && i < FIELD_MAX_CHARS && text[i] >= 0x20 && text[i] < 0x7f)
    i++;
  if (i == len)
    return g_strndup(text, len);
  return sm_json_sanitize(text, len, FIELD_MAX_CHARS);
}

gboolean
sm_received_has_prefix(const char *s, const char *prefix)
{
  return g_ascii_strncasecmp(s, prefix, strlen(prefix)) == 0;
}

gboolean
sm_received_has_suffix(const char *s, const char *suffix)
{
  gsize n = strlen(s), m = strlen(suffix);
  return n >= m && g_ascii_strcasecmp(s + n - m, suffix) == 0;
}

void
sm_received_set_mta(SmReceived *r, const char *family)
{
  if (r->mta == NULL)
    r->mta = family;
}

static void
set_string(char **field, const char *text, gsize len)
{
  if (*field == NULL && len > 0)
    *field = sm_received_clean(text, len);
}

/* ---- addresses ---------------------------------------------------------------------------- */

/* @s as an IP address in canonical form (IPv4-mapped IPv6 as IPv4), or NULL. Accepts an
 * "IPv6:" prefix (RFC 5321 address literal), a zone ("%6"), an IPv4 ":port", and Exim 3's
 * "a.b.c.d.port". */
static char *
canonical_ip(char *s)
{
  if (sm_received_has_prefix(s, "IPv6:"))
    s += 5;
  char *zone = strchr(s, '%');
  if (zone != NULL)
    *zone = '\0';
  char *colon = strchr(s, ':');
  if (colon != NULL && strchr(colon + 1, ':') == NULL && strchr(s, '.') != NULL)
    *colon = '\0';
  g_auto(GStrv) parts = g_strsplit(s, ".", 6);
  if (g_strv_length(parts) == 5 && strchr(s, ':') == NULL)
    *strrchr(s, '.') = '\0';
  g_autoptr(GInetAddress) a = g_inet_address_new_from_string(s);
  if (a == NULL)
    return NULL;
  const guint8 *b = g_inet_address_to_bytes(a);
  if (g_inet_address_get_family(a) == G_SOCKET_FAMILY_IPV6
      && memcmp(b, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) == 0)
    return g_strdup_printf("%u.%u.%u.%u", b[12], b[13], b[14], b[15]);
  return g_inet_address_to_string(a);
}

/* An IP address inside a word: "[1.2.3.4]", "unknown[1.2.3.4]", "[1.2.3.4]:2780",
 * "user@[1.2.3.4]", "ident@1.2.3.4" (qmail), "[IPv6:2001:db8::1]", or a bare address. */
static char *
word_ip(const char *word, gsize len)
{
  g_autofree char *s = g_strndup(word, len);
  char *open = strchr(s, '[');
  if (open != NULL)
    {
      char *close = strchr(open + 1, ']');
      if (close != NULL)
        *close = '\0';
      return canonical_ip(open + 1);
    }
  char *at = strrchr(s, '@');
  return canonical_ip(at != NULL ? at + 1 : s);
}

static gboolean
is_host_name(const char *s)
{
  if (*s == '\0' || g_ascii_strcasecmp(s, "unknown") == 0)
    return FALSE;
  for (const char *p = s; *p != '\0'; p++)
    if (!g_ascii_isalnum(*p) && strchr("-._", *p) == NULL)
      return FALSE;
  return TRUE;
}

static void
set_ip(Parser *ps, char *ip, gboolean from_value)
{
  SmReceived *r = ps->r;
  if (ip == NULL)
    return;
  if (r->ip != NULL && !(ps->ip_from_value && !from_value))
    {
      g_free(ip);
      return;
    }
  g_free(r->ip);
  r->ip = ip;
  ps->ip_from_value = from_value;
}

/* TCP-info after FROM: "(rdns [ip])", "([ip] helo=name)", "(HELO name) (ip)", "(ip)". */
static void
tcp_info(Parser *ps, GPtrArray *w)
{
  SmReceived *r = ps->r;
  for (guint i = 0; i < w->len; i++)
    {
      const char *x = w->pdata[i];
      gboolean helo_word = g_ascii_strcasecmp(x, "HELO") == 0 || g_ascii_strcasecmp(x, "EHLO") == 0
                           || g_ascii_strcasecmp(x, "LHLO") == 0;
      if (sm_received_has_prefix(x, "helo="))
        {
          g_free(r->helo);
          r->helo = sm_received_clean(x + 5, strlen(x + 5));
          ps->helo_explicit = TRUE;
        }
      else if (helo_word && i + 1 < w->len)
        {
          if (i == 0) /* qmail's "(HELO name) (ip)" */
            sm_received_set_mta(r, "qmail");
          const char *h = w->pdata[++i];
          g_free(r->helo);
          r->helo = sm_received_clean(h, strlen(h));
          ps->helo_explicit = TRUE;
        }
      else if (strchr(x, '=') == NULL)
        {
          char *ip = word_ip(x, strlen(x));
          if (ip != NULL)
            set_ip(ps, ip, FALSE);
          else if (i == 0 && is_host_name(x)
                   && (strchr(x, '.') != NULL || g_ascii_strcasecmp(x, "localhost") == 0))
            set_string(&r->rdns, x, strlen(x));
        }
    }
}

static void
handle_comment(Parser *ps, const SmLexToken *t)
{
  g_autofree char *text = sm_path_lexer_text(t);
  g_autoptr(GPtrArray) w = sm_path_lexer_words(text, strlen(text), COMMENT_MAX_WORDS);
  gboolean about_tls = sm_received_tls_comment(&ps->tls, text, w);
  sm_received_mta_comment(ps->r, text);
  if (about_tls)
    return;
  if (ps->clause == CLAUSE_FROM && ps->from_comments++ < 2)
    {
      tcp_info(ps, w);
    }
  else if (ps->clause == CLAUSE_NONE && !ps->seen[CLAUSE_FROM] && w->len >= 2
           && g_ascii_strcasecmp(w->pdata[0], "from") == 0)
    {
      /* "(from KRYPTIK [70.20.57.51]) by ..." and Sendmail's "(from user@localhost) by ..." */
      const char *name = w->pdata[1];
      set_string(&ps->r->from, name, strlen(name));
      g_ptr_array_remove_range(w, 0, 2);
      tcp_info(ps, w);
    }
}

/* ---- clauses ------------------------------------------------------------------------------ */

static Clause
keyword(const SmLexToken *t)
{
  for (int c = CLAUSE_FROM; c < CLAUSE_COUNT; c++)
    if (sm_path_lexer_is(t, clause_words[c]))
      return c;
  return CLAUSE_NONE;
}

static void
clause_value(Parser *ps, const SmLexToken *token)
{
  SmReceived *r = ps->r;
  SmLexToken trimmed = *token;
  const SmLexToken *t = &trimmed;
  /* "by st.tahina.priv.at, id ...": the comma is not part of the name (RFC 5322 specials) */
  while (trimmed.len > 1 && trimmed.start[trimmed.len - 1] == ',')
    trimmed.len--;
  switch (ps->clause)
    {
      case CLAUSE_FROM:
        set_string(&r->from, t->start, t->len);
        set_ip(ps, word_ip(t->start, t->len), TRUE);
        break;
      case CLAUSE_BY:
        set_string(&r->by, t->start, t->len);
        break;
      case CLAUSE_VIA:
        set_string(&r->via, t->start, t->len);
        break;
      case CLAUSE_ID:
        set_string(&r->id, t->start, t->len);
        break;
      case CLAUSE_FOR:
        set_string(&r->for_addr, t->start, t->len);
        break;
      case CLAUSE_TLS: /* Exim >= 4.93: "tls TLS_AES_256_GCM_SHA384" */
        set_string(&r->cipher, t->start, t->len);
        ps->tls.explicit_tls = TRUE;
        break;
      default:
        break;
    }
  ps->value_done = TRUE;
}

/* Atoms outside comments that carry meaning whatever clause they are in. */
static void
loose_atom(Parser *ps, const SmLexToken *t)
{
  g_autofree char *word = g_strndup(t->start, t->len);
  const char *prev = ps->prev_atom != NULL ? ps->prev_atom : "";
  /* IIS: "by host over TLS secured channel with Microsoft SMTPSVC" */
  if (g_ascii_strcasecmp(prev, "secured") == 0 && g_ascii_strcasecmp(word, "channel") == 0)
    ps->tls.explicit_tls = TRUE;
  /* MessageLabs' qmail-tls: "with AES256-GCM-SHA384 encrypted SMTP" */
  if (g_ascii_strcasecmp(word, "encrypted") == 0 && strpbrk(prev, "-_") != NULL)
    {
      if (ps->r->cipher == NULL)
        ps->r->cipher = sm_received_clean(prev, strlen(prev));
      ps->tls.explicit_tls = TRUE;
    }
  /* "from host [1.2.3.4] by": an address literal after the FROM value */
  if (ps->clause == CLAUSE_FROM && ps->value_done && t->start[0] == '[')
    set_ip(ps, word_ip(t->start, t->len), FALSE);
  sm_received_tls_atom(&ps->tls, word);
  g_free(ps->prev_atom);
  ps->prev_atom = g_steal_pointer(&word);
}

static void
with_atom(Parser *ps, const SmLexToken *t)
{
  if (ps->with_atoms++ > 0)
    g_string_append_c(ps->with, ' ');
  g_string_append_len(ps->with, t->start, t->len);
  /* "IBM ESMTP SMTP Gateway: Authorized Use Only!" ends at the colon */
  if (t->start[t->len - 1] == ':')
    ps->value_done = TRUE;
}

static void
clause_token(Parser *ps, const SmLexToken *t)
{
  Clause kw = keyword(t);
  if (kw != CLAUSE_NONE && !ps->seen[kw] && (kw != CLAUSE_TLS || ps->seen[CLAUSE_WITH]))
    {
      ps->seen[kw] = TRUE;
      ps->clause = kw;
      ps->value_done = FALSE;
      return;
    }
  if (t->kind == SM_LEX_COMMENT)
    {
      handle_comment(ps, t);
      /* the WITH text stops at its first comment ("esmtp (Exim 4.84)"), unless none was read */
      if (ps->clause == CLAUSE_WITH && ps->with_atoms > 0)
        ps->value_done = TRUE;
      return;
    }
  if (t->kind == SM_LEX_SPECIAL)
    return;
  if (t->kind == SM_LEX_ATOM)
    loose_atom(ps, t);
  if (ps->clause == CLAUSE_WITH && !ps->value_done && t->kind == SM_LEX_ATOM)
    {
      with_atom(ps, t);
      return;
    }
  if (ps->clause == CLAUSE_WITH && ps->with_atoms > 0)
    ps->value_done = TRUE;
  if (ps->clause != CLAUSE_NONE && !ps->value_done)
    clause_value(ps, t);
}

/* ---- the whole field ---------------------------------------------------------------------- */

static void
parse_date(SmReceived *r, GString *text)
{
  if (text->len == 0)
    return;
  g_autoptr(GDateTime) dt = g_mime_utils_header_decode_date(text->str);
  if (dt == NULL)
    return;
  r->date = g_date_time_to_unix(dt);
  r->has_date = TRUE;
}

/* Postfix and Sendmail write "from HELO (RDNS [IP])"; Exim and qmail "from RDNS (... HELO)". */
static void
split_from(Parser *ps)
{
  SmReceived *r = ps->r;
  if (r->from == NULL || r->from[0] == '[')
    return;
  if (ps->helo_explicit && is_host_name(r->from))
    set_string(&r->rdns, r->from, strlen(r->from));
  else if (!ps->helo_explicit)
    set_string(&r->helo, r->from, strlen(r->from));
}

static void
walk_tokens(Parser *ps, const char *raw, gsize len)
{
  g_autoptr(GArray) tokens = g_array_new(FALSE, FALSE, sizeof(SmLexToken));
  SmLexer lx;
  SmLexToken t;
  guint last_semi = G_MAXUINT;
  sm_path_lexer_init(&lx, raw, len, ";");
  while (sm_path_lexer_next(&lx, &t))
    {
      if (t.kind == SM_LEX_SPECIAL && t.start[0] == ';')
        last_semi = tokens->len;
      g_array_append_val(tokens, t);
    }
  g_autoptr(GString) date = g_string_new(NULL);
  for (guint i = 0; i < tokens->len; i++)
    {
      const SmLexToken *tok = &g_array_index(tokens, SmLexToken, i);
      if (last_semi == G_MAXUINT || i < last_semi)
        {
          clause_token(ps, tok);
        }
      else if (tok->kind == SM_LEX_COMMENT)
        {
          ps->clause = CLAUSE_NONE;
          handle_comment(ps, tok);
        }
      else if (i > last_semi)
        {
          if (date->len > 0)
            g_string_append_c(date, ' ');
          g_string_append_len(date, tok->start, tok->len);
        }
    }
  parse_date(ps->r, date);
}

SmReceived *
sm_received_parse(const char *raw, gsize len, const SmLimits *limits)
{
  g_return_val_if_fail(raw != NULL || len == 0, NULL);
  g_autoptr(SmReceived) r = g_new0(SmReceived, 1);
  if (len > sm_limits_get(limits, SM_LIMIT_RECEIVED_BYTES))
    {
      r->too_long = TRUE;
      r->mta = "unknown";
      return g_steal_pointer(&r);
    }
  g_autoptr(GString) with = g_string_new(NULL);
  Parser ps = { .tls = { .r = r }, .r = r, .with = with };
  walk_tokens(&ps, raw, len);
  g_free(ps.prev_atom);
  if (with->len > 0 && with->str[with->len - 1] == ':')
    g_string_truncate(with, with->len - 1);
  if (with->len > 0)
    r->with = sm_received_clean(with->str, with->len);
  split_from(&ps);
  sm_received_classify(&ps.tls);
  return g_steal_pointer(&r);
}

void
sm_received_free(SmReceived *r)
{
  if (r == NULL)
    return;
  g_free(r->from);
  g_free(r->helo);
  g_free(r->rdns);
  g_free(r->ip);
  g_free(r->by);
  g_free(r->via);
  g_free(r->with);
  g_free(r->protocol);
  g_free(r->id);
  g_free(r->for_addr);
  g_free(r->tls_version);
  g_free(r->tls_version_raw);
  g_free(r->cipher);
  g_free(r);
}

const char *
sm_received_tls_to_string(SmReceivedTls tls)
{
  static const char *const names[] = { "unknown", "yes", "no" };
  return tls < G_N_ELEMENTS(names) ? names[tls] : "unknown";
}

const char *
sm_received_basis_to_string(SmReceivedBasis basis)
{
  static const char *const names[] = { "none", "explicit", "proto", "convention" };
  return basis < G_N_ELEMENTS(names) ? names[basis] : "none";
}

const char *
sm_received_client_cert_to_string(SmReceivedClientCert cert)
{
  static const char *const names[]
      = { "unknown", "not-requested", "not-presented", "verified", "not-verified", "failed" };
  return cert < G_N_ELEMENTS(names) ? names[cert] : "unknown";
}
