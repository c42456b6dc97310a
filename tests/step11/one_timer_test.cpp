// Step 11: one timer and an ordered queue of due times serve every client, each
// on its own drift-free schedule, whoever comes and goes.
#include "crowd.hpp"
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

// `count` ticks from an open client: their arrival times.
std::vector<Clock::time_point> ticks(WsClient& client, int count) {
    std::vector<Clock::time_point> times;
    for (int i = 0; i < count; ++i) {
        auto message = client.next_message(milliseconds(3000));
        REQUIRE(message);
        REQUIRE(is_tick(message->payload));
        times.push_back(message->received);
    }
    return times;
}

}  // namespace

TEST_CASE("a client that comes later gets its first tick at once, not at the others' next one") {
    ServerProcess server("step11_server", {"--port", "0", "--interval-ms", "3000"});
    WsClient early;
    REQUIRE(early.connect(server.ws_url()));
    REQUIRE(early.next_message(milliseconds(3000)));
    // Half an interval later (by the first client's clock), a second client.
    CHECK_FALSE(early.next_message(milliseconds(1500)));
    WsClient late;
    const auto connected = Clock::now();
    REQUIRE(late.connect(server.ws_url()));
    auto first = late.next_message(milliseconds(3000));
    REQUIRE(first);
    // "At once": well before the early client's next tick would have carried it.
    CHECK(ms(first->received - connected) < 1200);
}

TEST_CASE("300 clients all get their ticks, and a witness keeps its schedule, no drift, no burst") {
    ServerProcess server("step11_server", {"--port", "0", "--interval-ms", "100"});
    WsCrowd crowd(server.port(), 300);
    REQUIRE(crowd.wait_open(milliseconds(20000)) == 300);
    WsClient witness;
    REQUIRE(witness.connect(server.ws_url()));
    const auto times = ticks(witness, 21);
    REQUIRE(crowd.wait_messages(5, milliseconds(20000)));
    // 20 intervals of 100 ms: 2 s on a fixed schedule. Generous bounds for a busy machine;
    // the lower one catches a burst, the upper one a schedule that drifts or stalls.
    const long long elapsed = ms(times.back() - times.front());
    CHECK(elapsed >= 1800);
    CHECK(elapsed < 4000);
    CHECK(server.lines(Stream::err).empty());
}

TEST_CASE("clients leaving, abruptly or not, take their queue entries with them") {
    ServerProcess server("step11_server", {"--port", "0", "--interval-ms", "100"});
    WsCrowd leaving(server.port(), 100);
    REQUIRE(leaving.wait_open(milliseconds(10000)) == 100);
    REQUIRE(leaving.wait_messages(2, milliseconds(10000)));
    WsClient stays;
    REQUIRE(stays.connect(server.ws_url()));
    leaving.reset_all();
    for (int i = 0; i < 100; ++i) server.wait_for_line(Stream::out, "closed: ", milliseconds(10000));
    // The one left is still on its schedule.
    while (stays.next_message(milliseconds(0))) {
    }
    const auto times = ticks(stays, 6);
    CHECK(ms(times.back() - times.front()) >= 450);
    CHECK(server.has_printed(Stream::out, "clients: 1)"));
    CHECK(server.lines(Stream::err).empty());
    server.send_signal(SIGTERM);
    CHECK(server.wait_exit(milliseconds(5000)) == 0);
}
