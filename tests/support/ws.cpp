#include "ws.hpp"

#include <websocketpp/client.hpp>
#include <websocketpp/config/asio_no_tls.hpp>
#include <websocketpp/config/asio_no_tls_client.hpp>
#include <websocketpp/server.hpp>

#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace wstest {
namespace {

using Client = websocketpp::client<websocketpp::config::asio_client>;
using Server = websocketpp::server<websocketpp::config::asio>;

// What the client and the server share: one io thread, one current
// connection, its messages and how it ended.
template <typename Endpoint>
struct Peer {
    Endpoint endpoint;
    std::thread io_thread;
    Mailbox<WsMessage> messages;

    std::mutex mutex;
    std::condition_variable changed;
    websocketpp::connection_hdl current;
    bool opened = false;
    int opens = 0;  // connections opened so far
    bool failed = false;
    std::optional<WsClose> closed;
    int handshake_status = 0;
    std::string error;

    Peer() {
        endpoint.clear_access_channels(websocketpp::log::alevel::all);
        endpoint.clear_error_channels(websocketpp::log::elevel::all);
        endpoint.init_asio();
        endpoint.set_open_handler([this](websocketpp::connection_hdl hdl) { on_open(hdl); });
        endpoint.set_fail_handler([this](websocketpp::connection_hdl hdl) {
            auto con = endpoint.get_con_from_hdl(hdl);
            update([&] {
                failed = true;
                handshake_status = con->get_response_code();
                error = con->get_ec().message();
            });
        });
        endpoint.set_close_handler([this](websocketpp::connection_hdl hdl) {
            auto con = endpoint.get_con_from_hdl(hdl);
            update([&] { closed = WsClose{con->get_remote_close_code(), con->get_remote_close_reason()}; });
        });
        endpoint.set_message_handler([this](websocketpp::connection_hdl, typename Endpoint::message_ptr message) {
            messages.push(WsMessage{message->get_payload(),
                                    message->get_opcode() == websocketpp::frame::opcode::text, Clock::now()});
        });
    }

    void on_open(websocketpp::connection_hdl hdl) {
        update([&] {
            current = hdl;
            opened = true;
            ++opens;
            closed.reset();
            handshake_status = 101;
        });
    }

    template <typename Change>
    void update(Change change) {
        {
            std::lock_guard<std::mutex> lock(mutex);
            change();
        }
        changed.notify_all();
    }

    void start() {
        io_thread = std::thread([this] { endpoint.run(); });
    }

    void stop() {
        endpoint.stop_perpetual();
        endpoint.stop();
        if (io_thread.joinable()) io_thread.join();
    }

    // Runs `action` on the current connection, on the io thread.
    template <typename Action>
    void on_current(Action action) {
        websocketpp::connection_hdl hdl;
        {
            std::lock_guard<std::mutex> lock(mutex);
            hdl = current;
        }
        asio::post(endpoint.get_io_service(), [this, hdl, action] {
            websocketpp::lib::error_code ec;
            auto con = endpoint.get_con_from_hdl(hdl, ec);
            if (!ec) action(*con);
        });
    }

    void send_text(const std::string& text) {
        on_current([text](auto& con) { con.send(text, websocketpp::frame::opcode::text); });
    }
    void close(std::uint16_t code, const std::string& reason) {
        on_current([code, reason](auto& con) {
            websocketpp::lib::error_code ignored;
            con.close(code, reason, ignored);
        });
    }
    void reset() {
        on_current([](auto& con) {
            auto& socket = con.get_raw_socket();
            asio::error_code ignored;
            socket.set_option(asio::socket_base::linger(true, 0), ignored);
            socket.close(ignored);
        });
    }
    std::optional<WsClose> wait_closed(milliseconds timeout) {
        std::unique_lock<std::mutex> lock(mutex);
        changed.wait_for(lock, timeout, [this] { return closed.has_value() || failed; });
        return closed;
    }
};

}  // namespace

struct WsClient::Impl : Peer<Client> {};
struct WsTestServer::Impl : Peer<Server> {
    unsigned short port = 0;
    std::string subprotocol;  // selected when offered; guarded by mutex, as is all below
    Server::connection_type::request_type request;
    int refusal = 0;                  // refuse(): the HTTP status to answer, 0 none
    std::uint16_t close_code = 0;     // close_on_open(): the code, 0 none
    std::string close_reason;
    int handshake_count = 0;

    // Every handshake: its request kept for the test, refused if told so, the
    // subprotocol selected if offered.
    bool validate(websocketpp::connection_hdl hdl) {
        websocketpp::lib::error_code ec;
        auto con = endpoint.get_con_from_hdl(hdl, ec);
        if (ec) return false;
        std::lock_guard<std::mutex> lock(mutex);
        request = con->get_request();
        ++handshake_count;
        if (refusal != 0) {
            con->set_status(static_cast<websocketpp::http::status_code::value>(refusal));
            return false;
        }
        for (const auto& offered : con->get_requested_subprotocols())
            if (!subprotocol.empty() && offered == subprotocol) con->select_subprotocol(offered, ec);
        return !ec;
    }

