/* sm-scan-extract: the text of PDF, DOCX, XLSX and ODF attachments, fed to the scanner.
 *
 * PDF through poppler-glib, page by page. Office Open XML (ECMA-376) and OpenDocument (OASIS
 * ODF 1.2) are zip archives of XML: libarchive reads the entries that hold text, and libxml2's
 * SAX push parser turns each into text while it is decompressed, so neither the XML nor the
 * text is held whole. A zip bomb stops at SM_LIMIT_EXTRACT_XML_BYTES of XML, an archive of many
 * entries at SM_LIMIT_EXTRACT_ENTRIES, and the text at SM_LIMIT_EXTRACT_TEXT_BYTES. XML is
 * parsed without network access and without entity substitution (no XXE, no entity bombs). */
#include "sm-scan-private.h"
#include "sm-config.h"
#include "sm-error.h"

#include <string.h>

#ifdef SM_HAVE_ATTACHMENTS
#include <archive.h>
#include <archive_entry.h>
#include <libxml/parser.h>
#include <poppler.h>
#endif

#ifdef SM_HAVE_ATTACHMENTS
/* poppler-glib 22 and libarchive declare no g_autoptr cleanups; only this file uses them. */
typedef struct archive SmArchive;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PopplerDocument, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PopplerPage, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SmArchive, archive_read_free)
#endif

#define EXTRACT_READ_BYTES (64 * 1024)
#define EXTRACT_FLUSH_BYTES (64 * 1024)

typedef struct
{
  const char *mime;
  const char *ext;
  SmExtractKind kind;
} KindRow;

static const KindRow kinds[] = {
  { "application/pdf", ".pdf", SM_EXTRACT_PDF },
  { "application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx",
    SM_EXTRACT_DOCX },
  { "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx", SM_EXTRACT_XLSX },
  { "application/vnd.oasis.opendocument.text", ".odt", SM_EXTRACT_ODF },
  { "application/vnd.oasis.opendocument.spreadsheet", ".ods", SM_EXTRACT_ODF },
  { "application/vnd.oasis.opendocument.presentation", ".odp", SM_EXTRACT_ODF },
};

SmExtractKind
sm_scan_extract_kind(const char *mime_type, const char *filename)
{
  for (gsize i = 0; i < G_N_ELEMENTS(kinds); i++)
    if (mime_type != NULL && g_ascii_strcasecmp(mime_type, kinds[i].mime) == 0)
      return kinds[i].kind;
  /* senders often label attachments application/octet-stream: trust the name then */
  if (filename == NULL)
    return SM_EXTRACT_NONE;
  g_autofree char *lower = g_ascii_strdown(filename, -1);
  for (gsize i = 0; i < G_N_ELEMENTS(kinds); i++)
    if (g_str_has_suffix(lower, kinds[i].ext))
      return kinds[i].kind;
  return SM_EXTRACT_NONE;
}

#ifdef SM_HAVE_ATTACHMENTS

/* Text sink shared by the extractors: buffers a little, counts, stops at the limit. */
typedef struct
{
  SmScanner *scanner;
  GString *text;
  guint64 total, max;
  gboolean full;
} Sink;

static void
sink_flush(Sink *s)
{
  sm_scanner_feed(s->scanner, s->text->str, s->text->len);
  g_string_truncate(s->text, 0);
}

static void
sink_add(Sink *s, const char *text, gsize len)
{
  if (s->full)
    return;
  if (s->total + len > s->max)
    {
      len = (gsize)(s->max - s->total);
      s->full = TRUE;
    }
  g_string_append_len(s->text, text, (gssize)len);
  s->total += len;
  if (s->text->len >= EXTRACT_FLUSH_BYTES)
    sink_flush(s);
}

static gboolean
extract_pdf(GBytes *data, Sink *sink, GError **error)
{
  g_autoptr(GError) local = NULL;
  g_autoptr(PopplerDocument) doc = poppler_document_new_from_bytes(data, NULL, &local);
  if (doc == NULL)
    {
      g_set_error(error, SM_ERROR, SM_ERROR_INVALID_INPUT, "PDF not readable: %s", local->message);
      return FALSE;
    }
  int pages = poppler_document_get_n_pages(doc);
  for (int i = 0; i < pages && !sink->full; i++)
    {
      g_autoptr(PopplerPage) page = poppler_document_get_page(doc, i);
      if (page == NULL)
        continue;
      g_autofree char *text = poppler_page_get_text(page);
      if (text != NULL)
        sink_add(sink, text, strlen(text));
      sink_add(sink, "\n", 1);
    }
  return TRUE;
}

/* Elements whose end separates lines or cells in WordprocessingML, SpreadsheetML and ODF. */
static const char *const line_ends[]
    = { "p", "h", "br", "row", "si", "tr", "table-row", "line-break", "cr", NULL };
static const char *const cell_ends[] = { "tab", "c", "tc", "table-cell", "s", NULL };

static gboolean
name_in(const xmlChar *name, const char *const *list)
{
  for (gsize i = 0; list[i] != NULL; i++)
    if (strcmp((const char *)name, list[i]) == 0)
      return TRUE;
  return FALSE;
}

static void
sax_end(void *ctx, const xmlChar *localname, const xmlChar *prefix, const xmlChar *uri)
{
  Sink *sink = ctx;
  if (name_in(localname, line_ends))
    sink_add(sink, "\n", 1);
  else if (name_in(localname, cell_ends))
    sink_add(sink, " ", 1);
}

