/* sm-path: the delivery path of a received message: the Received fields (sm-received) and
 * Authentication-Results / ARC-Authentication-Results (sm-authres) of the top-level header block,
 * the trust boundary of the user's provider, a TLS source label per hop and a one-line verdict.
 *
 * Trust boundary. Received fields are prepended, so the topmost ones were written by whoever
 * delivered the message last (the user's provider) and everything below the provider's entry hop
 * could have been written by anyone, including the sender. A hop is `provider` when it lies in
 * the topmost contiguous run that satisfies all of:
 *   - its `by` host is a provider host: with configuration (options->trusted), a host equal to
 *     or under (label boundary) a trusted name; without, a host under the receiving domain, which
 *     is the registrable-ish domain (last two labels, three under a two-letter ccTLD with a
 *     co/com/net/org/ac/gov/edu/ne/or second level) of the first public `by` host met walking
 *     down from hop 1. Internal names (one label, localhost, *.internal/.local/.localdomain/
 *     .lan/.home.arpa, loopback or private IP literals) also count inside the run.
 *     Hop 1 may lack both `from` and `by` (qmail's "invoked from network" stamp).
 *   - the hop above it recorded a client inside the provider: a loopback or private IP, a
 *     reverse-DNS name under a provider host (the HELO name is not believed, except for
 *     Microsoft Exchange, which records no reverse DNS), or, with no address at all, a
 *     provider name. The hop whose client is outside is the entry hop, the last provider hop.
 * Every other hop is `claimed`. A hop whose line says nothing about TLS has source `unknown`.
 * An Authentication-Results field is trusted only when its authserv-id is a provider host (or
 * a configured authserv-id) AND no Received field written outside the boundary lies above it
 * (directly below the entry hop is allowed: Gmail writes its own there, and RFC 8601 section 5
 * makes the provider remove incoming fields that carry its authserv-id); the others are
 * reported as ignored. `observed` is never derived from headers.
 *
 * Limits: SM_LIMIT_RECEIVED_HEADERS (later fields counted, not parsed),
 * SM_LIMIT_AUTHRES_HEADERS, and those of sm-received / sm-authres. */
#include "sm-path-private.h"
#include "sm-json.h"

#include <gio/gio.h>
#include <glib/gi18n.h>
#include <string.h>

/* Characters of a raw Received field kept for display. */
#define RAW_DISPLAY_CHARS 1000

typedef struct
{
  const char *const *trusted;
  const char *domain; /* derived receiving domain, or NULL */
} Boundary;

/* ---- host names ----------------------------------------------------------------------------- */

static gboolean
host_under(const char *host, const char *domain)
{
  if (host == NULL || domain == NULL || *domain == '\0')
    return FALSE;
  gsize h = strlen(host), d = strlen(domain);
  if (h > 0 && host[h - 1] == '.') /* "mail-wr1-f41.google.com." */
    h--;
  if (d > 0 && domain[d - 1] == '.')
    d--;
  if (d == 0 || h < d || g_ascii_strncasecmp(host + h - d, domain, d) != 0)
    return FALSE;
  return h == d || host[h - d - 1] == '.';
}

static SmPathScope
ip_scope(const char *ip)
{
  if (ip == NULL)
    return SM_PATH_SCOPE_UNKNOWN;
  g_autoptr(GInetAddress) a = g_inet_address_new_from_string(ip);
  if (a == NULL)
    return SM_PATH_SCOPE_UNKNOWN;
  if (g_inet_address_get_is_loopback(a))
    return SM_PATH_SCOPE_LOOPBACK;
  if (g_inet_address_get_is_site_local(a) || g_inet_address_get_is_link_local(a))
    return SM_PATH_SCOPE_PRIVATE;
  const guint8 *b = g_inet_address_to_bytes(a);
  if (g_inet_address_get_family(a) == G_SOCKET_FAMILY_IPV6 && (b[0] & 0xfe) == 0xfc)
    return SM_PATH_SCOPE_PRIVATE; /* RFC 4193 unique local */
  return SM_PATH_SCOPE_PUBLIC;
}