    // Every connection that opens: counted, then closed at once if told so.
    void opened_here(websocketpp::connection_hdl hdl) {
        on_open(hdl);
        std::uint16_t code = 0;
        std::string reason;
        {
            std::lock_guard<std::mutex> lock(mutex);
            code = close_code;
            reason = close_reason;
        }
        websocketpp::lib::error_code ec;
        auto con = endpoint.get_con_from_hdl(hdl, ec);
        if (code != 0 && !ec) con->close(code, reason, ec);
    }
};

WsClient::WsClient() : impl_(std::make_unique<Impl>()) {
    impl_->endpoint.start_perpetual();
    impl_->start();
}

WsClient::~WsClient() { impl_->stop(); }

bool WsClient::connect(const std::string& url, milliseconds timeout) {
    websocketpp::lib::error_code ec;
    auto con = impl_->endpoint.get_connection(url, ec);
    if (ec) {
        impl_->update([&] {
            impl_->failed = true;
            impl_->error = ec.message();
        });
        return false;
    }
    impl_->endpoint.connect(con);
    std::unique_lock<std::mutex> lock(impl_->mutex);
    if (!impl_->changed.wait_for(lock, timeout, [this] { return impl_->opened || impl_->failed; }))
        impl_->error = "no answer to the handshake within " + std::to_string(timeout.count()) + " ms";
    return impl_->opened;
}

int WsClient::handshake_status() const {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    return impl_->handshake_status;
}

std::string WsClient::error() const {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    return impl_->error;
}

std::optional<WsMessage> WsClient::next_message(milliseconds timeout) { return impl_->messages.pop(timeout); }
void WsClient::send_text(const std::string& text) { impl_->send_text(text); }
void WsClient::close(std::uint16_t code, const std::string& reason) { impl_->close(code, reason); }
void WsClient::reset() { impl_->reset(); }
std::optional<WsClose> WsClient::wait_closed(milliseconds timeout) { return impl_->wait_closed(timeout); }

WsTestServer::WsTestServer() : impl_(std::make_unique<Impl>()) {
    impl_->endpoint.set_validate_handler([impl = impl_.get()](websocketpp::connection_hdl hdl) {
        return impl->validate(hdl);
    });
    impl_->endpoint.set_open_handler([impl = impl_.get()](websocketpp::connection_hdl hdl) {
        impl->opened_here(hdl);
    });
    impl_->endpoint.set_reuse_addr(true);
    impl_->endpoint.listen(asio::ip::tcp::endpoint(asio::ip::address_v4::loopback(), 0));
    impl_->endpoint.start_accept();
    asio::error_code ec;
    impl_->port = impl_->endpoint.get_local_endpoint(ec).port();
    if (ec) throw std::runtime_error("test server: " + ec.message());
    impl_->start();
}

WsTestServer::~WsTestServer() { impl_->stop(); }

unsigned short WsTestServer::port() const { return impl_->port; }
std::string WsTestServer::url(const std::string& path) const {
    return "ws://127.0.0.1:" + std::to_string(impl_->port) + path;
}

void WsTestServer::select_subprotocol(const std::string& name) {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    impl_->subprotocol = name;
}

void WsTestServer::refuse(int status) {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    impl_->refusal = status;
}

void WsTestServer::close_on_open(std::uint16_t code, const std::string& reason) {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    impl_->close_code = code;
    impl_->close_reason = reason;
}

int WsTestServer::handshakes() const {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    return impl_->handshake_count;
}

std::string WsTestServer::request_resource() const {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    return impl_->request.get_uri();
}

std::string WsTestServer::request_header(const std::string& name) const {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    return impl_->request.get_header(name);
}

bool WsTestServer::wait_open(milliseconds timeout, int connections) {
    std::unique_lock<std::mutex> lock(impl_->mutex);
    return impl_->changed.wait_for(lock, timeout, [&] { return impl_->opens >= connections; });
}

void WsTestServer::send_text(const std::string& text) { impl_->send_text(text); }
void WsTestServer::send_ping(const std::string& payload) {
    impl_->on_current([payload](auto& con) {
        websocketpp::lib::error_code ignored;
        con.ping(payload, ignored);
    });
}
void WsTestServer::close(std::uint16_t code, const std::string& reason) { impl_->close(code, reason); }
void WsTestServer::reset() { impl_->reset(); }
std::optional<WsMessage> WsTestServer::next_message(milliseconds timeout) { return impl_->messages.pop(timeout); }
std::optional<WsClose> WsTestServer::wait_closed(milliseconds timeout) { return impl_->wait_closed(timeout); }

}  // namespace wstest
