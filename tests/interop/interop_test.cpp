// Interop with code nobody here wrote (label interop): final_server against
// Python's websockets, Node's ws and headless Chromium; final_client and step
// 07's client against Python and Node servers. The peers are the scripts beside
// this file, each the plain use of its library; scripts/interop.sh installs
// the libraries. A missing peer skips its test (exit 77) unless
// WSTEST_INTEROP_REQUIRED is set, as scripts/interop.sh does: then it fails.
#include "program.hpp"
#include "tick.hpp"
#include "peers.hpp"

#include "catch_compat.hpp"

#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <algorithm>
#include <iostream>
#include <regex>
#include <string>
#include <vector>

using namespace wstest;

namespace {

// Debian's python3, whose websockets module comes from python3-websockets (a
// python3 found first on PATH may be another one, without it).
// -B everywhere: no __pycache__ written into the source tree.
const std::string python = "/usr/bin/python3";

std::string peer(const std::string& file) { return std::string(WSTEST_INTEROP_DIR) + "/" + file; }

void require_python_websockets() { require_peer(runs_ok(python, {"-c", "import websockets"}), "python3-websockets"); }

// Node with Debian's node-ws (in /usr/share/nodejs); a ws installed with npm
// next to the scripts is found first, by Node's usual lookup.
std::vector<std::string> node_args(std::vector<std::string> args) {
    args.insert(args.begin(), {"NODE_PATH=/usr/share/nodejs", "node"});
    return args;
}
void require_node_ws() { require_peer(runs_ok("/usr/bin/env", node_args({"-e", "require('ws')"})), "node and node-ws"); }

// ---- what the client peers print: "open", "message MS TEXT", "closed CODE REASON"

struct PeerMessage {
    long long ms = 0;  // since the connection opened, by the peer's clock
    std::string text;
};

struct PeerReport {
    bool opened = false;
    std::vector<PeerMessage> messages;
    std::vector<std::string> binary;
    std::optional<int> close_code;
    std::string close_rest;  // the reason, and what else the peer says about the close
};

PeerReport parse_report(const std::vector<std::string>& lines) {
    PeerReport report;
    static const std::regex message(R"(^(message|binary) (-?\d+) (.*)$)");
    static const std::regex closed(R"(^closed (\d+) ?(.*)$)");
    std::smatch match;
    for (const auto& line : lines) {
        if (line == "open") {
            report.opened = true;
        } else if (std::regex_match(line, match, message)) {
            if (match[1] == "message")
                report.messages.push_back({std::stoll(match[2]), match[3]});
            else
                report.binary.push_back(match[3]);
        } else if (std::regex_match(line, match, closed)) {
            report.close_code = std::stoi(match[1]);
            report.close_rest = match[2];
        }
    }
    return report;
}

constexpr long long interval_ms = 250;
constexpr std::size_t tick_count = 6;
// Where a tick may arrive, as the peer measured it from its open: never before
// its due time (open + k intervals) but for clock granularity, and less than
// two intervals after it. The test is about interop, and the peers (a browser
// among them) run on a machine that may be busy with other tests; step 06's
// tests and scripts/mutants.sh hold the schedule to account.
constexpr long long early_ms = 20;
constexpr long long late_ms = 2 * interval_ms;

std::vector<std::string> server_args() {
    return {"--port", "0", "--interval-ms", std::to_string(interval_ms)};
}

// The first message at once, then one per interval from there, drift-free.
void check_ticks_on_schedule(const PeerReport& report, const std::string& transcript) {
    INFO(transcript);
    REQUIRE(report.opened);
    CHECK(report.binary.empty());
    REQUIRE(report.messages.size() == tick_count);
    for (std::size_t k = 0; k < report.messages.size(); ++k) {
        const auto& message = report.messages[k];
        INFO("tick " << k << " at " << message.ms << " ms: " << message.text);
        CHECK(is_tick(message.text));
        const long long due = static_cast<long long>(k) * interval_ms;
        CHECK(message.ms >= due - early_ms);
        CHECK(message.ms < due + late_ms);
    }
}

// The peer closed with 1000 after its ticks; the server answered with 1000 and said so.
void check_clean_close(const PeerReport& report, ServerProcess& server, const std::string& transcript) {
    INFO(transcript);
    CHECK(report.close_code == 1000);
    server.wait_for_line(Stream::out, "(code 1000");
}

// ---- headless Chromium

// Chromium logs console messages on stderr as
//   [...:INFO:CONSOLE:13] "interop: message 12 C++ Rocks -> ...", source: file:///... (13)
std::vector<std::string> console_reports(const std::vector<std::string>& lines) {
    std::vector<std::string> reports;
    const std::string start = "\"interop: ", end = "\", source: ";
    for (const auto& line : lines) {
        const std::size_t from = line.find(start), to = line.rfind(end);
        if (from != std::string::npos && to != std::string::npos && to > from)
            reports.push_back(line.substr(from + start.size(), to - from - start.size()));
    }
    return reports;
}

// ---- clients of this project against third-party servers

// The messages of messages.py / node_server.js.
std::string counted(std::size_t size) {
    std::string text;
    for (std::size_t i = 0; i < size / 8; ++i) {
        const std::string number = std::to_string(i);  // "%07zu,": at most 7 digits here
        text += std::string(7 - std::min<std::size_t>(7, number.size()), '0') + number + ",";
    }
    return text;
}

std::vector<std::string> expected_messages(const std::string& library) {
    return {"hello from " + library, counted(64 * 1024), "UTF-8: naïve café, Ελληνικά, 日本語, emoji 🎉🚀",
            counted(1024 * 1024)};
}

// Where `expected` stands in `lines` as consecutive lines, or npos.
std::size_t find_run(const std::vector<std::string>& lines, const std::vector<std::string>& expected) {
    if (expected.empty() || lines.size() < expected.size()) return std::string::npos;
    for (std::size_t start = 0; start + expected.size() <= lines.size(); ++start)
        if (std::equal(expected.begin(), expected.end(), lines.begin() + static_cast<std::ptrdiff_t>(start)))
            return start;
    return std::string::npos;
}

// Shortens a transcript with 1 MiB lines to something a failure can show.
std::string short_transcript(const Program& program) {
    std::string text;
    for (Stream stream : {Stream::out, Stream::err}) {
        text += stream == Stream::out ? "--- stdout:\n" : "--- stderr:\n";
        for (const auto& line : program.lines(stream))
            text += (line.size() > 120 ? line.substr(0, 120) + "... (" + std::to_string(line.size()) + " bytes)"
                                       : line) +
                    "\n";
    }
    return text;
}

void client_prints_every_message_and_exits_0(const std::string& client, ServerProcess& server,
                                             const std::string& library) {
    Program program(client, {server.ws_url()});
    const auto exit_code = program.wait_exit(milliseconds(20000));
    REQUIRE(program.wait_output_closed());
    INFO(short_transcript(program) << "--- server:\n" << server.transcript());
    CHECK(exit_code == 0);
    const auto expected = expected_messages(library);
    CHECK(find_run(program.lines(Stream::out), expected) != std::string::npos);
    // The client answered the server's Close, as RFC 6455 section 5.5.1 asks.
    server.wait_for_line(Stream::out, "client answered Close 1000");
}

void client_follows_rfc_6455(const std::string& client) {
    ServerProcess server(python, {"-B", peer("py_rfc_server.py")});
    Program program(client, {server.ws_url()});
    const auto exit_code = program.wait_exit(milliseconds(20000));
    REQUIRE(program.wait_output_closed());
    INFO(program.transcript() << "--- server:\n" << server.transcript());
    CHECK(exit_code == 0);
    // A Pong with the Ping's payload, before and in the middle of a fragmented message.
    server.wait_for_line(Stream::out, "pong 1 received");
    server.wait_for_line(Stream::out, "pong 2 received");
    // The three fragments as one message.
    CHECK(find_run(program.lines(Stream::out), {"fragmented message: one, two, three"}) != std::string::npos);
    // The Close answered, and its reason shown to the user.
    server.wait_for_line(Stream::out, "client answered Close 1000");
    const std::string everything = program.transcript();
    CHECK(everything.find("RFC test over") != std::string::npos);
}

}  // namespace

