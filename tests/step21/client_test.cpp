// Step 21's client (labels step21 and scale): the real step21_client against test
// servers this file controls (tests/support/ws.hpp), which select ticks.v1 or not,
// send "<id> <text>" and gap messages, drop the connection, and show the request
// the client made (its ?since=). Then against step21_server: over wss://, where each
// URL of the list is verified for its own host, and on a real Redis (skipped without
// redis-server, unless WSTEST_INTEROP_REQUIRED is set).
#include "../tls/tls_support.hpp"
#include "program.hpp"
#include "redis.hpp"
#include "tick.hpp"
#include "ws.hpp"

#include "catch_compat.hpp"

#include <csignal>
#include <optional>
#include <regex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace wstest;

namespace {

const milliseconds patience(15000);  // a busy 2-core machine: never reached when all is well

// The lines `client` printed on stdout after its first "Connected to" line,
// once it has exited with `code`.
std::vector<std::string> printed(Program& client, int code) {
    const auto exit_code = client.wait_exit(patience);
    INFO(client.transcript());
    REQUIRE(exit_code == code);
    REQUIRE(client.wait_output_closed());
    const std::vector<std::string> lines = client.lines(Stream::out);
    REQUIRE_FALSE(lines.empty());
    CHECK_THAT(lines.front(), contains_text("Connected to "));
    return std::vector<std::string>(lines.begin() + 1, lines.end());
}

// A test server that selects ticks.v1, as step21_server does with --redis.
struct TicksServer : WsTestServer {
    TicksServer() { select_subprotocol("ticks.v1"); }
};

// Two URLs nothing listens on (the servers that had them are gone); two at once,
// so that the second cannot get the port the first just gave back.
std::vector<std::string> closed_urls() {
    std::optional<WsTestServer> first(std::in_place), second(std::in_place);
    std::vector<std::string> urls{first->url(), second->url()};
    first.reset();
    second.reset();
    return urls;
}

// Its lines on stderr that begin with "gap:".
std::vector<std::string> gap_lines(const Program& client) {
    std::vector<std::string> gaps;
    for (const auto& line : client.lines(Stream::err))
        if (line.rfind("gap:", 0) == 0) gaps.push_back(line);
    return gaps;
}

// "reconnecting in 431 ms (attempt 2)" -> 431
long reconnect_delay_ms(const std::string& line) {
    static const std::regex format(R"(^reconnecting in (\d+) ms \(attempt (\d+)\)$)");
    std::smatch match;
    if (!std::regex_match(line, match, format))
        throw std::runtime_error("not a reconnect line: " + line);
    return std::stol(match[1]);
}

}  // namespace

TEST_CASE("step21_client offers ticks.v1, and when it is selected the ID is stripped") {
    TicksServer server;
    Program client("step21_client", {server.url(), "--count", "2"});
    REQUIRE(server.wait_open(patience));
    CHECK(server.request_header("Sec-WebSocket-Protocol") == "ticks.v1");
    CHECK(server.request_resource() == "/");  // the first connection asks for nothing old
    server.send_text("1764709200000-0 C++ Rocks -> 2026-12-02 21:00:00");
    server.send_text("1764709201000-0 hello, world");
    CHECK(printed(client, 0) ==
          std::vector<std::string>{"C++ Rocks -> 2026-12-02 21:00:00", "hello, world"});
}

TEST_CASE("step21_client --show-ids prints each entry as <id> <text>") {
    TicksServer server;
    Program client("step21_client", {server.url(), "--show-ids", "--count", "2"});
    REQUIRE(server.wait_open(patience));
    server.send_text("1764709200000-0 first");
    server.send_text("1764709200000-1 second");
    CHECK(printed(client, 0) ==
          std::vector<std::string>{"1764709200000-0 first", "1764709200000-1 second"});
}

TEST_CASE("an entry whose ID is not above the last one printed is dropped, and not counted") {
    TicksServer server;
    Program client("step21_client", {server.url(), "--show-ids", "--count", "3"});
    REQUIRE(server.wait_open(patience));
    // IDs compare as numbers: as text, "10-0" would sort before "9-0" and be dropped.
    for (const char* message : {"9-0 a", "9-0 a", "10-0 b", "9-5 old", "10-0 b", "10-1 c"})
        server.send_text(message);
    CHECK(printed(client, 0) == std::vector<std::string>{"9-0 a", "10-0 b", "10-1 c"});
}

