/* sm-received: one Received field (RFC 5321 section 4.4 "Stamp", RFC 5322 section 3.6.7
 * "received") parsed into its clauses and the TLS facts its writer recorded.
 *
 * The field is lexed into RFC 5322 tokens (sm-path-lexer); clauses are keyword atoms (FROM, BY,
 * VIA, WITH, ID, FOR and Exim's TLS) followed by their value; the date-time follows the last ';'
 * outside comments. TLS facts come from comments, whatever clause they follow, in the shapes the
 * MTAs write them:
 *   Postfix       (using TLSv1.3 with cipher C (256/256 bits) ...) (No client certificate
 * requested) Sendmail, Gmail, Haraka, Exchange    (version=TLSv1.3 cipher=C bits=256 verify=NOT)
 *   Exim <= 4.92, OpenSMTPD              (TLSv1.2:C:256) / (TLSv1.3:C:256:NO), and X=...
 *   Exim >= 4.93                         with esmtps (TLS1.3) tls C
 *   Exchange 2013 (TLS); IIS "over TLS secured channel"; qmail-tls (C encrypted);
 *   Courier (TLS: TLSv1.2,256bits,C); Google (Google Transport Security); IronPort ESMTP/TLS/C.
 * Without such text the RFC 3848 / RFC 6531 transmission type decides (ESMTPS, ESMTPSA, LMTPS,
 * UTF8SMTPS(A) mean TLS; ESMTP, ESMTPA, LMTP, SMTP mean none: weak evidence), and Microsoft's
 * servers, which always print their TLS details, count as "no TLS" when they print none.
 * "TLSv1/SSLv3" (old OpenSSL's cipher minimum protocol, printed by Sendmail and Gmail) is kept
 * as raw text with no normalised version.
 *
 * Limits: SM_LIMIT_RECEIVED_BYTES (longer fields are not parsed at all); words per comment. */
#include "sm-received.h"
#include "sm-json.h"
#include "sm-path-lexer-private.h"

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
  SmReceived *r;
  gboolean seen[CLAUSE_COUNT];
  Clause clause;          /* the clause whose value or comments come next */
  gboolean value_done;    /* the current clause's value has been read */
  guint from_comments;    /* TCP-info comments examined after FROM */
  gboolean helo_explicit; /* the TCP-info named the HELO, so FROM is the rDNS name */
  gboolean explicit_tls;
  gboolean prev_secured; /* the previous atom was "secured" (IIS) */
  GString *with;
  guint with_atoms;
} Parser;

/* ---- small helpers ---------------------------------------------------------------------- */

static char *
clean(const char *text, gsize len)
{
  return sm_json_sanitize(text, len, FIELD_MAX_CHARS);
}

static gboolean
has_prefix_ci(const char *s, const char *prefix)
{
  return g_ascii_strncasecmp(s, prefix, strlen(prefix)) == 0;
}

static gboolean
has_suffix_ci(const char *s, const char *suffix)
{
  gsize n = strlen(s), m = strlen(suffix);
  return n >= m && g_ascii_strcasecmp(s + n - m, suffix) == 0;
}

static void
set_string(char **field, const char *text, gsize len)
{
  if (*field == NULL && len > 0)
    *field = clean(text, len);
}

static guint
parse_bits(const char *s)
{
  guint64 v = g_ascii_strtoull(s, NULL, 10);
  return v > G_MAXUINT16 ? 0 : (guint)v;
}

/* An IP address from "[1.2.3.4]", "[IPv6:2001:db8::1]", "[1.2.3.4]:2780", "::1" or NULL. */
static char *
extract_ip(const char *text, gsize len)
{
  g_autofree char *s = g_strndup(text, len);
  char *p = s;
  if (*p == '[')
    {
      p++;
      char *close = strchr(p, ']');
      if (close != NULL)
        *close = '\0';
    }
  if (has_prefix_ci(p, "IPv6:"))
    p += 5;
  if (g_hostname_is_ip_address(p))
    return clean(p, strlen(p));
  return NULL;
}

