/* sm-audit-check: what may enter the audit database. The audit must never hold a sensitive
 * value (../../DESIGN.md, Honesty rules), so every field is either checked against its closed
 * set of values (decision, result, finding type, RFC 8460 result-type and policy-type, hex
 * hashes, host names, addresses) or, for the two free-text fields (reason, detail), scrubbed:
 * control characters dropped, cut at audit-text-bytes, and identifier-like digit sequences
 * masked. Limits: audit-text-bytes; hashes at most 128 hex digits; addresses 254 bytes (RFC 5321
 * 4.5.3.1.3); host names 253 bytes. */
#include "sm-audit-private.h"
#include "sm-error.h"

#include <glib/gi18n.h>
#include <string.h>

#define SM_AUDIT_ADDRESS_MAX 254
#define SM_AUDIT_HOST_MAX 253
#define SM_AUDIT_TOKEN_MAX 128
/* A digit run across separators of this many digits is masked: SSNs have 9, card numbers 13-19,
 * IBANs 12+, national IDs 9-18, dates of birth 8; SMTP replies ("550 5.7.1") and IPv4 loopback
 * addresses stay readable. */
#define SM_AUDIT_MASK_RUN_DIGITS 7
/* Inside one word (UK NINO "AB123456C", an IBAN without spaces). */
#define SM_AUDIT_MASK_WORD_DIGITS 6

static gboolean
invalid(GError **error, const char *field, const char *why)
{
  g_set_error(error, SM_ERROR, SM_ERROR_INVALID_INPUT, _("audit record: %s %s"), field, why);
  return FALSE;
}

static gboolean
in_set(const char *value, const char *const *set)
{
  for (gsize i = 0; set[i] != NULL; i++)
    if (g_strcmp0(value, set[i]) == 0)
      return TRUE;
  return FALSE;
}

gboolean
sm_audit_check_hash(const char *field, const char *value, gsize max_hex, GError **error)
{
  gsize n = value != NULL ? strlen(value) : 0;
  if (n == 0 || n > max_hex)
    return invalid(error, field, _("must be a hex digest"));
  for (gsize i = 0; i < n; i++)
    if (!g_ascii_isxdigit(value[i]) || g_ascii_isupper(value[i]))
      return invalid(error, field, _("must be lower-case hex"));
  return TRUE;
}

gboolean
sm_audit_check_decision(const char *value, GError **error)
{
  /* sm_decision_to_string() plus DESIGN.md's "tls-only". */
  static const char *const decisions[]
      = { "encrypt-openpgp", "encrypt-smime", "require-tls", "tls-only", "plain", "blocked", NULL };
  return in_set(value, decisions) || invalid(error, "decision", _("is not a known decision"));
}

gboolean
sm_audit_check_result(const char *value, GError **error)
{
  static const char *const results[] = { "sent", "blocked", "failed", "partial", NULL };
  return in_set(value, results)
         || invalid(error, "result", _("must be sent, blocked, failed or partial"));
}

/* The scan contract's types: upper-case names ("US_SSN") or "CUSTOM:<name>". */
gboolean
sm_audit_check_finding_type(const char *value, GError **error)
{
  const char *p = value;
  gsize n = value != NULL ? strlen(value) : 0;
  if (n == 0 || n > SM_AUDIT_TOKEN_MAX)
    return invalid(error, "finding type", _("is empty or too long"));
  if (g_str_has_prefix(value, "CUSTOM:"))
    {
      p += strlen("CUSTOM:");
      if (*p == '\0')
        return invalid(error, "finding type", _("has no custom name"));
      for (; *p != '\0'; p++)
        if (!g_ascii_isalnum(*p) && strchr("_-.", *p) == NULL)
          return invalid(error, "finding type", _("is not a type name"));
      return TRUE;
    }
  if (!g_ascii_isupper(*p))
    return invalid(error, "finding type", _("is not a type name"));
  for (; *p != '\0'; p++)
    if (!g_ascii_isupper(*p) && !g_ascii_isdigit(*p) && *p != '_')
      return invalid(error, "finding type", _("is not a type name"));
  return TRUE;
}

