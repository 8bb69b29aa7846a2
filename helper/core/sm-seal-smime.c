/* sm-seal-smime: the S/MIME structures of RFC 8551 around what GPGME (gpgsm) produced.
 *
 *   multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256   (section 3.5.3)
 *     <the signed entity> + application/pkcs7-signature (smime.p7s, base64)
 *   application/pkcs7-mime; smime-type=enveloped-data (smime.p7m, base64)      (section 3.3)
 *
 * Signed and encrypted mail is enveloped-data over the multipart/signed entity (section 3.6):
 * the signature stays verifiable by clients that decrypt and then see ordinary clear-signed
 * MIME, which is also what `openssl cms -decrypt` followed by `openssl smime -verify` expects. */
#include "sm-seal-private.h"

GMimeObject *
sm_seal_smime_signed(GMimeObject *content, GBytes *signature, const char *micalg)
{
  g_autoptr(GMimeMultipartSigned) mps = g_mime_multipart_signed_new();
  g_autoptr(GMimePart) sig = g_mime_part_new_with_type("application", "pkcs7-signature");
  g_autoptr(GMimeStream) stream = g_mime_stream_mem_new_with_buffer(
      g_bytes_get_data(signature, NULL), g_bytes_get_size(signature));
  g_autoptr(GMimeDataWrapper) wrapper
      = g_mime_data_wrapper_new_with_stream(stream, GMIME_CONTENT_ENCODING_DEFAULT);

  g_mime_part_set_content(sig, wrapper);
  g_mime_part_set_content_encoding(sig, GMIME_CONTENT_ENCODING_BASE64);
  g_mime_object_set_content_type_parameter(GMIME_OBJECT(sig), "name", "smime.p7s");
  g_mime_object_set_disposition(GMIME_OBJECT(sig), GMIME_DISPOSITION_ATTACHMENT);
  g_mime_object_set_content_disposition_parameter(GMIME_OBJECT(sig), "filename", "smime.p7s");
  g_mime_object_set_header(GMIME_OBJECT(sig), "Content-Description", "S/MIME digital signature",
                           NULL);
  g_mime_object_set_content_type_parameter(GMIME_OBJECT(mps), "protocol",
                                           "application/pkcs7-signature");
  g_mime_object_set_content_type_parameter(GMIME_OBJECT(mps), "micalg", micalg);
  g_mime_multipart_add(GMIME_MULTIPART(mps), content);
  g_mime_multipart_add(GMIME_MULTIPART(mps), GMIME_OBJECT(sig));
  g_mime_multipart_set_boundary(GMIME_MULTIPART(mps), NULL); /* a fresh random one */
  return GMIME_OBJECT(g_steal_pointer(&mps));
}

GMimeObject *
sm_seal_smime_enveloped(GMimeStream *ciphertext)
{
  g_autoptr(GMimePart) part = g_mime_part_new_with_type("application", "pkcs7-mime");
  g_autoptr(GMimeDataWrapper) wrapper
      = g_mime_data_wrapper_new_with_stream(ciphertext, GMIME_CONTENT_ENCODING_DEFAULT);

  g_mime_part_set_content(part, wrapper);
  g_mime_part_set_content_encoding(part, GMIME_CONTENT_ENCODING_BASE64);
  g_mime_object_set_content_type_parameter(GMIME_OBJECT(part), "smime-type", "enveloped-data");
  g_mime_object_set_content_type_parameter(GMIME_OBJECT(part), "name", "smime.p7m");
  g_mime_object_set_disposition(GMIME_OBJECT(part), GMIME_DISPOSITION_ATTACHMENT);
  g_mime_object_set_content_disposition_parameter(GMIME_OBJECT(part), "filename", "smime.p7m");
  g_mime_object_set_header(GMIME_OBJECT(part), "Content-Description", "S/MIME encrypted message",
                           NULL);
  return GMIME_OBJECT(g_steal_pointer(&part));
}
