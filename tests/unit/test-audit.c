/* Unit tests of sm-audit: records and listing, refusal of malformed or smuggled input, masking of
 * free text, split-plan delivery records, the RFC 8460 report, concurrent writers (threads and
 * processes) and consistency after kill -9 in the middle of writes. */
#define _GNU_SOURCE /* memmem */
#include "sm-audit.h"
#include "sm-error.h"
#include "sm-json.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct
{
  char *dir;
  char *path;
} Fixture;

static void
fixture_set_up(Fixture *f, gconstpointer data)
{
  f->dir = g_dir_make_tmp("sm-audit-XXXXXX", NULL);
  g_assert_nonnull(f->dir);
  f->path = g_build_filename(f->dir, "sub", "audit.sqlite", NULL);
}

static void
fixture_tear_down(Fixture *f, gconstpointer data)
{
  g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", f->dir);
  g_assert_cmpint(system(cmd), ==, 0);
  g_free(f->dir);
  g_free(f->path);
}

static const char *hash_a = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

static JsonNode *
parse(const char *json)
{
  g_autoptr(GError) error = NULL;
  JsonNode *node = json_from_string(json, &error);
  g_assert_no_error(error);
  return node;
}

static char *
list_text(SmAudit *audit)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) list = sm_audit_list_json(audit, 1000, &error);
  g_assert_no_error(error);
  return sm_json_to_string(list, FALSE);
}

static gint64
count_rows(const char *path, const char *sql)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *st = NULL;
  g_assert_cmpint(sqlite3_open(path, &db), ==, SQLITE_OK);
  sqlite3_busy_timeout(db, 10000);
  g_assert_cmpint(sqlite3_prepare_v2(db, sql, -1, &st, NULL), ==, SQLITE_OK);
  g_assert_cmpint(sqlite3_step(st), ==, SQLITE_ROW);
  gint64 n = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return n;
}

static void
record_ok(SmAudit *audit, const char *json)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = parse(json);
  g_assert_true(sm_audit_record(audit, node, &error));
  g_assert_no_error(error);
}

static void
test_record_and_list(Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SmAudit) audit = sm_audit_open(f->path, &error);
  g_assert_no_error(error);
  g_autofree char *hash = sm_audit_hash_message_id("<x1@example.test>");
  g_autofree char *first = g_strdup_printf(
      "{\"time\": 1700000000, \"message_id_hash\": \"%s\", \"result\": \"sent\","
      " \"detail\": \"250 2.0.0 Ok\", \"recipients\": ["
      "   {\"address\": \"Bob@Example.test\", \"decision\": \"encrypt-openpgp\", \"reason\": "
      "\"key\"},"
      "   {\"address\": \"carol@example.test\", \"decision\": \"require-tls\", \"reason\": \"no "
      "key\"}],"
      " \"findings\": {\"US_SSN\": 1, \"CREDIT_CARD\": 2, \"personal_information_201cmr17\": true},"
      " \"tls\": {\"host\": \"smtp.example.test\", \"policy_domain\": \"example.test\", \"tls\": "
      "true,"
      "   \"version\": \"1.3\", \"cipher\": \"TLS_AES_256_GCM_SHA384\", \"cert_sha256\": \"%s\"}}",
      hash, hash_a);
  record_ok(audit, first);
  record_ok(audit,
            "{\"time\": \"2026-01-02T03:04:05Z\", \"result\": \"blocked\","
            " \"recipients\": [{\"address\": \"eve@example.org\", \"decision\": \"blocked\"}]}");

  g_autoptr(JsonNode) list = sm_audit_list_json(audit, 10, &error);
  g_assert_no_error(error);
  JsonArray *msgs = json_object_get_array_member(json_node_get_object(list), "messages");
  g_assert_cmpuint(json_array_get_length(msgs), ==, 2);
  JsonObject *newest = json_array_get_object_element(msgs, 0);
  g_assert_cmpstr(json_object_get_string_member(newest, "time"), ==, "2026-01-02T03:04:05Z");
  g_assert_cmpstr(json_object_get_string_member(newest, "result"), ==, "blocked");
  g_assert_true(json_object_get_null_member(newest, "tls"));
  JsonObject *older = json_array_get_object_element(msgs, 1);
  g_assert_cmpstr(json_object_get_string_member(older, "time"), ==, "2023-11-14T22:13:20Z");
  g_assert_cmpstr(json_object_get_string_member(older, "message_id_hash"), ==, hash);
  JsonArray *rcpts = json_object_get_array_member(older, "recipients");
  g_assert_cmpuint(json_array_get_length(rcpts), ==, 2);
  JsonObject *bob = json_array_get_object_element(rcpts, 0);
  g_assert_cmpstr(json_object_get_string_member(bob, "address"), ==, "bob@example.test");
  g_assert_cmpstr(json_object_get_string_member(bob, "decision"), ==, "encrypt-openpgp");
  JsonObject *findings = json_object_get_object_member(older, "findings");
  g_assert_cmpint(json_object_get_int_member(findings, "CREDIT_CARD"), ==, 2);
  g_assert_cmpint(json_object_get_int_member(findings, "US_SSN"), ==, 1);
  g_assert_false(json_object_has_member(findings, "personal_information_201cmr17"));
  JsonObject *tls = json_object_get_object_member(older, "tls");
  g_assert_true(json_object_get_boolean_member(tls, "tls"));
  g_assert_cmpstr(json_object_get_string_member(tls, "version"), ==, "1.3");

  g_autoptr(JsonNode) one = sm_audit_list_json(audit, 1, &error);
  msgs = json_object_get_array_member(json_node_get_object(one), "messages");
  g_assert_cmpuint(json_array_get_length(msgs), ==, 1);

  /* The file is private to the user. */
  GStatBuf st;
  g_assert_cmpint(g_stat(f->path, &st), ==, 0);
  g_assert_cmpint(st.st_mode & 0777, ==, 0600);
  g_autofree char *dir = g_path_get_dirname(f->path);
  g_assert_cmpint(g_stat(dir, &st), ==, 0);
  g_assert_cmpint(st.st_mode & 0777, ==, 0700);
}

