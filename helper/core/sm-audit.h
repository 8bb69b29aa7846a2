/* sm-audit: the SQLite audit of every outgoing message and the record of partly delivered
 * split plans (issue 5). Never stores a sensitive value: types and counts only.
 * CONTRACT used by the SMTP proxy and the CLI (audit, report, status); add, never rename. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct _SmAudit SmAudit;

/* The observed TLS facts of one upstream session. */
typedef struct {
  char *host;            /* upstream host name as configured */
  char *policy_domain;   /* domain for TLS-RPT grouping (the upstream host's domain) */
  gboolean tls;          /* TLS was established and verified */
  char *version;         /* "1.3" */
  char *cipher;
  char *cert_sha256;     /* server certificate fingerprint, hex */
  char *failure;         /* NULL on success; RFC 8460 result-type on failure, e.g. "certificate-host-mismatch" */
} SmAuditTls;

SmAudit *sm_audit_open(const char *db_path, GError **error);
void sm_audit_close(SmAudit *audit);

/* Records one message: @record is a JSON object with at least
 * time, message_id_hash, recipients[{address, decision, reason}], findings{type: count},
 * tls{...}, result ("sent" | "blocked" | "failed" | "partial"), detail. */
gboolean sm_audit_record(SmAudit *audit, JsonNode *record, GError **error);
/* Records the outcome of one upstream TLS session (for `sealmail report --tls-rpt`). */
gboolean sm_audit_record_tls(SmAudit *audit, const SmAuditTls *tls, GError **error);

/* Split-plan delivery records, keyed by Message-ID hash and a stable recipient-group key. */
gboolean sm_audit_group_delivered(SmAudit *audit, const char *message_id_hash,
                                  const char *group_key, gboolean *delivered, GError **error);
gboolean sm_audit_mark_group_delivered(SmAudit *audit, const char *message_id_hash,
                                       const char *group_key, GError **error);

/* `sealmail audit --json`: the newest @limit records, newest first. */
JsonNode *sm_audit_list_json(SmAudit *audit, guint limit, GError **error);
/* RFC 8460 report over [@start, @end) (unix seconds). */
JsonNode *sm_audit_tls_report_json(SmAudit *audit, gint64 start, gint64 end,
                                   const char *organization, const char *contact, GError **error);

/* A hex SHA-256 of @message_id (so the audit does not keep Message-IDs in clear). */
char *sm_audit_hash_message_id(const char *message_id);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(SmAudit, sm_audit_close)

G_END_DECLS
