// Step 08: the client prints every message whole, on its own line, as it
// arrives, however many 256-byte reads it took; above 16 MiB it gives up on
// the connection instead. Ctrl+C still kills it without a Close (step 09).
#include "program.hpp"
#include "tick.hpp"
#include "ws.hpp"

#include "catch_compat.hpp"

#include <chrono>
#include <csignal>
#include <optional>
#include <string>
#include <vector>

using namespace wstest;

namespace {

// `size` bytes of printable text that changes along the line, so a line
// split, cut short or reordered cannot go unnoticed.
std::string long_line(std::size_t size, char first) {
    std::string line;
    line.reserve(size);
    for (std::size_t i = 0; i < size; ++i) line += static_cast<char>(first + i % 26);
    return line;
}

std::string repeated(const std::string& piece, std::size_t times) {
    std::string text;
    for (std::size_t i = 0; i < times; ++i) text += piece;
    return text;
}

}  // namespace

TEST_CASE("against step 08's server, timestamp lines arrive about a second apart") {
    ServerProcess server("step08_server");
    const std::string url = "ws://localhost:" + std::to_string(server.port()) + "/";
    Program client("step08_client", {url});
    REQUIRE(client.wait_for_line(Stream::out, "Connected to ") == "Connected to " + url);

    const std::optional<std::string> first = client.next_line(Stream::out, milliseconds(5000));
    const Clock::time_point first_seen = Clock::now();
    const std::optional<std::string> second = client.next_line(Stream::out, milliseconds(5000));
    const Clock::time_point second_seen = Clock::now();
    INFO(client.transcript());
    REQUIRE(first);
    REQUIRE(second);
    REQUIRE(is_tick(*first));
    REQUIRE(is_tick(*second));
    // Stamped a second apart (two when the second send was a little late across a boundary).
    const std::time_t stamped_apart = *tick_time(*second) - *tick_time(*first);
    CHECK((stamped_apart == 1 || stamped_apart == 2));
    // One second apart, with room for a busy machine; never a burst.
    CHECK(second_seen - first_seen > milliseconds(500));
    CHECK(second_seen - first_seen < milliseconds(2500));
}

TEST_CASE("messages of any size and UTF-8 text are printed whole, each on its own line") {
    const std::vector<std::string> messages{
        "hello",
        long_line(10000, 'a'),
        "olá, ação, 日本語",
        repeated("日本語", 3000),  // 3-byte characters across many 256-byte reads
        long_line(1024 * 1024, 'A'),
    };
    WsTestServer server;
    Program client("step08_client", {server.url()});
    REQUIRE(server.wait_open());
    for (const std::string& message : messages) server.send_text(message);
    server.close(1000, "done");

    REQUIRE(client.wait_exit(milliseconds(10000)) == 0);
    REQUIRE(client.wait_output_closed());
    std::vector<std::string> expected{"Connected to " + server.url()};
    expected.insert(expected.end(), messages.begin(), messages.end());
    const std::vector<std::string> printed = client.lines(Stream::out);
    REQUIRE(printed.size() == expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i) {
        INFO("line " << i << ": " << printed[i].size() << " bytes printed, " << expected[i].size()
                     << " sent");
        CHECK(printed[i] == expected[i]);
    }
    CHECK(client.lines(Stream::err) ==
          std::vector<std::string>{R"(connection closed: code 1000, reason "done")"});
}

TEST_CASE("a message above the 16 MiB limit is never printed: the client ends the connection") {
    WsTestServer server;
    Program client("step08_client", {server.url()});
    REQUIRE(server.wait_open());
    server.send_text("small");
    server.send_text(std::string(16 * 1024 * 1024 + 1, 'x'));
    const std::optional<int> exit_code = client.wait_exit(milliseconds(5000));
    REQUIRE(client.wait_output_closed());
    INFO(client.transcript());
    CHECK(exit_code == 0);
    CHECK(client.lines(Stream::out) ==
          std::vector<std::string>{"Connected to " + server.url(), "small"});
    // No Close frame came from the server: it was the client that gave up (step 09 says so).
    CHECK(client.lines(Stream::err) ==
          std::vector<std::string>{R"(connection closed: code 1006, reason "")"});
    CHECK(server.wait_closed(milliseconds(5000)));
}

TEST_CASE("Ctrl+C kills the client without a Close frame: the server sees 1006") {
    WsTestServer server;
    Program client("step08_client", {server.url()});
    REQUIRE(server.wait_open());
    client.wait_for_line(Stream::out, "Connected to ");
    client.send_signal(SIGINT);
    CHECK(client.wait_exit(milliseconds(5000)) == 128 + SIGINT);
    const std::optional<WsClose> close = server.wait_closed(milliseconds(5000));
    REQUIRE(close);
    CHECK(close->remote_code == 1006);
}
