/* sm-audit: the SQLite audit of outgoing messages, the upstream TLS sessions behind the RFC 8460
 * report, and the delivery records of split plans (issue 5, items 5 and 6).
 *
 * Crash safety: WAL journal with synchronous=FULL, and every record is one BEGIN IMMEDIATE
 * transaction (message row, its recipients and findings together), so a kill -9 at any moment
 * leaves either the whole record or none of it. Several writers (sealmaild's sessions, the CLI)
 * wait for each other up to audit-busy-ms. Delivery records are a primary key on
 * (message_id_hash, group_key) written with INSERT OR IGNORE: marking twice is harmless.
 * Nothing sensitive is stored: see sm-audit-check.c. Limits: audit-recipients,
 * audit-finding-types, audit-text-bytes, audit-busy-ms. */
#include "sm-audit-private.h"
#include "sm-error.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#define SM_AUDIT_SCHEMA_VERSION 1
#define SM_AUDIT_HASH_HEX 64

static const char schema_v1[]
    = "CREATE TABLE schema_version (version INTEGER NOT NULL);"
      "CREATE TABLE messages ("
      "  id INTEGER PRIMARY KEY,"
      "  time INTEGER NOT NULL,"
      "  message_id_hash TEXT,"
      "  result TEXT NOT NULL,"
      "  detail TEXT,"
      "  recipient_count INTEGER NOT NULL," /* lets a reader check the record is whole */
      "  tls_host TEXT, tls_policy_domain TEXT, tls_ok INTEGER, tls_version TEXT,"
      "  tls_cipher TEXT, tls_cert_sha256 TEXT, tls_failure TEXT);"
      "CREATE INDEX messages_time ON messages (time);"
      "CREATE TABLE recipients ("
      "  message INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,"
      "  position INTEGER NOT NULL,"
      "  address TEXT NOT NULL, decision TEXT NOT NULL, reason TEXT,"
      "  PRIMARY KEY (message, position));"
      "CREATE TABLE findings ("
      "  message INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,"
      "  type TEXT NOT NULL, count INTEGER NOT NULL,"
      "  PRIMARY KEY (message, type));"
      "CREATE TABLE tls_sessions ("
      "  id INTEGER PRIMARY KEY, time INTEGER NOT NULL, host TEXT, policy_domain TEXT,"
      "  policy_type TEXT, ok INTEGER NOT NULL, version TEXT, cipher TEXT, cert_sha256 TEXT,"
      "  failure TEXT, receiving_ip TEXT, sending_ip TEXT);"
      "CREATE INDEX tls_sessions_time ON tls_sessions (time);"
      "CREATE TABLE delivered_groups ("
      "  message_id_hash TEXT NOT NULL, group_key TEXT NOT NULL, time INTEGER NOT NULL,"
      "  PRIMARY KEY (message_id_hash, group_key)) WITHOUT ROWID;"
      "INSERT INTO schema_version (version) VALUES (1);";

gboolean
sm_audit_sql_error(sqlite3 *db, GError **error, const char *context)
{
  int code = sqlite3_errcode(db);
  SmError kind = (code == SQLITE_BUSY || code == SQLITE_LOCKED) ? SM_ERROR_TEMPORARY : SM_ERROR_IO;
  g_set_error(error, SM_ERROR, kind, _("audit database: %s: %s"), context, sqlite3_errmsg(db));
  return FALSE;
}

sqlite3_stmt *
sm_audit_prepare(SmAudit *audit, const char *sql, GError **error)
{
  sqlite3_stmt *stmt = NULL;
  if (sqlite3_prepare_v2(audit->db, sql, -1, &stmt, NULL) != SQLITE_OK)
    {
      sm_audit_sql_error(audit->db, error, "prepare");
      return NULL;
    }
  return stmt;
}

static gboolean
exec(SmAudit *audit, const char *sql, GError **error)
{
  if (sqlite3_exec(audit->db, sql, NULL, NULL, NULL) != SQLITE_OK)
    return sm_audit_sql_error(audit->db, error, sql);
  return TRUE;
}

static void
rollback(SmAudit *audit)
{
  sqlite3_exec(audit->db, "ROLLBACK", NULL, NULL, NULL);
}

/* Creates the file with mode 0600 before SQLite does (it would use 0644); the WAL and shm files
 * take their mode from it. */
