// Step 03 — the upgrade check: the counterpart of `IsWebSocketRequest`.
//
// "/" is a WebSocket endpoint only: a plain HTTP request to it gets 400.
// Usage: step03_server [PORT]   (default 5065; 0 picks a free port)
#include <websocketpp/config/asio_no_tls.hpp>
#include <websocketpp/server.hpp>

#include <cstdlib>
#include <iostream>
#include <string>

using Server = websocketpp::server<websocketpp::config::asio>;

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

// Called once the 101 answer is sent: the connection is open.
void on_open(Server& server, websocketpp::connection_hdl hdl) {
    std::cout << "opened: " << server.get_con_from_hdl(hdl)->get_remote_endpoint() << std::endl;
}

// Called once the connection is over, whichever side ended it and however.
void on_close(Server& server, websocketpp::connection_hdl hdl) {
    std::cout << "closed: code " << server.get_con_from_hdl(hdl)->get_remote_close_code()
              << std::endl;
}

int main(int argc, char* argv[]) {
    const unsigned short port = argc > 1 ? static_cast<unsigned short>(std::atoi(argv[1])) : 5065;

    Server server;
    server.clear_access_channels(websocketpp::log::alevel::all);  // stdout is ours
    server.init_asio();
    server.set_reuse_addr(true);  // restart at once on the same port
    server.set_http_handler([&server](websocketpp::connection_hdl hdl) { on_http(server, hdl); });
    server.set_validate_handler(
        [&server](websocketpp::connection_hdl hdl) { return on_validate(server, hdl); });
    server.set_open_handler([&server](websocketpp::connection_hdl hdl) { on_open(server, hdl); });
    server.set_close_handler([&server](websocketpp::connection_hdl hdl) { on_close(server, hdl); });

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
    server.listen(asio::ip::tcp::endpoint(asio::ip::address_v4::loopback(), port), ec);
    if (!ec) server.start_accept(ec);
    if (ec) {
        std::cerr << "cannot listen on port " << port << ": " << ec.message() << '\n';
        return 1;
    }
    asio::error_code local_ec;
    std::cout << "Now listening on: http://localhost:"
              << server.get_local_endpoint(local_ec).port() << std::endl;

    server.run();
    return 0;
}
