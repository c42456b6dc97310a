// Benchmark peer: the push server written the way Boost.Beast's own examples
// write servers (websocket_server_async.cpp: a listener and a session class,
// shared_from_this, bind_front_handler, one io thread). Debian 12's Boost 1.74.
//
// Same behaviour as final_server: WebSocket on "/" (404 elsewhere, 400 for
// plain HTTP there), "C++ Rocks -> <local time>" at once and then once per
// interval on a per-connection schedule that moves on by whole intervals
// (drift-free; ticks missed while late are skipped, not sent in a burst).
// No compression (Beast's default).
//
// Usage: bench_beast_server [--host 127.0.0.1] [--port 0] [--interval-ms 1000]
// First stdout line: "Now listening on: http://localhost:PORT". SIGTERM: exit 0.
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <memory>
#include <string>

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

// "C++ Rocks -> 2026-11-25 14:03:07", local time. Every client gets the same text
// in the same second, so it is formatted once a second and shared, as Beast's
// chat example shares one std::string const between the sessions it sends to.
std::shared_ptr<std::string const> tick_message() {
    static std::time_t formatted_at = -1;
    static std::shared_ptr<std::string const> text;
    const std::time_t now = std::time(nullptr);
    if (now != formatted_at) {
        std::tm local{};
        localtime_r(&now, &local);
        char buffer[64];
        const std::size_t n =
            std::strftime(buffer, sizeof buffer, "C++ Rocks -> %Y-%m-%d %H:%M:%S", &local);
        text = std::make_shared<std::string const>(buffer, n);
        formatted_at = now;
    }
    return text;
}

// One WebSocket client: read the HTTP request, upgrade, then a write-wait loop.
// Beast allows one read and one write in flight at a time; the loop keeps at
// most one write, and a read stays pending so that Close and Ping are answered.
class Session : public std::enable_shared_from_this<Session> {
public:
    Session(tcp::socket&& socket, Clock::duration interval)
        : ws_(std::move(socket)), timer_(ws_.get_executor()), interval_(interval) {}

    void run() {
        http::async_read(ws_.next_layer(), buffer_, request_,
                         beast::bind_front_handler(&Session::on_request, shared_from_this()));
    }

private:
    void on_request(beast::error_code ec, std::size_t) {
        if (ec) return;
        if (request_.target() != "/" || !websocket::is_upgrade(request_))
            return refuse();
        ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
        ws_.async_accept(request_,
                         beast::bind_front_handler(&Session::on_accept, shared_from_this()));
    }

    // Plain HTTP: 404 off "/", 400 on it, then close.
    void refuse() {
        const bool root = request_.target() == "/";
        const auto status = root ? http::status::bad_request : http::status::not_found;
        auto res =
            std::make_shared<http::response<http::string_body>>(status, request_.version());
        res->body() = root ? "This endpoint speaks WebSocket.\n" : "Not Found";
        res->keep_alive(false);
        res->prepare_payload();
        http::async_write(ws_.next_layer(), *res,
                          [self = shared_from_this(), res](beast::error_code, std::size_t) {
                              beast::error_code ignored;
                              auto& socket = self->ws_.next_layer().socket();
                              socket.shutdown(tcp::socket::shutdown_send, ignored);
                          });
    }

    void on_accept(beast::error_code ec) {
        if (ec) return;
        request_ = {};  // the handshake's headers are not needed any more
        due_ = Clock::now();
        ws_.text(true);
        read();
        send();
    }

    void read() {
        ws_.async_read(buffer_, beast::bind_front_handler(&Session::on_read, shared_from_this()));
    }
    void on_read(beast::error_code ec, std::size_t) {
        if (ec) {
            timer_.cancel();  // closed or failed: the write loop stops too
            return;
        }
        buffer_.consume(buffer_.size());  // whatever the client says is ignored
        read();
    }

    void send() {
        message_ = tick_message();
        ws_.async_write(net::buffer(*message_),
                        beast::bind_front_handler(&Session::on_write, shared_from_this()));
    }
    void on_write(beast::error_code ec, std::size_t) {
        if (ec) return;
        const auto now = Clock::now();
        do due_ += interval_;
        while (due_ <= now);
        timer_.expires_at(due_);
        timer_.async_wait(beast::bind_front_handler(&Session::on_timer, shared_from_this()));
    }
    void on_timer(beast::error_code ec) {
        if (ec || !ws_.is_open()) return;
        send();
    }

    websocket::stream<beast::tcp_stream> ws_;
    beast::flat_buffer buffer_;
    http::request<http::string_body> request_;
    net::steady_timer timer_;
    Clock::duration interval_;
    Clock::time_point due_;
    std::shared_ptr<std::string const> message_;  // must outlive the write in flight
};

// Accepts connections and hands each to a Session, as in Beast's listener.
class Listener : public std::enable_shared_from_this<Listener> {
public:
    Listener(net::io_context& ioc, const tcp::endpoint& endpoint, Clock::duration interval)
        : ioc_(ioc), acceptor_(ioc, endpoint), interval_(interval) {}

    unsigned short port() const { return acceptor_.local_endpoint().port(); }
    void run() { accept(); }

private:
    void accept() {
        // As in Beast's example: each connection gets a strand of its own (with
        // one io thread it is never contended, but it is what the examples do).
        acceptor_.async_accept(
            net::make_strand(ioc_),
            beast::bind_front_handler(&Listener::on_accept, shared_from_this()));
    }
    void on_accept(beast::error_code ec, tcp::socket socket) {
        if (!ec) std::make_shared<Session>(std::move(socket), interval_)->run();
        accept();
    }

    net::io_context& ioc_;
    tcp::acceptor acceptor_;
    Clock::duration interval_;
};

}  // namespace

int main(int argc, char** argv) {
    std::string host = "127.0.0.1";
    unsigned short port = 0;
    double interval_ms = 1000;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string name = argv[i], value = argv[i + 1];
        if (name == "--host") host = value;
        else if (name == "--port") port = static_cast<unsigned short>(std::atoi(value.c_str()));
        else if (name == "--interval-ms") interval_ms = std::atof(value.c_str());
        else {
            std::cerr << "unknown option " << name << "\n";
            return 2;
        }
    }
    const auto interval = std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double, std::milli>(interval_ms > 0 ? interval_ms : 1));

    net::io_context ioc{1};  // one io thread: the hint lets Asio skip locking
    const tcp::endpoint endpoint{net::ip::make_address(host), port};
    auto listener = std::make_shared<Listener>(ioc, endpoint, interval);
    listener->run();
    std::cout << "Now listening on: http://localhost:" << listener->port() << std::endl;

    net::signal_set signals(ioc, SIGINT, SIGTERM);
    signals.async_wait([&ioc](beast::error_code const&, int) { ioc.stop(); });
    ioc.run();
    return 0;
}
