// Step 10 — options and exit codes: --port and --interval-ms, checked before anything
// starts; bad usage exits 2, a port that cannot be had 1, a signal 0.
//
// Every connection gets a message at once, then one every interval on a fixed
// schedule, until it closes. Every event is one line of log.
// Usage: step10_server [--port N] [--interval-ms N]   (--help)
// Exit codes: 0 stopped by a signal, 1 could not listen, 2 bad usage.
#include <websocketpp/config/asio_no_tls.hpp>
#include <websocketpp/server.hpp>

#include <charconv>
#include <chrono>
#include <csignal>
#include <ctime>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

using Server = websocketpp::server<websocketpp::config::asio>;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

struct Options {
    unsigned short port = 5065;
    milliseconds interval{1000};
    bool help = false;
};

std::string usage(const std::string& program) {
    return "Usage: " + program + R"( [--port N] [--interval-ms N]
Serves WebSocket on "/": every client gets "C++ Rocks -> <local time>" at once,
then once per interval, until it closes. Plain HTTP on "/" gets 400, other paths 404.

  --port N                  TCP port (default 5065; 0 picks a free one)
  --interval-ms N           time between two messages to a client (default 1000)
  --help                    this text

SIGINT (Ctrl+C) or SIGTERM stops the server and exits 0.
Exit codes: 0 stopped by a signal, 1 could not listen, 2 bad usage.
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
        } else if (option == "--port") {
            options.port = static_cast<unsigned short>(number(option, value(), 0, 65535));
        } else if (option == "--interval-ms") {
            options.interval = duration(option, value());
        } else {
            throw UsageError("unknown option '" + option + "'");
        }
    }
    return options;
}

// The log: one line per event on stdout, errors on stderr, each flushed at once.
void log_line(const std::string& line) { std::cout << line << std::endl; }
void log_error(const std::string& line) { std::cerr << line << std::endl; }

// What the server remembers about each open connection, keyed by its handle.
// The handle is a weak pointer, compared with owner_less, so the map never
// keeps a closed connection alive.
struct Connection {
    explicit Connection(asio::io_context& io) : timer(io) {}
    // Read at open: by the time the close handler runs, the socket may be shut down.
    std::string peer;          // "127.0.0.1:51040"
    asio::steady_timer timer;  // one per connection: its own schedule
    Clock::time_point due;     // when its next message is due
};
using Connections = std::map<websocketpp::connection_hdl, Connection,
                             std::owner_less<websocketpp::connection_hdl>>;

// "C++ Rocks -> 2026-11-25 14:03:07": the article's message, local time, 24-hour clock.
std::string tick_message() {
    std::time_t now = std::time(nullptr);
    std::tm local{};
    localtime_r(&now, &local);  // std::localtime shares one static buffer between threads
    char text[64];
    std::strftime(text, sizeof text, "C++ Rocks -> %Y-%m-%d %H:%M:%S", &local);
    return text;
}

// Called for every request that is not a WebSocket handshake. Without this
// handler websocketpp would answer 426 Upgrade Required on every path.
void on_http(Server& server, websocketpp::connection_hdl hdl) {
    Server::connection_ptr con = server.get_con_from_hdl(hdl);
    if (con->get_resource() == "/") {
        con->set_status(websocketpp::http::status_code::bad_request);
        con->set_body("This endpoint speaks WebSocket: connect with a WebSocket client.\n");
    } else {
        con->set_status(websocketpp::http::status_code::not_found);
        con->set_body("Not Found");
    }
}

// Called for every WebSocket handshake, before it is answered: true accepts it (101).
bool on_validate(Server& server, websocketpp::connection_hdl hdl) {
    Server::connection_ptr con = server.get_con_from_hdl(hdl);
    if (con->get_resource() == "/") return true;
    con->set_status(websocketpp::http::status_code::not_found);
    return false;
}

