// final/client.cpp — the finished client: step 21's, as it is.
//
// Prints every text message on its own line as it arrives, until the server
// closes the connection; Ctrl+C or SIGTERM closes it normally from this side.
// --count N closes normally after N messages. It offers ticks.v1: from a server
// on a Redis Stream each message carries its ID, printed once and in order, and
// with --reconnect URL... a lost connection goes on at the next URL from the last
// ID (?since=). A wss:// server's certificate is verified against the system's
// CAs (or --ca-file) and must name the URL's host.
// Usage: final_client [URL] [--count N] [--reconnect [URL...]] [--ca-file FILE] [--show-ids]
// Exit codes: 0 closed normally, 1 could not connect, 2 bad usage, 3 connection lost.
#include <websocketpp/client.hpp>
#include <websocketpp/client.hpp>
#include <websocketpp/config/asio_client.hpp>

#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

// websocketpp's stock client with two sizes of our own. websocketpp takes both
// from the config it is given, so redeclaring them in a derived config is enough.
// Base is config::asio_client (ws://) or config::asio_tls_client (wss://).
template <class Base>
struct ClientConfig : Base {
    // Each read from the socket takes at most 256 bytes, like the article's buffer.
    static constexpr std::size_t connection_read_buffer_size = 256;
    // The largest message accepted; websocketpp fails the connection (Close
    // 1009, message too big) as soon as a frame header announces more.
    static constexpr std::size_t max_message_size = 16 * 1024 * 1024;
};
using PlainClient = websocketpp::client<ClientConfig<websocketpp::config::asio_client>>;
using TlsClient = websocketpp::client<ClientConfig<websocketpp::config::asio_tls_client>>;

enum ExitCode { closed_normally = 0, could_not_connect = 1, bad_usage = 2, connection_lost = 3 };

// #region ids
// A Redis stream ID, "<milliseconds>-<sequence>", as the pair of numbers it is:
// compared as text, "10-0" would come before "9-0".
using StreamId = std::pair<std::uint64_t, std::uint64_t>;

// "1764709200000-0" -> {1764709200000, 0}; nullopt unless <digits>-<digits>, in 64 bits each.
std::optional<StreamId> parse_id(std::string_view text) {
    const auto number = [](std::string_view digits, std::uint64_t& value) {
        const char* end = digits.data() + digits.size();
        const auto [stop, ec] = std::from_chars(digits.data(), end, value);
        return ec == std::errc() && stop == end;
    };
    const std::size_t dash = text.find('-');
    StreamId id;
    if (dash == std::string_view::npos || !number(text.substr(0, dash), id.first) ||
        !number(text.substr(dash + 1), id.second))
        return std::nullopt;
    return id;
}

std::string to_string(const StreamId& id) {
    return std::to_string(id.first) + '-' + std::to_string(id.second);
}
// #endregion

// What the handlers and main share: the current connection attempt, and what
// --reconnect needs to remember across attempts.
template <class Client>
struct SessionFor {
    explicit SessionFor(asio::io_context& io) : signals(io, SIGINT, SIGTERM), retry_timer(io) {}
    std::vector<std::string> urls;  // the URL, then those after --reconnect: tried in turn
    std::size_t current = 0;        // the URL of the current attempt, in urls
    const std::string& url() const { return urls[current]; }
    std::optional<unsigned long> count;  // --count: close after this many messages
    unsigned long received = 0;          // messages, over every connection
    bool reconnect = false;
    bool show_ids = false;            // --show-ids: print "<id> <text>"
    bool ticks = false;               // the server selected ticks.v1: messages carry IDs
    std::optional<StreamId> last_id;  // of the last entry printed: where to resume
    typename Client::connection_ptr connection;  // the current attempt; for on_signal
    asio::signal_set signals;  // Ctrl+C and SIGTERM, delivered as events on the io loop
    asio::steady_timer retry_timer;
    unsigned failed_attempts = 0;  // in a row, none with a message yet: sets the backoff
    bool stopping = false;         // Ctrl+C or --count: no more reconnecting
    std::mt19937 random{std::random_device{}()};
    ExitCode exit_code = closed_normally;
};

