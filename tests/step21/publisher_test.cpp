// Step 21's publisher: step21_publisher adds the tutorial's tick to a Redis
// Stream once per interval. A real redis-server runs for each test
// (tests/support/redis.hpp); the entries are read back with redis-cli XRANGE.
// What is checked: the text, the exact --count, the schedule (one phase, no
// burst of entries, not even after an outage), MAXLEN ~,
// the lines it prints when Redis is down and back, and its exit codes.
#include "program.hpp"
#include "redis.hpp"

#include "catch_compat.hpp"

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <regex>
#include <string>
#include <thread>
#include <vector>

using namespace wstest;

namespace {

const milliseconds patience(15000);  // a busy 2-core machine

Program start_publisher(const RedisServer& redis, std::vector<std::string> args) {
    args.insert(args.begin(), {"--redis", redis.url()});
    return Program("step21_publisher", std::move(args));
}

// The milliseconds part of an entry ID: when Redis added it (Redis's clock).
std::int64_t added_at(const StreamEntry& entry) {
    return std::stoll(entry.id.substr(0, entry.id.find('-')));
}

bool is_tick(const std::string& text) {
    static const std::regex tick(R"(C\+\+ Rocks -> \d{4}-\d\d-\d\d \d\d:\d\d:\d\d)");
    return std::regex_match(text, tick);
}

// No burst: no two consecutive entries closer than a tenth of an interval. Ticks
// sent together (caught up after a stall or an outage) are under a millisecond apart;
// a tick late by most of an interval (a busy machine), then one on time, is not a
// burst, and a looser bound than this would fail on a loaded 2-core machine.
void check_no_burst(const std::vector<StreamEntry>& entries, std::int64_t interval_ms) {
    for (std::size_t i = 1; i < entries.size(); ++i) {
        INFO("entries " << entries[i - 1].id << " and " << entries[i].id);
        CHECK(added_at(entries[i]) - added_at(entries[i - 1]) >= interval_ms / 10);
    }
}

// `offset` brought into (-interval/2, interval/2]: how far from the schedule's phase.
std::int64_t centred(std::int64_t offset, std::int64_t interval_ms) {
    offset %= interval_ms;
    if (offset > interval_ms / 2) offset -= interval_ms;
    if (offset <= -interval_ms / 2) offset += interval_ms;
    return offset;
}

std::size_t lines_containing(const Program& program, Stream stream, const std::string& text) {
    std::size_t count = 0;
    for (const auto& line : program.lines(stream)) count += line.find(text) != std::string::npos;
    return count;
}

}  // namespace

TEST_CASE("with --count N: N tick entries in the stream, on one drift-free schedule, then exit 0") {
    require_redis();
    RedisServer redis;
    const std::int64_t interval = 200;
    Program publisher = start_publisher(
        redis, {"--redis-stream", "clock", "--interval-ms", std::to_string(interval), "--count",
                "10"});
    CHECK(publisher.next_line(Stream::out, patience) ==
          "publishing to " + redis.url() + ", stream 'clock', every 200 ms");
    REQUIRE(publisher.wait_exit(patience) == 0);
    CHECK(publisher.has_printed(Stream::out, "stopped after 10 entries"));
    CHECK(publisher.lines(Stream::err).empty());

    const auto entries = redis.xrange("clock");
    REQUIRE(entries.size() == 10);  // exactly --count: acknowledged ones, none more
    CHECK(publisher.has_printed(Stream::out, "first entry " + entries.front().id));
    for (const auto& entry : entries) CHECK(is_tick(entry.text));
    check_no_burst(entries, interval);
    // Drift-free: every entry a whole number of intervals after the others, give or take
    // its own lateness, so all fall on one phase (a late tick does not shift the next).
    // The phase is the median offset, not the first entry's (which may be the late one),
    // and one entry may be far off it: on a loaded machine a single tick can be stalled
    // for tens of milliseconds. A drifting schedule moves every later entry off it.
    std::vector<std::int64_t> offsets;
    for (const auto& entry : entries)
        offsets.push_back(centred(added_at(entry) - added_at(entries.front()), interval));
    std::vector<std::int64_t> sorted = offsets;
    std::sort(sorted.begin(), sorted.end());
    const std::int64_t phase = sorted[sorted.size() / 2];
    std::size_t off_phase = 0;
    for (const std::int64_t offset : offsets) {
        const std::int64_t distance = centred(offset - phase, interval);
        off_phase += distance < -interval / 4 || distance > interval / 4;
    }
    INFO("offsets from the first entry's phase, ms: " << [&] {
        std::string list;
        for (const std::int64_t offset : offsets) list += std::to_string(offset) + ' ';
        return list;
    }());
    CHECK(off_phase <= 1);
}

