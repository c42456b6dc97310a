// Step 21 at scale (labels step21 and scale): several servers on one Redis
// Stream, clients that resume with ?since=<last ID> under the ticks.v1
// subprotocol, a server killed mid-stream, Redis restarted mid-stream, and
// entries from an outside publisher (redis-cli). A real redis-server runs for
// each test (tests/support/redis.hpp); missing, the tests are skipped unless
// WSTEST_INTEROP_REQUIRED is set. What is checked is a property (each client
// got every entry of its span exactly once, in order), never a latency.
#include "crowd.hpp"
#include "peers.hpp"
#include "program.hpp"
#include "redis.hpp"
#include "tcp.hpp"

#include "catch_compat.hpp"

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

using namespace wstest;

namespace {

// A busy 2-core machine: generous; never reached when all is well.
const milliseconds patience(20000);

std::vector<std::string> server_args(const RedisServer& redis) {
    return {"--port", "0", "--redis", redis.url()};
}

// A stream ID as the numbers it stands for: IDs compare as (ms, seq), not as text.
std::pair<std::uint64_t, std::uint64_t> id_value(const std::string& id) {
    const std::size_t dash = id.find('-');
    return {std::stoull(id.substr(0, dash)), std::stoull(id.substr(dash + 1))};
}

// The ID a message "<ID> <text>" starts with, or "" (a gap message, plain text).
std::string id_of(const std::string& message) {
    const std::string first = message.substr(0, message.find(' '));
    return is_stream_id(first) ? first : "";
}

std::string as_message(const StreamEntry& entry) { return entry.id + " " + entry.text; }

// What one client received against what the stream holds, from the first entry
// it received to the stream's end: that span, exactly once each, in order.
struct Delivery {
    std::size_t expected = 0;    // entries in its span
    std::size_t lost = 0;        // in its span, never received
    std::size_t duplicated = 0;  // received more than once (each extra copy)
    std::size_t disordered = 0;  // received after an entry that follows it in the stream
    std::size_t foreign = 0;     // not an entry of the stream as it is (or a wrong text)
    std::size_t gaps = 0;        // "gap ..." messages
    bool exact() const {
        return lost == 0 && duplicated == 0 && disordered == 0 && foreign == 0 && expected > 0;
    }
};

Delivery check_delivery(const std::vector<std::string>& messages,
                        const std::vector<StreamEntry>& stream) {
    std::map<std::string, std::size_t> position;  // ID -> index in the stream
    for (std::size_t i = 0; i < stream.size(); ++i) position[stream[i].id] = i;
    Delivery delivery;
    std::vector<std::size_t> copies(stream.size(), 0);
    std::optional<std::size_t> first, previous;
    for (const auto& message : messages) {
        if (message.rfind("gap ", 0) == 0) {
            ++delivery.gaps;
            continue;
        }
        const auto found = position.find(id_of(message));
        if (found == position.end() || message != as_message(stream[found->second])) {
            ++delivery.foreign;
            continue;
        }
        const std::size_t at = found->second;
        if (!first) first = at;
        if (copies[at]++ > 0) ++delivery.duplicated;
        else if (previous && at < *previous) ++delivery.disordered;
        previous = std::max(previous.value_or(at), at);
    }
    if (first) {
        delivery.expected = stream.size() - *first;
        for (std::size_t at = *first; at < stream.size(); ++at) delivery.lost += copies[at] == 0;
    }
    return delivery;
}

// The figures over many clients, and the first client that did not get its span exactly.
struct Tally {
    std::size_t clients = 0, exact = 0, expected = 0, lost = 0, duplicated = 0, disordered = 0,
                foreign = 0, gaps = 0;
    std::string first_problem;

