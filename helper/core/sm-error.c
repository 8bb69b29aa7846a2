/* sm-error: the SM_ERROR domain and conversions from foreign error codes. */
#include "sm-error.h"

#include <gpgme.h>

/* clang-format off */
G_DEFINE_QUARK(sm-error-quark, sm_error)
/* clang-format on */

gboolean
sm_error_from_gpgme(GError **error, unsigned int gpg_err, const char *context)
{
  if (gpg_err == 0)
    return TRUE;
  g_set_error(error, SM_ERROR, SM_ERROR_CRYPTO, "%s: %s", context, gpgme_strerror(gpg_err));
  return FALSE;
}