TEST_CASE("a lost connection goes to the next URL at once, with ?since=<last id>, round robin") {
    TicksServer first, second, third;
    // The URL's path and query are kept, a since= of the user's replaced; no path gets "/".
    const std::string first_url = first.url("/ticks?since=1-0");
    const std::string second_url = second.url("/ticks?room=1");
    const std::string third_url = third.url("");
    Program client("step21_client",
                   {first_url, "--reconnect", second_url, third_url, "--show-ids"});
    REQUIRE(first.wait_open(patience));
    CHECK(first.request_resource() == "/ticks?since=1-0");  // the user's own, the first time
    first.send_text("5-0 one");
    first.send_text("6-0 two");
    client.wait_for_line(Stream::out, "6-0 two", patience);

    first.reset();  // a crash: no Close frame
    client.wait_for_line(Stream::err, "failing over to " + second_url + " (attempt 1)", patience);
    REQUIRE(second.wait_open(patience));
    CHECK(second.request_resource() == "/ticks?room=1&since=6-0");
    CHECK(second.request_header("Sec-WebSocket-Protocol") == "ticks.v1");
    second.send_text("6-0 two");  // what the client had already: the overlap of a resume
    second.send_text("7-0 three");
    client.wait_for_line(Stream::out, "Connected to " + second_url, patience);
    CHECK(client.wait_for_line(Stream::out, "7-0", patience) == "7-0 three");

    second.close(1001, "going away");  // a restart: worth coming back too
    REQUIRE(third.wait_open(patience));
    CHECK(third.request_resource() == "/?since=7-0");
    third.send_text("8-0 four");
    client.wait_for_line(Stream::out, "8-0 four", patience);

    // The end of the list wraps around to its start.
    third.reset();
    REQUIRE(first.wait_open(patience, 2));
    CHECK(first.request_resource() == "/ticks?since=8-0");
    CHECK_FALSE(client.has_printed(Stream::err, "reconnecting in"));  // no round failed

    client.wait_for_line(Stream::out, "Connected to " + first_url, patience);
    client.send_signal(SIGINT);
    CHECK(printed(client, 0) ==
          std::vector<std::string>{"5-0 one", "6-0 two", "Connected to " + second_url,
                                   "7-0 three", "Connected to " + third_url, "8-0 four",
                                   "Connected to " + first_url});
}

TEST_CASE("the client backs off only after every URL failed in a row, and Ctrl+C ends it with 0") {
    const std::vector<std::string> urls = closed_urls();
    const std::string& first = urls[0];
    const std::string& second = urls[1];
    Program client("step21_client", {first, "--reconnect", second});
    client.wait_for_line(Stream::err, "cannot connect to " + first, patience);
    client.wait_for_line(Stream::err, "failing over to " + second + " (attempt 1)", patience);
    client.wait_for_line(Stream::err, "cannot connect to " + second, patience);
    const long first_wait =
        reconnect_delay_ms(client.wait_for_line(Stream::err, "(attempt 2)", patience));
    client.wait_for_line(Stream::err, "cannot connect to " + first, patience);
    client.wait_for_line(Stream::err, "failing over to " + second + " (attempt 3)", patience);
    const long second_wait =
        reconnect_delay_ms(client.wait_for_line(Stream::err, "(attempt 4)", patience));
    // A random 75-100 % of 0.5 s after the first round, of 1 s after the second.
    CHECK(first_wait >= 375);
    CHECK(first_wait <= 500);
    CHECK(second_wait >= 750);
    CHECK(second_wait <= 1000);
    client.send_signal(SIGINT);
    REQUIRE(client.wait_exit(patience) == 0);
}

