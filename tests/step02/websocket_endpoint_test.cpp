// Step 02: "/" accepts WebSocket handshakes, other paths get 404, and every
// connection prints one line when it opens (with its peer) and one when it
// closes (with the close code).
#include "program.hpp"
#include "tcp.hpp"
#include "ws.hpp"

#include "catch_compat.hpp"

#include <algorithm>
#include <csignal>
#include <regex>

using namespace wstest;

namespace {

// Whether this is "opened: 127.0.0.1:51040", with a real IPv4 peer.
bool is_opened_line(const std::string& line) {
    static const std::regex opened(R"(^opened: 127\.0\.0\.1:\d+$)");
    return std::regex_match(line, opened);
}

}  // namespace

TEST_CASE("a WebSocket client connects to / and closes cleanly with 1000") {
    ServerProcess server("step02_server");
    WsClient client;
    REQUIRE(client.connect(server.ws_url("/")));
    CHECK(client.handshake_status() == 101);
    CHECK(is_opened_line(server.wait_for_line(Stream::out, "opened: ")));

    client.close(1000);
    auto closed = client.wait_closed(milliseconds(5000));
    REQUIRE(closed);
    CHECK(closed->remote_code == 1000);  // the server answered our Close with the same code
    CHECK(server.wait_for_line(Stream::out, "closed: ") == "closed: code 1000");
}

TEST_CASE("a handshake to another path gets 404 and opens nothing") {
    ServerProcess server("step02_server");
    WsClient refused;
    CHECK_FALSE(refused.connect(server.ws_url("/other")));
    CHECK(refused.handshake_status() == 404);

    // A good connection afterwards: once its line is out, a line for the
    // refused one would have been printed before it.
    WsClient accepted;
    REQUIRE(accepted.connect(server.ws_url("/")));
    server.wait_for_line(Stream::out, "opened: ");
    const auto out = server.lines(Stream::out);
    CHECK(std::count_if(out.begin(), out.end(), [](const std::string& line) {
              return line.rfind("opened: ", 0) == 0;
          }) == 1);
}

TEST_CASE("plain HTTP on / still answers as in step 01") {
    ServerProcess server("step02_server");
    HttpResponse response = http_get(server.port(), "/");
    CHECK(response.status == 200);
    CHECK(response.body == "Hello World!");
    CHECK(http_get(server.port(), "/missing").status == 404);
}

TEST_CASE("a client that vanishes without a Close still gets its close line, with code 1006") {
    ServerProcess server("step02_server");
    WsClient client;
    REQUIRE(client.connect(server.ws_url("/")));
    CHECK(is_opened_line(server.wait_for_line(Stream::out, "opened: ")));
    client.reset();
    // 1006: the connection ended without a Close frame.
    CHECK(server.wait_for_line(Stream::out, "closed: ") == "closed: code 1006");

    WsClient next;
    CHECK(next.connect(server.ws_url("/")));
}

TEST_CASE("SIGTERM stops the server with exit code 0 while a connection is open") {
    ServerProcess server("step02_server");
    WsClient client;
    REQUIRE(client.connect(server.ws_url("/")));
    server.wait_for_line(Stream::out, "opened: ");
    server.send_signal(SIGTERM);
    REQUIRE(server.wait_exit(milliseconds(2000)) == 0);
}
