/* sm-message-private: checks sm-message runs on raw bytes before GMime sees them. */
#pragma once

#include <glib.h>
#include "sm-limits.h"

G_BEGIN_DECLS

/* Follows multipart boundaries (RFC 2046 5.1) and message/rfc822 bodies the way GMime's parser
 * will, and fails with SM_ERROR_LIMIT as soon as the nesting passes SM_LIMIT_MIME_DEPTH. GMime
 * compares every "--" line with every open boundary, so deep nesting costs it quadratic time:
 * this scan keeps at most SM_LIMIT_MIME_DEPTH boundaries open and stays linear. */
gboolean sm_message_check_nesting(const guint8 *data, gsize len, const SmLimits *limits,
                                  GError **error);

G_END_DECLS