    void add(const std::string& who, const Delivery& delivery,
             const std::vector<std::string>& messages) {
        ++clients;
        exact += delivery.exact();
        expected += delivery.expected;
        lost += delivery.lost;
        duplicated += delivery.duplicated;
        disordered += delivery.disordered;
        foreign += delivery.foreign;
        gaps += delivery.gaps;
        if (delivery.exact() || !first_problem.empty()) return;
        std::ostringstream text;
        text << who << ": span " << delivery.expected << ", lost " << delivery.lost
             << ", duplicated " << delivery.duplicated << ", out of order " << delivery.disordered
             << ", foreign " << delivery.foreign << "; it received " << messages.size()
             << " messages:";
        for (std::size_t i = 0; i < messages.size() && i < 400; ++i) text << "\n  " << messages[i];
        first_problem = text.str();
    }
    std::string summary(const std::string& what) const {
        std::ostringstream text;
        text << what << ": " << exact << " of " << clients << " clients got their span exactly ("
             << expected << " deliveries expected; lost " << lost << ", duplicated " << duplicated
             << ", out of order " << disordered << ", foreign " << foreign << ", gap messages "
             << gaps << ")";
        return text.str();
    }
};

// Shown when the test fails, and printed for a learner who runs ctest -V.
void report(const std::string& line) {
    std::cout << line << std::endl;
    UNSCOPED_INFO(line);
}

// The messages a step21_client --show-ids printed: its "<ID> <text>" lines.
std::vector<std::string> printed_entries(const Program& client) {
    std::vector<std::string> entries;
    for (const auto& line : client.lines(Stream::out))
        if (!id_of(line).empty()) entries.push_back(line);
    return entries;
}

WsCrowd::Options resuming_crowd() {
    WsCrowd::Options options;
    options.subprotocol = "ticks.v1";
    options.record_messages = true;
    options.reconnect = true;
    return options;
}

// Every client of the crowd has received the entry `id` (the stream's last).
bool all_reached(const WsCrowd& crowd, const std::string& id) {
    for (std::size_t i = 0; i < crowd.size(); ++i)
        if (crowd.last_id(i) != id) return false;
    return true;
}

// Until every client has `more` messages than `counts` says; if not in time,
// the test fails naming the clients that lack some and what they last got.
void wait_for_more(WsCrowd& crowd, const std::vector<std::size_t>& counts, std::size_t more) {
    const auto lacking = [&](std::size_t i) { return crowd.message_count(i) < counts[i] + more; };
    if (crowd.wait_until(
            [&] {
                for (std::size_t i = 0; i < crowd.size(); ++i)
                    if (lacking(i)) return false;
                return true;
            },
            patience))
        return;
    std::ostringstream text;
    std::size_t shown = 0, total = 0;
    for (std::size_t i = 0; i < crowd.size(); ++i) {
        if (!lacking(i)) continue;
        ++total;
        if (shown++ >= 10) continue;
        text << "\n  client " << i << " on port " << crowd.port(i)
             << (crowd.is_open(i) ? ", open" : ", closed")
             << ", reconnects " << crowd.reconnects(i) << ": " << counts[i] << " -> "
             << crowd.message_count(i) << " messages, last '" << crowd.last_message(i) << "'";
    }
    FAIL(total << " of " << crowd.size() << " clients did not get " << more
                << " more messages within " << patience.count() << " ms:" << text.str());
}

// The ID of the stream's newest entry ("0-0" if it is empty).
std::string newest_id(const RedisServer& redis) {
    const std::string id = redis.cli({"XREVRANGE", "ticks", "+", "-", "COUNT", "1"});
    return id.empty() ? "0-0" : id;
}

// The messages "<ID> <text>" a resume after `since` must bring: every entry of the
// stream after it that has a "text" field, in the stream's order. The stream is read
// as redis-cli prints it, three lines an entry, as each entry here has one field
// ("text", or another that the server passes over).
std::vector<std::string> text_messages_after(const RedisServer& redis, const std::string& since) {
    const auto lines = redis.cli_lines({"XRANGE", "ticks", "-", "+"});
    REQUIRE(lines.size() % 3 == 0);
    std::vector<std::string> messages;
    for (std::size_t i = 0; i < lines.size(); i += 3) {
        REQUIRE(is_stream_id(lines[i]));
        if (lines[i + 1] == "text" && id_value(lines[i]) > id_value(since))
            messages.push_back(lines[i] + " " + lines[i + 2]);
    }
    return messages;
}

// A crowd of one that resumes after `since` and does not reconnect: a Close
// (1008, too slow) ends it, rather than being hidden by a second resume.
WsCrowd::Options resume_once(const std::string& since) {
    WsCrowd::Options options = resuming_crowd();
    options.reconnect = false;
    options.path = "/?since=" + since;
    return options;
}

// Runs a Lua script in Redis (EVAL script 1 ticks args...): many XADDs in one go.
void eval_on_ticks(const RedisServer& redis, const std::string& script,
                   const std::vector<std::string>& args) {
    std::vector<std::string> command{"EVAL", script, "1", "ticks"};
    command.insert(command.end(), args.begin(), args.end());
    redis.cli_lines(command);
}

// A handshake asking for ticks.v1 and a resume after `since`, sent as raw bytes so
// that the HTTP answer itself can be read.
std::string resume_request(const std::string& since, unsigned short port) {
    std::string request = websocket_handshake_request("/?since=" + since, port);
    request.insert(request.size() - 2, "Sec-WebSocket-Protocol: ticks.v1\r\n");
    return request;
}

// Debian's python3, whose websockets module comes from python3-websockets.
const std::string python = "/usr/bin/python3";

// A plain Python websockets client (no subprotocol, no since): prints
// "open <subprotocol>", then "message <text>" for COUNT messages, and closes.
const std::string python_plain_client = R"(
import asyncio, sys, websockets
async def main(url, count):
    async with websockets.connect(url) as websocket:
        print("open", websocket.subprotocol, flush=True)
        for _ in range(count):
            print("message", await websocket.recv(), flush=True)
asyncio.run(main(sys.argv[1], int(sys.argv[2])))
)";

}  // namespace

