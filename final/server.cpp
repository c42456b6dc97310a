// final/server.cpp — the finished server: step 21's, as it is.
//
// The tutorial's behaviour is unchanged: WebSocket on "/", 400 for plain HTTP
// there, "C++ Rocks -> <local time>" at once and then once per interval,
// drift-free. Around it, one chapter each (docs/10 to docs/21): options, one
// timer for many clients, limits, pings, a graceful shutdown, the origin check,
// TLS, and with --redis a Redis Stream shared by many servers, from which a
// client that offers ticks.v1 can resume anywhere (?since=<id>).
// Usage: final_server [--port N] [--redis URL [--redis-stream KEY]] [OPTIONS...]
// Exit codes: 0 stopped by a signal, 1 could not listen (or a bad cert or key), 2 bad usage.
#include <websocketpp/concurrency/none.hpp>
#include <websocketpp/config/asio.hpp>
#include <websocketpp/server.hpp>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <hiredis/async.h>  // hiredis: CMake links it to programs that name it

#include "redis_asio.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <csignal>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iostream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

struct Options {
    std::string host = "127.0.0.1";
    unsigned short port = 5065;
    milliseconds interval{1000};
    std::size_t max_message_bytes = 64 * 1024;
    std::size_t max_buffered_bytes = 1024 * 1024;
    std::size_t max_clients = 10000;
    milliseconds handshake_timeout{5000};
    milliseconds ping_interval{30000};
    milliseconds pong_timeout{10000};
    std::vector<std::string> allowed_origins;  // empty: any origin
    std::string tls_cert, tls_key;             // both or neither; empty: plain ws://
    std::string redis_url;                     // empty: the server ticks itself
    std::string redis_stream = "ticks";
    bool help = false;
};

std::string usage(const std::string& program) {
    return "Usage: " + program + R"( [--host ADDRESS] [--port N] [--tls-cert FILE --tls-key FILE]
       [--interval-ms N] [--redis URL [--redis-stream KEY]] [OPTIONS...]
Serves WebSocket on "/": every client gets "C++ Rocks -> <local time>" at once,
then once per interval, until it closes. Plain HTTP on "/" gets 400, other paths 404.
With --redis, every client gets instead the "text" field of each new entry of
a Redis Stream, from whoever adds it: redis-cli XADD ticks '*' text hello.
A client that offers the subprotocol ticks.v1 gets "<id> <text>", and can resume
with /?since=<id>: first what it missed, then the rest, each entry once.

  --host ADDRESS            IP address to listen on (default 127.0.0.1;
                            0.0.0.0 or :: for every interface)
  --port N                  TCP port (default 5065; 0 picks a free one)
  --tls-cert FILE           serve wss:// with this certificate (PEM; the server's
                            certificate first, then any intermediates)
  --tls-key FILE            the certificate's private key (PEM); both or neither
  --interval-ms N           time between two messages to a client (default 1000)
  --redis URL               read the messages from Redis: redis://HOST[:PORT]
                            or unix:PATH (a unix socket)
  --redis-stream KEY        the stream's key (default ticks)
  --max-message-bytes N     largest message taken from a client; a larger one
                            closes it with 1009 (default 65536)
  --max-buffered-bytes N    bytes queued for a client that does not read before
                            it is closed with 1008 (default 1048576)
  --max-clients N           clients served at once; more get 503 (default 10000)
  --allowed-origin ORIGIN   a web page from ORIGIN (e.g. https://example.com)
                            may connect; repeat for more. A browser's handshake
                            from any other origin gets 403; clients that send no
                            Origin (not browsers) are let in. Without this
                            option every origin is allowed.
  --help                    this text

Advanced (the defaults suit production):
  --ping-interval-ms N      time between two pings to a client (default 30000)
  --pong-timeout-ms N       a client that has not answered a ping by then is
                            dropped (default 10000)
  --handshake-timeout-ms N  a request not complete by then is dropped (default 5000)

SIGINT (Ctrl+C) or SIGTERM closes every client with 1001 and exits 0; a second
one exits at once.
Exit codes: 0 stopped by a signal, 1 could not listen (or a bad cert or key), 2 bad usage.
)";
}

struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// A whole number from min to max, or a UsageError that names the option.
unsigned long long number(const std::string& option, const std::string& text,
                          unsigned long long min, unsigned long long max) {
    unsigned long long value = 0;
    const char* end = text.data() + text.size();
    const auto [stop, error] = std::from_chars(text.data(), end, value);
    if (text.empty() || error != std::errc() || stop != end || value < min || value > max)
        throw UsageError(option + " takes a whole number from " + std::to_string(min) + " to " +
                         std::to_string(max) + ", not '" + text + "'");
    return value;
}

milliseconds duration(const std::string& option, const std::string& text) {
    return milliseconds(number(option, text, 1, 24ULL * 60 * 60 * 1000));  // 1 ms to a day
}

// A web origin as browsers send it: scheme://host[:port], lower case, no path.
std::string origin(const std::string& text) {
    std::string lower = text;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const std::size_t host = lower.find("://");
    const std::string scheme = lower.substr(0, host);
    if (host == std::string::npos || (scheme != "http" && scheme != "https") ||
        lower.size() == host + 3 || lower.find('/', host + 3) != std::string::npos)
        throw UsageError("--allowed-origin takes an origin like https://example.com, not '" +
                         text + "'");
    return lower;
}

// The log: one line per event on stdout, errors on stderr, each flushed at once.
void log_line(const std::string& line) { std::cout << line << std::endl; }
void log_error(const std::string& line) { std::cerr << line << std::endl; }

// #region stream_id
// A stream entry's ID, "<milliseconds>-<sequence>": Redis gives each new entry a
// greater one. Compared as two numbers: as strings, "999-0" would sort after "1000-0".
struct StreamId {
    unsigned long long ms = 0, seq = 0;
    friend bool operator<(const StreamId& a, const StreamId& b) {
        return a.ms < b.ms || (a.ms == b.ms && a.seq < b.seq);
    }
    friend bool operator==(const StreamId& a, const StreamId& b) {
        return a.ms == b.ms && a.seq == b.seq;
    }
    std::string str() const { return std::to_string(ms) + "-" + std::to_string(seq); }
};

std::optional<StreamId> stream_id(const std::string& text) {
    StreamId id;
    const char* end = text.data() + text.size();
    auto [dash, error] = std::from_chars(text.data(), end, id.ms);
    if (error != std::errc() || dash == end || *dash != '-') return std::nullopt;
    auto [last, seq_error] = std::from_chars(dash + 1, end, id.seq);
    if (seq_error != std::errc() || last != end || dash + 1 == end) return std::nullopt;
    return id;
}

// One entry as the servers use it: its ID and its "text" field.
struct Entry {
    StreamId id;
    std::string text;
};
// #endregion

// #region redis

// One entry of an XREAD or XRANGE reply: [id, [field, value, ...]]. Entries
// without a "text" field are not for us (anyone may write to the stream).
std::optional<Entry> entry_of(const redisReply* entry) {
    std::optional<StreamId> id = stream_id(entry->element[0]->str);
    const redisReply* fields = entry->element[1];
    for (std::size_t i = 0; id && i + 1 < fields->elements; i += 2)
        if (std::string(fields->element[i]->str, fields->element[i]->len) == "text")
            return Entry{*id, std::string(fields->element[i + 1]->str,
                                          fields->element[i + 1]->len)};
    return std::nullopt;
}