static gboolean
is_internal_name(const char *host)
{
  static const char *const suffixes[]
      = { "internal", "local", "localdomain", "lan", "home.arpa", "localhost" };
  if (host == NULL || *host == '\0')
    return FALSE;
  if (g_hostname_is_ip_address(host))
    {
      SmPathScope s = ip_scope(host);
      return s == SM_PATH_SCOPE_LOOPBACK || s == SM_PATH_SCOPE_PRIVATE;
    }
  if (host[0] == '[')
    return FALSE;
  if (strchr(host, '.') == NULL)
    return TRUE;
  for (gsize i = 0; i < G_N_ELEMENTS(suffixes); i++)
    if (host_under(host, suffixes[i]))
      return TRUE;
  return FALSE;
}

/* The registrable-ish domain of a public host name: see the file header. */
static char *
registrable_domain(const char *host)
{
  static const char *const second_levels[]
      = { "co", "com", "net", "org", "ac", "gov", "edu", "ne", "or" };
  g_autofree char *lower = g_ascii_strdown(host, -1);
  gsize n = strlen(lower);
  if (n > 0 && lower[n - 1] == '.')
    lower[n - 1] = '\0';
  g_auto(GStrv) labels = g_strsplit(lower, ".", -1);
  guint count = g_strv_length(labels);
  if (count < 2)
    return NULL;
  guint keep = 2;
  if (count >= 3 && strlen(labels[count - 1]) == 2
      && g_strv_contains(second_levels, labels[count - 2]))
    keep = 3;
  return g_strjoinv(".", labels + (count - keep));
}

static gboolean
is_provider_host(const Boundary *b, const char *host)
{
  if (host == NULL)
    return FALSE;
  if (is_internal_name(host))
    return TRUE;
  for (guint i = 0; b->trusted != NULL && b->trusted[i] != NULL; i++)
    if (host_under(host, b->trusted[i]))
      return TRUE;
  return host_under(host, b->domain);
}

/* Whether the client recorded by @r sat inside the provider (see the file header). */
static gboolean
client_inside(const Boundary *b, const SmReceived *r)
{
  if (r->ip != NULL)
    {
      SmPathScope s = ip_scope(r->ip);
      if (s == SM_PATH_SCOPE_LOOPBACK || s == SM_PATH_SCOPE_PRIVATE)
        return TRUE;
      if (r->rdns != NULL && !is_internal_name(r->rdns) && is_provider_host(b, r->rdns))
        return TRUE;
      return r->rdns == NULL && g_strcmp0(r->mta, "microsoft-exchange") == 0 && r->helo != NULL
             && !is_internal_name(r->helo) && is_provider_host(b, r->helo);
    }
  const char *name = r->rdns != NULL ? r->rdns : r->from;
  return name == NULL || is_provider_host(b, name);
}

/* ---- the boundary --------------------------------------------------------------------------- */

static gboolean
is_public_name(const char *host)
{
  return host != NULL && !is_internal_name(host) && !g_hostname_is_ip_address(host)
         && strchr(host, '.') != NULL && host[0] != '[';
}

static gboolean
is_pseudo_stamp(guint i, const SmReceived *r)
{
  return i == 0 && r->by == NULL && r->from == NULL && !r->too_long;
}

/* The receiving domain: that of the first public `by` host, walking down from hop 1 through
 * hops whose `by` is an internal name. */
static void
derive_domain(SmPath *path)
{
  for (guint i = 0; i < path->hops->len; i++)
    {
      const SmReceived *r = ((SmPathHop *)path->hops->pdata[i])->received;
      if (is_pseudo_stamp(i, r))
        continue;
      if (is_public_name(r->by))
        path->receiving_domain = registrable_domain(r->by);
      if (r->by == NULL || !is_internal_name(r->by))
        return;
    }
}

