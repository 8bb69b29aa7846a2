/* sm-path-output: the delivery path as JSON (the "path" object and the
 * "authentication_results" array of the inspect contract, ../DESIGN.md Contracts) and as a
 * readable hop table. Every string printed here was sanitised by the parsers. */
#include "sm-path-private.h"
#include "sm-json.h"

#include <glib/gi18n.h>

static void
add_string(JsonBuilder *b, const char *name, const char *value)
{
  sm_json_add_string_or_null(b, name, value);
}

static void
add_int_or_null(JsonBuilder *b, const char *name, gboolean present, gint64 value)
{
  json_builder_set_member_name(b, name);
  if (present)
    json_builder_add_int_value(b, value);
  else
    json_builder_add_null_value(b);
}

static char *
iso_date(const SmReceived *r)
{
  if (!r->has_date)
    return NULL;
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(r->date);
  return dt != NULL ? g_date_time_format_iso8601(dt) : NULL;
}

static void
add_tls(JsonBuilder *b, const SmReceived *r)
{
  json_builder_set_member_name(b, "tls");
  json_builder_begin_object(b);
  add_string(b, "status", sm_received_tls_to_string(r->tls));
  add_string(b, "version", r->tls_version);
  add_string(b, "cipher", r->cipher);
  add_int_or_null(b, "bits", r->bits > 0, r->bits);
  add_string(b, "version_raw", r->tls_version_raw);
  add_string(b, "client_cert", sm_received_client_cert_to_string(r->client_cert));
  add_string(b, "basis", sm_received_basis_to_string(r->basis));
  json_builder_end_object(b);
}

static void
add_hop(JsonBuilder *b, const SmPathHop *hop)
{
  const SmReceived *r = hop->received;
  g_autofree char *date = iso_date(r);
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "index");
  json_builder_add_int_value(b, hop->index);
  add_string(b, "from", r->from);
  add_string(b, "by", r->by);
  add_string(b, "with", r->with);
  add_string(b, "date", date);
  add_tls(b, r);
  add_string(b, "source", sm_path_hop_source(hop));
  json_builder_set_member_name(b, "provider");
  json_builder_add_boolean_value(b, hop->provider);
  add_string(b, "helo", r->helo);
  add_string(b, "rdns", r->rdns);
  add_string(b, "ip", r->ip);
  add_string(b, "scope", sm_path_scope_to_string(hop->scope));
  add_string(b, "via", r->via);
  add_string(b, "protocol", r->protocol);
  json_builder_set_member_name(b, "authenticated");
  json_builder_add_boolean_value(b, r->authenticated);
  add_string(b, "id", r->id);
  add_string(b, "for", r->for_addr);
  add_int_or_null(b, "date_unix", r->has_date, r->date);
  add_int_or_null(b, "delay_seconds", hop->has_delay, hop->delay_seconds);
  add_string(b, "mta", r->mta);
  add_string(b, "basis", sm_received_basis_to_string(r->basis));
  json_builder_set_member_name(b, "too_long");
  json_builder_add_boolean_value(b, r->too_long);
  add_string(b, "raw", hop->raw);
  json_builder_end_object(b);
}

JsonNode *
sm_path_to_json(const SmPath *path)
{
  g_return_val_if_fail(path != NULL, NULL);
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "hops");
  json_builder_begin_array(b);
  for (guint i = 0; i < path->hops->len; i++)
    add_hop(b, path->hops->pdata[i]);
  json_builder_end_array(b);
  add_string(b, "summary", path->summary);
  json_builder_set_member_name(b, "received_count");
  json_builder_add_int_value(b, path->received_total);
  json_builder_set_member_name(b, "received_not_analysed");
  json_builder_add_int_value(b, path->received_skipped);
  add_string(b, "boundary", path->configured ? "configured" : "receiving-domain");
  add_string(b, "receiving_domain", path->receiving_domain);
  json_builder_end_object(b);
  return json_builder_get_root(b);
}

static void
add_properties(JsonBuilder *b, const SmAuthresResult *res)
{
  json_builder_set_member_name(b, "properties");
  json_builder_begin_object(b);
  for (guint i = 0; i < res->properties->len; i++)
    {
      const SmAuthresProperty *p = res->properties->pdata[i];
      json_builder_set_member_name(b, p->name);
      json_builder_add_string_value(b, p->value);
    }
  json_builder_end_object(b);
}

