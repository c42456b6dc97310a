// Step 18: the client speaks wss://, verifying the chain (--ca-file here, the
// dev CA made at run time) and the host name or IP. The cases are shared with
// tests/tls, which runs them against final/.
#include "../tls/tls_support.hpp"
#include "program.hpp"
#include "ws.hpp"

#include "catch_compat.hpp"

#include <string>

using namespace wstest;

#define TLS_PROGRAMS "step18"
#include "../tls/client_cases.inc"
