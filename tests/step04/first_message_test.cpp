// Step 04: on open the server sends one text message,
// "C++ Rocks -> YYYY-MM-DD HH:MM:SS" in local time, and nothing more.
#include "program.hpp"
#include "tick.hpp"
#include "ws.hpp"

#include "catch_compat.hpp"

#include <cstdlib>
#include <ctime>
#include <optional>
#include <string>

using namespace wstest;

namespace {

// Sets TZ for this process and the servers it starts, restoring it afterwards.
class TimeZone {
public:
    explicit TimeZone(const char* zone) {
        if (const char* old = std::getenv("TZ")) old_ = old;
        ::setenv("TZ", zone, 1);
        ::tzset();
    }
    ~TimeZone() {
        if (old_) ::setenv("TZ", old_->c_str(), 1);
        else ::unsetenv("TZ");
        ::tzset();
    }

private:
    std::optional<std::string> old_;
};

}  // namespace

TEST_CASE("exactly one text message arrives, and nothing more within 1.5 s") {
    ServerProcess server("step04_server");
    WsClient client;
    REQUIRE(client.connect(server.ws_url("/")));

    auto message = client.next_message(milliseconds(2000));
    REQUIRE(message);
    CHECK(message->is_text);
    INFO("message: " << message->payload);
    CHECK(tick_time(message->payload));

    CHECK_FALSE(client.next_message(milliseconds(1500)));
    client.close(1000);
    auto closed = client.wait_closed(milliseconds(5000));
    REQUIRE(closed);
    CHECK(closed->remote_code == 1000);
}

TEST_CASE("the message names the server's local time, on a 24-hour clock") {
    // Five and a half hours east of UTC, no daylight saving, no tz database
    // needed: a server that printed UTC, or a 12-hour clock, would be hours off.
    TimeZone zone("XST-5:30");
    ServerProcess server("step04_server");
    WsClient client;
    const std::time_t before = std::time(nullptr);
    REQUIRE(client.connect(server.ws_url("/")));
    auto message = client.next_message(milliseconds(2000));
    const std::time_t after = std::time(nullptr);
    REQUIRE(message);
    INFO("message: " << message->payload);
    auto stamp = tick_time(message->payload);
    REQUIRE(stamp);
    CHECK(*stamp >= before);
    CHECK(*stamp <= after);
}

TEST_CASE("every connection gets its own message") {
    ServerProcess server("step04_server");
    WsClient first, second;
    REQUIRE(first.connect(server.ws_url("/")));
    REQUIRE(second.connect(server.ws_url("/")));
    CHECK(first.next_message(milliseconds(2000)));
    CHECK(second.next_message(milliseconds(2000)));
    server.wait_for_line(Stream::out, "opened: ");
    server.wait_for_line(Stream::out, "opened: ");
}
