/* sm-cli-inspect: placeholder until the inspect work lands. */
#include "sm-cli.h"
#include "sm-error.h"

int
sm_cli_inspect(SmCli *cli, int argc, char **argv)
{
  g_autoptr(GError) error = g_error_new_literal(SM_ERROR, SM_ERROR_FAILED, "inspect: not built yet");
  return sm_cli_fail(error);
}
