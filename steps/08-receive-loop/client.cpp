// Step 08 — the receive loop: the counterpart of `ReceiveAsync` while `State` is Open.
//
// Prints every text message on its own line as it arrives, until the
// connection ends.
// Usage: step08_client [URL]   (default ws://localhost:5065/)
// Exit codes: 0 connected (however the connection then ended), 1 could not connect, 2 bad usage.
#include <websocketpp/client.hpp>
#include <websocketpp/config/asio_no_tls_client.hpp>

#include <cstddef>
#include <iostream>
#include <string>

// #region config
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
// #endregion

enum ExitCode { closed_normally = 0, could_not_connect = 1, bad_usage = 2 };

// What the handlers and main share about the one connection.
struct Session {
    std::string url;
    ExitCode exit_code = closed_normally;
};

void on_open(Session& session) { std::cout << "Connected to " << session.url << std::endl; }

// #region message
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
// #endregion

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
}

// The connection has ended. Code 1006 means that no Close frame came from the server.
void on_close(Client& client, websocketpp::connection_hdl hdl) {
    Client::connection_ptr con = client.get_con_from_hdl(hdl);
    std::cerr << "connection closed: code " << con->get_remote_close_code() << ", reason \""
              << con->get_remote_close_reason() << "\"\n";
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
    Session session;
    session.url = argc > 1 ? argv[1] : "ws://localhost:5065/";
    client.set_open_handler([&](websocketpp::connection_hdl) { on_open(session); });
    client.set_message_handler(
        [](websocketpp::connection_hdl, Client::message_ptr message) { on_message(message); });
    client.set_fail_handler(
        [&](websocketpp::connection_hdl hdl) { on_fail(client, session, hdl); });
    client.set_close_handler([&client](websocketpp::connection_hdl hdl) { on_close(client, hdl); });

    // get_connection only parses the URL; connect() queues the work, run() does it.
    websocketpp::lib::error_code ec;
    Client::connection_ptr con = client.get_connection(session.url, ec);
    if (ec) {
        std::cerr << "cannot connect to " << session.url << ": " << ec.message() << '\n';
        return could_not_connect;
    }
    client.connect(con);
    client.run();  // returns once the connection has failed or closed
    return session.exit_code;
}
