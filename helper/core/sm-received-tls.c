/* sm-received-tls: the TLS facts of one Received field, as the MTAs write them:
 *   Postfix       (using TLSv1.3 with cipher C (256/256 bits) ...) (No client certificate
 * requested) Sendmail, Gmail, Haraka, Exchange    (version=TLSv1.3 cipher=C bits=256 verify=NOT)
 *   Exim <= 4.92, OpenSMTPD              (TLSv1.2:C:256) / (TLSv1.3:C:256:NO), X=..., and the
 *                                        GnuTLS spelling (TLS-1.0:C:24)
 *   Exim >= 4.93                         with esmtps (TLS1.3) tls C   (the "tls" clause is read by
 *                                        sm-received.c)
 *   Exchange 2013 (TLS); IIS "over TLS secured channel"; qmail-tls (C encrypted) and
 *   MessageLabs' "C encrypted SMTP"; Courier (TLS: TLSv1.2,256bits,C) / (SSL: ...);
 *   Google (Google Transport Security); IronPort "ESMTP/TLS/C"; CommuniGate "ESMTP-TLS".
 * Without such text the RFC 3848 / RFC 6531 transmission type decides (ESMTPS, ESMTPSA, LMTPS,
 * UTF8SMTPS(A) mean TLS; ESMTP, ESMTPA, LMTP, SMTP mean none: weak evidence), and Microsoft's
 * servers, which always print their TLS details, count as "no TLS" when they print none.
 * "TLSv1/SSLv3" (old OpenSSL's name for a cipher's minimum protocol, printed by Sendmail, Gmail
 * and Courier) is kept as raw text with no normalised version.
 * Limits: words per comment are bounded by the caller; values are cut by sm_received_clean(). */
#include "sm-received-private.h"

#include <string.h>

/* ---- values ------------------------------------------------------------------------------- */

static guint
parse_bits(const char *s)
{
  guint64 v = g_ascii_strtoull(s, NULL, 10);
  return v > G_MAXUINT16 ? 0 : (guint)v;
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
  if (sm_received_has_prefix(p, "TLSv"))
    p += 4;
  else if (sm_received_has_prefix(p, "TLS-")) /* GnuTLS: "TLS-1.0" */
    p += 4;
  else if (sm_received_has_prefix(p, "TLS"))
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
  return sm_received_normalize_version(text) != NULL || sm_received_has_prefix(text, "TLSv1/")
         || sm_received_has_prefix(text, "SSLv");
}

static void
set_version(SmReceivedTlsState *st, const char *text)
{
  SmReceived *r = st->r;
  if (r->tls_version_raw != NULL || text == NULL || *text == '\0')
    return;
  r->tls_version_raw = sm_received_clean(text, strlen(text));
  const char *v = sm_received_normalize_version(text);
  r->tls_version = v != NULL ? g_strdup(v) : NULL;
}

static void
set_cipher(SmReceivedTlsState *st, const char *text)
{
  if (st->r->cipher == NULL && text != NULL && *text != '\0')
    st->r->cipher = sm_received_clean(text, strlen(text));
}

/* Sendmail's ${verify}, also used by Haraka and OpenSMTPD (YES / NO / FAIL). */
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

/* ---- comment shapes ----------------------------------------------------------------------- */

/* version=... cipher=... bits=... verify=... (Sendmail, Gmail, Haraka, Exchange). */
static gboolean
key_values(SmReceivedTlsState *st, GPtrArray *words)
{
  gboolean found = FALSE;
  for (guint i = 0; i < words->len; i++)
    {
      const char *w = words->pdata[i];
      if (sm_received_has_prefix(w, "version="))
        {
          set_version(st, w + 8);
          found = TRUE;
        }
      else if (sm_received_has_prefix(w, "cipher="))
        {
          set_cipher(st, w + 7);
          found = TRUE;
        }
      else if (sm_received_has_prefix(w, "bits=") && st->r->bits == 0)
        {
          st->r->bits = parse_bits(w + 5);
        }
      else if (sm_received_has_prefix(w, "verify="))
        {
          st->r->client_cert = verify_to_cert(w + 7);
        }
    }
  return found;
}

/* TLSv1.2:CIPHER:256 (Exim <= 4.92, also as X=...) and TLSv1.3:CIPHER:256:NO (OpenSMTPD). */
static gboolean
colon_form(SmReceivedTlsState *st, const char *word)
{
  if (sm_received_has_prefix(word, "X="))
    word += 2;
  g_auto(GStrv) f = g_strsplit(word, ":", 5);
  guint n = g_strv_length(f);
  if (n < 2 || !looks_like_version(f[0]))
    return FALSE;
  set_version(st, f[0]);
  set_cipher(st, f[1]);
  if (n >= 3 && st->r->bits == 0)
    st->r->bits = parse_bits(f[2]);
  if (n >= 4)
    {
      st->r->client_cert = verify_to_cert(f[3]);
      sm_received_set_mta(st->r, "opensmtpd");
    }
  else
    {
      sm_received_set_mta(st->r, "exim");
    }
  return TRUE;
}

