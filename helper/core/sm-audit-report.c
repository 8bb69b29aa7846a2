/* sm-audit-report: reading the audit back. `sealmail audit --json` (newest records first, with
 * their recipients and finding counts) and the RFC 8460 (SMTP TLS Reporting) aggregate report over
 * the user's own upstream sessions: one policy per policy domain and policy type, the session
 * summary, and failure details grouped by result-type, sending and receiving host and address.
 * Limits: audit-list (records in one listing). */
#include "sm-audit-private.h"
#include "sm-error.h"
#include "sm-json.h"

#include <glib/gi18n.h>

static const char *
column_text(sqlite3_stmt *st, int i)
{
  return (const char *)sqlite3_column_text(st, i);
}

static void
add_time(JsonBuilder *b, const char *name, gint64 t)
{
  g_autofree char *iso = sm_audit_format_time(t);
  json_builder_set_member_name(b, name);
  json_builder_add_string_value(b, iso);
}

static gboolean
add_recipients(SmAudit *audit, sqlite3_stmt *st, sqlite3_int64 id, JsonBuilder *b, GError **error)
{
  json_builder_set_member_name(b, "recipients");
  json_builder_begin_array(b);
  sqlite3_bind_int64(st, 1, id);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW)
    {
      json_builder_begin_object(b);
      sm_json_add_string_or_null(b, "address", column_text(st, 0));
      sm_json_add_string_or_null(b, "decision", column_text(st, 1));
      sm_json_add_string_or_null(b, "reason", column_text(st, 2));
      json_builder_end_object(b);
    }
  json_builder_end_array(b);
  sqlite3_reset(st);
  return rc == SQLITE_DONE || sm_audit_sql_error(audit->db, error, "read recipients");
}

static gboolean
add_findings(SmAudit *audit, sqlite3_stmt *st, sqlite3_int64 id, JsonBuilder *b, GError **error)
{
  json_builder_set_member_name(b, "findings");
  json_builder_begin_object(b);
  sqlite3_bind_int64(st, 1, id);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW)
    {
      json_builder_set_member_name(b, column_text(st, 0));
      json_builder_add_int_value(b, sqlite3_column_int64(st, 1));
    }
  json_builder_end_object(b);
  sqlite3_reset(st);
  return rc == SQLITE_DONE || sm_audit_sql_error(audit->db, error, "read findings");
}

/* Columns 5.. of the listing query: the record's upstream TLS facts, or null. */
static void
add_message_tls(sqlite3_stmt *st, JsonBuilder *b)
{
  json_builder_set_member_name(b, "tls");
  if (sqlite3_column_type(st, 7) == SQLITE_NULL)
    {
      json_builder_add_null_value(b);
      return;
    }
  json_builder_begin_object(b);
  sm_json_add_string_or_null(b, "host", column_text(st, 5));
  sm_json_add_string_or_null(b, "policy_domain", column_text(st, 6));
  json_builder_set_member_name(b, "tls");
  json_builder_add_boolean_value(b, sqlite3_column_int(st, 7) != 0);
  sm_json_add_string_or_null(b, "version", column_text(st, 8));
  sm_json_add_string_or_null(b, "cipher", column_text(st, 9));
  sm_json_add_string_or_null(b, "cert_sha256", column_text(st, 10));
  sm_json_add_string_or_null(b, "failure", column_text(st, 11));
  json_builder_end_object(b);
}