TEST_CASE("servers that accept and close at once (1013) are backed off from, not looped on") {
    TicksServer first, second;  // as step21_server might, its Redis reader not live yet
    first.close_on_open(1013, "try again later");
    second.close_on_open(1013, "try again later");
    Program client("step21_client", {first.url(), "--reconnect", second.url()});
    // A connection that opened but brought no message counts as failed: the rounds
    // back off (about 0.5 s, then 1 s), rather than hundreds of handshakes a second.
    std::this_thread::sleep_for(milliseconds(1500));
    const int handshakes = first.handshakes() + second.handshakes();
    CHECK(handshakes >= 2);
    CHECK(handshakes <= 10);
    const long first_wait =
        reconnect_delay_ms(client.wait_for_line(Stream::err, "(attempt 2)", patience));
    const long second_wait =
        reconnect_delay_ms(client.wait_for_line(Stream::err, "(attempt 4)", patience));
    CHECK(first_wait >= 375);
    CHECK(second_wait >= 750);
    client.send_signal(SIGINT);
    CHECK(client.wait_exit(patience) == 0);
}

TEST_CASE("the failures in a row start again at a connection's first message, not its opening") {
    TicksServer first, second;
    second.close_on_open(1013, "try again later");
    Program client("step21_client", {first.url(), "--reconnect", second.url()});
    REQUIRE(first.wait_open(patience));
    first.close(1013, "try again later");  // opened, no message: a failure
    client.wait_for_line(Stream::err, "failing over to " + second.url() + " (attempt 1)",
                         patience);
    client.wait_for_line(Stream::err, "(attempt 2)", patience);  // second failed too: a round
    REQUIRE(first.wait_open(patience, 2));
    first.close(1013, "try again later");
    client.wait_for_line(Stream::err, "failing over to " + second.url() + " (attempt 3)",
                         patience);
    client.wait_for_line(Stream::err, "(attempt 4)", patience);
    REQUIRE(first.wait_open(patience, 3));
    first.send_text("1-0 one");  // this connection works: the count starts again
    client.wait_for_line(Stream::out, "one", patience);
    first.close(1013, "try again later");
    client.wait_for_line(Stream::err, "failing over to " + second.url() + " (attempt 1)",
                         patience);
    client.send_signal(SIGINT);
    CHECK(client.wait_exit(patience) == 0);
}

TEST_CASE("a server's Close 1008 (too slow) is retried, resuming after the last entry") {
    TicksServer server;
    Program client("step21_client", {server.url(), "--reconnect", "--show-ids"});
    REQUIRE(server.wait_open(patience));
    server.send_text("5-0 five");
    client.wait_for_line(Stream::out, "5-0 five", patience);
    server.close(1008, "too slow");
    REQUIRE(server.wait_open(patience, 2));
    CHECK(server.request_resource() == "/?since=5-0");
    server.send_text("6-0 six");
    client.wait_for_line(Stream::out, "6-0 six", patience);
    client.send_signal(SIGINT);
    CHECK(client.wait_exit(patience) == 0);
}

TEST_CASE("an HTTP 4xx from one of several URLs moves on to the next, from one URL it is final") {
    WsTestServer refusing;  // e.g. a server without --redis, asked for since=
    refusing.refuse(400);
    TicksServer serving;
    Program client("step21_client",
                   {refusing.url(), "--reconnect", serving.url(), "--count", "2"});
    client.wait_for_line(Stream::err, "the server answered HTTP 400", patience);
    REQUIRE(serving.wait_open(patience));
    serving.send_text("1-0 one");
    serving.send_text("2-0 two");
    CHECK(printed(client, 0) == std::vector<std::string>{"one", "two"});
    CHECK(client.has_printed(Stream::err, "failing over to " + serving.url() + " (attempt 1)"));

    Program alone("step21_client", {refusing.url(), "--reconnect"});
    const auto code = alone.wait_exit(patience);
    INFO(alone.transcript());
    CHECK(code == 1);
    CHECK(refusing.handshakes() == 2);  // one from each client: the lone one did not retry
}

TEST_CASE("a gap is one line on stderr, is not counted, and the client goes on") {
    TicksServer server;
    Program client("step21_client", {server.url(), "--count", "3"});
    REQUIRE(server.wait_open(patience));
    server.send_text("5-0 five");
    server.send_text("gap 5-0 8-0");
    server.send_text("8-0 eight");
    server.send_text("gap 8-0 12-0");  // a second one is said too
    server.send_text("12-0 twelve");
    CHECK(printed(client, 0) == std::vector<std::string>{"five", "eight", "twelve"});
    CHECK(gap_lines(client) ==
          std::vector<std::string>{
              "gap: messages after 5-0 are no longer in the stream; resuming from 8-0",
              "gap: messages after 8-0 are no longer in the stream; resuming from 12-0"});
}

