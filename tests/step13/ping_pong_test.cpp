// Step 13: every client is pinged; one that does not answer within the pong
// timeout is dropped, one that answers stays.
#include "crowd.hpp"
#include "program.hpp"
#include "tick.hpp"
#include "ws.hpp"

#include "catch_compat.hpp"

#include <string>
#include <vector>

using namespace wstest;

TEST_CASE("a client that answers no ping is dropped after the pong timeout, one that answers stays") {
    ServerProcess server("step13_server", {"--port", "0", "--interval-ms", "100",
                                           "--ping-interval-ms", "200", "--pong-timeout-ms", "100"});
    WsClient answers;  // websocketpp answers pings by itself
    REQUIRE(answers.connect(server.ws_url()));
    WsCrowd silent(server.port(), 1);
    REQUIRE(silent.wait_open(milliseconds(5000)) == 1);
    silent.set_reading(false);  // pings unread, so unanswered

    // 1006: no Close frame for a peer that does not answer; the cause is the timeout.
    const std::string line = server.wait_for_line(Stream::out, "timed out; clients: 1)");
    CHECK_THAT(line, contains_text("(code 1006"));
    while (answers.next_message(milliseconds(0))) {
    }
    CHECK(answers.next_message(milliseconds(1000)));
    CHECK_FALSE(answers.wait_closed(milliseconds(500)));
}

TEST_CASE("a client's Close code and the cause of an abrupt end are in the log") {
    ServerProcess server("step13_server", {"--port", "0"});
    WsClient polite;
    REQUIRE(polite.connect(server.ws_url()));
    polite.close(4000, "bye");
    REQUIRE(polite.wait_closed(milliseconds(5000)));
    server.wait_for_line(Stream::out, "(code 4000; clients: 0)");
    WsClient crashes;
    REQUIRE(crashes.connect(server.ws_url()));
    crashes.reset();
    CHECK_THAT(server.wait_for_line(Stream::out, "closed: "), contains_text("(code 1006, "));
}

TEST_CASE("a pong timeout not shorter than the ping interval is bad usage") {
    Program server("step13_server", {"--ping-interval-ms", "1000", "--pong-timeout-ms", "1000"});
    REQUIRE(server.wait_exit(milliseconds(5000)) == 2);
}
