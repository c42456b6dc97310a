// Step 21 — the publisher: the tutorial's tick, added to a Redis Stream once per interval.
//
// The servers no longer tick themselves: one publisher adds each tick to the
// stream (XADD), and every server reading it (--redis) sends it to its clients,
// each with its entry's ID, from which a client can resume on any server.
// hiredis's async API runs on an Asio io_context through redis_asio.hpp, as in
// the server: one thread for Redis, the schedule's timer and the signals.
// Usage: step21_publisher --redis URL [--redis-stream KEY] [--interval-ms N] [--maxlen N]
//                         [--count N]
// Exit codes: 0 done (--count entries added) or stopped by a signal, 2 bad usage.
#include <hiredis/async.h>  // hiredis: CMake links it to programs that name it

#include "redis_asio.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

struct Options {
    std::string redis_url;  // required
    std::string redis_stream = "ticks";
    milliseconds interval{1000};
    unsigned long long maxlen = 10000;
    unsigned long long count = 0;  // 0: until a signal
    bool help = false;
};

std::string usage(const std::string& program) {
    return "Usage: " + program + R"( --redis URL [--redis-stream KEY] [--interval-ms N]
       [--maxlen N] [--count N]
Adds "C++ Rocks -> <local time>" to a Redis Stream once per interval, for every
server started with the same --redis to send to its clients:
  XADD <key> MAXLEN ~ <maxlen> * text "C++ Rocks -> 2026-12-02 21:00:00"
A tick that cannot be added when it is due (Redis down) is skipped, not sent later.

  --redis URL           where Redis is: redis://HOST[:PORT] or unix:PATH
  --redis-stream KEY    the stream's key (default ticks)
  --interval-ms N       time between two entries (default 1000)
  --maxlen N            keep about this many entries: Redis trims whole blocks of
                        old entries, so a few more may stay (default 10000)
  --count N             exit once N entries are added (default: until a signal)
  --help                this text

SIGINT (Ctrl+C) or SIGTERM exits 0.
Exit codes: 0 done or stopped by a signal, 2 bad usage.
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

// One line per event on stdout, errors on stderr, each flushed at once.
void log_line(const std::string& line) { std::cout << line << std::endl; }
void log_error(const std::string& line) { std::cerr << line << std::endl; }

// "C++ Rocks -> 2026-11-25 14:03:07": the article's message, local time, 24-hour clock.
std::string tick_message() {
    std::time_t now = std::time(nullptr);
    std::tm local{};
    localtime_r(&now, &local);
    char text[64];
    std::strftime(text, sizeof text, "C++ Rocks -> %Y-%m-%d %H:%M:%S", &local);
    return text;
}

// Every option is checked before anything starts: a typo is exit code 2, not a surprise later.
Options parse_options(int argc, char* argv[]) {
    Options options;
    for (int i = 1; i < argc; ++i) {
        std::string option = argv[i];
        std::optional<std::string> inline_value;  // "--count=3" as well as "--count 3"
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
        } else if (option == "--redis") {
            options.redis_url = value();
            if (!redis_target(options.redis_url))
                throw UsageError("--redis takes redis://HOST[:PORT] or unix:PATH, not '" +
                                 options.redis_url + "'");
        } else if (option == "--redis-stream") {
            options.redis_stream = value();
            if (options.redis_stream.empty()) throw UsageError("--redis-stream needs a key");
        } else if (option == "--interval-ms") {
            options.interval = milliseconds(number(option, value(), 1, 24ULL * 60 * 60 * 1000));
        } else if (option == "--maxlen") {
            options.maxlen = number(option, value(), 1, 1ULL << 40);
        } else if (option == "--count") {
            options.count = number(option, value(), 1, 1ULL << 40);
        } else {
            throw UsageError("unknown option '" + option + "'");
        }
    }
    if (options.redis_url.empty() && !options.help)
        throw UsageError("--redis URL is required (redis://HOST[:PORT] or unix:PATH)");
    return options;
}

// Adds one entry per tick, on one connection, one XADD at a time. When Redis
// is down the ticks go on and are skipped; the connection is retried with backoff.
class Publisher {
public:
    Publisher(asio::io_context& io, Options options)
        : io_(io), options_(std::move(options)), target_(*redis_target(options_.redis_url)) {}
    Publisher(const Publisher&) = delete;
    Publisher& operator=(const Publisher&) = delete;
    ~Publisher() { stop(); }