static gboolean
prepare_file(const char *path, GError **error)
{
  g_autofree char *dir = g_path_get_dirname(path);
  if (g_mkdir_with_parents(dir, 0700) != 0)
    {
      int e = errno;
      g_set_error(error, SM_ERROR, SM_ERROR_IO, _("cannot create %s: %s"), dir, g_strerror(e));
      return FALSE;
    }
  int fd = g_open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      int e = errno;
      g_set_error(error, SM_ERROR, SM_ERROR_IO, _("cannot open %s: %s"), path, g_strerror(e));
      return FALSE;
    }
  close(fd);
  return TRUE;
}

static gboolean
ensure_schema(SmAudit *audit, GError **error)
{
  if (!exec(audit, "BEGIN IMMEDIATE", error))
    return FALSE;
  g_autoptr(sqlite3_stmt) st = sm_audit_prepare(
      audit, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'", error);
  if (st == NULL)
    goto fail;
  if (sqlite3_step(st) != SQLITE_ROW)
    {
      if (!exec(audit, schema_v1, error))
        goto fail;
      return exec(audit, "COMMIT", error);
    }
  g_clear_pointer(&st, sqlite3_finalize);
  st = sm_audit_prepare(audit, "SELECT max(version) FROM schema_version", error);
  if (st == NULL || sqlite3_step(st) != SQLITE_ROW)
    goto fail;
  int version = sqlite3_column_int(st, 0);
  if (version > SM_AUDIT_SCHEMA_VERSION)
    {
      g_set_error(error, SM_ERROR, SM_ERROR_FAILED,
                  _("the audit database has schema %d, newer than this sealmail (%d); upgrade "
                    "sealmail or use another [audit] db"),
                  version, SM_AUDIT_SCHEMA_VERSION);
      goto fail;
    }
  /* Migrations from older versions go here, inside this transaction. */
  return exec(audit, "COMMIT", error);
fail:
  if (error != NULL && *error == NULL)
    sm_audit_sql_error(audit->db, error, "schema");
  rollback(audit);
  return FALSE;
}

SmAudit *
sm_audit_open(const char *db_path, GError **error)
{
  g_return_val_if_fail(db_path != NULL, NULL);
  gboolean memory = g_strcmp0(db_path, ":memory:") == 0;
  if (!memory && !prepare_file(db_path, error))
    return NULL;
  g_autoptr(SmAudit) audit = g_new0(SmAudit, 1);
  g_mutex_init(&audit->lock);
  audit->limits = *sm_limits_default();
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX;
  if (sqlite3_open_v2(db_path, &audit->db, flags, NULL) != SQLITE_OK)
    {
      sm_audit_sql_error(audit->db, error, "open");
      g_prefix_error(error, "%s: ", db_path);
      return NULL;
    }
  sqlite3_busy_timeout(audit->db, (int)sm_limits_get(&audit->limits, SM_LIMIT_AUDIT_BUSY_MS));
  sqlite3_extended_result_codes(audit->db, 0);
  if (!exec(audit, "PRAGMA journal_mode = WAL", error)
      || !exec(audit, "PRAGMA synchronous = FULL", error)
      || !exec(audit, "PRAGMA foreign_keys = ON", error) || !ensure_schema(audit, error))
    {
      g_prefix_error(error, "%s: ", db_path);
      return NULL;
    }
  return g_steal_pointer(&audit);
}

void
sm_audit_close(SmAudit *audit)
{
  if (audit == NULL)
    return;
  sqlite3_close_v2(audit->db);
  g_mutex_clear(&audit->lock);
  g_free(audit);
}

void
sm_audit_set_limits(SmAudit *audit, const SmLimits *limits)
{
  g_return_if_fail(audit != NULL);
  audit->limits = limits != NULL ? *limits : *sm_limits_default();
  sqlite3_busy_timeout(audit->db, (int)sm_limits_get(&audit->limits, SM_LIMIT_AUDIT_BUSY_MS));
}

char *
sm_audit_db_path(GKeyFile *config)
{
  if (config != NULL)
    {
      g_autofree char *path = g_key_file_get_string(config, "audit", "db", NULL);
      if (path != NULL && *path != '\0')
        return g_steal_pointer(&path);
    }
  return g_build_filename(g_get_user_data_dir(), "sealmail", "audit.sqlite", NULL);
}

char *
sm_audit_hash_message_id(const char *message_id)
{
  g_return_val_if_fail(message_id != NULL, NULL);
  /* Angle brackets and surrounding blanks are not part of the id (RFC 5322 3.6.4). */
  g_autofree char *id = g_strstrip(g_strdup(message_id));
  gsize n = strlen(id);
  const char *start = id;
  if (n >= 2 && id[0] == '<' && id[n - 1] == '>')
    {
      start = id + 1;
      n -= 2;
    }
  return g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *)start, n);
}

