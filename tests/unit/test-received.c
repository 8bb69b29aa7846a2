/* Unit tests of sm-received: every row of tests/data/received/EXPECTED.tsv (real headers,
 * labelled by hand), the rows of tests/data/received/extra/EXTERNAL.tsv (headers and expected
 * values from stalwartlabs/mail-parser and SpamAssassin), and one case per MTA format. */
#include "sm-message.h"
#include "sm-received.h"

#include <gio/gio.h>
#include <string.h>

/* The Received fields of a header block file, topmost first. */
static GPtrArray *
received_fields(const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *data = NULL;
  gsize len = 0;
  g_assert_true(g_file_get_contents(path, &data, &len, &error));
  g_autofree char *msg = g_strconcat(data, "\n\nbody\n", NULL);
  g_autoptr(GBytes) bytes = g_bytes_new(msg, strlen(msg));
  g_autoptr(GMimeMessage) m = sm_message_parse_bytes(bytes, NULL, &error);
  g_assert_no_error(error);
  GMimeHeaderList *headers = g_mime_object_get_header_list(GMIME_OBJECT(m));
  GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
  for (int i = 0; i < g_mime_header_list_get_count(headers); i++)
    {
      GMimeHeader *h = g_mime_header_list_get_header_at(headers, i);
      if (g_ascii_strcasecmp(g_mime_header_get_name(h), "Received") == 0)
        g_ptr_array_add(out, g_strdup(g_mime_header_get_raw_value(h)));
    }
  return out;
}

static SmReceived *
parse(const char *s)
{
  return sm_received_parse(s, strlen(s), NULL);
}

static const char *
dash(const char *s)
{
  return s != NULL ? s : "-";
}

/* Runs one EXPECTED.tsv: columns file, hop, mta, tls, version, cipher (then free text). An
 * "(ambiguous)" version must come out as no normalised version. */
static void
check_expected(const char *dir)
{
  g_autofree char *tsv = g_test_build_filename(G_TEST_DIST, dir, "EXPECTED.tsv", NULL);
  g_autofree char *text = NULL;
  g_assert_true(g_file_get_contents(tsv, &text, NULL, NULL));
  g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
  g_autofree char *cached_file = NULL;
  g_autoptr(GPtrArray) fields = NULL;
  guint rows = 0;
  for (guint i = 1; lines[i] != NULL; i++)
    {
      if (lines[i][0] == '\0' || lines[i][0] == '#')
        continue;
      g_auto(GStrv) col = g_strsplit(lines[i], "\t", -1);
      g_assert_cmpuint(g_strv_length(col), >=, 6);
      if (g_strcmp0(cached_file, col[0]) != 0)
        {
          g_autofree char *hdr = g_test_build_filename(G_TEST_DIST, dir, col[0], NULL);
          g_clear_pointer(&fields, g_ptr_array_unref);
          fields = received_fields(hdr);
          g_free(cached_file);
          cached_file = g_strdup(col[0]);
        }
      guint hop = atoi(col[1]);
      g_assert_cmpuint(hop, >=, 1);
      g_assert_cmpuint(hop, <=, fields->len);
      const char *raw = fields->pdata[hop - 1];
      g_autoptr(SmReceived) r = parse(raw);
      const char *want_version = strstr(col[4], "(ambiguous)") != NULL ? "-" : col[4];
      g_autofree char *got
          = g_strdup_printf("%s hop %u: %s %s %s", col[0], hop, sm_received_tls_to_string(r->tls),
                            dash(r->tls_version), dash(r->cipher));
      g_autofree char *want
          = g_strdup_printf("%s hop %u: %s %s %s", col[0], hop, col[3], want_version, col[5]);
      g_assert_cmpstr(got, ==, want);
      rows++;
    }
  g_test_message("%s: %u rows checked", dir, rows);
  g_assert_cmpuint(rows, >, 0);
}

static void
test_expected_shared(void)
{
  check_expected("data/received");
}