// ---- final_server and third-party clients

TEST_CASE("a Python websockets client gets the ticks on schedule and a clean close") {
    require_python_websockets();
    ServerProcess server("final_server", server_args());
    Program client(python, {"-B", peer("py_client.py"), server.ws_url(), std::to_string(tick_count)});
    REQUIRE(client.wait_exit(milliseconds(20000)) == 0);
    REQUIRE(client.wait_output_closed());
    const PeerReport report = parse_report(client.lines(Stream::out));
    check_ticks_on_schedule(report, client.transcript());
    check_clean_close(report, server, client.transcript());
}

TEST_CASE("a Node ws client gets the ticks on schedule and a clean close") {
    require_node_ws();
    ServerProcess server("final_server", server_args());
    Program client("/usr/bin/env", node_args({peer("node_client.js"), server.ws_url(), std::to_string(tick_count)}));
    REQUIRE(client.wait_exit(milliseconds(20000)) == 0);
    REQUIRE(client.wait_output_closed());
    const PeerReport report = parse_report(client.lines(Stream::out));
    check_ticks_on_schedule(report, client.transcript());
    check_clean_close(report, server, client.transcript());
}

// Runs `page` (a file in this folder, given ?url=...&count=...) in headless
// Chromium until the page closes its window: what it printed on the console.
std::vector<std::string> run_in_chromium(const std::string& page, const std::string& query) {
    const std::string chromium = find_on_path("chromium");
    require_peer(!chromium.empty(), "chromium");
    TempDir home("wstest-chromium");  // before the browser: removed after it has gone
    // A HOME of its own too: Chromium's crash handler keeps its database there.
    Program browser("/usr/bin/env", {"HOME=" + home.path(), chromium, "--headless", "--no-sandbox",
                                     "--disable-gpu", "--disable-quic", "--no-first-run",
                                     "--disable-background-networking",
                                     "--disable-component-update", "--disable-sync",
                                     "--user-data-dir=" + home.path() + "/profile",
                                     "--enable-logging=stderr", "--v=0",
                                     "file://" + peer(page) + "?" + query});
    // The page closes its window after the close, and with it the browser.
    REQUIRE(browser.wait_exit(milliseconds(40000)) == 0);
    REQUIRE(browser.wait_output_closed());
    return console_reports(browser.lines(Stream::err));
}