TEST_CASE("with --maxlen N the stream is trimmed to about N entries (MAXLEN ~: whole blocks)") {
    require_redis();
    RedisServer redis;
    Program publisher =
        start_publisher(redis, {"--interval-ms", "5", "--maxlen", "10", "--count", "300"});
    REQUIRE(publisher.wait_exit(patience) == 0);
    const std::size_t length = std::stoul(redis.cli({"XLEN", "ticks"}));
    // Never fewer than asked for; more by up to a block (100 entries by default).
    CHECK(length >= 10);
    CHECK(length < 300);
    CHECK(length <= 10 + 100);
}

TEST_CASE("Redis not running at start: one line, and entries once it is up") {
    require_redis();
    RedisServer redis(false);
    Program publisher = start_publisher(redis, {"--interval-ms", "100", "--count", "3"});
    const std::string line = publisher.wait_for_line(Stream::err, "unreachable", patience);
    CHECK_THAT(line, contains_text(redis.url()));
    std::this_thread::sleep_for(milliseconds(1500));  // retries, silently
    CHECK(publisher.lines(Stream::err).size() == 1);

    redis.start();
    publisher.wait_for_line(Stream::out, "redis: connected to " + redis.url(), patience);
    REQUIRE(publisher.wait_exit(patience) == 0);
    const auto entries = redis.xrange();
    CHECK(entries.size() == 3);
    check_no_burst(entries, 100);  // the ticks skipped while it was down are not sent now
}

TEST_CASE("Redis restarted mid-run: one line each way, ticks skipped meanwhile, no burst") {
    require_redis();
    RedisServer redis;
    Program publisher = start_publisher(redis, {"--interval-ms", "100"});
    publisher.wait_for_line(Stream::out, "first entry", patience);
    std::this_thread::sleep_for(milliseconds(300));

    redis.kill();  // a crash; without persistence the stream is gone with it
    publisher.wait_for_line(Stream::err, "unreachable", patience);
    std::this_thread::sleep_for(milliseconds(1000));  // some ten ticks are due meanwhile
    redis.start();
    const std::string back = publisher.wait_for_line(Stream::out, "is back; entry ", patience);
    std::this_thread::sleep_for(milliseconds(1000));
    publisher.send_signal(SIGINT);
    REQUIRE(publisher.wait_exit(patience) == 0);
    CHECK(publisher.has_printed(Stream::out, "stopped after "));

    // The new Redis holds what was added since it started: from the entry the
    // "is back" line names, one every interval, nothing of the outage caught up.
    const auto entries = redis.xrange();
    REQUIRE(entries.size() >= 3);
    CHECK(back.substr(back.rfind(' ') + 1) == entries.front().id);
    CHECK(entries.size() <= 12);  // about 1 s at 100 ms
    check_no_burst(entries, 100);
    for (const auto& entry : entries) CHECK(is_tick(entry.text));
    CHECK(lines_containing(publisher, Stream::err, "unreachable") == 1);
    CHECK(lines_containing(publisher, Stream::out, "is back") == 1);
}

TEST_CASE("bad usage exits 2 with one line, and --help exits 0") {
    // No Redis needed: runs even where redis-server is missing.
    const std::vector<std::vector<std::string>> bad{
        {},                                             // --redis is required
        {"--redis"},                                    // without its value
        {"--redis", "http://localhost"},                // not redis:// or unix:
        {"--redis", "redis://host:0"},                  // no such port
        {"--redis", "unix:/tmp/r.sock", "--interval-ms", "0"},
        {"--redis", "unix:/tmp/r.sock", "--count", "many"},
        {"--redis", "unix:/tmp/r.sock", "--maxlen", "-1"},
        {"--redis", "unix:/tmp/r.sock", "--redis-stream", ""},
        {"--redis", "unix:/tmp/r.sock", "--interval", "100"},  // unknown option
    };
    for (const auto& args : bad) {
        Program publisher("step21_publisher", args);
        const auto code = publisher.wait_exit(patience);
        INFO(publisher.transcript());
        CHECK(code == 2);
        CHECK(publisher.lines(Stream::err).size() == 1);
        CHECK(publisher.lines(Stream::out).empty());
    }
    Program help("step21_publisher", {"--help"});
    CHECK(help.wait_exit(patience) == 0);
    CHECK(help.has_printed(Stream::out, "Usage: step21_publisher --redis URL"));
}
