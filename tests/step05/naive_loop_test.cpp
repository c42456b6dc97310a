// Step 05: every connection gets a message at once, then another one a second
// after each send (the timer is re-armed from "now"), until it closes; closed
// connections are forgotten at once and the server keeps serving the others.
#include "program.hpp"
#include "tick.hpp"
#include "tick_stream.hpp"
#include "ws.hpp"

#include "catch_compat.hpp"

#include <csignal>
#include <ctime>
#include <string>
#include <thread>
#include <vector>

using namespace wstest;
using std::chrono::duration_cast;

namespace {

long long ms(Clock::duration duration) { return duration_cast<milliseconds>(duration).count(); }

std::string peer_of(const std::string& opened_line) {
    return opened_line.substr(std::string("opened: ").size());
}

}  // namespace

TEST_CASE("a message at once, then one about every second, in order") {
    ServerProcess server("step05_server");
    WsClient client;
    const auto connecting = Clock::now();
    REQUIRE(client.connect(server.ws_url("/")));
    const auto messages = receive_ticks(client, 4, milliseconds(3000));

    INFO("first message after " << ms(messages[0].received - connecting) << " ms");
    CHECK(messages[0].received - connecting < milliseconds(750));
    check_gaps(messages, milliseconds(750), milliseconds(2000));
    // Each message is made when it is sent, and the times it names never go back.
    for (std::size_t i = 1; i < messages.size(); ++i) {
        CHECK(*tick_time(messages[i].payload) >= *tick_time(messages[i - 1].payload));
    }
    const std::time_t stamp_span =
        *tick_time(messages[3].payload) - *tick_time(messages[0].payload);
    CHECK(stamp_span >= 2);
    CHECK(stamp_span <= 5);
}

TEST_CASE("after a stall the loop waits a full second from the late message: it re-arms from now") {
    ServerProcess server("step05_server");
    WsClient client;
    REQUIRE(client.connect(server.ws_url("/")));
    const auto first = receive_ticks(client, 2, milliseconds(3000));
    const auto opened = first[0].received;

    // Freeze the server from just after message 1 until 3.7 s after the open:
    // message 2 was due at about 2 s and cannot go out until then.
    server.send_signal(SIGSTOP);
    std::this_thread::sleep_until(opened + milliseconds(3700));
    server.send_signal(SIGCONT);
    const auto resumed = Clock::now();

    const auto late = receive_ticks(client, 1, milliseconds(3000))[0];
    INFO("late message " << ms(late.received - resumed) << " ms after the server resumed");
    CHECK(late.received - resumed < milliseconds(750));
    // A fixed schedule would send the next one at 4 s, about 0.3 s after the
    // late one. This loop counts its second from the late send: about 4.7 s.
    const auto next = receive_ticks(client, 1, milliseconds(3000))[0];
    const long long gap = ms(next.received - late.received);
    INFO("next message " << gap << " ms after the late one, " << ms(next.received - opened)
                         << " ms after the first");
    CHECK(gap >= 750);
    CHECK(gap <= 2000);
}

TEST_CASE("two clients at once each get their own loop") {
    ServerProcess server("step05_server");
    WsClient first;
    REQUIRE(first.connect(server.ws_url("/")));
    const auto first_opened = receive_ticks(first, 1, milliseconds(3000))[0].received;

    // Open the second one between the first one's messages, so a shared timer would show.
    std::this_thread::sleep_until(first_opened + milliseconds(500));
    WsClient second;
    const auto connecting = Clock::now();
    REQUIRE(second.connect(server.ws_url("/")));
    const auto second_messages = receive_ticks(second, 3, milliseconds(3000));
    INFO("second client's first message after " << ms(second_messages[0].received - connecting)
                                                << " ms");
    CHECK(second_messages[0].received - connecting < milliseconds(750));
    check_gaps(second_messages, milliseconds(750), milliseconds(2000));
    check_gaps(receive_ticks(first, 3, milliseconds(3000)), milliseconds(750), milliseconds(2000));
}

TEST_CASE("a client that closes cleanly is logged with its address, and its loop stops") {
    ServerProcess server("step05_server");
    WsClient leaving;
    REQUIRE(leaving.connect(server.ws_url("/")));
    const std::string peer = peer_of(server.wait_for_line(Stream::out, "opened: "));
    receive_ticks(leaving, 2, milliseconds(3000));
    leaving.close(1000);
    auto closed = leaving.wait_closed(milliseconds(5000));
    REQUIRE(closed);
    CHECK(closed->remote_code == 1000);
    CHECK(server.wait_for_line(Stream::out, "closed: ") == "closed: " + peer + " (code 1000)");

    WsClient next;
    REQUIRE(next.connect(server.ws_url("/")));
    check_gaps(receive_ticks(next, 3, milliseconds(3000)), milliseconds(750), milliseconds(2000));
    // The closed connection's timer would have fired twice by now.
    CHECK_FALSE(server.has_printed(Stream::err, "send failed"));
}

TEST_CASE("a client whose socket is reset is logged with 1006, and the others are undisturbed") {
    ServerProcess server("step05_server");
    WsClient bystander;
    REQUIRE(bystander.connect(server.ws_url("/")));
    server.wait_for_line(Stream::out, "opened: ");
    WsClient crashing;
    REQUIRE(crashing.connect(server.ws_url("/")));
    const std::string peer = peer_of(server.wait_for_line(Stream::out, "opened: "));
    receive_ticks(crashing, 1, milliseconds(3000));

    crashing.reset();  // an RST, no Close frame: a crashed client or a pulled cable
    CHECK(server.wait_for_line(Stream::out, "closed: ") == "closed: " + peer + " (code 1006)");
    check_gaps(receive_ticks(bystander, 4, milliseconds(3000)), milliseconds(750),
               milliseconds(2000));
    CHECK_FALSE(server.has_printed(Stream::err, "send failed"));
}

TEST_CASE("SIGTERM stops the naive loop's server with exit code 0 while clients are connected") {
    ServerProcess server("step05_server");
    WsClient client;
    REQUIRE(client.connect(server.ws_url("/")));
    receive_ticks(client, 1, milliseconds(3000));
    server.send_signal(SIGTERM);
    REQUIRE(server.wait_exit(milliseconds(2000)) == 0);
}
