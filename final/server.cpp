// final/server.cpp — step 05's send loop, finished for real use.
//
// The tutorial's behaviour is unchanged: WebSocket on "/", 400 for plain HTTP
// there, "C++ Rocks -> <local time>" at once and then once per interval,
// drift-free. Around it: options, limits on what a client may cost, pings,
// a graceful shutdown, a quiet log, and room for 10,000 clients on one io
// thread. docs/08-final.md walks through every difference from step 07.
// Usage: final_server [--host ADDRESS] [--port N] [--interval-ms N] ... (--help)
#include "log.hpp"
#include "options.hpp"
#include "server_config.hpp"

#include <websocketpp/server.hpp>

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <ctime>
#include <exception>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

using Server = websocketpp::server<ServerConfig>;
using Clock = std::chrono::steady_clock;

// #region connections
// When each connection's next message is due, earliest first, with one timer
// for all of them (step 05 had a timer per connection). A pending asio wait
// costs about 300 bytes per client, timer and operation; an entry here, 64.
using DueTimes = std::multimap<Clock::time_point, websocketpp::connection_hdl>;

// What the server remembers about each open connection, keyed by its handle.
// The handle is a weak pointer, compared with owner_less, so the map never
// keeps a closed connection alive.
struct Connection {
    std::string peer;  // "127.0.0.1:51040", read at open: at close the socket may already be shut down
    DueTimes::iterator next_tick;  // its entry in App::due_times
    bool awaiting_pong = false;    // pinged, and no pong since
};
using Connections = std::map<websocketpp::connection_hdl, Connection, std::owner_less<websocketpp::connection_hdl>>;
// #endregion

// #region app
// Everything the handlers share. The io_context comes first so that it is
// destroyed last: every timer and connection below belongs to it.
struct App {
    explicit App(const ServerOptions& options) : options(options) {}
    const ServerOptions options;
    asio::io_context io;
    Server server;
    Connections connections;
    DueTimes due_times;
    websocketpp::uri_ptr shared_uri;  // see share_uri()
    asio::steady_timer tick_timer{io};  // waits for due_times' first entry
    asio::steady_timer ping_timer{io};
    asio::steady_timer pong_deadline{io};  // the last ping's answers are due
    asio::steady_timer shutdown_deadline{io};
    asio::signal_set signals{io, SIGINT, SIGTERM};
    bool shutting_down = false;
};
// #endregion

// #region message
// "C++ Rocks -> 2026-11-25 14:03:07": the article's message, local time, 24-hour clock.
// Every client needs the same text in the same second, so it is formatted once
// per second (one io thread: the cache needs no lock).
const std::string& tick_message() {
    static std::time_t formatted_at = -1;
    static std::string text;
    std::time_t now = std::time(nullptr);
    if (now != formatted_at) {
        std::tm local{};
        localtime_r(&now, &local);  // std::localtime shares one static buffer between threads
        char buffer[64];
        std::strftime(buffer, sizeof buffer, "C++ Rocks -> %Y-%m-%d %H:%M:%S", &local);
        text = buffer;
        formatted_at = now;
    }
    return text;
}
// #endregion