TEST_CASE("failover: a server killed mid-stream, its clients resume on the others: "
          "0 lost, 0 duplicated") {
    require_redis();
    const auto started = Clock::now();
    RedisServer redis;
    std::vector<std::unique_ptr<ServerProcess>> servers;
    std::vector<unsigned short> ports;
    for (int i = 0; i < 3; ++i) {
        servers.push_back(std::make_unique<ServerProcess>("step21_server", server_args(redis)));
        ports.push_back(servers.back()->port());
    }
    for (auto& server : servers)
        server->wait_for_line(Stream::out, "redis: connected to", patience);

    // 300 clients, 100 per server; those of servers[0] lose it below.
    constexpr std::size_t crowd_size = 300;
    WsCrowd crowd(ports, crowd_size, resuming_crowd());
    REQUIRE(crowd.wait_open(patience) == crowd_size);
    std::size_t with_ticks = 0;
    for (std::size_t i = 0; i < crowd.size(); ++i)
        with_ticks += crowd.subprotocol(i) == "ticks.v1";
    CHECK(with_ticks == crowd_size);
    // And 3 of the tutorial's clients, on the server that dies first in their list.
    std::vector<std::unique_ptr<Program>> clients;
    for (int i = 0; i < 3; ++i) {
        clients.push_back(std::make_unique<Program>(
            "step21_client", std::vector<std::string>{servers[0]->ws_url(), "--reconnect",
                                                      servers[1]->ws_url(), servers[2]->ws_url(),
                                                      "--show-ids"}));
        clients.back()->wait_for_line(Stream::out, "Connected to", patience);
    }

    Program publisher("step21_publisher", {"--redis", redis.url(), "--interval-ms", "20"});
    publisher.wait_for_line(Stream::out, "publishing to", patience);

    // Mid-stream: every client has some entries, then servers[0] dies.
    REQUIRE(crowd.wait_messages(10, patience));
    for (auto& client : clients) client->wait_for_line(Stream::out, " C++ Rocks -> ", patience);
    const std::string newest_at_kill = newest_id(redis);
    servers[0]->send_signal(SIGKILL);
    REQUIRE(servers[0]->wait_exit(patience).has_value());
    // The crowd does nothing between calls: its 100 clients of servers[0] stay away
    // while the step21_clients come back and print 10 more entries each.
    for (auto& client : clients) {
        client->wait_for_line(Stream::out, "Connected to", patience);
        for (int i = 0; i < 10; ++i)
            client->wait_for_line(Stream::out, " C++ Rocks -> ", patience);
    }
    const std::string newest_away = newest_id(redis);

    // Driven again, the crowd's clients notice, and are back on the other two servers.
    const auto noticed = Clock::now();
    const unsigned short dead = ports[0];
    const bool moved = crowd.wait_until(
        [&] {
            for (std::size_t i = 0; i < crowd.size(); ++i) {
                if (!crowd.is_open(i) || crowd.port(i) == dead) return false;
                if (i % ports.size() == 0 && crowd.reconnects(i) == 0) return false;
            }
            return true;
        },
        patience);
    REQUIRE(moved);
    const auto recovered = Clock::now();

    // Some more entries for everyone after the move, then the publisher stops.
    std::vector<std::size_t> counts;
    for (std::size_t i = 0; i < crowd.size(); ++i) counts.push_back(crowd.message_count(i));
    wait_for_more(crowd, counts, 25);
    publisher.send_signal(SIGTERM);
    CHECK(publisher.wait_exit(patience) == 0);

    // The whole stream, then until everyone has its last entry.
    const std::vector<StreamEntry> stream = redis.xrange();
    REQUIRE(stream.size() >= 35);
    const std::string last = stream.back().id;
    CHECK(crowd.wait_until([&] { return all_reached(crowd, last); }, patience));
    for (auto& client : clients) client->wait_for_line(Stream::out, last + " ", patience);

    Tally crowd_tally;
    std::size_t moved_clients = 0;
    for (std::size_t i = 0; i < crowd.size(); ++i) {
        const auto& messages = crowd.messages(i);
        crowd_tally.add("crowd client " + std::to_string(i), check_delivery(messages, stream),
                        messages);
        moved_clients += crowd.reconnects(i) > 0;
    }
    Tally process_tally;
    for (std::size_t i = 0; i < clients.size(); ++i) {
        const auto entries = printed_entries(*clients[i]);
        process_tally.add("step21_client " + std::to_string(i), check_delivery(entries, stream),
                          entries);
    }
    const auto seconds = [](Clock::duration duration) {
        return std::to_string(std::chrono::duration_cast<milliseconds>(duration).count()) + " ms";
    };
    // Published while those 100 were away: only a resume could bring these.
    const auto away = std::count_if(stream.begin(), stream.end(), [&](const StreamEntry& entry) {
        return id_value(entry.id) > id_value(newest_at_kill) &&
               id_value(entry.id) <= id_value(newest_away);
    });
    report("stream: " + std::to_string(stream.size()) + " entries, one every 20 ms; " +
           std::to_string(away) + " published while the killed server's clients were away; " +
           std::to_string(moved_clients) + " crowd clients moved, all back within " +
           seconds(recovered - noticed) + "; the test ran " + seconds(Clock::now() - started));
    report(crowd_tally.summary("300 crowd clients (ticks.v1)"));
    report(process_tally.summary("3 step21_client --reconnect --show-ids"));
    INFO(crowd_tally.first_problem << process_tally.first_problem);
    CHECK(moved_clients == crowd_size / ports.size());
    CHECK(away > 0);
    CHECK(crowd_tally.lost == 0);
    CHECK(crowd_tally.duplicated == 0);
    CHECK(crowd_tally.exact == crowd_size);
    CHECK(process_tally.lost == 0);
    CHECK(process_tally.duplicated == 0);
    CHECK(process_tally.exact == clients.size());
    // Nobody resumed from a trimmed entry: the stream keeps 10,000.
    CHECK(crowd_tally.gaps == 0);
}

