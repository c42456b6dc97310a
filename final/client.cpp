// final/client.cpp — the finished client: step 15's (and 16's), as it is.
//
// Prints every text message on its own line as it arrives, until the server
// closes the connection; Ctrl+C or SIGTERM closes it normally from this side.
// With --reconnect, a lost or refused connection is tried again with backoff.
// Usage: final_client [URL] [--count N] [--reconnect] [--quiet]   (--help)
// Exit codes: 0 closed normally, 1 could not connect, 2 bad usage, 3 connection lost.
#include <websocketpp/client.hpp>
#include <websocketpp/config/asio_no_tls_client.hpp>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <csignal>
#include <cstddef>
#include <iostream>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>

// websocketpp's stock client with two sizes of our own. websocketpp takes both
// from the config it is given, so redeclaring them in a derived config is enough.
struct ClientConfig : websocketpp::config::asio_client {
    // Each read from the socket takes at most 256 bytes, like the article's buffer.
    static constexpr std::size_t connection_read_buffer_size = 256;
    // The largest message accepted; websocketpp fails the connection (Close
    // 1009, message too big) as soon as a frame header announces more.
    static constexpr std::size_t max_message_size = 16 * 1024 * 1024;
};
using Client = websocketpp::client<ClientConfig>;

enum ExitCode { closed_normally = 0, could_not_connect = 1, bad_usage = 2, connection_lost = 3 };

struct Options {
    std::string url = "ws://localhost:5065/";
    std::optional<unsigned long> count;  // close after this many messages
    bool reconnect = false;
    bool quiet = false;
    bool help = false;
};

std::string usage(const std::string& program) {
    return "Usage: " + program + R"( [URL] [--count N] [--reconnect] [--quiet]
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
}

struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Every argument is checked before connecting: a typo is bad usage, not "could not connect".
Options parse_options(int argc, char* argv[]) {
    Options options;
    bool have_url = false;
    for (int i = 1; i < argc; ++i) {
        const std::string argument = argv[i];
        if (argument == "--count" && i + 1 < argc) {
            const std::string text = argv[++i];
            unsigned long count = 0;
            const char* end = text.data() + text.size();
            const auto [stop, error] = std::from_chars(text.data(), end, count);
            if (text.empty() || error != std::errc() || stop != end || count == 0)
                throw UsageError("--count takes a whole number from 1, not '" + text + "'");
            options.count = count;
        } else if (argument == "--reconnect") {
            options.reconnect = true;
        } else if (argument == "--quiet") {
            options.quiet = true;
        } else if (argument == "--help") {
            options.help = true;
        } else if (argument.rfind("--", 0) == 0) {
            throw UsageError("unknown option or missing value: '" + argument + "'");
        } else if (have_url) {
            throw UsageError("one URL only, not also '" + argument + "'");
        } else {
            options.url = argument;
            have_url = true;
        }
    }
    const websocketpp::uri uri(options.url);
    if (!uri.get_valid() || uri.get_scheme() != "ws")
        throw UsageError("'" + options.url + "' is not a ws:// URL (wss:// needs TLS)");
    return options;
}

// What the handlers and main share: the options, the current connection
// attempt, and what --count and --reconnect need to remember across them.
struct Session {
    explicit Session(asio::io_context& io) : signals(io, SIGINT, SIGTERM), retry_timer(io) {}
    Options options;
    Client::connection_ptr connection;  // the current attempt; for on_signal, which has no hdl
    asio::signal_set signals;  // Ctrl+C and SIGTERM, delivered as events on the io loop
    asio::steady_timer retry_timer;
    unsigned failed_attempts = 0;  // in a row: sets the backoff
    unsigned long received = 0;    // messages, over every connection
    bool stopping = false;         // Ctrl+C or --count: no more reconnecting
    std::mt19937 random{std::random_device{}()};
    ExitCode exit_code = closed_normally;
};

