/* sm-inspect: one report per received message: who signed it (sm-verify) and how it travelled
 * (sm-path), as JSON (the inspect contract of ../DESIGN.md, documented in docs/json.md) or as
 * readable lines. Header values shown to people are untrusted: they are sanitised and cut.
 * Limits: those of the modules it calls; header values shown are cut at HEADER_CHARS. */
#include "sm-inspect.h"
#include "sm-json.h"
#include "sm-message.h"

#include <glib/gi18n.h>

/* Longest header value (From, Subject, Date) shown, in characters. */
#define HEADER_CHARS 200

struct _SmInspect
{
  GMimeMessage *message;
  SmVerifyResult *verify;
  SmPath *path;
};

void
sm_inspect_free(SmInspect *inspect)
{
  if (inspect == NULL)
    return;
  g_clear_object(&inspect->message);
  g_clear_pointer(&inspect->verify, sm_verify_result_free);
  g_clear_pointer(&inspect->path, sm_path_free);
  g_free(inspect);
}

SmInspect *
sm_inspect_message(GMimeMessage *message, const SmInspectOptions *options, GError **error)
{
  static const SmInspectOptions defaults = { NULL, NULL, FALSE };
  g_return_val_if_fail(GMIME_IS_MESSAGE(message), NULL);
  if (options == NULL)
    options = &defaults;
  g_autoptr(SmInspect) inspect = g_new0(SmInspect, 1);
  inspect->message = g_object_ref(message);

  SmVerifyOptions vopts = { options->limits, options->structure_only };
  inspect->verify = sm_verify_message(message, &vopts, error);
  if (inspect->verify == NULL)
    {
      g_prefix_error(error, _("cannot check the signatures: "));
      return NULL;
    }
  SmPathOptions popts = { options->trusted, options->limits };
  GMimeHeaderList *headers = g_mime_object_get_header_list(GMIME_OBJECT(message));
  inspect->path = sm_path_new_from_headers(headers, &popts, error);
  if (inspect->path == NULL)
    {
      g_prefix_error(error, _("cannot read the delivery path: "));
      return NULL;
    }
  return g_steal_pointer(&inspect);
}

SmInspect *
sm_inspect_bytes(GBytes *bytes, const SmInspectOptions *options, GError **error)
{
  g_autoptr(GMimeMessage) message
      = sm_message_parse_bytes(bytes, options != NULL ? options->limits : NULL, error);
  if (message == NULL)
    return NULL;
  return sm_inspect_message(message, options, error);
}

const SmVerifyResult *
sm_inspect_get_verify(const SmInspect *inspect)
{
  return inspect->verify;
}

const SmPath *
sm_inspect_get_path(const SmInspect *inspect)
{
  return inspect->path;
}

/* A header of the message, decoded, sanitised and cut, or NULL. */
static char *
header_text(const SmInspect *inspect, const char *name)
{
  const char *raw = g_mime_object_get_header(GMIME_OBJECT(inspect->message), name);
  if (raw == NULL)
    return NULL;
  g_autofree char *decoded = g_mime_utils_header_decode_text(NULL, raw);
  g_autofree char *unfolded = g_mime_utils_header_unfold(decoded != NULL ? decoded : raw);
  return sm_json_sanitize(g_strstrip(unfolded), -1, HEADER_CHARS);
}

static void
add_node(JsonBuilder *b, const char *name, JsonNode *node)
{
  json_builder_set_member_name(b, name);
  json_builder_add_value(b, node);
}

JsonNode *
sm_inspect_to_json(const SmInspect *inspect)
{
  g_autoptr(JsonBuilder) b = json_builder_new();
  g_autofree char *from = header_text(inspect, "From");
  g_autofree char *subject = header_text(inspect, "Subject");
  g_autofree char *date = header_text(inspect, "Date");
  g_autofree char *text = sm_verify_result_text(inspect->verify);
  SmVerifyVerdict verdict = sm_verify_result_verdict(inspect->verify);

  json_builder_begin_object(b);
  json_builder_set_member_name(b, "format_version");
  json_builder_add_int_value(b, SM_JSON_FORMAT_VERSION);
  json_builder_set_member_name(b, "message");
  json_builder_begin_object(b);
  sm_json_add_string_or_null(b, "from", from);
  sm_json_add_string_or_null(b, "from_address", inspect->verify->from_address);
  sm_json_add_string_or_null(b, "subject", subject);
  sm_json_add_string_or_null(b, "date", date);
  json_builder_end_object(b);
  add_node(b, "signatures", sm_verify_signatures_to_json(inspect->verify));
  add_node(b, "encryption", sm_verify_encryption_to_json(inspect->verify));
  add_node(b, "findings", sm_verify_findings_to_json(inspect->verify));
  json_builder_set_member_name(b, "verdict");
  json_builder_begin_object(b);
  sm_json_add_string_or_null(b, "signature", sm_verify_verdict_name(verdict));
  sm_json_add_string_or_null(b, "text", text);
  json_builder_end_object(b);
  add_node(b, "path", sm_path_to_json(inspect->path));
  add_node(b, "authentication_results", sm_path_authres_to_json(inspect->path));
  json_builder_end_object(b);
  return json_builder_get_root(b);
}

