/* sm-smtp-pipeline: what happens to one message between DATA and the upstream server:
 * parse -> scan -> resolve keys -> decide (policy) -> seal, giving the copies to send (one per
 * plan group), plus the audit of the outcome and the record of copies already delivered.
 * It is the only part of the SMTP proxy that calls the engine (helper/core); it is shared by
 * all sessions and serialises engine calls with one lock (GPGME contexts and the SQLite handle
 * are not shared across threads). */
#pragma once

#include <glib.h>
#include "sm-limits.h"
#include "sm-net-tls.h"
#include "sm-smtp-session.h"

G_BEGIN_DECLS

typedef struct _SmSmtpPipeline SmSmtpPipeline;
typedef struct _SmSmtpJob SmSmtpJob;

/* One outgoing copy of the message. */
typedef struct
{
  char *group_key;    /* stable across retries: decision and recipients, hashed */
  char *decision;     /* "encrypt-openpgp", "encrypt-smime", "require-tls", "plain" */
  char **rcpts;       /* NULL-terminated envelope recipients */
  char *content_path; /* the bytes to send (the spool itself, or a sealed copy) */
  guint64 size;
  gboolean require_tls; /* only over verified TLS, with REQUIRETLS when offered */
  gboolean original;    /* the client's own bytes, not a sealed copy */
} SmSmtpCopy;

typedef struct
{
  GKeyFile *config; /* the daemon's configuration: [policy], [domain:*], [pattern:*] */
  const SmLimits *limits;
  const char *spool_dir;  /* where sealed copies are written */
  const char *audit_db;   /* SQLite file of the audit (NULL: no audit) */
  const char *gnupg_home; /* NULL: the user's default */
  gboolean sign;          /* sign outgoing encrypted copies */
} SmSmtpPipelineOptions;

SmSmtpPipeline *sm_smtp_pipeline_new(const SmSmtpPipelineOptions *options, GError **error);
void sm_smtp_pipeline_free(SmSmtpPipeline *pipeline);
/* "engine" when scanning and encryption are built in, "relay" for a plain relay. */
const char *sm_smtp_pipeline_mode(const SmSmtpPipeline *pipeline);

/* Plans the message of @envelope. Errors are local failures (the client gets 451). */
SmSmtpJob *sm_smtp_pipeline_prepare(SmSmtpPipeline *pipeline, const char *session_id,
                                    const SmSmtpEnvelope *envelope, GError **error);
void sm_smtp_job_free(SmSmtpJob *job);
/* The reason for people when the message must not be sent (types and counts only), else NULL. */
const char *sm_smtp_job_blocked(const SmSmtpJob *job);
/* The copies, in plan order (of SmSmtpCopy*). */
GPtrArray *sm_smtp_job_copies(const SmSmtpJob *job);
/* TRUE when an earlier attempt already delivered @copy (a retry of a partly sent split plan). */
gboolean sm_smtp_job_copy_delivered(SmSmtpJob *job, const SmSmtpCopy *copy);
/* Records that the upstream server accepted @copy. */
void sm_smtp_job_mark_delivered(SmSmtpJob *job, const SmSmtpCopy *copy);
/* Writes the audit row: @result is "sent", "blocked", "failed" or "partial". */
void sm_smtp_job_finish(SmSmtpJob *job, const char *result, const char *upstream_host,
                        const SmNetTlsFacts *tls, const char *detail);

/* Records one upstream TLS session for the TLS report; @failure is an RFC 8460 result type or
 * NULL on success. */
void sm_smtp_pipeline_record_tls(SmSmtpPipeline *pipeline, const char *host,
                                 const SmNetTlsFacts *tls, const char *failure);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(SmSmtpJob, sm_smtp_job_free)

G_END_DECLS
