/* sm-seal-gpgme: the GPGME side of sealing, for OpenPGP (gpg) and S/MIME (gpgsm, CMS).
 *
 * Streaming: the entity to sign or encrypt is never held in memory. A feeder thread writes its
 * canonical form (CRLF line ends, RFC 3156 section 5 and RFC 8551 section 3.1.1) into a pipe
 * while GPGME reads the other end through data callbacks over a GMimeStream; ciphertext goes to
 * an unlinked temporary file that the outgoing MIME part then reads from. Plaintext therefore
 * touches neither the disk nor a whole-message buffer; only detached signatures and exported
 * keys (both small, the latter bounded by autocrypt-keydata-bytes) are kept in memory. */
#define _GNU_SOURCE /* F_SETPIPE_SZ */
#include "sm-seal-private.h"
#include "sm-error.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <glib-unix.h>
#include <string.h>

/* Pipe capacity asked for (Linux caps it at /proc/sys/fs/pipe-max-size, 1 MiB by default). */
#define SM_SEAL_PIPE_BYTES (1024 * 1024)

gpgme_ctx_t
sm_seal_gpgme_context(SmProtocol protocol, const char *gnupg_home, GError **error)
{
  gpgme_protocol_t proto = protocol == SM_PROTO_SMIME ? GPGME_PROTOCOL_CMS : GPGME_PROTOCOL_OpenPGP;
  g_auto(gpgme_ctx_t) ctx = NULL;
  if (!sm_error_from_gpgme(error, gpgme_new(&ctx), _("cannot start GPGME"))
      || !sm_error_from_gpgme(error, gpgme_set_protocol(ctx, proto),
                              _("cannot select the protocol")))
    return NULL;
  if (gnupg_home != NULL
      && !sm_error_from_gpgme(error, gpgme_ctx_set_engine_info(ctx, proto, NULL, gnupg_home),
                              _("cannot use the GnuPG home directory")))
    return NULL;
  return g_steal_pointer(&ctx);
}

/* Exact, case-insensitive address match on one user ID (gpgsm gives "<addr>" in email). */
static gboolean
uid_matches(gpgme_user_id_t uid, const char *address)
{
  if (uid->revoked || uid->invalid)
    return FALSE;
  if (uid->address != NULL && g_ascii_strcasecmp(uid->address, address) == 0)
    return TRUE;
  if (uid->email == NULL)
    return FALSE;
  gsize len = strlen(uid->email);
  if (len >= 2 && uid->email[0] == '<' && uid->email[len - 1] == '>')
    return len - 2 == strlen(address) && g_ascii_strncasecmp(uid->email + 1, address, len - 2) == 0;
  return g_ascii_strcasecmp(uid->email, address) == 0;
}

static gboolean
key_has_address(gpgme_key_t key, const char *address)
{
  for (gpgme_user_id_t uid = key->uids; uid != NULL; uid = uid->next)
    if (uid_matches(uid, address))
      return TRUE;
  return FALSE;
}

static gboolean
key_is_valid(gpgme_key_t key)
{
  return !key->revoked && !key->expired && !key->disabled && !key->invalid;
}

gpgme_key_t
sm_seal_gpgme_find_signer(gpgme_ctx_t ctx, const char *address, GError **error)
{
  gpgme_key_t found = NULL;
  gpgme_error_t err = gpgme_op_keylist_start(ctx, address, 1);
  while (err == 0)
    {
      gpgme_key_t key = NULL;
      err = gpgme_op_keylist_next(ctx, &key);
      if (err != 0)
        break;
      if (found == NULL && key_is_valid(key) && key->can_sign && key->secret
          && key_has_address(key, address))
        found = key;
      else
        gpgme_key_unref(key);
    }
  gpgme_op_keylist_end(ctx);
  if (gpgme_err_code(err) != GPG_ERR_EOF)
    {
      g_clear_pointer(&found, gpgme_key_unref);
      sm_error_from_gpgme(error, err, _("cannot list the sender's secret keys"));
      return NULL;
    }
  return found;
}

/* --- GPGME data callbacks over GMimeStreams */

static ssize_t
stream_cb_read(void *handle, void *buffer, size_t size)
{
  return g_mime_stream_read(GMIME_STREAM(handle), buffer, size);
}

static ssize_t
stream_cb_write(void *handle, const void *buffer, size_t size)
{
  return g_mime_stream_write(GMIME_STREAM(handle), buffer, size);
}

