/* sm-message: reading messages through GMime with sealmail's limits.
 *
 * GMime is tolerant: it turns almost any bytes into a "message". We check first that the input
 * starts with an RFC 5322 header block of bounded size, so that garbage gets a clear error
 * instead of an empty report, and we bound the MIME walk ourselves. */
#include "sm-message.h"
#include "sm-error.h"
#include "sm-message-private.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <gio/gunixinputstream.h>
#include <glib/gstdio.h>
#include <gpgme.h>
#include <locale.h>
#include <glib/gi18n.h>
#include <string.h>

void
sm_message_init(void)
{
  static gsize once = 0;
  if (g_once_init_enter(&once)) {
    g_mime_init();
    gpgme_check_version(NULL);
    gpgme_set_locale(NULL, LC_CTYPE, setlocale(LC_CTYPE, NULL));
    g_once_init_leave(&once, 1);
  }
}

GBytes *
sm_message_read_all(const char *path, const SmLimits *limits, GError **error)
{
  guint64 max = sm_limits_get(limits, SM_LIMIT_MESSAGE_BYTES);
  g_autoptr(GInputStream) in = NULL;
  if (g_strcmp0(path, "-") == 0) {
    in = G_INPUT_STREAM(g_unix_input_stream_new(0, FALSE));
  } else {
    g_autoptr(GFile) file = g_file_new_for_commandline_arg(path);
    in = G_INPUT_STREAM(g_file_read(file, NULL, error));
    if (in == NULL) {
      g_prefix_error(error, _("cannot open %s: "), path);
      return NULL;
    }
  }
  g_autoptr(GByteArray) buf = g_byte_array_new();
  guint8 chunk[65536];
  for (;;) {
    gssize n = g_input_stream_read(in, chunk, sizeof chunk, NULL, error);
    if (n < 0) {
      g_prefix_error(error, _("cannot read %s: "), path);
      return NULL;
    }
    if (n == 0)
      break;
    if (buf->len + (guint64)n > max) {
      g_set_error(error, SM_ERROR, SM_ERROR_LIMIT,
                  _("message is larger than the limit %s = %" PRIu64 " bytes"),
                  sm_limits_name(SM_LIMIT_MESSAGE_BYTES), max);
      return NULL;
    }
    g_byte_array_append(buf, chunk, (guint)n);
  }
  return g_byte_array_free_to_bytes(g_steal_pointer(&buf));
}

/* A header field name per RFC 5322: printable ASCII except ':' and space, then ':'. */
static gboolean
is_field_line(const guint8 *p, gsize len)
{
  gsize i = 0;
  while (i < len && p[i] > 32 && p[i] < 127 && p[i] != ':')
    i++;
  return i > 0 && i < len && p[i] == ':';
}

/* Checks the top-level header block: present, bounded, made of fields. */
static gboolean
check_header_block(const guint8 *data, gsize len, const SmLimits *limits, GError **error)
{
  guint64 max_bytes = sm_limits_get(limits, SM_LIMIT_HEADER_BLOCK_BYTES);
  guint64 max_fields = sm_limits_get(limits, SM_LIMIT_HEADER_COUNT);
  guint64 fields = 0;
  gsize pos = 0;

  /* An mbox "From " separator line is tolerated. */
  if (len > 5 && memcmp(data, "From ", 5) == 0) {
    const guint8 *nl = memchr(data, '\n', MIN(len, (gsize)4096));
    if (nl == NULL)
      goto not_a_message;
    pos = (gsize)(nl - data) + 1;
  }
  if (pos >= len || !is_field_line(data + pos, MIN(len - pos, (gsize)1024)))
    goto not_a_message;

  while (pos < len) {
    const guint8 *nl = memchr(data + pos, '\n', len - pos);
    gsize end = nl ? (gsize)(nl - data) : len;
    gsize line_len = end - pos;
    if (line_len > 0 && data[end - 1] == '\r')
      line_len--;
    if (line_len == 0)
      return TRUE; /* end of the header block */
    if (memchr(data + pos, '\0', end - pos) != NULL)
      goto not_a_message;
    if (data[pos] == ' ' || data[pos] == '\t') {
      /* continuation line */
    } else if (is_field_line(data + pos, line_len)) {
      if (++fields > max_fields) {
        g_set_error(error, SM_ERROR, SM_ERROR_LIMIT,
                    _("more than %" PRIu64 " header fields (limit %s)"), max_fields,
                    sm_limits_name(SM_LIMIT_HEADER_COUNT));
        return FALSE;
      }
    } else {
      /* GMime would end the header block here; so do we. */
      return TRUE;
    }
    if (end + 1 > max_bytes) {
      g_set_error(error, SM_ERROR, SM_ERROR_LIMIT,
                  _("header block is larger than %" PRIu64 " bytes (limit %s)"), max_bytes,
                  sm_limits_name(SM_LIMIT_HEADER_BLOCK_BYTES));
      return FALSE;
    }
    pos = end + 1;
  }
  return TRUE;

not_a_message:
  g_set_error_literal(error, SM_ERROR, SM_ERROR_INVALID_INPUT,
                      _("not an e-mail message: the input does not start with header fields"));
  return FALSE;
}