TEST_CASE("Redis restarted mid-stream: clients stay connected, and everything published "
          "once it is back reaches each of them once, in order") {
    require_redis();
    RedisServer redis;
    ServerProcess first("step21_server", server_args(redis));
    ServerProcess second("step21_server", server_args(redis));
    for (ServerProcess* server : {&first, &second})
        server->wait_for_line(Stream::out, "redis: connected to", patience);
    constexpr std::size_t crowd_size = 60;
    WsCrowd crowd({first.port(), second.port()}, crowd_size, resuming_crowd());
    REQUIRE(crowd.wait_open(patience) == crowd_size);

    Program publisher("step21_publisher", {"--redis", redis.url(), "--interval-ms", "20"});
    publisher.wait_for_line(Stream::out, "publishing to", patience);
    REQUIRE(crowd.wait_messages(5, patience));

    // A crash: without persistence the stream is gone, and the new one starts empty.
    redis.kill();
    for (ServerProcess* server : {&first, &second})
        server->wait_for_line(Stream::err, "unreachable", patience);
    redis.start();
    for (ServerProcess* server : {&first, &second})
        server->wait_for_line(Stream::out, "again", patience);

    std::vector<std::size_t> counts;
    for (std::size_t i = 0; i < crowd.size(); ++i) counts.push_back(crowd.message_count(i));
    wait_for_more(crowd, counts, 20);
    publisher.send_signal(SIGTERM);
    CHECK(publisher.wait_exit(patience) == 0);

    // The stream now holds exactly what was published after the restart.
    const std::vector<StreamEntry> after = redis.xrange();
    REQUIRE_FALSE(after.empty());
    CHECK(crowd.wait_until([&] { return all_reached(crowd, after.back().id); }, patience));

    Tally tally;
    std::size_t reconnects = 0, open = 0, in_order = 0, gaps = 0;
    for (std::size_t i = 0; i < crowd.size(); ++i) {
        reconnects += crowd.reconnects(i);
        open += crowd.is_open(i);
        // Over everything it received: each ID above the one before (none twice).
        const auto& messages = crowd.messages(i);
        std::vector<std::string> ids, since_restart;
        for (const auto& message : messages) {
            gaps += message.rfind("gap ", 0) == 0;
            const std::string id = id_of(message);
            if (id.empty()) continue;
            ids.push_back(id);
            if (id_value(id) >= id_value(after.front().id)) since_restart.push_back(message);
        }
        in_order += std::adjacent_find(ids.begin(), ids.end(), [](const auto& a, const auto& b) {
                        return id_value(a) >= id_value(b);
                    }) == ids.end();
        tally.add("crowd client " + std::to_string(i), check_delivery(since_restart, after),
                  messages);
    }
    // The servers' readers find their last entry gone from the new stream: every live
    // ticks.v1 client is told so, once ("gap <last> ..."), and then gets the new stream.
    report("after the restart: " + std::to_string(after.size()) + " entries published; " +
           std::to_string(gaps) + " gap messages over all clients");
    report(tally.summary(std::to_string(crowd_size) + " clients on 2 servers"));
    INFO(tally.first_problem);
    CHECK(open == crowd_size);
    CHECK(reconnects == 0);
    CHECK(gaps == crowd_size);  // said to each, once: not hidden, not on every entry
    CHECK(in_order == crowd_size);
    CHECK(tally.lost == 0);
    CHECK(tally.duplicated == 0);
    CHECK(tally.exact == crowd_size);
    // Everyone's span is the whole new stream: nothing published after the restart is missing.
    CHECK(tally.expected == crowd_size * after.size());
}