// Nothing left to wait for: run() returns, main exits with `code`.
template <class Session>
void finish(Session& session, ExitCode code) {
    session.exit_code = code;
    session.signals.cancel();
    session.retry_timer.cancel();
}

// #region resume
// Where a reconnection goes: the user's URL, with since=<ID> added to its query (after
// the user's own parameters, any since= of theirs replaced), so that the server first
// sends every entry after that ID. A URL without a path gets "/": websocketpp would
// read "?since=" right after the port as part of the port.
std::string with_since(std::string url, const std::string& id) {
    const std::size_t path = url.find_first_of("/?", url.find("://") + 3);
    if (path == std::string::npos || url[path] == '?') url.insert(std::min(path, url.size()), "/");
    const std::size_t query = url.find('?');
    if (query == std::string::npos) return url + "?since=" + id;
    std::string resumed = url.substr(0, query + 1);
    std::istringstream parameters(url.substr(query + 1));
    for (std::string parameter; std::getline(parameters, parameter, '&');)
        if (!parameter.empty() && parameter.rfind("since=", 0) != 0) resumed += parameter + '&';
    return resumed + "since=" + id;
}

// get_connection only parses the URL; connect() queues the work, run() does it.
// Every attempt offers ticks.v1 (Sec-WebSocket-Protocol); the server may select it
// or not, and on_open reads which. Once something was printed, it resumes after it.
template <class Client, class Session>
void connect(Client& client, Session& session) {
    const std::string url =
        session.last_id ? with_since(session.url(), to_string(*session.last_id)) : session.url();
    websocketpp::lib::error_code ec;
    session.connection = client.get_connection(url, ec);
    if (!ec) session.connection->add_subprotocol("ticks.v1", ec);
    if (ec) {
        std::cerr << "cannot connect to " << url << ": " << ec.message() << '\n';
        return finish(session, could_not_connect);
    }
    client.connect(session.connection);
}
// #endregion

// #region failover
// The wait after `rounds` rounds in a row failed: 0.5 s, then 1, 2, 4, 8 and 10 s at
// most, each cut by a random 0-25 %, so that clients that lost the same servers do
// not all come back in the same instant.
template <class Session>
std::chrono::milliseconds backoff(Session& session, std::size_t rounds) {
    using std::chrono::milliseconds;
    const std::size_t doublings = std::min<std::size_t>(rounds - 1, 5);
    const milliseconds base = std::min(milliseconds(10000), milliseconds(500) * (1 << doublings));
    std::uniform_real_distribution<double> jitter(0.75, 1.0);
    return milliseconds(
        static_cast<long>(static_cast<double>(base.count()) * jitter(session.random)));
}

// --reconnect: the next attempt goes to the next URL of the list, at once, so that a
// client whose server died is back on another one in milliseconds. Only when every
// URL has failed in a row (a round; the one just lost counts) does it wait before
// going on. With one URL, each attempt is a round: step 15's backoff. An attempt
// counts as failed until a message comes (on_message), not merely until it opens: a
// server that accepts and at once closes (1013, no Redis yet) must be backed off from
// too, or the client would go round the list as fast as the handshakes go.
template <class Client, class Session>
void retry_later(Client& client, Session& session) {
    ++session.failed_attempts;
    session.current = (session.current + 1) % session.urls.size();
    session.connection.reset();
    std::chrono::milliseconds delay(0);
    if (session.failed_attempts % session.urls.size() != 0) {
        std::cerr << "failing over to " << session.url() << " (attempt "
                  << session.failed_attempts << ")\n";
    } else {
        delay = backoff(session, session.failed_attempts / session.urls.size());
        std::cerr << "reconnecting in " << delay.count() << " ms (attempt "
                  << session.failed_attempts << ")\n";
    }
    session.retry_timer.expires_after(delay);
    session.retry_timer.async_wait([&client, &session](const asio::error_code& ec) {
        if (!ec) connect(client, session);
    });
}
// #endregion

