// What the hostile-client tests share: final_server started for them, and a
// witness, a normal client that must keep getting its ticks on time whatever
// the hostile one does.
#pragma once

#include "frames.hpp"
#include "program.hpp"
#include "tick.hpp"
#include "tcp.hpp"
#include "ws.hpp"

#include "catch_compat.hpp"

#include <csignal>
#include <memory>
#include <string>
#include <vector>

namespace hostile {

using namespace wstest;

constexpr milliseconds interval{200};
// Short, so a hostile client that never finishes its handshake (or its Close)
// is dropped within the test.
constexpr milliseconds handshake_timeout{1000};

inline std::vector<std::string> server_args(std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"--port", "0", "--interval-ms", std::to_string(interval.count()),
                                  "--handshake-timeout-ms", std::to_string(handshake_timeout.count())};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
}

inline long long ms(Clock::duration duration) { return std::chrono::duration_cast<milliseconds>(duration).count(); }

// A normal client, connected before the hostile part of a test and checked
// after it: every gap between two ticks stays under three intervals. The
// server's schedule is fixed and it skips what it missed, so a tick late by L
// shows as a gap of interval + L, and a stall of S as a gap of S to S +
// interval. A server that the abuse stalls, even for one interval per bad
// frame or handshake, leaves gaps of many intervals; a busy machine delays a
// tick by tens of milliseconds, rarely by hundreds. scripts/mutants.sh checks
// that such a stalling server fails.
class Witness {
public:
    explicit Witness(const ServerProcess& server) {
        REQUIRE(client_.connect(server.ws_url()));
        auto first = client_.next_message(milliseconds(2000));
        REQUIRE(first);
        REQUIRE(is_tick(first->payload));
        ticks_.push_back(first->received);
    }

    // Waits for `more` further ticks, then checks every gap since the start.
    void check_on_schedule(std::size_t more = 2) {
        while (auto message = client_.next_message(milliseconds(0))) take(*message);  // what came meanwhile
        for (std::size_t i = 0; i < more; ++i) {
            auto message = client_.next_message(interval * 3);
            REQUIRE(message);
            take(*message);
        }
        long long worst = 0;
        for (std::size_t i = 1; i < ticks_.size(); ++i) worst = std::max(worst, ms(ticks_[i] - ticks_[i - 1]));
        INFO("the witness got " << ticks_.size() << " ticks; the longest gap was " << worst << " ms");
        CHECK(worst < 3 * interval.count());
    }

private:
    void take(const WsMessage& message) {
        CHECK(is_tick(message.payload));
        ticks_.push_back(message.received);
    }

    WsClient client_;
    std::vector<Clock::time_point> ticks_;
};

// The end of every hostile test: the server is still running, the witness
// kept its schedule, a newcomer is served, and SIGTERM still ends it cleanly
// (exit 0; in an ASan build also: no leak).
inline void check_server_unharmed(ServerProcess& server, Witness& witness) {
    INFO(server.transcript());
    REQUIRE_FALSE(server.wait_exit(milliseconds(0)));
    witness.check_on_schedule();
    {
        WsClient newcomer;
        REQUIRE(newcomer.connect(server.ws_url()));
        auto message = newcomer.next_message(milliseconds(2000));
        REQUIRE(message);
        CHECK(is_tick(message->payload));
    }
    server.send_signal(SIGTERM);
    CHECK(server.wait_exit(milliseconds(5000)) == 0);
}

}  // namespace hostile
