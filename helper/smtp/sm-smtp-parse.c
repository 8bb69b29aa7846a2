/* sm-smtp-parse: SMTP command and reply syntax (RFC 5321 §4.1.1, §4.1.2, §4.2; RFC 1870, 3463,
 * 4954, 6152, 6531, 8689). Pure functions over bounded input: every loop walks the given bytes
 * once; no allocation grows beyond the input's length. Lenient where real clients are (a space
 * after "FROM:", lower-case verbs), strict where ambiguity could change meaning (paths). */
#include "sm-smtp-parse.h"

#include <string.h>

#define MAX_PATH_OCTETS 256
#define MAX_MECHANISM 20

typedef struct
{
  const char *name;
  SmSmtpVerb verb;
} VerbName;

static const VerbName verbs[] = {
  { "HELO", SM_SMTP_VERB_HELO },         { "EHLO", SM_SMTP_VERB_EHLO },
  { "STARTTLS", SM_SMTP_VERB_STARTTLS }, { "AUTH", SM_SMTP_VERB_AUTH },
  { "MAIL", SM_SMTP_VERB_MAIL },         { "RCPT", SM_SMTP_VERB_RCPT },
  { "DATA", SM_SMTP_VERB_DATA },         { "RSET", SM_SMTP_VERB_RSET },
  { "NOOP", SM_SMTP_VERB_NOOP },         { "QUIT", SM_SMTP_VERB_QUIT },
  { "HELP", SM_SMTP_VERB_HELP },         { "VRFY", SM_SMTP_VERB_VRFY },
  { "EXPN", SM_SMTP_VERB_EXPN },         { "BDAT", SM_SMTP_VERB_BDAT },
};

const char *
sm_smtp_verb_name(SmSmtpVerb verb)
{
  for (gsize i = 0; i < G_N_ELEMENTS(verbs); i++)
    if (verbs[i].verb == verb)
      return verbs[i].name;
  return "UNKNOWN";
}

static void
param_free(gpointer p)
{
  SmSmtpParam *param = p;
  g_free(param->keyword);
  g_free(param->value);
  g_free(param);
}

void
sm_smtp_command_clear(SmSmtpCommand *cmd)
{
  g_clear_pointer(&cmd->arg, g_free);
  g_clear_pointer(&cmd->initial, g_free);
  g_clear_pointer(&cmd->path, g_free);
  g_clear_pointer(&cmd->params, g_ptr_array_unref);
  cmd->verb = SM_SMTP_VERB_UNKNOWN;
}

const SmSmtpParam *
sm_smtp_command_param(const SmSmtpCommand *cmd, const char *keyword)
{
  for (guint i = 0; cmd->params != NULL && i < cmd->params->len; i++)
    {
      const SmSmtpParam *p = g_ptr_array_index(cmd->params, i);
      if (g_ascii_strcasecmp(p->keyword, keyword) == 0)
        return p;
    }
  return NULL;
}

/* RFC 5322 atext, plus any non-ASCII octet when @utf8 (RFC 6531 extends atext with UTF8-non-ascii;
 * the UTF-8 itself is validated separately). */
