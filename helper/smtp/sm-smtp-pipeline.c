/* sm-smtp-pipeline: the engine behind the SMTP proxy. For each message: parse the spool with
 * GMime (streamed: the parser keeps part contents in the spool file, not in memory), plan it
 * (sm_policy_plan: scan, keys, decisions, split), seal the groups that need it (sm_seal_plan),
 * and hand the relay one copy per plan group. Plain and require-tls groups are sent as the
 * client's own bytes unless the message carries a Bcc field (then the sealed copy, which has
 * none). The audit gets one row per message and one per upstream TLS session, and the delivery
 * records of split plans (keyed by Message-ID hash and group key) make retries send only what
 * is missing. Engine calls are serialised by one lock (the GPGME contexts are per pipeline, and
 * sealmaild is a single-user daemon), audit calls by another. */
#include "sm-smtp-pipeline.h"
#include "sm-audit.h"
#include "sm-autocleanups.h"
#include "sm-error.h"
#include "sm-message.h"
#include "sm-policy.h"
#include "sm-scan.h"
#include "sm-seal.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

struct _SmSmtpPipeline
{
  GMutex lock;       /* the engine: keys, policy, seal (GPGME) */
  GMutex audit_lock; /* the SQLite handle, apart so that audit writes never wait for a plan */
  SmLimits limits;
  char *spool_dir;
  SmPolicy *policy;
  SmKeyResolver *resolver;
  SmScanPolicy *scan_policy;
  SmAudit *audit; /* NULL: no audit */
  SmSealOptions seal;
  char *gnupg_home;
};

