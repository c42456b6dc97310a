// Step 06: every connection gets a message at once, then one a second on a
// fixed schedule (open + k s) until it closes; closed connections are
// forgotten at once and the server keeps serving the others.
#include "program.hpp"
#include "tick.hpp"
#include "tick_stream.hpp"
#include "ws.hpp"

#include "catch_compat.hpp"

#include <csignal>
#include <ctime>
#include <optional>
#include <string>
#include <thread>
#include <vector>

using namespace wstest;
using std::chrono::duration_cast;

namespace {

long long ms(Clock::duration duration) { return duration_cast<milliseconds>(duration).count(); }

std::string peer_of(const std::string& opened_line) { return opened_line.substr(std::string("opened: ").size()); }

}  // namespace

TEST_CASE("messages arrive at once, then once a second, on schedule") {
    ServerProcess server("step06_server");
    WsClient client;
    const auto connecting = Clock::now();
    REQUIRE(client.connect(server.ws_url("/")));
    const auto messages = receive_ticks(client, 4, milliseconds(2000));

    INFO("first message after " << ms(messages[0].received - connecting) << " ms");
    CHECK(messages[0].received - connecting < milliseconds(750));
    check_gaps(messages, milliseconds(750), milliseconds(1250));
    const long long span = ms(messages[3].received - messages[0].received);
    INFO("fourth message " << span << " ms after the first");
    CHECK(span >= 2750);
    CHECK(span <= 3250);
    // Each message is made when it is sent, not once at open.
    const std::time_t stamp_span = *tick_time(messages[3].payload) - *tick_time(messages[0].payload);
    CHECK(stamp_span >= 2);
    CHECK(stamp_span <= 4);
}

TEST_CASE("a server that falls behind sends one late message, skips the missed ones, keeps its schedule") {
    ServerProcess server("step06_server");
    WsClient client;
    REQUIRE(client.connect(server.ws_url("/")));
    const auto first = receive_ticks(client, 2, milliseconds(2000));
    const auto opened = first[0].received;

    // Freeze the server from just after tick 1 to halfway between ticks 3 and
    // 4: ticks 2 and 3 fall due while it cannot run.
    server.send_signal(SIGSTOP);
    std::this_thread::sleep_until(opened + milliseconds(3500));
    server.send_signal(SIGCONT);
    const auto resumed = Clock::now();

    const auto late = receive_ticks(client, 1, milliseconds(2000))[0];
    INFO("late message " << ms(late.received - resumed) << " ms after the server resumed");
    CHECK(late.received - resumed < milliseconds(400));
    // A burst would bring tick 3 now too; a loop that waits a second from
    // "now" would bring it at 4.5 s. The schedule says 4 s after the open.
    const auto next = receive_ticks(client, 1, milliseconds(2000))[0];
    const long long due = ms(next.received - opened);
    INFO("next message " << due << " ms after the first");
    CHECK(due >= 3750);
    CHECK(due <= 4250);
}

TEST_CASE("two clients at once each get their own stream") {
    ServerProcess server("step06_server");
    WsClient first;
    REQUIRE(first.connect(server.ws_url("/")));
    const auto first_opened = receive_ticks(first, 1, milliseconds(2000))[0].received;

    // Open the second one between the first one's ticks, so a shared
    // schedule would show.
    std::this_thread::sleep_until(first_opened + milliseconds(500));
    WsClient second;
    const auto connecting = Clock::now();
    REQUIRE(second.connect(server.ws_url("/")));
    const auto second_messages = receive_ticks(second, 3, milliseconds(2000));
    INFO("second client's first message after " << ms(second_messages[0].received - connecting) << " ms");
    CHECK(second_messages[0].received - connecting < milliseconds(400));
    check_gaps(second_messages, milliseconds(750), milliseconds(1250));

    auto first_messages = receive_ticks(first, 3, milliseconds(2000));
    check_gaps(first_messages, milliseconds(750), milliseconds(1250));
    const long long offset = ms(second_messages[0].received - first_opened);
    INFO("second stream starts " << offset << " ms into the first");
    CHECK(offset >= 250);
    CHECK(offset <= 750);
}

TEST_CASE("a client that closes cleanly is logged, and the next client is served normally") {
    ServerProcess server("step06_server");
    WsClient leaving;
    REQUIRE(leaving.connect(server.ws_url("/")));
    const std::string peer = peer_of(server.wait_for_line(Stream::out, "opened: "));
    receive_ticks(leaving, 2, milliseconds(2000));
    leaving.close(1000);
    auto closed = leaving.wait_closed(milliseconds(5000));
    REQUIRE(closed);
    CHECK(closed->remote_code == 1000);
    CHECK(server.wait_for_line(Stream::out, "closed: ") == "closed: " + peer + " (code 1000)");

    WsClient next;
    REQUIRE(next.connect(server.ws_url("/")));
    check_gaps(receive_ticks(next, 3, milliseconds(2000)), milliseconds(750), milliseconds(1250));
    // The closed connection's timer would have fired twice by now.
    CHECK_FALSE(server.has_printed(Stream::err, "send failed"));
}

TEST_CASE("a client whose socket is reset is logged, and the server keeps serving") {
    ServerProcess server("step06_server");
    WsClient bystander;
    REQUIRE(bystander.connect(server.ws_url("/")));
    server.wait_for_line(Stream::out, "opened: ");
    WsClient crashing;
    REQUIRE(crashing.connect(server.ws_url("/")));
    const std::string peer = peer_of(server.wait_for_line(Stream::out, "opened: "));
    receive_ticks(crashing, 1, milliseconds(2000));

    crashing.reset();  // an RST, no Close frame: a crashed client or a pulled cable
    const auto reset_at = Clock::now();
    CHECK(server.wait_for_line(Stream::out, "closed: ") == "closed: " + peer + " (code 1006)");

    // The bystander's stream goes on undisturbed, through the reset and after it.
    const auto undisturbed = receive_ticks(bystander, 4, milliseconds(2000));
    check_gaps(undisturbed, milliseconds(750), milliseconds(1250));
    CHECK(undisturbed.back().received - reset_at > milliseconds(1000));
    WsClient next;
    REQUIRE(next.connect(server.ws_url("/")));
    check_gaps(receive_ticks(next, 2, milliseconds(2000)), milliseconds(750), milliseconds(1250));
    CHECK_FALSE(server.has_printed(Stream::err, "send failed"));
}

TEST_CASE("SIGTERM stops the server with exit code 0 while clients are connected") {
    ServerProcess server("step06_server");
    WsClient client;
    REQUIRE(client.connect(server.ws_url("/")));
    receive_ticks(client, 1, milliseconds(2000));
    server.send_signal(SIGTERM);
    REQUIRE(server.wait_exit(milliseconds(2000)) == 0);
}
