// Step 14: SIGINT or SIGTERM closes every client with 1001 and exits 0 once
// they have gone; a second signal ends the process at once.
#include "crowd.hpp"
#include "program.hpp"
#include "ws.hpp"

#include "catch_compat.hpp"

#include <csignal>
#include <map>
#include <string>

using namespace wstest;

namespace {

long long ms(Clock::duration duration) {
    return std::chrono::duration_cast<milliseconds>(duration).count();
}

std::size_t count_lines(const Program& program, Stream stream, const std::string& text) {
    std::size_t count = 0;
    for (const auto& line : program.lines(stream))
        if (line.find(text) != std::string::npos) ++count;
    return count;
}

}  // namespace

TEST_CASE("SIGTERM with 200 clients: every client gets Close 1001, exit 0 within 2 s") {
    ServerProcess server("step14_server", {"--port", "0", "--interval-ms", "100"});
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
    CHECK(server.lines(Stream::err).empty());
}

TEST_CASE("a client that never answers the Close holds the shutdown 1.5 s at most") {
    ServerProcess server("step14_server", {"--port", "0"});
    WsCrowd silent(server.port(), 1);
    REQUIRE(silent.wait_open(milliseconds(5000)) == 1);
    silent.set_reading(false);  // will never answer the Close
    server.send_signal(SIGTERM);
    REQUIRE(server.wait_exit(milliseconds(5000)) == 0);
    REQUIRE(server.wait_output_closed());
    CHECK(server.has_printed(Stream::err, "1 clients did not finish closing"));
}

TEST_CASE("a second signal ends a shutdown that waits for a silent client at once") {
    ServerProcess server("step14_server", {"--port", "0"});
    WsCrowd silent(server.port(), 1);
    REQUIRE(silent.wait_open(milliseconds(5000)) == 1);
    silent.set_reading(false);
    server.send_signal(SIGINT);
    server.wait_for_line(Stream::out, "shutting down");
    server.send_signal(SIGINT);
    REQUIRE(server.wait_exit(milliseconds(1000)) == 128 + SIGINT);
}

TEST_CASE("step14_client hears the server's 1001 and exits 0") {
    ServerProcess server("step14_server", {"--port", "0", "--interval-ms", "100"});
    Program client("step14_client", {server.ws_url()});
    client.wait_for_line(Stream::out, "C++ Rocks");
    server.send_signal(SIGTERM);
    REQUIRE(client.wait_exit(milliseconds(10000)) == 0);
    REQUIRE(client.wait_output_closed());
    CHECK(client.has_printed(Stream::err, "connection closed: code 1001"));
    CHECK(server.wait_exit(milliseconds(5000)) == 0);
}

TEST_CASE("step14_client --count 3 prints three ticks, closes with 1000 and exits 0") {
    ServerProcess server("step14_server", {"--port", "0", "--interval-ms", "100"});
    Program client("step14_client", {server.ws_url(), "--count", "3"});
    REQUIRE(client.wait_exit(milliseconds(10000)) == 0);
    REQUIRE(client.wait_output_closed());
    const auto lines = client.lines(Stream::out);
    REQUIRE(lines.size() == 4);
    CHECK(lines[0] == "Connected to " + server.ws_url());
    server.wait_for_line(Stream::out, "(code 1000; clients: 0)");
}

TEST_CASE("step14_client: a count that is not a whole number from 1 is bad usage (2)") {
    for (const char* count : {"0", "ten", "-1", "3x"}) {
        Program client("step14_client", {"--count", count});
        INFO(count);
        CHECK(client.wait_exit(milliseconds(5000)) == 2);
    }
}