// Reads a Redis Stream and hands each entry's "text" field to `deliver`, in
// stream order, on the io thread. One connection, one command at a time:
//   XREAD BLOCK 5000 COUNT 100 STREAMS <key> <last ID seen>
// Each reply moves `last_id` on, so a reconnect (Redis restarted, network lost)
// resumes right after the last entry delivered: nothing skipped, nothing twice,
// unless the stream was trimmed past that entry meanwhile, which on_resume_check
// reports. (A reader more than MAXLEN entries behind while connected would skip
// silently too; at 100 entries per round trip, only a frozen server gets there.)
// The ID to start after is asked for once, at the first connect (the stream's
// newest entry, or 0-0): asking XREAD for "$" again on every round would skip
// what was added between two rounds.
class RedisStream {
public:
    using Deliver = std::function<void(const Entry&)>;
    // After an outage: `last` (the newest entry delivered) is gone from the stream, so
    // entries after it may be lost too; `first` is the oldest entry left, if any.
    using Gap = std::function<void(const StreamId& last, std::optional<StreamId> first)>;
    RedisStream(asio::io_context& io, RedisTarget target, std::string url, std::string key,
                Deliver deliver, Gap gap)
        : io_(io), target_(std::move(target)), url_(std::move(url)), key_(std::move(key)),
          deliver_(std::move(deliver)), gap_(std::move(gap)) {}
    RedisStream(const RedisStream&) = delete;
    RedisStream& operator=(const RedisStream&) = delete;
    ~RedisStream() { stop(); }

    void start() { connect(); }

    // Reading: connected, and it knows where in the stream it is. A resume is served
    // only then (see catch_up): before its first answer, the reader's starting point
    // is not known yet, and what comes before it would reach nobody.
    bool live() const { return context() && !down_ && !last_id_.empty(); }
    // The last entry read: every entry up to it has gone to the live clients.
    StreamId position() const { return stream_id(last_id_).value_or(StreamId{}); }

    // Frees the connection (hiredis runs the pending callback with no reply) and retries no more.
    void stop() {
        stopped_ = true;
        retry_timer_.cancel();
        deadline_.cancel();
        if (redisAsyncContext* context = this->context()) redisAsyncFree(context);
    }

private:
    static constexpr int block_ms = 5000;  // one XREAD waits this long for new entries
    static constexpr milliseconds first_retry{100}, last_retry{2000};

    void connect() {
        redisAsyncContext* context = redis_connect(target_);
        if (!context || context->err) {  // failed at once: no such socket file, bad address
            unreachable(context ? context->errstr : "out of memory");
            if (context) redisAsyncFree(context);  // hiredis 0.14 does not check for null
            return retry_later();
        }
        watch_ = redis_asio::attach(io_, context,
                                    [this](const std::string& reason) { on_gone(reason); });
        // Redis is back when it answers, not when TCP connects (anything may accept a
        // connection: a proxy, another service). PING answers at once; XREAD may wait.
        command(on_pong, "PING");
        if (last_id_.empty())
            command(on_newest, "XREVRANGE %s + - COUNT 1", key_.c_str());
        else if (last_id_ == "0-0")
            read_next();
        else  // is the last entry seen still there? If not, some may be lost: say so
            command(on_resume_check, "XRANGE %s %s + COUNT 1", key_.c_str(), last_id_.c_str());
        // TCP to an unreachable host can take minutes to fail: our own deadline for the
        // connect and PING (hiredis 1.x has connect timeouts, 0.14 does not).
        arm_deadline(milliseconds(2000));
    }

    // hiredis's callbacks are plain C functions: privdata brings back the object.
    static void on_pong(redisAsyncContext*, void* reply_ptr, void* self_ptr) {
        auto* self = static_cast<RedisStream*>(self_ptr);
        const auto* reply = static_cast<redisReply*>(reply_ptr);
        if (!reply) return;  // the connection is going: on_gone follows
        if (reply->type == REDIS_REPLY_ERROR) return self->fail(reply);  // NOAUTH, say
        self->answered();
        self->arm_deadline(milliseconds(2 * block_ms));  // the XREAD queued behind PING
    }

    void answered() {
        if (!ever_connected_)
            log_line("redis: connected to " + url_ + ", reading stream '" + key_ + "'");
        else if (down_)
            log_line("redis: connected to " + url_ + " again; resuming stream '" + key_ +
                     "' after " + (last_id_.empty() ? "its newest entry" : last_id_));
        ever_connected_ = true;
        down_ = false;
    }

    template <class... Args>
    void command(redisCallbackFn* callback, const char* format, Args... args) {
        redisAsyncCommand(context(), callback, this, format, args...);
    }

    // The stream's newest ID, where reading starts: only what is added from now on.
    static void on_newest(redisAsyncContext*, void* reply_ptr, void* self_ptr) {
        auto* self = static_cast<RedisStream*>(self_ptr);
        const auto* reply = static_cast<redisReply*>(reply_ptr);
        if (!reply) return;  // the connection is going: on_gone follows
        if (reply->type != REDIS_REPLY_ARRAY) return self->fail(reply);
        self->retry_delay_ = first_retry;  // a working connection: the next outage starts over
        self->last_id_ = "0-0";  // no stream yet: every entry will be new
        if (reply->elements == 1 && reply->element[0]->elements == 2)
            self->last_id_ = reply->element[0]->element[0]->str;
        self->read_next();
    }

    // The entry at or after the last one seen: if it is another, the stream was
    // trimmed past it (or Redis restarted without its data) while we were away.
    static void on_resume_check(redisAsyncContext*, void* reply_ptr, void* self_ptr) {
        auto* self = static_cast<RedisStream*>(self_ptr);
        const auto* reply = static_cast<redisReply*>(reply_ptr);
        if (!reply) return;  // the connection is going: on_gone follows
        if (reply->type != REDIS_REPLY_ARRAY) return self->fail(reply);
        std::optional<StreamId> first;
        if (reply->elements == 1) first = stream_id(reply->element[0]->element[0]->str);
        const StreamId last = stream_id(self->last_id_).value_or(StreamId{});
        if (!first || !(*first == last)) self->gap_(last, first);
        self->read_next();
    }

    void read_next() {
        // A reply is due within block_ms; twice that without one means a dead connection.
        arm_deadline(milliseconds(2 * block_ms));
        command(on_entries, "XREAD BLOCK %d COUNT 100 STREAMS %s %s", block_ms, key_.c_str(),
                last_id_.c_str());
    }

