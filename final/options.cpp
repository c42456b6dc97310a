#include "options.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <string_view>
#include <utility>
#include <vector>

const char* const server_usage =
    R"(Usage: final_server [--host ADDRESS] [--port N] [--interval-ms N] [OPTIONS...]
Serves WebSocket on "/": every client gets "C++ Rocks -> <local time>" at once,
then once per interval, until it closes. Plain HTTP on "/" gets 400, other paths 404.

  --host ADDRESS            IP address to listen on (default 127.0.0.1;
                            0.0.0.0 or :: for every interface)
  --port N                  TCP port (default 5065; 0 picks a free one)
  --interval-ms N           time between two messages to a client (default 1000)
  --max-message-bytes N     largest message taken from a client; a larger one
                            closes it with 1009 (default 65536)
  --max-buffered-bytes N    bytes queued for a client that does not read before
                            it is closed with 1008 (default 1048576)
  --max-clients N           clients served at once; more get 503 (default 10000)
  --help                    this text

Advanced (the defaults suit production):
  --ping-interval-ms N      time between two pings to a client (default 30000)
  --pong-timeout-ms N       a client that has not answered a ping by then is
                            dropped (default 10000)
  --handshake-timeout-ms N  a request not complete by then is dropped (default 5000)

SIGINT (Ctrl+C) or SIGTERM closes every client with 1001 and exits 0; a second
one exits at once.
Exit codes: 0 stopped by a signal, 1 could not listen, 2 bad usage.
)";

const char* const client_usage =
    R"(Usage: final_client [URL] [--count N] [--reconnect] [--quiet]
Connects to a WebSocket server (default ws://localhost:5065/) and prints every
message it receives, one per line, until the server closes or Ctrl+C.

  --count N      close (code 1000) after N messages and exit 0
  --reconnect    when the connection is lost or refused, try again after 0.5 s,
                 doubling up to 10 s (with jitter); each attempt is reported on
                 stderr; Ctrl+C stops
  --quiet        print the messages only, no status lines on stderr
  --help         this text

Exit codes:
  0  normal close (by the server, by --count, or Ctrl+C)
  1  could not connect, or the handshake was refused
  2  bad usage
  3  connection lost (closed without a Close frame, or abnormally)
)";

std::string usage_error_text(const char* program, const char* usage, const UsageError& error) {
    const std::string text = usage;
    return std::string(program) + ": " + error.what() + "\n" + text.substr(0, text.find('\n') + 1) + "Run " +
           program + " --help for every option.\n";
}

namespace {

// The command line as a list of (name, value) pairs: "--port 0" and "--port=0" alike.
class Arguments {
public:
    Arguments(int argc, char* argv[]) : items_(argv + 1, argv + argc) {}

    bool done() const { return next_ >= items_.size(); }
    std::string_view peek() const { return items_[next_]; }

    // The next argument if it is an option ("--name" or "--name=value"): its name.
    std::string_view take_option() {
        std::string_view item = items_[next_++];
        std::size_t equals = item.find('=');
        if (equals == std::string_view::npos) return item;
        inline_value_ = std::string(item.substr(equals + 1));
        return item.substr(0, equals);
    }
    std::string take_value(std::string_view option) {
        if (inline_value_) return *std::exchange(inline_value_, std::nullopt);
        if (done()) throw UsageError(std::string(option) + " needs a value");
        return items_[next_++];
    }
    // An option that takes no value must not get one ("--reconnect=yes").
    void no_value(std::string_view option) {
        if (inline_value_) throw UsageError(std::string(option) + " takes no value");
    }
    std::string take_positional() { return items_[next_++]; }

private:
    std::vector<std::string> items_;
    std::size_t next_ = 0;
    std::optional<std::string> inline_value_;
};

unsigned long long parse_number(std::string_view option, const std::string& text, unsigned long long min,
                                unsigned long long max) {
    unsigned long long value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size() || text.empty() || value < min || value > max)
        throw UsageError(std::string(option) + " takes a whole number from " + std::to_string(min) + " to " +
                         std::to_string(max) + ", not '" + text + "'");
    return value;
}

std::chrono::milliseconds parse_ms(std::string_view option, const std::string& text) {
    constexpr unsigned long long one_day = 24ULL * 60 * 60 * 1000;
    return std::chrono::milliseconds(parse_number(option, text, 1, one_day));
}

}  // namespace

ServerOptions parse_server_options(int argc, char* argv[]) {
    ServerOptions options;
    Arguments arguments(argc, argv);
    while (!arguments.done()) {
        const std::string_view option = arguments.take_option();
        auto value = [&] { return arguments.take_value(option); };
        if (option == "--help") {
            arguments.no_value(option);
            options.help = true;
        } else if (option == "--host") {
            options.host = value();
            unsigned char address[sizeof(in6_addr)];
            if (::inet_pton(AF_INET, options.host.c_str(), address) != 1 &&
                ::inet_pton(AF_INET6, options.host.c_str(), address) != 1)
                throw UsageError("--host takes an IP address (127.0.0.1, 0.0.0.0, ::1, ...), not '" + options.host +
                                 "'");
        } else if (option == "--port") {
            options.port = static_cast<unsigned short>(parse_number(option, value(), 0, 65535));
        } else if (option == "--interval-ms") {
            options.interval = parse_ms(option, value());
        } else if (option == "--max-message-bytes") {
            options.max_message_bytes = parse_number(option, value(), 1, 1ULL << 30);
        } else if (option == "--max-buffered-bytes") {
            options.max_buffered_bytes = parse_number(option, value(), 1, 1ULL << 34);
        } else if (option == "--max-clients") {
            options.max_clients = parse_number(option, value(), 1, 1000000);
        } else if (option == "--ping-interval-ms") {
            options.ping_interval = parse_ms(option, value());
        } else if (option == "--pong-timeout-ms") {
            options.pong_timeout = parse_ms(option, value());
        } else if (option == "--handshake-timeout-ms") {
            options.handshake_timeout = parse_ms(option, value());
        } else {
            throw UsageError("unknown option '" + std::string(option) + "'");
        }
    }
    // A ping is answered (or not) before the next one goes out.
    if (options.pong_timeout >= options.ping_interval)
        throw UsageError("--pong-timeout-ms must be shorter than --ping-interval-ms");
    return options;
}

ClientOptions parse_client_options(int argc, char* argv[]) {
    ClientOptions options;
    Arguments arguments(argc, argv);
    bool have_url = false;
    while (!arguments.done()) {
        if (arguments.peek().rfind("--", 0) != 0) {
            if (have_url) throw UsageError("one URL only, not also '" + std::string(arguments.peek()) + "'");
            options.url = arguments.take_positional();
            have_url = true;
            continue;
        }
        const std::string_view option = arguments.take_option();
        if (option == "--help") {
            arguments.no_value(option);
            options.help = true;
        } else if (option == "--count") {
            options.count = parse_number(option, arguments.take_value(option), 1, 1ULL << 32);
        } else if (option == "--reconnect") {
            arguments.no_value(option);
            options.reconnect = true;
        } else if (option == "--quiet") {
            arguments.no_value(option);
            options.quiet = true;
        } else {
            throw UsageError("unknown option '" + std::string(option) + "'");
        }
    }
    return options;
}