/* Undoes the escapes of EXTERNAL.tsv: \n \r \t and \\. */
static char *
unescape(const char *s)
{
  GString *out = g_string_new(NULL);
  for (const char *p = s; *p != '\0'; p++)
    {
      if (*p != '\\' || p[1] == '\0')
        {
          g_string_append_c(out, *p);
          continue;
        }
      p++;
      g_string_append_c(out, *p == 'n' ? '\n' : *p == 'r' ? '\r' : *p == 't' ? '\t' : *p);
    }
  return g_string_free(out, FALSE);
}

/* IPs are compared in one canonical form: compressed IPv6, IPv4-mapped IPv6 as IPv4. */
static char *
canonical_ip(const char *ip)
{
  g_autoptr(GInetAddress) a = g_inet_address_new_from_string(ip);
  g_assert_nonnull(a);
  g_autofree char *s = g_inet_address_to_string(a);
  if (g_str_has_prefix(s, "::ffff:") && strchr(s + 7, '.') != NULL)
    return g_strdup(s + 7);
  return g_steal_pointer(&s);
}

/* "TLSv1_3" (mail-parser's spelling) as "1.3". */
static const char *
mail_parser_version(const char *v)
{
  static const char *const names[][2]
      = { { "TLSv1_0", "1.0" }, { "TLSv1_1", "1.1" }, { "TLSv1_2", "1.2" }, { "TLSv1_3", "1.3" } };
  for (gsize i = 0; i < G_N_ELEMENTS(names); i++)
    if (strcmp(v, names[i][0]) == 0)
      return names[i][1];
  g_assert_not_reached();
}

/* Rows taken from stalwartlabs/mail-parser and SpamAssassin with their own expected values
 * (see extra/ATTRIBUTION). Where the header says "TLSv1/SSLv3", their "TLSv1_0" is taken as our
 * ambiguous (no) version: the text names a cipher's minimum protocol, not the one negotiated. */
static void
test_expected_external(void)
{
  g_autofree char *tsv
      = g_test_build_filename(G_TEST_DIST, "data/received/extra", "EXTERNAL.tsv", NULL);
  g_autofree char *text = NULL;
  g_assert_true(g_file_get_contents(tsv, &text, NULL, NULL));
  g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
  guint rows = 0;
  for (guint i = 1; lines[i] != NULL; i++)
    {
      if (lines[i][0] == '\0')
        continue;
      g_auto(GStrv) col = g_strsplit(lines[i], "\t", -1);
      g_assert_cmpuint(g_strv_length(col), ==, 7);
      g_autofree char *raw = unescape(col[1]);
      g_autoptr(SmReceived) r = parse(raw);
      g_test_message("row %u: %s", i, raw);
      if (strcmp(col[2], "-") != 0)
        g_assert_cmpstr(r->by, ==, col[2]);
      if (strcmp(col[3], "-") != 0)
        {
          g_autofree char *want = canonical_ip(col[3]);
          g_assert_cmpstr(r->ip, ==, want);
        }
      if (strcmp(col[4], "-") != 0)
        {
          const char *want
              = strstr(raw, "TLSv1/SSLv3") != NULL ? NULL : mail_parser_version(col[4]);
          g_assert_cmpstr(r->tls_version, ==, want);
          g_assert_cmpint(r->tls, ==, SM_RECEIVED_TLS_YES);
        }
      if (strcmp(col[5], "-") != 0)
        {
          g_assert_cmpstr(r->cipher, ==, col[5]);
          g_assert_cmpint(r->tls, ==, SM_RECEIVED_TLS_YES);
        }
      if (strcmp(col[6], "-") != 0)
        {
          g_assert_true(r->has_date);
          g_assert_cmpint(r->date, ==, g_ascii_strtoll(col[6], NULL, 10));
        }
      rows++;
    }
  g_test_message("%u external rows checked", rows);
  g_assert_cmpuint(rows, >, 100);
}

typedef struct
{
  const char *name;
  const char *raw;
  const char *tls;
  const char *version;
  const char *cipher;
  guint bits;
  const char *client_cert;
  const char *basis;
  const char *mta;
} FormatCase;

