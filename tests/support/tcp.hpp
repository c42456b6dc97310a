// Raw TCP and HTTP over loopback, for tests that must send exactly the bytes
// they choose (plain HTTP, broken handshakes, hand-made frames).
#pragma once

#include "mailbox.hpp"

#include <map>
#include <string>

namespace wstest {

class TcpConnection {
public:
    // Connects to 127.0.0.1:port; throws std::runtime_error on failure.
    explicit TcpConnection(unsigned short port, milliseconds timeout = milliseconds(5000));
    ~TcpConnection();
    TcpConnection(const TcpConnection&) = delete;
    TcpConnection& operator=(const TcpConnection&) = delete;

    // Writes all of `bytes`; false if the peer has gone (EPIPE, ECONNRESET) or the
    // send buffer stays full for `timeout`.
    bool send(const std::string& bytes, milliseconds timeout = milliseconds(5000));
    // Whatever arrives within `timeout` (at least one byte), "" on timeout or EOF.
    std::string receive_some(milliseconds timeout);
    // Reads until `needed` bytes, EOF, or the deadline: what was read.
    std::string receive_exactly(std::size_t needed, milliseconds timeout);
    // Reads until the peer closes; what arrived before. Throws if the deadline passes first.
    std::string receive_until_closed(milliseconds timeout);
    // True once the peer has closed (EOF or reset) within `timeout`; data is discarded.
    bool wait_closed(milliseconds timeout);
    // Closes with an RST instead of a FIN (SO_LINGER 0): the "pulled cable" of a test.
    void reset();
    int fd() const { return fd_; }

private:
    int fd_ = -1;
    bool eof_ = false;
};

struct HttpResponse {
    int status = 0;                              // e.g. 400
    std::string status_line;                     // e.g. "HTTP/1.1 400 Bad Request"
    std::map<std::string, std::string> headers;  // names in lower case
    std::string body;
};

// Sends `raw_request` as is and parses the answer (bounded by `timeout`).
HttpResponse http_request(unsigned short port, const std::string& raw_request,
                          milliseconds timeout = milliseconds(5000));
// GET `path` with the usual headers plus `extra_headers` ("Name: value\r\n" lines).
HttpResponse http_get(unsigned short port, const std::string& path, const std::string& extra_headers = "");
// A valid WebSocket opening handshake for `path` (key "dGhlIHNhbXBsZSBub25jZQ==").
std::string websocket_handshake_request(const std::string& path = "/", unsigned short port = 0);

}  // namespace wstest