// #region envelope
// The server's choice among what was offered: ticks.v1, or nothing (an older server,
// or one without Redis), whose messages are the plain text, without IDs. It is in the
// answer's header: websocketpp 0.8's client leaves get_subprotocol() empty.
template <class Session>
void on_open(Session& session) {
    session.ticks =
        session.connection->get_response_header("Sec-WebSocket-Protocol") == "ticks.v1";
    std::cout << "Connected to " << session.url() << std::endl;
}

// "gap <since> <first>": the entries after <since> are no longer in the stream
// (trimmed, or Redis lost them), and the server goes on from <first>, the oldest it
// has ("-": none yet). Said, not hidden: the user learns that messages are missing.
void on_gap(const std::string& payload) {
    std::istringstream words(payload);
    std::string gap, since, first;
    words >> gap >> since >> first;
    std::cerr << "gap: messages after " << since << " are no longer in the stream; resuming from "
              << (first == "-" ? "the next one published" : first) << '\n';
}

// A message under ticks.v1: "<id> <text>", or a gap. An entry whose ID is not above
// the last one printed came before: a resume can overlap what arrived just before
// the loss. True if something was printed.
template <class Session>
bool on_envelope(Session& session, const std::string& payload) {
    const std::size_t space = payload.find(' ');
    const std::string_view head = std::string_view(payload).substr(0, space);
    if (head == "gap") {
        on_gap(payload);
        return false;
    }
    const auto id = parse_id(head);
    if (!id || space == std::string::npos) {
        std::cout << payload << std::endl;  // not an entry: shown as it came rather than lost
        return true;
    }
    if (session.last_id && *id <= *session.last_id) return false;
    session.last_id = id;
    std::cout << (session.show_ids ? payload : payload.substr(space + 1)) << std::endl;
    return true;
}
// #endregion

// Called once per complete message: however many frames and 256-byte reads it
// took, the payload is whole, and for a text message it is valid UTF-8.
// The first message (an entry, a resend, a gap) is what shows that a connection
// works: from there on, the failures in a row start again from none.
template <class Session, class MessagePtr>
void on_message(Session& session, MessagePtr message) {
    session.failed_attempts = 0;
    const std::string& payload = message->get_payload();
    if (message->get_opcode() != websocketpp::frame::opcode::text) {
        std::cerr << "binary message of " << payload.size() << " bytes, not printed\n";
    } else if (!session.ticks) {
        std::cout << payload << std::endl;  // flushed: each line shows as it arrives
    } else if (!on_envelope(session, payload)) {
        return;  // a resend or a gap: not a message for --count
    }
    // --count N: enough; close normally (websocketpp ignores what still comes in while closing).
    if (session.count && ++session.received == *session.count) {
        session.stopping = true;
        websocketpp::lib::error_code ignored;
        session.connection->close(websocketpp::close::status::normal, "", ignored);
    }
}

// #region verify
// Why a wss:// connection failed in its TLS handshake, in one line; "" if it did not.
std::string tls_failure(const TlsClient::connection_ptr& con) {
    using namespace websocketpp::transport::asio::socket;
    if (con->get_ec() == make_error_code(error::tls_handshake_timeout))
        return "no TLS answer in 5 s (a ws:// server?)";
    if (con->get_ec() != make_error_code(error::tls_handshake_failed)) return "";
    const long result = SSL_get_verify_result(con->get_socket().native_handle());
    switch (result) {
    case X509_V_OK:  // the certificate was never checked: the handshake failed before
        return "TLS handshake failed (not a wss:// server, or no TLS version in common)";
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
        return "the server's certificate is from an unknown CA (trust it with --ca-file)";
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
        return "the server's certificate is not for " + con->get_host();
    case X509_V_ERR_CERT_HAS_EXPIRED:
        return "the server's certificate has expired";
    default:
        return std::string("the server's certificate: ") + X509_verify_cert_error_string(result);
    }
}
// #endregion
template <class ConnectionPtr>  // ws://: a TLS server hangs up on a plain HTTP request
std::string tls_failure(const ConnectionPtr& con) {
    if (con->get_ec() != websocketpp::transport::error::make_error_code(
                             websocketpp::transport::error::eof))
        return "";
    return "the server hung up without an HTTP answer (a wss:// server?)";
}