    // [[key, [[id, [field, value, ...]], ...]]], or nil when BLOCK ran out.
    static void on_entries(redisAsyncContext*, void* reply_ptr, void* self_ptr) {
        auto* self = static_cast<RedisStream*>(self_ptr);
        const auto* reply = static_cast<redisReply*>(reply_ptr);
        if (!reply) return;
        self->retry_delay_ = first_retry;
        if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 1) {
            const redisReply* entries = reply->element[0]->element[1];
            for (std::size_t i = 0; i < entries->elements; ++i) self->take(entries->element[i]);
        } else if (reply->type != REDIS_REPLY_NIL) {
            return self->fail(reply);
        }
        if (!self->stopped_) self->read_next();
    }

    void take(const redisReply* entry) {
        last_id_.assign(entry->element[0]->str, entry->element[0]->len);
        if (auto taken = entry_of(entry)) deliver_(*taken);
    }

    // An error reply (NOAUTH; WRONGTYPE, the key is not a stream): drop the connection
    // and try again later, like any other failure. Said once per outage too (a
    // WRONGTYPE comes after PING's answer, so it is said again at every retry).
    void fail(const redisReply* reply) {
        if (!down_)
            log_error("redis: " + url_ + " answered: " +
                      (reply->type == REDIS_REPLY_ERROR ? reply->str : "an unexpected reply"));
        down_ = true;
        redisAsyncDisconnect(context());  // inside a callback: hiredis frees it after
    }

    void arm_deadline(milliseconds timeout) {
        deadline_.expires_after(timeout);
        deadline_.async_wait([this](const asio::error_code& ec) {
            if (ec) return;  // cancelled: `this` may be gone
            redisAsyncContext* context = this->context();
            if (!context) return;
            context->err = REDIS_ERR_OTHER;  // the reason cleanup reports
            std::snprintf(context->errstr, 64, "no answer in time");
            redisAsyncFree(context);  // outside any callback: freed now; on_gone follows
        });
    }

    // The context is gone (hiredis freed it): say so once per outage, then retry.
    void on_gone(const std::string& reason) {
        watch_.reset();
        deadline_.cancel();
        if (stopped_) return;
        unreachable(reason);
        retry_later();
    }

    void unreachable(const std::string& reason) {
        if (down_) return;  // said already: the retries are silent
        down_ = true;
        log_error("redis: " + url_ + " unreachable (" + reason +
                  "); clients stay connected; retrying");
    }

    // Exponential backoff from 100 ms to 2 s, with jitter: after a Redis restart,
    // many servers do not all come back in the same millisecond.
    void retry_later() {
        std::uniform_int_distribution<long> jitter(0, retry_delay_.count() / 4);
        retry_timer_.expires_after(retry_delay_ + milliseconds(jitter(random_)));
        retry_delay_ = std::min(retry_delay_ * 2, last_retry);
        retry_timer_.async_wait([this](const asio::error_code& ec) {
            if (!ec && !stopped_) connect();
        });
    }

    asio::io_context& io_;
    const RedisTarget target_;
    const std::string url_, key_;
    const Deliver deliver_;
    const Gap gap_;
    // hiredis's context, null once freed (hiredis may free it in any read).
    redisAsyncContext* context() const { return watch_ ? watch_->context : nullptr; }
    redis_asio::WatchPtr watch_;  // null while disconnected
    std::string last_id_;                   // empty until the first connect
    bool down_ = false, ever_connected_ = false, stopped_ = false;
    milliseconds retry_delay_ = first_retry;
    asio::steady_timer retry_timer_{io_}, deadline_{io_};
    std::minstd_rand random_{std::random_device{}()};
};
// #endregion

// #region history
// Reads what a resuming client missed: XRANGE <key> <from> + COUNT <n>, on a second
// connection (the reader's is blocked in XREAD). Connected when first needed and
// again after a failure; a failed read is reported to its caller (which closes that
// client, to come back later), never retried here. Replies come in request order.
class StreamHistory {
public:
    // One XRANGE reply. Entries without a "text" field are left out of `entries`, but
    // counted in `read` and `last_read`: a page is full, or not, by what Redis sent.
    struct Page {
        std::vector<Entry> entries;
        std::size_t read = 0;                // entries in the reply, text or not
        std::optional<StreamId> first_read;  // the reply's first and last IDs
        std::optional<StreamId> last_read;
    };
    // nullptr: no answer (Redis unreachable, or too slow); the reason is logged.
    using Done = std::function<void(const Page*)>;

    StreamHistory(asio::io_context& io, RedisTarget target, std::string key)
        : io_(io), target_(std::move(target)), key_(std::move(key)) {}
    StreamHistory(const StreamHistory&) = delete;
    StreamHistory& operator=(const StreamHistory&) = delete;
    ~StreamHistory() { stop(); }

    // Up to `count` entries from `from` on, `from` included if it is still there.
    void read(const StreamId& from, std::size_t count, Done done) {
        if (stopped_ || (!context() && !connect())) return done(nullptr);
        auto* request = new Done(std::move(done));  // hiredis's privdata; freed in on_reply
        const std::string from_text = from.str(), count_text = std::to_string(count);
        if (redisAsyncCommand(context(), on_reply, request, "XRANGE %s %s + COUNT %s",
                              key_.c_str(), from_text.c_str(), count_text.c_str()) != REDIS_OK) {
            std::unique_ptr<Done> failed(request);  // hiredis took nothing: it is closing
            return (*failed)(nullptr);
        }
        if (pending_++ == 0) arm_deadline();
    }

    // Pending reads get their `done(nullptr)` now; later ones at once.
    void stop() {
        stopped_ = true;
        deadline_.cancel();
        if (redisAsyncContext* context = this->context()) redisAsyncFree(context);
    }

private:
    bool connect() {
        redisAsyncContext* context = redis_connect(target_);
        if (!context || context->err) {
            log_error(std::string("redis: history read failed: ") +
                      (context ? context->errstr : "out of memory"));
            if (context) redisAsyncFree(context);  // hiredis 0.14 does not check for null
            return false;
        }
        context->data = this;  // for on_reply
        // A lost connection fails its pending reads (logged there); the next read reconnects.
        watch_ = redis_asio::attach(io_, context, [](const std::string&) {});
        return true;
    }

    static void on_reply(redisAsyncContext* context, void* reply_ptr, void* request_ptr) {
        std::unique_ptr<Done> done(static_cast<Done*>(request_ptr));
        auto* self = static_cast<StreamHistory*>(context->data);
        const auto* reply = static_cast<redisReply*>(reply_ptr);
        if (self && --self->pending_ == 0) self->deadline_.cancel();
        if (self) self->answered_ = true;
        if (!reply || reply->type != REDIS_REPLY_ARRAY) {
            if (reply) log_error(std::string("redis: history read answered: ") +
                                 (reply->type == REDIS_REPLY_ERROR ? reply->str : "unexpected"));
            return (*done)(nullptr);
        }
        Page page;
        page.read = reply->elements;
        for (std::size_t i = 0; i < reply->elements; ++i) {
            const redisReply* raw = reply->element[i];
            page.last_read = stream_id(raw->element[0]->str);
            if (i == 0) page.first_read = page.last_read;
            if (auto entry = entry_of(raw)) page.entries.push_back(std::move(*entry));
        }
        (*done)(&page);
    }

    // No answer at all for 5 s: the connection is dead (or Redis is stuck). Freeing
    // it fails every pending read; the next read connects again.
    void arm_deadline() {
        answered_ = false;
        deadline_.expires_after(std::chrono::seconds(5));
        deadline_.async_wait([this](const asio::error_code& ec) {
            if (ec) return;  // cancelled: `this` may be gone
            redisAsyncContext* context = this->context();
            if (!context || pending_ == 0) return;
            if (answered_) return arm_deadline();  // slow but alive
            log_error("redis: history read got no answer in time");
            redisAsyncFree(context);
        });
    }

    asio::io_context& io_;
    const RedisTarget target_;
    const std::string key_;
    redisAsyncContext* context() const { return watch_ ? watch_->context : nullptr; }
    redis_asio::WatchPtr watch_;  // null until the first read
    std::size_t pending_ = 0;
    bool answered_ = false, stopped_ = false;
    asio::steady_timer deadline_{io_};
};
// #endregion

