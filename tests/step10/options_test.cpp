// Step 10: options checked before anything starts, and exit codes a script can
// act on: 0 stopped by a signal, 1 could not listen, 2 bad usage.
#include "program.hpp"
#include "tick.hpp"
#include "ws.hpp"

#include "catch_compat.hpp"

#include <csignal>
#include <string>
#include <vector>

using namespace wstest;

namespace {

long long ms(Clock::duration duration) {
    return std::chrono::duration_cast<milliseconds>(duration).count();
}

}  // namespace

TEST_CASE("step10_server --help names every option and exits 0") {
    Program server("step10_server", {"--help"});
    REQUIRE(server.wait_exit(milliseconds(5000)) == 0);
    REQUIRE(server.wait_output_closed());
    for (const char* option : {"Usage: step10_server", "--port", "--interval-ms", "Exit codes"})
        CHECK(server.has_printed(Stream::out, option));
}

TEST_CASE("a bad option or value is a one-line error, the usage line and exit code 2") {
    const std::vector<std::vector<std::string>> bad_command_lines{
        {"--bogus"},      {"--port", "65536"}, {"--port", "http"}, {"--interval-ms", "0"},
        {"--interval-ms"}, {"--port=-1"},      {"--help=yes"},     {"5065"}};
    for (const auto& args : bad_command_lines) {
        Program server("step10_server", args);
        INFO(server.transcript());
        REQUIRE(server.wait_exit(milliseconds(5000)) == 2);
        REQUIRE(server.wait_output_closed());
        const auto errors = server.lines(Stream::err);
        REQUIRE(errors.size() == 3);
        CHECK(errors[0].rfind("step10_server: ", 0) == 0);
        CHECK(errors[1].rfind("Usage: step10_server", 0) == 0);
        CHECK(server.lines(Stream::out).empty());
    }
}

TEST_CASE("the schedule follows --interval-ms, and --port=0 works as --port 0") {
    ServerProcess server("step10_server", {"--port=0", "--interval-ms", "100"});
    WsClient client;
    REQUIRE(client.connect(server.ws_url()));
    auto first = client.next_message(milliseconds(2000));
    REQUIRE(first);
    CHECK(is_tick(first->payload));
    WsMessage last = *first;
    for (int i = 0; i < 10; ++i) {
        auto message = client.next_message(milliseconds(2000));
        REQUIRE(message);
        last = *message;
    }
    // Ten intervals of 100 ms: about a second; never a burst, never the default 10 s.
    const long long elapsed = ms(last.received - first->received);
    CHECK(elapsed >= 900);
    CHECK(elapsed < 3000);
}

TEST_CASE("every connection is a line of log, with the number of clients") {
    ServerProcess server("step10_server", {"--port", "0"});
    {
        WsClient client;
        REQUIRE(client.connect(server.ws_url()));
        server.wait_for_line(Stream::out, "(clients: 1)");
        client.close();
        REQUIRE(client.wait_closed(milliseconds(5000)));
    }
    server.wait_for_line(Stream::out, "(code 1000; clients: 0)");
}

TEST_CASE("a port already in use is one line on stderr and exit code 1") {
    ServerProcess first("step10_server", {"--port", "0"});
    Program second("step10_server", {"--port", std::to_string(first.port())});
    REQUIRE(second.wait_exit(milliseconds(5000)) == 1);
    REQUIRE(second.wait_output_closed());
    CHECK(second.has_printed(Stream::err, "cannot listen on port " + std::to_string(first.port())));
}

TEST_CASE("SIGTERM stops the server with exit code 0") {
    ServerProcess server("step10_server", {"--port", "0"});
    server.send_signal(SIGTERM);
    REQUIRE(server.wait_exit(milliseconds(5000)) == 0);
}

TEST_CASE("step10_client: a URL it cannot use is bad usage (2), found before connecting") {
    const std::vector<std::vector<std::string>> bad_command_lines{
        {"http://localhost:5065/"}, {"wss://localhost:5065/"}, {"not a url"},
        {"ws://localhost:1/", "ws://localhost:2/"}, {"--bogus"}};
    for (const auto& args : bad_command_lines) {
        Program client("step10_client", args);
        INFO(client.transcript());
        REQUIRE(client.wait_exit(milliseconds(5000)) == 2);
        REQUIRE(client.wait_output_closed());
        CHECK(client.lines(Stream::out).empty());
        CHECK(client.lines(Stream::err).size() == 1);
    }
}

TEST_CASE("step10_client prints the ticks of step10_server") {
    ServerProcess server("step10_server", {"--port", "0", "--interval-ms", "100"});
    Program client("step10_client", {server.ws_url()});
    client.wait_for_line(Stream::out, "Connected to " + server.ws_url());
    for (int i = 0; i < 3; ++i) CHECK(is_tick(client.wait_for_line(Stream::out, "C++ Rocks")));
    client.send_signal(SIGINT);
    REQUIRE(client.wait_exit(milliseconds(10000)) == 0);
}