// A line about the connection, on stderr; --quiet leaves only the messages.
void status(const Session& session, const std::string& line) {
    if (!session.options.quiet) std::cerr << line << '\n';
}

// Nothing left to wait for: run() returns, main exits with `code`.
void finish(Session& session, ExitCode code) {
    session.exit_code = code;
    session.signals.cancel();
    session.retry_timer.cancel();
}

// get_connection only parses the URL; connect() queues the work, run() does it.
void connect(Client& client, Session& session) {
    websocketpp::lib::error_code ec;
    session.connection = client.get_connection(session.options.url, ec);
    if (ec) {
        std::cerr << "cannot connect to " << session.options.url << ": " << ec.message() << '\n';
        return finish(session, could_not_connect);
    }
    client.connect(session.connection);
}

// --reconnect: the next attempt after 0.5 s, then 1, 2, 4, 8 and 10 s at most,
// each cut by a random 0-25 %, so that clients that lost the same server do
// not all come back in the same instant.
void retry_later(Client& client, Session& session) {
    using std::chrono::milliseconds;
    const unsigned doublings = std::min(session.failed_attempts, 5u);
    const milliseconds base = std::min(milliseconds(10000), milliseconds(500) * (1 << doublings));
    std::uniform_real_distribution<double> jitter(0.75, 1.0);
    const milliseconds delay(
        static_cast<long>(static_cast<double>(base.count()) * jitter(session.random)));
    ++session.failed_attempts;
    status(session, "reconnecting in " + std::to_string(delay.count()) + " ms (attempt " +
                        std::to_string(session.failed_attempts) + ")");
    session.connection.reset();
    session.retry_timer.expires_after(delay);
    session.retry_timer.async_wait([&client, &session](const asio::error_code& ec) {
        if (!ec) connect(client, session);
    });
}

void on_open(Session& session) {
    session.failed_attempts = 0;
    if (!session.options.quiet) std::cout << "Connected to " << session.options.url << std::endl;
}

// Called once per complete message: however many frames and 256-byte reads it
// took, the payload is whole, and for a text message it is valid UTF-8.
void on_message(Session& session, Client::message_ptr message) {
    if (message->get_opcode() == websocketpp::frame::opcode::text) {
        std::cout << message->get_payload() << std::endl;  // flushed: each line shows at once
    } else {
        std::cerr << "binary message of " << message->get_payload().size() << " bytes, not printed\n";
    }
    // --count N: enough; close normally (websocketpp ignores what still comes in while closing).
    if (session.options.count && ++session.received == *session.options.count) {
        session.stopping = true;
        websocketpp::lib::error_code ignored;
        session.connection->close(websocketpp::close::status::normal, "", ignored);
    }
}

// The connection never opened: no server, a refused handshake, a network error.
void on_fail(Client& client, Session& session, websocketpp::connection_hdl hdl) {
    websocketpp::lib::error_code ec;
    Client::connection_ptr con = client.get_con_from_hdl(hdl, ec);
    if (ec) return;
    std::string cause = con->get_ec().message();
    bool worth_retrying = true;
    if (con->get_ec() == websocketpp::processor::error::invalid_http_status) {
        // The server answered, but not with 101 Switching Protocols: it refused the handshake.
        const int code = con->get_response_code();
        cause = "the server answered HTTP " + std::to_string(code) + ' ' + con->get_response_msg();
        // 4xx: this request is wrong (a path, say), and asking again will not change the answer.
        worth_retrying = code < 400 || code >= 500;
    }
    if (session.options.reconnect && !session.stopping && worth_retrying) {
        status(session, "cannot connect to " + session.options.url + ": " + cause);
        return retry_later(client, session);
    }
    std::cerr << "cannot connect to " << session.options.url << ": " << cause << '\n';
    finish(session, could_not_connect);
}