static off_t
stream_cb_seek(void *handle, off_t offset, int whence)
{
  /* GMimeSeekWhence has the values of SEEK_SET, SEEK_CUR and SEEK_END. */
  return g_mime_stream_seek(GMIME_STREAM(handle), offset, (GMimeSeekWhence)whence);
}

static struct gpgme_data_cbs stream_cbs = { stream_cb_read, stream_cb_write, stream_cb_seek, NULL };

/* A gpgme_data_t reading from or writing to @stream; the stream must outlive it. */
static gpgme_data_t
data_over_stream(GMimeStream *stream, GError **error)
{
  gpgme_data_t data = NULL;
  if (!sm_error_from_gpgme(error, gpgme_data_new_from_cbs(&data, &stream_cbs, stream),
                           _("cannot create a GPGME data object")))
    return NULL;
  return data;
}

/* --- the feeder: writes an entity's canonical form into a pipe from a thread */

typedef struct
{
  GMimeObject *entity;
  GMimeStream *sink; /* write end of the pipe */
  gboolean failed;
  GThread *thread;
  GMimeStream *source; /* read end, given to GPGME */
} Feeder;

static gpointer
feeder_run(gpointer data)
{
  Feeder *f = data;
  g_autoptr(GMimeFormatOptions) format = g_mime_format_options_new();
  g_mime_format_options_set_newline_format(format, GMIME_NEWLINE_FORMAT_DOS);
  if (g_mime_object_write_to_stream(f->entity, format, f->sink) < 0
      || g_mime_stream_flush(f->sink) < 0)
    f->failed = TRUE;
  /* Closing the write end is what tells GPGME the input ended. */
  g_mime_stream_close(f->sink);
  return NULL;
}

static gboolean
feeder_start(Feeder *f, GMimeObject *entity, GError **error)
{
  int fds[2];
  if (!g_unix_open_pipe(fds, FD_CLOEXEC, error))
    {
      g_prefix_error(error, _("cannot create a pipe: "));
      return FALSE;
    }
#ifdef F_SETPIPE_SZ
  /* Fewer, larger hand-overs between the feeder and GPGME; the default 64 KiB is only slower. */
  (void)fcntl(fds[1], F_SETPIPE_SZ, SM_SEAL_PIPE_BYTES);
#endif
  f->entity = g_object_ref(entity);
  f->source = g_mime_stream_pipe_new(fds[0]);
  f->sink = g_mime_stream_pipe_new(fds[1]);
  f->thread = g_thread_try_new("sm-seal-feed", feeder_run, f, error);
  if (f->thread == NULL)
    {
      g_prefix_error(error, _("cannot start a thread: "));
      return FALSE;
    }
  return TRUE;
}

/* Reads what GPGME left (only after an error), so that the feeder never blocks, then joins it. */
static gboolean
feeder_finish(Feeder *f, GError **error)
{
  if (f->thread != NULL)
    {
      char buf[16384];
      while (g_mime_stream_read(f->source, buf, sizeof buf) > 0)
        ;
      g_thread_join(g_steal_pointer(&f->thread));
    }
  g_clear_object(&f->source);
  g_clear_object(&f->sink);
  g_clear_object(&f->entity);
  if (f->failed)
    {
      g_set_error_literal(error, SM_ERROR, SM_ERROR_IO,
                          _("cannot serialise the message for signing or encryption"));
      return FALSE;
    }
  return TRUE;
}

/* --- operations */

typedef struct
{
  gpgme_data_t out;
  const char *recipients; /* fingerprints, one a line; NULL: sign only */
  gboolean sign;
} Operation;

/* Runs @op with the canonical form of @entity as its input. A GPGME failure is reported in
 * preference to the feeder's, which is then only a broken pipe. */
