/* sm-net-private: the connection structure shared by sm-net-conn and sm-net-tls. */
#pragma once

#include "sm-net-conn.h"
#include "sm-net-tls.h"

struct _SmNetConn
{
  int fd;
  SSL *ssl;             /* NULL until TLS is started */
  guint timeout;        /* seconds, for every read and write */
  int verify_result;    /* X509_V_OK or the last verification error (client side) */
  SmNetTlsFacts *facts; /* filled once the handshake is done */
};
