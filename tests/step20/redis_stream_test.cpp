// Step 20: with --redis the server reads a Redis Stream and sends each entry's
// "text" to its clients. A real redis-server runs for each test, on a unix
// socket in a fresh temporary folder, without persistence, and dies with it
// (tests/support/redis.hpp).
// Missing redis-server or redis-cli: the tests are skipped, unless
// WSTEST_INTEROP_REQUIRED is set (then they fail).
#include "program.hpp"
#include "redis.hpp"
#include "ws.hpp"

#include "catch_compat.hpp"

#include <string>
#include <vector>

using namespace wstest;

namespace {

ServerProcess start_server(const RedisServer& redis) {
    return ServerProcess("step20_server", {"--port", "0", "--redis", redis.url()});
}

// Up to `count` messages, all within `timeout`.
std::vector<std::string> receive(WsClient& client, std::size_t count, milliseconds timeout) {
    std::vector<std::string> texts;
    const auto deadline = Clock::now() + timeout;
    while (texts.size() < count && Clock::now() < deadline) {
        const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
        const auto message = client.next_message(left);
        if (!message) break;
        texts.push_back(message->payload);
    }
    return texts;
}

std::vector<std::string> numbered(const std::string& prefix, int from, int to) {
    std::vector<std::string> texts;
    for (int i = from; i <= to; ++i) texts.push_back(prefix + std::to_string(i));
    return texts;
}

std::size_t lines_containing(const Program& program, Stream stream, const std::string& text) {
    std::size_t count = 0;
    for (const auto& line : program.lines(stream)) count += line.find(text) != std::string::npos;
    return count;
}

const milliseconds patience(15000);  // a busy 2-core machine

}  // namespace

TEST_CASE("an entry added with redis-cli reaches every client of two servers") {
    require_redis();
    RedisServer redis;
    ServerProcess first = start_server(redis);
    ServerProcess second = start_server(redis);
    first.wait_for_line(Stream::out, "redis: connected to", patience);
    second.wait_for_line(Stream::out, "redis: connected to", patience);

    std::vector<std::unique_ptr<WsClient>> clients;
    for (ServerProcess* server : {&first, &second}) {
        for (int i = 0; i < 2; ++i) {
            clients.push_back(std::make_unique<WsClient>());
            REQUIRE(clients.back()->connect(server->ws_url(), patience));
        }
        server->wait_for_line(Stream::out, "(clients: 2)", patience);  // both open server-side
    }
    // With --redis nothing comes before the first entry: no tick of the server's own.
    CHECK_FALSE(clients.front()->next_message(milliseconds(300)));

    redis.publish("hello");
    redis.publish("world");
    for (auto& client : clients)
        CHECK(receive(*client, 2, patience) == std::vector<std::string>{"hello", "world"});
}

TEST_CASE("a dropped Redis connection resumes after the last entry: nothing lost, none twice") {
    require_redis();
    RedisServer redis;
    ServerProcess server = start_server(redis);
    server.wait_for_line(Stream::out, "redis: connected to", patience);
    WsClient client;
    REQUIRE(client.connect(server.ws_url(), patience));
    server.wait_for_line(Stream::out, "(clients: 1)", patience);

    for (const auto& text : numbered("before ", 1, 3)) redis.publish(text);
    CHECK(receive(client, 3, patience) == numbered("before ", 1, 3));
    // Redis closes the server's connection; the entries added before the server
    // is back must still reach the client, after the ones it already has.
    redis.cli({"CLIENT", "KILL", "TYPE", "normal"});
    for (const auto& text : numbered("while away ", 1, 5)) redis.publish(text);
    server.wait_for_line(Stream::err, "unreachable", patience);
    server.wait_for_line(Stream::out, "connected to " + redis.url() + " again", patience);
    for (const auto& text : numbered("after ", 1, 3)) redis.publish(text);

    std::vector<std::string> expected = numbered("while away ", 1, 5);
    for (const auto& text : numbered("after ", 1, 3)) expected.push_back(text);
    CHECK(receive(client, expected.size(), patience) == expected);
    CHECK_FALSE(client.next_message(milliseconds(300)));  // nothing twice
}

TEST_CASE("Redis restarted mid-stream: clients stay connected and get what follows, in order") {
    require_redis();
    RedisServer redis;
    ServerProcess server = start_server(redis);
    server.wait_for_line(Stream::out, "redis: connected to", patience);
    std::vector<std::unique_ptr<WsClient>> clients;
    for (int i = 0; i < 3; ++i) {
        clients.push_back(std::make_unique<WsClient>());
        REQUIRE(clients.back()->connect(server.ws_url(), patience));
    }
    server.wait_for_line(Stream::out, "(clients: 3)", patience);

    for (const auto& text : numbered("first ", 1, 3)) redis.publish(text);
    for (auto& client : clients) CHECK(receive(*client, 3, patience) == numbered("first ", 1, 3));

    redis.kill();  // a crash: without persistence the stream is gone too
    server.wait_for_line(Stream::err, "unreachable", patience);
    for (auto& client : clients) CHECK_FALSE(client->wait_closed(milliseconds(500)));
    redis.start();
    server.wait_for_line(Stream::out, "again", patience);
    for (const auto& text : numbered("second ", 1, 5)) redis.publish(text);

    for (auto& client : clients) {
        CHECK(receive(*client, 5, patience) == numbered("second ", 1, 5));
        CHECK_FALSE(client->next_message(milliseconds(200)));  // nothing twice
    }
    // Said once for the whole outage, however many retries it took.
    CHECK(lines_containing(server, Stream::err, "unreachable") == 1);
}

TEST_CASE("Redis not running at start: said in one line, clients served, messages once it is up") {
    require_redis();
    RedisServer redis(false);
    ServerProcess server = start_server(redis);
    const std::string line = server.wait_for_line(Stream::err, "unreachable", patience);
    CHECK_THAT(line, contains_text(redis.url()));

    WsClient client;
    REQUIRE(client.connect(server.ws_url(), patience));
    CHECK_FALSE(client.next_message(milliseconds(1500)));  // retries go on, silently
    CHECK(lines_containing(server, Stream::err, "unreachable") == 1);

    redis.start();
    server.wait_for_line(Stream::out, "redis: connected to", patience);
    redis.publish("at last");
    CHECK(receive(client, 1, patience) == std::vector<std::string>{"at last"});
    CHECK_FALSE(client.wait_closed(milliseconds(10)));
}

TEST_CASE("without --redis the server ticks itself as in step 18, and a bad --redis exits 2") {
    // No Redis needed: runs even where redis-server is missing.
    ServerProcess server("step20_server", {"--port", "0", "--interval-ms", "100"});
    WsClient client;
    REQUIRE(client.connect(server.ws_url(), patience));
    const auto first = client.next_message(patience);
    REQUIRE(first);
    CHECK_THAT(first->payload, contains_text("C++ Rocks -> "));

    for (const std::string url : {"http://localhost", "redis://", "redis://host:0", "unix:"}) {
        Program bad("step20_server", {"--redis", url});
        CHECK(bad.wait_exit(patience) == 2);
        CHECK(bad.has_printed(Stream::err, "--redis takes redis://HOST[:PORT] or unix:PATH"));
    }
}
