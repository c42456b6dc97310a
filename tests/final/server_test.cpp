// final_server: the tutorial's behaviour, and what it adds for production.
#include "crowd.hpp"
#include "final_test_support.hpp"
#include "tcp.hpp"
#include "ws.hpp"

#include "catch_compat.hpp"

#include <csignal>
#include <string>

using namespace final_test;

TEST_CASE("final_server --help prints every option and exits 0") {
    Program server("final_server", {"--help"});
    REQUIRE(server.wait_exit(milliseconds(5000)) == 0);
    for (const char* option : {"--host", "--port", "--interval-ms", "--max-message-bytes", "--max-buffered-bytes",
                               "--max-clients", "--allowed-origin", "--ping-interval-ms", "--pong-timeout-ms",
                               "--handshake-timeout-ms"})
        CHECK(server.has_printed(Stream::out, option));
}

TEST_CASE("a bad option or value is a one-line error, the usage and exit code 2") {
    const std::vector<std::vector<std::string>> bad_command_lines{
        {"--bogus"},       {"--port", "65536"},       {"--port", "http"},      {"--interval-ms", "0"},
        {"--interval-ms"}, {"--max-message-bytes=-1"}, {"--host", "localhost"}, {"--help=yes"},
        {"--ping-interval-ms", "1000", "--pong-timeout-ms", "1000"}, {"--allowed-origin", "example.com"}};
    for (const auto& args : bad_command_lines) {
        Program server("final_server", args);
        INFO(server.transcript());
        REQUIRE(server.wait_exit(milliseconds(5000)) == 2);
        REQUIRE(server.wait_output_closed());
        const auto errors = server.lines(Stream::err);
        REQUIRE(errors.size() == 3);
        CHECK(errors[0].rfind("final_server: ", 0) == 0);
        CHECK(errors[1].rfind("Usage: final_server", 0) == 0);
        CHECK(server.lines(Stream::out).empty());
    }
}

TEST_CASE("plain HTTP on / gets 400 and any other path gets 404, HTTP and handshake alike") {
    ServerProcess server("final_server", server_args());
    CHECK(http_get(server.port(), "/").status == 400);
    CHECK(http_get(server.port(), "/other").status == 404);

    WsClient elsewhere;
    CHECK_FALSE(elsewhere.connect(server.ws_url("/other")));
    CHECK(elsewhere.handshake_status() == 404);

    WsClient client;
    REQUIRE(client.connect(server.ws_url("/")));
    CHECK(client.handshake_status() == 101);
}

TEST_CASE("a client gets a tick at once, then one per interval, on a fixed schedule") {
    ServerProcess server("final_server", server_args());
    WsClient client;
    const auto connected = Clock::now();
    REQUIRE(client.connect(server.ws_url()));
    auto first = client.next_message(milliseconds(2000));
    REQUIRE(first);
    CHECK(is_tick(first->payload));
    CHECK(ms(first->received - connected) < 1000);

    // Ten more at 100 ms: about a second, neither a burst nor a crawl.
    WsMessage last = *first;
    for (int i = 0; i < 10; ++i) {
        auto message = client.next_message(milliseconds(2000));
        REQUIRE(message);
        CHECK(is_tick(message->payload));
        last = *message;
    }
    const long long elapsed = ms(last.received - first->received);
    CHECK(elapsed >= 900);
    CHECK(elapsed < 1600);
}

TEST_CASE("a request that never completes is dropped after the handshake timeout") {
    ServerProcess server("final_server", server_args({"--handshake-timeout-ms", "300"}));
    TcpConnection half_request(server.port());
    REQUIRE(half_request.send("GET / HTTP/1.1\r\nHost: localhost\r\n"));  // no blank line: never complete
    TcpConnection silent(server.port());
    const auto start = Clock::now();
    CHECK(half_request.wait_closed(milliseconds(5000)));
    CHECK(silent.wait_closed(milliseconds(5000)));
    CHECK(ms(Clock::now() - start) >= 250);
    // The server is still there for everyone else.
    CHECK(http_get(server.port(), "/").status == 400);
}