TEST_CASE("a gap in an empty stream says so") {
    TicksServer server;
    Program client("step21_client", {server.url(), "--count", "1"});
    REQUIRE(server.wait_open(patience));
    server.send_text("gap 5-0 -");
    server.send_text("9-0 nine");
    CHECK(printed(client, 0) == std::vector<std::string>{"nine"});
    CHECK(gap_lines(client) ==
          std::vector<std::string>{"gap: messages after 5-0 are no longer in the stream; "
                                   "resuming from the next one published"});
}

TEST_CASE("a server that selects no subprotocol gets its messages printed as they come") {
    WsTestServer server;  // an older server, or step21_server without --redis
    Program client("step21_client", {server.url(), "--reconnect", "--count", "4"});
    REQUIRE(server.wait_open(patience));
    CHECK(server.request_header("Sec-WebSocket-Protocol") == "ticks.v1");  // offered all the same
    server.send_text("C++ Rocks -> 2026-12-02 21:00:00");
    server.send_text("7-0 looks like an entry");
    client.wait_for_line(Stream::out, "7-0 looks like an entry", patience);

    // Back on the same URL (after the backoff of a round of one), without since=:
    // nothing came with an ID to resume after.
    server.reset();
    client.wait_for_line(Stream::err, "reconnecting in ", patience);
    REQUIRE(server.wait_open(patience, 2));
    CHECK(server.request_resource() == "/");
    server.send_text("7-0 looks like an entry");  // not an entry here: printed again
    server.send_text("gap 1-0 2-0");              // nor is this a gap
    CHECK(printed(client, 0) ==
          std::vector<std::string>{"C++ Rocks -> 2026-12-02 21:00:00", "7-0 looks like an entry",
                                   "Connected to " + server.url(), "7-0 looks like an entry",
                                   "gap 1-0 2-0"});
}

TEST_CASE("step21_client: usage") {
    SECTION("--help prints the usage on stdout and exits 0") {
        Program client("step21_client", {"--help"});
        REQUIRE(client.wait_exit(patience) == 0);
        REQUIRE(client.wait_output_closed());
        CHECK(client.has_printed(Stream::out, "[--reconnect [URL...]]"));
        CHECK(client.has_printed(Stream::out, "--show-ids"));
    }
    SECTION("bad usage is one line on stderr and exit code 2") {
        const std::vector<std::vector<std::string>> bad_command_lines{
            {"--bogus"},
            {"ws://localhost:1/", "ws://localhost:2/"},  // more URLs only after --reconnect
            {"--reconnect", "ws://localhost:1/", "not a url"},
            {"ws://localhost:1/", "--reconnect", "wss://localhost:2/"},  // one client, one kind
            {"--count", "0", "--show-ids"}};
        for (const auto& args : bad_command_lines) {
            Program client("step21_client", args);
            INFO(client.transcript());
            REQUIRE(client.wait_exit(patience) == 2);
            REQUIRE(client.wait_output_closed());
            CHECK(client.lines(Stream::err).size() == 1);
            CHECK(client.lines(Stream::out).empty());
        }
    }
}

TEST_CASE("against step21_server without --redis: nothing selected, the ticks print as before") {
    ServerProcess server("step21_server", {"--port", "0", "--interval-ms", "100"});
    Program client("step21_client", {server.ws_url(), "--count", "2"});
    const auto ticks = printed(client, 0);
    REQUIRE(ticks.size() == 2);
    for (const auto& tick : ticks) CHECK(is_tick(tick));
}