gboolean
sm_audit_check_address(const char *value, GError **error)
{
  gsize n = value != NULL ? strlen(value) : 0;
  if (n == 0 || n > SM_AUDIT_ADDRESS_MAX || !g_utf8_validate(value, n, NULL))
    return invalid(error, "recipient address", _("is empty, too long or not UTF-8"));
  const char *at = strrchr(value, '@');
  if (at == NULL || at == value || at[1] == '\0')
    return invalid(error, "recipient address", _("is not an addr-spec"));
  for (const char *p = value; *p != '\0'; p++)
    if ((guchar)*p <= ' ' || *p == 0x7f || *p == '<' || *p == '>')
      return invalid(error, "recipient address", _("holds spaces or control characters"));
  return TRUE;
}

static gboolean
check_host(const char *field, const char *value, gboolean allow_colon, GError **error)
{
  if (value == NULL)
    return TRUE;
  gsize n = strlen(value);
  if (n == 0 || n > SM_AUDIT_HOST_MAX)
    return invalid(error, field, _("is empty or too long"));
  for (const char *p = value; *p != '\0'; p++)
    if (!g_ascii_isalnum(*p) && *p != '.' && *p != '-' && *p != '_' && !(allow_colon && *p == ':'))
      return invalid(error, field, _("is not a host name or address"));
  return TRUE;
}

/* Version ("1.3", "TLSv1.3") and cipher ("TLS_AES_256_GCM_SHA384") names. */
static gboolean
check_token(const char *field, const char *value, GError **error)
{
  if (value == NULL)
    return TRUE;
  gsize n = strlen(value);
  if (n == 0 || n > SM_AUDIT_TOKEN_MAX)
    return invalid(error, field, _("is empty or too long"));
  for (const char *p = value; *p != '\0'; p++)
    if (!g_ascii_isalnum(*p) && strchr("._-+/", *p) == NULL)
      return invalid(error, field, _("is not a protocol name"));
  return TRUE;
}

gboolean
sm_audit_check_tls(const SmAuditTls *tls, GError **error)
{
  /* RFC 8460 section 4.3 result types. */
  static const char *const failures[] = { "starttls-not-supported", "certificate-host-mismatch",
                                          "certificate-expired",    "certificate-not-trusted",
                                          "validation-failure",     "tlsa-invalid",
                                          "dnssec-invalid",         "dane-required",
                                          "sts-policy-fetch-error", "sts-policy-invalid",
                                          "sts-webpki-invalid",     NULL };
  static const char *const policy_types[] = { "sts", "tlsa", "no-policy-found", NULL };

  if (!check_host("tls host", tls->host, FALSE, error)
      || !check_host("tls policy_domain", tls->policy_domain, FALSE, error)
      || !check_host("tls receiving_ip", tls->receiving_ip, TRUE, error)
      || !check_host("tls sending_ip", tls->sending_ip, TRUE, error)
      || !check_token("tls version", tls->version, error)
      || !check_token("tls cipher", tls->cipher, error))
    return FALSE;
  if (tls->cert_sha256 != NULL
      && !sm_audit_check_hash("tls cert_sha256", tls->cert_sha256, SM_AUDIT_TOKEN_MAX, error))
    return FALSE;
  if (tls->failure != NULL && !in_set(tls->failure, failures))
    return invalid(error, "tls failure", _("is not an RFC 8460 result-type"));
  if (tls->policy_type != NULL && !in_set(tls->policy_type, policy_types))
    return invalid(error, "tls policy_type", _("must be sts, tlsa or no-policy-found"));
  if (tls->failure != NULL && tls->tls)
    return invalid(error, "tls", _("cannot both succeed and carry a failure"));
  return TRUE;
}

static const char *
member_string(JsonObject *obj, const char *name, GError **error, gboolean *ok)
{
  JsonNode *n = json_object_get_member(obj, name);
  if (n == NULL || JSON_NODE_HOLDS_NULL(n))
    return NULL;
  if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING)
    {
      *ok = invalid(error, name, _("must be a string"));
      return NULL;
    }
  return json_node_get_string(n);
}

