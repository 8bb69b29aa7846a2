/* sm-limits: the table of named limits (Postfix's mail_params.h, in miniature). */
#include "sm-limits.h"
#include "sm-error.h"

typedef struct {
  const char *name;
  guint64 def;
  const char *description;
} SmLimitDef;

#define MiB (1024 * 1024)

static const SmLimitDef limit_defs[SM_LIMIT_COUNT] = {
  [SM_LIMIT_MESSAGE_BYTES] = {"message-bytes", 256 * MiB, "largest message accepted"},
  [SM_LIMIT_HEADER_BLOCK_BYTES] = {"header-block-bytes", 4 * MiB, "top-level header block"},
  [SM_LIMIT_HEADER_COUNT] = {"header-count", 20000, "header fields per header block"},
  [SM_LIMIT_MIME_DEPTH] = {"mime-depth", 64, "MIME nesting depth"},
  [SM_LIMIT_MIME_PARTS] = {"mime-parts", 10000, "MIME parts per message"},
  [SM_LIMIT_RECEIVED_HEADERS] = {"received-headers", 200, "Received fields analysed"},
  [SM_LIMIT_RECEIVED_BYTES] = {"received-bytes", 16384, "bytes of one Received field"},
  [SM_LIMIT_AUTHRES_HEADERS] = {"authres-headers", 100, "Authentication-Results fields analysed"},
  [SM_LIMIT_AUTHRES_RESULTS] = {"authres-results", 64, "results in one Authentication-Results"},
  [SM_LIMIT_AUTHRES_BYTES] = {"authres-bytes", 65536, "bytes of one Authentication-Results field"},
  [SM_LIMIT_SIGNATURES] = {"signatures", 32, "signatures reported per message"},
  [SM_LIMIT_CRYPTO_LAYERS] = {"crypto-layers", 8, "nested signed/encrypted layers unwrapped"},
  [SM_LIMIT_AUTOCRYPT_KEYDATA_BYTES] = {"autocrypt-keydata-bytes", 32768,
                                        "exported key in one Autocrypt header field"},
  [SM_LIMIT_AUTOCRYPT_GOSSIP_RECIPIENTS] = {"autocrypt-gossip-recipients", 50,
                                            "recipients above which no Autocrypt-Gossip is sent"},
  [SM_LIMIT_SCAN_PART_BYTES] = {"scan-part-bytes", 512 * MiB, "decoded bytes scanned per part"},
  [SM_LIMIT_SCAN_FINDINGS] = {"scan-findings", 10000, "findings reported per message"},
  [SM_LIMIT_ATTACHMENT_BYTES] = {"attachment-bytes", 64 * MiB, "attachment size given to extractors"},
  [SM_LIMIT_EXTRACT_TEXT_BYTES] = {"extract-text-bytes", 32 * MiB, "text extracted per attachment"},
  [SM_LIMIT_EXTRACT_XML_BYTES] = {"extract-xml-bytes", 256 * MiB, "uncompressed XML read per office attachment"},
  [SM_LIMIT_EXTRACT_ENTRIES] = {"extract-entries", 10000, "zip entries looked at per office attachment"},
  [SM_LIMIT_SMTP_LINE_BYTES] = {"smtp-line-bytes", 4096, "SMTP command line length"},
  [SM_LIMIT_SMTP_RECIPIENTS] = {"smtp-recipients", 1000, "RCPT TO per transaction"},
  [SM_LIMIT_SMTP_MESSAGE_BYTES] = {"smtp-message-bytes", 50 * MiB, "SMTP SIZE limit"},
  [SM_LIMIT_SMTP_ERRORS] = {"smtp-errors", 20, "bad SMTP commands before disconnect"},
  [SM_LIMIT_SMTP_TIMEOUT_SECONDS] = {"smtp-timeout", 300, "idle SMTP client timeout (s)"},
  [SM_LIMIT_UPSTREAM_TIMEOUT_SECONDS] = {"upstream-timeout", 60, "upstream connect/reply timeout (s)"},
  [SM_LIMIT_SMTP_SESSIONS] = {"smtp-sessions", 32, "concurrent SMTP client sessions"},
  [SM_LIMIT_SMTP_REPLY_LINES] = {"smtp-reply-lines", 100, "lines in one upstream SMTP reply"},
  [SM_LIMIT_CONTROL_REQUEST_BYTES] = {"control-request-bytes", 1 * MiB, "one control-socket request"},
  [SM_LIMIT_CONTROL_JSON_DEPTH] = {"control-json-depth", 32, "JSON nesting in one control request"},
  [SM_LIMIT_CONTROL_CLIENTS] = {"control-clients", 16, "concurrent control-socket clients"},
  [SM_LIMIT_CONTROL_TIMEOUT_SECONDS] = {"control-timeout", 30, "idle control client timeout (s)"},
  [SM_LIMIT_CONTROL_RESPONSE_BYTES] = {"control-response-bytes", 16 * MiB, "one control-socket response"},
  [SM_LIMIT_AUDIT_TEXT_BYTES] = {"audit-text-bytes", 1024, "one reason or detail in the audit"},
  [SM_LIMIT_AUDIT_RECIPIENTS] = {"audit-recipients", 10000, "recipients per audit record"},
  [SM_LIMIT_AUDIT_FINDING_TYPES] = {"audit-finding-types", 256, "finding types per audit record"},
  [SM_LIMIT_AUDIT_BUSY_MS] = {"audit-busy-ms", 10000, "wait for a locked audit database (ms)"},
  [SM_LIMIT_AUDIT_LIST] = {"audit-list", 100000, "records in one audit listing"},
  [SM_LIMIT_BUNDLE_FILES] = {"bundle-files", 1000, "files in one org bundle"},
  [SM_LIMIT_BUNDLE_FILE_BYTES] = {"bundle-file-bytes", 8 * MiB, "one file of an org bundle"},
  [SM_LIMIT_BUNDLE_BYTES] = {"bundle-bytes", 64 * MiB, "all files of an org bundle"},
  [SM_LIMIT_BUNDLE_MANIFEST_BYTES] = {"bundle-manifest-bytes", 256 * 1024, "bundle manifest or signature"},
  [SM_LIMIT_BUNDLE_PATH_BYTES] = {"bundle-path-bytes", 255, "one path inside an org bundle"},
  [SM_LIMIT_ADDRESS_BYTES] = {"address-bytes", 254, "one e-mail address (RFC 5321)"},
  [SM_LIMIT_KEY_CANDIDATES] = {"key-candidates", 64, "keys examined per address and protocol"},
  [SM_LIMIT_PLAN_RECIPIENTS] = {"plan-recipients", 1000, "recipients of one message in a plan"},
};