static gboolean
run_operation(gpgme_ctx_t ctx, GMimeObject *entity, const Operation *op, GError **error)
{
  Feeder feeder = { 0 };
  if (!feeder_start(&feeder, entity, error))
    {
      feeder_finish(&feeder, NULL);
      return FALSE;
    }
  g_autoptr(GError) local = NULL;
  gpgme_data_t plain = data_over_stream(feeder.source, &local);
  gpgme_error_t err = 0;
  if (plain != NULL)
    {
      /* The policy already decided which key each recipient gets (sm-keys checks validity and
       * explains it), so GnuPG's web-of-trust check must not veto that choice for OpenPGP. */
      gpgme_encrypt_flags_t flags
          = gpgme_get_protocol(ctx) == GPGME_PROTOCOL_OpenPGP ? GPGME_ENCRYPT_ALWAYS_TRUST : 0;
      if (op->recipients == NULL)
        err = gpgme_op_sign(ctx, plain, op->out, GPGME_SIG_MODE_DETACH);
      /* Fingerprints as a string (the _ext calls): no key listing per recipient, which would
       * cost one gpg process each. */
      else if (op->sign)
        err = gpgme_op_encrypt_sign_ext(ctx, NULL, op->recipients, flags, plain, op->out);
      else
        err = gpgme_op_encrypt_ext(ctx, NULL, op->recipients, flags, plain, op->out);
      gpgme_data_release(plain);
    }
  gboolean fed = feeder_finish(&feeder, local != NULL ? NULL : &local);
  if (err != 0)
    return sm_error_from_gpgme(
        error, err, op->recipients == NULL ? _("signing failed") : _("encryption failed"));
  if (local != NULL || !fed)
    {
      g_propagate_error(error, g_steal_pointer(&local));
      return FALSE;
    }
  return TRUE;
}

static const char *
micalg_name(SmProtocol protocol, gpgme_hash_algo_t algo)
{
  /* RFC 3156 section 5 ("pgp-" + lower-case OpenPGP name) and RFC 8551 section 3.5.3. */
  static const struct
  {
    gpgme_hash_algo_t algo;
    const char *pgp, *smime;
  } names[] = {
    { GPGME_MD_SHA1, "pgp-sha1", "sha-1" },       { GPGME_MD_SHA224, "pgp-sha224", "sha-224" },
    { GPGME_MD_SHA256, "pgp-sha256", "sha-256" }, { GPGME_MD_SHA384, "pgp-sha384", "sha-384" },
    { GPGME_MD_SHA512, "pgp-sha512", "sha-512" }, { GPGME_MD_RMD160, "pgp-ripemd160", "ripemd160" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS(names); i++)
    if (names[i].algo == algo)
      return protocol == SM_PROTO_SMIME ? names[i].smime : names[i].pgp;
  return NULL;
}

static SmProtocol
ctx_protocol(gpgme_ctx_t ctx)
{
  return gpgme_get_protocol(ctx) == GPGME_PROTOCOL_CMS ? SM_PROTO_SMIME : SM_PROTO_OPENPGP;
}

static gboolean
prepare_ctx(gpgme_ctx_t ctx, gpgme_key_t signer, GError **error)
{
  /* OpenPGP goes into 7bit parts armored; CMS is DER that GMime base64-encodes. */
  gpgme_set_armor(ctx, ctx_protocol(ctx) == SM_PROTO_OPENPGP);
  gpgme_set_textmode(ctx, 0);
  gpgme_signers_clear(ctx);
  return signer == NULL
         || sm_error_from_gpgme(error, gpgme_signers_add(ctx, signer),
                                _("cannot use the signing key"));
}

static gboolean
check_sign_result(gpgme_ctx_t ctx, GError **error)
{
  gpgme_sign_result_t result = gpgme_op_sign_result(ctx);
  if (result == NULL || result->invalid_signers != NULL || result->signatures == NULL)
    {
      g_set_error(error, SM_ERROR, SM_ERROR_CRYPTO, _("the signing key %s was refused: %s"),
                  result && result->invalid_signers && result->invalid_signers->fpr
                      ? result->invalid_signers->fpr
                      : "?",
                  result && result->invalid_signers
                      ? gpgme_strerror(result->invalid_signers->reason)
                      : _("no signature was made"));
      return FALSE;
    }
  return TRUE;
}

GBytes *
sm_seal_gpgme_sign(gpgme_ctx_t ctx, gpgme_key_t signer, GMimeObject *entity, char **micalg,
                   GError **error)
{
  g_autoptr(GMimeStream) sig_stream = g_mime_stream_mem_new();
  g_auto(gpgme_data_t) sig = data_over_stream(sig_stream, error);
  if (sig == NULL || !prepare_ctx(ctx, signer, error))
    return NULL;
  Operation op = { .out = sig };
  if (!run_operation(ctx, entity, &op, error) || !check_sign_result(ctx, error))
    return NULL;

  const char *name
      = micalg_name(ctx_protocol(ctx), gpgme_op_sign_result(ctx)->signatures->hash_algo);
  if (name == NULL)
    {
      g_set_error_literal(error, SM_ERROR, SM_ERROR_CRYPTO,
                          _("the signature uses a digest algorithm that MIME cannot name"));
      return NULL;
    }
  *micalg = g_strdup(name);
  GByteArray *array = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(sig_stream));
  return g_bytes_new(array->data, array->len);
}

