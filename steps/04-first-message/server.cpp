// Step 04 — one message: the counterpart of `AcceptWebSocketAsync` + `SendAsync`.
//
// As soon as a connection opens, the server sends it one text message.
// Usage: step04_server [PORT]   (default 5065; 0 picks a free port)
#include <websocketpp/config/asio_no_tls.hpp>
#include <websocketpp/server.hpp>

#include <cstdlib>
#include <ctime>
#include <iostream>
#include <string>

using Server = websocketpp::server<websocketpp::config::asio>;

// #region message
// "C++ Rocks -> 2026-11-25 14:03:07": the article's message, local time, 24-hour clock.
std::string tick_message() {
    std::time_t now = std::time(nullptr);
    std::tm local{};
    localtime_r(&now, &local);  // std::localtime shares one static buffer between threads
    char text[64];
    std::strftime(text, sizeof text, "C++ Rocks -> %Y-%m-%d %H:%M:%S", &local);
    return text;
}
// #endregion

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

// #region send
// Called once the 101 answer is sent: the connection is open.
void on_open(Server& server, websocketpp::connection_hdl hdl) {
    std::cout << "opened: " << server.get_con_from_hdl(hdl)->get_remote_endpoint() << std::endl;
    // The error_code overload: a failed send is reported here, never thrown through run().
    websocketpp::lib::error_code ec;
    server.send(hdl, tick_message(), websocketpp::frame::opcode::text, ec);
    if (ec) std::cerr << "send failed: " << ec.message() << '\n';
}
// #endregion

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
