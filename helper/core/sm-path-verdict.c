/* sm-path-verdict: the one-line verdict on a delivery path, for people.
 *
 * Hops whose client sat on the same machine (loopback) or on a private network never crossed
 * the internet: they are left out of the TLS count and mentioned as such. Of the others, a hop
 * in clear is named first (a provider-recorded one before a claimed one, since it is the more
 * certain); otherwise the hops with TLS are counted by who vouches for them (provider or only
 * claimed) and hops that say nothing are counted as such, never as TLS. */
#include "sm-path-private.h"

#include <glib/gi18n.h>

typedef struct
{
  guint counted; /* hops over a network */
  guint tls_provider;
  guint tls_claimed;
  guint unknown;
  guint clear;
  guint local; /* loopback or private: not counted */
  const SmPathHop *first_clear;
} Tally;

static gboolean
is_local(const SmPathHop *hop)
{
  return hop->scope == SM_PATH_SCOPE_LOOPBACK || hop->scope == SM_PATH_SCOPE_PRIVATE;
}

static void
tally_hops(const SmPath *path, gboolean count_local, Tally *t)
{
  for (guint i = 0; i < path->hops->len; i++)
    {
      const SmPathHop *hop = path->hops->pdata[i];
      if (!count_local && is_local(hop))
        {
          t->local++;
          continue;
        }
      t->counted++;
      switch (hop->received->tls)
        {
          case SM_RECEIVED_TLS_YES:
            if (hop->provider)
              t->tls_provider++;
            else
              t->tls_claimed++;
            break;
          case SM_RECEIVED_TLS_NO:
            t->clear++;
            if (t->first_clear == NULL || (hop->provider && !t->first_clear->provider))
              t->first_clear = hop;
            break;
          default:
            t->unknown++;
            break;
        }
    }
}

static void
append_clear(GString *s, const Tally *t)
{
  const SmPathHop *hop = t->first_clear;
  g_string_append_printf(s, _("hop %u (%s → %s) was in clear (%s)"), hop->index,
                         sm_path_hop_from_name(hop), sm_path_hop_by_display(hop),
                         hop->provider ? _("recorded by your provider") : _("claimed"));
  if (t->clear > 1)
    g_string_append_printf(
        s, ngettext("; %u more hop was in clear", "; %u more hops were in clear", t->clear - 1),
        t->clear - 1);
}

static void
append_tls(GString *s, const Tally *t)
{
  guint tls = t->tls_provider + t->tls_claimed;
  if (tls == t->counted && t->counted == 1)
    g_string_append(s, _("TLS on the only hop"));
  else if (tls == t->counted)
    g_string_append_printf(s, ngettext("TLS on all %u hop", "TLS on all %u hops", t->counted),
                           t->counted);
  else
    g_string_append_printf(s, ngettext("TLS on %u of %u hop", "TLS on %u of %u hops", t->counted),
                           tls, t->counted);
  g_string_append_printf(s, _(": %u vouched for by your provider, %u only claimed"),
                         t->tls_provider, t->tls_claimed);
  if (t->unknown > 0)
    g_string_append_printf(
        s,
        ngettext("; %u hop says nothing about TLS", "; %u hops say nothing about TLS", t->unknown),
        t->unknown);
}

char *
sm_path_build_summary(const SmPath *path)
{
  GString *s = g_string_new(NULL);
  Tally t = { 0 };
  if (path->hops->len == 0)
    {
      g_string_append(s, _("No Received headers: the delivery path is unknown"));
      return g_string_free(s, FALSE);
    }
  tally_hops(path, FALSE, &t);
  if (t.counted == 0)
    {
      /* nothing crossed the internet: say what the local hops say, and that they are local */
      t = (Tally){ 0 };
      tally_hops(path, TRUE, &t);
      g_string_append(s, _("Only hops on loopback or a private network: "));
    }
  if (t.clear > 0)
    append_clear(s, &t);
  else if (t.unknown == t.counted && t.counted == 1)
    g_string_append(s, _("The only hop says nothing about TLS"));
  else if (t.unknown == t.counted)
    g_string_append_printf(s,
                           ngettext("None of the %u hop says anything about TLS",
                                    "None of the %u hops says anything about TLS", t.counted),
                           t.counted);
  else
    append_tls(s, &t);
  if (t.local > 0 && t.counted > 0)
    g_string_append_printf(s,
                           ngettext(" (%u hop on loopback or a private network not counted)",
                                    " (%u hops on loopback or a private network not counted)",
                                    t.local),
                           t.local);
  if (path->received_skipped > 0)
    g_string_append_printf(s,
                           ngettext("; %u more Received header not analysed (limit %s)",
                                    "; %u more Received headers not analysed (limit %s)",
                                    path->received_skipped),
                           path->received_skipped, sm_limits_name(SM_LIMIT_RECEIVED_HEADERS));
  return g_string_free(s, FALSE);
}
