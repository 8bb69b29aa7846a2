/* Unit tests of helper/net over a real socket pair and real OpenSSL: the bounded line reader
 * (pieces, CR LF split across reads, end of stream), a TLS handshake against the locally
 * generated certificate with verification for "localhost" (accepted) and for another name
 * (refused, classified for TLS-RPT), and the observed TLS facts. */
#include "sm-net-conn.h"
#include "sm-net-line.h"
#include "sm-net-listen.h"
#include "sm-net-tls.h"
#include "sm-error.h"

#include <glib/gstdio.h>
#include <string.h>
#include <sys/socket.h>

static void
pair(SmNetConn **a, SmNetConn **b)
{
  int fds[2];
  g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), ==, 0);
  *a = sm_net_conn_new_fd(fds[0], 5);
  *b = sm_net_conn_new_fd(fds[1], 5);
}

static void
test_lines(void)
{
  g_autoptr(SmNetConn) a = NULL;
  g_autoptr(SmNetConn) b = NULL;
  pair(&a, &b);
  const char *input = "one\r\ntwo\nthree-is-long-line\r\n\r\nlast";
  g_assert_true(sm_net_conn_write_all(a, input, strlen(input), NULL));
  sm_net_conn_shutdown_read(b); /* not needed for reading; just must not break anything */
  g_clear_pointer(&a, sm_net_conn_free);

  g_autoptr(SmNetConn) c = NULL;
  g_autoptr(SmNetConn) d = NULL;
  pair(&c, &d);
  g_assert_true(sm_net_conn_write_all(c, input, strlen(input), NULL));
  g_clear_pointer(&c, sm_net_conn_free);
  g_autoptr(SmNetLineReader) r = sm_net_line_reader_new(d, 8);
  const struct
  {
    const char *text;
    SmNetLineEnd end;
  } want[] = {
    { "one", SM_NET_LINE_END_CRLF },      { "two", SM_NET_LINE_END_LF },
    { "three-is", SM_NET_LINE_END_NONE }, { "-long-li", SM_NET_LINE_END_NONE },
    { "ne", SM_NET_LINE_END_CRLF },       { "", SM_NET_LINE_END_CRLF },
    { "last", SM_NET_LINE_END_NONE },
  };
  for (gsize i = 0; i < G_N_ELEMENTS(want); i++)
    {
      const char *line = NULL;
      gsize len = 0;
      SmNetLineEnd end;
      g_autoptr(GError) error = NULL;
      g_assert_true(sm_net_line_read(r, &line, &len, &end, &error));
      g_assert_no_error(error);
      g_assert_cmpint((int)len, ==, (int)strlen(want[i].text));
      g_assert_cmpint(memcmp(line, want[i].text, len), ==, 0);
      g_assert_cmpint(end, ==, want[i].end);
    }
  const char *line = NULL;
  gsize len = 0;
  SmNetLineEnd end;
  g_autoptr(GError) error = NULL;
  g_assert_false(sm_net_line_read(r, &line, &len, &end, &error));
  g_assert_no_error(error);
}

/* A CR LF split over two pieces: the CR must not be handed out as data. */
static void
test_split_crlf(void)
{
  g_autoptr(SmNetConn) a = NULL;
  g_autoptr(SmNetConn) b = NULL;
  pair(&a, &b);
  g_assert_true(sm_net_conn_write_all(a, "abcdefg\r\n", 9, NULL));
  g_autoptr(SmNetLineReader) r = sm_net_line_reader_new(b, 8);
  const char *line = NULL;
  gsize len = 0;
  SmNetLineEnd end;
  g_assert_true(sm_net_line_read(r, &line, &len, &end, NULL));
  g_assert_cmpuint(len, ==, 7);
  g_assert_cmpint(end, ==, SM_NET_LINE_END_CRLF);
}

typedef struct
{
  SSL_CTX *server;
  SmNetConn *conn;
  gboolean ok;
} ServerSide;

static gpointer
server_thread(gpointer data)
{
  ServerSide *s = data;
  s->ok = sm_net_tls_accept(s->conn, s->server, NULL);
  if (s->ok)
    {
      g_autoptr(SmNetLineReader) r = sm_net_line_reader_new(s->conn, 100);
      const char *line;
      gsize len;
      SmNetLineEnd end;
      if (sm_net_line_read(r, &line, &len, &end, NULL))
        sm_net_conn_write_all(s->conn, line, len, NULL);
    }
  return NULL;
}