static gboolean
check_encrypt_result(gpgme_ctx_t ctx, GError **error)
{
  gpgme_encrypt_result_t result = gpgme_op_encrypt_result(ctx);
  if (result != NULL && result->invalid_recipients != NULL)
    {
      gpgme_invalid_key_t bad = result->invalid_recipients;
      gboolean missing = gpgme_err_code(bad->reason) == GPG_ERR_NO_PUBKEY;
      g_set_error(error, SM_ERROR, missing ? SM_ERROR_NOT_FOUND : SM_ERROR_CRYPTO,
                  _("the recipient key %s cannot be used (%s); 'sealmail keys ADDRESS' shows "
                    "which key sealmail would choose and why"),
                  bad->fpr ? bad->fpr : "?", gpgme_strerror(bad->reason));
      return FALSE;
    }
  return TRUE;
}

static GMimeStream *
temp_stream_new(GError **error)
{
  g_autofree char *path = NULL;
  int fd = g_file_open_tmp("sealmail-XXXXXX", &path, error);
  if (fd < 0)
    {
      g_prefix_error(error, _("cannot create a temporary file for the ciphertext: "));
      return NULL;
    }
  /* Unlinked at once: the file lives as long as the stream and never outlives the process. */
  g_unlink(path);
  return g_mime_stream_fs_new(fd);
}

GMimeStream *
sm_seal_gpgme_encrypt(gpgme_ctx_t ctx, const char *recipients, gpgme_key_t signer,
                      GMimeObject *entity, GError **error)
{
  g_autoptr(GMimeStream) out_stream = temp_stream_new(error);
  if (out_stream == NULL)
    return NULL;
  g_auto(gpgme_data_t) cipher = data_over_stream(out_stream, error);
  if (cipher == NULL || !prepare_ctx(ctx, signer, error))
    return NULL;
  Operation op = { .out = cipher, .recipients = recipients, .sign = signer != NULL };
  g_autoptr(GError) local = NULL;
  if (!run_operation(ctx, entity, &op, &local))
    {
      /* The result names the refused key, which says more than GPGME's error code. */
      if (check_encrypt_result(ctx, error))
        g_propagate_error(error, g_steal_pointer(&local));
      return NULL;
    }
  if (signer != NULL && !check_sign_result(ctx, error))
    return NULL;
  if (g_mime_stream_flush(out_stream) < 0 || g_mime_stream_reset(out_stream) < 0)
    {
      g_set_error(error, SM_ERROR, SM_ERROR_IO, _("cannot write the ciphertext: %s"),
                  g_strerror(errno));
      return NULL;
    }
  return g_steal_pointer(&out_stream);
}

GBytes *
sm_seal_gpgme_export_minimal(gpgme_ctx_t ctx, const char *fingerprint, guint64 max_bytes,
                             GError **error)
{
  g_auto(gpgme_data_t) data = NULL;
  if (!sm_error_from_gpgme(error, gpgme_data_new(&data), _("cannot create a GPGME data object")))
    return NULL;
  gpgme_set_armor(ctx, 0);
  if (!sm_error_from_gpgme(error,
                           gpgme_op_export(ctx, fingerprint, GPGME_EXPORT_MODE_MINIMAL, data),
                           _("cannot export the key for Autocrypt")))
    return NULL;
  size_t len = 0;
  char *buf = gpgme_data_release_and_get_mem(g_steal_pointer(&data), &len);
  if (buf == NULL || len == 0)
    {
      gpgme_free(buf);
      g_set_error(error, SM_ERROR, SM_ERROR_NOT_FOUND, _("the key %s could not be exported"),
                  fingerprint);
      return NULL;
    }
  if (len > max_bytes)
    {
      gpgme_free(buf);
      g_set_error(error, SM_ERROR, SM_ERROR_LIMIT,
                  _("the key %s is %zu bytes, more than autocrypt-keydata-bytes allows"),
                  fingerprint, len);
      return NULL;
    }
  GBytes *bytes = g_bytes_new(buf, len);
  gpgme_free(buf);
  return bytes;
}
