/* sm-limits: every limit and timeout of sealmail, named, with a default, in one table.
 * A [limits] group in the configuration file may override any of them by name. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  /* message parsing (sm-message) */
  SM_LIMIT_MESSAGE_BYTES,        /* largest message accepted at all */
  SM_LIMIT_HEADER_BLOCK_BYTES,   /* top-level header block */
  SM_LIMIT_HEADER_COUNT,         /* header fields in one header block */
  SM_LIMIT_MIME_DEPTH,           /* multipart / message/rfc822 nesting */
  SM_LIMIT_MIME_PARTS,           /* MIME parts in one message */
  /* delivery path (sm-path, sm-received, sm-authres) */
  SM_LIMIT_RECEIVED_HEADERS,     /* Received fields analysed; later ones are counted, not parsed */
  SM_LIMIT_RECEIVED_BYTES,       /* one Received field */
  SM_LIMIT_AUTHRES_HEADERS,      /* Authentication-Results fields analysed */
  SM_LIMIT_AUTHRES_RESULTS,      /* method results in one Authentication-Results field */
  SM_LIMIT_AUTHRES_BYTES,        /* one Authentication-Results field */
  /* crypto (sm-verify, sm-seal) */
  SM_LIMIT_SIGNATURES,           /* signatures reported per message */
  SM_LIMIT_CRYPTO_LAYERS,        /* nested signed/encrypted layers unwrapped */
  /* sealing (sm-seal) */
  SM_LIMIT_AUTOCRYPT_KEYDATA_BYTES,  /* exported key put in one Autocrypt(-Gossip) field */
  SM_LIMIT_AUTOCRYPT_GOSSIP_RECIPIENTS, /* above this many recipients, no gossip at all */
  /* scanning (sm-scan) */
  SM_LIMIT_SCAN_PART_BYTES,      /* decoded bytes scanned per part */
  SM_LIMIT_SCAN_FINDINGS,        /* findings reported per message */
  SM_LIMIT_ATTACHMENT_BYTES,     /* attachment size handed to text extractors */
  SM_LIMIT_EXTRACT_TEXT_BYTES,   /* text extracted from one attachment */
  SM_LIMIT_EXTRACT_XML_BYTES,    /* uncompressed XML read from one office attachment */
  SM_LIMIT_EXTRACT_ENTRIES,      /* archive entries looked at in one office attachment */
  /* SMTP proxy (helper/smtp) */
  SM_LIMIT_SMTP_LINE_BYTES,      /* command line, RFC 5321 says 512 */
  SM_LIMIT_SMTP_RECIPIENTS,      /* RCPT TO per transaction */
  SM_LIMIT_SMTP_MESSAGE_BYTES,   /* SIZE announced and enforced */
  SM_LIMIT_SMTP_ERRORS,          /* bad commands before the session is closed */
  SM_LIMIT_SMTP_TIMEOUT_SECONDS, /* idle client */
  SM_LIMIT_UPSTREAM_TIMEOUT_SECONDS, /* upstream connect / reply */
  SM_LIMIT_SMTP_SESSIONS,        /* concurrent client sessions */
  SM_LIMIT_SMTP_REPLY_LINES,     /* lines in one upstream reply */
  /* control socket (helper/control) */
  SM_LIMIT_CONTROL_REQUEST_BYTES,
  SM_LIMIT_CONTROL_JSON_DEPTH,     /* nesting of arrays/objects in one request */
  SM_LIMIT_CONTROL_CLIENTS,        /* concurrent control-socket clients */
  SM_LIMIT_CONTROL_TIMEOUT_SECONDS, /* idle control client; also the client's reply wait */
  SM_LIMIT_CONTROL_RESPONSE_BYTES, /* one response read by the control client */
  /* audit (sm-audit) */
  SM_LIMIT_AUDIT_TEXT_BYTES,       /* one reason or detail text stored */
  SM_LIMIT_AUDIT_RECIPIENTS,       /* recipients stored per message record */
  SM_LIMIT_AUDIT_FINDING_TYPES,    /* finding types stored per message record */
  SM_LIMIT_AUDIT_BUSY_MS,          /* wait for a locked audit database */
  SM_LIMIT_AUDIT_LIST,             /* records in one `sealmail audit` listing */
  /* org bundles (sm-bundle) */
  SM_LIMIT_BUNDLE_FILES,          /* files in one bundle, manifest included */
  SM_LIMIT_BUNDLE_FILE_BYTES,     /* one file of a bundle */
  SM_LIMIT_BUNDLE_BYTES,          /* all files of a bundle together */
  SM_LIMIT_BUNDLE_MANIFEST_BYTES, /* manifest.ini and its signature, each */
  SM_LIMIT_BUNDLE_PATH_BYTES,     /* one relative path inside a bundle */
  /* keys, Autocrypt and policy (sm-keys, sm-autocrypt, sm-policy) */
  SM_LIMIT_ADDRESS_BYTES,        /* one e-mail address, RFC 5321 4.5.3.1.3 */
  SM_LIMIT_KEY_CANDIDATES,       /* keys or certificates examined per address and protocol */
  SM_LIMIT_PLAN_RECIPIENTS,      /* recipients of one message in a plan */
  SM_LIMIT_COUNT
} SmLimitId;

typedef struct {
  guint64 value[SM_LIMIT_COUNT];
} SmLimits;

/* The compiled-in defaults. */
const SmLimits *sm_limits_default(void);
/* A copy of the defaults, overridden by the [limits] group of @kf (may be NULL). */
SmLimits *sm_limits_new(GKeyFile *kf, GError **error);
void sm_limits_free(SmLimits *limits);
guint64 sm_limits_get(const SmLimits *limits, SmLimitId id);
const char *sm_limits_name(SmLimitId id);
const char *sm_limits_description(SmLimitId id);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(SmLimits, sm_limits_free)

G_END_DECLS