static gboolean
list_rows(SmAudit *audit, guint limit, JsonBuilder *b, GError **error)
{
  g_autoptr(sqlite3_stmt) msgs = sm_audit_prepare(
      audit,
      "SELECT id, time, message_id_hash, result, detail, tls_host, tls_policy_domain, tls_ok,"
      " tls_version, tls_cipher, tls_cert_sha256, tls_failure FROM messages"
      " ORDER BY time DESC, id DESC LIMIT ?",
      error);
  g_autoptr(sqlite3_stmt) rcpts
      = msgs != NULL ? sm_audit_prepare(audit,
                                        "SELECT address, decision, reason FROM recipients"
                                        " WHERE message = ? ORDER BY position",
                                        error)
                     : NULL;
  g_autoptr(sqlite3_stmt) finds
      = rcpts != NULL ? sm_audit_prepare(
            audit, "SELECT type, count FROM findings WHERE message = ? ORDER BY type", error)
                      : NULL;
  if (finds == NULL)
    return FALSE;
  sqlite3_bind_int64(msgs, 1, limit);
  int rc;
  while ((rc = sqlite3_step(msgs)) == SQLITE_ROW)
    {
      sqlite3_int64 id = sqlite3_column_int64(msgs, 0);
      json_builder_begin_object(b);
      json_builder_set_member_name(b, "id");
      json_builder_add_int_value(b, id);
      add_time(b, "time", sqlite3_column_int64(msgs, 1));
      sm_json_add_string_or_null(b, "message_id_hash", column_text(msgs, 2));
      sm_json_add_string_or_null(b, "result", column_text(msgs, 3));
      sm_json_add_string_or_null(b, "detail", column_text(msgs, 4));
      if (!add_recipients(audit, rcpts, id, b, error) || !add_findings(audit, finds, id, b, error))
        return FALSE;
      add_message_tls(msgs, b);
      json_builder_end_object(b);
    }
  return rc == SQLITE_DONE || sm_audit_sql_error(audit->db, error, "read messages");
}

JsonNode *
sm_audit_list_json(SmAudit *audit, guint limit, GError **error)
{
  g_return_val_if_fail(audit != NULL, NULL);
  limit = MIN(limit, sm_limits_get(&audit->limits, SM_LIMIT_AUDIT_LIST));
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "format_version");
  json_builder_add_int_value(b, SM_JSON_FORMAT_VERSION);
  json_builder_set_member_name(b, "messages");
  json_builder_begin_array(b);
  g_mutex_lock(&audit->lock);
  /* One read transaction: the records and their rows come from the same snapshot. */
  gboolean ok = sqlite3_exec(audit->db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK;
  if (!ok)
    sm_audit_sql_error(audit->db, error, "begin");
  else
    {
      ok = list_rows(audit, limit, b, error);
      sqlite3_exec(audit->db, "COMMIT", NULL, NULL, NULL);
    }
  g_mutex_unlock(&audit->lock);
  if (!ok)
    return NULL;
  json_builder_end_array(b);
  json_builder_end_object(b);
  return json_builder_get_root(b);
}

/* The SQL key of a policy: its domain (the host when no domain was recorded) and its type. */
#define POLICY_KEY                                                                                 \
  "coalesce(policy_domain, host, 'unknown'), coalesce(policy_type, 'no-policy-found')"

static void
add_failure_details(sqlite3_stmt *fail, const char *domain, const char *type, JsonBuilder *b)
{
  json_builder_set_member_name(b, "failure-details");
  json_builder_begin_array(b);
  /* Rows of @fail are ordered by policy; consume those of this policy. */
  while (sqlite3_stmt_busy(fail) && g_strcmp0(column_text(fail, 0), domain) == 0
         && g_strcmp0(column_text(fail, 1), type) == 0)
    {
      json_builder_begin_object(b);
      sm_json_add_string_or_null(b, "result-type", column_text(fail, 2));
      if (column_text(fail, 3) != NULL)
        sm_json_add_string_or_null(b, "sending-mta-ip", column_text(fail, 3));
      sm_json_add_string_or_null(b, "receiving-mx-hostname", column_text(fail, 4));
      if (column_text(fail, 5) != NULL)
        sm_json_add_string_or_null(b, "receiving-ip", column_text(fail, 5));
      json_builder_set_member_name(b, "failed-session-count");
      json_builder_add_int_value(b, sqlite3_column_int64(fail, 6));
      json_builder_end_object(b);
      if (sqlite3_step(fail) != SQLITE_ROW)
        sqlite3_reset(fail);
    }
  json_builder_end_array(b);
}