const char *
sm_received_normalize_version(const char *text)
{
  static const struct
  {
    const char *spelling;
    const char *version;
  } versions[] = {
    { "1", "1.0" },   { "1.0", "1.0" }, { "1_0", "1.0" }, { "1.1", "1.1" }, { "1_1", "1.1" },
    { "1.2", "1.2" }, { "1_2", "1.2" }, { "1.3", "1.3" }, { "1_3", "1.3" },
  };
  if (text == NULL)
    return NULL;
  if (g_ascii_strcasecmp(text, "SSLv3") == 0 || g_ascii_strcasecmp(text, "SSL3") == 0)
    return "SSLv3";
  if (g_ascii_strcasecmp(text, "SSLv2") == 0)
    return "SSLv2";
  const char *p = text;
  if (has_prefix_ci(p, "TLSv"))
    p += 4;
  else if (has_prefix_ci(p, "TLS"))
    p += 3;
  else
    return NULL;
  for (gsize i = 0; i < G_N_ELEMENTS(versions); i++)
    if (strcmp(p, versions[i].spelling) == 0)
      return versions[i].version;
  return NULL;
}

/* TRUE for anything an MTA writes as a protocol version, including the ambiguous
 * "TLSv1/SSLv3" that has no normalised form. */
static gboolean
looks_like_version(const char *text)
{
  return sm_received_normalize_version(text) != NULL || has_prefix_ci(text, "TLSv1/")
         || has_prefix_ci(text, "SSLv");
}

static void
set_version(Parser *ps, const char *text)
{
  SmReceived *r = ps->r;
  if (r->tls_version_raw != NULL || text == NULL || *text == '\0')
    return;
  r->tls_version_raw = clean(text, strlen(text));
  const char *v = sm_received_normalize_version(text);
  r->tls_version = v != NULL ? g_strdup(v) : NULL;
}

static void
set_cipher(Parser *ps, const char *text)
{
  if (text != NULL && *text != '\0')
    set_string(&ps->r->cipher, text, strlen(text));
}

static void
mark_tls(Parser *ps)
{
  ps->explicit_tls = TRUE;
}

static void
set_mta(SmReceived *r, const char *family)
{
  if (r->mta == NULL)
    r->mta = family;
}

/* ---- comments ----------------------------------------------------------------------------- */

/* Sendmail's ${verify}, also used by Haraka and OpenSMTPD. */
static SmReceivedClientCert
verify_to_cert(const char *v)
{
  if (g_ascii_strcasecmp(v, "OK") == 0 || g_ascii_strcasecmp(v, "TRUSTED") == 0
      || g_ascii_strcasecmp(v, "YES") == 0)
    return SM_RECEIVED_CLIENT_CERT_VERIFIED;
  if (g_ascii_strcasecmp(v, "NOT") == 0 || g_ascii_strcasecmp(v, "NONE") == 0)
    return SM_RECEIVED_CLIENT_CERT_NOT_REQUESTED;
  if (g_ascii_strcasecmp(v, "NO") == 0)
    return SM_RECEIVED_CLIENT_CERT_NOT_PRESENTED;
  if (g_ascii_strcasecmp(v, "FAIL") == 0)
    return SM_RECEIVED_CLIENT_CERT_FAILED;
  return SM_RECEIVED_CLIENT_CERT_UNKNOWN;
}

/* version=... cipher=... bits=... verify=... (Sendmail, Gmail, Haraka, Exchange). */
static gboolean
comment_key_values(Parser *ps, GPtrArray *words)
{
  gboolean found = FALSE;
  for (guint i = 0; i < words->len; i++)
    {
      const char *w = words->pdata[i];
      if (has_prefix_ci(w, "version="))
        {
          set_version(ps, w + 8);
          found = TRUE;
        }
      else if (has_prefix_ci(w, "cipher="))
        {
          set_cipher(ps, w + 7);
          found = TRUE;
        }
      else if (has_prefix_ci(w, "bits=") && ps->r->bits == 0)
        {
          ps->r->bits = parse_bits(w + 5);
        }
      else if (has_prefix_ci(w, "verify="))
        {
          ps->r->client_cert = verify_to_cert(w + 7);
        }
    }
  return found;
}

/* TLSv1.2:CIPHER:256 (Exim <= 4.92, also as X=...) and TLSv1.3:CIPHER:256:NO (OpenSMTPD). */
static gboolean
colon_form(Parser *ps, const char *word)
{
  if (has_prefix_ci(word, "X="))
    word += 2;
  g_auto(GStrv) f = g_strsplit(word, ":", 5);
  guint n = g_strv_length(f);
  if (n < 2 || !looks_like_version(f[0]))
    return FALSE;
  set_version(ps, f[0]);
  set_cipher(ps, f[1]);
  if (n >= 3 && ps->r->bits == 0)
    ps->r->bits = parse_bits(f[2]);
  if (n >= 4)
    {
      ps->r->client_cert = verify_to_cert(f[3]);
      set_mta(ps->r, "opensmtpd");
    }
  else
    {
      set_mta(ps->r, "exim");
    }
  return TRUE;
}