static gboolean
is_atext(guchar c, gboolean utf8)
{
  if (c >= 0x80)
    return utf8;
  return g_ascii_isalnum(c) || (c != 0 && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

static gboolean
local_part_ok(const char *s, gsize len, gboolean utf8)
{
  if (len == 0)
    return FALSE;
  if (s[0] == '"')
    {
      /* quoted-string: qtextSMTP / quoted-pairSMTP, closed exactly at the end */
      gsize i = 1;
      for (; i < len && s[i] != '"'; i++)
        {
          guchar c = (guchar)s[i];
          if (c == '\\')
            {
              if (++i >= len || (guchar)s[i] < 32 || (guchar)s[i] == 127)
                return FALSE;
            }
          else if (c < 32 || c == 127 || (c >= 0x80 && !utf8))
            {
              return FALSE;
            }
        }
      return i == len - 1;
    }
  /* dot-atom: no leading, trailing or doubled dot */
  for (gsize i = 0; i < len; i++)
    {
      if (s[i] == '.')
        {
          if (i == 0 || i == len - 1 || s[i - 1] == '.')
            return FALSE;
        }
      else if (!is_atext((guchar)s[i], utf8))
        {
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
domain_ok(const char *s, gsize len, gboolean utf8)
{
  if (len == 0 || len > 255)
    return FALSE;
  if (s[0] == '[')
    {
      /* address-literal: printable, no brackets or backslash inside */
      if (len < 3 || s[len - 1] != ']')
        return FALSE;
      for (gsize i = 1; i < len - 1; i++)
        if ((guchar)s[i] <= 32 || (guchar)s[i] >= 127 || s[i] == '[' || s[i] == ']' || s[i] == '\\')
          return FALSE;
      return TRUE;
    }
  gsize label = 0;
  for (gsize i = 0; i < len; i++)
    {
      guchar c = (guchar)s[i];
      if (c == '.')
        {
          if (label == 0 || s[i - 1] == '-')
            return FALSE;
          label = 0;
        }
      else if (g_ascii_isalnum(c) || (c == '-' && label > 0) || (c >= 0x80 && utf8))
        {
          if (++label > 63)
            return FALSE;
        }
      else
        {
          return FALSE;
        }
    }
  return label > 0 && s[len - 1] != '-';
}

gboolean
sm_smtp_address_is_valid(const char *address, gboolean utf8)
{
  gsize len = strlen(address);
  if (len == 0 || len > MAX_PATH_OCTETS - 2)
    return FALSE;
  if (utf8 && !g_utf8_validate(address, (gssize)len, NULL))
    return FALSE;
  /* The domain starts after the last '@' (a quoted local part may contain '@'). */
  const char *at = strrchr(address, '@');
  if (at == NULL)
    return FALSE;
  return local_part_ok(address, (gsize)(at - address), utf8)
         && domain_ok(at + 1, len - (gsize)(at - address) - 1, utf8);
}

/* Parses "<path>" at @s; returns the bytes used (0 = syntax error) and the address in *@out. A
 * source route ("@a,@b:") is accepted and dropped, as RFC 5321 §4.1.2 asks. */
static gsize
parse_path(const char *s, gsize len, char **out)
{
  if (len < 2 || s[0] != '<')
    return 0;
  gsize i = 1;
  if (i < len && s[i] == '@')
    {
      const char *colon = memchr(s + i, ':', len - i);
      const char *close = memchr(s + i, '>', len - i);
      if (colon == NULL || (close != NULL && close < colon))
        return 0;
      i = (gsize)(colon - s) + 1;
    }
  gsize start = i;
  gboolean quoted = FALSE;
  for (; i < len; i++)
    {
      char c = s[i];
      if (quoted && c == '\\')
        {
          i++;
          continue;
        }
      if (c == '"')
        quoted = !quoted;
      else if (c == '>' && !quoted)
        break;
      else if (!quoted && (c == ' ' || c == '<'))
        return 0;
    }
  if (i >= len || i - start > MAX_PATH_OCTETS - 2)
    return 0;
  *out = g_strndup(s + start, i - start);
  return i + 1;
}

static gboolean
keyword_ok(const char *s, gsize len)
{
  if (len == 0 || !g_ascii_isalnum(s[0]))
    return FALSE;
  for (gsize i = 1; i < len; i++)
    if (!g_ascii_isalnum(s[i]) && s[i] != '-')
      return FALSE;
  return TRUE;
}

static gboolean
value_ok(const char *s, gsize len)
{
  if (len == 0)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    {
      guchar c = (guchar)s[i];
      if (c < 33 || c == '=' || c == 127)
        return FALSE;
    }
  return g_utf8_validate(s, (gssize)len, NULL);
}

/* esmtp-param *(SP esmtp-param), at @s up to the end of the line. */
static gboolean
parse_params(const char *s, gsize len, GPtrArray *params)
{
  gsize i = 0;
  while (i < len)
    {
      if (s[i] == ' ')
        {
          i++;
          continue;
        }
      const char *sp = memchr(s + i, ' ', len - i);
      gsize end = sp != NULL ? (gsize)(sp - s) : len;
      const char *eq = memchr(s + i, '=', end - i);
      gsize kw_end = eq != NULL ? (gsize)(eq - s) : end;
      if (!keyword_ok(s + i, kw_end - i) || (eq != NULL && !value_ok(eq + 1, end - kw_end - 1)))
        return FALSE;
      SmSmtpParam *p = g_new0(SmSmtpParam, 1);
      p->keyword = g_ascii_strup(s + i, (gssize)(kw_end - i));
      p->value = eq != NULL ? g_strndup(eq + 1, end - kw_end - 1) : NULL;
      g_ptr_array_add(params, p);
      i = end;
    }
  return TRUE;
}

static SmSmtpParseResult
parse_mail_rcpt(const char *args, gsize len, const char *prefix, SmSmtpCommand *cmd,
                const char **why)
{
  gsize plen = strlen(prefix);
  if (len < plen || g_ascii_strncasecmp(args, prefix, plen) != 0)
    {
      *why = cmd->verb == SM_SMTP_VERB_MAIL ? "Syntax: MAIL FROM:<address> [parameters]"
                                            : "Syntax: RCPT TO:<address> [parameters]";
      return SM_SMTP_PARSE_SYNTAX;
    }
  gsize i = plen;
  while (i < len && args[i] == ' ') /* not in RFC 5321, but common */
    i++;
  gsize used = parse_path(args + i, len - i, &cmd->path);
  if (used == 0)
    {
      *why = "Bad address syntax: use <local@domain>";
      return SM_SMTP_PARSE_SYNTAX;
    }
  i += used;
  cmd->params = g_ptr_array_new_with_free_func(param_free);
  if (i < len && args[i] != ' ')
    {
      *why = "Expected a space between the address and its parameters";
      return SM_SMTP_PARSE_SYNTAX;
    }
  if (!parse_params(args + i, len - i, cmd->params))
    {
      *why = "Bad parameter syntax: use KEYWORD or KEYWORD=value";
      return SM_SMTP_PARSE_SYNTAX;
    }
  return SM_SMTP_PARSE_OK;
}

static gboolean
printable(const char *s, gsize len)
{
  for (gsize i = 0; i < len; i++)
    if ((guchar)s[i] < 32 && s[i] != '\t')
      return FALSE;
  return g_utf8_validate(s, (gssize)len, NULL);
}

static SmSmtpParseResult
parse_auth(const char *args, gsize len, SmSmtpCommand *cmd, const char **why)
{
  const char *sp = memchr(args, ' ', len);
  gsize mlen = sp != NULL ? (gsize)(sp - args) : len;
  *why = "Syntax: AUTH mechanism [initial-response]";
  if (mlen == 0 || mlen > MAX_MECHANISM)
    return SM_SMTP_PARSE_SYNTAX;
  for (gsize i = 0; i < mlen; i++)
    if (!g_ascii_isalnum(args[i]) && args[i] != '-' && args[i] != '_')
      return SM_SMTP_PARSE_SYNTAX;
  cmd->arg = g_ascii_strup(args, (gssize)mlen);
  if (sp == NULL)
    return SM_SMTP_PARSE_OK;
  const char *ir = sp + 1;
  gsize irlen = len - mlen - 1;
  if (irlen == 0)
    return SM_SMTP_PARSE_SYNTAX;
  for (gsize i = 0; i < irlen; i++)
    if (!g_ascii_isalnum(ir[i]) && ir[i] != '+' && ir[i] != '/' && ir[i] != '=')
      return SM_SMTP_PARSE_SYNTAX;
  cmd->initial = g_strndup(ir, irlen);
  return SM_SMTP_PARSE_OK;
}

static SmSmtpVerb
lookup_verb(const char *s, gsize len)
{
  for (gsize i = 0; i < G_N_ELEMENTS(verbs); i++)
    if (strlen(verbs[i].name) == len && g_ascii_strncasecmp(s, verbs[i].name, len) == 0)
      return verbs[i].verb;
  return SM_SMTP_VERB_UNKNOWN;
}

SmSmtpParseResult
sm_smtp_parse_command(const char *line, gsize len, SmSmtpCommand *cmd, const char **why)
{
  memset(cmd, 0, sizeof *cmd);
  *why = NULL;
  if (memchr(line, '\0', len) != NULL || memchr(line, '\r', len) != NULL
      || memchr(line, '\n', len) != NULL)
    {
      *why = "Control characters are not allowed in commands";
      return SM_SMTP_PARSE_SYNTAX;
    }
  while (len > 0 && line[len - 1] == ' ') /* trailing spaces are a common client quirk */
    len--;
  const char *sp = memchr(line, ' ', len);
  gsize vlen = sp != NULL ? (gsize)(sp - line) : len;
  cmd->verb = lookup_verb(line, vlen);
  const char *args = sp != NULL ? sp + 1 : line + len;
  gsize alen = sp != NULL ? len - vlen - 1 : 0;

  switch (cmd->verb)
    {
      case SM_SMTP_VERB_UNKNOWN:
      case SM_SMTP_VERB_COUNT:
        return SM_SMTP_PARSE_UNKNOWN;
      case SM_SMTP_VERB_MAIL:
        return parse_mail_rcpt(args, alen, "FROM:", cmd, why);
      case SM_SMTP_VERB_RCPT:
        return parse_mail_rcpt(args, alen, "TO:", cmd, why);
      case SM_SMTP_VERB_AUTH:
        return parse_auth(args, alen, cmd, why);
      case SM_SMTP_VERB_HELO:
      case SM_SMTP_VERB_EHLO:
        if (alen == 0 || args[0] == ' ' || !printable(args, alen))
          {
            *why = "Syntax: EHLO your-host-name";
            return SM_SMTP_PARSE_SYNTAX;
          }
        cmd->arg = g_strndup(args, alen);
        return SM_SMTP_PARSE_OK;
      case SM_SMTP_VERB_STARTTLS:
      case SM_SMTP_VERB_DATA:
      case SM_SMTP_VERB_RSET:
      case SM_SMTP_VERB_QUIT:
        if (alen > 0)
          {
            *why = "This command takes no argument";
            return SM_SMTP_PARSE_SYNTAX;
          }
        return SM_SMTP_PARSE_OK;
      default:
        if (!printable(args, alen))
          {
            *why = "Control characters are not allowed in commands";
            return SM_SMTP_PARSE_SYNTAX;
          }
        cmd->arg = g_strndup(args, alen);
        return SM_SMTP_PARSE_OK;
    }
}

gboolean
sm_smtp_parse_reply_line(const char *line, gsize len, guint *code, gboolean *more,
                         const char **text, gsize *text_len)
{
  if (len < 3 || line[0] < '2' || line[0] > '5' || !g_ascii_isdigit(line[1])
      || !g_ascii_isdigit(line[2]))
    return FALSE;
  if (len > 3 && line[3] != ' ' && line[3] != '-')
    return FALSE;
  *code = (guint)((line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0'));
  *more = len > 3 && line[3] == '-';
  *text = len > 4 ? line + 4 : line + len;
  *text_len = len > 4 ? len - 4 : 0;
  return TRUE;
}

/* 1*3digit */
static gsize
digits(const char *s, gsize len, gsize max)
{
  gsize n = 0;
  while (n < len && n <= max && g_ascii_isdigit(s[n]))
    n++;
  return (n >= 1 && n <= max) ? n : 0;
}

gsize
sm_smtp_parse_enhanced_code(const char *text, gsize len)
{
  if (len < 5 || (text[0] != '2' && text[0] != '4' && text[0] != '5') || text[1] != '.')
    return 0;
  gsize i = 2;
  gsize n = digits(text + i, len - i, 3);
  if (n == 0 || i + n >= len || text[i + n] != '.')
    return 0;
  i += n + 1;
  n = digits(text + i, len - i, 3);
  if (n == 0)
    return 0;
  i += n;
  return (i == len || text[i] == ' ') ? i : 0;
}
