// final_client (step 15's client): its exit codes, and --reconnect.
#include "final_test_support.hpp"
#include "ws.hpp"

#include "catch_compat.hpp"

#include <csignal>
#include <string>

using namespace final_test;

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
    ServerProcess server("final_server", server_args());
    const unsigned short port = server.port();
    server.send_signal(SIGTERM);
    server.wait_exit(milliseconds(5000));
    return port;
}

}  // namespace

TEST_CASE("final_client: bad usage is one line on stderr and exit code 2") {
    const std::vector<std::vector<std::string>> bad_command_lines{
        {"--bogus"}, {"--count", "0"}, {"--count", "ten"}, {"--count"}, {"ws://localhost:1/", "ws://localhost:2/"},
        {"http://localhost:5065/"}, {"--ca-file"}, {"not a url"}};  // wss:// is valid since step 18
    for (const auto& args : bad_command_lines) {
        Program client("final_client", args);
        INFO(client.transcript());
        REQUIRE(client.wait_exit(milliseconds(5000)) == 2);
        REQUIRE(client.wait_output_closed());
        CHECK(client.lines(Stream::err).size() == 1);
        CHECK(client.lines(Stream::out).empty());
    }
}

TEST_CASE("final_client prints each tick on its own line, and Ctrl+C closes with 1000 and exits 0") {
    ServerProcess server("final_server", server_args());
    Program client("final_client", {server.ws_url()});
    CHECK(client.wait_for_line(Stream::out, "Connected to ") == "Connected to " + server.ws_url());
    for (int i = 0; i < 3; ++i) CHECK(is_tick(client.wait_for_line(Stream::out, "C++ Rocks")));
    client.send_signal(SIGINT);
    REQUIRE(client.wait_exit(milliseconds(10000)) == 0);
    server.wait_for_line(Stream::out, "(code 1000; clients: 0)");
}

TEST_CASE("final_client exits 1 when nothing listens, and when the handshake is refused") {
    SECTION("nothing listens") {
        Program client("final_client", {"ws://127.0.0.1:" + std::to_string(closed_port()) + "/"});
        REQUIRE(client.wait_exit(milliseconds(10000)) == 1);
        REQUIRE(client.wait_output_closed());
        CHECK(client.has_printed(Stream::err, "cannot connect to"));
    }
    SECTION("the handshake is refused, even with --reconnect: asking again would get the same 404") {
        ServerProcess server("final_server", server_args());
        Program client("final_client", {server.ws_url("/elsewhere"), "--reconnect"});
        REQUIRE(client.wait_exit(milliseconds(10000)) == 1);
        REQUIRE(client.wait_output_closed());
        CHECK(client.has_printed(Stream::err, "the server answered HTTP 404"));
    }
}

TEST_CASE("final_client exits 3 when the server dies and 0 when it shuts down with 1001") {
    SECTION("killed: no Close frame, connection lost") {
        ServerProcess server("final_server", server_args());
        Program client("final_client", {server.ws_url()});
        client.wait_for_line(Stream::out, "C++ Rocks");
        server.send_signal(SIGKILL);
        REQUIRE(client.wait_exit(milliseconds(10000)) == 3);
        REQUIRE(client.wait_output_closed());
        CHECK(client.has_printed(Stream::err, "lost"));
    }
    SECTION("SIGTERM: the server says goodbye with 1001") {
        ServerProcess server("final_server", server_args());
        Program client("final_client", {server.ws_url()});
        client.wait_for_line(Stream::out, "C++ Rocks");
        server.send_signal(SIGTERM);
        REQUIRE(client.wait_exit(milliseconds(10000)) == 0);
        REQUIRE(client.wait_output_closed());
        CHECK(client.has_printed(Stream::err, "connection closed: code 1001"));
        CHECK(server.wait_exit(milliseconds(5000)) == 0);
    }
}

TEST_CASE("final_client --reconnect comes back after the server restarts on the same port") {
    std::optional<ServerProcess> server(std::in_place, "final_server", server_args());
    const unsigned short port = server->port();
    const std::string url = server->ws_url();
    Program client("final_client", {url, "--reconnect"});
    client.wait_for_line(Stream::out, "Connected to ");
    client.wait_for_line(Stream::out, "C++ Rocks");

    server->send_signal(SIGTERM);
    REQUIRE(server->wait_exit(milliseconds(5000)) == 0);
    server.reset();
    client.wait_for_line(Stream::err, "connection closed: code 1001");
    client.wait_for_line(Stream::err, "reconnecting in ");

    server.emplace("final_server", std::vector<std::string>{"--port", std::to_string(port), "--interval-ms", "100"});
    client.wait_for_line(Stream::out, "Connected to ", milliseconds(10000));
    client.wait_for_line(Stream::out, "C++ Rocks");
    server->wait_for_line(Stream::out, "opened: ");

    client.send_signal(SIGINT);
    REQUIRE(client.wait_exit(milliseconds(10000)) == 0);
}

TEST_CASE("final_client --reconnect backs off 0.5 s, 1 s, 2 s with jitter, and Ctrl+C ends it with 0") {
    Program client("final_client", {"ws://127.0.0.1:" + std::to_string(closed_port()) + "/", "--reconnect"});
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
    CHECK(client.has_printed(Stream::err, "cannot connect to "));
    client.send_signal(SIGINT);
    REQUIRE(client.wait_exit(milliseconds(5000)) == 0);
}

TEST_CASE("final_client --count 3 prints three ticks, closes with 1000 and exits 0") {
    ServerProcess server("final_server", server_args());
    Program client("final_client", {server.ws_url(), "--count", "3"});
    REQUIRE(client.wait_exit(milliseconds(10000)) == 0);
    REQUIRE(client.wait_output_closed());
    const auto lines = client.lines(Stream::out);
    REQUIRE(lines.size() == 4);
    for (std::size_t i = 1; i < lines.size(); ++i) CHECK(is_tick(lines[i]));
    server.wait_for_line(Stream::out, "(code 1000; clients: 0)");
}
