/* sm-received-private: the parser state shared by sm-received.c (clauses, client address,
 * date) and sm-received-tls.c (TLS facts, transmission types, MTA family). */
#pragma once

#include "sm-received.h"

G_BEGIN_DECLS

typedef struct
{
  SmReceived *r;
  gboolean explicit_tls; /* TLS text was found in the field */
} SmReceivedTlsState;

/* A sanitised copy (valid UTF-8, no control characters, bounded length). */
char *sm_received_clean(const char *text, gsize len);
gboolean sm_received_has_prefix(const char *s, const char *prefix);
gboolean sm_received_has_suffix(const char *s, const char *suffix);
void sm_received_set_mta(SmReceived *r, const char *family);

/* Examines one comment (@text, split into @words) for TLS and client-certificate facts;
 * returns TRUE when the comment was about TLS or certificates. */
gboolean sm_received_tls_comment(SmReceivedTlsState *st, const char *text, GPtrArray *words);
/* Examines one word outside comments (Exim's "X=TLSv1.2:C:256"). */
void sm_received_tls_atom(SmReceivedTlsState *st, const char *word);
/* The MTA family from a product comment such as "(Postfix)" or "(Exim 4.96)". */
void sm_received_mta_comment(SmReceived *r, const char *text);
/* Sets protocol, authenticated, tls and basis from the collected facts and the WITH text,
 * then the MTA family. */
void sm_received_classify(SmReceivedTlsState *st);

G_END_DECLS