// #region http-handler
// Called for every request that is not a WebSocket handshake. Without this
// handler websocketpp would answer 426 Upgrade Required on every path.
void on_http(App& app, websocketpp::connection_hdl hdl) {
    Server::connection_ptr con = app.server.get_con_from_hdl(hdl);
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
// RFC 6455 4.2.1: the key is 16 random bytes in base64, so 22 base64 digits
// and "==". websocketpp hashes whatever it is given; a server must refuse it.
bool is_websocket_key(const std::string& key) {
    static const std::string digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    if (key.size() != 24 || key.compare(22, 2, "==") != 0) return false;
    // The last digit carries 2 bits of the 16th byte and 4 bits of padding, which must be zero.
    return key.find_first_not_of(digits) == 22 && digits.find(key[21]) % 16 == 0;
}

// Called for every WebSocket handshake, before it is answered: true accepts it (101).
bool on_validate(App& app, websocketpp::connection_hdl hdl) {
    Server::connection_ptr con = app.server.get_con_from_hdl(hdl);
    std::string refusal;
    if (con->get_request_header("Sec-WebSocket-Version") != "13") {
        // websocketpp still speaks drafts of 2010-2011 (no ping, no close codes): RFC 6455 clients only.
        con->set_status(websocketpp::http::status_code::bad_request);
        con->replace_header("Sec-WebSocket-Version", "13");
        refusal = "400: not WebSocket version 13";
    } else if (!is_websocket_key(con->get_request_header("Sec-WebSocket-Key"))) {
        con->set_status(websocketpp::http::status_code::bad_request);
        refusal = "400: malformed Sec-WebSocket-Key";
    } else if (con->get_resource() != "/") {
        con->set_status(websocketpp::http::status_code::not_found);
        refusal = "404: no WebSocket on this path";
    } else if (app.shutting_down) {
        con->set_status(websocketpp::http::status_code::service_unavailable);
        refusal = "503: shutting down";
    } else if (app.connections.size() >= app.options.max_clients) {
        con->set_status(websocketpp::http::status_code::service_unavailable);
        refusal = "503: " + std::to_string(app.connections.size()) + " clients already (--max-clients)";
    }
    if (refusal.empty()) return true;
    log_line("refused: " + con->get_remote_endpoint() + " (" + refusal + ")");
    return false;
}

// A handshake that did not end in an open connection: refused above, timed
// out, broken, or a connection that could not even be accepted.
void on_fail(App& app, websocketpp::connection_hdl hdl) {
    Server::connection_ptr con = app.server.get_con_from_hdl(hdl);
    const std::error_code ec = con->get_ec();
    if (ec == std::errc::too_many_files_open || ec == std::errc::too_many_files_open_in_system) {
        // websocketpp retries the accept at once: report it once a second, not thousands of times.
        static Clock::time_point last_report;
        if (Clock::now() - last_report >= std::chrono::seconds(1)) {
            last_report = Clock::now();
            log_error("cannot accept a connection: " + ec.message() + " (" + std::to_string(app.connections.size()) +
                      " clients; see the open-files limit at start)");
        }
        return;
    }
    if (ec == websocketpp::error::rejected) return;  // on_validate said why
    if (ec == asio::error::operation_aborted || ec == websocketpp::error::operation_canceled)
        return;  // the accept waiting for the next client, cancelled by the shutdown
    log_line("failed: " + con->get_remote_endpoint() + " (" + ec.message() + ")");
}
// #endregion

// #region send
// websocketpp queues without limit: a client that stops reading would hold
// more memory with every message for it. Past the limit it is closed with 1008
// (and gets nothing more). Returns whether it is still within the limit.
bool within_send_limit(App& app, Server::connection_ptr con, websocketpp::connection_hdl hdl) {
    if (con->get_buffered_amount() <= app.options.max_buffered_bytes) return true;
    if (con->get_state() == websocketpp::session::state::open) {
        log_line("too slow: " + app.connections.at(hdl).peer + " has " + std::to_string(con->get_buffered_amount()) +
                 " bytes queued; closing it with 1008");
        websocketpp::lib::error_code ec;
        con->close(websocketpp::close::status::policy_violation, "too slow: messages not read", ec);
    }
    return false;
}

void send_tick(App& app, websocketpp::connection_hdl hdl) {
    websocketpp::lib::error_code ec;
    Server::connection_ptr con = app.server.get_con_from_hdl(hdl, ec);
    if (ec) return;
    // connection::send returns its error: a failed send is reported here, never thrown through run().
    ec = con->send(tick_message(), websocketpp::frame::opcode::text);
    if (ec) {
        log_error("send to " + app.connections.at(hdl).peer + " failed: " + ec.message());
        return;
    }
    within_send_limit(app, con, hdl);
}

// websocketpp answers every ping with a pong, queued like a tick: a client
// that floods pings and never reads is a slow reader too. True lets the pong go.
bool on_ping(App& app, websocketpp::connection_hdl hdl) {
    websocketpp::lib::error_code ec;
    Server::connection_ptr con = app.server.get_con_from_hdl(hdl, ec);
    return !ec && app.connections.count(hdl) == 1 && within_send_limit(app, con, hdl);
}
// #endregion

// #region schedule
// Queues the connection's next message. The due time moves on by whole
// intervals from the previous due time, never from "now", so lateness does
// not add up; ticks missed while the server was late are skipped, not sent in
// a burst.
void schedule_next(App& app, websocketpp::connection_hdl hdl, Clock::time_point due) {
    const Clock::time_point now = Clock::now();
    do {
        due += app.options.interval;
    } while (due <= now);
    app.connections.at(hdl).next_tick = app.due_times.emplace(due, hdl);
}

// Sends every message that is due, queues each connection's next one, and
// waits for the earliest. (A new connection's first entry is due an interval
// from now, after every other, so the timer never needs to be moved earlier.)
void send_due_ticks(App& app) {
    const Clock::time_point now = Clock::now();
    while (!app.due_times.empty() && app.due_times.begin()->first <= now) {
        const auto [due, hdl] = *app.due_times.begin();
        app.due_times.erase(app.due_times.begin());
        app.connections.at(hdl).next_tick = app.due_times.end();
        Server::connection_ptr con = app.server.get_con_from_hdl(hdl);
        if (con->get_state() != websocketpp::session::state::open) continue;  // closing: no more ticks
        send_tick(app, hdl);
        if (con->get_state() == websocketpp::session::state::open) schedule_next(app, hdl, due);
    }
    if (app.due_times.empty()) return;  // on_open starts it again
    app.tick_timer.expires_at(app.due_times.begin()->first);
    app.tick_timer.async_wait([&app](const asio::error_code& ec) {
        if (!ec) send_due_ticks(app);
    });
}

// websocketpp keeps the handshake's request and response, every header of
// both, for as long as the connection lives, though nothing reads them after
// this point: about 1 KiB per client, more with a browser's long headers.
// There is no call to drop them, so they are emptied through the const view.
void forget_handshake(Server::connection_type& con) {
    for (auto* message : std::initializer_list<websocketpp::http::parser::parser*>{
             &const_cast<ServerConfig::request_type&>(con.get_request()),
             &const_cast<ServerConfig::response_type&>(con.get_response())}) {
        std::vector<std::string> names;
        for (const auto& header : message->get_headers()) names.push_back(header.first);
        for (const auto& name : names) message->remove_header(name);
    }
}

// Each connection also keeps its URI (ws://, the Host header, the path) in a
// heap object of its own, 120 bytes, which websocketpp never changes. Clients
// of one server nearly all send the same Host, so a connection whose URI
// equals the previous one's takes that object instead: get_uri() and
// get_resource() still answer the same, and one copy serves them all.
void share_uri(App& app, Server::connection_type& con) {
    const websocketpp::uri_ptr uri = con.get_uri();
    if (app.shared_uri && app.shared_uri->str() == uri->str())
        con.set_uri(app.shared_uri);
    else
        app.shared_uri = uri;
}

void on_open(App& app, websocketpp::connection_hdl hdl) {
    Server::connection_ptr con = app.server.get_con_from_hdl(hdl);
    Connection& connection = app.connections[hdl];
    connection.peer = con->get_remote_endpoint();
    connection.next_tick = app.due_times.end();
    forget_handshake(*con);
    share_uri(app, *con);
    log_line("opened: " + connection.peer + " (clients: " + std::to_string(app.connections.size()) + ")");
    if (app.shutting_down) {  // accepted just before the signal
        websocketpp::lib::error_code ignored;
        con->close(websocketpp::close::status::going_away, "server shutting down", ignored);
        return;
    }
    send_tick(app, hdl);
    const bool idle = app.due_times.empty();
    schedule_next(app, hdl, Clock::now());
    if (idle) send_due_ticks(app);  // arms the timer
}
// #endregion

// #region close
void on_close(App& app, websocketpp::connection_hdl hdl) {
    Server::connection_ptr con = app.server.get_con_from_hdl(hdl);
    auto found = app.connections.find(hdl);
    if (found == app.connections.end()) return;  // never opened
    const std::string peer = found->second.peer;
    if (found->second.next_tick != app.due_times.end()) app.due_times.erase(found->second.next_tick);
    app.connections.erase(found);
    // Who ended it, and how: the peer's Close code; or the one sent without
    // waiting for an answer (websocketpp does so for 1002, 1007, 1008, 1009);
    // or 1006, no Close at all, and the cause.
    const auto remote_code = con->get_remote_close_code();
    const auto local_code = con->get_local_close_code();
    std::string line = "closed: " + peer + " (code ";
    if (remote_code != websocketpp::close::status::abnormal_close)
        line += std::to_string(remote_code);
    else if (local_code != websocketpp::close::status::blank && local_code != websocketpp::close::status::abnormal_close)
        line += std::to_string(local_code) + " sent: " + con->get_local_close_reason();
    else if (con->get_ec() == websocketpp::transport::error::pass_through)  // the socket's own error
        line += "1006, " + con->get_transport_ec().message();
    else
        line += "1006" + (con->get_ec() ? ", " + con->get_ec().message() : std::string());
    log_line(line + "; clients: " + std::to_string(app.connections.size()) + ")");
    if (app.shutting_down && app.connections.empty()) app.server.stop();
}
// #endregion

// #region liveness
// Every ping interval each client gets a ping, and a client that has not
// answered it within the pong timeout is dropped: the peer (or the network to
// it) is gone without a word, and only a timeout can tell. websocketpp can
// time each pong itself (set_pong_timeout_handler), but with a timer per
// connection that it keeps until the next ping: from the first ping on, that
// cost about 0.4 KiB more per idle client. So, as for the ticks, one timer
// checks them all.
void drop_silent_clients(App& app) {
    std::vector<websocketpp::connection_hdl> silent;  // collected first: a close changes app.connections
    for (const auto& [hdl, connection] : app.connections)
        if (connection.awaiting_pong) silent.push_back(hdl);
    for (const auto& hdl : silent) {
        websocketpp::lib::error_code ec;
        Server::connection_ptr con = app.server.get_con_from_hdl(hdl, ec);
        if (ec || con->get_state() != websocketpp::session::state::open) continue;  // already closing
        // No Close handshake with a peer that does not answer: drop the TCP connection.
        con->terminate(std::make_error_code(std::errc::timed_out));
    }
}

void ping_clients(App& app) {
    app.ping_timer.expires_after(app.options.ping_interval);
    app.ping_timer.async_wait([&app](const asio::error_code& ec) {
        if (ec) return;
        for (auto& [hdl, connection] : app.connections) {
            websocketpp::lib::error_code ping_ec;
            app.server.ping(hdl, "", ping_ec);
            if (ping_ec)
                log_error("ping to " + connection.peer + " failed: " + ping_ec.message());
            else
                connection.awaiting_pong = true;
        }
        // --pong-timeout-ms is shorter than --ping-interval-ms: this wait ends before the next ping.
        app.pong_deadline.expires_after(app.options.pong_timeout);
        app.pong_deadline.async_wait([&app](const asio::error_code& ec) {
            if (!ec) drop_silent_clients(app);
        });
        ping_clients(app);
    });
}

void on_pong(App& app, websocketpp::connection_hdl hdl) {
    auto found = app.connections.find(hdl);
    if (found != app.connections.end()) found->second.awaiting_pong = false;
}
// #endregion

// #region shutdown
// The first SIGINT/SIGTERM: stop accepting, send every client Close 1001
// ("going away") and stop when the last one has closed, or after 1.5 s. The
// signal handlers go back to the default, so a second signal ends the process
// at once, even if something here were stuck.
void on_signal(App& app) {
    asio::error_code ignored;
    app.signals.clear(ignored);
    app.shutting_down = true;
    log_line("shutting down: closing " + std::to_string(app.connections.size()) + " clients with 1001");
    websocketpp::lib::error_code ec;
    app.server.stop_listening(ec);
    app.ping_timer.cancel();
    app.pong_deadline.cancel();
    app.tick_timer.cancel();
    app.due_times.clear();
    for (auto& [hdl, connection] : app.connections) {
        connection.next_tick = app.due_times.end();
        app.server.close(hdl, websocketpp::close::status::going_away, "server shutting down", ec);
    }
    if (app.connections.empty()) {
        app.server.stop();
        return;
    }
    app.shutdown_deadline.expires_after(std::chrono::milliseconds(1500));
    app.shutdown_deadline.async_wait([&app](const asio::error_code& ec) {
        if (ec) return;
        log_error("shutting down: " + std::to_string(app.connections.size()) + " clients did not finish closing");
        app.server.stop();
    });
}
// #endregion

// #region open-files
// Every client is a socket, so a file descriptor: raise the soft limit to the
// hard one (the most an unprivileged process may), and say so when even that
// is short of what --max-clients asks for.
void raise_open_files_limit(std::size_t max_clients) {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
    if (limit.rlim_cur < limit.rlim_max) {
        rlimit raised = limit;
        raised.rlim_cur = limit.rlim_max;
        if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
    }
    const rlim_t spare = 64;  // the listener, stdio, handshakes still in progress
    if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < max_clients + spare)
        log_error("warning: the open-files limit is " + std::to_string(limit.rlim_cur) + ", too low for " +
                  std::to_string(max_clients) + " clients (--max-clients): raise it (ulimit -Hn, systemd LimitNOFILE=)");
}
// #endregion