void send_tick(Server& server, websocketpp::connection_hdl hdl) {
    // The error_code overload: a failed send is reported here, never thrown through run().
    websocketpp::lib::error_code ec;
    server.send(hdl, tick_message(), websocketpp::frame::opcode::text, ec);
    if (ec) log_error("send failed: " + ec.message());
}

// Arms the connection's timer for its next message. The due time moves on by
// whole intervals from the previous due time, never from "now", so lateness
// does not add up; ticks missed while the server was late are skipped, not
// sent in a burst.
void schedule_next(Server& server, Connections& connections, websocketpp::connection_hdl hdl,
                   milliseconds interval) {
    Connection& connection = connections.find(hdl)->second;
    const Clock::time_point now = Clock::now();
    do {
        connection.due += interval;
    } while (connection.due <= now);
    connection.timer.expires_at(connection.due);
    connection.timer.async_wait([&server, &connections, hdl, interval](const asio::error_code& ec) {
        // Cancelled, or already due when the connection closed: nothing to send to.
        if (ec || connections.find(hdl) == connections.end()) return;
        send_tick(server, hdl);
        schedule_next(server, connections, hdl, interval);
    });
}

void on_open(Server& server, Connections& connections, websocketpp::connection_hdl hdl,
             milliseconds interval) {
    Connection& connection = connections.try_emplace(hdl, server.get_io_service()).first->second;
    connection.peer = server.get_con_from_hdl(hdl)->get_remote_endpoint();
    log_line("opened: " + connection.peer + " (clients: " + std::to_string(connections.size()) +
             ")");
    connection.due = Clock::now();
    send_tick(server, hdl);
    schedule_next(server, connections, hdl, interval);
}

void on_close(Server& server, Connections& connections, websocketpp::connection_hdl hdl) {
    auto connection = connections.find(hdl);  // websocketpp calls this only after on_open
    const std::string peer = connection->second.peer;
    connections.erase(connection);  // destroying the timer cancels its pending wait
    log_line("closed: " + peer + " (code " +
             std::to_string(server.get_con_from_hdl(hdl)->get_remote_close_code()) +
             "; clients: " + std::to_string(connections.size()) + ")");
}

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

    Server server;
    Connections connections;  // after the server, so its timers go before the io loop they run on
    server.clear_access_channels(websocketpp::log::alevel::all);  // stdout is ours
    server.clear_error_channels(websocketpp::log::elevel::all);   // our handlers report errors
    server.init_asio();
    server.set_reuse_addr(true);  // restart at once on the same port
    server.set_http_handler([&server](websocketpp::connection_hdl hdl) { on_http(server, hdl); });
    server.set_validate_handler(
        [&server](websocketpp::connection_hdl hdl) { return on_validate(server, hdl); });
    server.set_open_handler([&](websocketpp::connection_hdl hdl) {
        on_open(server, connections, hdl, options.interval);
    });
    server.set_close_handler(
        [&](websocketpp::connection_hdl hdl) { on_close(server, connections, hdl); });

    // Ctrl+C or SIGTERM: stop accepting, let run() return, exit 0. Set up before the
    // listening line, so that a signal sent the moment it appears is already handled.
    asio::signal_set signals(server.get_io_service(), SIGINT, SIGTERM);
    signals.async_wait([&server](const asio::error_code&, int) {
        websocketpp::lib::error_code ignored;
        server.stop_listening(ignored);
        server.stop();
    });

    // IPv4 loopback, stated explicitly: listen(port) alone would bind IPv6 dual-stack.
    websocketpp::lib::error_code ec;
    server.listen(asio::ip::tcp::endpoint(asio::ip::address_v4::loopback(), options.port), ec);
    if (!ec) server.start_accept(ec);
    if (ec) {
        log_error("cannot listen on port " + std::to_string(options.port) + ": " + ec.message());
        return 1;
    }
    asio::error_code local_ec;
    log_line("Now listening on: http://localhost:" +
             std::to_string(server.get_local_endpoint(local_ec).port()));

    server.run();
    log_line("stopped");
    return 0;
}
