/* sm-verify-from: the From checks of sm-verify (RFC 5322 3.6.2): exactly one mailbox, and a
 * display name that does not show another address (the display-name spoofing class of "Johnny,
 * you are fired", USENIX Security 2019, including fullwidth look-alikes folded by NFKC).
 * Limits: none of its own; header values are already bounded by sm-message. */
#include "sm-verify-private.h"

#include <string.h>

/* TRUE when @name, once NFKC-normalised (fullwidth '＠' becomes '@'), contains something shaped
 * like an address that is not @addr: "Johnny, you are fired" display-name spoofing. */
static gboolean
name_holds_other_address(const char *name, const char *addr)
{
  g_autofree char *norm = g_utf8_normalize(name, -1, G_NORMALIZE_ALL_COMPOSE);
  if (norm == NULL)
    return FALSE;
  for (const char *at = strchr(norm, '@'); at != NULL; at = strchr(at + 1, '@'))
    {
      const char *l = at, *r = at + 1;
      while (l > norm && (g_ascii_isalnum(l[-1]) || strchr("._%+-'", l[-1]) != NULL))
        l--;
      while (*r != '\0' && (g_ascii_isalnum(*r) || *r == '.' || *r == '-'))
        r++;
      while (r > at + 1 && r[-1] == '.')
        r--;
      g_autofree char *domain = g_strndup(at + 1, (gsize)(r - at - 1));
      if (l == at || strchr(domain, '.') == NULL)
        continue;
      g_autofree char *candidate = g_ascii_strdown(l, (gssize)(r - l));
      if (g_strcmp0(candidate, addr) != 0)
        return TRUE;
    }
  return FALSE;
}

void
sm_verify_check_from(SmVerifyState *st, GMimeMessage *message)
{
  GMimeHeaderList *headers = g_mime_object_get_header_list(GMIME_OBJECT(message));
  InternetAddressList *from = g_mime_message_get_from(message);
  int fields = 0, mailboxes = 0, n = from != NULL ? internet_address_list_length(from) : 0;
  InternetAddressMailbox *only = NULL;
  gboolean group = FALSE;

  for (int i = 0; i < g_mime_header_list_get_count(headers); i++)
    if (g_ascii_strcasecmp(g_mime_header_get_name(g_mime_header_list_get_header_at(headers, i)),
                           "From")
        == 0)
      fields++;
  for (int i = 0; i < n; i++)
    {
      InternetAddress *ia = internet_address_list_get_address(from, i);
      if (INTERNET_ADDRESS_IS_GROUP(ia))
        group = TRUE;
      else if (mailboxes++ == 0)
        only = INTERNET_ADDRESS_MAILBOX(ia);
    }
  if (group || mailboxes > 1 || fields > 1)
    {
      sm_verify_add_finding(st->result->findings, SM_VERIFY_FINDING_MULTIPLE_FROM);
      return;
    }
  const char *addr = only != NULL ? internet_address_mailbox_get_addr(only) : NULL;
  if (addr == NULL || strchr(addr, '@') == NULL)
    {
      sm_verify_add_finding(st->result->findings, SM_VERIFY_FINDING_NO_FROM);
      return;
    }
  st->result->from_address = g_ascii_strdown(addr, -1);
  const char *name = internet_address_get_name(INTERNET_ADDRESS(only));
  if (name != NULL && name_holds_other_address(name, st->result->from_address))
    sm_verify_add_finding(st->result->findings, SM_VERIFY_FINDING_DISPLAY_NAME);
}
