// Step 06 — the drift-free send loop: `while (true)` + `Task.Delay(1000)`, on a schedule.
//
// Every connection gets a message at once, then one every second on a fixed
// schedule, until it closes.
// Usage: step06_server [PORT]   (default 5065; 0 picks a free port)
#include <websocketpp/config/asio_no_tls.hpp>
#include <websocketpp/server.hpp>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <map>
#include <memory>
#include <string>

using Server = websocketpp::server<websocketpp::config::asio>;
using Clock = std::chrono::steady_clock;

constexpr std::chrono::seconds tick_interval{1};

// What the server remembers about each open connection, keyed by its handle.
// The handle is a weak pointer, compared with owner_less, so the map never
// keeps a closed connection alive.
struct Connection {
    explicit Connection(asio::io_context& io) : timer(io) {}
    // Read at open: by the time the close handler runs, the socket may be shut down.
    std::string peer;          // "127.0.0.1:51040"
    asio::steady_timer timer;  // one per connection: its own schedule
    Clock::time_point due;     // when its next message is due
};
using Connections = std::map<websocketpp::connection_hdl, Connection,
                             std::owner_less<websocketpp::connection_hdl>>;

// "C++ Rocks -> 2026-11-25 14:03:07": the article's message, local time, 24-hour clock.
std::string tick_message() {
    std::time_t now = std::time(nullptr);
    std::tm local{};
    localtime_r(&now, &local);  // std::localtime shares one static buffer between threads
    char text[64];
    std::strftime(text, sizeof text, "C++ Rocks -> %Y-%m-%d %H:%M:%S", &local);
    return text;
}

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

void send_tick(Server& server, websocketpp::connection_hdl hdl) {
    // The error_code overload: a failed send is reported here, never thrown through run().
    websocketpp::lib::error_code ec;
    server.send(hdl, tick_message(), websocketpp::frame::opcode::text, ec);
    if (ec) std::cerr << "send failed: " << ec.message() << '\n';
}

// #region schedule
// Arms the connection's timer for its next message. The due time moves on by
// whole intervals from the previous due time, never from "now", so lateness
// does not add up; ticks missed while the server was late are skipped, not
// sent in a burst.
void schedule_next(Server& server, Connections& connections, websocketpp::connection_hdl hdl) {
    Connection& connection = connections.find(hdl)->second;
    const Clock::time_point now = Clock::now();
    do {
        connection.due += tick_interval;
    } while (connection.due <= now);
    connection.timer.expires_at(connection.due);
    connection.timer.async_wait([&server, &connections, hdl](const asio::error_code& ec) {
        // Cancelled, or already due when the connection closed: nothing to send to.
        if (ec || connections.find(hdl) == connections.end()) return;
        send_tick(server, hdl);
        schedule_next(server, connections, hdl);
    });
}

void on_open(Server& server, Connections& connections, websocketpp::connection_hdl hdl) {
    Connection& connection = connections.try_emplace(hdl, server.get_io_service()).first->second;
    connection.peer = server.get_con_from_hdl(hdl)->get_remote_endpoint();
    std::cout << "opened: " << connection.peer << std::endl;
    connection.due = Clock::now();
    send_tick(server, hdl);
    schedule_next(server, connections, hdl);
}
// #endregion

void on_close(Server& server, Connections& connections, websocketpp::connection_hdl hdl) {
    auto connection = connections.find(hdl);  // websocketpp calls this only after on_open
    std::cout << "closed: " << connection->second.peer << " (code "
              << server.get_con_from_hdl(hdl)->get_remote_close_code() << ")" << std::endl;
    connections.erase(connection);  // destroying the timer cancels its pending wait
}

int main(int argc, char* argv[]) {
    const unsigned short port = argc > 1 ? static_cast<unsigned short>(std::atoi(argv[1])) : 5065;

    Server server;
    Connections connections;  // after the server, so its timers go before the io loop they run on
    server.clear_access_channels(websocketpp::log::alevel::all);  // stdout is ours
    server.init_asio();
    server.set_reuse_addr(true);  // restart at once on the same port
    server.set_http_handler([&server](websocketpp::connection_hdl hdl) { on_http(server, hdl); });
    server.set_validate_handler(
        [&server](websocketpp::connection_hdl hdl) { return on_validate(server, hdl); });
    server.set_open_handler(
        [&](websocketpp::connection_hdl hdl) { on_open(server, connections, hdl); });
    server.set_close_handler(
        [&](websocketpp::connection_hdl hdl) { on_close(server, connections, hdl); });

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