/* (using TLSv1.3 with cipher C (256/256 bits) key-exchange ...) */
static void
postfix_using(SmReceivedTlsState *st, GPtrArray *w)
{
  if (w->len > 1)
    set_version(st, w->pdata[1]);
  for (guint i = 2; i + 1 < w->len; i++)
    {
      if (g_ascii_strcasecmp(w->pdata[i], "cipher") == 0)
        set_cipher(st, w->pdata[i + 1]);
      if (g_ascii_strcasecmp(w->pdata[i + 1], "bits") == 0 && st->r->bits == 0)
        st->r->bits = parse_bits(w->pdata[i]);
    }
  sm_received_set_mta(st->r, "postfix");
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
client_cert_comment(SmReceivedTlsState *st, const char *text, GPtrArray *w)
{
  SmReceived *r = st->r;
  if (sm_received_has_prefix(text, "No client certificate requested"))
    r->client_cert = SM_RECEIVED_CLIENT_CERT_NOT_REQUESTED;
  else if (sm_received_has_prefix(text, "Client did not present a certificate"))
    r->client_cert = SM_RECEIVED_CLIENT_CERT_NOT_PRESENTED;
  else if (sm_received_has_prefix(text, "Client CN") && words_contain(w, "verified", "OK"))
    r->client_cert = SM_RECEIVED_CLIENT_CERT_VERIFIED;
  else if (sm_received_has_prefix(text, "Client CN"))
    r->client_cert = SM_RECEIVED_CLIENT_CERT_NOT_VERIFIED;
  else
    return FALSE;
  return TRUE;
}

/* (TLS: TLSv1.2,256bits,CIPHER) from Courier, possibly after "AUTH: LOGIN user,"; older
 * versions write "SSL:". */
static gboolean
courier_tls(SmReceivedTlsState *st, GPtrArray *w)
{
  for (guint i = 0; i < w->len; i++)
    {
      if (g_ascii_strcasecmp(w->pdata[i], "TLS:") != 0
          && g_ascii_strcasecmp(w->pdata[i], "SSL:") != 0)
        continue;
      if (i + 1 < w->len)
        set_version(st, w->pdata[i + 1]);
      for (guint j = i + 2; j < w->len && j < i + 4; j++)
        {
          const char *x = w->pdata[j];
          if (sm_received_has_suffix(x, "bits"))
            st->r->bits = parse_bits(x);
          else
            set_cipher(st, x);
        }
      sm_received_set_mta(st->r, "courier");
      return TRUE;
    }
  return FALSE;
}

/* A one- or two-word comment holding the colon form: "(TLSv1:C:168)", Exim 3's
 * "(Cipher TLSv1:C:168)" and "(tls_cipher TLS-1.0:C:32)". */
static gboolean
short_colon_form(SmReceivedTlsState *st, GPtrArray *w)
{
  if (w->len == 1)
    return colon_form(st, w->pdata[0]);
  if (w->len == 2
      && (g_ascii_strcasecmp(w->pdata[0], "Cipher") == 0
          || g_ascii_strcasecmp(w->pdata[0], "tls_cipher") == 0))
    return colon_form(st, w->pdata[1]);
  return FALSE;
}

gboolean
sm_received_tls_comment(SmReceivedTlsState *st, const char *text, GPtrArray *w)
{
  if (w->len == 0)
    return FALSE;
  const char *first = w->pdata[0];
  if (client_cert_comment(st, text, w))
    return TRUE;
  if (g_ascii_strcasecmp(first, "using") == 0 && w->len > 1 && looks_like_version(w->pdata[1]))
    {
      postfix_using(st, w);
    }
  else if (key_values(st, w) || short_colon_form(st, w) || courier_tls(st, w))
    {
      /* facts recorded */
    }
  else if (w->len == 1 && (g_ascii_strcasecmp(first, "TLS") == 0 || looks_like_version(first)))
    {
      /* Exchange 2013 "(TLS)"; Exim >= 4.93 "(TLS1.3)" */
      if (g_ascii_strcasecmp(first, "TLS") != 0)
        set_version(st, first);
    }
  else if (w->len == 2 && g_ascii_strcasecmp(w->pdata[1], "encrypted") == 0)
    {
      set_cipher(st, first);
      sm_received_set_mta(st->r, "qmail");
    }
  else if (sm_received_has_prefix(text, "Google Transport Security"))
    {
      sm_received_set_mta(st->r, "google");
    }
  else
    {
      return FALSE;
    }
  st->explicit_tls = TRUE;
  return TRUE;
}

void
sm_received_tls_atom(SmReceivedTlsState *st, const char *word)
{
  if ((sm_received_has_prefix(word, "X=TLS") || sm_received_has_prefix(word, "X=SSL"))
      && colon_form(st, word))
    st->explicit_tls = TRUE;
}

/* ---- MTA family --------------------------------------------------------------------------- */

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

void
sm_received_mta_comment(SmReceived *r, const char *text)
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
    { "CommuniGate", "communigate" },
    { "Authentication Milter", "authentication-milter" },
    { "LMTPProxy", "fastmail-proxy" },
    { "MEProxy", "fastmail-proxy" },
    { "Stalwart", "stalwart" },
    { "PPE Hosted", "proofpoint-essentials" },
    { "Google Transport Security", "google" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS(products); i++)
    if (sm_received_has_prefix(text, products[i].prefix))
      {
        sm_received_set_mta(r, products[i].family);
        return;
      }
  if (is_sendmail_version(text))
    sm_received_set_mta(r, "sendmail");
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
      gboolean lmtp = r->protocol != NULL && strstr(r->protocol, "LMTP") != NULL;
      if (lmtp && strcmp(r->mta, "cyrus") == 0)
        r->mta = "cyrus-lmtp";
      else if (lmtp && strcmp(r->mta, "dovecot") == 0)
        r->mta = "dovecot-lmtp";
      return;
    }
  if (is_exim_id(r->id))
    {
      r->mta = "exim";
      return;
    }
  for (gsize i = 0; r->by != NULL && i < G_N_ELEMENTS(hosts); i++)
    if (sm_received_has_suffix(r->by, hosts[i].suffix))
      {
        r->mta = hosts[i].family;
        return;
      }
  r->mta = "unknown";
}

