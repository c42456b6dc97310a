// A WebSocket test client and a WebSocket test server (websocketpp inside),
// each with its own io thread, so a test can drive a program under test from
// the other side. Every wait is bounded.
#pragma once

#include "mailbox.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace wstest {

struct WsMessage {
    std::string payload;
    bool is_text = true;
    Clock::time_point received;
};

// How a connection ended, as this side saw it.
struct WsClose {
    std::uint16_t remote_code = 0;  // code in the peer's Close frame; 1005 none, 1006 no Close at all
    std::string remote_reason;
};

class WsClient {
public:
    WsClient();
    ~WsClient();
    WsClient(const WsClient&) = delete;
    WsClient& operator=(const WsClient&) = delete;

    // True once the connection is open; false on failure (see handshake_status, error).
    bool connect(const std::string& url, milliseconds timeout = milliseconds(5000));
    // The HTTP status of the handshake answer: 101 when accepted, 404, 400, ...; 0 if none.
    int handshake_status() const;
    std::string error() const;

    std::optional<WsMessage> next_message(milliseconds timeout);
    void send_text(const std::string& text);
    void close(std::uint16_t code = 1000, const std::string& reason = "");
    // Closes the socket with an RST and no Close frame: a crashed peer.
    void reset();
    // How the connection ended, once it has (nullopt if still open at the deadline).
    std::optional<WsClose> wait_closed(milliseconds timeout);

    struct Impl;

private:
    std::unique_ptr<Impl> impl_;
};

// Serves WebSocket on 127.0.0.1, a free port, any path. Acts on the most
// recently opened connection.
class WsTestServer {
public:
    WsTestServer();
    ~WsTestServer();
    WsTestServer(const WsTestServer&) = delete;
    WsTestServer& operator=(const WsTestServer&) = delete;

    unsigned short port() const;
    std::string url(const std::string& path = "/") const;  // ws://127.0.0.1:PORT/...

    // From the next handshake on, select `name` when the client offers it
    // (Sec-WebSocket-Protocol); "" (the default) selects none.
    void select_subprotocol(const std::string& name);
    // From the next handshake on, answer it with HTTP `status` (400, 503, ...) instead of
    // 101; 0 (the default) accepts again. A refused handshake still counts for
    // request_resource and handshakes(), not for wait_open.
    void refuse(int status);
    // From the next connection on, close each one with `code` as soon as it opens
    // (a server that accepts, then finds it cannot serve: 1013); 0 (the default) does not.
    void close_on_open(std::uint16_t code, const std::string& reason = "");
    // Handshakes received so far, accepted or refused.
    int handshakes() const;
    // The most recent handshake's request: its resource (path and query, "/a?b=c"),
    // and one of its headers ("" if it has none).
    std::string request_resource() const;
    std::string request_header(const std::string& name) const;

    // True once `connections` connections have opened in all (the latest is the current one).
    bool wait_open(milliseconds timeout = milliseconds(5000), int connections = 1);
    void send_text(const std::string& text);
    void send_ping(const std::string& payload = "");
    void close(std::uint16_t code = 1000, const std::string& reason = "");
    void reset();
    std::optional<WsMessage> next_message(milliseconds timeout);
    std::optional<WsClose> wait_closed(milliseconds timeout);

    struct Impl;

private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace wstest
