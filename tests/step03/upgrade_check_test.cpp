// Step 03: "/" speaks only WebSocket. A plain HTTP request gets 400 with a
// short explanation; a handshake still gets 101.
#include "program.hpp"
#include "tcp.hpp"
#include "ws.hpp"

#include "catch_compat.hpp"

using namespace wstest;

namespace {

const std::string explanation = "This endpoint speaks WebSocket: connect with a WebSocket client.\n";

void expect_handshake_accepted(const ServerProcess& server) {
    WsClient client;
    REQUIRE(client.connect(server.ws_url("/")));
    CHECK(client.handshake_status() == 101);
    client.close(1000);
    auto closed = client.wait_closed(milliseconds(5000));
    REQUIRE(closed);
    CHECK(closed->remote_code == 1000);
}

}  // namespace

TEST_CASE("a plain GET / gets 400 Bad Request and says why") {
    ServerProcess server("step03_server");
    HttpResponse response = http_get(server.port(), "/");
    CHECK(response.status_line == "HTTP/1.1 400 Bad Request");
    CHECK(response.body == explanation);
}

TEST_CASE("a WebSocket handshake to / still gets 101") {
    ServerProcess server("step03_server");
    expect_handshake_accepted(server);
    server.wait_for_line(Stream::out, "closed: ");
}

TEST_CASE("the server keeps serving after a plain request and a handshake") {
    ServerProcess server("step03_server");
    for (int round = 0; round < 2; ++round) {
        CHECK(http_get(server.port(), "/").status == 400);
        expect_handshake_accepted(server);
    }
    CHECK(http_get(server.port(), "/").body == explanation);
}

TEST_CASE("other paths still get 404, with or without a handshake") {
    ServerProcess server("step03_server");
    CHECK(http_get(server.port(), "/other").status == 404);
    WsClient client;
    CHECK_FALSE(client.connect(server.ws_url("/other")));
    CHECK(client.handshake_status() == 404);
}