/* ---- transmission types ------------------------------------------------------------------- */

typedef struct
{
  const char *type;
  SmReceivedTls tls;
  gboolean auth;
} TransmissionType;

/* RFC 3848, RFC 6531, HTTP(S) as Exchange Online writes it, and Exim's old "asmtp". */
static const TransmissionType types[] = {
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
  { "ASMTP", SM_RECEIVED_TLS_NO, TRUE },
};

/* The first atom of WITH, and what a "/TLS/" or "-TLS" spelling says. */
static void
read_protocol(SmReceivedTlsState *st, gboolean *tls_in_name)
{
  SmReceived *r = st->r;
  g_auto(GStrv) atoms = g_strsplit(r->with, " ", 2);
  g_auto(GStrv) parts = g_strsplit(atoms[0] != NULL ? atoms[0] : "", "/", 4);
  r->protocol = g_ascii_strup(parts[0] != NULL ? parts[0] : "", -1);
  /* Cisco IronPort / Secure Email: "ESMTP/TLS/ECDHE-RSA-AES128-GCM-SHA256" */
  if (parts[0] != NULL && parts[1] != NULL && g_ascii_strcasecmp(parts[1], "TLS") == 0)
    {
      set_cipher(st, parts[2]);
      sm_received_set_mta(r, "cisco-ironport");
      st->explicit_tls = TRUE;
    }
  /* CommuniGate Pro: "ESMTP-TLS" */
  *tls_in_name = g_str_has_suffix(r->protocol, "-TLS");
  if (sm_received_has_prefix(r->with, "Microsoft SMTP Server"))
    sm_received_set_mta(r, "microsoft-exchange");
  else if (sm_received_has_prefix(r->with, "Microsoft SMTPSVC"))
    sm_received_set_mta(r, "microsoft-smtpsvc");
  else if (sm_received_has_prefix(r->with, "IBM ESMTP"))
    sm_received_set_mta(r, "ibm-smtp-gateway");
}

static void
set_tls(SmReceived *r, SmReceivedTls tls, SmReceivedBasis basis)
{
  if (r->tls != SM_RECEIVED_TLS_UNKNOWN)
    return;
  r->tls = tls;
  r->basis = basis;
}

void
sm_received_classify(SmReceivedTlsState *st)
{
  SmReceived *r = st->r;
  gboolean tls_in_name = FALSE;
  if (r->with != NULL)
    read_protocol(st, &tls_in_name);
  if (st->explicit_tls)
    set_tls(r, SM_RECEIVED_TLS_YES, SM_RECEIVED_BASIS_EXPLICIT);
  else if (r->mta != NULL && g_str_has_prefix(r->mta, "microsoft-"))
    set_tls(r, SM_RECEIVED_TLS_NO, SM_RECEIVED_BASIS_CONVENTION);
  if (tls_in_name)
    set_tls(r, SM_RECEIVED_TLS_YES, SM_RECEIVED_BASIS_PROTO);
  for (gsize i = 0; r->protocol != NULL && i < G_N_ELEMENTS(types); i++)
    {
      if (g_ascii_strcasecmp(r->protocol, types[i].type) != 0)
        continue;
      r->authenticated = types[i].auth;
      set_tls(r, types[i].tls, SM_RECEIVED_BASIS_PROTO);
    }
  classify_mta(r);
}