// #region listen-line
// ASP.NET's first line, with the real port (the tests and scripts read it).
std::string listening_url(const asio::ip::tcp::endpoint& endpoint) {
    const asio::ip::address address = endpoint.address();
    std::string host = address.is_loopback()  ? "localhost"
                       : address.is_v6()      ? "[" + address.to_string() + "]"
                                              : address.to_string();
    return "http://" + host + ":" + std::to_string(endpoint.port());
}
// #endregion

int main(int argc, char* argv[]) {
    // #region options
    ServerOptions options;
    try {
        options = parse_server_options(argc, argv);
    } catch (const UsageError& error) {
        std::cerr << usage_error_text("final_server", server_usage, error);
        return 2;
    }
    if (options.help) {
        std::cout << server_usage;
        return 0;
    }
    // #endregion

    // A closed stdout must end the log, not the server (SIGPIPE would kill it).
    std::signal(SIGPIPE, SIG_IGN);
    raise_open_files_limit(options.max_clients);

    // #region setup
    App app(options);
    Server& server = app.server;
    server.init_asio(&app.io);
    server.set_reuse_addr(true);  // restart at once on the same port
    server.set_max_message_size(options.max_message_bytes);  // larger: closed with 1009
    server.set_max_http_body_size(0);  // nothing here takes a request body
    server.set_open_handshake_timeout(options.handshake_timeout.count());
    server.set_close_handshake_timeout(options.handshake_timeout.count());
    // The kernel's send buffer is a queue too: for a client that stops reading,
    // Linux grows it up to 4 MiB, all before websocketpp's queue (and
    // --max-buffered-bytes) sees a byte. Capped on the listening socket, which
    // every accepted socket inherits it from.
    const int send_buffer_bytes = static_cast<int>(std::min<std::size_t>(options.max_buffered_bytes, 64 * 1024));
    server.set_tcp_pre_bind_handler([send_buffer_bytes](std::shared_ptr<asio::ip::tcp::acceptor> acceptor) {
        websocketpp::lib::error_code ec;
        acceptor->set_option(asio::socket_base::send_buffer_size(send_buffer_bytes), ec);
        return ec;
    });
    server.set_http_handler([&app](websocketpp::connection_hdl hdl) { on_http(app, hdl); });
    server.set_validate_handler([&app](websocketpp::connection_hdl hdl) { return on_validate(app, hdl); });
    server.set_fail_handler([&app](websocketpp::connection_hdl hdl) { on_fail(app, hdl); });
    server.set_open_handler([&app](websocketpp::connection_hdl hdl) { on_open(app, hdl); });
    server.set_close_handler([&app](websocketpp::connection_hdl hdl) { on_close(app, hdl); });
    server.set_ping_handler([&app](websocketpp::connection_hdl hdl, const std::string&) { return on_ping(app, hdl); });
    server.set_pong_handler([&app](websocketpp::connection_hdl hdl, const std::string&) { on_pong(app, hdl); });
    // #endregion

    // #region listen
    // The given address only: listen(port) alone would bind IPv6 dual-stack on every interface.
    websocketpp::lib::error_code ec;
    server.listen(asio::ip::tcp::endpoint(asio::ip::make_address(options.host), options.port), ec);
    if (!ec) server.start_accept(ec);
    if (ec) {
        log_error("cannot listen on " + options.host + " port " + std::to_string(options.port) + ": " + ec.message());
        log_close();
        return 1;
    }
    asio::error_code local_ec;
    log_line("Now listening on: " + listening_url(server.get_local_endpoint(local_ec)));
    // #endregion

    // #region run
    app.signals.async_wait([&app](const asio::error_code& ec, int) {
        if (!ec) on_signal(app);
    });
    ping_clients(app);
    // One io thread runs every handler. An exception from one of them is a bug,
    // but it must not take 10,000 clients down with it: report it, run on.
    for (;;) {
        try {
            server.run();
            break;
        } catch (const std::exception& error) {
            log_error(std::string("unexpected error, still serving: ") + error.what());
        }
    }
    log_line("stopped");
    log_close();
    return 0;
    // #endregion
}