// The connection never opened: no server, a refused handshake, a network error.
template <class Client, class Session>
void on_fail(Client& client, Session& session, websocketpp::connection_hdl hdl) {
    websocketpp::lib::error_code ec;
    auto con = client.get_con_from_hdl(hdl, ec);
    if (ec) return;
    std::cerr << "cannot connect to " << session.url() << ": ";
    bool worth_retrying = true;
    if (con->get_ec() == websocketpp::processor::error::invalid_http_status) {
        // The server answered, but not with 101 Switching Protocols: it refused the handshake.
        std::cerr << "the server answered HTTP " << con->get_response_code() << ' '
                  << con->get_response_msg();
        // 4xx: this request is wrong (a path, say), and asking again will not change the
        // answer. From one server of several, though, it is that server's answer (one
        // without Redis refuses since=, say): the others are tried, as if it were down.
        const int status = con->get_response_code();
        worth_retrying = status < 400 || status >= 500 || session.urls.size() > 1;
    } else if (const std::string tls = tls_failure(con); !tls.empty()) {
        std::cerr << tls;
        worth_retrying = std::is_same_v<Client, PlainClient>;  // a refused certificate stays so
    } else {
        std::cerr << con->get_ec().message();
    }
    std::cerr << '\n';
    if (session.reconnect && !session.stopping && worth_retrying)
        return retry_later(client, session);
    finish(session, could_not_connect);
}