    void start() {
        signals_.async_wait([this](const asio::error_code& ec, int) {
            if (!ec) stop();
        });
        connect();
    }

private:
    static constexpr milliseconds answer_timeout{2000};  // no answer by then: a dead connection
    static constexpr milliseconds first_retry{100}, last_retry{2000};

    void connect() {
        redisAsyncContext* context = redis_connect(target_);
        if (!context || context->err) {  // failed at once: no such socket file, bad address
            unreachable(context ? context->errstr : "out of memory");
            if (context) redisAsyncFree(context);
            return retry_later();
        }
        watch_ = redis_asio::attach(io_, context,
                                    [this](const std::string& reason) { on_gone(reason); });
        // Redis is there when it answers, not when TCP connects (a proxy may accept for it).
        redisAsyncCommand(context, on_pong, this, "PING");
        arm_deadline();  // TCP to a host that is gone can take minutes to fail
    }

    // hiredis's callbacks are plain C functions: privdata brings back the object.
    static void on_pong(redisAsyncContext*, void* reply_ptr, void* self_ptr) {
        auto* self = static_cast<Publisher*>(self_ptr);
        const auto* reply = static_cast<redisReply*>(reply_ptr);
        if (!reply) return;  // the connection is going: on_gone follows
        self->deadline_.cancel();
        if (reply->type == REDIS_REPLY_ERROR) {  // NOAUTH, say: try again later
            self->refused(reply->str);
            redisAsyncDisconnect(self->context());  // inside a callback: hiredis frees it after
            return;
        }
        self->ready_ = true;
        if (self->started_) return;  // the schedule goes on: the next due tick adds an entry
        // The schedule starts when Redis first answers: the first tick at once, as the
        // servers sent theirs, and every later one a whole number of intervals after it.
        self->started_ = true;
        self->due_ = Clock::now();
        self->tick();
        self->schedule_next();
    }

    // #region schedule
    // Due times move on by whole intervals from the first one, never from "now":
    // lateness does not add up (no drift), and the ticks missed while this program
    // was late (a busy machine) are skipped, not sent together.
    void schedule_next() {
        const Clock::time_point now = Clock::now();
        do {
            due_ += options_.interval;
        } while (due_ <= now);
        tick_timer_.expires_at(due_);
        tick_timer_.async_wait([this](const asio::error_code& ec) {
            if (ec) return;  // stopped
            tick();
            schedule_next();
        });
    }
    // #endregion

    // #region xadd
    // A tick adds its entry now, or never: while Redis is down, or has not answered
    // the last XADD yet, it is skipped. Queued entries would all be added at once
    // when Redis is back, and reach every client as a burst of stale times.
    void tick() {
        if (!ready_ || !context() || adding_ || done()) return;
        adding_ = true;
        // ~: Redis trims only whole blocks of entries, far cheaper than an exact MAXLEN.
        // "*": Redis picks the ID, <milliseconds>-<sequence>, always above the last one.
        redisAsyncCommand(context(), on_added, this, "XADD %s MAXLEN ~ %s * text %s",
                          options_.redis_stream.c_str(), std::to_string(options_.maxlen).c_str(),
                          tick_message().c_str());
        arm_deadline();
    }

    // XADD's answer: the new entry's ID, or an error (WRONGTYPE: the key holds
    // something else; OOM: Redis is full), said once; the next tick tries again.
    static void on_added(redisAsyncContext*, void* reply_ptr, void* self_ptr) {
        auto* self = static_cast<Publisher*>(self_ptr);
        const auto* reply = static_cast<redisReply*>(reply_ptr);
        self->adding_ = false;
        if (!reply) return;  // the connection is going: on_gone follows
        self->deadline_.cancel();
        if (reply->type == REDIS_REPLY_ERROR) return self->refused(reply->str);
        if (reply->type == REDIS_REPLY_STRING) self->added(std::string(reply->str, reply->len));
    }

    void added(const std::string& id) {
        ++added_;
        if (added_ == 1)
            log_line("redis: connected to " + options_.redis_url + "; first entry " + id);
        else if (down_)
            log_line("redis: " + options_.redis_url + " is back; entry " + id);
        down_ = false;
        retry_delay_ = first_retry;  // a working connection: the next outage starts over
        if (done()) asio::post(io_, [this] { stop(); });  // not inside hiredis's call
    }
    // #endregion