GMimeMessage *
sm_message_parse_bytes(GBytes *bytes, const SmLimits *limits, GError **error)
{
  gsize len = 0;
  const guint8 *data = g_bytes_get_data(bytes, &len);

  sm_message_init();
  if (len == 0) {
    g_set_error_literal(error, SM_ERROR, SM_ERROR_INVALID_INPUT, _("empty input: not a message"));
    return NULL;
  }
  if (len > sm_limits_get(limits, SM_LIMIT_MESSAGE_BYTES)) {
    g_set_error(error, SM_ERROR, SM_ERROR_LIMIT, _("message is larger than the limit %s"),
                sm_limits_name(SM_LIMIT_MESSAGE_BYTES));
    return NULL;
  }
  if (!check_header_block(data, len, limits, error) ||
      !sm_message_check_nesting(data, len, limits, error))
    return NULL;

  g_autoptr(GMimeStream) stream = g_mime_stream_mem_new_with_buffer((const char *)data, len);
  g_autoptr(GMimeParser) parser = g_mime_parser_new_with_stream(stream);
  g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
  g_autoptr(GMimeParserOptions) opts = g_mime_parser_options_new();
  g_mime_parser_options_set_rfc2047_compliance_mode(opts, GMIME_RFC_COMPLIANCE_LOOSE);
  GMimeMessage *message = g_mime_parser_construct_message(parser, opts);
  if (message == NULL) {
    g_set_error_literal(error, SM_ERROR, SM_ERROR_INVALID_INPUT,
                        _("not an e-mail message: GMime could not parse it"));
    return NULL;
  }
  return message;
}

GMimeMessage *
sm_message_parse_file(const char *path, const SmLimits *limits, GError **error)
{
  g_autoptr(GBytes) bytes = sm_message_read_all(path, limits, error);
  if (bytes == NULL)
    return NULL;
  return sm_message_parse_bytes(bytes, limits, error);
}

/* Parses from a GMimeStreamFs over @fd (owned): with a seekable stream GMime keeps each part as
 * a window on the file instead of copying it, which is what keeps a 100 MB attachment out of
 * memory. The header block is checked on a bounded prefix read first. */
static GMimeMessage *
parse_fd(int fd, gsize size, const SmLimits *limits, GError **error)
{
  g_autoptr(GMimeStream) stream = g_mime_stream_fs_new(fd);
  gsize prefix_len = MIN(size, sm_limits_get(limits, SM_LIMIT_HEADER_BLOCK_BYTES) + 1);
  g_autofree guint8 *prefix = g_malloc(prefix_len);
  if (g_mime_stream_read(stream, (char *)prefix, prefix_len) != (gssize)prefix_len ||
      g_mime_stream_reset(stream) < 0) {
    g_set_error_literal(error, SM_ERROR, SM_ERROR_IO, "cannot read the message");
    return NULL;
  }
  if (!check_header_block(prefix, prefix_len, limits, error))
    return NULL;
  g_autoptr(GMimeParser) parser = g_mime_parser_new_with_stream(stream);
  g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
  g_autoptr(GMimeParserOptions) opts = g_mime_parser_options_new();
  g_mime_parser_options_set_rfc2047_compliance_mode(opts, GMIME_RFC_COMPLIANCE_LOOSE);
  GMimeMessage *message = g_mime_parser_construct_message(parser, opts);
  if (message == NULL)
    g_set_error_literal(error, SM_ERROR, SM_ERROR_INVALID_INPUT,
                        "not an e-mail message: GMime could not parse it");
  return message;
}

GMimeMessage *
sm_message_parse_file_streamed(const char *path, const SmLimits *limits, GError **error)
{
  GStatBuf st;
  sm_message_init();
  if (g_strcmp0(path, "-") == 0 || g_stat(path, &st) != 0 || !S_ISREG(st.st_mode))
    return sm_message_parse_file(path, limits, error);
  if (st.st_size == 0) {
    g_set_error_literal(error, SM_ERROR, SM_ERROR_INVALID_INPUT, "empty input: not a message");
    return NULL;
  }
  if ((guint64)st.st_size > sm_limits_get(limits, SM_LIMIT_MESSAGE_BYTES)) {
    g_set_error(error, SM_ERROR, SM_ERROR_LIMIT, "message is larger than the limit %s",
                sm_limits_name(SM_LIMIT_MESSAGE_BYTES));
    return NULL;
  }
  int fd = g_open(path, O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0) {
    g_set_error(error, SM_ERROR, SM_ERROR_IO, "cannot open %s: %s", path, g_strerror(errno));
    return NULL;
  }
  return parse_fd(fd, (gsize)st.st_size, limits, error);
}

typedef struct {
  const SmLimits *limits;
  SmMessageWalkFunc func;
  gpointer user_data;
  guint64 parts;
  GError **error;
} WalkState;