TEST_CASE("a message larger than --max-message-bytes closes its client with 1009") {
    ServerProcess server("final_server", server_args({"--max-message-bytes", "1000"}));
    WsCrowd crowd(server.port(), 1);
    REQUIRE(crowd.wait_open(milliseconds(5000)) == 1);
    crowd.send_raw(0, WsCrowd::frame(0x1, std::string(1000, 'a')));  // at the limit: fine
    REQUIRE(crowd.wait_messages(3, milliseconds(5000)));
    CHECK(crowd.is_open(0));
    crowd.send_raw(0, WsCrowd::frame(0x1, std::string(1001, 'a')));
    REQUIRE(crowd.wait_closed(milliseconds(5000)));
    CHECK(crowd.close_code(0) == 1009);
    server.wait_for_line(Stream::out, "(code 1009");
}

TEST_CASE("protocol errors close with the code RFC 6455 gives them") {
    ServerProcess server("final_server", server_args());
    SECTION("an unmasked frame from a client: 1002") {
        WsCrowd crowd(server.port(), 1);
        REQUIRE(crowd.wait_open(milliseconds(5000)) == 1);
        crowd.send_raw(0, std::string("\x81\x02hi", 4));
        REQUIRE(crowd.wait_closed(milliseconds(5000)));
        CHECK(crowd.close_code(0) == 1002);
    }
    SECTION("a text message that is not UTF-8: 1007") {
        WsCrowd crowd(server.port(), 1);
        REQUIRE(crowd.wait_open(milliseconds(5000)) == 1);
        crowd.send_raw(0, WsCrowd::frame(0x1, "caf\xc3"));
        REQUIRE(crowd.wait_closed(milliseconds(5000)));
        CHECK(crowd.close_code(0) == 1007);
    }
}

TEST_CASE("a client that stops reading is closed with 1008 while the others keep their schedule") {
    ServerProcess server("final_server", {"--port", "0", "--interval-ms", "2", "--max-buffered-bytes", "4096"});
    WsClient reader;
    REQUIRE(reader.connect(server.ws_url()));
    WsCrowd::Options small_window;
    small_window.receive_buffer_bytes = 2048;
    WsCrowd slow(server.port(), 1, small_window);
    REQUIRE(slow.wait_open(milliseconds(5000)) == 1);
    slow.set_reading(false);

    server.wait_for_line(Stream::out, "too slow: ", milliseconds(20000));
    // Reading again, the slow client finds its backlog, then the Close frame.
    slow.set_reading(true);
    REQUIRE(slow.wait_closed(milliseconds(5000)));
    CHECK(slow.close_code(0) == 1008);

    // The reader kept getting its ticks all along, and still does.
    auto message = reader.next_message(milliseconds(1000));
    REQUIRE(message);
    CHECK(is_tick(message->payload));
    while (auto more = reader.next_message(milliseconds(0))) message = more;  // catch up
    auto next = reader.next_message(milliseconds(1000));
    REQUIRE(next);
    CHECK(ms(Clock::now() - next->received) < 1000);
}

TEST_CASE("a client that answers no ping is dropped after the pong timeout but one that answers stays") {
    ServerProcess server("final_server", server_args({"--ping-interval-ms", "200", "--pong-timeout-ms", "100"}));
    WsClient answers;  // websocketpp answers pings by itself
    REQUIRE(answers.connect(server.ws_url()));
    WsCrowd silent(server.port(), 1);
    REQUIRE(silent.wait_open(milliseconds(5000)) == 1);
    silent.set_reading(false);  // pings unread, so unanswered

    server.wait_for_line(Stream::out, "timed out; clients: 1)", milliseconds(5000));
    while (answers.next_message(milliseconds(0))) {
    }
    CHECK(answers.next_message(milliseconds(1000)));
    CHECK_FALSE(answers.wait_closed(milliseconds(500)));
}

TEST_CASE("a client beyond --max-clients gets 503") {
    ServerProcess server("final_server", server_args({"--max-clients", "2"}));
    WsClient first, second, third;
    REQUIRE(first.connect(server.ws_url()));
    REQUIRE(second.connect(server.ws_url()));
    CHECK_FALSE(third.connect(server.ws_url()));
    CHECK(third.handshake_status() == 503);
    first.close();
    REQUIRE(first.wait_closed(milliseconds(5000)));
    server.wait_for_line(Stream::out, "clients: 1)");
    WsClient fourth;
    CHECK(fourth.connect(server.ws_url()));
}