TEST_CASE("an outside publisher: redis-cli XADD reaches a resuming ticks.v1 client with IDs "
          "and a plain Python websockets client with the text only") {
    require_redis();
    require_peer(runs_ok(python, {"-c", "import websockets"}), "python3-websockets");
    RedisServer redis;
    ServerProcess server("step21_server", server_args(redis));
    server.wait_for_line(Stream::out, "redis: connected to", patience);
    const std::string one = redis.xadd("one");
    const std::string two = redis.xadd("two");
    const std::string three = redis.xadd("three");

    // Resumes after "one": first what it missed, then what comes.
    WsCrowd::Options options = resuming_crowd();
    options.path = "/?since=" + one;
    WsCrowd crowd(server.port(), 1, options);
    REQUIRE(crowd.wait_open(patience) == 1);
    CHECK(crowd.subprotocol(0) == "ticks.v1");
    REQUIRE(crowd.wait_messages(2, patience));
    Program plain(python, {"-c", python_plain_client, server.ws_url(), "2"});
    CHECK(plain.wait_for_line(Stream::out, "open", patience) == "open None");
    server.wait_for_line(Stream::out, "(clients: 2)", patience);  // both open server-side

    const std::string four = redis.xadd("four");
    const std::string five = redis.xadd("five");
    REQUIRE(crowd.wait_messages(4, patience));
    CHECK(crowd.messages(0) == std::vector<std::string>{two + " two", three + " three",
                                                        four + " four", five + " five"});
    REQUIRE(plain.wait_exit(patience) == 0);
    const auto lines = plain.lines(Stream::out);
    CHECK(std::vector<std::string>(lines.begin() + 1, lines.end()) ==
          std::vector<std::string>{"message four", "message five"});
}

