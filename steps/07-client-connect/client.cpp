// Step 07 — connect: the counterpart of `new ClientWebSocket()` + `ConnectAsync`.
//
// Opens a WebSocket connection, says so, then closes it normally (1000).
// Usage: step07_client [URL]   (default ws://localhost:5065/)
// Exit codes: 0 connected and closed, 1 could not connect, 2 bad usage.
#include <websocketpp/client.hpp>
#include <websocketpp/config/asio_no_tls_client.hpp>

#include <iostream>
#include <string>

using Client = websocketpp::client<websocketpp::config::asio_client>;

enum ExitCode { closed_normally = 0, could_not_connect = 1, bad_usage = 2 };

// #region session
// What the handlers and main share about the one connection.
struct Session {
    std::string url;
    ExitCode exit_code = closed_normally;
};
// #endregion

// #region open
// The handshake succeeded (101 Switching Protocols): the connection is open.
void on_open(Client& client, Session& session, websocketpp::connection_hdl hdl) {
    std::cout << "Connected to " << session.url << std::endl;
    websocketpp::lib::error_code ec;
    client.close(hdl, websocketpp::close::status::normal, "", ec);
    if (ec) std::cerr << "close failed: " << ec.message() << '\n';
}
// #endregion

// #region fail
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
// #endregion

int main(int argc, char* argv[]) {
    if (argc > 2 || (argc == 2 && argv[1][0] == '-')) {
        std::cerr << "usage: " << argv[0] << " [URL]   (default ws://localhost:5065/)\n";
        return bad_usage;
    }

    // #region setup
    Client client;
    client.clear_access_channels(websocketpp::log::alevel::all);  // stdout is ours
    client.clear_error_channels(websocketpp::log::elevel::all);   // our handlers report errors
    client.init_asio();
    Session session;
    session.url = argc > 1 ? argv[1] : "ws://localhost:5065/";
    client.set_open_handler(
        [&](websocketpp::connection_hdl hdl) { on_open(client, session, hdl); });
    client.set_fail_handler(
        [&](websocketpp::connection_hdl hdl) { on_fail(client, session, hdl); });
    // #endregion

    // #region connect
    // get_connection only parses the URL; connect() queues the work, run() does it.
    websocketpp::lib::error_code ec;
    Client::connection_ptr con = client.get_connection(session.url, ec);
    if (ec) {
        std::cerr << "cannot connect to " << session.url << ": " << ec.message() << '\n';
        return could_not_connect;
    }
    client.connect(con);
    client.run();  // returns once the connection has failed or closed
    // #endregion
    return session.exit_code;
}
