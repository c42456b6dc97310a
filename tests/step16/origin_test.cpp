// Step 16: --allowed-origin (a browser page from an origin not listed gets 403;
// a client that sends no Origin is let in) and the handshake checks RFC 6455
// asks of a server: version 13 only, a well-formed key, no version a 400.
#include "program.hpp"
#include "tcp.hpp"
#include "ws.hpp"

#include "catch_compat.hpp"

#include <string>
#include <vector>

using namespace wstest;

namespace {

// A valid handshake for "/" plus `extra` header lines ("Name: value\r\n").
std::string handshake(unsigned short port, const std::string& extra) {
    std::string request = websocket_handshake_request("/", port);
    return request.insert(request.size() - 2, extra);
}

// The same without its version header (and with `extra` lines).
std::string handshake_without_version(unsigned short port, const std::string& extra = "") {
    std::string request = handshake(port, extra);
    return request.erase(request.find("Sec-WebSocket-Version: 13\r\n"), 27);
}

std::vector<std::string> args(std::vector<std::string> origins) {
    std::vector<std::string> all{"--port", "0"};
    for (const auto& origin : origins) all.insert(all.end(), {"--allowed-origin", origin});
    return all;
}

}  // namespace

TEST_CASE("with --allowed-origin, a listed origin is let in and any other gets 403") {
    ServerProcess server("step16_server",
                         args({"https://example.com", "http://localhost:8080"}));
    server.wait_for_line(Stream::out, "allowed origins: https://example.com http://localhost:8080");
    const unsigned short port = server.port();
    CHECK(http_request(port, handshake(port, "Origin: https://example.com\r\n")).status == 101);
    CHECK(http_request(port, handshake(port, "Origin: http://localhost:8080\r\n")).status == 101);
    // Origins compare as browsers write them: scheme, host and port, case aside.
    CHECK(http_request(port, handshake(port, "Origin: HTTPS://Example.com\r\n")).status == 101);
    for (const char* other : {"https://evil.example", "http://example.com", "https://example.com:444",
                              "null"}) {
        INFO("Origin: " << other);
        CHECK(http_request(port, handshake(port, "Origin: " + std::string(other) + "\r\n")).status ==
              403);
    }
    // Logged after the answer is on its way: waited for, not just looked up.
    server.wait_for_line(Stream::out, "(403: origin https://evil.example not allowed)");
}

TEST_CASE("a client that sends no Origin (not a browser) is let in whatever the list") {
    ServerProcess server("step16_server", args({"https://example.com"}));
    WsClient client;  // like final_client, websocketpp's client sends no Origin
    REQUIRE(client.connect(server.ws_url()));
    CHECK(client.next_message(milliseconds(3000)));
}

TEST_CASE("without --allowed-origin every origin is let in, and the log says so") {
    ServerProcess server("step16_server", args({}));
    server.wait_for_line(Stream::out, "allowed origins: any (no --allowed-origin given)");
    const unsigned short port = server.port();
    CHECK(http_request(port, handshake(port, "Origin: https://anywhere.example\r\n")).status == 101);
}

TEST_CASE("the --allowed-origin value must be an origin, not a URL with a path or another scheme") {
    for (const char* bad : {"example.com", "https://example.com/", "https://example.com/app",
                            "ftp://example.com", "https://"}) {
        Program server("step16_server", {"--allowed-origin", bad});
        INFO(bad);
        REQUIRE(server.wait_exit(milliseconds(5000)) == 2);
    }
}

TEST_CASE("a handshake with no Sec-WebSocket-Version gets 400 naming 13, not websocketpp's 500") {
    ServerProcess server("step16_server", args({}));
    const unsigned short port = server.port();
    HttpResponse response = http_request(port, handshake_without_version(port));
    CHECK(response.status == 400);
    CHECK(response.headers["sec-websocket-version"] == "13");
    server.wait_for_line(Stream::out, "(400: not WebSocket version 13)");
    // An empty one is the same; and the server goes on serving.
    response = http_request(port, handshake_without_version(port, "Sec-WebSocket-Version: \r\n"));
    CHECK(response.status == 400);
    WsClient client;
    CHECK(client.connect(server.ws_url()));
}

TEST_CASE("versions other than 13 and malformed keys get 400") {
    ServerProcess server("step16_server", args({}));
    const unsigned short port = server.port();
    for (const char* version : {"8", "7", "0", "12"}) {  // 0, 7, 8: drafts websocketpp speaks
        std::string request = websocket_handshake_request("/", port);
        request.replace(request.find("Version: 13"), 11, "Version: " + std::string(version));
        HttpResponse response = http_request(port, request);
        CHECK(response.status == 400);
        CHECK(response.headers["sec-websocket-version"] == "13");
    }
    std::string bad_key = websocket_handshake_request("/", port);
    bad_key.replace(bad_key.find("dGhlIHNhbXBsZSBub25jZQ=="), 24, "short==");
    CHECK(http_request(port, bad_key).status == 400);
}
