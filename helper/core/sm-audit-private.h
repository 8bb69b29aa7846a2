/* sm-audit-private: what the audit's files share (sm-audit.c: database and writes,
 * sm-audit-check.c: input checks, sm-audit-report.c: listing and RFC 8460 report). */
#pragma once

#include <sqlite3.h>
#include "sm-audit.h"
#include "sm-limits.h"

G_BEGIN_DECLS

struct _SmAudit
{
  sqlite3 *db;
  GMutex lock; /* one statement sequence at a time when threads share a handle */
  SmLimits limits;
};

/* Converts the last SQLite error of @db into @error with @context. Always returns FALSE. */
gboolean sm_audit_sql_error(sqlite3 *db, GError **error, const char *context);
/* Prepares @sql; NULL with @error set on failure. */
sqlite3_stmt *sm_audit_prepare(SmAudit *audit, const char *sql, GError **error);

/* Input checks (sm-audit-check.c); each sets SM_ERROR_INVALID_INPUT naming the field. */
gboolean sm_audit_check_hash(const char *field, const char *value, gsize max_hex, GError **error);
gboolean sm_audit_check_decision(const char *value, GError **error);
gboolean sm_audit_check_result(const char *value, GError **error);
gboolean sm_audit_check_finding_type(const char *value, GError **error);
gboolean sm_audit_check_address(const char *value, GError **error);
gboolean sm_audit_check_tls(const SmAuditTls *tls, GError **error);
/* Reads the "tls" object of a record into @tls (strings borrowed from @obj). */
gboolean sm_audit_tls_from_json(JsonObject *obj, SmAuditTls *tls, GError **error);

/* ISO 8601 UTC ("2026-11-25T14:00:00Z") of unix seconds @t. */
char *sm_audit_format_time(gint64 t);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(sqlite3_stmt, sqlite3_finalize)

G_END_DECLS