// Every option is checked before the server starts: a typo is exit code 2, not a surprise later.
Options parse_options(int argc, char* argv[]) {
    Options options;
    for (int i = 1; i < argc; ++i) {
        std::string option = argv[i];
        std::optional<std::string> inline_value;  // "--port=0" as well as "--port 0"
        if (const std::size_t equals = option.find('='); equals != std::string::npos) {
            inline_value = option.substr(equals + 1);
            option.erase(equals);
        }
        const auto value = [&]() -> std::string {
            if (inline_value) return *inline_value;
            if (i + 1 == argc) throw UsageError(option + " needs a value");
            return argv[++i];
        };
        if (option == "--help") {
            if (inline_value) throw UsageError("--help takes no value");
            options.help = true;
        } else if (option == "--host") {
            options.host = value();
            asio::error_code ec;
            asio::ip::make_address(options.host, ec);
            if (ec)
                throw UsageError("--host takes an IP address (127.0.0.1, 0.0.0.0, ::1...), not '" +
                                 options.host + "'");
        } else if (option == "--port") {
            options.port = static_cast<unsigned short>(number(option, value(), 0, 65535));
        } else if (option == "--interval-ms") {
            options.interval = duration(option, value());
        } else if (option == "--max-message-bytes") {
            options.max_message_bytes = number(option, value(), 1, 1ULL << 30);
        } else if (option == "--max-buffered-bytes") {
            options.max_buffered_bytes = number(option, value(), 1, 1ULL << 34);
        } else if (option == "--max-clients") {
            options.max_clients = number(option, value(), 1, 1000000);
        } else if (option == "--handshake-timeout-ms") {
            options.handshake_timeout = duration(option, value());
        } else if (option == "--ping-interval-ms") {
            options.ping_interval = duration(option, value());
        } else if (option == "--pong-timeout-ms") {
            options.pong_timeout = duration(option, value());
        } else if (option == "--allowed-origin") {
            options.allowed_origins.push_back(origin(value()));
        } else if (option == "--redis") {
            options.redis_url = value();
            if (!redis_target(options.redis_url))
                throw UsageError("--redis takes redis://HOST[:PORT] or unix:PATH, not '" +
                                 options.redis_url + "'");
        } else if (option == "--redis-stream") {
            options.redis_stream = value();
            if (options.redis_stream.empty()) throw UsageError("--redis-stream needs a key");
        } else if (option == "--tls-cert" || option == "--tls-key") {
            (option == "--tls-cert" ? options.tls_cert : options.tls_key) = value();
        } else {
            throw UsageError("unknown option '" + option + "'");
        }
    }
    // A ping is answered (or not) before the next one goes out.
    if (options.pong_timeout >= options.ping_interval)
        throw UsageError("--pong-timeout-ms must be shorter than --ping-interval-ms");
    if (options.tls_cert.empty() != options.tls_key.empty())
        throw UsageError("--tls-cert and --tls-key go together");
    return options;
}


// websocketpp still speaks the drafts hybi-07 and -08 and hixie-76, and takes a
// handshake without Sec-WebSocket-Version (or with version 0) for hixie-76: it
// waits for 8 more bytes that draft sends after the headers, and answers 500
// when they are not there. The request type is part of the config, so this one,
// once the request is complete, makes any handshake but version 13 a plain HTTP
// request (no Upgrade): on_http then answers it with a 400 naming version 13.
struct Request : websocketpp::http::parser::request {
    std::size_t consume(const char* bytes, std::size_t length) {
        const std::size_t used = websocketpp::http::parser::request::consume(bytes, length);
        if (ready() && get_header("Sec-WebSocket-Version") != "13") remove_header("Upgrade");
        return used;
    }
};

// websocketpp's stock config, for many mostly idle clients on one io thread:
// no locks, and a 128-byte read buffer in every connection instead of 16 KiB.
// Base is config::asio (ws://) or config::asio_tls (wss://, the socket wrapped in TLS).
template <class Base>
struct ServerConfig : Base {
    using type = ServerConfig;
    using base = Base;
    using concurrency_type = websocketpp::concurrency::none;
    using request_type = Request;
    using elog_type = websocketpp::log::basic<concurrency_type, websocketpp::log::elevel>;
    using alog_type = websocketpp::log::basic<concurrency_type, websocketpp::log::alevel>;
    static const bool enable_multithreading = false;
    static const std::size_t connection_read_buffer_size = 128;
    struct transport_config : base::transport_config {
        using concurrency_type = type::concurrency_type;
        using request_type = type::request_type;
        using elog_type = type::elog_type;
        using alog_type = type::alog_type;
        static const bool enable_multithreading = false;
        // After a Close a TLS socket waits for the peer's close_notify, which websocketpp's
        // pending read swallows: always its 5 s timeout. Ours is sent; that is enough.
        static const long timeout_socket_shutdown = 250;
    };
    using transport_type = websocketpp::transport::asio::endpoint<transport_config>;
};
using PlainServer = websocketpp::server<ServerConfig<websocketpp::config::asio>>;
using TlsServer = websocketpp::server<ServerConfig<websocketpp::config::asio_tls>>;

// When each connection's next message is due, earliest first: one timer waits
// for the first entry, instead of one timer per connection.
using DueTimes = std::multimap<Clock::time_point, websocketpp::connection_hdl>;

// What the server remembers about each open connection, keyed by its handle.
// The handle is a weak pointer, compared with owner_less, so the map never
// keeps a closed connection alive.
struct Connection {
    // Read at open: by the time the close handler runs, the socket may be shut down.
    std::string peer;              // "127.0.0.1:51040"
    DueTimes::iterator next_tick;  // its entry in App::due_times, or due_times.end()
    bool awaiting_pong = false;    // pinged, and no pong since
    // #region resume_state
    bool resumable = false;     // speaks ticks.v1: gets "<id> <text>", may resume
    StreamId last_sent;         // ticks.v1: the newest entry sent; older ones are not resent
    bool catching_up = false;   // ?since=: reading the history; not sent live entries yet
    // #endregion
};
using Connections = std::map<websocketpp::connection_hdl, Connection,
                             std::owner_less<websocketpp::connection_hdl>>;

// Everything the handlers share. The io_context comes first, so that it is
// destroyed last: the server, its connections and every timer run on it.
// The handlers below are templates over it: AppFor<PlainServer> or AppFor<TlsServer>.
template <class Server>
struct AppFor {
    explicit AppFor(Options options) : options(std::move(options)) {}
    const Options options;
    asio::io_context io;
    Server server;
    Connections connections;
    DueTimes due_times;
    asio::steady_timer tick_timer{io};  // waits for due_times' first entry
    asio::steady_timer ping_timer{io};
    asio::steady_timer pong_deadline{io};  // the last ping's answers are due
    asio::steady_timer shutdown_deadline{io};
    asio::signal_set signals{io, SIGINT, SIGTERM};
    bool shutting_down = false;
    std::unique_ptr<RedisStream> redis;  // with --redis: the messages come from there
    std::unique_ptr<StreamHistory> history;  // with --redis: what resuming clients missed
};

// "C++ Rocks -> 2026-11-25 14:03:07": the article's message, local time, 24-hour clock.
std::string tick_message() {
    std::time_t now = std::time(nullptr);
    std::tm local{};
    localtime_r(&now, &local);  // std::localtime shares one static buffer between threads
    char text[64];
    std::strftime(text, sizeof text, "C++ Rocks -> %Y-%m-%d %H:%M:%S", &local);
    return text;
}

// #region since
// The request target: "/" or "/?since=<id>". The path decides 404; the query is ours.
std::string path_of(const std::string& resource) { return resource.substr(0, resource.find('?')); }

// The value of `since` in the query, if there is one ("" if it is empty).
std::optional<std::string> since_of(const std::string& resource) {
    const std::size_t query = resource.find('?');
    if (query == std::string::npos) return std::nullopt;
    std::size_t start = query + 1;
    while (start <= resource.size()) {
        const std::size_t end = std::min(resource.find('&', start), resource.size());
        if (resource.compare(start, 6, "since=") == 0 && start + 6 <= end)
            return resource.substr(start + 6, end - start - 6);
        start = end + 1;
    }
    return std::nullopt;
}