static void
test_refused(Fixture *f, gconstpointer data)
{
  const char *bad[] = {
    "[]",
    "{\"result\": \"maybe\"}",
    "{\"result\": \"sent\", \"message_id_hash\": \"123-45-6789\"}",
    "{\"result\": \"sent\", \"message_id_hash\": \"ABCDEF\"}",
    "{\"result\": \"sent\", \"findings\": {\"123-45-6789\": 1}}",
    "{\"result\": \"sent\", \"findings\": {\"US_SSN\": \"123-45-6789\"}}",
    "{\"result\": \"sent\", \"findings\": {\"US_SSN\": -1}}",
    "{\"result\": \"sent\", \"findings\": {\"CUSTOM:\": 1}}",
    "{\"result\": \"sent\", \"recipients\": [{\"address\": \"4111111111111111\", \"decision\": "
    "\"plain\"}]}",
    "{\"result\": \"sent\", \"recipients\": [{\"address\": \"a b@c\", \"decision\": \"plain\"}]}",
    "{\"result\": \"sent\", \"recipients\": [{\"address\": \"a@c\", \"decision\": "
    "\"123-45-6789\"}]}",
    "{\"result\": \"sent\", \"recipients\": [\"a@c\"]}",
    "{\"result\": \"sent\", \"tls\": {\"failure\": \"SSN 123-45-6789\"}}",
    "{\"result\": \"sent\", \"tls\": {\"cipher\": \"123 45 6789 x\"}}",
    "{\"result\": \"sent\", \"tls\": {\"host\": \"h\", \"tls\": true, \"failure\": "
    "\"certificate-expired\"}}",
    "{\"result\": \"sent\", \"tls\": {\"tls\": \"yes\"}}",
    "{\"result\": \"sent\", \"time\": \"yesterday\"}",
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(SmAudit) audit = sm_audit_open(f->path, &error);
  g_assert_no_error(error);
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++)
    {
      g_autoptr(GError) local = NULL;
      g_autoptr(JsonNode) node = parse(bad[i]);
      g_assert_false(sm_audit_record(audit, node, &local));
      g_assert_error(local, SM_ERROR, SM_ERROR_INVALID_INPUT);
    }
  g_assert_cmpint(count_rows(f->path, "SELECT count(*) FROM messages"), ==, 0);

  SmAuditTls tls = { .host = (char *)"mx.example.test", .failure = (char *)"123456789" };
  g_assert_false(sm_audit_record_tls(audit, &tls, &error));
  g_assert_error(error, SM_ERROR, SM_ERROR_INVALID_INPUT);
  g_clear_error(&error);
  gboolean delivered;
  g_assert_false(sm_audit_mark_group_delivered(audit, hash_a, "carol@example.test", &error));
  g_assert_error(error, SM_ERROR, SM_ERROR_INVALID_INPUT);
  g_clear_error(&error);
  g_assert_false(sm_audit_group_delivered(audit, "4111 1111", hash_a, &delivered, &error));
  g_assert_error(error, SM_ERROR, SM_ERROR_INVALID_INPUT);
}

