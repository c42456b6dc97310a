// final/ on Redis, end to end: final_publisher writes the stream, two final_server
// --redis read it, final_client --reconnect moves from one to the other when the
// first is killed, and prints every entry once, in order. The same programs as
// step 21's (tests/step21 tests them in depth); this checks that final/ ships them.
#include "program.hpp"
#include "redis.hpp"

#include "catch_compat.hpp"

#include <csignal>
#include <optional>
#include <string>
#include <vector>

using namespace wstest;

namespace {
const milliseconds patience(15000);  // a busy 2-core machine: never reached when all is well
}

TEST_CASE("final on Redis: the publisher's ticks reach a client that fails over, each once") {
    require_redis();
    RedisServer redis;
    const std::vector<std::string> args{"--port", "0", "--redis", redis.url()};
    std::optional<ServerProcess> first(std::in_place, "final_server", args);
    ServerProcess second("final_server", args);
    first->wait_for_line(Stream::out, "redis: connected to", patience);
    second.wait_for_line(Stream::out, "redis: connected to", patience);
    Program publisher("final_publisher", {"--redis", redis.url(), "--interval-ms", "50"});
    Program client("final_client",
                   {first->ws_url(), "--reconnect", second.ws_url(), "--show-ids", "--count", "40"});

    // Ten ticks through the first server, then it dies mid-stream (no Close).
    client.wait_for_line(Stream::out, "Connected to", patience);
    for (int entry = 0; entry < 10; ++entry)
        REQUIRE(client.next_line(Stream::out, patience));
    first->send_signal(SIGKILL);
    first->wait_exit(patience);
    first.reset();
    const auto exit_code = client.wait_exit(patience);
    INFO(client.transcript());
    REQUIRE(exit_code == 0);  // --count 40 reached
    REQUIRE(client.wait_output_closed());
    publisher.send_signal(SIGTERM);
    CHECK(publisher.wait_exit(patience) == 0);

    // What it printed, less its "Connected to" lines, is a run of the stream's own
    // entries, as "<id> <text>": the ticks from its first one on, none missing or twice.
    std::vector<std::string> printed;
    for (const auto& line : client.lines(Stream::out))
        if (line.rfind("Connected to ", 0) != 0) printed.push_back(line);
    REQUIRE(printed.size() == 40);
    std::vector<std::string> stream;
    for (const auto& entry : redis.xrange()) stream.push_back(entry.id + " " + entry.text);
    std::size_t first_index = 0;
    while (first_index < stream.size() && stream[first_index] != printed.front()) ++first_index;
    REQUIRE(first_index + printed.size() <= stream.size());
    CHECK(std::vector<std::string>(stream.begin() + first_index,
                                   stream.begin() + first_index + printed.size()) == printed);
    CHECK_THAT(printed.front(), contains_text(" C++ Rocks -> "));
    CHECK(client.has_printed(Stream::err, "failing over to " + second.ws_url()));
}