static void
bind_text_or_null(sqlite3_stmt *st, int i, const char *value)
{
  if (value != NULL)
    sqlite3_bind_text(st, i, value, -1, SQLITE_TRANSIENT);
  else
    sqlite3_bind_null(st, i);
}

static gboolean
step_done(SmAudit *audit, sqlite3_stmt *st, GError **error, const char *context)
{
  if (sqlite3_step(st) != SQLITE_DONE)
    return sm_audit_sql_error(audit->db, error, context);
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  return TRUE;
}

/* What one record holds, checked, before anything is written. */
typedef struct
{
  gint64 time;
  const char *hash;
  const char *result;
  char *detail; /* scrubbed, owned */
  JsonArray *recipients;
  JsonObject *findings;
  SmAuditTls tls;
  gboolean has_tls;
} SmAuditRecord;

static void
record_clear(SmAuditRecord *r)
{
  g_free(r->detail);
}

static const char *
get_string(JsonObject *obj, const char *name)
{
  JsonNode *n = json_object_get_member(obj, name);
  if (n == NULL || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string(n);
}

static gboolean
parse_time(JsonObject *obj, gint64 *out, GError **error)
{
  JsonNode *n = json_object_get_member(obj, "time");
  *out = g_get_real_time() / G_USEC_PER_SEC;
  if (n == NULL || JSON_NODE_HOLDS_NULL(n))
    return TRUE;
  if (JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_INT64)
    {
      *out = json_node_get_int(n);
      return *out >= 0;
    }
  const char *s = get_string(obj, "time");
  g_autoptr(GDateTime) dt = s != NULL ? g_date_time_new_from_iso8601(s, NULL) : NULL;
  if (dt == NULL)
    {
      g_set_error_literal(error, SM_ERROR, SM_ERROR_INVALID_INPUT,
                          _("audit record: time must be unix seconds or ISO 8601"));
      return FALSE;
    }
  *out = g_date_time_to_unix(dt);
  return TRUE;
}

static gboolean
check_recipients(SmAudit *audit, JsonArray *rcpts, GError **error)
{
  guint n = json_array_get_length(rcpts);
  if (n > sm_limits_get(&audit->limits, SM_LIMIT_AUDIT_RECIPIENTS))
    {
      g_set_error(error, SM_ERROR, SM_ERROR_LIMIT, _("audit record: more than %s recipients"),
                  "audit-recipients");
      return FALSE;
    }
  for (guint i = 0; i < n; i++)
    {
      JsonNode *node = json_array_get_element(rcpts, i);
      if (!JSON_NODE_HOLDS_OBJECT(node))
        {
          g_set_error_literal(error, SM_ERROR, SM_ERROR_INVALID_INPUT,
                              _("audit record: each recipient must be an object"));
          return FALSE;
        }
      JsonObject *r = json_node_get_object(node);
      if (!sm_audit_check_address(get_string(r, "address"), error)
          || !sm_audit_check_decision(get_string(r, "decision"), error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
check_findings(SmAudit *audit, JsonObject *findings, GError **error)
{
  if (json_object_get_size(findings) > sm_limits_get(&audit->limits, SM_LIMIT_AUDIT_FINDING_TYPES))
    {
      g_set_error(error, SM_ERROR, SM_ERROR_LIMIT, _("audit record: more than %s finding types"),
                  "audit-finding-types");
      return FALSE;
    }
  JsonObjectIter iter;
  const char *type;
  JsonNode *value;
  json_object_iter_init(&iter, findings);
  while (json_object_iter_next(&iter, &type, &value))
    {
      /* The scan summary's flags (personal_information_201cmr17) carry no value: skipped. */
      if (JSON_NODE_HOLDS_VALUE(value) && json_node_get_value_type(value) == G_TYPE_BOOLEAN)
        continue;
      if (!sm_audit_check_finding_type(type, error))
        return FALSE;
      if (!JSON_NODE_HOLDS_VALUE(value) || json_node_get_value_type(value) != G_TYPE_INT64
          || json_node_get_int(value) < 0 || json_node_get_int(value) > G_MAXINT32)
        {
          g_set_error(error, SM_ERROR, SM_ERROR_INVALID_INPUT,
                      _("audit record: the count of %s must be a non-negative integer"), type);
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
member_is(JsonObject *obj, const char *name, JsonNodeType type)
{
  JsonNode *n = json_object_get_member(obj, name);
  return n != NULL && JSON_NODE_TYPE(n) == type;
}

static gboolean
record_parse(SmAudit *audit, JsonNode *node, SmAuditRecord *r, GError **error)
{
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT(node))
    {
      g_set_error_literal(error, SM_ERROR, SM_ERROR_INVALID_INPUT,
                          _("audit record: not a JSON object"));
      return FALSE;
    }
  JsonObject *obj = json_node_get_object(node);
  if (!parse_time(obj, &r->time, error))
    return FALSE;
  r->hash = get_string(obj, "message_id_hash");
  if (r->hash != NULL && !sm_audit_check_hash("message_id_hash", r->hash, SM_AUDIT_HASH_HEX, error))
    return FALSE;
  r->result = get_string(obj, "result");
  if (!sm_audit_check_result(r->result, error))
    return FALSE;
  const char *detail = get_string(obj, "detail");
  gsize max_text = sm_limits_get(&audit->limits, SM_LIMIT_AUDIT_TEXT_BYTES);
  r->detail = detail != NULL ? sm_audit_scrub_text(detail, max_text) : NULL;
  if (member_is(obj, "recipients", JSON_NODE_ARRAY))
    {
      r->recipients = json_object_get_array_member(obj, "recipients");
      if (!check_recipients(audit, r->recipients, error))
        return FALSE;
    }
  if (member_is(obj, "findings", JSON_NODE_OBJECT))
    {
      r->findings = json_object_get_object_member(obj, "findings");
      if (!check_findings(audit, r->findings, error))
        return FALSE;
    }
  if (member_is(obj, "tls", JSON_NODE_OBJECT))
    {
      r->has_tls = TRUE;
      if (!sm_audit_tls_from_json(json_object_get_object_member(obj, "tls"), &r->tls, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
insert_message(SmAudit *audit, const SmAuditRecord *r, GError **error)
{
  g_autoptr(sqlite3_stmt) st = sm_audit_prepare(
      audit,
      "INSERT INTO messages (time, message_id_hash, result, detail, recipient_count, tls_host,"
      " tls_policy_domain, tls_ok, tls_version, tls_cipher, tls_cert_sha256, tls_failure)"
      " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      error);
  if (st == NULL)
    return FALSE;
  sqlite3_bind_int64(st, 1, r->time);
  bind_text_or_null(st, 2, r->hash);
  bind_text_or_null(st, 3, r->result);
  bind_text_or_null(st, 4, r->detail);
  sqlite3_bind_int(st, 5, r->recipients != NULL ? json_array_get_length(r->recipients) : 0);
  bind_text_or_null(st, 6, r->tls.host);
  bind_text_or_null(st, 7, r->tls.policy_domain);
  if (r->has_tls)
    sqlite3_bind_int(st, 8, r->tls.tls ? 1 : 0);
  else
    sqlite3_bind_null(st, 8);
  bind_text_or_null(st, 9, r->tls.version);
  bind_text_or_null(st, 10, r->tls.cipher);
  bind_text_or_null(st, 11, r->tls.cert_sha256);
  bind_text_or_null(st, 12, r->tls.failure);
  return step_done(audit, st, error, "insert message");
}

static gboolean
insert_recipients(SmAudit *audit, sqlite3_int64 id, JsonArray *rcpts, GError **error)
{
  g_autoptr(sqlite3_stmt) st = sm_audit_prepare(
      audit,
      "INSERT INTO recipients (message, position, address, decision, reason) VALUES (?,?,?,?,?)",
      error);
  if (st == NULL)
    return FALSE;
  gsize max_text = sm_limits_get(&audit->limits, SM_LIMIT_AUDIT_TEXT_BYTES);
  for (guint i = 0; i < json_array_get_length(rcpts); i++)
    {
      JsonObject *r = json_array_get_object_element(rcpts, i);
      const char *reason = get_string(r, "reason");
      g_autofree char *scrubbed = reason != NULL ? sm_audit_scrub_text(reason, max_text) : NULL;
      g_autofree char *address = g_utf8_strdown(get_string(r, "address"), -1);
      sqlite3_bind_int64(st, 1, id);
      sqlite3_bind_int(st, 2, (int)i);
      bind_text_or_null(st, 3, address);
      bind_text_or_null(st, 4, get_string(r, "decision"));
      bind_text_or_null(st, 5, scrubbed);
      if (!step_done(audit, st, error, "insert recipient"))
        return FALSE;
    }
  return TRUE;
}

static gboolean
insert_findings(SmAudit *audit, sqlite3_int64 id, JsonObject *findings, GError **error)
{
  g_autoptr(sqlite3_stmt) st = sm_audit_prepare(
      audit, "INSERT OR REPLACE INTO findings (message, type, count) VALUES (?, ?, ?)", error);
  if (st == NULL)
    return FALSE;
  JsonObjectIter iter;
  const char *type;
  JsonNode *value;
  json_object_iter_init(&iter, findings);
  while (json_object_iter_next(&iter, &type, &value))
    {
      if (json_node_get_value_type(value) != G_TYPE_INT64)
        continue;
      sqlite3_bind_int64(st, 1, id);
      sqlite3_bind_text(st, 2, type, -1, SQLITE_TRANSIENT);
      sqlite3_bind_int64(st, 3, json_node_get_int(value));
      if (!step_done(audit, st, error, "insert finding"))
        return FALSE;
    }
  return TRUE;
}

static gboolean
record_write(SmAudit *audit, const SmAuditRecord *r, GError **error)
{
  if (!exec(audit, "BEGIN IMMEDIATE", error))
    return FALSE;
  if (!insert_message(audit, r, error))
    goto fail;
  sqlite3_int64 id = sqlite3_last_insert_rowid(audit->db);
  if (r->recipients != NULL && !insert_recipients(audit, id, r->recipients, error))
    goto fail;
  if (r->findings != NULL && !insert_findings(audit, id, r->findings, error))
    goto fail;
  if (exec(audit, "COMMIT", error))
    return TRUE;
fail:
  rollback(audit);
  return FALSE;
}

gboolean
sm_audit_record(SmAudit *audit, JsonNode *record, GError **error)
{
  g_return_val_if_fail(audit != NULL, FALSE);
  SmAuditRecord r = { 0 };
  gboolean ok = record_parse(audit, record, &r, error);
  if (ok)
    {
      g_mutex_lock(&audit->lock);
      ok = record_write(audit, &r, error);
      g_mutex_unlock(&audit->lock);
    }
  record_clear(&r);
  return ok;
}

gboolean
sm_audit_record_tls(SmAudit *audit, const SmAuditTls *tls, GError **error)
{
  g_return_val_if_fail(audit != NULL && tls != NULL, FALSE);
  if (!sm_audit_check_tls(tls, error))
    return FALSE;
  g_mutex_lock(&audit->lock);
  g_autoptr(sqlite3_stmt) st = sm_audit_prepare(
      audit,
      "INSERT INTO tls_sessions (time, host, policy_domain, policy_type, ok, version, cipher,"
      " cert_sha256, failure, receiving_ip, sending_ip) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
      error);
  gboolean ok = st != NULL;
  if (ok)
    {
      sqlite3_bind_int64(st, 1, g_get_real_time() / G_USEC_PER_SEC);
      bind_text_or_null(st, 2, tls->host);
      bind_text_or_null(st, 3, tls->policy_domain);
      bind_text_or_null(st, 4, tls->policy_type);
      sqlite3_bind_int(st, 5, tls->tls && tls->failure == NULL ? 1 : 0);
      bind_text_or_null(st, 6, tls->version);
      bind_text_or_null(st, 7, tls->cipher);
      bind_text_or_null(st, 8, tls->cert_sha256);
      bind_text_or_null(st, 9, tls->failure);
      bind_text_or_null(st, 10, tls->receiving_ip);
      bind_text_or_null(st, 11, tls->sending_ip);
      ok = step_done(audit, st, error, "insert TLS session");
    }
  g_clear_pointer(&st, sqlite3_finalize);
  g_mutex_unlock(&audit->lock);
  return ok;
}

static gboolean
check_group_args(const char *hash, const char *group_key, GError **error)
{
  return sm_audit_check_hash("message_id_hash", hash, SM_AUDIT_HASH_HEX, error)
         && sm_audit_check_hash("group_key", group_key, SM_AUDIT_HASH_HEX, error);
}

gboolean
sm_audit_group_delivered(SmAudit *audit, const char *message_id_hash, const char *group_key,
                         gboolean *delivered, GError **error)
{
  g_return_val_if_fail(audit != NULL && delivered != NULL, FALSE);
  *delivered = FALSE;
  if (!check_group_args(message_id_hash, group_key, error))
    return FALSE;
  g_mutex_lock(&audit->lock);
  g_autoptr(sqlite3_stmt) st = sm_audit_prepare(
      audit, "SELECT 1 FROM delivered_groups WHERE message_id_hash = ? AND group_key = ?", error);
  gboolean ok = st != NULL;
  if (ok)
    {
      sqlite3_bind_text(st, 1, message_id_hash, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(st, 2, group_key, -1, SQLITE_TRANSIENT);
      int rc = sqlite3_step(st);
      *delivered = rc == SQLITE_ROW;
      ok = rc == SQLITE_ROW || rc == SQLITE_DONE || sm_audit_sql_error(audit->db, error, "lookup");
    }
  g_clear_pointer(&st, sqlite3_finalize);
  g_mutex_unlock(&audit->lock);
  return ok;
}

gboolean
sm_audit_mark_group_delivered(SmAudit *audit, const char *message_id_hash, const char *group_key,
                              GError **error)
{
  g_return_val_if_fail(audit != NULL, FALSE);
  if (!check_group_args(message_id_hash, group_key, error))
    return FALSE;
  g_mutex_lock(&audit->lock);
  /* One statement is one atomic, durable transaction; a second mark of the same group is a
   * no-op, so a retry after a crash between upstream 250 and this call only repeats the mark. */
  g_autoptr(sqlite3_stmt) st = sm_audit_prepare(
      audit,
      "INSERT OR IGNORE INTO delivered_groups (message_id_hash, group_key, time) VALUES (?, ?, ?)",
      error);
  gboolean ok = st != NULL;
  if (ok)
    {
      sqlite3_bind_text(st, 1, message_id_hash, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(st, 2, group_key, -1, SQLITE_TRANSIENT);
      sqlite3_bind_int64(st, 3, g_get_real_time() / G_USEC_PER_SEC);
      ok = step_done(audit, st, error, "mark group delivered");
    }
  g_clear_pointer(&st, sqlite3_finalize);
  g_mutex_unlock(&audit->lock);
  return ok;
}

gboolean
sm_audit_prune(SmAudit *audit, gint64 before, GError **error)
{
  g_return_val_if_fail(audit != NULL, FALSE);
  g_autofree char *sql
      = g_strdup_printf("BEGIN IMMEDIATE;"
                        "DELETE FROM messages WHERE time < %" G_GINT64_FORMAT ";"
                        "DELETE FROM tls_sessions WHERE time < %" G_GINT64_FORMAT ";"
                        "DELETE FROM delivered_groups WHERE time < %" G_GINT64_FORMAT ";"
                        "COMMIT",
                        before, before, before);
  g_mutex_lock(&audit->lock);
  gboolean ok = exec(audit, sql, error);
  if (!ok)
    rollback(audit);
  g_mutex_unlock(&audit->lock);
  return ok;
}

static int
compare_strings(gconstpointer a, gconstpointer b)
{
  return g_strcmp0(*(const char *const *)a, *(const char *const *)b);
}

char *
sm_audit_group_key(const char *decision, const char *const *addresses)
{
  g_return_val_if_fail(decision != NULL, NULL);
  g_autoptr(GPtrArray) sorted = g_ptr_array_new_with_free_func(g_free);
  for (gsize i = 0; addresses != NULL && addresses[i] != NULL; i++)
    g_ptr_array_add(sorted, g_utf8_strdown(addresses[i], -1));
  g_ptr_array_sort(sorted, compare_strings);
  g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
  g_checksum_update(sum, (const guchar *)decision, -1);
  const char *previous = NULL;
  for (guint i = 0; i < sorted->len; i++)
    {
      const char *a = g_ptr_array_index(sorted, i);
      if (g_strcmp0(a, previous) == 0)
        continue;
      /* NUL separators: no address can contain one, so distinct lists never collide by joining. */
      g_checksum_update(sum, (const guchar *)"", 1);
      g_checksum_update(sum, (const guchar *)a, -1);
      previous = a;
    }
  return g_strdup(g_checksum_get_string(sum));
}