static void
mark_provider_hops(SmPath *path, Boundary *b)
{
  for (guint i = 0; i < path->hops->len; i++)
    {
      SmPathHop *hop = path->hops->pdata[i];
      const SmReceived *r = hop->received;
      if (is_pseudo_stamp(i, r))
        {
          hop->provider = TRUE; /* qmail's "invoked from network" and the like, at the very top */
          continue;
        }
      if (r->by == NULL || !is_provider_host(b, r->by))
        return;
      hop->provider = TRUE;
      if (!client_inside(b, r))
        return; /* the entry hop */
    }
}

/* Without configuration and without a public `by` host in the run, the domain of the first
 * Delivered-To / X-Original-To, or of hop 1's FOR address, names the receiving domain. */
static void
fallback_domain(SmPath *path, const char *recipient)
{
  if (path->receiving_domain != NULL)
    return;
  if (recipient == NULL && path->hops->len > 0)
    recipient = ((SmPathHop *)path->hops->pdata[0])->received->for_addr;
  const char *at = recipient != NULL ? strrchr(recipient, '@') : NULL;
  if (at != NULL && is_public_name(at + 1))
    path->receiving_domain = registrable_domain(at + 1);
}

static gboolean
authserv_matches(const SmPath *path, const Boundary *b, const char *id)
{
  if (id == NULL)
    return FALSE;
  for (guint i = 0; b->trusted != NULL && b->trusted[i] != NULL; i++)
    if (host_under(id, b->trusted[i]))
      return TRUE;
  if (host_under(id, path->receiving_domain))
    return TRUE;
  for (guint i = 0; i < path->hops->len; i++)
    {
      const SmPathHop *hop = path->hops->pdata[i];
      if (hop->provider && hop->received->by != NULL
          && g_ascii_strcasecmp(hop->received->by, id) == 0 && !is_internal_name(id))
        return TRUE;
    }
  return FALSE;
}

/* @positions: header position of each Authentication-Results entry; @outside_pos: header
 * position of the first Received field written outside the boundary (G_MAXUINT when none). */
static void
judge_authres(SmPath *path, const Boundary *b, GArray *positions, guint outside_pos)
{
  gboolean any_provider = FALSE;
  for (guint i = 0; i < path->hops->len; i++)
    any_provider |= ((SmPathHop *)path->hops->pdata[i])->provider;
  for (guint i = 0; i < path->authres->len; i++)
    {
      SmPathAuthres *a = path->authres->pdata[i];
      guint pos = g_array_index(positions, guint, i);
      if (a->authres->authserv_id == NULL)
        a->ignored_reason = N_("no authserv-id");
      else if (!authserv_matches(path, b, a->authres->authserv_id))
        a->ignored_reason = N_("authserv-id is not your provider");
      else if (!any_provider)
        a->ignored_reason = N_("no hop was written by your provider");
      else if (pos > outside_pos)
        a->ignored_reason = N_("below a hop written outside your provider");
      else
        a->trusted = TRUE;
    }
}

/* ---- collecting ----------------------------------------------------------------------------- */

static void
hop_free(gpointer p)
{
  SmPathHop *hop = p;
  sm_received_free(hop->received);
  g_free(hop->raw);
  g_free(hop);
}

static void
authres_entry_free(gpointer p)
{
  SmPathAuthres *a = p;
  sm_authres_free(a->authres);
  g_free(a);
}