TEST_CASE("SIGTERM with 200 clients: every client gets Close 1001, exit 0 within 2 s") {
    ServerProcess server("final_server", server_args());
    WsCrowd crowd(server.port(), 200);
    REQUIRE(crowd.wait_open(milliseconds(10000)) == 200);
    REQUIRE(crowd.wait_messages(1, milliseconds(10000)));

    const auto signalled = Clock::now();
    server.send_signal(SIGTERM);
    CHECK(crowd.wait_closed(milliseconds(5000)));
    REQUIRE(server.wait_exit(milliseconds(5000)) == 0);
    CHECK(ms(Clock::now() - signalled) < 2000);
    CHECK(crowd.close_codes() == std::map<std::uint16_t, std::size_t>{{1001, 200}});
    REQUIRE(server.wait_output_closed());
    CHECK(server.has_printed(Stream::out, "shutting down: closing 200 clients with 1001"));
    CHECK(count_lines(server, Stream::out, "closed: ") == 200);
    CHECK_FALSE(server.has_printed(Stream::out, "failed: "));  // the accept that shutdown cancels is routine
    CHECK(server.lines(Stream::err).empty());
}

TEST_CASE("a second signal ends a shutdown that waits for a silent client at once") {
    ServerProcess server("final_server", server_args());
    WsCrowd silent(server.port(), 1);
    REQUIRE(silent.wait_open(milliseconds(5000)) == 1);
    silent.set_reading(false);  // will never answer the Close
    server.send_signal(SIGINT);
    server.wait_for_line(Stream::out, "shutting down");
    const auto second = Clock::now();
    server.send_signal(SIGINT);
    REQUIRE(server.wait_exit(milliseconds(1000)) == 128 + SIGINT);
    CHECK(ms(Clock::now() - second) < 1000);
}

TEST_CASE("500 clients dropping their sockets abruptly: one line each, no noise, still serving") {
    ServerProcess server("final_server", server_args());
    WsCrowd crowd(server.port(), 500);
    REQUIRE(crowd.wait_open(milliseconds(20000)) == 500);
    REQUIRE(crowd.wait_messages(1, milliseconds(10000)));
    crowd.reset_all();

    WsClient newcomer;
    REQUIRE(newcomer.connect(server.ws_url()));
    for (int i = 0; i < 3; ++i) {
        auto message = newcomer.next_message(milliseconds(2000));
        REQUIRE(message);
        CHECK(is_tick(message->payload));
    }
    for (int i = 0; i < 500; ++i) server.wait_for_line(Stream::out, "closed: ", milliseconds(10000));
    CHECK(count_lines(server, Stream::out, "opened: ") == 501);
    CHECK(server.lines(Stream::err).empty());
}

TEST_CASE("restarting at once on the same port works") {
    unsigned short port;
    {
        ServerProcess first("final_server", server_args());
        port = first.port();
        WsClient client;
        REQUIRE(client.connect(first.ws_url()));
        REQUIRE(client.next_message(milliseconds(2000)));
        first.send_signal(SIGTERM);
        REQUIRE(first.wait_exit(milliseconds(2000)) == 0);
    }
    ServerProcess second("final_server", {"--port", std::to_string(port), "--interval-ms", "100"});
    CHECK(second.port() == port);
    WsClient client;
    REQUIRE(client.connect(second.ws_url()));
}

TEST_CASE("a port already in use is one line on stderr and exit code 1") {
    ServerProcess first("final_server", server_args());
    Program second("final_server", {"--port", std::to_string(first.port())});
    REQUIRE(second.wait_exit(milliseconds(5000)) == 1);
    REQUIRE(second.wait_output_closed());
    CHECK(second.has_printed(Stream::err, "cannot listen on 127.0.0.1 port " + std::to_string(first.port())));
}

TEST_CASE("with --allowed-origin a browser from a listed origin is let in, any other gets 403, no Origin is let in") {
    ServerProcess server("final_server", server_args({"--allowed-origin", "https://example.com"}));
    const unsigned short port = server.port();
    auto with_origin = [port](const std::string& origin) {
        std::string request = websocket_handshake_request("/", port);
        return http_request(port, request.insert(request.size() - 2, "Origin: " + origin + "\r\n")).status;
    };
    CHECK(with_origin("https://example.com") == 101);
    CHECK(with_origin("https://evil.example") == 403);
    WsClient no_origin;
    CHECK(no_origin.connect(server.ws_url()));
}

TEST_CASE("the address given with --host is the one listened on, named in the first line") {
    Program server("final_server", server_args({"--host", "127.0.0.1"}));
    CHECK_THAT(server.wait_for_line(Stream::out, "Now listening on: "), contains_text("http://localhost:"));
    server.send_signal(SIGTERM);
    CHECK(server.wait_exit(milliseconds(5000)) == 0);
}