    bool done() const { return options_.count != 0 && added_ == options_.count; }

    // A Redis that stopped answering (a host gone, a frozen process) is dropped and
    // retried like a lost one. An XADD it had received is still added if it wakes up:
    // after a freeze, that one late entry lands beside the first new one.
    void arm_deadline() {
        deadline_.expires_after(answer_timeout);
        deadline_.async_wait([this](const asio::error_code& ec) {
            redisAsyncContext* context = this->context();
            if (ec || !context) return;
            context->err = REDIS_ERR_OTHER;  // the reason cleanup reports
            std::snprintf(context->c.errstr, sizeof context->c.errstr, "no answer in %lld ms",
                          static_cast<long long>(answer_timeout.count()));
            redisAsyncFree(context);  // outside any callback: freed now; on_gone follows
        });
    }

    // The context is gone (hiredis freed it): say so once per outage, then retry.
    void on_gone(const std::string& reason) {
        watch_.reset();
        ready_ = adding_ = false;
        deadline_.cancel();
        if (stopped_) return;
        unreachable(reason);
        retry_later();
    }

    // Said once per outage: the retries and the skipped ticks are silent.
    void unreachable(const std::string& reason) { trouble("unreachable (" + reason + ")"); }
    void refused(const std::string& error) { trouble("answered '" + error + "'"); }
    void trouble(const std::string& what) {
        if (!down_)
            log_error("redis: " + options_.redis_url + " " + what +
                      "; ticks are skipped until it takes them again");
        down_ = true;
    }

    // Exponential backoff from 100 ms to 2 s, with jitter, as the servers do.
    void retry_later() {
        std::uniform_int_distribution<long> jitter(0, retry_delay_.count() / 4);
        retry_timer_.expires_after(retry_delay_ + milliseconds(jitter(random_)));
        retry_delay_ = std::min(retry_delay_ * 2, last_retry);
        retry_timer_.async_wait([this](const asio::error_code& ec) {
            if (!ec && !stopped_) connect();
        });
    }

    // Ends every wait, so io.run() returns. Not from inside a hiredis callback.
    void stop() {
        if (stopped_) return;
        stopped_ = true;
        tick_timer_.cancel();
        retry_timer_.cancel();
        deadline_.cancel();
        asio::error_code ignored;
        signals_.cancel(ignored);
        if (redisAsyncContext* context = this->context()) redisAsyncFree(context);
        log_line("stopped after " + std::to_string(added_) + " entries");
    }

    asio::io_context& io_;
    const Options options_;
    const RedisTarget target_;
    // hiredis's context, null once freed (hiredis may free it in any read, before on_gone).
    redisAsyncContext* context() const { return watch_ ? watch_->context : nullptr; }
    redis_asio::WatchPtr watch_;  // null while disconnected
    bool ready_ = false;    // connected, and Redis answered
    bool adding_ = false;   // an XADD is unanswered
    bool started_ = false;  // the schedule runs
    bool down_ = false, stopped_ = false;
    unsigned long long added_ = 0;
    Clock::time_point due_;  // the last tick's due time
    milliseconds retry_delay_ = first_retry;
    asio::steady_timer tick_timer_{io_}, retry_timer_{io_}, deadline_{io_};
    asio::signal_set signals_{io_, SIGINT, SIGTERM};
    std::minstd_rand random_{std::random_device{}()};
};

int main(int argc, char* argv[]) {
    const std::string program = std::string(argv[0]).substr(std::string(argv[0]).rfind('/') + 1);
    Options options;
    try {
        options = parse_options(argc, argv);
    } catch (const UsageError& error) {
        std::cerr << program << ": " << error.what() << "; see " << program << " --help\n";
        return 2;
    }
    if (options.help) {
        std::cout << usage(program);
        return 0;
    }
    // hiredis writes with write(): to a Redis that just died, that raises SIGPIPE,
    // which would end the program. Ignored, the write fails and hiredis reports it.
    std::signal(SIGPIPE, SIG_IGN);
    asio::io_context io;
    Publisher publisher(io, options);
    log_line("publishing to " + options.redis_url + ", stream '" + options.redis_stream +
             "', every " + std::to_string(options.interval.count()) + " ms");
    publisher.start();
    io.run();
    return 0;
}