// The connection has ended, in one of three ways. Remote code 1006 (abnormal)
// is websocketpp's way of saying that no Close frame came from the server.
template <class Client, class Session>
void on_close(Client& client, Session& session, websocketpp::connection_hdl hdl) {
    websocketpp::lib::error_code ec;
    auto con = client.get_con_from_hdl(hdl, ec);
    if (ec) return;
    const auto code = con->get_remote_close_code();
    const bool retry = session.reconnect && !session.stopping;
    if (code != websocketpp::close::status::abnormal_close) {
        // The server's Close frame came, and websocketpp has already answered it.
        std::cerr << "connection closed: code " << code << ", reason \""
                  << con->get_remote_close_reason() << "\"\n";
        // Going away (a restart, say), a server-side failure, or 1008, the server's "too
        // slow" (this client fell behind): worth coming back, resuming after what it got.
        namespace close_status = websocketpp::close::status;
        if (retry && (code == close_status::going_away || code == close_status::service_restart ||
                      code == close_status::internal_endpoint_error ||
                      code == close_status::try_again_later ||
                      code == close_status::policy_violation))
            return retry_later(client, session);
        finish(session, closed_normally);
    } else if (con->get_ec()) {
        // The socket failed or was closed under us: a crash, a reset, a timeout.
        std::cerr << "connection to " << session.url() << " lost: " << con->get_ec().message()
                  << '\n';
        if (retry) return retry_later(client, session);
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
template <class Client, class Session>
void on_signal(Client& client, Session& session) {
    session.stopping = true;
    asio::error_code ignored_asio;
    session.signals.clear(ignored_asio);
    if (!session.connection) return finish(session, closed_normally);  // between two attempts
    if (session.connection->get_state() == websocketpp::session::state::connecting) {
        if (session.reconnect) {
            finish(session, closed_normally);  // the user ends the retrying, not a failure
        } else {
            std::cerr << "cannot connect to " << session.url() << ": interrupted\n";
            finish(session, could_not_connect);
        }
        client.stop();
        return;
    }
    websocketpp::lib::error_code ignored;  // fails only when already closing: nothing more to do
    session.connection->close(websocketpp::close::status::normal, "", ignored);
}

// #region tls
// The CAs a wss:// server's certificate must chain to: the system's (on Debian
// /etc/ssl/certs, from ca-certificates), or those in --ca-file alone. TLS 1.2 or 1.3.
std::shared_ptr<asio::ssl::context> tls_context(const std::string& ca_file) {
    if (!ca_file.empty() && !std::ifstream(ca_file)) {
        std::cerr << "cannot read --ca-file " << ca_file << ": " << std::strerror(errno) << '\n';
        return nullptr;
    }
    auto context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
    SSL_CTX_set_min_proto_version(context->native_handle(), TLS1_2_VERSION);
    context->set_verify_mode(asio::ssl::verify_peer);  // websocketpp's default: verify nothing
    asio::error_code ec;
    if (ca_file.empty())
        context->set_default_verify_paths(ec);
    else
        context->load_verify_file(ca_file, ec);
    if (!ec) return context;
    std::cerr << "cannot use " << (ca_file.empty() ? "the system's CAs" : "--ca-file " + ca_file)
              << ": " << ec.message() << '\n';
    return nullptr;
}

// websocketpp checks the certificate's name only if told to: OpenSSL compares
// the URL's host with the names in the certificate (an IP with its IP
// addresses) during the handshake, and a mismatch fails it. Set for each
// connection, as its URL is known and before its TLS handshake: with
// --reconnect URL... each URL may name another host.
void check_host(TlsClient& client) {
    client.set_tcp_pre_init_handler([&client](websocketpp::connection_hdl hdl) {
        websocketpp::lib::error_code ec;
        auto con = client.get_con_from_hdl(hdl, ec);
        if (ec) return;  // the connection is gone: there will be no handshake to check
        SSL* ssl = con->get_socket().native_handle();
        const std::string host = con->get_host();
        asio::error_code not_an_ip;
        asio::ip::make_address(host, not_an_ip);
        if (not_an_ip) {
            X509_VERIFY_PARAM_set1_host(SSL_get0_param(ssl), host.c_str(), 0);
        } else {
            X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host.c_str());
            // websocketpp has set the host as SNI (the name a server picks a
            // certificate by), IP or not; RFC 6066 allows only names: taken back.
            SSL_set_tlsext_host_name(ssl, nullptr);
        }
    });
}
// #endregion

// The command line.
struct Options {
    std::vector<std::string> urls;  // the URL, then those after --reconnect
    std::optional<unsigned long> count;
    std::string ca_file;  // empty: the system's CAs
    bool reconnect = false;
    bool show_ids = false;
    bool help = false;
};

const char* const usage =
    " [URL] [--count N] [--reconnect [URL...]] [--ca-file FILE] [--show-ids]\n";
const char* const help = R"(Prints each text message of a WebSocket server on its own line.
It offers the subprotocol ticks.v1: a server that selects it sends each entry
with its stream ID, and the client prints each once, in order, resuming after
the last one it printed.

  URL                   ws:// or wss:// (default ws://localhost:5065/)
  --count N             close normally after N messages
  --reconnect [URL...]  after a loss, connect again: at once to the next of URL
                        and these URLs, resuming (?since=<last ID>); once every
                        one failed in a row, after 0.5 s, then 1, 2 ... 10 s.
                        A connection closed before its first message counts as
                        failed. Retried: a lost connection, Close 1001, 1008,
                        1011, 1012, 1013, HTTP 5xx; HTTP 4xx only with more
                        than one URL (then the next one is tried)
  --ca-file FILE        trust the CAs in FILE for wss://, not the system's
  --show-ids            print each entry as "<stream ID> <text>"
Exit codes: 0 closed normally, 1 could not connect, 2 bad usage, 3 connection lost.
)";