TEST_CASE("a resume from an ID older than the retention gets one gap message, then the entries") {
    require_redis();
    RedisServer redis;
    ServerProcess server("step21_server", server_args(redis));
    server.wait_for_line(Stream::out, "redis: connected to", patience);
    std::vector<std::string> ids;  // ids[n - 1]: "entry n"
    for (int n = 1; n <= 10; ++n)
        ids.push_back(redis.xadd("entry " + std::to_string(n), "ticks", 3));
    REQUIRE(redis.xrange().size() == 3);  // MAXLEN 3: entries 8 to 10 are left

    WsCrowd::Options options = resuming_crowd();
    options.path = "/?since=" + ids[1];  // entry 2: trimmed long ago
    WsCrowd crowd(server.port(), 1, options);
    REQUIRE(crowd.wait_open(patience) == 1);
    REQUIRE(crowd.wait_messages(4, patience));
    server.wait_for_line(Stream::out, "(clients: 1)", patience);
    const std::string eleven = redis.xadd("entry 11", "ticks", 3);
    REQUIRE(crowd.wait_messages(5, patience));
    CHECK(crowd.messages(0) ==
          std::vector<std::string>{"gap " + ids[1] + " " + ids[7], ids[7] + " entry 8",
                                   ids[8] + " entry 9", ids[9] + " entry 10",
                                   eleven + " entry 11"});

    // An empty stream: "gap <since> -", then what comes next.
    redis.cli({"XTRIM", "ticks", "MAXLEN", "0"});
    options.path = "/?since=" + eleven;
    WsCrowd late(server.port(), 1, options);
    REQUIRE(late.wait_open(patience) == 1);
    REQUIRE(late.wait_messages(1, patience));
    server.wait_for_line(Stream::out, "(clients: 2)", patience);
    const std::string twelve = redis.xadd("entry 12");
    REQUIRE(late.wait_messages(2, patience));
    CHECK(late.messages(0) ==
          std::vector<std::string>{"gap " + eleven + " -", twelve + " entry 12"});
    CHECK(crowd.wait_messages(6, patience));
    CHECK(crowd.last_message(0) == twelve + " entry 12");  // no second gap for the first one
}