/* The field on one line: folding and runs of white space become one space. */
static char *
unfold(const char *raw, gsize len)
{
  g_autoptr(GString) s = g_string_sized_new(len);
  for (gsize i = 0; i < len; i++)
    {
      gboolean space = raw[i] == ' ' || raw[i] == '\t' || raw[i] == '\r' || raw[i] == '\n';
      if (!space)
        g_string_append_c(s, raw[i]);
      else if (s->len > 0 && s->str[s->len - 1] != ' ')
        g_string_append_c(s, ' ');
    }
  if (s->len > 0 && s->str[s->len - 1] == ' ')
    g_string_truncate(s, s->len - 1);
  return sm_json_sanitize(s->str, s->len, RAW_DISPLAY_CHARS);
}

/* Local submissions ("by host (Postfix, from userid 0)", Exim's "with local") and stamps with
 * neither a client address nor a protocol never crossed a network: they count as loopback. */
static SmPathScope
hop_scope(const SmReceived *r)
{
  gboolean no_client = r->ip == NULL && r->with == NULL;
  if (g_strcmp0(r->by, "localhost") == 0 || ip_scope(r->by) == SM_PATH_SCOPE_LOOPBACK)
    return SM_PATH_SCOPE_LOOPBACK;
  if (r->protocol != NULL && g_str_has_prefix(r->protocol, "LOCAL"))
    return SM_PATH_SCOPE_LOOPBACK;
  if (no_client && r->tls == SM_RECEIVED_TLS_UNKNOWN)
    return SM_PATH_SCOPE_LOOPBACK;
  return ip_scope(r->ip);
}

static SmPathHop *
hop_new(guint index, const char *raw, const SmLimits *limits)
{
  SmPathHop *hop = g_new0(SmPathHop, 1);
  gsize len = strlen(raw);
  hop->index = index;
  hop->received = sm_received_parse(raw, len, limits);
  hop->raw = unfold(raw, MIN(len, RAW_DISPLAY_CHARS * 4));
  hop->scope = hop_scope(hop->received);
  return hop;
}

static void
compute_delays(SmPath *path)
{
  for (guint i = 0; i + 1 < path->hops->len; i++)
    {
      SmPathHop *hop = path->hops->pdata[i];
      const SmPathHop *below = path->hops->pdata[i + 1];
      if (hop->received->has_date && below->received->has_date)
        {
          hop->has_delay = TRUE;
          hop->delay_seconds = hop->received->date - below->received->date;
        }
    }
}

static gboolean
name_is(GMimeHeader *h, const char *name)
{
  return g_ascii_strcasecmp(g_mime_header_get_name(h), name) == 0;
}

typedef struct
{
  GArray *received_pos; /* header position of each hop */
  GArray *authres_pos;
  char *recipient; /* first Delivered-To / X-Original-To */
} Collected;

static void
collect(SmPath *path, GMimeHeaderList *headers, const SmLimits *limits, Collected *c)
{
  guint max_received = sm_limits_get(limits, SM_LIMIT_RECEIVED_HEADERS);
  guint max_authres = sm_limits_get(limits, SM_LIMIT_AUTHRES_HEADERS);
  int count = g_mime_header_list_get_count(headers);
  for (int i = 0; i < count; i++)
    {
      GMimeHeader *h = g_mime_header_list_get_header_at(headers, i);
      const char *raw = g_mime_header_get_raw_value(h);
      guint pos = (guint)i;
      if (raw == NULL)
        continue;
      if (name_is(h, "Received"))
        {
          if (path->received_total++ >= max_received)
            {
              path->received_skipped++;
              continue;
            }
          g_ptr_array_add(path->hops, hop_new(path->hops->len + 1, raw, limits));
          g_array_append_val(c->received_pos, pos);
        }
      else if (name_is(h, "Authentication-Results") || name_is(h, "ARC-Authentication-Results"))
        {
          if (path->authres->len >= max_authres)
            {
              path->authres_skipped++;
              continue;
            }
          SmPathAuthres *a = g_new0(SmPathAuthres, 1);
          gboolean arc = name_is(h, "ARC-Authentication-Results");
          a->authres = sm_authres_parse(raw, strlen(raw), arc, limits);
          g_ptr_array_add(path->authres, a);
          g_array_append_val(c->authres_pos, pos);
        }
      else if (c->recipient == NULL && (name_is(h, "Delivered-To") || name_is(h, "X-Original-To")))
        {
          c->recipient = g_strstrip(sm_json_sanitize(raw, -1, 320));
        }
    }
}