static void
test_scrub(void)
{
  struct
  {
    const char *in, *out;
  } cases[] = {
    { "550 5.7.1 relay denied by 127.0.0.1", "550 5.7.1 relay denied by 127.0.0.1" },
    { "ssn 123-45-6789 here", "ssn ###-##-#### here" },
    { "card 4111 1111 1111 1111.", "card #### #### #### ####." },
    { "nino AB123456C", "nino AB######C" },
    { "iban DE89370400440532013000", "iban DE####################" },
    { "born 1980/01/02", "born ####/##/##" },
    { "queued as 4F3A2B1C", "queued as 4F3A2B1C" },
    { "line\r\nbreak\ttab\x1b[31m", "line  break tab [31m" },
    { "année 2026 ok", "année 2026 ok" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++)
    {
      g_autofree char *s = sm_audit_scrub_text(cases[i].in, 1024);
      g_assert_cmpstr(s, ==, cases[i].out);
    }
  /* Cut at the byte limit on a character boundary. */
  g_autofree char *cut = sm_audit_scrub_text("ééééé", 5);
  g_assert_cmpstr(cut, ==, "éé");
  g_autofree char *bad = sm_audit_scrub_text("a\xff"
                                             "b",
                                             16);
  g_assert_true(g_utf8_validate(bad, -1, NULL));
}

static void
test_scrub_stored(Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SmAudit) audit = sm_audit_open(f->path, &error);
  g_assert_no_error(error);
  record_ok(audit, "{\"result\": \"failed\", \"detail\": \"upstream said: 554 bad 078-05-1120\","
                   " \"recipients\": [{\"address\": \"a@b.test\", \"decision\": \"blocked\","
                   "   \"reason\": \"found 4111-1111-1111-1111 in body\"}]}");
  g_autofree char *text = list_text(audit);
  g_assert_null(strstr(text, "1120"));
  g_assert_null(strstr(text, "4111"));
  g_assert_nonnull(strstr(text, "###-##-####"));
  /* Nothing in the files either (the WAL included). */
  const char *suffixes[] = { "", "-wal" };
  gboolean masked_seen = FALSE;
  for (gsize i = 0; i < G_N_ELEMENTS(suffixes); i++)
    {
      g_autofree char *file = g_strconcat(f->path, suffixes[i], NULL);
      g_autofree char *bytes = NULL;
      gsize len = 0;
      if (!g_file_get_contents(file, &bytes, &len, NULL))
        continue;
      g_assert_null(memmem(bytes, len, "078-05-1120", 11));
      g_assert_null(memmem(bytes, len, "4111-1111", 9));
      masked_seen |= memmem(bytes, len, "###-##-####", 11) != NULL;
    }
  g_assert_true(masked_seen);
}

static void
test_groups(Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *hash = sm_audit_hash_message_id("<split@example.test>");
  g_autofree char *same = sm_audit_hash_message_id("split@example.test");
  g_assert_cmpstr(hash, ==, same);
  g_assert_cmpuint(strlen(hash), ==, 64);
  const char *g1[] = { "Bob@example.test", "alice@example.test", NULL };
  const char *g1b[] = { "alice@example.test", "bob@example.test", "BOB@example.test", NULL };
  const char *g2[] = { "carol@example.test", NULL };
  g_autofree char *k1 = sm_audit_group_key("encrypt-openpgp", g1);
  g_autofree char *k1b = sm_audit_group_key("encrypt-openpgp", g1b);
  g_autofree char *k1s = sm_audit_group_key("encrypt-smime", g1);
  g_autofree char *k2 = sm_audit_group_key("encrypt-openpgp", g2);
  g_assert_cmpstr(k1, ==, k1b);
  g_assert_cmpstr(k1, !=, k1s);
  g_assert_cmpstr(k1, !=, k2);

  {
    g_autoptr(SmAudit) audit = sm_audit_open(f->path, &error);
    g_assert_no_error(error);
    gboolean delivered = TRUE;
    g_assert_true(sm_audit_group_delivered(audit, hash, k1, &delivered, &error));
    g_assert_false(delivered);
    g_assert_true(sm_audit_mark_group_delivered(audit, hash, k1, &error));
    /* Idempotent: a second mark (a retry after a crash) neither fails nor duplicates. */
    g_assert_true(sm_audit_mark_group_delivered(audit, hash, k1, &error));
    g_assert_no_error(error);
    g_assert_true(sm_audit_group_delivered(audit, hash, k1, &delivered, &error));
    g_assert_true(delivered);
    g_assert_true(sm_audit_group_delivered(audit, hash, k2, &delivered, &error));
    g_assert_false(delivered);
    g_assert_true(sm_audit_group_delivered(audit, hash_a, k1, &delivered, &error));
    g_assert_false(delivered);
  }
  g_assert_cmpint(count_rows(f->path, "SELECT count(*) FROM delivered_groups"), ==, 1);
  /* Durable across a reopen. */
  g_autoptr(SmAudit) again = sm_audit_open(f->path, &error);
  gboolean delivered = FALSE;
  g_assert_true(sm_audit_group_delivered(again, hash, k1, &delivered, &error));
  g_assert_true(delivered);
}

