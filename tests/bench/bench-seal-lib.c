/* bench-seal-lib: sm_seal_plan in a loop inside one process, as sealmaild's SMTP proxy uses it
 * (GPGME's engine set-up is paid once, not per message as with one CLI run per message).
 * Usage: bench-seal-lib GNUPGHOME openpgp|smime SENDER RECIPIENT FINGERPRINT COUNT FILE
 * Each round parses FILE, seals it for one recipient (signed, encrypted to self, protected
 * headers, Autocrypt) and writes the result to a null stream. Prints "<rounds> <seconds>". */
#include "sm-error.h"
#include "sm-message.h"
#include "sm-seal.h"

#include <stdio.h>
#include <stdlib.h>

static gboolean
seal_once(const char *file, SmPlan *plan, const SmSealOptions *options, GError **error)
{
  g_autoptr(GMimeMessage) message = sm_message_parse_file_streamed(file, NULL, error);
  if (message == NULL)
    return FALSE;
  g_autoptr(GPtrArray) sealed = sm_seal_plan(plan, message, options, error);
  if (sealed == NULL)
    return FALSE;
  g_autoptr(GMimeStream) sink = g_mime_stream_null_new();
  for (guint i = 0; i < sealed->len; i++)
    {
      SmSealedMessage *copy = g_ptr_array_index(sealed, i);
      if (g_mime_object_write_to_stream(GMIME_OBJECT(copy->message), NULL, sink) < 0)
        return FALSE;
    }
  return TRUE;
}

int
main(int argc, char **argv)
{
  if (argc != 8)
    {
      fprintf(stderr, "usage: %s GNUPGHOME openpgp|smime SENDER RECIPIENT FPR COUNT FILE\n",
              argv[0]);
      return 2;
    }
  sm_message_init();
  gboolean smime = g_strcmp0(argv[2], "smime") == 0;
  SmKey key = { .protocol = smime ? SM_PROTO_SMIME : SM_PROTO_OPENPGP, .fingerprint = argv[5] };
  SmRecipientPlan rcpt
      = { .address = argv[4],
          .decision = smime ? SM_DECISION_ENCRYPT_SMIME : SM_DECISION_ENCRYPT_OPENPGP,
          .key = &key };
  g_autoptr(GPtrArray) members = g_ptr_array_new();
  g_ptr_array_add(members, &rcpt);
  SmPlanGroup group = { .decision = rcpt.decision, .recipients = members };
  g_autoptr(GPtrArray) groups = g_ptr_array_new();
  g_ptr_array_add(groups, &group);
  SmPlan plan = { .recipients = members, .groups = groups, .sender = argv[3] };
  SmSealOptions options = { .gnupg_home = argv[1], .protect_headers = TRUE, .autocrypt = TRUE };
  int count = atoi(argv[6]);

  gint64 start = g_get_monotonic_time();
  for (int i = 0; i < count; i++)
    {
      g_autoptr(GError) error = NULL;
      if (!seal_once(argv[7], &plan, &options, &error))
        {
          fprintf(stderr, "bench-seal-lib: %s\n", error->message);
          return 1;
        }
    }
  printf("%d %.6f\n", count, (g_get_monotonic_time() - start) / 1e6);
  return 0;
}