SmPath *
sm_path_new_from_headers(GMimeHeaderList *headers, const SmPathOptions *options, GError **error)
{
  g_return_val_if_fail(headers != NULL, NULL);
  const SmLimits *limits = options != NULL ? options->limits : NULL;
  g_autoptr(SmPath) path = g_new0(SmPath, 1);
  path->hops = g_ptr_array_new_with_free_func(hop_free);
  path->authres = g_ptr_array_new_with_free_func(authres_entry_free);
  Boundary b = { .trusted = options != NULL ? options->trusted : NULL };
  path->configured = b.trusted != NULL && b.trusted[0] != NULL;

  Collected c
      = { g_array_new(FALSE, FALSE, sizeof(guint)), g_array_new(FALSE, FALSE, sizeof(guint)) };
  collect(path, headers, limits, &c);
  if (!path->configured)
    {
      derive_domain(path);
      fallback_domain(path, c.recipient);
      b.domain = path->receiving_domain;
    }
  mark_provider_hops(path, &b);
  guint outside_pos = G_MAXUINT;
  for (guint i = 0; i < path->hops->len && outside_pos == G_MAXUINT; i++)
    if (!((SmPathHop *)path->hops->pdata[i])->provider)
      outside_pos = g_array_index(c.received_pos, guint, i);
  judge_authres(path, &b, c.authres_pos, outside_pos);
  compute_delays(path);
  g_array_unref(c.received_pos);
  g_array_unref(c.authres_pos);
  g_free(c.recipient);
  path->summary = sm_path_build_summary(path);
  (void)error; /* every limit is handled by counting; nothing fails today */
  return g_steal_pointer(&path);
}

void
sm_path_free(SmPath *path)
{
  if (path == NULL)
    return;
  g_clear_pointer(&path->hops, g_ptr_array_unref);
  g_clear_pointer(&path->authres, g_ptr_array_unref);
  g_free(path->receiving_domain);
  g_free(path->summary);
  g_free(path);
}

const char *
sm_path_summary(const SmPath *path)
{
  g_return_val_if_fail(path != NULL, NULL);
  return path->summary;
}

const char *
sm_path_hop_source(const SmPathHop *hop)
{
  if (hop->received->tls == SM_RECEIVED_TLS_UNKNOWN)
    return "unknown";
  return hop->provider ? "provider" : "claimed";
}

const char *
sm_path_scope_to_string(SmPathScope scope)
{
  static const char *const names[] = { "unknown", "loopback", "private", "public" };
  return scope < G_N_ELEMENTS(names) ? names[scope] : "unknown";
}

static const char *
client_name(const SmReceived *r)
{
  if (r->rdns != NULL && g_ascii_strcasecmp(r->rdns, "unknown") != 0)
    return r->rdns;
  return r->helo != NULL ? r->helo : r->from;
}

const char *
sm_path_hop_from_name(const SmPathHop *hop)
{
  const SmReceived *r = hop->received;
  const char *name = client_name(r);
  return name != NULL ? name : r->ip != NULL ? r->ip : "?";
}

char *
sm_path_hop_from_display(const SmPathHop *hop)
{
  const SmReceived *r = hop->received;
  const char *name = client_name(r);
  if (name != NULL && r->ip != NULL && g_strcmp0(name, r->ip) != 0)
    return g_strdup_printf("%s [%s]", name, r->ip);
  return g_strdup(sm_path_hop_from_name(hop));
}

const char *
sm_path_hop_by_display(const SmPathHop *hop)
{
  return hop->received->by != NULL ? hop->received->by : "?";
}
