// Step 18 — the client speaks TLS: a wss:// URL is verified against the system's CAs
// (or --ca-file), and the certificate must name the host or IP of the URL.
//
// Step 15's client, plus wss://: a certificate that is not trusted, not for this
// host or expired ends the attempt with one line saying which. There is no
// switch to skip the check. The handlers are templates over the client, plain or TLS.
// Usage: step18_client [URL] [--count N] [--reconnect] [--ca-file FILE]
// Exit codes: 0 closed normally, 1 could not connect, 2 bad usage, 3 connection lost.
#include <websocketpp/client.hpp>
#include <websocketpp/config/asio_client.hpp>

#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <algorithm>
#include <chrono>
#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <optional>
#include <random>
#include <string>
#include <type_traits>

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

// What the handlers and main share: the current connection attempt, and what
// --reconnect needs to remember across attempts.
template <class Client>
struct SessionFor {
    explicit SessionFor(asio::io_context& io) : signals(io, SIGINT, SIGTERM), retry_timer(io) {}
    std::string url;
    std::optional<unsigned long> count;  // --count: close after this many messages
    unsigned long received = 0;          // messages, over every connection
    bool reconnect = false;
    typename Client::connection_ptr connection;  // the current attempt; for on_signal
    asio::signal_set signals;  // Ctrl+C and SIGTERM, delivered as events on the io loop
    asio::steady_timer retry_timer;
    unsigned failed_attempts = 0;  // in a row: sets the backoff
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

// get_connection only parses the URL; connect() queues the work, run() does it.
template <class Client, class Session>
void connect(Client& client, Session& session) {
    websocketpp::lib::error_code ec;
    session.connection = client.get_connection(session.url, ec);
    if (ec) {
        std::cerr << "cannot connect to " << session.url << ": " << ec.message() << '\n';
        return finish(session, could_not_connect);
    }
    client.connect(session.connection);
}

// --reconnect: the next attempt after 0.5 s, then 1, 2, 4, 8 and 10 s at most,
// each cut by a random 0-25 %, so that clients that lost the same server do
// not all come back in the same instant.
template <class Client, class Session>
void retry_later(Client& client, Session& session) {
    using std::chrono::milliseconds;
    const unsigned doublings = std::min(session.failed_attempts, 5u);
    const milliseconds base = std::min(milliseconds(10000), milliseconds(500) * (1 << doublings));
    std::uniform_real_distribution<double> jitter(0.75, 1.0);
    const milliseconds delay(
        static_cast<long>(static_cast<double>(base.count()) * jitter(session.random)));
    ++session.failed_attempts;
    std::cerr << "reconnecting in " << delay.count() << " ms (attempt " << session.failed_attempts
              << ")\n";
    session.connection.reset();
    session.retry_timer.expires_after(delay);
    session.retry_timer.async_wait([&client, &session](const asio::error_code& ec) {
        if (!ec) connect(client, session);
    });
}

template <class Session>
void on_open(Session& session) {
    session.failed_attempts = 0;
    std::cout << "Connected to " << session.url << std::endl;
}

// Called once per complete message: however many frames and 256-byte reads it
// took, the payload is whole, and for a text message it is valid UTF-8.
template <class Session, class MessagePtr>
void on_message(Session& session, MessagePtr message) {
    if (message->get_opcode() == websocketpp::frame::opcode::text) {
        std::cout << message->get_payload() << std::endl;  // flushed: each line shows as it arrives
    } else {
        std::cerr << "binary message of " << message->get_payload().size()
                  << " bytes, not printed\n";
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
    std::cerr << "cannot connect to " << session.url << ": ";
    bool worth_retrying = true;
    if (con->get_ec() == websocketpp::processor::error::invalid_http_status) {
        // The server answered, but not with 101 Switching Protocols: it refused the handshake.
        std::cerr << "the server answered HTTP " << con->get_response_code() << ' '
                  << con->get_response_msg();
        // 4xx: this request is wrong (a path, say), and asking again will not change the answer.
        worth_retrying = con->get_response_code() < 400 || con->get_response_code() >= 500;
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
        // Going away (a restart, say), or a server-side failure: worth coming back.
        namespace close_status = websocketpp::close::status;
        if (retry && (code == close_status::going_away || code == close_status::service_restart ||
                      code == close_status::internal_endpoint_error ||
                      code == close_status::try_again_later))
            return retry_later(client, session);
        finish(session, closed_normally);
    } else if (con->get_ec()) {
        // The socket failed or was closed under us: a crash, a reset, a timeout.
        std::cerr << "connection to " << session.url << " lost: " << con->get_ec().message()
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
            std::cerr << "cannot connect to " << session.url << ": interrupted\n";
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
// addresses) during the handshake, and a mismatch fails it.
void check_host(TlsClient& client, const std::string& host) {
    asio::error_code not_an_ip;
    asio::ip::make_address(host, not_an_ip);
    using Stream = asio::ssl::stream<asio::ip::tcp::socket>;
    client.set_socket_init_handler([host, not_an_ip](websocketpp::connection_hdl, Stream& stream) {
        X509_VERIFY_PARAM* param = SSL_get0_param(stream.native_handle());
        if (not_an_ip)
            X509_VERIFY_PARAM_set1_host(param, host.c_str(), 0);
        else
            X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str());
    });
    if (not_an_ip) return;
    // websocketpp sends the host as SNI (the name a server picks a certificate by)
    // after that handler, IP or not; RFC 6066 allows only names: taken back.
    client.set_tcp_pre_init_handler([&client](websocketpp::connection_hdl hdl) {
        websocketpp::lib::error_code ec;
        auto con = client.get_con_from_hdl(hdl, ec);
        if (!ec) SSL_set_tlsext_host_name(con->get_socket().native_handle(), nullptr);
    });
}
// #endregion

template <class Client>
int run(Client& client, const std::string& url, std::optional<unsigned long> count,
        bool reconnect);  // below: the part of main that is the same for ws:// and wss://

int main(int argc, char* argv[]) {
    std::string url = "ws://localhost:5065/";
    std::optional<unsigned long> count;
    std::string ca_file;  // empty: the system's CAs
    bool reconnect = false, have_url = false, bad = false;
    for (int i = 1; i < argc; ++i) {
        const std::string argument = argv[i];
        if (argument == "--count" && i + 1 < argc) {
            const char* text = argv[++i];
            char* end = nullptr;
            count = std::strtoul(text, &end, 10);
            bad = bad || !std::isdigit(static_cast<unsigned char>(*text)) || *end || *count == 0;
        } else if (argument == "--reconnect") {
            reconnect = true;
        } else if (argument == "--ca-file" && i + 1 < argc) {
            ca_file = argv[++i];
        } else if (argument[0] == '-' || have_url) {
            bad = true;
        } else {
            url = argument;
            have_url = true;
        }
    }
    if (bad) {
        std::cerr << "usage: " << argv[0] << " [URL] [--count N] [--reconnect] [--ca-file FILE]\n";
        return bad_usage;
    }
    // Checked before connecting, so that a typo is bad usage (2), not "could not connect" (1).
    const websocketpp::uri uri(url);
    if (!uri.get_valid() || (uri.get_scheme() != "ws" && uri.get_scheme() != "wss")) {
        std::cerr << "'" << url << "' is not a ws:// or wss:// URL\n";
        return bad_usage;
    }
    if (!uri.get_secure()) {
        PlainClient client;
        return run(client, url, count, reconnect);
    }
    TlsClient client;
    const auto context = tls_context(ca_file);
    if (!context) return bad_usage;
    client.set_tls_init_handler([context](websocketpp::connection_hdl) { return context; });
    check_host(client, uri.get_host());
    return run(client, url, count, reconnect);
}

// Runs one client, plain or TLS, until it is done; returns the exit code.
template <class Client>
int run(Client& client, const std::string& url, std::optional<unsigned long> count,
        bool reconnect) {
    client.clear_access_channels(websocketpp::log::alevel::all);  // stdout is ours
    client.clear_error_channels(websocketpp::log::elevel::all);   // our handlers report errors
    client.init_asio();
    SessionFor<Client> session(client.get_io_service());
    session.url = url;
    session.count = count;
    session.reconnect = reconnect;
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