static void
record_session(SmAudit *audit, const char *domain, const char *host, const char *failure,
               const char *policy_type)
{
  g_autoptr(GError) error = NULL;
  SmAuditTls tls = { .host = (char *)host,
                     .policy_domain = (char *)domain,
                     .tls = failure == NULL,
                     .version = failure == NULL ? (char *)"1.3" : NULL,
                     .failure = (char *)failure,
                     .policy_type = (char *)policy_type,
                     .receiving_ip = (char *)"127.0.0.1",
                     .sending_ip = (char *)"127.0.0.1" };
  g_assert_true(sm_audit_record_tls(audit, &tls, &error));
  g_assert_no_error(error);
}

static JsonObject *
find_policy(JsonArray *policies, const char *domain)
{
  for (guint i = 0; i < json_array_get_length(policies); i++)
    {
      JsonObject *p = json_array_get_object_element(policies, i);
      JsonObject *pol = json_object_get_object_member(p, "policy");
      if (g_strcmp0(json_object_get_string_member(pol, "policy-domain"), domain) == 0)
        return p;
    }
  return NULL;
}

static void
test_tls_report(Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SmAudit) audit = sm_audit_open(f->path, &error);
  g_assert_no_error(error);
  for (int i = 0; i < 3; i++)
    record_session(audit, "example.test", "smtp.example.test", NULL, NULL);
  record_session(audit, "example.test", "smtp.example.test", "certificate-host-mismatch", NULL);
  record_session(audit, "example.test", "smtp.example.test", "certificate-host-mismatch", NULL);
  record_session(audit, "example.test", "smtp.example.test", "starttls-not-supported", NULL);
  record_session(audit, "other.test", "mx.other.test", NULL, "sts");

  gint64 now = g_get_real_time() / G_USEC_PER_SEC;
  g_autoptr(JsonNode) report = sm_audit_tls_report_json(audit, now - 60, now + 60, "Example Org",
                                                        "ops@example.test", &error);
  g_assert_no_error(error);
  JsonObject *r = json_node_get_object(report);
  g_assert_cmpstr(json_object_get_string_member(r, "organization-name"), ==, "Example Org");
  g_assert_cmpstr(json_object_get_string_member(r, "contact-info"), ==, "ops@example.test");
  g_assert_nonnull(json_object_get_string_member(r, "report-id"));
  JsonObject *range = json_object_get_object_member(r, "date-range");
  g_autoptr(GDateTime) start
      = g_date_time_new_from_iso8601(json_object_get_string_member(range, "start-datetime"), NULL);
  g_assert_nonnull(start);
  g_assert_cmpint(g_date_time_to_unix(start), ==, now - 60);

  JsonArray *policies = json_object_get_array_member(r, "policies");
  g_assert_cmpuint(json_array_get_length(policies), ==, 2);
  JsonObject *ex = find_policy(policies, "example.test");
  g_assert_nonnull(ex);
  JsonObject *pol = json_object_get_object_member(ex, "policy");
  g_assert_cmpstr(json_object_get_string_member(pol, "policy-type"), ==, "no-policy-found");
  JsonObject *sum = json_object_get_object_member(ex, "summary");
  g_assert_cmpint(json_object_get_int_member(sum, "total-successful-session-count"), ==, 3);
  g_assert_cmpint(json_object_get_int_member(sum, "total-failure-session-count"), ==, 3);
  JsonArray *details = json_object_get_array_member(ex, "failure-details");
  g_assert_cmpuint(json_array_get_length(details), ==, 2);
  JsonObject *d0 = json_array_get_object_element(details, 0);
  g_assert_cmpstr(json_object_get_string_member(d0, "result-type"), ==,
                  "certificate-host-mismatch");
  g_assert_cmpstr(json_object_get_string_member(d0, "receiving-mx-hostname"), ==,
                  "smtp.example.test");
  g_assert_cmpstr(json_object_get_string_member(d0, "sending-mta-ip"), ==, "127.0.0.1");
  g_assert_cmpint(json_object_get_int_member(d0, "failed-session-count"), ==, 2);
  JsonObject *d1 = json_array_get_object_element(details, 1);
  g_assert_cmpstr(json_object_get_string_member(d1, "result-type"), ==, "starttls-not-supported");
  g_assert_cmpint(json_object_get_int_member(d1, "failed-session-count"), ==, 1);

  JsonObject *other = find_policy(policies, "other.test");
  pol = json_object_get_object_member(other, "policy");
  g_assert_cmpstr(json_object_get_string_member(pol, "policy-type"), ==, "sts");
  sum = json_object_get_object_member(other, "summary");
  g_assert_cmpint(json_object_get_int_member(sum, "total-successful-session-count"), ==, 1);
  g_assert_cmpint(json_object_get_int_member(sum, "total-failure-session-count"), ==, 0);
  g_assert_cmpuint(json_array_get_length(json_object_get_array_member(other, "failure-details")),
                   ==, 0);

  /* A range without sessions has no policies; an empty range is refused. */
  g_autoptr(JsonNode) later
      = sm_audit_tls_report_json(audit, now + 100, now + 200, "O", NULL, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(
      json_array_get_length(json_object_get_array_member(json_node_get_object(later), "policies")),
      ==, 0);
  g_assert_null(sm_audit_tls_report_json(audit, now, now, "O", NULL, &error));
  g_assert_error(error, SM_ERROR, SM_ERROR_INVALID_INPUT);
}