static gboolean
handshake(SSL_CTX *server, SSL_CTX *client, const char *host, char **failure, SmNetTlsFacts **facts)
{
  g_autoptr(SmNetConn) c = NULL;
  ServerSide s = { server, NULL, FALSE };
  pair(&c, &s.conn);
  GThread *t = g_thread_new("tls-server", server_thread, &s);
  g_autoptr(GError) error = NULL;
  gboolean ok = sm_net_tls_connect(c, client, host, &error);
  if (ok)
    {
      char buf[16] = { 0 };
      g_assert_true(sm_net_conn_write_all(c, "ping\r\n", 6, NULL));
      g_assert_cmpint(sm_net_conn_read(c, buf, sizeof buf, NULL), ==, 4);
      g_assert_cmpstr(buf, ==, "ping");
      *facts = sm_net_tls_facts_copy(sm_net_tls_get_facts(c));
    }
  else
    {
      g_assert_error(error, SM_ERROR, SM_ERROR_TLS);
      *failure = g_strdup(sm_net_tls_failure_type(c));
    }
  g_clear_pointer(&c, sm_net_conn_free); /* lets a failed server handshake end */
  g_thread_join(t);
  sm_net_conn_free(s.conn);
  return ok;
}

static void
test_tls(void)
{
  g_autofree char *dir = g_dir_make_tmp("sm-net-XXXXXX", NULL);
  g_autofree char *cert = NULL, *key = NULL;
  g_autoptr(GError) error = NULL;
  g_assert_true(sm_net_tls_ensure_local_certificate(dir, &cert, &key, &error));
  g_assert_no_error(error);
  GStatBuf st;
  g_assert_cmpint(g_stat(key, &st), ==, 0);
  g_assert_cmpint(st.st_mode & 0777, ==, 0600);
  /* a second call keeps the same certificate */
  g_autofree char *cert2 = NULL, *key2 = NULL;
  g_autofree char *before = NULL, *after = NULL;
  g_assert_true(g_file_get_contents(cert, &before, NULL, NULL));
  g_assert_true(sm_net_tls_ensure_local_certificate(dir, &cert2, &key2, NULL));
  g_assert_true(g_file_get_contents(cert2, &after, NULL, NULL));
  g_assert_cmpstr(before, ==, after);

  g_autoptr(SSL_CTX) server = sm_net_tls_server_context_new(cert, key, &error);
  g_assert_no_error(error);
  g_autoptr(SSL_CTX) trusting = sm_net_tls_client_context_new(cert, &error);
  g_assert_no_error(error);

  g_autofree char *failure = NULL;
  g_autoptr(SmNetTlsFacts) facts = NULL;
  g_assert_true(handshake(server, trusting, "localhost", &failure, &facts));
  g_assert_true(facts->verified);
  g_assert_true(g_strcmp0(facts->version, "1.3") == 0 || g_strcmp0(facts->version, "1.2") == 0);
  g_assert_nonnull(facts->cipher);
  g_assert_cmpuint(strlen(facts->cert_sha256), ==, 64);
  g_clear_pointer(&facts, sm_net_tls_facts_free);

  g_assert_true(handshake(server, trusting, "127.0.0.1", &failure, &facts));
  g_clear_pointer(&facts, sm_net_tls_facts_free);

  g_assert_false(handshake(server, trusting, "mail.example.org", &failure, &facts));
  g_assert_cmpstr(failure, ==, "certificate-host-mismatch");
  g_clear_pointer(&failure, g_free);

  /* the system store does not know the local certificate */
  g_autoptr(SSL_CTX) system = sm_net_tls_client_context_new(NULL, &error);
  g_assert_no_error(error);
  g_assert_false(handshake(server, system, "localhost", &failure, &facts));
  g_assert_cmpstr(failure, ==, "certificate-not-trusted");

  g_assert_null(sm_net_tls_client_context_new("/nonexistent/ca.pem", &error));
  g_assert_error(error, SM_ERROR, SM_ERROR_TLS);

  g_unlink(cert);
  g_unlink(key);
  g_rmdir(dir);
}

static void
test_host_port(void)
{
  g_autofree char *host = NULL;
  guint16 port = 0;
  g_assert_true(sm_net_parse_host_port("127.0.0.1:1587", &host, &port, NULL));
  g_assert_cmpstr(host, ==, "127.0.0.1");
  g_assert_cmpuint(port, ==, 1587);
  g_clear_pointer(&host, g_free);
  g_assert_true(sm_net_parse_host_port("[::1]:25", &host, &port, NULL));
  g_assert_cmpstr(host, ==, "::1");
  const char *bad[] = { "127.0.0.1", "127.0.0.1:", ":25", "host:99999", "[::1]25", "h:-1" };
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++)
    {
      g_autofree char *h = NULL;
      g_autoptr(GError) error = NULL;
      g_assert_false(sm_net_parse_host_port(bad[i], &h, &port, &error));
      g_assert_error(error, SM_ERROR, SM_ERROR_INVALID_INPUT);
    }
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/net/lines", test_lines);
  g_test_add_func("/net/split-crlf", test_split_crlf);
  g_test_add_func("/net/tls", test_tls);
  g_test_add_func("/net/host-port", test_host_port);
  return g_test_run();
}