/* One line per format, written from each MTA's documented or source-code format. */
static const FormatCase formats[] = {
  { "postfix-tls13",
    "from a.example.org (a.example.org [192.0.2.1])\r\n\t(using TLSv1.3 with cipher "
    "TLS_AES_256_GCM_SHA384 (256/256 bits)\r\n\t key-exchange X25519 server-signature RSA-PSS "
    "(2048 bits) server-digest SHA256)\r\n\t(No client certificate requested)\r\n\tby "
    "mx.example.net "
    "(Postfix) with ESMTPS id 4AbC; Mon, 1 Jan 2024 10:00:00 +0000 (UTC)",
    "yes", "1.3", "TLS_AES_256_GCM_SHA384", 256, "not-requested", "explicit", "postfix" },
  { "postfix-client-cert",
    "from a.example.org (a.example.org [192.0.2.1]) (using TLSv1.2 with cipher "
    "ECDHE-RSA-AES256-GCM-SHA384 (256/256 bits)) (Client CN \"a.example.org\", Issuer \"R3\" "
    "(verified OK)) by mx.example.net (Postfix) with ESMTPS id X; Mon, 1 Jan 2024 10:00:00 +0000",
    "yes", "1.2", "ECDHE-RSA-AES256-GCM-SHA384", 256, "verified", "explicit", "postfix" },
  { "postfix-plain",
    "from a.example.org (a.example.org [192.0.2.1]) by mx.example.net (Postfix) with ESMTP id X "
    "for <u@example.net>; Mon, 1 Jan 2024 10:00:00 +0000",
    "no", NULL, NULL, 0, "unknown", "proto", "postfix" },
  { "exim-old",
    "from [192.0.2.7] (helo=client.example.org) by mx.example.net with esmtps "
    "(TLSv1.2:ECDHE-RSA-AES256-GCM-SHA384:256) (Exim 4.92) (envelope-from <a@example.org>) id "
    "1abcDE-000123-Fg for u@example.net; Mon, 01 Jan 2024 10:00:00 +0000",
    "yes", "1.2", "ECDHE-RSA-AES256-GCM-SHA384", 256, "unknown", "explicit", "exim" },
  { "exim-new",
    "from client.example.org ([192.0.2.7]) by mx.example.net with esmtps  (TLS1.3) tls "
    "TLS_AES_256_GCM_SHA384\n\t(Exim 4.96) (envelope-from <a@example.org>) id 1abcDE-000123-Fg\n\t"
    "for u@example.net; Mon, 01 Jan 2024 10:00:00 +0000",
    "yes", "1.3", "TLS_AES_256_GCM_SHA384", 0, "unknown", "explicit", "exim" },
  { "exim-esmtpa",
    "from [192.0.2.7] (helo=laptop) by smtp.example.net with esmtpa (Exim 4.96) id "
    "1abcDE-000123-Fg; Mon, 01 Jan 2024 10:00:00 +0000",
    "no", NULL, NULL, 0, "unknown", "proto", "exim" },
  { "sendmail",
    "from a.example.org (a.example.org [192.0.2.1]) by mx.example.net (8.17.1/8.17.1) with "
    "ESMTPS id 401A0abc012345 (version=TLSv1.3 cipher=TLS_AES_256_GCM_SHA384 bits=256 "
    "verify=NOT) for <u@example.net>; Mon, 1 Jan 2024 10:00:00 GMT",
    "yes", "1.3", "TLS_AES_256_GCM_SHA384", 256, "not-requested", "explicit", "sendmail" },
  { "sendmail-ambiguous",
    "from a.example.org (a.example.org [192.0.2.1]) by mx.example.net (8.14.4/8.14.4) with ESMTP "
    "id 401A0abc012345 (version=TLSv1/SSLv3 cipher=DHE-RSA-AES256-SHA bits=256 verify=NO); "
    "Mon, 1 Jan 2024 10:00:00 GMT",
    "yes", NULL, "DHE-RSA-AES256-SHA", 256, "not-presented", "explicit", "sendmail" },
  { "opensmtpd",
    "from a.example.org (a.example.org [192.0.2.1]) by mx.example.net (OpenSMTPD) with ESMTPS id "
    "1a2b3c4d (TLSv1.3:TLS_AES_256_GCM_SHA384:256:NO) for <u@example.net>; Mon, 1 Jan 2024 "
    "10:00:00 +0000 (UTC)",
    "yes", "1.3", "TLS_AES_256_GCM_SHA384", 256, "not-presented", "explicit", "opensmtpd" },
  { "exchange-tls",
    "from AM0PR01MB1234.eurprd01.prod.exchangelabs.com (2603:10a6:208:1::1) by "
    "AM0PR01MB5678.eurprd01.prod.exchangelabs.com (2603:10a6:208:2::2) with Microsoft SMTP Server "
    "(version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id 15.20.7000.1; Mon, 1 Jan "
    "2024 10:00:00 +0000",
    "yes", "1.2", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", 0, "unknown", "explicit",
    "microsoft-exchange" },
  { "exchange-clear",
    "from ex1.corp.example (10.0.0.1) by ex2.corp.example (10.0.0.2) with Microsoft SMTP Server "
    "id 14.3.498.0; Mon, 1 Jan 2024 10:00:00 -0500",
    "no", NULL, NULL, 0, "unknown", "convention", "microsoft-exchange" },
  { "exchange-2013-tls",
    "from ex1.corp.example (10.0.0.1) by ex2.corp.example (10.0.0.2) with Microsoft SMTP Server "
    "(TLS) id 15.0.1044.25; Mon, 1 Jan 2024 10:00:00 -0500",
    "yes", NULL, NULL, 0, "unknown", "explicit", "microsoft-exchange" },
  { "gmail",
    "from mail-wr1-f41.google.com (mail-wr1-f41.google.com. [209.85.221.41]) by mx.google.com "
    "with SMTPS id ffacd0b85a97d-33.2024.01.01.10.00.00 for <u@gmail.com> (Google Transport "
    "Security); Mon, 01 Jan 2024 02:00:00 -0800 (PST)",
    "yes", NULL, NULL, 0, "unknown", "explicit", "google" },
  { "gmail-version",
    "from [192.168.1.2] ([203.0.113.9]) by smtp.gmail.com with ESMTPSA id "
    "a1sm123.2024.01.01.10.00.00 for <u@example.net> (version=TLS1_3 "
    "cipher=TLS_AES_256_GCM_SHA384 bits=256/256); Mon, 01 Jan 2024 02:00:00 -0800 (PST)",
    "yes", "1.3", "TLS_AES_256_GCM_SHA384", 256, "unknown", "explicit", "google" },
  { "qmail-tls",
    "from unknown (HELO a.example.org) (192.0.2.1) by mx.example.net with (DHE-RSA-AES256-SHA "
    "encrypted) SMTP; 1 Jan 2024 10:00:00 -0000",
    "yes", NULL, "DHE-RSA-AES256-SHA", 0, "unknown", "explicit", "qmail" },
  { "courier",
    "from a.example.org (a.example.org [::ffff:192.0.2.1])\n  (AUTH: LOGIN alice, TLS: "
    "TLSv1.2,256bits,ECDHE-RSA-AES256-GCM-SHA384)\n  by mx.example.net with ESMTPSA; Mon, 01 Jan "
    "2024 10:00:00 +0000\n  id 0000000A.65920000.00001234",
    "yes", "1.2", "ECDHE-RSA-AES256-GCM-SHA384", 256, "unknown", "explicit", "courier" },
  { "haraka",
    "from a.example.org (a.example.org [192.0.2.1]) by mx.example.net (Haraka/3.0.2) with ESMTPS "
    "id 5B3A-4C2D envelope-from <a@example.org> (version=TLSv1.3 cipher=TLS_AES_256_GCM_SHA384 "
    "verify=NO); Mon, 01 Jan 2024 10:00:00 +0000",
    "yes", "1.3", "TLS_AES_256_GCM_SHA384", 0, "not-presented", "explicit", "haraka" },
  { "dovecot-lmtp",
    "from mx.example.net ([192.0.2.3]) by imap.example.net with LMTP id abc (envelope-from "
    "<a@example.org>) for <u@example.net>; Mon, 01 Jan 2024 10:00:00 +0000",
    "no", NULL, NULL, 0, "unknown", "proto", "unknown" },
  { "cyrus-lmtps",
    "from mx.example.net (mx.example.net [192.0.2.3]) by imap.example.net (Cyrus 3.8.1) with "
    "LMTPS; Mon, 01 Jan 2024 10:00:00 +0000",
    "yes", NULL, NULL, 0, "unknown", "proto", "cyrus-lmtp" },
  { "utf8smtpsa",
    "from [192.0.2.5] by mx.example.net with UTF8SMTPSA; Mon, 01 Jan 2024 10:00:00 +0000", "yes",
    NULL, NULL, 0, "unknown", "proto", "unknown" },
  { "iis-tls",
    "from client ([192.0.2.5]) by mail.example.net over TLS secured channel with Microsoft "
    "SMTPSVC(6.0.3790.1830); Mon, 1 Jan 2024 10:00:00 +0100",
    "yes", NULL, NULL, 0, "unknown", "explicit", "microsoft-smtpsvc" },
  { "amazon-ses-inbound",
    "from mail-ej1-f49.google.com (mail-ej1-f49.google.com [209.85.218.49]) by "
    "inbound-smtp.us-east-1.amazonaws.com with SMTP id 9abc for u@example.net; Mon, 01 Jan 2024 "
    "10:00:00 +0000 (UTC)",
    "no", NULL, NULL, 0, "unknown", "proto", "amazon-ses" },
  { "communigate-tls",
    "from [192.0.2.5] (account alice HELO laptop) by mail.example.net (CommuniGate Pro SMTP 6.3) "
    "with ESMTP-TLS id 2088434; Mon, 01 Jan 2024 10:00:00 -0500",
    "yes", NULL, NULL, 0, "unknown", "proto", "communigate" },
  { "messagelabs",
    "from mail.example.org (HELO mail.example.org) (192.0.2.1) by "
    "server-7.tower-123.messagelabs.com "
    "with AES256-GCM-SHA384 encrypted SMTP; 1 Jan 2024 10:00:00 -0000",
    "yes", NULL, "AES256-GCM-SHA384", 0, "unknown", "explicit", "qmail" },
  { "local-pickup",
    "by a.example.org (Postfix, from userid 1000) id 4AbC; Mon, 1 Jan 2024 10:00:00 +0000",
    "unknown", NULL, NULL, 0, "unknown", "none", "postfix" },
  { "garbage", "((((\"\\", "unknown", NULL, NULL, 0, "unknown", "none", "unknown" },
};

