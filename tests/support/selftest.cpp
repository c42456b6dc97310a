// The test support library tested against itself, so a failing step test
// points at the step, not at the harness.
#include "program.hpp"
#include "tcp.hpp"
#include "ws.hpp"

#include "catch_compat.hpp"

#include <csignal>

using namespace wstest;

TEST_CASE("WsClient and WsTestServer exchange text both ways and close cleanly") {
    WsTestServer server;
    WsClient client;
    REQUIRE(client.connect(server.url()));
    REQUIRE(server.wait_open());
    server.send_text(std::string(100000, 'x'));
    auto message = client.next_message(milliseconds(5000));
    REQUIRE(message);
    CHECK(message->payload.size() == 100000);
    CHECK(message->is_text);
    client.send_text("olá");
    auto echoed = server.next_message(milliseconds(5000));
    REQUIRE(echoed);
    CHECK(echoed->payload == "olá");
    client.close(1000, "bye");
    auto closed = server.wait_closed(milliseconds(5000));
    REQUIRE(closed);
    CHECK(closed->remote_code == 1000);
    CHECK(closed->remote_reason == "bye");
}

TEST_CASE("a reset client is seen by the server as a close without a Close frame") {
    WsTestServer server;
    WsClient client;
    REQUIRE(client.connect(server.url()));
    REQUIRE(server.wait_open());
    client.reset();
    auto closed = server.wait_closed(milliseconds(5000));
    REQUIRE(closed);
    CHECK(closed->remote_code == 1006);
}

TEST_CASE("WsClient reports a refused connection") {
    unsigned short unused_port;
    {
        WsTestServer server;
        unused_port = server.port();
    }
    WsClient client;
    CHECK_FALSE(client.connect("ws://127.0.0.1:" + std::to_string(unused_port) + "/"));
    CHECK(client.handshake_status() == 0);
    CHECK_FALSE(client.error().empty());
}

TEST_CASE("Program reports exit codes and signals, and bounded waits fail loudly") {
    Program shell("/bin/sh", {"-c", "echo out; echo err >&2; exit 3"});
    CHECK(shell.wait_for_line(Stream::out, "out") == "out");
    CHECK(shell.wait_for_line(Stream::err, "err") == "err");
    CHECK(shell.wait_exit(milliseconds(5000)) == 3);
    CHECK_THROWS_WITH(shell.wait_for_line(Stream::out, "never", milliseconds(100)),
                      contains_text("before the program closed its output"));

    Program sleeper("/bin/sleep", {"30"});
    CHECK_FALSE(sleeper.wait_exit(milliseconds(50)));
    sleeper.send_signal(SIGTERM);
    CHECK(sleeper.wait_exit(milliseconds(5000)) == 128 + SIGTERM);
}

TEST_CASE("Program::wait_output_closed waits for every line, even after the exit") {
    Program shell("/bin/sh", {"-c", "for i in 1 2 3 4 5; do echo line$i; echo err$i >&2; done"});
    REQUIRE(shell.wait_exit(milliseconds(5000)) == 0);
    REQUIRE(shell.wait_output_closed());
    CHECK(shell.lines(Stream::out) == std::vector<std::string>{"line1", "line2", "line3", "line4", "line5"});
    CHECK(shell.lines(Stream::err).size() == 5);

    Program sleeper("/bin/sleep", {"30"});
    CHECK_FALSE(sleeper.wait_output_closed(milliseconds(50)));
}

TEST_CASE("http_request parses status, headers and body") {
    WsTestServer server;  // websocketpp answers plain HTTP without a handler with 426
    HttpResponse response = http_get(server.port(), "/");
    CHECK(response.status == 426);
    CHECK(response.status_line.rfind("HTTP/1.1 426", 0) == 0);
    CHECK(response.headers.count("server") == 1);
}