static SmLimits default_limits;

const SmLimits *
sm_limits_default(void)
{
  static gsize once = 0;
  if (g_once_init_enter(&once)) {
    for (int i = 0; i < SM_LIMIT_COUNT; i++)
      default_limits.value[i] = limit_defs[i].def;
    g_once_init_leave(&once, 1);
  }
  return &default_limits;
}

SmLimits *
sm_limits_new(GKeyFile *kf, GError **error)
{
  g_autoptr(SmLimits) limits = g_new(SmLimits, 1);
  *limits = *sm_limits_default();
  if (kf == NULL || !g_key_file_has_group(kf, "limits"))
    return g_steal_pointer(&limits);
  for (int i = 0; i < SM_LIMIT_COUNT; i++) {
    g_autoptr(GError) local = NULL;
    if (!g_key_file_has_key(kf, "limits", limit_defs[i].name, NULL))
      continue;
    guint64 v = g_key_file_get_uint64(kf, "limits", limit_defs[i].name, &local);
    if (local != NULL || v == 0) {
      g_set_error(error, SM_ERROR, SM_ERROR_INVALID_INPUT,
                  "[limits] %s must be a positive number", limit_defs[i].name);
      return NULL;
    }
    limits->value[i] = v;
  }
  return g_steal_pointer(&limits);
}

void
sm_limits_free(SmLimits *limits)
{
  g_free(limits);
}

guint64
sm_limits_get(const SmLimits *limits, SmLimitId id)
{
  g_return_val_if_fail(id < SM_LIMIT_COUNT, 0);
  if (limits == NULL)
    limits = sm_limits_default();
  return limits->value[id];
}

const char *
sm_limits_name(SmLimitId id)
{
  g_return_val_if_fail(id < SM_LIMIT_COUNT, NULL);
  return limit_defs[id].name;
}

const char *
sm_limits_description(SmLimitId id)
{
  g_return_val_if_fail(id < SM_LIMIT_COUNT, NULL);
  return limit_defs[id].description;
}
