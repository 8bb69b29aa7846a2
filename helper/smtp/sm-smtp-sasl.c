/* sm-smtp-sasl: strict base64 (RFC 4648 §4) and the PLAIN / LOGIN messages. Input is bounded by
 * the caller's line limit; decoded secrets are wiped from every temporary buffer. */
#include "sm-smtp-sasl.h"

#include <string.h>

static gboolean
is_base64(const char *s, gsize len)
{
  if (len == 0 || len % 4 != 0)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    {
      char c = s[i];
      if (c == '=')
        {
          /* padding only at the end, at most two */
          if (i < len - 2 || (i == len - 2 && s[len - 1] != '='))
            return FALSE;
        }
      else if (!g_ascii_isalnum(c) && c != '+' && c != '/')
        {
          return FALSE;
        }
    }
  return TRUE;
}

/* Decodes into a NUL-terminated buffer; *@out_len excludes the terminator. */
static guchar *
decode(const char *b64, gsize *out_len)
{
  if (strcmp(b64, "=") == 0)
    {
      *out_len = 0;
      return (guchar *)g_strdup("");
    }
  gsize len = strlen(b64);
  if (!is_base64(b64, len))
    return NULL;
  guchar *out = g_malloc(len / 4 * 3 + 1);
  gint state = 0;
  guint save = 0;
  *out_len = g_base64_decode_step(b64, len, out, &state, &save);
  out[*out_len] = '\0';
  return out;
}

static void
wipe_len(guchar *buf, gsize len)
{
  if (buf == NULL)
    return;
  explicit_bzero(buf, len);
  g_free(buf);
}

char *
sm_smtp_sasl_decode_text(const char *b64)
{
  gsize len = 0;
  guchar *raw = decode(b64, &len);
  if (raw == NULL)
    return NULL;
  if (memchr(raw, '\0', len) != NULL || !g_utf8_validate((const char *)raw, (gssize)len, NULL))
    {
      wipe_len(raw, len);
      return NULL;
    }
  return (char *)raw;
}

gboolean
sm_smtp_sasl_decode_plain(const char *b64, char **authzid, char **user, char **password)
{
  gsize len = 0;
  guchar *raw = decode(b64, &len);
  if (raw == NULL)
    return FALSE;
  const char *p = (const char *)raw;
  const char *nul1 = memchr(p, '\0', len);
  const char *nul2 = nul1 != NULL ? memchr(nul1 + 1, '\0', len - (gsize)(nul1 + 1 - p)) : NULL;
  /* exactly two separators, a non-empty user name, valid UTF-8 */
  gboolean ok = nul2 != NULL && memchr(nul2 + 1, '\0', len - (gsize)(nul2 + 1 - p)) == NULL
                && nul2 > nul1 + 1 && g_utf8_validate(p, nul1 - p, NULL)
                && g_utf8_validate(nul1 + 1, -1, NULL) && g_utf8_validate(nul2 + 1, -1, NULL);
  if (ok)
    {
      *authzid = nul1 > p ? g_strndup(p, (gsize)(nul1 - p)) : NULL;
      *user = g_strdup(nul1 + 1);
      *password = g_strdup(nul2 + 1);
    }
  wipe_len(raw, len);
  return ok;
}

char *
sm_smtp_sasl_encode_plain(const char *authzid, const char *user, const char *password)
{
  gsize zlen = authzid != NULL ? strlen(authzid) : 0;
  gsize ulen = strlen(user);
  gsize plen = strlen(password);
  gsize len = zlen + 1 + ulen + 1 + plen;
  guchar *raw = g_malloc(len);
  if (zlen > 0)
    memcpy(raw, authzid, zlen);
  raw[zlen] = '\0';
  memcpy(raw + zlen + 1, user, ulen);
  raw[zlen + 1 + ulen] = '\0';
  memcpy(raw + zlen + ulen + 2, password, plen);
  char *b64 = g_base64_encode(raw, len);
  wipe_len(raw, len);
  return b64;
}

void
sm_smtp_sasl_wipe(char *secret)
{
  if (secret != NULL)
    wipe_len((guchar *)secret, strlen(secret));
}