gboolean
sm_audit_tls_from_json(JsonObject *obj, SmAuditTls *tls, GError **error)
{
  gboolean ok = TRUE;
  memset(tls, 0, sizeof *tls);
  /* Borrowed strings: the struct is only read while @obj lives. */
  tls->host = (char *)member_string(obj, "host", error, &ok);
  if (ok)
    tls->policy_domain = (char *)member_string(obj, "policy_domain", error, &ok);
  if (ok)
    tls->version = (char *)member_string(obj, "version", error, &ok);
  if (ok)
    tls->cipher = (char *)member_string(obj, "cipher", error, &ok);
  if (ok)
    tls->cert_sha256 = (char *)member_string(obj, "cert_sha256", error, &ok);
  if (ok)
    tls->failure = (char *)member_string(obj, "failure", error, &ok);
  if (ok)
    tls->policy_type = (char *)member_string(obj, "policy_type", error, &ok);
  if (ok)
    tls->receiving_ip = (char *)member_string(obj, "receiving_ip", error, &ok);
  if (ok)
    tls->sending_ip = (char *)member_string(obj, "sending_ip", error, &ok);
  if (!ok)
    return FALSE;
  JsonNode *t = json_object_get_member(obj, "tls");
  if (t != NULL && (!JSON_NODE_HOLDS_VALUE(t) || json_node_get_value_type(t) != G_TYPE_BOOLEAN))
    return invalid(error, "tls.tls", _("must be true or false"));
  tls->tls = t != NULL && json_node_get_boolean(t);
  return sm_audit_check_tls(tls, error);
}

static gboolean
is_run_separator(char c)
{
  return c == ' ' || c == '-' || c == '.' || c == '/';
}

/* Masks the digits of [start, end) of @s when it holds at least @threshold digits. */
static void
mask_span(char *s, gsize start, gsize end, guint threshold)
{
  guint digits = 0;
  for (gsize i = start; i < end; i++)
    digits += g_ascii_isdigit(s[i]) ? 1 : 0;
  if (digits < threshold)
    return;
  for (gsize i = start; i < end; i++)
    if (g_ascii_isdigit(s[i]))
      s[i] = '#';
}

/* Two passes over ASCII spans, so multi-byte UTF-8 is never split: runs of digits and
 * separators, then words of letters and digits. */
static void
mask_identifiers(char *s)
{
  gsize n = strlen(s);
  for (gsize i = 0; i < n;)
    {
      if (!g_ascii_isdigit(s[i]))
        {
          i++;
          continue;
        }
      gsize j = i;
      while (j < n && (g_ascii_isdigit(s[j]) || is_run_separator(s[j])))
        j++;
      mask_span(s, i, j, SM_AUDIT_MASK_RUN_DIGITS);
      i = j;
    }
  for (gsize i = 0; i < n;)
    {
      if (!g_ascii_isalnum(s[i]))
        {
          i++;
          continue;
        }
      gsize j = i;
      while (j < n && g_ascii_isalnum(s[j]))
        j++;
      mask_span(s, i, j, SM_AUDIT_MASK_WORD_DIGITS);
      i = j;
    }
}

char *
sm_audit_scrub_text(const char *text, gsize max_bytes)
{
  g_return_val_if_fail(text != NULL, NULL);
  g_autofree char *valid = g_utf8_make_valid(text, -1);
  GString *out = g_string_sized_new(MIN(strlen(valid), max_bytes) + 1);
  for (const char *p = valid; *p != '\0'; p = g_utf8_next_char(p))
    {
      gunichar c = g_utf8_get_char(p);
      if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0))
        c = ' ';
      if (out->len + g_unichar_to_utf8(c, NULL) > max_bytes)
        break;
      g_string_append_unichar(out, c);
    }
  mask_identifiers(out->str);
  return g_string_free(out, FALSE);
}

char *
sm_audit_format_time(gint64 t)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(t);
  if (dt == NULL)
    return g_strdup("1970-01-01T00:00:00Z");
  return g_date_time_format(dt, "%Y-%m-%dT%H:%M:%SZ");
}
