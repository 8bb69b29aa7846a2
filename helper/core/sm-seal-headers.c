/* sm-seal-headers: the header fields of sealed messages.
 *
 * - Bcc never appears in any copy (RFC 5322 section 3.6.3 lets the sender drop it; each Bcc
 *   recipient gets a copy of its own from the plan, so nobody learns of anyone else).
 * - Header protection per RFC 9788 (the LAMPS header-protection work): the cryptographic payload
 *   root carries a copy of the message's header fields and the Content-Type parameter hp="cipher"
 *   (encrypted) or hp="clear" (signed only); encrypted messages also carry one HP-Outer field per
 *   outer header field, and the outer header follows hcp_baseline: Subject becomes "[...]",
 *   Comments and Keywords are dropped. No legacy display part is added.
 * - Autocrypt Level 1: an Autocrypt header field on outgoing mail and Autocrypt-Gossip fields on
 *   the payload root of encrypted mail to several recipients (keydata folded by GMime).
 * Limits: none of its own; keydata size is bounded by the caller (autocrypt-keydata-bytes). */
#include "sm-seal-private.h"

#include <string.h>

/* hcp_baseline (RFC 9788 section 3.3): the obscured value of Subject. */
#define SM_SEAL_OBSCURED_SUBJECT "[...]"

static gboolean
is_structural(const char *name)
{
  return g_ascii_strncasecmp(name, "Content-", 8) == 0
         || g_ascii_strcasecmp(name, "MIME-Version") == 0;
}

static gboolean
is_never_copied(const char *name)
{
  return g_ascii_strcasecmp(name, "Bcc") == 0 || g_ascii_strcasecmp(name, "Resent-Bcc") == 0;
}

/* Appends the non-structural fields of @from (except Bcc) to @to; values go through GMime's
 * decoder and encoder so that address lists and encoded words stay well-formed. */
static void
copy_fields(GMimeObject *from, GMimeObject *to, gboolean (*skip)(const char *name))
{
  GMimeHeaderList *list = g_mime_object_get_header_list(from);
  int count = g_mime_header_list_get_count(list);
  for (int i = 0; i < count; i++)
    {
      GMimeHeader *header = g_mime_header_list_get_header_at(list, i);
      const char *name = g_mime_header_get_name(header);
      const char *value = g_mime_header_get_value(header);
      if (name == NULL || value == NULL || is_structural(name) || is_never_copied(name)
          || (skip != NULL && skip(name)))
        continue;
      g_mime_object_append_header(to, name, value, "utf-8");
    }
}

static char *
message_id_domain(GMimeMessage *message)
{
  InternetAddressList *from = g_mime_message_get_from(message);
  InternetAddress *first = from ? internet_address_list_get_address(from, 0) : NULL;
  if (first != NULL && INTERNET_ADDRESS_IS_MAILBOX(first))
    {
      const char *addr = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(first));
      const char *at = addr ? strrchr(addr, '@') : NULL;
      if (at != NULL && at[1] != '\0')
        return g_strdup(at + 1);
    }
  return g_strdup("sealmail.invalid");
}

GMimeMessage *
sm_seal_headers_template(GMimeMessage *source)
{
  GMimeMessage *template_msg = g_mime_message_new(FALSE);
  copy_fields(GMIME_OBJECT(source), GMIME_OBJECT(template_msg), NULL);
  if (g_mime_object_get_header(GMIME_OBJECT(template_msg), "Date") == NULL)
    {
      g_autoptr(GDateTime) now = g_date_time_new_now_local();
      g_mime_message_set_date(template_msg, now);
    }
  if (g_mime_message_get_message_id(template_msg) == NULL)
    {
      g_autofree char *domain = message_id_domain(source);
      g_autofree char *id = g_mime_utils_generate_message_id(domain);
      g_mime_message_set_message_id(template_msg, id);
    }
  return template_msg;
}

static gboolean
is_dropped_by_baseline(const char *name)
{
  return g_ascii_strcasecmp(name, "Comments") == 0 || g_ascii_strcasecmp(name, "Keywords") == 0;
}

GMimeMessage *
sm_seal_headers_outer(GMimeMessage *template_msg, gboolean obscure_subject, GMimeObject *body)
{
  GMimeMessage *outer = g_mime_message_new(FALSE);
  copy_fields(GMIME_OBJECT(template_msg), GMIME_OBJECT(outer),
              obscure_subject ? is_dropped_by_baseline : NULL);
  if (obscure_subject && g_mime_message_get_subject(outer) != NULL)
    g_mime_message_set_subject(outer, SM_SEAL_OBSCURED_SUBJECT, NULL);
  g_mime_object_set_header(GMIME_OBJECT(outer), "MIME-Version", "1.0", NULL);
  if (body != NULL)
    g_mime_message_set_mime_part(outer, body);
  return outer;
}