struct _SmSmtpJob
{
  SmSmtpPipeline *pipeline;
  char *session_id;
  SmPlan *plan;
  GPtrArray *copies;       /* SmSmtpCopy* */
  GPtrArray *sealed_files; /* paths written for this job, removed with it */
  char *message_id_hash;   /* NULL when the message has no Message-ID */
  char *blocked;
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
sm_smtp_pipeline_new(const SmSmtpPipelineOptions *o, GError **error)
{
  g_autoptr(SmKeyResolver) resolver = sm_key_resolver_new_from_config(o->config, error);
  if (resolver == NULL)
    return NULL;
  g_autoptr(SmPolicy) policy = sm_policy_new_from_config(o->config, error);
  if (policy == NULL)
    return NULL;
  g_autoptr(SmScanPolicy) scan_policy = sm_scan_policy_new(o->config, error);
  if (scan_policy == NULL)
    return NULL;
  SmSealOptions seal = { .protect_headers = TRUE, .autocrypt = TRUE, .sign = o->sign };
  if (!sm_seal_options_load(&seal, o->config, error))
    return NULL;
  g_autoptr(SmAudit) audit = NULL;
  if (o->audit_db != NULL)
    {
      audit = sm_audit_open(o->audit_db, error);
      if (audit == NULL)
        return NULL;
      sm_audit_set_limits(audit, o->limits);
    }

  SmSmtpPipeline *p = g_new0(SmSmtpPipeline, 1);
  g_mutex_init(&p->lock);
  g_mutex_init(&p->audit_lock);
  p->limits = *(o->limits != NULL ? o->limits : sm_limits_default());
  p->spool_dir = g_strdup(o->spool_dir);
  p->gnupg_home = g_strdup(sm_key_resolver_get_options(resolver)->gnupg_home);
  p->resolver = g_steal_pointer(&resolver);
  p->policy = g_steal_pointer(&policy);
  p->scan_policy = g_steal_pointer(&scan_policy);
  p->audit = g_steal_pointer(&audit);
  p->seal = seal;
  p->seal.gnupg_home = p->gnupg_home;
  p->seal.limits = &p->limits;
  sm_message_init();
  return p;
}

void
sm_smtp_pipeline_free(SmSmtpPipeline *p)
{
  if (p == NULL)
    return;
  g_clear_pointer(&p->audit, sm_audit_close);
  g_clear_pointer(&p->scan_policy, sm_scan_policy_free);
  g_clear_pointer(&p->policy, sm_policy_free);
  g_clear_pointer(&p->resolver, sm_key_resolver_free);
  g_mutex_clear(&p->lock);
  g_mutex_clear(&p->audit_lock);
  g_free(p->spool_dir);
  g_free(p->gnupg_home);
  g_free(p);
}

const char *
sm_smtp_pipeline_mode(const SmSmtpPipeline *pipeline)
{
  return "engine";
}

/* Parses the spool without reading it into memory: GMime keeps the parts as ranges of the
 * file. The SMTP size limit bounds the header block GMime holds. */
static GMimeMessage *
parse_spool(const char *path, GError **error)
{
  int fd = g_open(path, O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0)
    {
      g_set_error(error, SM_ERROR, SM_ERROR_IO, _("cannot open the spool file %s: %s"), path,
                  g_strerror(errno));
      return NULL;
    }
  g_autoptr(GMimeStream) stream = g_mime_stream_fs_new(fd);
  g_autoptr(GMimeParser) parser = g_mime_parser_new_with_stream(stream);
  g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
  g_mime_parser_set_persist_stream(parser, TRUE);
  g_autoptr(GMimeParserOptions) opts = g_mime_parser_options_new();
  g_mime_parser_options_set_rfc2047_compliance_mode(opts, GMIME_RFC_COMPLIANCE_LOOSE);
  GMimeMessage *message = g_mime_parser_construct_message(parser, opts);
  if (message == NULL)
    g_set_error_literal(error, SM_ERROR, SM_ERROR_INVALID_INPUT,
                        _("the message could not be parsed as MIME"));
  return message;
}

static gboolean
has_bcc_field(GMimeMessage *message)
{
  GMimeHeaderList *headers = g_mime_object_get_header_list(GMIME_OBJECT(message));
  return g_mime_header_list_contains(headers, "Bcc")
         || g_mime_header_list_contains(headers, "Resent-Bcc");
}

/* Writes a sealed copy next to the spool, with CR LF line ends as SMTP sends them. */
static char *
write_sealed(SmSmtpJob *job, GMimeMessage *message, guint64 *size, GError **error)
{
  g_autofree char *path = g_build_filename(job->pipeline->spool_dir, "sealed-XXXXXX", NULL);
  int fd = g_mkstemp_full(path, O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      g_set_error(error, SM_ERROR, SM_ERROR_IO, _("cannot create %s: %s"), path, g_strerror(errno));
      return NULL;
    }
  g_ptr_array_add(job->sealed_files, g_strdup(path));
  g_autoptr(GMimeStream) out = g_mime_stream_fs_new(fd);
  g_autoptr(GMimeFormatOptions) fmt = g_mime_format_options_new();
  g_mime_format_options_set_newline_format(fmt, GMIME_NEWLINE_FORMAT_DOS);
  gssize n = g_mime_object_write_to_stream(GMIME_OBJECT(message), fmt, out);
  if (n < 0 || g_mime_stream_flush(out) != 0)
    {
      g_set_error(error, SM_ERROR, SM_ERROR_IO, _("cannot write %s"), path);
      return NULL;
    }
  *size = (guint64)n;
  return g_steal_pointer(&path);
}

static char **
group_addresses(const SmPlanGroup *group)
{
  GStrvBuilder *b = g_strv_builder_new();
  for (guint i = 0; i < group->recipients->len; i++)
    {
      const SmRecipientPlan *r = g_ptr_array_index(group->recipients, i);
      g_strv_builder_add(b, r->address);
    }
  char **out = g_strv_builder_end(b);
  g_strv_builder_unref(b);
  return out;
}

static gboolean
needs_sealing(const SmPlan *plan, gboolean bcc_field)
{
  if (bcc_field)
    return TRUE;
  for (guint i = 0; i < plan->groups->len; i++)
    {
      const SmPlanGroup *g = g_ptr_array_index(plan->groups, i);
      if (g->decision == SM_DECISION_ENCRYPT_OPENPGP || g->decision == SM_DECISION_ENCRYPT_SMIME)
        return TRUE;
    }
  return FALSE;
}

/* The copy already carrying the client's own bytes for @decision, to add recipients to: copies
 * that are not sealed are identical, and one transaction serves all their recipients (the plan
 * gives each Bcc recipient a group of their own for the sake of encryption only). */
static SmSmtpCopy *
find_original(SmSmtpJob *job, const char *decision)
{
  for (guint i = 0; i < job->copies->len; i++)
    {
      SmSmtpCopy *c = g_ptr_array_index(job->copies, i);
      if (c->original && strcmp(c->decision, decision) == 0)
        return c;
    }
  return NULL;
}

static void
append_rcpts(SmSmtpCopy *copy, char **more)
{
  GStrvBuilder *b = g_strv_builder_new();
  g_strv_builder_addv(b, (const char **)copy->rcpts);
  g_strv_builder_addv(b, (const char **)more);
  g_strfreev(copy->rcpts);
  copy->rcpts = g_strv_builder_end(b);
  g_strv_builder_unref(b);
}

/* One copy per plan group, in plan order; unsealed groups of one decision share a copy. */
static gboolean
make_copies(SmSmtpJob *job, GMimeMessage *message, const SmSmtpEnvelope *env, GError **error)
{
  const SmPlan *plan = job->plan;
  gboolean bcc_field = has_bcc_field(message);
  g_autoptr(GPtrArray) sealed = NULL;
  if (needs_sealing(plan, bcc_field))
    {
      sealed = sm_seal_plan(plan, message, &job->pipeline->seal, error);
      if (sealed == NULL)
        return FALSE;
    }
  for (guint i = 0; i < plan->groups->len; i++)
    {
      const SmPlanGroup *g = g_ptr_array_index(plan->groups, i);
      const SmSealedMessage *s = sealed != NULL ? g_ptr_array_index(sealed, i) : NULL;
      const char *decision = sm_decision_to_string(g->decision);
      g_auto(GStrv) rcpts = s != NULL ? g_strdupv(s->envelope_rcpts) : group_addresses(g);
      if (rcpts[0] == NULL)
        continue;
      gboolean original
          = s == NULL
            || ((g->decision == SM_DECISION_PLAIN || g->decision == SM_DECISION_REQUIRE_TLS)
                && !bcc_field && !s->is_signed);
      SmSmtpCopy *copy = original ? find_original(job, decision) : NULL;
      if (copy != NULL)
        {
          append_rcpts(copy, rcpts);
          continue;
        }
      copy = g_new0(SmSmtpCopy, 1);
      g_ptr_array_add(job->copies, copy);
      copy->decision = g_strdup(decision);
      copy->rcpts = g_steal_pointer(&rcpts);
      copy->require_tls = g->decision == SM_DECISION_REQUIRE_TLS;
      copy->original = original;
      if (original)
        {
          copy->content_path = g_strdup(sm_smtp_spool_path(env->spool));
          copy->size = sm_smtp_spool_size(env->spool);
        }
      else
        {
          copy->content_path = write_sealed(job, s->message, &copy->size, error);
          if (copy->content_path == NULL)
            return FALSE;
        }
    }
  /* Keys last: a shared copy's key covers all of its recipients. */
  for (guint i = 0; i < job->copies->len; i++)
    {
      SmSmtpCopy *c = g_ptr_array_index(job->copies, i);
      c->group_key = sm_audit_group_key(c->decision, (const char *const *)c->rcpts);
    }
  return TRUE;
}

/* A stand-in for a missing Message-ID, so that the retry of a split plan is still recognised:
 * the client resends the very same bytes. */
static char *
hash_content(const char *path)
{
  g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
  g_autoptr(GFile) file = g_file_new_for_path(path);
  g_autoptr(GFileInputStream) in = g_file_read(file, NULL, NULL);
  guint8 buf[65536];
  gssize n;
  if (in == NULL)
    return NULL;
  while ((n = g_input_stream_read(G_INPUT_STREAM(in), buf, sizeof buf, NULL, NULL)) > 0)
    g_checksum_update(sum, buf, n);
  if (n < 0)
    return NULL;
  return sm_audit_hash_message_id(g_checksum_get_string(sum));
}

SmSmtpJob *
sm_smtp_pipeline_prepare(SmSmtpPipeline *p, const char *session_id, const SmSmtpEnvelope *env,
                         GError **error)
{
  g_autoptr(SmSmtpJob) job = g_new0(SmSmtpJob, 1);
  job->pipeline = p;
  job->session_id = g_strdup(session_id);
  job->copies = g_ptr_array_new_with_free_func(copy_free);
  job->sealed_files = g_ptr_array_new_with_free_func(g_free);

  g_autoptr(GMimeMessage) message = parse_spool(sm_smtp_spool_path(env->spool), error);
  if (message == NULL)
    return NULL;
  const char *mid = g_mime_message_get_message_id(message);
  job->message_id_hash = mid != NULL ? sm_audit_hash_message_id(mid) : NULL;

  g_mutex_lock(&p->lock);
  job->plan = sm_policy_plan(p->policy, p->resolver, message, env->rcpts, p->scan_policy,
                             &p->limits, error);
  gboolean ok = job->plan != NULL;
  if (ok && job->plan->blocked)
    job->blocked = g_strdup(job->plan->reason != NULL ? job->plan->reason : _("blocked by policy"));
  else if (ok)
    ok = make_copies(job, message, env, error);
  g_mutex_unlock(&p->lock);
  if (!ok)
    {
      g_prefix_error(error, _("cannot prepare the message: "));
      return NULL;
    }
  if (job->message_id_hash == NULL && job->copies->len > 1)
    job->message_id_hash = hash_content(sm_smtp_spool_path(env->spool));
  g_auto(GStrv) types = job->plan->scan != NULL ? sm_scan_report_types(job->plan->scan) : NULL;
  g_message("session=%s event=plan copies=%u blocked=%s finding-types=%u", session_id,
            job->copies->len, job->blocked != NULL ? "yes" : "no",
            types != NULL ? g_strv_length(types) : 0);
  return g_steal_pointer(&job);
}

void
sm_smtp_job_free(SmSmtpJob *job)
{
  if (job == NULL)
    return;
  for (guint i = 0; job->sealed_files != NULL && i < job->sealed_files->len; i++)
    g_unlink(g_ptr_array_index(job->sealed_files, i));
  g_clear_pointer(&job->sealed_files, g_ptr_array_unref);
  g_clear_pointer(&job->copies, g_ptr_array_unref);
  g_clear_pointer(&job->plan, sm_plan_free);
  g_free(job->session_id);
  g_free(job->message_id_hash);
  g_free(job->blocked);
  g_free(job);
}

const char *
sm_smtp_job_blocked(const SmSmtpJob *job)
{
  return job->blocked;
}

GPtrArray *
sm_smtp_job_copies(const SmSmtpJob *job)
{
  return job->copies;
}

/* Delivery records only matter for a split plan with a Message-ID: a single copy is either
 * accepted (the client got 250) or not at all. */
static gboolean
tracks_delivery(const SmSmtpJob *job)
{
  return job->pipeline->audit != NULL && job->message_id_hash != NULL && job->copies->len > 1;
}

gboolean
sm_smtp_job_copy_delivered(SmSmtpJob *job, const SmSmtpCopy *copy)
{
  gboolean delivered = FALSE;
  g_autoptr(GError) error = NULL;
  if (!tracks_delivery(job))
    return FALSE;
  g_mutex_lock(&job->pipeline->audit_lock);
  if (!sm_audit_group_delivered(job->pipeline->audit, job->message_id_hash, copy->group_key,
                                &delivered, &error))
    g_warning("session=%s event=audit-failed error=\"%s\"", job->session_id, error->message);
  g_mutex_unlock(&job->pipeline->audit_lock);
  return delivered;
}

void
sm_smtp_job_mark_delivered(SmSmtpJob *job, const SmSmtpCopy *copy)
{
  g_autoptr(GError) error = NULL;
  if (!tracks_delivery(job))
    return;
  g_mutex_lock(&job->pipeline->audit_lock);
  if (!sm_audit_mark_group_delivered(job->pipeline->audit, job->message_id_hash, copy->group_key,
                                     &error))
    g_warning("session=%s event=audit-failed error=\"%s\"", job->session_id, error->message);
  g_mutex_unlock(&job->pipeline->audit_lock);
}

/* "smtp.example.org" -> "example.org": the TLS-RPT policy domain of the upstream host. */
static char *
policy_domain(const char *host)
{
  const char *dot = strchr(host, '.');
  if (dot != NULL && strchr(dot + 1, '.') != NULL && !g_hostname_is_ip_address(host))
    return g_ascii_strdown(dot + 1, -1);
  return g_ascii_strdown(host, -1);
}

static void
add_tls(JsonBuilder *b, const char *host, const SmNetTlsFacts *tls, const char *failure)
{
  g_autofree char *domain = policy_domain(host);
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "host");
  json_builder_add_string_value(b, host);
  json_builder_set_member_name(b, "policy_domain");
  json_builder_add_string_value(b, domain);
  json_builder_set_member_name(b, "tls");
  json_builder_add_boolean_value(b, tls != NULL && tls->verified);
  if (tls != NULL)
    {
      json_builder_set_member_name(b, "version");
      json_builder_add_string_value(b, tls->version);
      json_builder_set_member_name(b, "cipher");
      json_builder_add_string_value(b, tls->cipher);
      json_builder_set_member_name(b, "cert_sha256");
      json_builder_add_string_value(b, tls->cert_sha256);
    }
  if (failure != NULL)
    {
      json_builder_set_member_name(b, "failure");
      json_builder_add_string_value(b, failure);
    }
  json_builder_end_object(b);
}