const std::string subprotocol = "ticks.v1";

bool offers_subprotocol(const std::vector<std::string>& offered) {
    return std::find(offered.begin(), offered.end(), subprotocol) != offered.end();
}
// #endregion

// Called for every request that is not a WebSocket handshake. Without this
// handler websocketpp would answer 426 Upgrade Required on every path.
template <class App>
void on_http(App& app, websocketpp::connection_hdl hdl) {
    websocketpp::lib::error_code ec;
    auto con = app.server.get_con_from_hdl(hdl, ec);
    if (ec) return;
    if (!con->get_request_header("Sec-WebSocket-Key").empty()) {
        // A handshake for another version, or none (see Request): RFC 6455 4.4 names ours.
        con->set_status(websocketpp::http::status_code::bad_request);
        con->replace_header("Sec-WebSocket-Version", "13");
        log_line("refused: " + con->get_remote_endpoint() + " (400: not WebSocket version 13)");
    } else if (path_of(con->get_resource()) == "/") {
        con->set_status(websocketpp::http::status_code::bad_request);
        con->set_body("This endpoint speaks WebSocket: connect with a WebSocket client.\n");
    } else {
        con->set_status(websocketpp::http::status_code::not_found);
        con->set_body("Not Found");
    }
}

// RFC 6455 4.2.1: the key is 16 random bytes in base64, so 22 base64 digits
// and "==". websocketpp hashes whatever it is given; a server must refuse it.
bool is_websocket_key(const std::string& key) {
    static const std::string digits =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    if (key.size() != 24 || key.compare(22, 2, "==") != 0) return false;
    // The last digit carries 2 bits of the 16th byte and 4 bits of padding, which must be zero.
    return key.find_first_not_of(digits) == 22 && digits.find(key[21]) % 16 == 0;
}

// A browser always says which page opened the connection; other clients send
// no Origin. A page from elsewhere could otherwise use the visitor's cookies.
bool origin_allowed(const Options& options, const std::string& origin) {
    if (options.allowed_origins.empty() || origin.empty()) return true;
    std::string lower = origin;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const auto& allowed = options.allowed_origins;
    return std::find(allowed.begin(), allowed.end(), lower) != allowed.end();
}

// #region resume_problem
// Why a handshake's ?since= cannot be served ("" when it can, or when there is none).
template <class App, class ConnectionPtr>
std::string resume_problem(const App& app, const ConnectionPtr& con) {
    const std::optional<std::string> since = since_of(con->get_resource());
    if (!since) return "";
    if (!app.redis) return "since= needs a server reading a stream (started with --redis)";
    if (!offers_subprotocol(con->get_requested_subprotocols()))
        return "since= needs Sec-WebSocket-Protocol: " + subprotocol;
    if (!stream_id(*since)) return "since= takes a stream ID such as 1764709200000-0";
    return "";
}
// #endregion

// Called for every WebSocket handshake, before it is answered: true accepts it (101).
template <class App>
bool on_validate(App& app, websocketpp::connection_hdl hdl) {
    websocketpp::lib::error_code ec;
    auto con = app.server.get_con_from_hdl(hdl, ec);
    if (ec) return false;
    std::string refusal;
    if (!is_websocket_key(con->get_request_header("Sec-WebSocket-Key"))) {
        con->set_status(websocketpp::http::status_code::bad_request);
        refusal = "400: malformed Sec-WebSocket-Key";
    } else if (path_of(con->get_resource()) != "/") {
        con->set_status(websocketpp::http::status_code::not_found);
        refusal = "404: no WebSocket on this path";
    } else if (const std::string problem = resume_problem(app, con); !problem.empty()) {
        con->set_status(websocketpp::http::status_code::bad_request);
        con->set_body(problem + "\n");
        refusal = "400: " + problem;
    } else if (since_of(con->get_resource()) && !app.redis->live()) {
        // Come back in a moment (a client backs off on 503), to this server or another.
        con->set_status(websocketpp::http::status_code::service_unavailable);
        refusal = "503: cannot resume now: Redis is not answering";
    } else if (!origin_allowed(app.options, con->get_request_header("Origin"))) {
        con->set_status(websocketpp::http::status_code::forbidden);
        refusal = "403: origin " + con->get_request_header("Origin") + " not allowed";
    } else if (app.shutting_down) {
        con->set_status(websocketpp::http::status_code::service_unavailable);
        refusal = "503: shutting down";
    } else if (app.connections.size() >= app.options.max_clients) {
        con->set_status(websocketpp::http::status_code::service_unavailable);
        refusal = "503: " + std::to_string(app.connections.size()) +
                  " clients already (--max-clients)";
    }
    if (!refusal.empty()) {
        log_line("refused: " + con->get_remote_endpoint() + " (" + refusal + ")");
        return false;
    }
    // ticks.v1 only where there is a stream to take IDs from: the 101 names it.
    if (app.redis && offers_subprotocol(con->get_requested_subprotocols()))
        con->select_subprotocol(subprotocol, ec);
    return true;
}

// A handshake that did not end in an open connection: refused above, timed
// out, broken, or a connection that could not even be accepted.
template <class App>
void on_fail(App& app, websocketpp::connection_hdl hdl) {
    websocketpp::lib::error_code ec;
    auto con = app.server.get_con_from_hdl(hdl, ec);
    if (ec) return;
    ec = con->get_ec();
    if (ec == std::errc::too_many_files_open || ec == std::errc::too_many_files_open_in_system) {
        // websocketpp retries the accept at once: report it once a second, not thousands of times.
        static Clock::time_point last_report;
        if (Clock::now() - last_report < std::chrono::seconds(1)) return;
        last_report = Clock::now();
        log_error("cannot accept a connection: " + ec.message() + " (" +
                  std::to_string(app.connections.size()) + " clients; see the open-files limit)");
        return;
    }
    if (ec == websocketpp::error::rejected) return;  // on_validate said why
    if (ec == asio::error::operation_aborted || ec == websocketpp::error::operation_canceled)
        return;  // the accept waiting for the next client, cancelled by the shutdown
    log_line("failed: " + con->get_remote_endpoint() + " (" + ec.message() + ")");
}

// websocketpp queues without limit: a client that stops reading would hold
// more memory with every message for it. Past the limit it is closed with 1008
// (and gets nothing more). Returns whether it is still within the limit.
template <class App, class ConnectionPtr>
bool within_send_limit(App& app, ConnectionPtr con, websocketpp::connection_hdl hdl) {
    if (con->get_buffered_amount() <= app.options.max_buffered_bytes) return true;
    if (con->get_state() == websocketpp::session::state::open) {
        log_line("too slow: " + app.connections.at(hdl).peer + " has " +
                 std::to_string(con->get_buffered_amount()) + " bytes queued; closing with 1008");
        websocketpp::lib::error_code ec;
        con->close(websocketpp::close::status::policy_violation, "too slow: messages not read", ec);
    }
    return false;
}

template <class App>
void send_text(App& app, websocketpp::connection_hdl hdl, const std::string& text) {
    websocketpp::lib::error_code ec;
    auto con = app.server.get_con_from_hdl(hdl, ec);
    if (ec) return;
    // connection::send returns its error: a failed send is reported here, never thrown.
    ec = con->send(text, websocketpp::frame::opcode::text);
    if (ec) {
        log_error("send to " + app.connections.at(hdl).peer + " failed: " + ec.message());
        return;
    }
    within_send_limit(app, con, hdl);
}