static gboolean walk_object(WalkState *st, GMimeObject *obj, const char *id, guint depth);

static gboolean
walk_children(WalkState *st, GMimeMultipart *mp, const char *id, guint depth)
{
  int n = g_mime_multipart_get_count(mp);
  for (int i = 0; i < n; i++) {
    g_autofree char *child_id = (*id == '\0') ? g_strdup_printf("%d", i + 1)
                                              : g_strdup_printf("%s.%d", id, i + 1);
    if (!walk_object(st, g_mime_multipart_get_part(mp, i), child_id, depth + 1))
      return FALSE;
  }
  return TRUE;
}

static gboolean
walk_object(WalkState *st, GMimeObject *obj, const char *id, guint depth)
{
  if (depth > sm_limits_get(st->limits, SM_LIMIT_MIME_DEPTH)) {
    g_set_error(st->error, SM_ERROR, SM_ERROR_LIMIT, _("MIME nesting deeper than %" PRIu64
                " levels (limit %s)"), sm_limits_get(st->limits, SM_LIMIT_MIME_DEPTH),
                sm_limits_name(SM_LIMIT_MIME_DEPTH));
    return FALSE;
  }
  if (++st->parts > sm_limits_get(st->limits, SM_LIMIT_MIME_PARTS)) {
    g_set_error(st->error, SM_ERROR, SM_ERROR_LIMIT, _("more than %" PRIu64
                " MIME parts (limit %s)"), sm_limits_get(st->limits, SM_LIMIT_MIME_PARTS),
                sm_limits_name(SM_LIMIT_MIME_PARTS));
    return FALSE;
  }
  /* IMAP numbering (RFC 3501 6.4.5): a top-level multipart is "", its children 1, 2, ...;
   * a single top-level part is "1"; the body of message/rfc822 part X is X (multipart) or X.1. */
  const char *self_id = (*id == '\0' && !GMIME_IS_MULTIPART(obj)) ? "1" : id;
  if (!st->func(obj, self_id, depth, st->user_data))
    return FALSE;
  if (GMIME_IS_MULTIPART(obj))
    return walk_children(st, GMIME_MULTIPART(obj), id, depth);
  if (GMIME_IS_MESSAGE_PART(obj)) {
    GMimeMessage *inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));
    if (inner == NULL || inner->mime_part == NULL)
      return TRUE;
    if (GMIME_IS_MULTIPART(inner->mime_part))
      return walk_object(st, inner->mime_part, self_id, depth + 1);
    g_autofree char *body_id = g_strdup_printf("%s.1", self_id);
    return walk_object(st, inner->mime_part, body_id, depth + 1);
  }
  return TRUE;
}

gboolean
sm_message_walk(GMimeObject *root, const SmLimits *limits, SmMessageWalkFunc func,
                gpointer user_data, GError **error)
{
  WalkState st = {limits, func, user_data, 0, error};
  if (root == NULL)
    return TRUE;
  if (!walk_object(&st, root, "", 0))
    return error == NULL || *error == NULL ? TRUE : FALSE;
  return TRUE;
}

char *
sm_message_from_address(GMimeMessage *message)
{
  InternetAddressList *from = g_mime_message_get_from(message);
  if (from == NULL)
    return NULL;
  int n = internet_address_list_length(from);
  for (int i = 0; i < n; i++) {
    InternetAddress *ia = internet_address_list_get_address(from, i);
    if (INTERNET_ADDRESS_IS_MAILBOX(ia)) {
      const char *addr = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia));
      if (addr != NULL && *addr != '\0')
        return g_ascii_strdown(addr, -1);
    }
  }
  return NULL;
}

GMimeObject *
sm_message_parse_entity(GBytes *bytes, const SmLimits *limits, GError **error)
{
  gsize len = 0;
  const guint8 *data = g_bytes_get_data(bytes, &len);

  sm_message_init();
  if (len > sm_limits_get(limits, SM_LIMIT_MESSAGE_BYTES)) {
    g_set_error(error, SM_ERROR, SM_ERROR_LIMIT, _("content is larger than the limit %s"),
                sm_limits_name(SM_LIMIT_MESSAGE_BYTES));
    return NULL;
  }
  if (!sm_message_check_nesting(data, len, limits, error))
    return NULL;
  g_autoptr(GMimeStream) stream =
    g_mime_stream_mem_new_with_buffer(len > 0 ? (const char *)data : "", len);
  g_autoptr(GMimeParser) parser = g_mime_parser_new_with_stream(stream);
  g_autoptr(GMimeParserOptions) opts = g_mime_parser_options_new();
  g_mime_parser_options_set_rfc2047_compliance_mode(opts, GMIME_RFC_COMPLIANCE_LOOSE);
  GMimeObject *entity = g_mime_parser_construct_part(parser, opts);
  if (entity == NULL) {
    g_set_error_literal(error, SM_ERROR, SM_ERROR_INVALID_INPUT,
                        _("the decrypted or signed content is not a MIME entity"));
    return NULL;
  }
  return entity;
}