static void
test_formats(void)
{
  for (gsize i = 0; i < G_N_ELEMENTS(formats); i++)
    {
      const FormatCase *c = &formats[i];
      g_autoptr(SmReceived) r = parse(c->raw);
      g_autofree char *got
          = g_strdup_printf("%s: %s %s %s %u %s %s %s", c->name, sm_received_tls_to_string(r->tls),
                            dash(r->tls_version), dash(r->cipher), r->bits,
                            sm_received_client_cert_to_string(r->client_cert),
                            sm_received_basis_to_string(r->basis), r->mta);
      g_autofree char *want
          = g_strdup_printf("%s: %s %s %s %u %s %s %s", c->name, c->tls, dash(c->version),
                            dash(c->cipher), c->bits, c->client_cert, c->basis, c->mta);
      g_assert_cmpstr(got, ==, want);
    }
}

static void
test_clauses(void)
{
  g_autoptr(SmReceived) r
      = parse("from helo.example.org (rdns.example.org [IPv6:2001:db8::1])\r\n"
              "\t(using TLSv1.2 with cipher ECDHE-RSA-AES128-GCM-SHA256 (128/128 bits))\r\n"
              "\tby mx.example.net (Postfix) via TCP with ESMTPSA id 4AbC\r\n"
              "\tfor <user@example.net>; Tue, 2 Jan 2024 03:04:05 +0200 (EET)");
  g_assert_cmpstr(r->from, ==, "helo.example.org");
  g_assert_cmpstr(r->helo, ==, "helo.example.org");
  g_assert_cmpstr(r->rdns, ==, "rdns.example.org");
  g_assert_cmpstr(r->ip, ==, "2001:db8::1");
  g_assert_cmpstr(r->by, ==, "mx.example.net");
  g_assert_cmpstr(r->via, ==, "TCP");
  g_assert_cmpstr(r->with, ==, "ESMTPSA");
  g_assert_cmpstr(r->protocol, ==, "ESMTPSA");
  g_assert_true(r->authenticated);
  g_assert_cmpstr(r->id, ==, "4AbC");
  g_assert_cmpstr(r->for_addr, ==, "user@example.net");
  g_assert_true(r->has_date);
  g_assert_cmpint(r->date, ==, 1704157445); /* 2024-01-02T01:04:05Z */

  /* Exim names the reverse DNS first and the HELO inside; the port is not part of the IP */
  g_autoptr(SmReceived) e = parse("from mail.example.org ([192.0.2.9]:4321 helo=greeting.example) "
                                  "by mx.example.net with esmtp id 1abcDE-000123-Fg; "
                                  "Mon, 01 Jan 2024 10:00:00 +0000");
  g_assert_cmpstr(e->rdns, ==, "mail.example.org");
  g_assert_cmpstr(e->helo, ==, "greeting.example");
  g_assert_cmpstr(e->ip, ==, "192.0.2.9");
}