static void
add_recipients(JsonBuilder *b, const SmPlan *plan)
{
  json_builder_begin_array(b);
  for (guint i = 0; i < plan->recipients->len; i++)
    {
      const SmRecipientPlan *r = g_ptr_array_index(plan->recipients, i);
      json_builder_begin_object(b);
      json_builder_set_member_name(b, "address");
      json_builder_add_string_value(b, r->address);
      json_builder_set_member_name(b, "decision");
      json_builder_add_string_value(b, sm_decision_to_string(r->decision));
      json_builder_set_member_name(b, "reason");
      json_builder_add_string_value(b, r->reason != NULL ? r->reason : "");
      json_builder_end_object(b);
    }
  json_builder_end_array(b);
}

void
sm_smtp_job_finish(SmSmtpJob *job, const char *result, const char *upstream_host,
                   const SmNetTlsFacts *tls, const char *detail)
{
  g_message("session=%s event=message result=%s copies=%u", job->session_id, result,
            job->copies->len);
  if (job->pipeline->audit == NULL)
    return;
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "time");
  json_builder_add_int_value(b, g_get_real_time() / G_USEC_PER_SEC);
  if (job->message_id_hash != NULL)
    {
      json_builder_set_member_name(b, "message_id_hash");
      json_builder_add_string_value(b, job->message_id_hash);
    }
  json_builder_set_member_name(b, "recipients");
  add_recipients(b, job->plan);
  if (job->plan->scan != NULL)
    {
      json_builder_set_member_name(b, "findings");
      json_builder_add_value(b, sm_scan_report_summary_json(job->plan->scan));
    }
  if (tls != NULL)
    {
      json_builder_set_member_name(b, "tls");
      add_tls(b, upstream_host, tls, NULL);
    }
  json_builder_set_member_name(b, "result");
  json_builder_add_string_value(b, result);
  json_builder_set_member_name(b, "detail");
  json_builder_add_string_value(b, detail != NULL ? detail
                                                  : (job->plan->reason ? job->plan->reason : ""));
  json_builder_end_object(b);
  g_autoptr(JsonNode) record = json_builder_get_root(b);
  g_autoptr(GError) error = NULL;
  g_mutex_lock(&job->pipeline->audit_lock);
  if (!sm_audit_record(job->pipeline->audit, record, &error))
    g_warning("session=%s event=audit-failed error=\"%s\"", job->session_id, error->message);
  g_mutex_unlock(&job->pipeline->audit_lock);
}

void
sm_smtp_pipeline_record_tls(SmSmtpPipeline *p, const char *host, const SmNetTlsFacts *tls,
                            const char *failure)
{
  g_message("event=upstream-tls host=%s result=%s version=%s cipher=%s", host,
            failure != NULL ? failure : "ok", tls != NULL ? tls->version : "-",
            tls != NULL ? tls->cipher : "-");
  if (p->audit == NULL)
    return;
  g_autofree char *domain = policy_domain(host);
  SmAuditTls facts = {
    .host = (char *)host,
    .policy_domain = domain,
    .tls = tls != NULL && tls->verified,
    .version = tls != NULL ? tls->version : NULL,
    .cipher = tls != NULL ? tls->cipher : NULL,
    .cert_sha256 = tls != NULL ? tls->cert_sha256 : NULL,
    .failure = (char *)failure,
  };
  g_autoptr(GError) error = NULL;
  g_mutex_lock(&p->audit_lock);
  if (!sm_audit_record_tls(p->audit, &facts, &error))
    g_warning("event=audit-failed error=\"%s\"", error->message);
  g_mutex_unlock(&p->audit_lock);
}
