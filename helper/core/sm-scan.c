/* sm-scan: sensitive-content detection over a whole message (issue 3).
 *
 * Walks the MIME tree (sm_message_walk, bounded by SM_LIMIT_MIME_DEPTH / SM_LIMIT_MIME_PARTS),
 * scans the Subject as part "0", every text part (decoded, charset-converted, HTML turned into
 * text) and the text of PDF / DOCX / XLSX / ODT attachments, and collects the findings into an
 * SmScanReport (sm-scan-report.c). Encrypted parts and signatures are not content and are
 * skipped; other binary attachments are listed as not scanned. Limits: SM_LIMIT_SCAN_PART_BYTES,
 * SM_LIMIT_SCAN_FINDINGS, SM_LIMIT_ATTACHMENT_BYTES, SM_LIMIT_EXTRACT_TEXT_BYTES. */
#include "sm-scan-private.h"
#include "sm-error.h"
#include "sm-message.h"

#include <glib/gi18n.h>
#include <string.h>

typedef struct
{
  SmScanReport *report;
  const SmScanPolicy *policy;
  const SmLimits *limits;
  const char *part;
  const char *source;
  const char *filename;
  GError *error;
} ScanState;

static void
on_hit(const SmScanHit *hit, gpointer user_data)
{
  ScanState *st = user_data;
  if (sm_scan_policy_ignores(st->policy, hit->type))
    return;
  sm_scan_report_add(st->report, hit, st->part, st->source, st->filename,
                     sm_limits_get(st->limits, SM_LIMIT_SCAN_FINDINGS));
}

static SmScanner *
scanner_for(ScanState *st, const char *part, const char *source, const char *filename)
{
  st->part = part;
  st->source = source;
  st->filename = filename;
  st->report->parts_scanned++;
  return sm_scanner_new(sm_scan_policy_patterns(st->policy), on_hit, st);
}

static void
finish(ScanState *st, SmScanner *sc)
{
  sm_scanner_finish(sc);
  st->report->bytes_scanned += sm_scanner_bytes(sc);
}

static void
skip(ScanState *st, const char *part_id, const char *why)
{
  g_ptr_array_add(st->report->skipped, g_strdup_printf(_("part %s: %s"), part_id, why));
}

static gboolean
is_crypto_part(GMimeContentType *ct)
{
  static const char *const types[]
      = { "pgp-encrypted", "pgp-signature",   "pgp-keys",          "pkcs7-mime",
          "x-pkcs7-mime",  "pkcs7-signature", "x-pkcs7-signature", NULL };
  if (!g_mime_content_type_is_type(ct, "application", "*"))
    return FALSE;
  const char *sub = g_mime_content_type_get_media_subtype(ct);
  for (gsize i = 0; types[i] != NULL && sub != NULL; i++)
    if (g_ascii_strcasecmp(sub, types[i]) == 0)
      return TRUE;
  return FALSE;
}

static void
scan_attachment(ScanState *st, GMimePart *part, const char *part_id, SmExtractKind kind)
{
  g_autoptr(GError) error = NULL;
  const char *name = g_mime_part_get_filename(part);
  g_autoptr(GBytes) data = sm_scan_text_decode_part(
      part, sm_limits_get(st->limits, SM_LIMIT_ATTACHMENT_BYTES), &error);
  if (data == NULL)
    {
      skip(st, part_id, error->message);
      return;
    }
  g_autoptr(SmScanner) sc = scanner_for(st, part_id, "attachment", name);
  gboolean truncated = FALSE;
  if (!sm_scan_extract(kind, data, sc, st->limits, &truncated, &error))
    skip(st, part_id, error->message);
  else if (truncated)
    skip(st, part_id, _("an extraction limit was reached; the rest was not scanned"));
  finish(st, sc);
}

static void
scan_text(ScanState *st, GMimePart *part, const char *part_id, SmTextKind kind)
{
  g_autoptr(GError) error = NULL;
  gboolean truncated = FALSE;
  const char *disp = g_mime_object_get_disposition(GMIME_OBJECT(part));
  gboolean attached = disp != NULL && g_ascii_strcasecmp(disp, "attachment") == 0;
  const char *name = g_mime_part_get_filename(part);
  g_autoptr(SmScanner) sc = scanner_for(st, part_id, attached ? "attachment" : "body", name);
  if (!sm_scan_text_part(part, kind, sc, sm_limits_get(st->limits, SM_LIMIT_SCAN_PART_BYTES),
                         &truncated, &error))
    skip(st, part_id, error->message);
  else if (truncated)
    skip(st, part_id, _("text beyond the scan-part-bytes limit was not scanned"));
  finish(st, sc);
}

static gboolean
visit(GMimeObject *obj, const char *part_id, guint depth, gpointer user_data)
{
  ScanState *st = user_data;
  if (!GMIME_IS_PART(obj))
    return TRUE; /* multiparts and message/rfc822 containers: the walk enters them */
  GMimePart *part = GMIME_PART(obj);
  GMimeContentType *ct = g_mime_object_get_content_type(obj);
  if (is_crypto_part(ct))
    return TRUE;
  if (g_mime_content_type_is_type(ct, "text", "html"))
    {
      scan_text(st, part, part_id, SM_TEXT_HTML);
    }
  else if (g_mime_content_type_is_type(ct, "text", "*"))
    {
      scan_text(st, part, part_id, SM_TEXT_PLAIN);
    }
  else
    {
      g_autofree char *mime = g_mime_content_type_get_mime_type(ct);
      SmExtractKind kind = sm_scan_extract_kind(mime, g_mime_part_get_filename(part));
      if (kind != SM_EXTRACT_NONE)
        scan_attachment(st, part, part_id, kind);
      else
        skip(st, part_id, mime);
    }
  return TRUE;
}

static void
scan_subject(ScanState *st, GMimeMessage *message)
{
  const char *subject = g_mime_message_get_subject(message);
  if (subject == NULL || *subject == '\0')
    return;
  g_autoptr(SmScanner) sc = scanner_for(st, "0", "subject", NULL);
  sm_scanner_feed(sc, subject, strlen(subject));
  finish(st, sc);
}

SmScanReport *
sm_scan_message(GMimeMessage *message, const SmScanPolicy *policy, const SmLimits *limits,
                GError **error)
{
  g_return_val_if_fail(GMIME_IS_MESSAGE(message), NULL);
  g_autoptr(SmScanReport) report = sm_scan_report_new(policy);
  ScanState st = { .report = report, .policy = policy, .limits = limits };
  scan_subject(&st, message);
  if (!sm_message_walk(g_mime_message_get_mime_part(message), limits, visit, &st, error))
    {
      g_prefix_error(error, _("cannot scan the message: "));
      return NULL;
    }
  return g_steal_pointer(&report);
}

SmScanReport *
sm_scan_text(const char *text, gsize len, const SmScanPolicy *policy, const SmLimits *limits)
{
  g_autoptr(SmScanReport) report = sm_scan_report_new(policy);
  ScanState st = { .report = report, .policy = policy, .limits = limits };
  g_autoptr(SmScanner) sc = scanner_for(&st, "1", "body", NULL);
  sm_scanner_feed(sc, text, len);
  finish(&st, sc);
  return g_steal_pointer(&report);
}
