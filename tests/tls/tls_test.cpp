// TLS against final/ (label tls): the cases of step 18 (tests/tls/client_cases.inc)
// for final_server and final_client, a third-party client (Python's websockets)
// trusting the dev CA, and a client that offers only TLS 1.1.
#include "peers.hpp"
#include "tls_support.hpp"
#include "program.hpp"
#include "ws.hpp"

#include "catch_compat.hpp"

#include <cstdlib>
#include <iostream>
#include <string>

using namespace wstest;

#define TLS_PROGRAMS "final"
#include "client_cases.inc"

namespace {

std::string here(const std::string& file) { return (tls::source_root() / "tests/tls" / file).string(); }

// Called first thing in a test, while it has no children to leave behind.
void require_python_websockets() {
    require_peer(runs_ok(tls::python, {"-c", "import websockets"}), "python3-websockets");
}

}  // namespace

TEST_CASE("Python's websockets, trusting the dev CA, gets ticks over wss:// and closes with 1000") {
    require_python_websockets();
    tls::CertDir certs;
    ServerProcess server("final_server", certs.server_args());
    Program client(tls::python, {"-B", here("py_wss_client.py"), wss_url(server),
                                 certs.path("ca.crt"), "2"});
    CHECK(client.wait_exit(milliseconds(15000)) == 0);
    CHECK(client.has_printed(Stream::out, "open TLSv1."));
    CHECK(client.has_printed(Stream::out, "message C++ Rocks -> "));
    CHECK(client.has_printed(Stream::out, "closed 1000"));
    server.wait_for_line(Stream::out, "(code 1000; clients: 0)");
}

TEST_CASE("a client that offers only TLS 1.1 is refused and final_server goes on") {
    tls::CertDir certs;
    ServerProcess server("final_server", certs.server_args());
    Program witness("final_client", {wss_url(server), "--ca-file", certs.path("ca.crt")});
    witness.wait_for_line(Stream::out, "C++ Rocks -> ", milliseconds(10000));
    Program old(tls::python, {"-B", tls::probe_script(), std::to_string(server.port()),
                              certs.path("ca.crt"), "localhost", "--tls1.1"});
    CHECK(old.wait_exit(milliseconds(10000)) == 1);
    CHECK(old.has_printed(Stream::out, "PROTOCOL_VERSION"));
    server.wait_for_line(Stream::out, "(TLS handshake failed)");
    witness.wait_for_line(Stream::out, "C++ Rocks -> ", milliseconds(5000));
}