#define WRITERS 4
#define RECORDS_PER_WRITER 40

typedef struct
{
  const char *path;
  SmAudit *shared; /* NULL: the thread opens its own handle */
  int index;
} Writer;

static gpointer
writer_thread(gpointer data)
{
  Writer *w = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(SmAudit) own = w->shared == NULL ? sm_audit_open(w->path, &error) : NULL;
  g_assert_no_error(error);
  SmAudit *audit = w->shared != NULL ? w->shared : own;
  for (int i = 0; i < RECORDS_PER_WRITER; i++)
    {
      g_autofree char *id = g_strdup_printf("<%d.%d@example.test>", w->index, i);
      g_autofree char *hash = sm_audit_hash_message_id(id);
      g_autofree char *json
          = g_strdup_printf("{\"message_id_hash\": \"%s\", \"result\": \"sent\", \"recipients\": ["
                            "{\"address\": \"a@example.test\", \"decision\": \"plain\"},"
                            "{\"address\": \"b@example.test\", \"decision\": \"encrypt-smime\"}]}",
                            hash);
      record_ok(audit, json);
      g_assert_true(sm_audit_mark_group_delivered(audit, hash, hash_a, &error));
      g_assert_true(sm_audit_mark_group_delivered(audit, hash_a, hash_a, &error));
      g_assert_no_error(error);
    }
  return NULL;
}

static void
run_writers(const char *path, SmAudit *shared)
{
  Writer w[WRITERS];
  GThread *threads[WRITERS];
  for (int i = 0; i < WRITERS; i++)
    {
      w[i] = (Writer){ path, shared, i };
      threads[i] = g_thread_new("writer", writer_thread, &w[i]);
    }
  for (int i = 0; i < WRITERS; i++)
    g_thread_join(threads[i]);
}

static void
test_concurrent_writers(Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  {
    /* Create the schema from several handles at once as well. */
    run_writers(f->path, NULL);
    g_autoptr(SmAudit) shared = sm_audit_open(f->path, &error);
    g_assert_no_error(error);
    run_writers(f->path, shared);
  }
  gint64 expected = 2 * WRITERS * RECORDS_PER_WRITER;
  g_assert_cmpint(count_rows(f->path, "SELECT count(*) FROM messages"), ==, expected);
  g_assert_cmpint(count_rows(f->path, "SELECT count(*) FROM recipients"), ==, 2 * expected);
  /* Each message id was marked delivered twice (once per run) and by several writers: once. */
  g_assert_cmpint(count_rows(f->path, "SELECT count(*) FROM delivered_groups"), ==,
                  WRITERS * RECORDS_PER_WRITER + 1);
}

