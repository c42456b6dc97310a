// A real redis-server for the tests on Redis (steps 20 and 21), and redis-cli
// to talk to it. It listens on a unix socket in a fresh temporary folder: no TCP
// port to pick and none to collide (redis-server cannot take port 0 and say
// which port it got). No persistence: a restart starts with an empty database,
// as a crash of a cache would. It dies with the test.
#pragma once

#include "peers.hpp"
#include "program.hpp"

#include "catch_compat.hpp"

#include <csignal>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <regex>
#include <string>
#include <vector>

namespace wstest {

inline const std::string& redis_server_path() {
    static const std::string path = find_on_path("redis-server");
    return path;
}

inline const std::string& redis_cli_path() {
    static const std::string path = find_on_path("redis-cli");
    return path;
}

// Called first thing in a test, while it has no children to leave behind:
// without redis-server or redis-cli the test is skipped, or fails when
// WSTEST_INTEROP_REQUIRED is set (scripts/interop.sh installs both).
inline void require_redis() {
    if (!redis_server_path().empty() && !redis_cli_path().empty()) return;
    if (std::getenv("WSTEST_INTEROP_REQUIRED")) FAIL("redis-server or redis-cli is missing");
    std::cout << "SKIPPED: redis-server or redis-cli is missing (apt-get install redis-server "
                 "redis-tools)"
              << std::endl;
    std::_Exit(skipped_exit_code);
}

// One entry of a stream whose entries have a single field, "text".
struct StreamEntry {
    std::string id;  // "<ms>-<seq>"
    std::string text;
    bool operator==(const StreamEntry& other) const {
        return id == other.id && text == other.text;
    }
};

// Whether `text` is a stream ID, <digits>-<digits>.
inline bool is_stream_id(const std::string& text) {
    static const std::regex id(R"(\d+-\d+)");
    return std::regex_match(text, id);
}

class RedisServer {
public:
    explicit RedisServer(bool start_now = true) {
        if (start_now) start();
    }
    ~RedisServer() { kill(); }
    RedisServer(const RedisServer&) = delete;
    RedisServer& operator=(const RedisServer&) = delete;

    std::string socket() const { return folder_.path() + "/redis.sock"; }
    std::string url() const { return "unix:" + socket(); }  // what --redis takes
    bool running() const { return process_.has_value(); }

    // Starts it (again: on the same socket), and returns once it accepts connections.
    void start() {
        if (process_) FAIL("redis-server is already running");
        process_.emplace(redis_server_path(),
                         std::vector<std::string>{"--port", "0", "--unixsocket", socket(),
                                                  "--save", "", "--appendonly", "no",
                                                  "--dir", folder_.path()});
        // Redis 7.0: "...ready to accept connections at PATH";
        // 7.2 and later: "Ready to accept connections unix".
        process_->wait_for_line(Stream::out, "ccept connections", milliseconds(10000));
    }
    // A clean shutdown (SIGTERM): Redis closes its clients' connections itself.
    // Without persistence it saves nothing. Killed if not gone within 10 s.
    void stop() {
        if (!process_) return;
        process_->send_signal(SIGTERM);
        if (!process_->wait_exit(milliseconds(10000))) {
            const std::string transcript = process_->transcript();
            kill();
            FAIL("redis-server ignored SIGTERM for 10 s:\n" << transcript);
        }
        process_.reset();
    }
    // A crash (SIGKILL), not a shutdown: the kernel closes every client's connection.
    void kill() {
        if (!process_) return;
        process_->send_signal(SIGKILL);
        process_->wait_exit(milliseconds(5000));
        process_.reset();
    }
    // Stopped (SIGTERM) and started again on the same socket, with an empty database.
    void restart() {
        stop();
        start();
    }

    // Runs redis-cli with `args`: every line it printed (its raw output: one
    // line per value, nested arrays flattened), or a failed test.
    std::vector<std::string> cli_lines(std::vector<std::string> args) const {
        args.insert(args.begin(), {"-s", socket()});
        Program program(redis_cli_path(), std::move(args));
        const auto code = program.wait_exit(milliseconds(10000));
        if (code != 0) FAIL("redis-cli failed:\n" << program.transcript());
        return program.lines(Stream::out);
    }
    // The first line of its output ("" if none).
    std::string cli(std::vector<std::string> args) const {
        const auto lines = cli_lines(std::move(args));
        return lines.empty() ? "" : lines.front();
    }

    // What anyone can do: XADD KEY [MAXLEN N] * text TEXT. Returns the new entry's ID.
    std::string xadd(const std::string& text, const std::string& key = "ticks",
                     std::optional<unsigned> maxlen = std::nullopt) const {
        std::vector<std::string> args{"XADD", key};
        if (maxlen) args.insert(args.end(), {"MAXLEN", std::to_string(*maxlen)});
        args.insert(args.end(), {"*", "text", text});
        const std::string id = cli(std::move(args));
        if (!is_stream_id(id)) FAIL("XADD answered '" << id << "', not an entry ID");
        return id;
    }
    // Step 20's name for it.
    void publish(const std::string& text) const { xadd(text); }

    // XRANGE KEY FROM TO: the entries, oldest first (each with the one field "text";
    // a text with a newline in it is not supported).
    std::vector<StreamEntry> xrange(const std::string& key = "ticks",
                                    const std::string& from = "-",
                                    const std::string& to = "+") const {
        auto lines = cli_lines({"XRANGE", key, from, to});
        if (lines.size() == 1 && lines.front().empty()) lines.clear();  // an empty array
        if (lines.size() % 3 != 0)
            FAIL("XRANGE: unexpected output of " << lines.size() << " lines");
        std::vector<StreamEntry> entries;
        for (std::size_t i = 0; i < lines.size(); i += 3) {
            if (!is_stream_id(lines[i]) || lines[i + 1] != "text")
                FAIL("XRANGE: expected '<id>' 'text' '<value>', got '"
                     << lines[i] << "' '" << lines[i + 1] << "'");
            entries.push_back({lines[i], lines[i + 2]});
        }
        return entries;
    }

    // The running server's output, e.g. to show it when a test fails.
    std::string transcript() const { return process_ ? process_->transcript() : "(not running)"; }

private:
    TempDir folder_{"wstest-redis"};  // first: it outlives the server writing in it
    std::optional<Program> process_;
};

}  // namespace wstest
