/* sm-seal-openpgp: the PGP/MIME structures of RFC 3156 around what GPGME produced.
 *
 *   multipart/signed; protocol="application/pgp-signature"; micalg=pgp-<hash>   (section 5)
 *     <the signed entity> + application/pgp-signature
 *   multipart/encrypted; protocol="application/pgp-encrypted"                 (section 4)
 *     application/pgp-encrypted ("Version: 1") + application/octet-stream (armored message)
 *
 * Signing and encryption in one OpenPGP message (section 6.2) is what sm-seal uses for
 * encrypted mail, so there is no nested multipart/signed inside multipart/encrypted. */
#include "sm-seal-private.h"

GMimeObject *
sm_seal_openpgp_signed(GMimeObject *content, GBytes *signature, const char *micalg)
{
  g_autoptr(GMimeMultipartSigned) mps = g_mime_multipart_signed_new();
  g_autoptr(GMimePart) sig = g_mime_part_new_with_type("application", "pgp-signature");
  g_autoptr(GMimeStream) stream = g_mime_stream_mem_new_with_buffer(
      g_bytes_get_data(signature, NULL), g_bytes_get_size(signature));
  g_autoptr(GMimeDataWrapper) wrapper
      = g_mime_data_wrapper_new_with_stream(stream, GMIME_CONTENT_ENCODING_DEFAULT);

  g_mime_part_set_content(sig, wrapper);
  g_mime_part_set_content_encoding(sig, GMIME_CONTENT_ENCODING_7BIT);
  g_mime_object_set_content_type_parameter(GMIME_OBJECT(sig), "name", "signature.asc");
  g_mime_object_set_header(GMIME_OBJECT(sig), "Content-Description", "OpenPGP digital signature",
                           NULL);
  g_mime_object_set_content_type_parameter(GMIME_OBJECT(mps), "protocol",
                                           "application/pgp-signature");
  g_mime_object_set_content_type_parameter(GMIME_OBJECT(mps), "micalg", micalg);
  g_mime_multipart_add(GMIME_MULTIPART(mps), content);
  g_mime_multipart_add(GMIME_MULTIPART(mps), GMIME_OBJECT(sig));
  g_mime_multipart_set_boundary(GMIME_MULTIPART(mps), NULL); /* a fresh random one */
  return GMIME_OBJECT(g_steal_pointer(&mps));
}

GMimeObject *
sm_seal_openpgp_encrypted(GMimeStream *ciphertext)
{
  static const char version[] = "Version: 1\n";
  g_autoptr(GMimeMultipartEncrypted) mpe = g_mime_multipart_encrypted_new();
  g_autoptr(GMimePart) control = g_mime_part_new_with_type("application", "pgp-encrypted");
  g_autoptr(GMimeStream) control_stream
      = g_mime_stream_mem_new_with_buffer(version, sizeof version - 1);
  g_autoptr(GMimeDataWrapper) control_wrapper
      = g_mime_data_wrapper_new_with_stream(control_stream, GMIME_CONTENT_ENCODING_DEFAULT);
  g_autoptr(GMimePart) data = g_mime_part_new_with_type("application", "octet-stream");
  g_autoptr(GMimeDataWrapper) data_wrapper
      = g_mime_data_wrapper_new_with_stream(ciphertext, GMIME_CONTENT_ENCODING_DEFAULT);

  g_mime_part_set_content(control, control_wrapper);
  g_mime_part_set_content_encoding(control, GMIME_CONTENT_ENCODING_7BIT);
  g_mime_object_set_header(GMIME_OBJECT(control), "Content-Description",
                           "PGP/MIME version identification", NULL);
  g_mime_part_set_content(data, data_wrapper);
  g_mime_part_set_content_encoding(data, GMIME_CONTENT_ENCODING_7BIT);
  g_mime_object_set_content_type_parameter(GMIME_OBJECT(data), "name", "encrypted.asc");
  g_mime_object_set_disposition(GMIME_OBJECT(data), GMIME_DISPOSITION_INLINE);
  g_mime_object_set_content_disposition_parameter(GMIME_OBJECT(data), "filename", "encrypted.asc");
  g_mime_object_set_header(GMIME_OBJECT(data), "Content-Description", "OpenPGP encrypted message",
                           NULL);
  g_mime_object_set_content_type_parameter(GMIME_OBJECT(mpe), "protocol",
                                           "application/pgp-encrypted");
  g_mime_multipart_add(GMIME_MULTIPART(mpe), GMIME_OBJECT(control));
  g_mime_multipart_add(GMIME_MULTIPART(mpe), GMIME_OBJECT(data));
  g_mime_multipart_set_boundary(GMIME_MULTIPART(mpe), NULL); /* a fresh random one */
  return GMIME_OBJECT(g_steal_pointer(&mpe));
}