/* A child process writes records with many recipients as fast as it can; it is killed with
 * SIGKILL at a random moment. Every message row left must be whole. */
static void
test_kill9(Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SmAudit) init = sm_audit_open(f->path, &error);
  g_assert_no_error(error);
  g_clear_pointer(&init, sm_audit_close);
  g_autoptr(GString) json = g_string_new("{\"result\": \"partial\", \"recipients\": [");
  for (int i = 0; i < 200; i++)
    g_string_append_printf(json, "%s{\"address\": \"r%d@example.test\", \"decision\": \"plain\"}",
                           i ? "," : "", i);
  g_string_append(json, "], \"findings\": {\"US_SSN\": 3}}");
  g_autoptr(JsonNode) node = parse(json->str);

  for (int round = 0; round < 6; round++)
    {
      pid_t pid = fork();
      g_assert_cmpint(pid, >=, 0);
      if (pid == 0)
        {
          SmAudit *audit = sm_audit_open(f->path, NULL);
          for (;;)
            if (audit == NULL || !sm_audit_record(audit, node, NULL))
              _exit(1);
        }
      g_usleep(g_random_int_range(20, 150) * 1000);
      kill(pid, SIGKILL);
      int status;
      waitpid(pid, &status, 0);
      g_assert_true(WIFSIGNALED(status));
    }
  g_assert_cmpint(count_rows(f->path, "SELECT count(*) FROM messages"), >, 0);
  g_assert_cmpint(count_rows(f->path,
                             "SELECT count(*) FROM messages m WHERE recipient_count !="
                             " (SELECT count(*) FROM recipients r WHERE r.message = m.id)"),
                  ==, 0);
  g_assert_cmpint(count_rows(f->path, "SELECT count(*) FROM messages m WHERE NOT EXISTS"
                                      " (SELECT 1 FROM findings x WHERE x.message = m.id)"),
                  ==, 0);
  g_assert_cmpint(count_rows(f->path, "SELECT count(*) FROM pragma_integrity_check"
                                      " WHERE integrity_check != 'ok'"),
                  ==, 0);
  /* And the database still takes writes. */
  g_autoptr(SmAudit) audit = sm_audit_open(f->path, &error);
  g_assert_no_error(error);
  g_assert_true(sm_audit_record(audit, node, &error));
}

static void
test_newer_schema(Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SmAudit) audit = sm_audit_open(f->path, &error);
  g_assert_no_error(error);
  g_clear_pointer(&audit, sm_audit_close);
  sqlite3 *db = NULL;
  g_assert_cmpint(sqlite3_open(f->path, &db), ==, SQLITE_OK);
  g_assert_cmpint(sqlite3_exec(db, "UPDATE schema_version SET version = 99", NULL, NULL, NULL), ==,
                  SQLITE_OK);
  sqlite3_close(db);
  audit = sm_audit_open(f->path, &error);
  g_assert_null(audit);
  g_assert_error(error, SM_ERROR, SM_ERROR_FAILED);
  g_assert_nonnull(strstr(error->message, "newer"));
}

static void
test_db_path(void)
{
  g_autoptr(GKeyFile) kf = g_key_file_new();
  g_autofree char *def = sm_audit_db_path(NULL);
  g_assert_true(g_str_has_suffix(def, "/sealmail/audit.sqlite"));
  g_key_file_set_string(kf, "audit", "db", "/tmp/x.sqlite");
  g_autofree char *set = sm_audit_db_path(kf);
  g_assert_cmpstr(set, ==, "/tmp/x.sqlite");
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
#define ADD(name, fn) g_test_add(name, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)
  ADD("/audit/record-and-list", test_record_and_list);
  ADD("/audit/refused", test_refused);
  g_test_add_func("/audit/scrub", test_scrub);
  ADD("/audit/scrub-stored", test_scrub_stored);
  ADD("/audit/groups", test_groups);
  ADD("/audit/tls-report", test_tls_report);
  ADD("/audit/concurrent-writers", test_concurrent_writers);
  ADD("/audit/kill9", test_kill9);
  ADD("/audit/newer-schema", test_newer_schema);
  g_test_add_func("/audit/db-path", test_db_path);
  return g_test_run();
}
