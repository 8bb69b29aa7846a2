/* sm-bundle-report: what `sealmail bundle import` and `status` print with --json.
 *
 * import: { "format_version", "changed", "version", "previous_version", "issuer",
 *           "signer": { "fingerprint", "newly_pinned" },
 *           "openpgp": { "added", "updated", "unchanged" }, "smime": { "added", "unchanged" },
 *           "ca": { "trusted", "already_trusted", "distrusted" },
 *           "policy": { "change": "none" | "installed" | "updated" | "unchanged", "path" } }
 * status: { "format_version", "installed", "version", "issuer", "imported_at", "pinned",
 *           "keys": { "openpgp": [...], "smime": [...] } }
 * Fingerprints are upper-case hex strings; lists are sorted. */
#include "sm-bundle.h"
#include "sm-json.h"

static const char *const policy_changes[] = {
  [SM_BUNDLE_POLICY_NONE] = "none",
  [SM_BUNDLE_POLICY_INSTALLED] = "installed",
  [SM_BUNDLE_POLICY_UPDATED] = "updated",
  [SM_BUNDLE_POLICY_UNCHANGED] = "unchanged",
};

void
sm_bundle_report_free(SmBundleReport *r)
{
  if (r == NULL)
    return;
  GPtrArray *lists[]
      = { r->openpgp_added,   r->openpgp_updated, r->openpgp_unchanged,  r->smime_added,
          r->smime_unchanged, r->ca_trusted,      r->ca_already_trusted, r->ca_distrusted };
  for (gsize i = 0; i < G_N_ELEMENTS(lists); i++)
    if (lists[i] != NULL)
      g_ptr_array_unref(lists[i]);
  g_free(r->signer_fingerprint);
  g_free(r->issuer);
  g_free(r->policy_path);
  g_free(r);
}

static void
add_list(JsonBuilder *b, const char *name, GPtrArray *list)
{
  json_builder_set_member_name(b, name);
  json_builder_begin_array(b);
  for (guint i = 0; list != NULL && i < list->len; i++)
    json_builder_add_string_value(b, g_ptr_array_index(list, i));
  json_builder_end_array(b);
}

static void
add_strv(JsonBuilder *b, const char *name, char **list)
{
  json_builder_set_member_name(b, name);
  json_builder_begin_array(b);
  for (gsize i = 0; list != NULL && list[i] != NULL; i++)
    if (*list[i] != '\0')
      json_builder_add_string_value(b, list[i]);
  json_builder_end_array(b);
}

JsonNode *
sm_bundle_report_to_json(const SmBundleReport *r)
{
  g_autoptr(JsonBuilder) b = json_builder_new();

  json_builder_begin_object(b);
  json_builder_set_member_name(b, "format_version");
  json_builder_add_int_value(b, SM_JSON_FORMAT_VERSION);
  json_builder_set_member_name(b, "changed");
  json_builder_add_boolean_value(b, r->changed);
  json_builder_set_member_name(b, "version");
  json_builder_add_int_value(b, (gint64)r->version);
  json_builder_set_member_name(b, "previous_version");
  if (r->previous_version != 0)
    json_builder_add_int_value(b, (gint64)r->previous_version);
  else
    json_builder_add_null_value(b);
  sm_json_add_string_or_null(b, "issuer", r->issuer);
  json_builder_set_member_name(b, "signer");
  json_builder_begin_object(b);
  sm_json_add_string_or_null(b, "fingerprint", r->signer_fingerprint);
  json_builder_set_member_name(b, "newly_pinned");
  json_builder_add_boolean_value(b, r->newly_pinned);
  json_builder_end_object(b);
  json_builder_set_member_name(b, "openpgp");
  json_builder_begin_object(b);
  add_list(b, "added", r->openpgp_added);
  add_list(b, "updated", r->openpgp_updated);
  add_list(b, "unchanged", r->openpgp_unchanged);
  json_builder_end_object(b);
  json_builder_set_member_name(b, "smime");
  json_builder_begin_object(b);
  add_list(b, "added", r->smime_added);
  add_list(b, "unchanged", r->smime_unchanged);
  json_builder_end_object(b);
  json_builder_set_member_name(b, "ca");
  json_builder_begin_object(b);
  add_list(b, "trusted", r->ca_trusted);
  add_list(b, "already_trusted", r->ca_already_trusted);
  add_list(b, "distrusted", r->ca_distrusted);
  json_builder_end_object(b);
  json_builder_set_member_name(b, "policy");
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "change");
  json_builder_add_string_value(b, policy_changes[r->policy]);
  sm_json_add_string_or_null(b, "path", r->policy_path);
  json_builder_end_object(b);
  json_builder_end_object(b);
  return json_builder_get_root(b);
}

JsonNode *
sm_bundle_status_to_json(GKeyFile *installed, const char *pinned)
{
  g_autoptr(JsonBuilder) b = json_builder_new();
  gboolean have = g_key_file_has_group(installed, "bundle");
  g_autofree char *issuer = g_key_file_get_string(installed, "bundle", "issuer", NULL);
  g_autofree char *at = g_key_file_get_string(installed, "bundle", "imported-at", NULL);
  g_auto(GStrv) openpgp = g_key_file_get_string_list(installed, "keys", "openpgp", NULL, NULL);
  g_auto(GStrv) smime = g_key_file_get_string_list(installed, "keys", "smime", NULL, NULL);

  json_builder_begin_object(b);
  json_builder_set_member_name(b, "format_version");
  json_builder_add_int_value(b, SM_JSON_FORMAT_VERSION);
  json_builder_set_member_name(b, "installed");
  json_builder_add_boolean_value(b, have);
  json_builder_set_member_name(b, "version");
  if (have)
    json_builder_add_int_value(b, g_key_file_get_int64(installed, "bundle", "version", NULL));
  else
    json_builder_add_null_value(b);
  sm_json_add_string_or_null(b, "issuer", issuer);
  sm_json_add_string_or_null(b, "imported_at", at);
  sm_json_add_string_or_null(b, "pinned", pinned);
  json_builder_set_member_name(b, "keys");
  json_builder_begin_object(b);
  add_strv(b, "openpgp", openpgp);
  add_strv(b, "smime", smime);
  json_builder_end_object(b);
  json_builder_end_object(b);
  return json_builder_get_root(b);
}