/* (using TLSv1.3 with cipher C (256/256 bits) key-exchange ...) */
static void
postfix_using(Parser *ps, GPtrArray *w)
{
  if (w->len > 1)
    set_version(ps, w->pdata[1]);
  for (guint i = 2; i + 1 < w->len; i++)
    {
      if (g_ascii_strcasecmp(w->pdata[i], "cipher") == 0)
        set_cipher(ps, w->pdata[i + 1]);
      if (g_ascii_strcasecmp(w->pdata[i + 1], "bits") == 0 && ps->r->bits == 0)
        ps->r->bits = parse_bits(w->pdata[i]);
    }
  set_mta(ps->r, "postfix");
}

static gboolean
words_contain(GPtrArray *w, const char *a, const char *b)
{
  for (guint i = 0; i + 1 < w->len; i++)
    if (g_ascii_strcasecmp(w->pdata[i], a) == 0 && g_ascii_strcasecmp(w->pdata[i + 1], b) == 0)
      return TRUE;
  return FALSE;
}

/* Postfix's client-certificate comments. */
static gboolean
client_cert_comment(Parser *ps, const char *text, GPtrArray *w)
{
  SmReceived *r = ps->r;
  if (has_prefix_ci(text, "No client certificate requested"))
    r->client_cert = SM_RECEIVED_CLIENT_CERT_NOT_REQUESTED;
  else if (has_prefix_ci(text, "Client did not present a certificate"))
    r->client_cert = SM_RECEIVED_CLIENT_CERT_NOT_PRESENTED;
  else if (has_prefix_ci(text, "Client CN") && words_contain(w, "verified", "OK"))
    r->client_cert = SM_RECEIVED_CLIENT_CERT_VERIFIED;
  else if (has_prefix_ci(text, "Client CN"))
    r->client_cert = SM_RECEIVED_CLIENT_CERT_NOT_VERIFIED;
  else
    return FALSE;
  return TRUE;
}

/* (TLS: TLSv1.2,256bits,CIPHER) from Courier, possibly after "AUTH: LOGIN user,". */
static gboolean
courier_tls(Parser *ps, GPtrArray *w)
{
  for (guint i = 0; i < w->len; i++)
    {
      if (g_ascii_strcasecmp(w->pdata[i], "TLS:") != 0)
        continue;
      if (i + 1 < w->len)
        set_version(ps, w->pdata[i + 1]);
      for (guint j = i + 2; j < w->len && j < i + 4; j++)
        {
          const char *x = w->pdata[j];
          if (has_suffix_ci(x, "bits"))
            ps->r->bits = parse_bits(x);
          else
            set_cipher(ps, x);
        }
      set_mta(ps->r, "courier");
      return TRUE;
    }
  return FALSE;
}

/* TLS facts in one comment; returns TRUE when the comment was about TLS or certificates. */
static gboolean
tls_comment(Parser *ps, const char *text, GPtrArray *w)
{
  if (w->len == 0)
    return FALSE;
  const char *first = w->pdata[0];
  if (client_cert_comment(ps, text, w))
    return TRUE;
  if (g_ascii_strcasecmp(first, "using") == 0 && w->len > 1 && looks_like_version(w->pdata[1]))
    {
      postfix_using(ps, w);
    }
  else if (comment_key_values(ps, w))
    {
      /* done */
    }
  else if (w->len == 1 && colon_form(ps, first))
    {
      /* done */
    }
  else if (w->len == 1 && (g_ascii_strcasecmp(first, "TLS") == 0 || looks_like_version(first)))
    {
      if (g_ascii_strcasecmp(first, "TLS") != 0)
        set_version(ps, first);
    }
  else if (w->len >= 2 && g_ascii_strcasecmp(w->pdata[w->len - 1], "encrypted") == 0)
    {
      set_cipher(ps, first);
      set_mta(ps->r, "qmail");
    }
  else if (courier_tls(ps, w))
    {
      /* done */
    }
  else if (has_prefix_ci(text, "Google Transport Security"))
    {
      set_mta(ps->r, "google");
    }
  else
    {
      return FALSE;
    }
  mark_tls(ps);
  return TRUE;
}

