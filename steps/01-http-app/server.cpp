// Step 01 — a bare HTTP app: the C++ counterpart of `dotnet new web`.
//
// One websocketpp server, no WebSocket yet: GET / answers "Hello World!".
// Usage: step01_server [PORT]   (default 5065; 0 picks a free port)
#include <websocketpp/config/asio_no_tls.hpp>
#include <websocketpp/server.hpp>

#include <cstdlib>
#include <iostream>
#include <string>

using Server = websocketpp::server<websocketpp::config::asio>;

// #region http-handler
// Called for every request that is not a WebSocket handshake.
void on_http(Server& server, websocketpp::connection_hdl hdl) {
    Server::connection_ptr con = server.get_con_from_hdl(hdl);
    if (con->get_resource() == "/") {
        con->set_status(websocketpp::http::status_code::ok);
        con->set_body("Hello World!");
    } else {
        con->set_status(websocketpp::http::status_code::not_found);
        con->set_body("Not Found");
    }
}
// #endregion

int main(int argc, char* argv[]) {
    const unsigned short port = argc > 1 ? static_cast<unsigned short>(std::atoi(argv[1])) : 5065;

    // #region setup
    Server server;
    server.clear_access_channels(websocketpp::log::alevel::all);  // stdout is ours
    server.init_asio();
    server.set_reuse_addr(true);  // restart at once on the same port
    server.set_http_handler([&server](websocketpp::connection_hdl hdl) { on_http(server, hdl); });
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