// The command line, or nullopt after one line on stderr. The URLs are checked here, so
// that a typo is bad usage (2), not "could not connect" (1); they must all be ws://
// or all wss://, as a client is one or the other.
std::optional<Options> parse_options(int argc, char* argv[]) {
    Options options;
    std::vector<std::string> more_urls;  // after --reconnect
    bool bad = false;
    for (int i = 1; i < argc; ++i) {
        const std::string argument = argv[i];
        if (argument == "--count" && i + 1 < argc) {
            const char* text = argv[++i];
            char* end = nullptr;
            options.count = std::strtoul(text, &end, 10);
            bad = bad || !std::isdigit(static_cast<unsigned char>(*text)) || *end ||
                  *options.count == 0;
        } else if (argument == "--reconnect") {
            options.reconnect = true;
            while (i + 1 < argc && std::strncmp(argv[i + 1], "--", 2) != 0)
                more_urls.push_back(argv[++i]);  // up to the next option
        } else if (argument == "--ca-file" && i + 1 < argc) {
            options.ca_file = argv[++i];
        } else if (argument == "--show-ids") {
            options.show_ids = true;
        } else if (argument == "--help") {
            options.help = true;
        } else if (argument[0] == '-' || !options.urls.empty()) {
            bad = true;
        } else {
            options.urls.push_back(argument);
        }
    }
    if (bad) {
        std::cerr << "usage: " << argv[0] << usage;
        return std::nullopt;
    }
    options.urls.insert(options.urls.end(), more_urls.begin(), more_urls.end());
    if (options.urls.empty()) options.urls.push_back("ws://localhost:5065/");
    const bool secure = websocketpp::uri(options.urls.front()).get_secure();
    for (const std::string& url : options.urls) {
        const websocketpp::uri uri(url);
        if (!uri.get_valid() || (uri.get_scheme() != "ws" && uri.get_scheme() != "wss")) {
            std::cerr << "'" << url << "' is not a ws:// or wss:// URL\n";
            return std::nullopt;
        }
        if (uri.get_secure() != secure) {
            std::cerr << "'" << url << "' and '" << options.urls.front()
                      << "': the URLs must be all ws:// or all wss://\n";
            return std::nullopt;
        }
    }
    return options;
}

template <class Client>
int run(Client& client, const Options& options);  // below: the same for ws:// and wss://

int main(int argc, char* argv[]) {
    const std::optional<Options> options = parse_options(argc, argv);
    if (!options) return bad_usage;
    if (options->help) {
        std::cout << "usage: " << argv[0] << usage << help;
        return closed_normally;
    }
    if (!websocketpp::uri(options->urls.front()).get_secure()) {
        PlainClient client;
        return run(client, *options);
    }
    TlsClient client;
    const auto context = tls_context(options->ca_file);
    if (!context) return bad_usage;
    client.set_tls_init_handler([context](websocketpp::connection_hdl) { return context; });
    check_host(client);
    return run(client, *options);
}

// Runs one client, plain or TLS, until it is done; returns the exit code.
template <class Client>
int run(Client& client, const Options& options) {
    client.clear_access_channels(websocketpp::log::alevel::all);  // stdout is ours
    client.clear_error_channels(websocketpp::log::elevel::all);   // our handlers report errors
    client.init_asio();
    SessionFor<Client> session(client.get_io_service());
    session.urls = options.urls;
    session.count = options.count;
    session.reconnect = options.reconnect;
    session.show_ids = options.show_ids;
    client.set_open_handler([&](websocketpp::connection_hdl) { on_open(session); });
    client.set_message_handler([&](websocketpp::connection_hdl, auto message) {
        on_message(session, message);
    });
    client.set_fail_handler(
        [&](websocketpp::connection_hdl hdl) { on_fail(client, session, hdl); });
    client.set_close_handler(
        [&](websocketpp::connection_hdl hdl) { on_close(client, session, hdl); });
    session.signals.async_wait([&](const asio::error_code& ec, int) {
        // An error here means cancelled: the connection has ended.
        if (!ec) on_signal(client, session);
    });

    connect(client, session);
    client.run();  // returns once there is nothing left to do: closed, failed, or stopped
    return session.exit_code;
}