static void
sax_chars(void *ctx, const xmlChar *ch, int len)
{
  if (len > 0)
    sink_add(ctx, (const char *)ch, (gsize)len);
}

static gboolean
wanted_entry(SmExtractKind kind, const char *path)
{
  switch (kind)
    {
      case SM_EXTRACT_DOCX:
        return g_str_has_prefix(path, "word/") && g_str_has_suffix(path, ".xml")
               && (strcmp(path, "word/document.xml") == 0 || strstr(path, "header") != NULL
                   || strstr(path, "footer") != NULL || strstr(path, "footnotes") != NULL
                   || strstr(path, "endnotes") != NULL || strstr(path, "comments") != NULL);
      case SM_EXTRACT_XLSX:
        return strcmp(path, "xl/sharedStrings.xml") == 0
               || (g_str_has_prefix(path, "xl/worksheets/") && g_str_has_suffix(path, ".xml"));
      case SM_EXTRACT_ODF:
        return strcmp(path, "content.xml") == 0;
      case SM_EXTRACT_PDF:
      case SM_EXTRACT_NONE:
      default:
        return FALSE;
    }
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlParserCtxt, xmlFreeParserCtxt)

/* Streams one archive entry through the SAX parser. */
static gboolean
extract_entry(struct archive *a, Sink *sink, guint64 *xml_budget, gboolean *truncated)
{
  xmlSAXHandler sax;
  memset(&sax, 0, sizeof sax);
  sax.initialized = XML_SAX2_MAGIC;
  sax.endElementNs = sax_end;
  sax.characters = sax_chars;
  g_autoptr(xmlParserCtxt) ctxt = xmlCreatePushParserCtxt(&sax, sink, NULL, 0, NULL);
  if (ctxt == NULL)
    return FALSE;
  xmlCtxtUseOptions(ctxt, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  char buf[EXTRACT_READ_BYTES];
  for (;;)
    {
      la_ssize_t n = archive_read_data(a, buf, sizeof buf);
      if (n < 0)
        return FALSE;
      if (n == 0 || sink->full)
        break;
      if ((guint64)n > *xml_budget)
        {
          *truncated = TRUE;
          return TRUE;
        }
      *xml_budget -= (guint64)n;
      if (xmlParseChunk(ctxt, buf, (int)n, 0) != 0)
        return TRUE; /* broken XML: keep the text found so far */
    }
  xmlParseChunk(ctxt, NULL, 0, 1);
  return TRUE;
}

static gboolean
extract_zip_xml(SmExtractKind kind, GBytes *data, Sink *sink, const SmLimits *limits,
                gboolean *truncated, GError **error)
{
  gsize len;
  const void *bytes = g_bytes_get_data(data, &len);
  g_autoptr(SmArchive) a = archive_read_new();
  guint64 xml_budget = sm_limits_get(limits, SM_LIMIT_EXTRACT_XML_BYTES);
  guint64 entries = 0, max_entries = sm_limits_get(limits, SM_LIMIT_EXTRACT_ENTRIES);
  gboolean any = FALSE;
  archive_read_support_format_zip(a);
  if (archive_read_open_memory(a, bytes, len) != ARCHIVE_OK)
    {
      g_set_error(error, SM_ERROR, SM_ERROR_INVALID_INPUT, "attachment is not a zip archive: %s",
                  archive_error_string(a));
      return FALSE;
    }
  struct archive_entry *entry;
  int rc;
  while ((rc = archive_read_next_header(a, &entry)) == ARCHIVE_OK)
    {
      if (++entries > max_entries || sink->full)
        {
          *truncated = TRUE;
          break;
        }
      const char *path = archive_entry_pathname(entry);
      if (path == NULL || !wanted_entry(kind, path))
        continue;
      any = TRUE;
      if (!extract_entry(a, sink, &xml_budget, truncated))
        break;
      sink_add(sink, "\n", 1);
      if (*truncated)
        break;
    }
  if (!any && rc != ARCHIVE_EOF && rc != ARCHIVE_OK)
    {
      g_set_error(error, SM_ERROR, SM_ERROR_INVALID_INPUT, "attachment archive is damaged: %s",
                  archive_error_string(a));
      return FALSE;
    }
  return TRUE;
}

gboolean
sm_scan_extract(SmExtractKind kind, GBytes *data, SmScanner *scanner, const SmLimits *limits,
                gboolean *truncated, GError **error)
{
  g_autoptr(GString) text = g_string_sized_new(EXTRACT_FLUSH_BYTES);
  Sink sink = { scanner, text, 0, sm_limits_get(limits, SM_LIMIT_EXTRACT_TEXT_BYTES), FALSE };
  gboolean ok;
  *truncated = FALSE;
  if (kind == SM_EXTRACT_PDF)
    ok = extract_pdf(data, &sink, error);
  else
    ok = extract_zip_xml(kind, data, &sink, limits, truncated, error);
  sink_flush(&sink);
  *truncated = *truncated || sink.full;
  return ok;
}

#else /* !SM_HAVE_ATTACHMENTS */

gboolean
sm_scan_extract(SmExtractKind kind, GBytes *data, SmScanner *scanner, const SmLimits *limits,
                gboolean *truncated, GError **error)
{
  *truncated = FALSE;
  g_set_error_literal(error, SM_ERROR, SM_ERROR_NOT_FOUND,
                      "built without attachment extraction (-Dattachments=disabled)");
  return FALSE;
}

#endif
