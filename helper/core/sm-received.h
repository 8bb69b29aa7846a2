/* sm-received: parses ONE Received header field (RFC 5321 section 4.4, RFC 5322 section 3.6.7)
 * into its clauses (from, by, via, with, id, for, date) and the TLS facts its writer recorded,
 * from the formats of Postfix, Exim, Sendmail, OpenSMTPD, Microsoft Exchange, Gmail, qmail-tls,
 * Courier, Haraka, Cyrus/Dovecot LMTP and the RFC 3848 / RFC 6531 transmission types.
 * A pure parser: bytes in, a result out, no I/O. Bounded by SM_LIMIT_RECEIVED_BYTES. */
#pragma once

#include <glib.h>
#include "sm-limits.h"

G_BEGIN_DECLS

typedef enum
{
  SM_RECEIVED_TLS_UNKNOWN, /* the field says nothing about TLS */
  SM_RECEIVED_TLS_YES,
  SM_RECEIVED_TLS_NO,
} SmReceivedTls;

/* What the TLS status rests on. */
typedef enum
{
  SM_RECEIVED_BASIS_NONE,       /* nothing: status is unknown */
  SM_RECEIVED_BASIS_EXPLICIT,   /* TLS text written by the MTA (version, cipher, "(TLS)") */
  SM_RECEIVED_BASIS_PROTO,      /* only the `with` transmission type (RFC 3848); "no" is weak */
  SM_RECEIVED_BASIS_CONVENTION, /* an MTA that always prints TLS details when TLS was used */
} SmReceivedBasis;

typedef enum
{
  SM_RECEIVED_CLIENT_CERT_UNKNOWN,
  SM_RECEIVED_CLIENT_CERT_NOT_REQUESTED,
  SM_RECEIVED_CLIENT_CERT_NOT_PRESENTED,
  SM_RECEIVED_CLIENT_CERT_VERIFIED,
  SM_RECEIVED_CLIENT_CERT_NOT_VERIFIED,
  SM_RECEIVED_CLIENT_CERT_FAILED,
} SmReceivedClientCert;

typedef struct
{
  /* Clauses; every string is valid UTF-8 without control characters, or NULL. */
  char *from;     /* the name or address literal written after FROM */
  char *helo;     /* the name the client gave in HELO/EHLO (when the format tells it) */
  char *rdns;     /* the reverse-DNS name the receiver found */
  char *ip;       /* the client IP address, IPv4 or IPv6, without brackets or "IPv6:" */
  char *by;       /* the receiving host */
  char *via;      /* the link (RFC 5321 Via) */
  char *with;     /* the `with` text as written, e.g. "ESMTPS" or "Microsoft SMTP Server" */
  char *protocol; /* the first atom of `with`, upper-cased, e.g. "ESMTPSA"; NULL if none */
  char *id;
  char *for_addr; /* the FOR clause without angle brackets */
  gboolean has_date;
  gint64 date; /* unix time of the date-time after the last ';' */
  /* TLS facts. */
  SmReceivedTls tls;
  SmReceivedBasis basis;
  char *tls_version; /* "1.0", "1.1", "1.2", "1.3", "SSLv3"; NULL when not stated or ambiguous */
  char *tls_version_raw; /* as written, e.g. "TLSv1/SSLv3" */
  char *cipher;
  guint bits; /* 0 = not stated */
  SmReceivedClientCert client_cert;
  gboolean authenticated; /* ESMTPA, ESMTPSA, LMTPA...: the client authenticated */
  const char *mta;        /* static MTA family name, "unknown" when not recognised */
  gboolean too_long;      /* the field exceeded SM_LIMIT_RECEIVED_BYTES and was not parsed */
} SmReceived;

/* Parses the raw (possibly folded) value of one Received field. Never fails: what cannot be
 * understood stays NULL / unknown. @limits may be NULL for the defaults. */
SmReceived *sm_received_parse(const char *raw, gsize len, const SmLimits *limits);
void sm_received_free(SmReceived *received);

/* Normalises a TLS protocol version as MTAs write it ("TLSv1.2", "TLS1_3", "TLS1", "SSLv3")
 * to "1.0".."1.3" or "SSLv3"; NULL when unrecognised or ambiguous ("TLSv1/SSLv3"). */
const char *sm_received_normalize_version(const char *text);

const char *sm_received_tls_to_string(SmReceivedTls tls);
const char *sm_received_basis_to_string(SmReceivedBasis basis);
const char *sm_received_client_cert_to_string(SmReceivedClientCert cert);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(SmReceived, sm_received_free)

G_END_DECLS
