// Step 10 — options and exit codes, the client's side: the URL is checked before
// connecting, so a command line it cannot use is bad usage (exit code 2).
//
// Prints every text message on its own line as it arrives, until the server
// closes the connection; Ctrl+C or SIGTERM closes it normally from this side.
// Usage: step10_client [URL]   (default ws://localhost:5065/)
// Exit codes: 0 closed normally, 1 could not connect, 2 bad usage, 3 connection lost.
#include <websocketpp/client.hpp>
#include <websocketpp/config/asio_no_tls_client.hpp>

#include <csignal>
#include <cstddef>
#include <iostream>
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

// What the handlers and main share about the one connection.
struct Session {
    explicit Session(asio::io_context& io) : signals(io, SIGINT, SIGTERM) {}
    std::string url;
    Client::connection_ptr connection;  // for on_signal, the one handler not given a hdl
    asio::signal_set signals;  // Ctrl+C and SIGTERM, delivered as events on the io loop
    ExitCode exit_code = closed_normally;
};

void on_open(Session& session) { std::cout << "Connected to " << session.url << std::endl; }

// Called once per complete message: however many frames and 256-byte reads it
// took, the payload is whole, and for a text message it is valid UTF-8.
void on_message(Client::message_ptr message) {
    if (message->get_opcode() == websocketpp::frame::opcode::text) {
        std::cout << message->get_payload() << std::endl;  // flushed: each line shows as it arrives
    } else {
        std::cerr << "binary message of " << message->get_payload().size()
                  << " bytes, not printed\n";
    }
}

// The connection never opened: no server, a refused handshake, a network error.
void on_fail(Client& client, Session& session, websocketpp::connection_hdl hdl) {
    Client::connection_ptr con = client.get_con_from_hdl(hdl);
    std::cerr << "cannot connect to " << session.url << ": ";
    if (con->get_ec() == websocketpp::processor::error::invalid_http_status) {
        // The server answered, but not with 101 Switching Protocols: it refused the handshake.
        std::cerr << "the server answered HTTP " << con->get_response_code() << ' '
                  << con->get_response_msg();
    } else {
        std::cerr << con->get_ec().message();
    }
    std::cerr << '\n';
    session.exit_code = could_not_connect;
    session.signals.cancel();  // nothing left to wait for: let run() return
}

// The connection has ended, in one of three ways. Remote code 1006 (abnormal)
// is websocketpp's way of saying that no Close frame came from the server.
void on_close(Client& client, Session& session, websocketpp::connection_hdl hdl) {
    Client::connection_ptr con = client.get_con_from_hdl(hdl);
    if (con->get_remote_close_code() != websocketpp::close::status::abnormal_close) {
        // The server's Close frame came, and websocketpp has already answered it.
        std::cerr << "connection closed: code " << con->get_remote_close_code() << ", reason \""
                  << con->get_remote_close_reason() << "\"\n";
    } else if (con->get_ec()) {
        // The socket failed or was closed under us: a crash, a reset, a timeout.
        std::cerr << "connection to " << session.url << " lost: " << con->get_ec().message()
                  << '\n';
        session.exit_code = connection_lost;
    } else {
        // websocketpp failed the connection itself (1009 for a message too big):
        // it sent its Close frame and dropped the connection without waiting.
        std::cerr << "connection failed: code " << con->get_local_close_code() << ", reason \""
                  << con->get_local_close_reason() << "\"\n";
        session.exit_code = connection_lost;
    }
    session.signals.cancel();  // nothing left to wait for: let run() return
}

// Ctrl+C or SIGTERM: start the closing handshake; on_close follows when the
// server answers (or after websocketpp's 5 s close timeout if it does not).
void on_signal(Client& client, Session& session) {
    if (session.connection->get_state() == websocketpp::session::state::connecting) {
        std::cerr << "cannot connect to " << session.url << ": interrupted\n";
        session.exit_code = could_not_connect;
        client.stop();
        return;
    }
    websocketpp::lib::error_code ignored;  // fails only when already closing: nothing more to do
    session.connection->close(websocketpp::close::status::normal, "", ignored);
}

int main(int argc, char* argv[]) {
    if (argc > 2 || (argc == 2 && argv[1][0] == '-')) {
        std::cerr << "usage: " << argv[0] << " [URL]   (default ws://localhost:5065/)\n";
        return bad_usage;
    }

    Client client;
    client.clear_access_channels(websocketpp::log::alevel::all);  // stdout is ours
    client.clear_error_channels(websocketpp::log::elevel::all);   // our handlers report errors
    client.init_asio();
    Session session(client.get_io_service());
    session.url = argc > 1 ? argv[1] : "ws://localhost:5065/";
    // Checked before connecting, so that a typo is bad usage (2), not "could not connect" (1).
    const websocketpp::uri uri(session.url);
    if (!uri.get_valid() || uri.get_scheme() != "ws") {
        std::cerr << "'" << session.url << "' is not a ws:// URL (wss:// needs TLS)\n";
        return bad_usage;
    }
    client.set_open_handler([&](websocketpp::connection_hdl) { on_open(session); });
    client.set_message_handler(
        [](websocketpp::connection_hdl, Client::message_ptr message) { on_message(message); });
    client.set_fail_handler(
        [&](websocketpp::connection_hdl hdl) { on_fail(client, session, hdl); });
    client.set_close_handler(
        [&](websocketpp::connection_hdl hdl) { on_close(client, session, hdl); });
    session.signals.async_wait([&](const asio::error_code& ec, int) {
        // An error here means cancelled: the connection has ended.
        if (!ec) on_signal(client, session);
    });

    // get_connection only parses the URL; connect() queues the work, run() does it.
    websocketpp::lib::error_code ec;
    session.connection = client.get_connection(session.url, ec);
    if (ec) {
        std::cerr << "cannot connect to " << session.url << ": " << ec.message() << '\n';
        return could_not_connect;
    }
    client.connect(session.connection);
    client.run();  // returns once the connection has failed or closed
    return session.exit_code;
}
