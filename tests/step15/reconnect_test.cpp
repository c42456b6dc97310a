// Step 15: with --reconnect the client comes back after a lost or refused
// connection, waiting 0.5 s, 1 s, 2 s ... (each cut by up to 25 %) in between.
#include "program.hpp"
#include "tick.hpp"
#include "ws.hpp"

#include "catch_compat.hpp"

#include <csignal>
#include <optional>
#include <regex>
#include <stdexcept>
#include <string>
#include <vector>

using namespace wstest;

namespace {

// "reconnecting in 431 ms (attempt 1)" -> 431
long reconnect_delay_ms(const std::string& line) {
    static const std::regex format(R"(^reconnecting in (\d+) ms \(attempt (\d+)\)$)");
    std::smatch match;
    if (!std::regex_match(line, match, format)) throw std::runtime_error("not a reconnect line: " + line);
    return std::stol(match[1]);
}

// A port nothing listens on (the server that had it is gone).
unsigned short closed_port() {
    ServerProcess server("step15_server", {"--port", "0"});
    const unsigned short port = server.port();
    server.send_signal(SIGTERM);
    server.wait_exit(milliseconds(5000));
    return port;
}

}  // namespace

TEST_CASE("with --reconnect the client comes back after the server restarts on the same port") {
    std::optional<ServerProcess> server(std::in_place, "step15_server",
                                        std::vector<std::string>{"--port", "0", "--interval-ms", "100"});
    const unsigned short port = server->port();
    Program client("step15_client", {server->ws_url(), "--reconnect"});
    client.wait_for_line(Stream::out, "Connected to ");
    client.wait_for_line(Stream::out, "C++ Rocks");

    server->send_signal(SIGTERM);
    REQUIRE(server->wait_exit(milliseconds(5000)) == 0);
    server.reset();
    client.wait_for_line(Stream::err, "connection closed: code 1001");
    client.wait_for_line(Stream::err, "reconnecting in ");

    server.emplace("step15_server",
                   std::vector<std::string>{"--port", std::to_string(port), "--interval-ms", "100"});
    client.wait_for_line(Stream::out, "Connected to ", milliseconds(10000));
    client.wait_for_line(Stream::out, "C++ Rocks");
    client.send_signal(SIGINT);
    REQUIRE(client.wait_exit(milliseconds(10000)) == 0);
}

TEST_CASE("with --reconnect the client backs off 0.5 s, 1 s, 2 s with jitter, and Ctrl+C ends it with 0") {
    Program client("step15_client",
                   {"ws://127.0.0.1:" + std::to_string(closed_port()) + "/", "--reconnect"});
    std::vector<long> delays;
    for (int attempt = 1; attempt <= 3; ++attempt) {
        const std::string line = client.wait_for_line(Stream::err, "reconnecting in ", milliseconds(10000));
        CHECK_THAT(line, contains_text("(attempt " + std::to_string(attempt) + ")"));
        delays.push_back(reconnect_delay_ms(line));
    }
    // Each attempt's delay: a random 75-100 % of 0.5 s, 1 s, 2 s.
    CHECK(delays[0] >= 375);
    CHECK(delays[0] <= 500);
    CHECK(delays[1] >= 750);
    CHECK(delays[1] <= 1000);
    CHECK(delays[2] >= 1500);
    CHECK(delays[2] <= 2000);
    client.send_signal(SIGINT);
    REQUIRE(client.wait_exit(milliseconds(5000)) == 0);
}

TEST_CASE("a refused handshake (4xx) is not retried: asking again would get the same answer") {
    ServerProcess server("step15_server", {"--port", "0"});
    Program client("step15_client", {server.ws_url("/elsewhere"), "--reconnect"});
    REQUIRE(client.wait_exit(milliseconds(10000)) == 1);
    REQUIRE(client.wait_output_closed());
    CHECK(client.has_printed(Stream::err, "the server answered HTTP 404"));
    CHECK_FALSE(client.has_printed(Stream::err, "reconnecting"));
}

TEST_CASE("without --reconnect a killed server ends the client with exit code 3") {
    ServerProcess server("step15_server", {"--port", "0", "--interval-ms", "100"});
    Program client("step15_client", {server.ws_url()});
    client.wait_for_line(Stream::out, "C++ Rocks");
    server.send_signal(SIGKILL);
    REQUIRE(client.wait_exit(milliseconds(10000)) == 3);
}

TEST_CASE("step15_client: an unknown option is bad usage (2)") {
    Program client("step15_client", {"--bogus"});
    REQUIRE(client.wait_exit(milliseconds(5000)) == 2);
}