static void
test_obsolete_date(void)
{
  /* RFC 5322 section 4.3: two-digit year, alphabetic zone, comments around the date */
  g_autoptr(SmReceived) r
      = parse("from a by b with SMTP; (a comment) 1 Jan 99 10:00:00 EST (Eastern)");
  g_assert_true(r->has_date);
  g_assert_cmpint(r->date, ==, 915202800);
  g_autoptr(SmReceived) none = parse("from a by b with SMTP; not a date at all");
  g_assert_false(none->has_date);
}

static void
test_nesting_and_limits(void)
{
  /* deep comment nesting is counted, never recursed */
  g_autoptr(GString) s = g_string_new("from a ");
  for (int i = 0; i < 5000; i++)
    g_string_append_c(s, '(');
  g_string_append(s, "using TLSv1.3 with cipher X");
  g_autoptr(SmReceived) r = sm_received_parse(s->str, s->len, NULL);
  g_assert_cmpstr(r->from, ==, "a");

  g_autoptr(GString) big = g_string_new("from a by b with ESMTPS ");
  while (big->len <= 16384)
    g_string_append(big, "(padding) ");
  g_autoptr(SmReceived) t = sm_received_parse(big->str, big->len, NULL);
  g_assert_true(t->too_long);
  g_assert_cmpint(t->tls, ==, SM_RECEIVED_TLS_UNKNOWN);

  /* NUL bytes and invalid UTF-8 come out as valid UTF-8 */
  static const char bin[] = "from \xff\xfe\0x by y\x01 with ESMTPS; \0";
  g_autoptr(SmReceived) b = sm_received_parse(bin, sizeof bin - 1, NULL);
  g_assert_true(g_utf8_validate(b->from, -1, NULL));
  g_assert_cmpint(b->tls, ==, SM_RECEIVED_TLS_YES);
}