TEST_CASE("headless Chromium's WebSocket gets the ticks on schedule and a clean close") {
    ServerProcess server("final_server", server_args());
    const auto lines = run_in_chromium("chromium_client.html", "url=" + server.ws_url() +
                                                               "&count=" + std::to_string(tick_count));
    const PeerReport report = parse_report(lines);
    std::string seen;
    for (const auto& line : lines) seen += line + "\n";
    check_ticks_on_schedule(report, "console of the page:\n" + seen);
    check_clean_close(report, server, "console of the page:\n" + seen);
    CHECK(report.close_rest.find("clean=true") != std::string::npos);
}

TEST_CASE("the chapters' devtools snippet, run in Chromium against step 06, logs what they say") {
    ServerProcess server("step06_server");
    const auto lines = run_in_chromium("devtools_snippet.html", "url=" + server.ws_url() + "&count=2");
    std::string seen;
    for (const auto& line : lines) seen += line + "\n";
    INFO("console of the page:\n" << seen);
    REQUIRE(lines.size() == 5);
    CHECK(lines[0] == "created CONNECTING");
    CHECK(lines[1] == "open OPEN");
    for (int k : {2, 3}) {
        CHECK(lines[k].rfind("message: ", 0) == 0);
        CHECK(is_tick(lines[k].substr(9, lines[k].size() - 9 - 5)));
        CHECK(lines[k].substr(lines[k].size() - 5) == " OPEN");
    }
    CHECK(lines[4] == "close: code 1000 reason \"bye\" clean true CLOSED");
}

TEST_CASE("on SIGTERM a Python websockets client gets Close 1001 and the server exits 0") {
    require_python_websockets();
    ServerProcess server("final_server", server_args());
    Program client(python, {"-B", peer("py_client.py"), server.ws_url(), "0"});
    client.wait_for_line(Stream::out, "message ");
    server.send_signal(SIGTERM);
    REQUIRE(client.wait_exit(milliseconds(10000)) == 0);
    REQUIRE(client.wait_output_closed());
    const PeerReport report = parse_report(client.lines(Stream::out));
    INFO(client.transcript() << server.transcript());
    CHECK(report.close_code == 1001);
    CHECK(server.wait_exit(milliseconds(5000)) == 0);
}

// ---- this project's clients and third-party servers

TEST_CASE("final_client prints every message from a Python websockets server intact and exits 0") {
    require_python_websockets();
    ServerProcess server(python, {"-B", peer("py_server.py")});
    client_prints_every_message_and_exits_0("final_client", server, "python websockets");
}

TEST_CASE("final_client prints every message from a Node ws server intact and exits 0") {
    require_node_ws();
    ServerProcess server("/usr/bin/env", node_args({peer("node_server.js")}));
    client_prints_every_message_and_exits_0("final_client", server, "node ws");
}

TEST_CASE("step 09's client prints every message from a Python websockets server intact and exits 0") {
    require_python_websockets();
    ServerProcess server(python, {"-B", peer("py_server.py")});
    client_prints_every_message_and_exits_0("step09_client", server, "python websockets");
}

TEST_CASE("step 09's client prints every message from a Node ws server intact and exits 0") {
    require_node_ws();
    ServerProcess server("/usr/bin/env", node_args({peer("node_server.js")}));
    client_prints_every_message_and_exits_0("step09_client", server, "node ws");
}

TEST_CASE("final_client answers a Ping, joins a fragmented message and answers a Close with a reason") {
    require_python_websockets();
    client_follows_rfc_6455("final_client");
}

TEST_CASE("step 09's client answers a Ping, joins a fragmented message and answers a Close with a reason") {
    require_python_websockets();
    client_follows_rfc_6455("step09_client");
}
