// Step 12: what one client may cost is capped: its messages (1009), its unread
// backlog (1008), the number of clients (503), the time its handshake may take.
#include "crowd.hpp"
#include "program.hpp"
#include "tcp.hpp"
#include "tick.hpp"
#include "ws.hpp"

#include "catch_compat.hpp"

#include <string>
#include <vector>

using namespace wstest;

namespace {

std::vector<std::string> server_args(std::vector<std::string> extra) {
    std::vector<std::string> args{"--port", "0", "--interval-ms", "100"};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
}

long long ms(Clock::duration duration) {
    return std::chrono::duration_cast<milliseconds>(duration).count();
}

}  // namespace

TEST_CASE("step12_server --help names the limits") {
    Program server("step12_server", {"--help"});
    REQUIRE(server.wait_exit(milliseconds(5000)) == 0);
    REQUIRE(server.wait_output_closed());
    for (const char* option : {"--max-message-bytes", "--max-buffered-bytes", "--max-clients",
                               "--handshake-timeout-ms"})
        CHECK(server.has_printed(Stream::out, option));
}

TEST_CASE("a message larger than --max-message-bytes closes its client with 1009") {
    ServerProcess server("step12_server", server_args({"--max-message-bytes", "1000"}));
    WsCrowd crowd(server.port(), 1);
    REQUIRE(crowd.wait_open(milliseconds(5000)) == 1);
    crowd.send_raw(0, WsCrowd::frame(0x1, std::string(1000, 'a')));  // at the limit: fine
    REQUIRE(crowd.wait_messages(3, milliseconds(5000)));
    CHECK(crowd.is_open(0));
    crowd.send_raw(0, WsCrowd::frame(0x1, std::string(1001, 'a')));
    REQUIRE(crowd.wait_closed(milliseconds(5000)));
    CHECK(crowd.close_code(0) == 1009);
}

TEST_CASE("a client that stops reading is closed with 1008 while the others keep their schedule") {
    ServerProcess server("step12_server",
                         {"--port", "0", "--interval-ms", "2", "--max-buffered-bytes", "4096"});
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
    while (reader.next_message(milliseconds(0))) {
    }
    auto next = reader.next_message(milliseconds(1000));
    REQUIRE(next);
    CHECK(is_tick(next->payload));
}

TEST_CASE("a client beyond --max-clients gets 503, and a place freed is taken again") {
    ServerProcess server("step12_server", server_args({"--max-clients", "2"}));
    WsClient first, second, third;
    REQUIRE(first.connect(server.ws_url()));
    REQUIRE(second.connect(server.ws_url()));
    CHECK_FALSE(third.connect(server.ws_url()));
    CHECK(third.handshake_status() == 503);
    server.wait_for_line(Stream::out, "refused: ");
    first.close();
    REQUIRE(first.wait_closed(milliseconds(5000)));
    server.wait_for_line(Stream::out, "clients: 1)");
    WsClient fourth;
    CHECK(fourth.connect(server.ws_url()));
}

TEST_CASE("a request that never completes is dropped after the handshake timeout") {
    ServerProcess server("step12_server", server_args({"--handshake-timeout-ms", "300"}));
    TcpConnection half_request(server.port());
    REQUIRE(half_request.send("GET / HTTP/1.1\r\nHost: localhost\r\n"));  // never complete
    TcpConnection silent(server.port());
    const auto start = Clock::now();
    CHECK(half_request.wait_closed(milliseconds(5000)));
    CHECK(silent.wait_closed(milliseconds(5000)));
    CHECK(ms(Clock::now() - start) >= 250);
    CHECK(http_get(server.port(), "/").status == 400);  // still serving everyone else
}
