/* sm-smtp-pipeline-relay: the pipeline reduced to a plain relay (one copy, every recipient,
 * the bytes as received). Used while the engine modules are not built in. */
#include "sm-smtp-pipeline.h"

struct _SmSmtpPipeline
{
  int unused;
};

struct _SmSmtpJob
{
  GPtrArray *copies;
  char *session_id;
};

static void
copy_free(gpointer p)
{
  SmSmtpCopy *copy = p;
  g_free(copy->group_key);
  g_free(copy->decision);
  g_strfreev(copy->rcpts);
  g_free(copy->content_path);
  g_free(copy);
}

SmSmtpPipeline *
sm_smtp_pipeline_new(const SmSmtpPipelineOptions *options, GError **error)
{
  return g_new0(SmSmtpPipeline, 1);
}

void
sm_smtp_pipeline_free(SmSmtpPipeline *pipeline)
{
  g_free(pipeline);
}

const char *
sm_smtp_pipeline_mode(const SmSmtpPipeline *pipeline)
{
  return "relay";
}

SmSmtpJob *
sm_smtp_pipeline_prepare(SmSmtpPipeline *pipeline, const char *session_id,
                         const SmSmtpEnvelope *envelope, GError **error)
{
  SmSmtpJob *job = g_new0(SmSmtpJob, 1);
  SmSmtpCopy *copy = g_new0(SmSmtpCopy, 1);
  copy->group_key = g_strdup("all");
  copy->decision = g_strdup("plain");
  copy->rcpts = g_strdupv((char **)envelope->rcpts);
  copy->content_path = g_strdup(sm_smtp_spool_path(envelope->spool));
  copy->size = sm_smtp_spool_size(envelope->spool);
  copy->original = TRUE;
  job->copies = g_ptr_array_new_with_free_func(copy_free);
  g_ptr_array_add(job->copies, copy);
  job->session_id = g_strdup(session_id);
  return job;
}

void
sm_smtp_job_free(SmSmtpJob *job)
{
  if (job == NULL)
    return;
  g_ptr_array_unref(job->copies);
  g_free(job->session_id);
  g_free(job);
}

const char *
sm_smtp_job_blocked(const SmSmtpJob *job)
{
  return NULL;
}

GPtrArray *
sm_smtp_job_copies(const SmSmtpJob *job)
{
  return job->copies;
}

gboolean
sm_smtp_job_copy_delivered(SmSmtpJob *job, const SmSmtpCopy *copy)
{
  return FALSE;
}

void
sm_smtp_job_mark_delivered(SmSmtpJob *job, const SmSmtpCopy *copy)
{
}

void
sm_smtp_job_finish(SmSmtpJob *job, const char *result, const char *upstream_host,
                   const SmNetTlsFacts *tls, const char *detail)
{
  g_message("session=%s event=message result=%s copies=%u", job->session_id, result,
            job->copies->len);
}

void
sm_smtp_pipeline_record_tls(SmSmtpPipeline *pipeline, const char *host, const SmNetTlsFacts *tls,
                            const char *failure)
{
  g_message("event=upstream-tls host=%s result=%s version=%s cipher=%s", host,
            failure != NULL ? failure : "ok", tls != NULL ? tls->version : "-",
            tls != NULL ? tls->cipher : "-");
}
