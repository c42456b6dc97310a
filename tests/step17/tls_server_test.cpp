// Step 17: --tls-cert and --tls-key serve wss:// (TLS 1.2 and 1.3 only); a bad
// certificate or key is one line and exit 1 before listening; without them
// the server speaks ws:// as before. The client side is the standard-library
// Python probe in tests/tls (the tutorial's own TLS client is step 18).
#include "../tls/tls_support.hpp"
#include "program.hpp"
#include "ws.hpp"

#include "catch_compat.hpp"

#include <string>

using namespace wstest;

namespace {

// The probe against `port`, trusting the CA in `certs`; its exit code and lines.
Program probe(const tls::CertDir& certs, unsigned short port, std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"-B", tls::probe_script(), std::to_string(port),
                                  certs.path("ca.crt")};
    args.insert(args.end(), extra.begin(), extra.end());
    return Program(tls::python, args);
}

}  // namespace

TEST_CASE("with a certificate and key the server listens on https:// and serves wss://") {
    tls::CertDir certs;
    ServerProcess server("step17_server", certs.server_args());
    CHECK(server.lines(Stream::out).front().find("https://localhost:") != std::string::npos);
    Program client = probe(certs, server.port());
    client.wait_for_line(Stream::out, "tls TLSv1.");
    client.wait_for_line(Stream::out, "HTTP/1.1 101 Switching Protocols");
    client.wait_for_line(Stream::out, "tick");
    CHECK(client.wait_exit(milliseconds(10000)) == 0);
}

TEST_CASE("a client that offers only TLS 1.1 is refused, and the server goes on") {
    tls::CertDir certs;
    ServerProcess server("step17_server", certs.server_args());
    Program old_client = probe(certs, server.port(), {"localhost", "--tls1.1"});
    old_client.wait_for_line(Stream::out, "refused");
    CHECK(old_client.wait_exit(milliseconds(10000)) == 1);
    CHECK(old_client.has_printed(Stream::out, "PROTOCOL_VERSION"));  // the server's alert
    server.wait_for_line(Stream::out, "(TLS handshake failed)");
    Program client = probe(certs, server.port());
    client.wait_for_line(Stream::out, "tick", milliseconds(10000));
}

TEST_CASE("a missing, malformed or mismatched certificate or key: one line, exit 1, no listening") {
    tls::CertDir certs;
    certs.make({"--out", "other"});
    struct Case {
        std::string cert, key, expected;
    };
    const Case cases[] = {
        {"missing.crt", "server.key", "cannot read --tls-cert " + certs.path("missing.crt") +
                                          ": No such file or directory"},
        {"server.crt", "missing.key", "cannot read --tls-key"},
        {"server.key", "server.key", "cannot use --tls-cert " + certs.path("server.key") +
                                         ": no start line"},
        {"server.crt", "server.crt", "cannot use --tls-key " + certs.path("server.crt")},
        {"server.crt", "other.key", "cannot use --tls-key " + certs.path("other.key") +
                                        ": not the key of " + certs.path("server.crt")},
    };
    for (const Case& c : cases) {
        INFO(c.cert << " / " << c.key);
        Program server("step17_server", {"--port", "0", "--tls-cert", certs.path(c.cert),
                                         "--tls-key", certs.path(c.key)});
        CHECK(server.wait_exit(milliseconds(10000)) == 1);
        CHECK(server.lines(Stream::out).empty());
        REQUIRE(server.lines(Stream::err).size() == 1);
        CHECK_THAT(server.lines(Stream::err).front(), contains_text(c.expected));
    }
}

TEST_CASE("a certificate without its key is bad usage (exit 2)") {
    Program server("step17_server", {"--port", "0", "--tls-cert", "server.crt"});
    CHECK(server.wait_exit(milliseconds(10000)) == 2);
    CHECK(server.has_printed(Stream::err, "--tls-cert and --tls-key go together"));
}

TEST_CASE("without the TLS options the server speaks ws:// as before") {
    ServerProcess server("step17_server", {"--port", "0"});
    CHECK(server.lines(Stream::out).front().find("http://localhost:") != std::string::npos);
    WsClient client;
    REQUIRE(client.connect(server.ws_url()));
    CHECK(client.next_message(milliseconds(3000)));
}