static void
print_signature(const SmVerifySignature *sig, guint index, GString *out)
{
  g_autofree char *name = sm_json_sanitize(sig->name, -1, HEADER_CHARS);
  g_autofree char *address = sm_json_sanitize(sig->address, -1, HEADER_CHARS);
  g_string_append_printf(out, _("  signature %u: %s, %s\n"), index,
                         sm_verify_status_name(sig->status),
                         sig->protocol == SM_VERIFY_PROTOCOL_SMIME ? "S/MIME" : "OpenPGP");
  if (name != NULL || address != NULL)
    g_string_append_printf(out, _("    signer:      %s%s%s%s\n"), name != NULL ? name : "",
                           address != NULL && name != NULL ? " <" : "",
                           address != NULL ? address : "",
                           address != NULL && name != NULL ? ">" : "");
  if (sig->fingerprint != NULL)
    g_string_append_printf(out, _("    fingerprint: %s\n"), sig->fingerprint);
  if (sig->issuer != NULL)
    {
      g_autofree char *issuer = sm_json_sanitize(sig->issuer, -1, HEADER_CHARS);
      g_string_append_printf(out, _("    issuer:      %s\n"), issuer);
    }
  if (sig->signing_time > 0)
    {
      g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(sig->signing_time);
      g_autofree char *when = dt != NULL ? g_date_time_format(dt, "%Y-%m-%d %H:%M:%S UTC") : NULL;
      g_string_append_printf(out, _("    signed at:   %s\n"), when != NULL ? when : "?");
    }
  if (sig->covers_whole_body)
    g_string_append_printf(out, _("    covers:      the whole message body\n"));
  else
    g_string_append_printf(out, _("    covers:      only part %s of the message\n"), sig->part_id);
  g_string_append_printf(out, _("    From match:  %s\n"), sig->from_matches ? _("yes") : _("no"));
  if (sig->error != NULL)
    g_string_append_printf(out, _("    note:        %s\n"), sig->error);
  for (guint i = 0; i < sig->findings->len; i++)
    g_string_append_printf(out, "    ! %s\n",
                           sm_verify_finding_describe(g_ptr_array_index(sig->findings, i)));
}

static void
print_encryption(const SmVerifyResult *v, GString *out)
{
  const char *proto = v->encryption_protocol == SM_VERIFY_PROTOCOL_SMIME ? "S/MIME" : "OpenPGP";
  if (!v->encrypted)
    g_string_append_printf(out, _("Encryption: not encrypted\n"));
  else if (v->decrypted)
    g_string_append_printf(out, _("Encryption: encrypted (%s), decrypted\n"), proto);
  else
    g_string_append_printf(out, _("Encryption: encrypted (%s), NOT decrypted%s%s\n"), proto,
                           v->decryption_error != NULL ? ": " : "",
                           v->decryption_error != NULL ? v->decryption_error : "");
}

void
sm_inspect_print_human(const SmInspect *inspect, GString *out)
{
  const SmVerifyResult *v = inspect->verify;
  const char *labels[] = { "From", "Subject", "Date" };
  for (gsize i = 0; i < G_N_ELEMENTS(labels); i++)
    {
      g_autofree char *value = header_text(inspect, labels[i]);
      g_string_append_printf(out, "%-11s %s\n", labels[i], value != NULL ? value : "-");
    }
  g_autofree char *text = sm_verify_result_text(v);
  g_string_append_printf(out, _("\nSignature: %s\n"), text);
  for (guint i = 0; i < v->signatures->len; i++)
    print_signature(g_ptr_array_index(v->signatures, i), i + 1, out);
  print_encryption(v, out);
  if (v->findings->len > 0)
    {
      g_string_append(out, _("Findings:\n"));
      for (guint i = 0; i < v->findings->len; i++)
        {
          const char *f = g_ptr_array_index(v->findings, i);
          g_string_append_printf(out, "  ! %s (%s)\n", sm_verify_finding_describe(f), f);
        }
    }
  g_string_append_c(out, '\n');
  sm_path_print_human(inspect->path, out);
}
