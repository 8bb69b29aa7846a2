/* sm-audit: the SQLite audit of every outgoing message and the record of partly delivered
 * split plans (issue 5). Never stores a sensitive value: types and counts only.
 * CONTRACT used by the SMTP proxy and the CLI (audit, report, status); add, never rename. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>
#include "sm-limits.h"

G_BEGIN_DECLS

typedef struct _SmAudit SmAudit;

/* The observed TLS facts of one upstream session. */
typedef struct
{
  char *host;          /* upstream host name as configured */
  char *policy_domain; /* domain for TLS-RPT grouping (the upstream host's domain) */
  gboolean tls;        /* TLS was established and verified */
  char *version;       /* "1.3" */
  char *cipher;
  char *cert_sha256; /* server certificate fingerprint, hex */
  char *failure;     /* NULL on success; RFC 8460 result-type on failure, e.g.
                        "certificate-host-mismatch" */
  /* Added by the audit module; NULL when unknown. */
  char *policy_type;  /* RFC 8460 policy-type: "sts" or "tlsa"; NULL = "no-policy-found" */
  char *receiving_ip; /* the upstream address connected to */
  char *sending_ip;   /* our local address of that connection */
} SmAuditTls;

/* Opens (creating it, mode 0600 in a 0700 directory) the audit database at @db_path, or in
 * memory for ":memory:". Several processes and threads may write at once: SQLite WAL with a busy
 * timeout, one transaction per record, so a kill -9 at any moment leaves a consistent database. */
SmAudit *sm_audit_open(const char *db_path, GError **error);
void sm_audit_close(SmAudit *audit);
/* Uses @limits (copied; the default is sm_limits_default()) for the audit-* limits. */
void sm_audit_set_limits(SmAudit *audit, const SmLimits *limits);
/* The database path: `[audit] db` of @config (may be NULL), else
 * $XDG_DATA_HOME/sealmail/audit.sqlite. */
char *sm_audit_db_path(GKeyFile *config);

/* WHAT CALLERS PASS: only types, counts, decisions, addresses and reasons made from them. Free
 * text (reason, detail) is checked anyway: control characters are dropped, text is cut at the
 * audit-text-bytes limit, and any digit sequence that could be an identifier (7+ digits across
 * spaces, dashes, dots or slashes, or 6+ digits inside one word) is stored with its digits masked
 * as '#'. Enumerated fields (decision, result, finding type, TLS result-type) must be one of
 * their documented values, and hashes hex, or the record is refused with SM_ERROR_INVALID_INPUT. */

/* Records one message: @record is a JSON object with at least
 * time, message_id_hash, recipients[{address, decision, reason}], findings{type: count},
 * tls{...}, result ("sent" | "blocked" | "failed" | "partial"), detail. */
gboolean sm_audit_record(SmAudit *audit, JsonNode *record, GError **error);
/* Records the outcome of one upstream TLS session (for `sealmail report --tls-rpt`). */
gboolean sm_audit_record_tls(SmAudit *audit, const SmAuditTls *tls, GError **error);

/* Split-plan delivery records, keyed by Message-ID hash and a stable recipient-group key.
 * Both are lower-case hex digests (sm_audit_hash_message_id, sm_audit_group_key). Order for
 * "nothing lost, nothing duplicated": skip a group already delivered; send it; after the
 * upstream's 250, mark it. Marking is one durable INSERT OR IGNORE, so marking twice is harmless;
 * a crash between the upstream's 250 and the mark can only repeat that one group. */
gboolean sm_audit_group_delivered(SmAudit *audit, const char *message_id_hash,
                                  const char *group_key, gboolean *delivered, GError **error);
gboolean sm_audit_mark_group_delivered(SmAudit *audit, const char *message_id_hash,
                                       const char *group_key, GError **error);

/* `sealmail audit --json`: the newest @limit records, newest first. */
JsonNode *sm_audit_list_json(SmAudit *audit, guint limit, GError **error);
/* RFC 8460 report over [@start, @end) (unix seconds). */
JsonNode *sm_audit_tls_report_json(SmAudit *audit, gint64 start, gint64 end,
                                   const char *organization, const char *contact, GError **error);

/* The group key of a split-plan group: a hex SHA-256 over @decision and the lower-cased,
 * sorted, de-duplicated @addresses, so the same group gets the same key on a retry. */
char *sm_audit_group_key(const char *decision, const char *const *addresses);
/* A hex SHA-256 of @message_id (so the audit does not keep Message-IDs in clear). */
char *sm_audit_hash_message_id(const char *message_id);

/* The masking applied to free text (see above); exposed for tests and for callers that want to
 * show the same text they store. Returns a new string, never NULL for non-NULL @text. */
char *sm_audit_scrub_text(const char *text, gsize max_bytes);
/* Drops message records, TLS sessions and delivery records older than @before (unix seconds). */
gboolean sm_audit_prune(SmAudit *audit, gint64 before, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(SmAudit, sm_audit_close)

G_END_DECLS