static void
copy_part_headers(GMimeObject *from, GMimeObject *to)
{
  GMimeHeaderList *list = g_mime_object_get_header_list(from);
  int count = g_mime_header_list_get_count(list);
  for (int i = 0; i < count; i++)
    {
      GMimeHeader *header = g_mime_header_list_get_header_at(list, i);
      const char *name = g_mime_header_get_name(header);
      const char *value = g_mime_header_get_value(header);
      if (name == NULL || value == NULL)
        continue;
      /* The new object already has a default Content-Type: replace it, never add a second. */
      if (g_ascii_strcasecmp(name, "Content-Type") == 0)
        g_mime_object_set_header(to, name, value, NULL);
      else
        g_mime_object_append_header(to, name, value, NULL);
    }
}

GMimeObject *
sm_seal_headers_clone_part(GMimeObject *part)
{
  /* A content type of its own: hp= must not land on the caller's part. */
  g_autofree char *mime_type
      = g_mime_content_type_get_mime_type(g_mime_object_get_content_type(part));
  g_autoptr(GMimeContentType) ct = g_mime_content_type_parse(NULL, mime_type);
  g_autoptr(GMimeObject) clone = g_mime_object_new(NULL, ct);
  copy_part_headers(part, clone);
  if (GMIME_IS_MULTIPART(part) && GMIME_IS_MULTIPART(clone))
    {
      GMimeMultipart *mp = GMIME_MULTIPART(part);
      int n = g_mime_multipart_get_count(mp);
      for (int i = 0; i < n; i++)
        g_mime_multipart_add(GMIME_MULTIPART(clone), g_mime_multipart_get_part(mp, i));
      g_mime_multipart_set_prologue(GMIME_MULTIPART(clone), g_mime_multipart_get_prologue(mp));
      g_mime_multipart_set_epilogue(GMIME_MULTIPART(clone), g_mime_multipart_get_epilogue(mp));
    }
  else if (GMIME_IS_PART(part) && GMIME_IS_PART(clone))
    {
      g_mime_part_set_content(GMIME_PART(clone), g_mime_part_get_content(GMIME_PART(part)));
      g_mime_part_set_content_encoding(GMIME_PART(clone),
                                       g_mime_part_get_content_encoding(GMIME_PART(part)));
    }
  else if (GMIME_IS_MESSAGE_PART(part) && GMIME_IS_MESSAGE_PART(clone))
    {
      g_mime_message_part_set_message(GMIME_MESSAGE_PART(clone),
                                      g_mime_message_part_get_message(GMIME_MESSAGE_PART(part)));
    }
  return g_steal_pointer(&clone);
}

static gboolean
is_not_hp_outer(const char *name)
{
  /* Autocrypt is a transport-level hint about the sender's key, not message metadata. */
  return g_ascii_strcasecmp(name, "Autocrypt") == 0;
}

void
sm_seal_headers_protect(GMimeObject *payload, GMimeMessage *template_msg, GMimeMessage *outer)
{
  copy_fields(GMIME_OBJECT(template_msg), payload, NULL);
  if (outer != NULL)
    {
      GMimeHeaderList *list = g_mime_object_get_header_list(GMIME_OBJECT(outer));
      int count = g_mime_header_list_get_count(list);
      for (int i = 0; i < count; i++)
        {
          GMimeHeader *header = g_mime_header_list_get_header_at(list, i);
          const char *name = g_mime_header_get_name(header);
          const char *value = g_mime_header_get_value(header);
          if (name == NULL || value == NULL || is_structural(name) || is_not_hp_outer(name))
            continue;
          g_autofree char *field = g_strdup_printf("%s: %s", name, value);
          g_mime_object_append_header(payload, "HP-Outer", field, "utf-8");
        }
    }
  g_mime_object_set_content_type_parameter(payload, "hp", outer != NULL ? "cipher" : "clear");
}

void
sm_seal_headers_add_autocrypt(GMimeObject *object, const char *address, GBytes *keydata,
                              gboolean prefer_mutual, gboolean gossip)
{
  g_autoptr(GMimeAutocryptHeader) ah = g_mime_autocrypt_header_new();
  g_mime_autocrypt_header_set_address_from_string(ah, address);
  g_mime_autocrypt_header_set_keydata(ah, keydata);
  g_mime_autocrypt_header_set_prefer_encrypt(ah, prefer_mutual
                                                     ? GMIME_AUTOCRYPT_PREFER_ENCRYPT_MUTUAL
                                                     : GMIME_AUTOCRYPT_PREFER_ENCRYPT_NONE);
  /* addr=...; [prefer-encrypt=mutual;] keydata=... with spaces where GMime may fold. */
  g_autofree char *value = g_mime_autocrypt_header_to_string(ah, gossip);
  if (value != NULL)
    g_mime_object_append_header(object, gossip ? "Autocrypt-Gossip" : "Autocrypt", value, NULL);
}