// The connection has ended, in one of three ways. Remote code 1006 (abnormal)
// is websocketpp's way of saying that no Close frame came from the server.
void on_close(Client& client, Session& session, websocketpp::connection_hdl hdl) {
    websocketpp::lib::error_code ec;
    Client::connection_ptr con = client.get_con_from_hdl(hdl, ec);
    if (ec) return;
    const auto code = con->get_remote_close_code();
    if (code != websocketpp::close::status::abnormal_close) {
        // The server's Close frame came, and websocketpp has already answered it.
        status(session, "connection closed: code " + std::to_string(code) + ", reason \"" +
                            con->get_remote_close_reason() + "\"");
        // Going away (a restart, say), or a server-side failure: worth coming back.
        namespace close_status = websocketpp::close::status;
        const bool server_went_away = code == close_status::going_away ||
                                      code == close_status::internal_endpoint_error ||
                                      code == close_status::service_restart ||
                                      code == close_status::try_again_later;
        if (session.options.reconnect && !session.stopping && server_went_away)
            return retry_later(client, session);
        finish(session, closed_normally);
    } else if (con->get_ec()) {
        // The socket failed or was closed under us: a crash, a reset, a timeout.
        const std::string line =
            "connection to " + session.options.url + " lost: " + con->get_ec().message();
        if (session.options.reconnect && !session.stopping) {
            status(session, line);
            return retry_later(client, session);
        }
        std::cerr << line << '\n';
        finish(session, session.stopping ? closed_normally : connection_lost);
    } else {
        // websocketpp failed the connection itself (1009 for a message too big):
        // it sent its Close frame and dropped the connection without waiting.
        // Not retried: the same message would fail the same way.
        std::cerr << "connection failed: code " << con->get_local_close_code() << ", reason \""
                  << con->get_local_close_reason() << "\"\n";
        finish(session, connection_lost);
    }
}

// Ctrl+C or SIGTERM: start the closing handshake; on_close follows when the
// server answers (or after websocketpp's 5 s close timeout if it does not).
// Waiting to reconnect, there is nothing to close: stop there. The signals go
// back to their default action, so a second Ctrl+C quits at once.
void on_signal(Client& client, Session& session) {
    session.stopping = true;
    asio::error_code ignored_asio;
    session.signals.clear(ignored_asio);
    if (!session.connection) return finish(session, closed_normally);  // between two attempts
    if (session.connection->get_state() == websocketpp::session::state::connecting) {
        if (session.options.reconnect) {
            finish(session, closed_normally);  // the user ends the retrying, not a failure
        } else {
            std::cerr << "cannot connect to " << session.options.url << ": interrupted\n";
            finish(session, could_not_connect);
        }
        client.stop();
        return;
    }
    websocketpp::lib::error_code ignored;  // fails only when already closing: nothing more to do
    session.connection->close(websocketpp::close::status::normal, "", ignored);
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
        return bad_usage;
    }
    if (options.help) {
        std::cout << usage(program);
        return closed_normally;
    }

    Client client;
    client.clear_access_channels(websocketpp::log::alevel::all);  // stdout is ours
    client.clear_error_channels(websocketpp::log::elevel::all);   // our handlers report errors
    client.init_asio();
    Session session(client.get_io_service());
    session.options = options;
    using websocketpp::connection_hdl;
    client.set_open_handler([&](connection_hdl) { on_open(session); });
    client.set_message_handler(
        [&](connection_hdl, Client::message_ptr message) { on_message(session, message); });
    client.set_fail_handler([&](connection_hdl hdl) { on_fail(client, session, hdl); });
    client.set_close_handler([&](connection_hdl hdl) { on_close(client, session, hdl); });
    session.signals.async_wait([&](const asio::error_code& ec, int) {
        if (!ec) on_signal(client, session);  // an error here means cancelled: the end
    });

    connect(client, session);
    client.run();  // returns once there is nothing left to do: closed, failed, or stopped
    return session.exit_code;
}