TEST_CASE("wss://: each URL's certificate is verified for that URL's host, name or IP") {
    tls::CertDir certs;
    certs.make({"--name", "127.0.0.1", "--out", "ip"});     // good for 127.0.0.1 only
    certs.make({"--name", "localhost", "--out", "named"});  // good for localhost only
    const auto server_args = [&](const std::string& base) {
        auto args = certs.server_args(base);
        args.insert(args.end(), {"--interval-ms", "100"});
        return args;
    };
    std::optional<ServerProcess> by_ip(std::in_place, "step21_server", server_args("ip"));
    std::optional<ServerProcess> named(std::in_place, "step21_server", server_args("named"));
    ServerProcess also_named("step21_server", server_args("named"));
    const auto url = [](const std::string& host, const ServerProcess& server) {
        return "wss://" + host + ":" + std::to_string(server.port()) + "/";
    };
    const std::string named_url = url("localhost", *named);

    // From an IP to a name: the second server is checked for localhost, not 127.0.0.1.
    Program client(
        "step21_client",
        {url("127.0.0.1", *by_ip), "--reconnect", named_url, "--ca-file", certs.path("ca.crt")});
    client.wait_for_line(Stream::out, "C++ Rocks -> ", patience);
    by_ip->send_signal(SIGKILL);
    by_ip.reset();
    client.wait_for_line(Stream::out, "Connected to " + named_url, patience);
    client.wait_for_line(Stream::out, "C++ Rocks -> ", patience);

    // From a name to an IP: checked for 127.0.0.1, which that certificate does not name.
    Program refused("step21_client", {named_url, "--reconnect", url("127.0.0.1", also_named),
                                      "--ca-file", certs.path("ca.crt")});
    refused.wait_for_line(Stream::out, "C++ Rocks -> ", patience);
    named->send_signal(SIGKILL);
    named.reset();
    CHECK(refused.wait_exit(patience) == 1);  // a refused certificate is not retried
    CHECK(refused.has_printed(Stream::err, "the server's certificate is not for 127.0.0.1"));

    client.send_signal(SIGINT);  // it was on the server killed second: retrying, and stopped
    CHECK(client.wait_exit(patience) == 0);
}

TEST_CASE("against step21_server on Redis: a client whose server dies resumes on the next one") {
    require_redis();
    RedisServer redis;
    const std::vector<std::string> args{"--port", "0", "--redis", redis.url()};
    std::optional<ServerProcess> first(std::in_place, "step21_server", args);
    ServerProcess second("step21_server", args);
    first->wait_for_line(Stream::out, "redis: connected to", patience);
    second.wait_for_line(Stream::out, "redis: connected to", patience);
    const std::string first_url = first->ws_url(), second_url = second.ws_url();
    Program client("step21_client", {first_url, "--reconnect", second_url, "--show-ids"});
    first->wait_for_line(Stream::out, "(clients: 1)", patience);  // open on its side too

    // "<id> <text>", as --show-ids prints it, for each entry added with XADD.
    std::vector<std::string> expected;
    const auto publish = [&](const std::string& text) {
        expected.push_back(redis.xadd(text) + " " + text);
    };
    for (const char* text : {"before 1", "before 2", "before 3"}) publish(text);
    client.wait_for_line(Stream::out, "before 3", patience);
    first->send_signal(SIGKILL);
    first->wait_exit(patience);
    first.reset();
    // Added while the client moves: it gets them from the next server's catch-up or
    // live, whichever way the race goes, each once.
    for (const char* text : {"away 1", "away 2", "away 3"}) publish(text);
    client.wait_for_line(Stream::out, "Connected to " + second_url, patience);
    for (const char* text : {"back 1", "back 2"}) publish(text);
    client.wait_for_line(Stream::out, "back 2", patience);
    client.send_signal(SIGINT);

    std::vector<std::string> entries;  // what it printed, less its "Connected to" lines
    for (const auto& line : printed(client, 0))
        if (line.rfind("Connected to ", 0) != 0) entries.push_back(line);
    CHECK(entries == expected);
    CHECK(client.has_printed(Stream::err, "failing over to " + second_url + " (attempt 1)"));
}

TEST_CASE("against step21_server on Redis: a since= the stream no longer has is a gap line") {
    require_redis();
    RedisServer redis;
    ServerProcess server("step21_server", {"--port", "0", "--redis", redis.url()});
    server.wait_for_line(Stream::out, "redis: connected to", patience);
    const std::string oldest = redis.xadd("one");
    redis.xadd("two");
    // The user's own since=, older than anything in the stream (as if trimmed away).
    Program client("step21_client", {server.ws_url("/?since=1-0"), "--count", "2"});
    CHECK(printed(client, 0) == std::vector<std::string>{"one", "two"});
    CHECK(gap_lines(client) ==
          std::vector<std::string>{"gap: messages after 1-0 are no longer in the stream; "
                                   "resuming from " + oldest});
}