static void
test_versions(void)
{
  g_assert_cmpstr(sm_received_normalize_version("TLSv1.3"), ==, "1.3");
  g_assert_cmpstr(sm_received_normalize_version("TLS1_2"), ==, "1.2");
  g_assert_cmpstr(sm_received_normalize_version("TLS1"), ==, "1.0");
  g_assert_cmpstr(sm_received_normalize_version("TLSv1"), ==, "1.0");
  g_assert_cmpstr(sm_received_normalize_version("tlsv1.1"), ==, "1.1");
  g_assert_cmpstr(sm_received_normalize_version("SSLv3"), ==, "SSLv3");
  g_assert_null(sm_received_normalize_version("TLSv1/SSLv3"));
  g_assert_null(sm_received_normalize_version("TLSv9"));
  g_assert_null(sm_received_normalize_version(""));
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  sm_message_init();
  g_test_add_func("/received/expected-shared", test_expected_shared);
  g_test_add_func("/received/expected-external", test_expected_external);
  g_test_add_func("/received/formats", test_formats);
  g_test_add_func("/received/clauses", test_clauses);
  g_test_add_func("/received/obsolete-date", test_obsolete_date);
  g_test_add_func("/received/nesting-and-limits", test_nesting_and_limits);
  g_test_add_func("/received/versions", test_versions);
  return g_test_run();
}