TEST_CASE("a resume over several pages, some entries without a text field, brings every "
          "text entry after since, in order") {
    require_redis();
    RedisServer redis;
    ServerProcess server("step21_server", server_args(redis));
    server.wait_for_line(Stream::out, "redis: connected to", patience);
    const std::string since = redis.xadd("before");
    // 2500 entries: every 7th, and a run of 1150 (longer than a page, be it of 100
    // entries or of 1000, wherever the pages begin), have the field "other" instead of
    // "text": the server sends nothing for them, and a page short of text entries
    // must not look like the end of the history.
    eval_on_ticks(redis, R"(
        for i = 1, 2500 do
            if i % 7 == 0 or (i > 1000 and i <= 2150) then
                redis.call('XADD', KEYS[1], '*', 'other', 'x')
            else
                redis.call('XADD', KEYS[1], '*', 'text', 'entry ' .. i)
            end
        end)",
                  {});
    std::vector<std::string> expected = text_messages_after(redis, since);
    REQUIRE(expected.size() > 1000);

    WsCrowd crowd(server.port(), 1, resume_once(since));
    REQUIRE(crowd.wait_open(patience) == 1);
    CHECK(crowd.wait_messages(expected.size(), patience));
    server.wait_for_line(Stream::out, "(clients: 1)", patience);
    const std::string live = redis.xadd("live");  // and then live: no gap, no duplicate
    expected.push_back(live + " live");
    CHECK(crowd.wait_until([&] { return crowd.last_id(0) == live; }, patience));
    INFO("received " << crowd.message_count(0) << " messages, last '" << crowd.last_message(0)
                     << "'");
    CHECK(crowd.messages(0) == expected);
    CHECK_FALSE(crowd.close_code(0).has_value());
}

TEST_CASE("a backlog larger than --max-buffered-bytes reaches a reading client whole, "
          "without a 1008") {
    require_redis();
    RedisServer redis;
    std::vector<std::string> args = server_args(redis);
    args.insert(args.end(), {"--max-buffered-bytes", "65536"});
    ServerProcess server("step21_server", args);
    server.wait_for_line(Stream::out, "redis: connected to", patience);
    const std::string since = redis.xadd("before");
    // 3000 entries of some 500 bytes: 1.5 MB, 23 times the limit.
    eval_on_ticks(redis, R"(
        for i = 1, tonumber(ARGV[1]) do
            redis.call('XADD', KEYS[1], '*', 'text',
                       string.format('entry %04d ', i) .. string.rep('x', 489))
        end)",
                  {"3000"});
    const std::vector<std::string> expected = text_messages_after(redis, since);
    REQUIRE(expected.size() == 3000);

    WsCrowd crowd(server.port(), 1, resume_once(since));
    REQUIRE(crowd.wait_open(patience) == 1);
    const bool all = crowd.wait_messages(expected.size(), patience);
    INFO("received " << crowd.message_count(0) << " of " << expected.size()
                     << " messages; close code "
                     << (crowd.close_code(0) ? std::to_string(*crowd.close_code(0)) : "none"));
    CHECK(all);
    CHECK(crowd.is_open(0));
    CHECK_FALSE(crowd.close_code(0).has_value());
    CHECK(crowd.messages(0) == expected);
    CHECK_FALSE(server.has_printed(Stream::out, "too slow"));
}

TEST_CASE("a since= handshake while the server's Redis reader is not live gets 503, "
          "not 101 then a Close") {
    require_redis();
    RedisServer redis(false);  // not running yet
    ServerProcess server("step21_server", server_args(redis));
    const HttpResponse not_started =
        http_request(server.port(), resume_request("1-0", server.port()));
    INFO(not_started.status_line << "\n" << not_started.body);
    CHECK(not_started.status == 503);

    redis.start();
    server.wait_for_line(Stream::out, "redis: connected to", patience);
    const std::string since = redis.xadd("one");
    redis.xadd("two");
    WsCrowd live(server.port(), 1, resume_once(since));  // live: the resume is served
    REQUIRE(live.wait_open(patience) == 1);
    CHECK(live.handshake_status(0) == 101);
    REQUIRE(live.wait_messages(1, patience));

    redis.kill();
    server.wait_for_line(Stream::err, "unreachable", patience);
    const HttpResponse down = http_request(server.port(), resume_request(since, server.port()));
    INFO(down.status_line << "\n" << down.body);
    CHECK(down.status == 503);
}
