// Step 03 — the upgrade check: the counterpart of `IsWebSocketRequest`.
//
// "/" is a WebSocket endpoint only: a plain HTTP request to it gets 400.
// Usage: step03_server [PORT]   (default 5065; 0 picks a free port)
#include <websocketpp/config/asio_no_tls.hpp>
#include <websocketpp/server.hpp>

#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <string>

using Server = websocketpp::server<websocketpp::config::asio>;

// #region connections
// What the server remembers about each open connection, keyed by its handle.
// The handle is a weak pointer, compared with owner_less, so the map never
// keeps a closed connection alive.
struct Connection {
    std::string peer;  // "127.0.0.1:51040", read at open: at close the socket may already be shut down
};
using Connections = std::map<websocketpp::connection_hdl, Connection, std::owner_less<websocketpp::connection_hdl>>;
// #endregion

// #region http-handler
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
// #endregion

// #region handshake
// Called for every WebSocket handshake, before it is answered: true accepts it (101).
bool on_validate(Server& server, websocketpp::connection_hdl hdl) {
    Server::connection_ptr con = server.get_con_from_hdl(hdl);
    if (con->get_resource() == "/") return true;
    con->set_status(websocketpp::http::status_code::not_found);
    return false;
}

void on_open(Server& server, Connections& connections, websocketpp::connection_hdl hdl) {
    Connection& connection = connections[hdl];
    connection.peer = server.get_con_from_hdl(hdl)->get_remote_endpoint();
    std::cout << "opened: " << connection.peer << std::endl;
}

void on_close(Server& server, Connections& connections, websocketpp::connection_hdl hdl) {
    auto connection = connections.find(hdl);  // websocketpp calls this only after on_open
    std::cout << "closed: " << connection->second.peer << " (code "
              << server.get_con_from_hdl(hdl)->get_remote_close_code() << ")" << std::endl;
    connections.erase(connection);
}
// #endregion

int main(int argc, char* argv[]) {
    const unsigned short port = argc > 1 ? static_cast<unsigned short>(std::atoi(argv[1])) : 5065;

    // #region setup
    Server server;
    Connections connections;  // one entry per open connection
    server.clear_access_channels(websocketpp::log::alevel::all);  // stdout is ours
    server.init_asio();
    server.set_reuse_addr(true);  // restart at once on the same port
    server.set_http_handler([&server](websocketpp::connection_hdl hdl) { on_http(server, hdl); });
    server.set_validate_handler([&server](websocketpp::connection_hdl hdl) { return on_validate(server, hdl); });
    server.set_open_handler([&](websocketpp::connection_hdl hdl) { on_open(server, connections, hdl); });
    server.set_close_handler([&](websocketpp::connection_hdl hdl) { on_close(server, connections, hdl); });
    // #endregion

    // #region shutdown
    // Ctrl+C or SIGTERM: stop accepting, let run() return, exit 0. Set up before the
    // listening line, so that a signal sent the moment it appears is already handled.
    asio::signal_set signals(server.get_io_service(), SIGINT, SIGTERM);
    signals.async_wait([&server](const asio::error_code&, int) {
        websocketpp::lib::error_code ignored;
        server.stop_listening(ignored);
        server.stop();
    });
    // #endregion

    // #region listen
    // IPv4 loopback, stated explicitly: listen(port) alone would bind IPv6 dual-stack.
    websocketpp::lib::error_code ec;
    server.listen(asio::ip::tcp::endpoint(asio::ip::address_v4::loopback(), port), ec);
    if (!ec) server.start_accept(ec);
    if (ec) {
        std::cerr << "cannot listen on port " << port << ": " << ec.message() << '\n';
        return 1;
    }
    asio::error_code local_ec;
    std::cout << "Now listening on: http://localhost:"
              << server.get_local_endpoint(local_ec).port() << std::endl;
    // #endregion

    server.run();
    return 0;
}