static gboolean
is_sendmail_version(const char *text)
{
  /* "8.14.9/8.14.9", "8.15.2/8.15.2/Debian-10": digits.digits.digits then '/' */
  guint dots = 0;
  const char *p = text;
  for (; *p != '\0' && *p != '/'; p++)
    {
      if (*p == '.')
        dots++;
      else if (!g_ascii_isdigit(*p))
        return FALSE;
    }
  return *p == '/' && dots >= 2 && g_ascii_isdigit(text[0]);
}

/* The MTA family from a product comment such as "(Postfix)" or "(Exim 4.84_2 #2 (Debian))". */
static void
mta_comment(SmReceived *r, const char *text)
{
  static const struct
  {
    const char *prefix;
    const char *family;
  } products[] = {
    { "Postfix", "postfix" },
    { "Exim", "exim" },
    { "Cyrus", "cyrus" },
    { "Dovecot", "dovecot" },
    { "amavisd-new", "amavisd-new" },
    { "OpenSMTPD", "opensmtpd" },
    { "Haraka", "haraka" },
    { "Zimbra", "zimbra" },
    { "qmail", "qmail" },
    { "Courier", "courier" },
    { "Sendmail", "sendmail" },
    { "Authentication Milter", "authentication-milter" },
    { "LMTPProxy", "fastmail-proxy" },
    { "MEProxy", "fastmail-proxy" },
    { "Stalwart", "stalwart" },
    { "PPE Hosted", "proofpoint-essentials" },
    { "Google Transport Security", "google" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS(products); i++)
    if (has_prefix_ci(text, products[i].prefix))
      {
        set_mta(r, products[i].family);
        return;
      }
  if (is_sendmail_version(text))
    set_mta(r, "sendmail");
}

/* TCP-info after FROM: "(rdns [ip])", "([ip] helo=name)", "(HELO name) (ip)", "(ip)". */
static void
tcp_info(Parser *ps, GPtrArray *w)
{
  SmReceived *r = ps->r;
  for (guint i = 0; i < w->len; i++)
    {
      const char *x = w->pdata[i];
      g_autofree char *ip = NULL;
      if (has_prefix_ci(x, "helo="))
        {
          g_free(r->helo);
          r->helo = clean(x + 5, strlen(x + 5));
          ps->helo_explicit = TRUE;
        }
      else if (g_ascii_strcasecmp(x, "HELO") == 0 && i + 1 < w->len)
        {
          const char *h = w->pdata[++i];
          g_free(r->helo);
          r->helo = clean(h, strlen(h));
          ps->helo_explicit = TRUE;
          set_mta(r, "qmail");
        }
      else if ((ip = extract_ip(x, strlen(x))) != NULL)
        {
          if (r->ip == NULL)
            r->ip = g_steal_pointer(&ip);
        }
      else if (i == 0 && strchr(x, '=') == NULL && strchr(x, '[') == NULL)
        {
          set_string(&r->rdns, x, strlen(x));
        }
    }
}

static void
handle_comment(Parser *ps, const SmLexToken *t)
{
  g_autofree char *text = sm_path_lexer_text(t);
  g_autoptr(GPtrArray) w = sm_path_lexer_words(text, strlen(text), COMMENT_MAX_WORDS);
  gboolean about_tls = tls_comment(ps, text, w);
  mta_comment(ps->r, text);
  if (!about_tls && ps->clause == CLAUSE_FROM && ps->value_done && ps->from_comments++ < 2)
    tcp_info(ps, w);
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
from_value(Parser *ps, const SmLexToken *t)
{
  SmReceived *r = ps->r;
  set_string(&r->from, t->start, t->len);
  g_autofree char *ip = extract_ip(t->start, t->len);
  /* "[1.2.3.4]:2780" as Exim and IIS write it */
  if (ip == NULL && t->len > 0 && t->start[0] == '[')
    {
      const char *close = memchr(t->start, ']', t->len);
      if (close != NULL)
        ip = extract_ip(t->start, close - t->start + 1);
    }
  if (ip != NULL)
    r->ip = g_steal_pointer(&ip);
}

static void
with_atom(Parser *ps, const SmLexToken *t)
{
  if (ps->with_atoms++ > 0)
    g_string_append_c(ps->with, ' ');
  g_string_append_len(ps->with, t->start, t->len);
}

static void
clause_value(Parser *ps, const SmLexToken *t)
{
  SmReceived *r = ps->r;
  gboolean addr = t->kind == SM_LEX_ANGLE || t->kind == SM_LEX_ATOM || t->kind == SM_LEX_QUOTED;
  switch (ps->clause)
    {
      case CLAUSE_FROM:
        from_value(ps, t);
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
        if (addr)
          set_string(&r->for_addr, t->start, t->len);
        break;
      case CLAUSE_TLS: /* Exim >= 4.93: "tls TLS_AES_256_GCM_SHA384" */
        set_string(&r->cipher, t->start, t->len);
        mark_tls(ps);
        break;
      default:
        break;
    }
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
  /* IIS: "by host over TLS secured channel with Microsoft SMTPSVC" */
  if (ps->prev_secured && sm_path_lexer_is(t, "channel"))
    mark_tls(ps);
  ps->prev_secured = sm_path_lexer_is(t, "secured");
  if (ps->clause == CLAUSE_WITH && !ps->value_done && t->kind == SM_LEX_ATOM)
    {
      with_atom(ps, t);
      /* "IBM ESMTP SMTP Gateway: Authorized Use Only!" ends at the colon */
      if (t->start[t->len - 1] == ':')
        ps->value_done = TRUE;
      return;
    }
  if (ps->clause == CLAUSE_WITH && t->kind != SM_LEX_ATOM && ps->with_atoms > 0)
    ps->value_done = TRUE;
  if (ps->clause != CLAUSE_NONE && !ps->value_done)
    clause_value(ps, t);
  if (t->kind == SM_LEX_ATOM
      && (has_prefix_ci(t->start, "X=TLS") || has_prefix_ci(t->start, "X=SSL")))
    {
      g_autofree char *word = g_strndup(t->start, t->len);
      if (colon_form(ps, word))
        mark_tls(ps);
    }
}

/* ---- classification ----------------------------------------------------------------------- */

static void
classify_with(Parser *ps)
{
  static const struct
  {
    const char *type;
    SmReceivedTls tls;
    gboolean auth;
  } types[] = {
    /* RFC 3848, RFC 6531, and HTTP(S) as Exchange Online writes it */
    { "ESMTPS", SM_RECEIVED_TLS_YES, FALSE },    { "ESMTPSA", SM_RECEIVED_TLS_YES, TRUE },
    { "LMTPS", SM_RECEIVED_TLS_YES, FALSE },     { "LMTPSA", SM_RECEIVED_TLS_YES, TRUE },
    { "UTF8SMTPS", SM_RECEIVED_TLS_YES, FALSE }, { "UTF8SMTPSA", SM_RECEIVED_TLS_YES, TRUE },
    { "UTF8LMTPS", SM_RECEIVED_TLS_YES, FALSE }, { "UTF8LMTPSA", SM_RECEIVED_TLS_YES, TRUE },
    { "SMTPS", SM_RECEIVED_TLS_YES, FALSE },     { "HTTPS", SM_RECEIVED_TLS_YES, FALSE },
    { "SMTP", SM_RECEIVED_TLS_NO, FALSE },       { "ESMTP", SM_RECEIVED_TLS_NO, FALSE },
    { "ESMTPA", SM_RECEIVED_TLS_NO, TRUE },      { "LMTP", SM_RECEIVED_TLS_NO, FALSE },
    { "LMTPA", SM_RECEIVED_TLS_NO, TRUE },       { "UTF8SMTP", SM_RECEIVED_TLS_NO, FALSE },
    { "UTF8SMTPA", SM_RECEIVED_TLS_NO, TRUE },   { "UTF8LMTP", SM_RECEIVED_TLS_NO, FALSE },
    { "UTF8LMTPA", SM_RECEIVED_TLS_NO, TRUE },   { "HTTP", SM_RECEIVED_TLS_NO, FALSE },
  };
  SmReceived *r = ps->r;
  if (r->with == NULL)
    return;
  g_auto(GStrv) atoms = g_strsplit(r->with, " ", 3);
  g_auto(GStrv) parts = g_strsplit(atoms[0], "/", 4);
  r->protocol = g_ascii_strup(parts[0], -1);
  /* Cisco IronPort / Secure Email: "ESMTP/TLS/ECDHE-RSA-AES128-GCM-SHA256" */
  if (parts[0] != NULL && parts[1] != NULL && g_ascii_strcasecmp(parts[1], "TLS") == 0)
    {
      set_cipher(ps, parts[2]);
      set_mta(r, "cisco-ironport");
      mark_tls(ps);
    }
  if (has_prefix_ci(r->with, "Microsoft SMTP Server"))
    set_mta(r, "microsoft-exchange");
  else if (has_prefix_ci(r->with, "Microsoft SMTPSVC"))
    set_mta(r, "microsoft-smtpsvc");
  else if (has_prefix_ci(r->with, "IBM ESMTP"))
    set_mta(r, "ibm-smtp-gateway");

  if (ps->explicit_tls)
    {
      r->tls = SM_RECEIVED_TLS_YES;
      r->basis = SM_RECEIVED_BASIS_EXPLICIT;
    }
  else if (g_str_has_prefix(r->mta != NULL ? r->mta : "", "microsoft-"))
    {
      r->tls = SM_RECEIVED_TLS_NO;
      r->basis = SM_RECEIVED_BASIS_CONVENTION;
    }
  for (gsize i = 0; i < G_N_ELEMENTS(types); i++)
    {
      if (g_ascii_strcasecmp(r->protocol, types[i].type) != 0)
        continue;
      r->authenticated = types[i].auth;
      if (r->tls == SM_RECEIVED_TLS_UNKNOWN)
        {
          r->tls = types[i].tls;
          r->basis = SM_RECEIVED_BASIS_PROTO;
        }
    }
}

static gboolean
is_exim_id(const char *id)
{
  /* base-62 "1cv8aR-0001hQ-QE" (6-6-2) */
  if (id == NULL || strlen(id) != 16 || id[6] != '-' || id[13] != '-')
    return FALSE;
  for (int i = 0; i < 16; i++)
    if (i != 6 && i != 13 && !g_ascii_isalnum(id[i]))
      return FALSE;
  return TRUE;
}

static void
classify_mta(SmReceived *r)
{
  static const struct
  {
    const char *suffix;
    const char *family;
  } hosts[] = {
    { "google.com", "google" },
    { "gmail.com", "google" },
    { "amazonses.com", "amazon-ses" },
    { "amazonaws.com", "amazon-ses" },
    { "outlook.com", "microsoft-exchange" },
  };
  if (r->mta != NULL)
    {
      if (r->protocol != NULL && strstr(r->protocol, "LMTP") != NULL
          && (strcmp(r->mta, "cyrus") == 0 || strcmp(r->mta, "dovecot") == 0))
        r->mta = strcmp(r->mta, "cyrus") == 0 ? "cyrus-lmtp" : "dovecot-lmtp";
      return;
    }
  if (is_exim_id(r->id))
    {
      r->mta = "exim";
      return;
    }
  for (gsize i = 0; r->by != NULL && i < G_N_ELEMENTS(hosts); i++)
    if (has_suffix_ci(r->by, hosts[i].suffix))
      {
        r->mta = hosts[i].family;
        return;
      }
  r->mta = "unknown";
}

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

/* The helo/rdns split: Postfix and Sendmail write "from HELO (RDNS [IP])"; Exim and qmail
 * write "from RDNS (... helo=HELO)" / "from RDNS (HELO name)". */
static void
split_from(Parser *ps)
{
  SmReceived *r = ps->r;
  if (r->from == NULL || r->from[0] == '[')
    return;
  if (ps->helo_explicit)
    set_string(&r->rdns, r->from, strlen(r->from));
  else
    set_string(&r->helo, r->from, strlen(r->from));
}

/* ---- public ------------------------------------------------------------------------------- */

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

  g_autoptr(GString) with = g_string_new(NULL);
  Parser ps = { .r = r, .with = with };
  g_autoptr(GString) date = g_string_new(NULL);
  for (guint i = 0; i < tokens->len; i++)
    {
      const SmLexToken *tok = &g_array_index(tokens, SmLexToken, i);
      if (last_semi == G_MAXUINT || i < last_semi)
        {
          clause_token(&ps, tok);
        }
      else if (tok->kind == SM_LEX_COMMENT)
        {
          ps.clause = CLAUSE_NONE;
          handle_comment(&ps, tok);
        }
      else if (i > last_semi)
        {
          if (date->len > 0)
            g_string_append_c(date, ' ');
          g_string_append_len(date, tok->start, tok->len);
        }
    }
  if (with->len > 0)
    {
      /* drop the colon that ends "IBM ESMTP SMTP Gateway:" */
      if (with->str[with->len - 1] == ':')
        g_string_truncate(with, with->len - 1);
      r->with = clean(with->str, with->len);
    }
  classify_with(&ps);
  if (r->tls == SM_RECEIVED_TLS_UNKNOWN && ps.explicit_tls)
    {
      r->tls = SM_RECEIVED_TLS_YES;
      r->basis = SM_RECEIVED_BASIS_EXPLICIT;
    }
  split_from(&ps);
  classify_mta(r);
  parse_date(r, date);
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