template <class App>
void send_tick(App& app, websocketpp::connection_hdl hdl) {
    send_text(app, hdl, tick_message());
}

// A close, from within_send_limit too, runs on_close later: the map stays as it is.
template <class App>
void send_if_open(App& app, websocketpp::connection_hdl hdl, const std::string& text) {
    websocketpp::lib::error_code ec;
    auto con = app.server.get_con_from_hdl(hdl, ec);
    if (!ec && con->get_state() == websocketpp::session::state::open) send_text(app, hdl, text);
}

// #region send_entry
// To a ticks.v1 client: "<id> <text>", once. An entry may reach a resuming client
// twice, from the history and live; last_sent lets only the first one through.
template <class App>
void send_entry(App& app, websocketpp::connection_hdl hdl, Connection& connection,
                const Entry& entry, const std::string& enveloped) {
    if (!(connection.last_sent < entry.id)) return;
    connection.last_sent = entry.id;
    send_if_open(app, hdl, enveloped);
}

std::string envelope(const Entry& entry) { return entry.id.str() + " " + entry.text; }
// #endregion

// #region fan_out
// With --redis: one entry of the stream, to every open client. A plain client gets
// the text, like a radio from the moment it tuned in; a ticks.v1 client gets the ID
// too, and one still catching up reads it from the history instead.
template <class App>
void on_stream_entry(App& app, const Entry& entry) {
    if (app.shutting_down) return;
    const std::string enveloped = envelope(entry);
    for (auto& [hdl, connection] : app.connections) {
        if (connection.catching_up)
            continue;  // its catch-up reads this entry from the history
        else if (connection.resumable)
            send_entry(app, hdl, connection, entry, enveloped);
        else
            send_if_open(app, hdl, entry.text);
    }
}
// #endregion

// "gap <since> <first>": entries after <since> are gone from the stream; what follows
// starts at <first> ("-": the stream is empty). Never an ID: IDs start with a digit.
std::string gap_notice(const StreamId& since, std::optional<StreamId> first) {
    return "gap " + since.str() + " " + (first ? first->str() : "-");
}

// The reader came back to a stream that no longer has the last entry it read.
template <class App>
void on_stream_gap(App& app, const StreamId& last, std::optional<StreamId> first) {
    log_error("redis: the stream no longer has entry " + last.str() +
              ": entries added while Redis was unreachable may be lost; telling clients");
    const std::string notice = gap_notice(last, first);
    for (auto& [hdl, connection] : app.connections)
        if (connection.resumable && !connection.catching_up) send_if_open(app, hdl, notice);
}

// #region catch_up
// A resume with ?since=: the entries after it, read from the stream's history a page
// at a time, until the history has caught up with the reader, which has sent every
// entry up to its position to the live clients; from then on, this client is one of
// them. A page is read only once the client has read most of the previous one, so
// a long absence is not one burst that would close it as too slow (1008).
constexpr std::size_t history_page = 100;

template <class App>
bool send_queue_half_full(App& app, websocketpp::connection_hdl hdl) {
    websocketpp::lib::error_code ec;
    auto con = app.server.get_con_from_hdl(hdl, ec);
    return ec || con->get_buffered_amount() > app.options.max_buffered_bytes / 2;
}

template <class App>
void next_page(App& app, websocketpp::connection_hdl hdl, StreamId from);

template <class App>
void catch_up(App& app, websocketpp::connection_hdl hdl, StreamId from, bool first_page) {
    using Page = StreamHistory::Page;
    const StreamId reader_was_at = app.redis->position();
    app.history->read(from, history_page, [&app, hdl, from, first_page,
                                           reader_was_at](const Page* page) {
        auto found = app.connections.find(hdl);
        if (found == app.connections.end() || app.shutting_down) return;  // closed meanwhile
        Connection& connection = found->second;
        if (!page) {  // Redis is unreachable: come back later, and resume then
            websocketpp::lib::error_code ec;
            app.server.close(hdl, websocketpp::close::status::try_again_later,
                             "stream history unavailable", ec);
            return;
        }
        if (first_page) connection.last_sent = from;  // the client has it: what follows goes out
        // A page starts at `from`, included. If it is not there, it was trimmed (MAXLEN) or
        // Redis lost its data, and entries after it may be lost too: say so, and go on.
        if (!page->first_read || !(*page->first_read == from))
            send_if_open(app, hdl, gap_notice(from, page->first_read));
        StreamId read_to = page->last_read.value_or(from);
        bool more = page->read == history_page;  // a full page: there may be more
        for (const Entry& entry : page->entries) {
            if (send_queue_half_full(app, hdl)) {  // the rest of this page, later
                read_to = connection.last_sent;
                more = true;
                break;
            }
            send_entry(app, hdl, connection, entry, envelope(entry));
        }
        // Entries the reader sent live while this page was read may be newer than the
        // page (the two connections' answers come in any order): read on. A page that
        // went nowhere while the reader stood still means the stream lost what it had.
        const StreamId reader_is_at = app.redis->position();
        bool went_on = from < read_to || !(reader_is_at == reader_was_at);
        if (more || (went_on && read_to < reader_is_at)) return next_page(app, hdl, read_to);
        connection.catching_up = false;  // the reader's next entries are this client's too
    });
}

template <class App>
void next_page(App& app, websocketpp::connection_hdl hdl, StreamId from) {
    websocketpp::lib::error_code ec;
    auto con = app.server.get_con_from_hdl(hdl, ec);
    if (ec || con->get_state() != websocketpp::session::state::open) return;  // closing
    if (!send_queue_half_full(app, hdl)) return catch_up(app, hdl, from, false);
    // The client has not read enough yet: look again shortly. The timer holds the
    // handle, not the connection, so it keeps nothing alive.
    auto wait = std::make_shared<asio::steady_timer>(app.io, milliseconds(20));
    wait->async_wait([&app, hdl, from, wait](const asio::error_code& ec) {
        if (!ec && !app.shutting_down && app.connections.count(hdl)) next_page(app, hdl, from);
    });
}
// #endregion

// websocketpp answers every ping with a pong, queued like a tick: a client
// that floods pings and never reads is a slow reader too. True lets the pong go.
template <class App>
bool on_ping(App& app, websocketpp::connection_hdl hdl) {
    websocketpp::lib::error_code ec;
    auto con = app.server.get_con_from_hdl(hdl, ec);
    return !ec && app.connections.count(hdl) == 1 && within_send_limit(app, con, hdl);
}

// Queues the connection's next message. The due time moves on by whole
// intervals from the previous due time, never from "now", so lateness does
// not add up; ticks missed while the server was late are skipped, not sent in
// a burst.
template <class App>
void schedule_next(App& app, websocketpp::connection_hdl hdl, Clock::time_point due) {
    const Clock::time_point now = Clock::now();
    do {
        due += app.options.interval;
    } while (due <= now);
    app.connections.at(hdl).next_tick = app.due_times.emplace(due, hdl);
}

// Sends every message that is due, queues each connection's next one, and
// waits for the earliest. (A new connection's first entry is due an interval
// from now, after every other, so the timer never needs to be moved earlier.)
template <class App>
void send_due_ticks(App& app) {
    const Clock::time_point now = Clock::now();
    while (!app.due_times.empty() && app.due_times.begin()->first <= now) {
        const auto [due, hdl] = *app.due_times.begin();
        app.due_times.erase(app.due_times.begin());
        app.connections.at(hdl).next_tick = app.due_times.end();
        websocketpp::lib::error_code ec;
        auto con = app.server.get_con_from_hdl(hdl, ec);
        if (ec || con->get_state() != websocketpp::session::state::open) continue;  // closing
        send_tick(app, hdl);
        if (con->get_state() == websocketpp::session::state::open) schedule_next(app, hdl, due);
    }
    if (app.due_times.empty()) return;  // on_open starts it again
    app.tick_timer.expires_at(app.due_times.begin()->first);
    app.tick_timer.async_wait([&app](const asio::error_code& ec) {
        if (!ec) send_due_ticks(app);
    });
}