static void
add_policy(sqlite3_stmt *sum, sqlite3_stmt *fail, JsonBuilder *b)
{
  const char *domain = column_text(sum, 0);
  const char *type = column_text(sum, 1);
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "policy");
  json_builder_begin_object(b);
  sm_json_add_string_or_null(b, "policy-type", type);
  sm_json_add_string_or_null(b, "policy-domain", domain);
  json_builder_end_object(b);
  json_builder_set_member_name(b, "summary");
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "total-successful-session-count");
  json_builder_add_int_value(b, sqlite3_column_int64(sum, 2));
  json_builder_set_member_name(b, "total-failure-session-count");
  json_builder_add_int_value(b, sqlite3_column_int64(sum, 3));
  json_builder_end_object(b);
  add_failure_details(fail, domain, type, b);
  json_builder_end_object(b);
}

static gboolean
add_policies(SmAudit *audit, gint64 start, gint64 end, JsonBuilder *b, GError **error)
{
  g_autoptr(sqlite3_stmt) sum
      = sm_audit_prepare(audit,
                         "SELECT " POLICY_KEY ", sum(ok), sum(1 - ok) FROM tls_sessions"
                         " WHERE time >= ?1 AND time < ?2 GROUP BY 1, 2 ORDER BY 1, 2",
                         error);
  g_autoptr(sqlite3_stmt) fail
      = sum != NULL
            ? sm_audit_prepare(audit,
                               "SELECT " POLICY_KEY ", coalesce(failure, 'validation-failure'),"
                               " sending_ip, host, receiving_ip, count(*) FROM tls_sessions"
                               " WHERE ok = 0 AND time >= ?1 AND time < ?2"
                               " GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6",
                               error)
            : NULL;
  if (fail == NULL)
    return FALSE;
  for (sqlite3_stmt *st = sum; st != NULL; st = st == sum ? fail : NULL)
    {
      sqlite3_bind_int64(st, 1, start);
      sqlite3_bind_int64(st, 2, end);
    }
  int frc = sqlite3_step(fail);
  if (frc != SQLITE_ROW && frc != SQLITE_DONE)
    return sm_audit_sql_error(audit->db, error, "read TLS failures");
  if (frc == SQLITE_DONE)
    sqlite3_reset(fail);
  json_builder_set_member_name(b, "policies");
  json_builder_begin_array(b);
  int rc;
  while ((rc = sqlite3_step(sum)) == SQLITE_ROW)
    add_policy(sum, fail, b);
  json_builder_end_array(b);
  return rc == SQLITE_DONE || sm_audit_sql_error(audit->db, error, "read TLS sessions");
}

JsonNode *
sm_audit_tls_report_json(SmAudit *audit, gint64 start, gint64 end, const char *organization,
                         const char *contact, GError **error)
{
  g_return_val_if_fail(audit != NULL && organization != NULL, NULL);
  if (end <= start)
    {
      g_set_error_literal(error, SM_ERROR, SM_ERROR_INVALID_INPUT,
                          _("the report's date range is empty"));
      return NULL;
    }
  g_autoptr(JsonBuilder) b = json_builder_new();
  g_autofree char *start_iso = sm_audit_format_time(start);
  g_autofree char *end_iso = sm_audit_format_time(end);
  json_builder_begin_object(b);
  sm_json_add_string_or_null(b, "organization-name", organization);
  json_builder_set_member_name(b, "date-range");
  json_builder_begin_object(b);
  sm_json_add_string_or_null(b, "start-datetime", start_iso);
  sm_json_add_string_or_null(b, "end-datetime", end_iso);
  json_builder_end_object(b);
  sm_json_add_string_or_null(b, "contact-info", contact != NULL ? contact : "");
  /* Unique per reporter and range, as RFC 8460 4.4 asks; stable when re-generated. */
  g_autofree char *report_id = g_strdup_printf("%s_%s_sealmail", start_iso, end_iso);
  sm_json_add_string_or_null(b, "report-id", report_id);
  g_mutex_lock(&audit->lock);
  gboolean ok = sqlite3_exec(audit->db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK;
  if (!ok)
    sm_audit_sql_error(audit->db, error, "begin");
  else
    {
      ok = add_policies(audit, start, end, b, error);
      sqlite3_exec(audit->db, "COMMIT", NULL, NULL, NULL);
    }
  g_mutex_unlock(&audit->lock);
  if (!ok)
    return NULL;
  json_builder_end_object(b);
  return json_builder_get_root(b);
}