static void
add_result(JsonBuilder *b, const SmPathAuthres *a, const SmAuthresResult *res)
{
  const SmAuthres *ar = a->authres;
  json_builder_begin_object(b);
  add_string(b, "authserv_id", ar->authserv_id);
  json_builder_set_member_name(b, "trusted");
  json_builder_add_boolean_value(b, a->trusted);
  add_string(b, "method", res != NULL ? res->method : NULL);
  add_string(b, "result", res != NULL ? res->result : "none");
  add_string(b, "reason", res != NULL ? res->reason : NULL);
  add_string(b, "comment", res != NULL ? res->comment : NULL);
  if (res != NULL)
    add_properties(b, res);
  add_string(b, "header", ar->arc ? "ARC-Authentication-Results" : "Authentication-Results");
  /* RFC 8617: an ARC set reports what an earlier hop saw; it is advice, not a verdict */
  json_builder_set_member_name(b, "advisory");
  json_builder_add_boolean_value(b, ar->arc);
  add_int_or_null(b, "arc_instance", ar->arc && ar->instance > 0, ar->instance);
  add_string(b, "ignored_reason", a->ignored_reason);
  json_builder_end_object(b);
}

JsonNode *
sm_path_authres_to_json(const SmPath *path)
{
  g_return_val_if_fail(path != NULL, NULL);
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_array(b);
  for (guint i = 0; i < path->authres->len; i++)
    {
      const SmPathAuthres *a = path->authres->pdata[i];
      /* "; none" is one entry without a method, so that it is not lost */
      if (a->authres->results->len == 0 && a->authres->none)
        add_result(b, a, NULL);
      for (guint j = 0; j < a->authres->results->len; j++)
        add_result(b, a, a->authres->results->pdata[j]);
    }
  json_builder_end_array(b);
  return json_builder_get_root(b);
}

/* ---- people --------------------------------------------------------------------------------- */

static void
print_hop(GString *out, const SmPathHop *hop)
{
  const SmReceived *r = hop->received;
  g_autofree char *from = sm_path_hop_from_display(hop);
  g_autofree char *delay = hop->has_delay
                               ? g_strdup_printf("%" G_GINT64_FORMAT "s", hop->delay_seconds)
                               : g_strdup("-");
  g_string_append_printf(out, "  %3u  %-7s  %-5s  %-8s  %6s  %s → %s", hop->index,
                         sm_received_tls_to_string(r->tls),
                         r->tls_version != NULL ? r->tls_version : "-", sm_path_hop_source(hop),
                         delay, from, sm_path_hop_by_display(hop));
  if (r->with != NULL)
    g_string_append_printf(out, _(" with %s"), r->with);
  if (r->cipher != NULL)
    g_string_append_printf(out, _(", cipher %s"), r->cipher);
  if (r->too_long)
    g_string_append(out, _(" (too long, not analysed)"));
  g_string_append_c(out, '\n');
}

static void
print_authres(GString *out, const SmPathAuthres *a)
{
  const SmAuthres *ar = a->authres;
  g_string_append_printf(out, "  %s%s", ar->arc ? "ARC " : "",
                         ar->authserv_id != NULL ? ar->authserv_id : _("(no authserv-id)"));
  if (!a->trusted)
    {
      g_string_append_printf(out, _(": ignored (%s)\n"), _(a->ignored_reason));
      return;
    }
  g_string_append(out, ":");
  if (ar->none)
    g_string_append(out, " none");
  for (guint i = 0; i < ar->results->len; i++)
    {
      const SmAuthresResult *res = ar->results->pdata[i];
      const char *d = sm_authres_result_property(res, "header.d");
      if (d == NULL)
        d = sm_authres_result_property(res, "smtp.mailfrom");
      g_string_append_printf(out, " %s=%s", res->method, res->result);
      if (d != NULL)
        g_string_append_printf(out, " (%s)", d);
    }
  g_string_append_c(out, '\n');
}

void
sm_path_print_human(const SmPath *path, GString *out)
{
  g_return_if_fail(path != NULL && out != NULL);
  g_string_append_printf(out, _("Delivery path: %s\n"), path->summary);
  if (path->hops->len > 0)
    {
      g_string_append_printf(out, "  %3s  %-7s  %-5s  %-8s  %6s  %s\n", _("Hop"), _("TLS"),
                             _("Vers."), _("Source"), _("Delay"), _("From → By"));
      for (guint i = 0; i < path->hops->len; i++)
        print_hop(out, path->hops->pdata[i]);
    }
  if (path->configured)
    g_string_append(out, _("Provider hops: the hosts you trust (--trust or configuration)\n"));
  else if (path->receiving_domain != NULL)
    g_string_append_printf(out,
                           _("Provider hops: the topmost hops of %s (configure --trust to be "
                             "precise)\n"),
                           path->receiving_domain);
  if (path->authres->len > 0)
    g_string_append(out, _("Authentication-Results:\n"));
  for (guint i = 0; i < path->authres->len; i++)
    print_authres(out, path->authres->pdata[i]);
  if (path->authres_skipped > 0)
    g_string_append_printf(out, _("  %u more Authentication-Results not analysed (limit %s)\n"),
                           path->authres_skipped, sm_limits_name(SM_LIMIT_AUTHRES_HEADERS));
}