template <class App>
void on_open(App& app, websocketpp::connection_hdl hdl) {
    websocketpp::lib::error_code ec;
    auto con = app.server.get_con_from_hdl(hdl, ec);
    if (ec) return;
    Connection& connection = app.connections[hdl];
    connection.peer = con->get_remote_endpoint();
    connection.next_tick = app.due_times.end();
    log_line("opened: " + connection.peer + " (clients: " +
             std::to_string(app.connections.size()) + ")");
    if (app.shutting_down) {  // accepted just before the signal
        con->close(websocketpp::close::status::going_away, "server shutting down", ec);
        return;
    }
    // #region open_resume
    if (app.redis) {  // the stream's next entry is its first message, or a resume's history
        connection.resumable = con->get_subprotocol() == subprotocol;
        if (const auto since = since_of(con->get_resource())) {  // checked by on_validate
            connection.catching_up = true;
            catch_up(app, hdl, stream_id(*since).value_or(StreamId{}), true);
        }
        return;
    }
    // #endregion
    send_tick(app, hdl);
    const bool idle = app.due_times.empty();
    schedule_next(app, hdl, Clock::now());
    if (idle) send_due_ticks(app);  // arms the timer
}

template <class App>
void on_close(App& app, websocketpp::connection_hdl hdl) {
    websocketpp::lib::error_code ec;
    auto con = app.server.get_con_from_hdl(hdl, ec);
    auto found = app.connections.find(hdl);
    if (ec || found == app.connections.end()) return;  // never opened
    const std::string peer = found->second.peer;
    if (found->second.next_tick != app.due_times.end())
        app.due_times.erase(found->second.next_tick);
    app.connections.erase(found);
    // Who ended it, and how: the peer's Close code; or the one sent without
    // waiting for an answer (websocketpp does so for 1002, 1007, 1008, 1009);
    // or 1006, no Close at all, and the cause.
    const auto remote_code = con->get_remote_close_code();
    const auto local_code = con->get_local_close_code();
    std::string line = "closed: " + peer + " (code ";
    if (remote_code != websocketpp::close::status::abnormal_close)
        line += std::to_string(remote_code);
    else if (local_code != websocketpp::close::status::blank &&
             local_code != websocketpp::close::status::abnormal_close)
        line += std::to_string(local_code) + " sent: " + con->get_local_close_reason();
    else if (con->get_ec() == websocketpp::transport::error::pass_through)  // the socket's error
        line += "1006, " + con->get_transport_ec().message();
    else
        line += "1006" + (con->get_ec() ? ", " + con->get_ec().message() : std::string());
    log_line(line + "; clients: " + std::to_string(app.connections.size()) + ")");
    if (app.shutting_down && app.connections.empty()) app.server.stop();
}

// Every ping interval each client gets a ping, and a client that has not
// answered it within the pong timeout is dropped: the peer (or the network to
// it) is gone without a word, and only a timeout can tell. One timer for all
// clients, as for the ticks (websocketpp's set_pong_timeout would arm one per ping).
template <class App>
void drop_silent_clients(App& app) {
    std::vector<websocketpp::connection_hdl> silent;  // first: a close changes app.connections
    for (const auto& [hdl, connection] : app.connections)
        if (connection.awaiting_pong) silent.push_back(hdl);
    for (const auto& hdl : silent) {
        websocketpp::lib::error_code ec;
        auto con = app.server.get_con_from_hdl(hdl, ec);
        if (ec || con->get_state() != websocketpp::session::state::open) continue;  // closing
        // No Close handshake with a peer that does not answer: drop the TCP connection.
        con->terminate(std::make_error_code(std::errc::timed_out));
    }
}

template <class App>
void ping_clients(App& app) {
    app.ping_timer.expires_after(app.options.ping_interval);
    app.ping_timer.async_wait([&app](const asio::error_code& ec) {
        if (ec) return;
        for (auto& [hdl, connection] : app.connections) {
            websocketpp::lib::error_code ping_ec;
            app.server.ping(hdl, "", ping_ec);
            if (ping_ec)
                log_error("ping to " + connection.peer + " failed: " + ping_ec.message());
            else
                connection.awaiting_pong = true;
        }
        // --pong-timeout-ms is shorter than --ping-interval-ms: this ends before the next ping.
        app.pong_deadline.expires_after(app.options.pong_timeout);
        app.pong_deadline.async_wait([&app](const asio::error_code& ec) {
            if (!ec) drop_silent_clients(app);
        });
        ping_clients(app);
    });
}

template <class App>
void on_pong(App& app, websocketpp::connection_hdl hdl) {
    auto found = app.connections.find(hdl);
    if (found != app.connections.end()) found->second.awaiting_pong = false;
}

// The first SIGINT/SIGTERM: stop accepting, send every client Close 1001
// ("going away") and stop when the last one has closed, or after 1.5 s. The
// signal handlers go back to the default, so a second signal ends the process
// at once, even if something here were stuck.
template <class App>
void on_signal(App& app) {
    asio::error_code ignored;
    app.signals.clear(ignored);
    app.shutting_down = true;
    log_line("shutting down: closing " + std::to_string(app.connections.size()) +
             " clients with 1001");
    websocketpp::lib::error_code ec;
    app.server.stop_listening(ec);
    app.ping_timer.cancel();
    app.pong_deadline.cancel();
    app.tick_timer.cancel();
    app.due_times.clear();
    if (app.redis) app.redis->stop();
    if (app.history) app.history->stop();
    for (auto& [hdl, connection] : app.connections) {
        connection.next_tick = app.due_times.end();
        app.server.close(hdl, websocketpp::close::status::going_away, "server shutting down", ec);
    }
    if (app.connections.empty()) return app.server.stop();
    app.shutdown_deadline.expires_after(milliseconds(1500));
    app.shutdown_deadline.async_wait([&app](const asio::error_code& ec) {
        if (ec) return;
        log_error("shutting down: " + std::to_string(app.connections.size()) +
                  " clients did not finish closing");
        app.server.stop();
    });
}

// Every client is a socket, so a file descriptor: raise the soft limit to the
// hard one (the most an unprivileged process may), and say so when even that
// is short of what --max-clients asks for.
void raise_open_files_limit(std::size_t max_clients) {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
    if (limit.rlim_cur < limit.rlim_max) {
        rlimit raised = limit;
        raised.rlim_cur = limit.rlim_max;
        if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
    }
    const rlim_t spare = 64;  // the listener, stdio, handshakes still in progress
    if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < max_clients + spare)
        log_error("warning: the open-files limit is " + std::to_string(limit.rlim_cur) +
                  ", too low for " + std::to_string(max_clients) +
                  " clients (--max-clients): raise it (ulimit -Hn, systemd LimitNOFILE=)");
}

// #region tls
// Mozilla's "intermediate" profile (https://ssl-config.mozilla.org): TLS 1.2 and 1.3 only;
// for 1.2, ECDHE with AES-GCM or ChaCha20 (Mozilla's three DHE suites need DH parameters,
// and every client that speaks 1.2 has ECDHE). OpenSSL's TLS 1.3 suites are all on the list.
const char* const intermediate_ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

using TlsContext = std::shared_ptr<asio::ssl::context>;

// One context for every connection, made before listening: a bad certificate or key
// is one line and exit 1 now (nullptr here), not a failed handshake per client later.
TlsContext tls_context(const Options& options) {
    for (const auto& [option, file] : {std::pair{"--tls-cert ", options.tls_cert},
                                       std::pair{"--tls-key ", options.tls_key}})
        if (!std::ifstream(file)) {
            log_error("cannot read " + (option + file) + ": " + std::strerror(errno));
            return nullptr;
        }
    auto context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
    SSL_CTX* ssl = context->native_handle();
    SSL_CTX_set_min_proto_version(ssl, TLS1_2_VERSION);
    // Mozilla leaves the choice among these strong suites to the client, and so does
    // this server (no SSL_OP_CIPHER_SERVER_PREFERENCE).
    SSL_CTX_set_options(ssl, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
    SSL_CTX_set_cipher_list(ssl, intermediate_ciphers);
    std::string problem;  // OpenSSL's first error is the cause: "no start line" for not PEM
    const auto reason = [] {
        const char* text = ERR_reason_error_string(ERR_peek_error());
        return std::string(text ? text : "unknown OpenSSL error");
    };
    if (SSL_CTX_use_certificate_chain_file(ssl, options.tls_cert.c_str()) != 1)
        problem = "--tls-cert " + options.tls_cert + ": " + reason() + " (PEM expected)";
    else if (SSL_CTX_use_PrivateKey_file(ssl, options.tls_key.c_str(), SSL_FILETYPE_PEM) != 1 ||
             SSL_CTX_check_private_key(ssl) != 1)
        problem = "--tls-key " + options.tls_key + ": " +
                  (ERR_GET_REASON(ERR_peek_error()) == X509_R_KEY_VALUES_MISMATCH
                       ? "not the key of " + options.tls_cert
                       : reason() + " (PEM expected)");
    if (problem.empty()) return context;
    log_error("cannot use " + problem);
    return nullptr;
}
// #endregion

// ASP.NET's first line, with the real port (the tests and scripts read it).
std::string listening_url(const asio::ip::tcp::endpoint& endpoint, bool tls) {
    const asio::ip::address address = endpoint.address();
    const std::string host = address.is_loopback() ? "localhost"
                             : address.is_v6()     ? "[" + address.to_string() + "]"
                                                   : address.to_string();
    return (tls ? "https://" : "http://") + host + ":" + std::to_string(endpoint.port());
}

template <class App>
int serve(App& app);  // below: the part of main that is the same for ws:// and wss://

int main(int argc, char* argv[]) {
    const std::string program = std::string(argv[0]).substr(std::string(argv[0]).rfind('/') + 1);
    Options options;
    try {
        options = parse_options(argc, argv);
    } catch (const UsageError& error) {
        const std::string text = usage(program);
        std::cerr << program << ": " << error.what() << '\n'
                  << text.substr(0, text.find('\n') + 1) << "Run " << program
                  << " --help for every option.\n";
        return 2;
    }
    if (options.help) {
        std::cout << usage(program);
        return 0;
    }
    std::signal(SIGPIPE, SIG_IGN);  // a closed stdout must end the log, not the server
    raise_open_files_limit(options.max_clients);
    if (options.tls_cert.empty()) {
        AppFor<PlainServer> app(options);
        return serve(app);
    }
    const TlsContext context = tls_context(options);
    if (!context) return 1;
    AppFor<TlsServer> app(options);
    // websocketpp asks for a context per connection: the same one each time.
    app.server.set_tls_init_handler([context](websocketpp::connection_hdl) { return context; });
    return serve(app);
}

// Sets the server up on the App's io_context, listens, and runs until a signal stops it.
template <class App>
int serve(App& app) {
    const Options& options = app.options;
    auto& server = app.server;
    server.clear_access_channels(websocketpp::log::alevel::all);  // stdout is ours
    server.clear_error_channels(websocketpp::log::elevel::all);   // our handlers report errors
    server.init_asio(&app.io);
    server.set_reuse_addr(true);  // restart at once on the same port
    server.set_max_message_size(options.max_message_bytes);  // larger: closed with 1009
    server.set_max_http_body_size(0);                         // nothing here takes a body
    server.set_open_handshake_timeout(options.handshake_timeout.count());
    server.set_close_handshake_timeout(options.handshake_timeout.count());
    // The kernel's send buffer is a queue too, up to megabytes before websocketpp's
    // queue sees a byte. Capped on the listening socket: accepted sockets inherit it.
    const int send_buffer_bytes =
        static_cast<int>(std::min<std::size_t>(options.max_buffered_bytes, 64 * 1024));
    using Acceptor = asio::ip::tcp::acceptor;
    server.set_tcp_pre_bind_handler([send_buffer_bytes](std::shared_ptr<Acceptor> acceptor) {
        websocketpp::lib::error_code ec;
        acceptor->set_option(asio::socket_base::send_buffer_size(send_buffer_bytes), ec);
        return ec;
    });
    using websocketpp::connection_hdl;
    server.set_http_handler([&app](connection_hdl hdl) { on_http(app, hdl); });
    server.set_validate_handler([&app](connection_hdl hdl) { return on_validate(app, hdl); });
    server.set_fail_handler([&app](connection_hdl hdl) { on_fail(app, hdl); });
    server.set_open_handler([&app](connection_hdl hdl) { on_open(app, hdl); });
    server.set_close_handler([&app](connection_hdl hdl) { on_close(app, hdl); });
    server.set_ping_handler(
        [&app](connection_hdl hdl, const std::string&) { return on_ping(app, hdl); });
    server.set_pong_handler([&app](connection_hdl hdl, const std::string&) { on_pong(app, hdl); });
    // Set up before the listening line: a signal sent the moment it appears is handled.
    app.signals.async_wait([&app](const asio::error_code& ec, int) {
        if (!ec) on_signal(app);
    });

    // The given address only: listen(port) alone would bind IPv6 dual-stack on every interface.
    websocketpp::lib::error_code ec;
    server.listen(asio::ip::tcp::endpoint(asio::ip::make_address(options.host), options.port), ec);
    if (!ec) server.start_accept(ec);
    if (ec) {
        log_error("cannot listen on " + options.host + " port " + std::to_string(options.port) +
                  ": " + ec.message());
        return 1;
    }
    asio::error_code local_ec;
    const bool tls = !options.tls_cert.empty();
    log_line("Now listening on: " + listening_url(server.get_local_endpoint(local_ec), tls));
    std::string origins;
    for (const auto& allowed : options.allowed_origins) origins += " " + allowed;
    log_line("allowed origins:" + (origins.empty() ? " any (no --allowed-origin given)" : origins));
    if (!options.redis_url.empty()) {
        const RedisTarget target = *redis_target(options.redis_url);
        app.redis = std::make_unique<RedisStream>(
            app.io, target, options.redis_url, options.redis_stream,
            [&app](const Entry& entry) { on_stream_entry(app, entry); },
            [&app](const StreamId& last, std::optional<StreamId> first) {
                on_stream_gap(app, last, first);
            });
        app.history = std::make_unique<StreamHistory>(app.io, target, options.redis_stream);
        app.redis->start();  // says whether Redis answered, in one line
    }
    ping_clients(app);
    server.run();
    if (app.redis) app.redis->stop();
    if (app.history) app.history->stop();
    log_line("stopped");
    return 0;
}
