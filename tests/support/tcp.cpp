#include "tcp.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace wstest {
namespace {

int remaining_ms(Clock::time_point deadline) {
    auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count();
    return static_cast<int>(std::max<long long>(0, left));
}

bool wait_for(int fd, short events, Clock::time_point deadline) {
    pollfd p{fd, events, 0};
    int ready;
    while ((ready = ::poll(&p, 1, remaining_ms(deadline))) < 0 && errno == EINTR) {
    }
    return ready > 0;
}

std::string lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
    return text;
}

}  // namespace

TcpConnection::TcpConnection(unsigned short port, milliseconds timeout) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw std::runtime_error("socket: " + std::string(std::strerror(errno)));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 && errno != EINPROGRESS) {
        int error = errno;
        ::close(fd_);
        throw std::runtime_error("connect to port " + std::to_string(port) + ": " + std::strerror(error));
    }
    int error = 0;
    socklen_t length = sizeof error;
    if (!wait_for(fd_, POLLOUT, Clock::now() + timeout) ||
        ::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &length) != 0 || error != 0) {
        ::close(fd_);
        throw std::runtime_error("connect to port " + std::to_string(port) + ": " +
                                 (error ? std::strerror(error) : "timed out"));
    }
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

TcpConnection::~TcpConnection() {
    if (fd_ >= 0) ::close(fd_);
}

bool TcpConnection::send(const std::string& bytes, milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    std::size_t sent = 0;
    while (sent < bytes.size()) {
        ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
        if (n > 0) {
            sent += static_cast<std::size_t>(n);
        } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            if (!wait_for(fd_, POLLOUT, deadline)) return false;
        } else {
            return false;
        }
    }
    return true;
}

std::string TcpConnection::receive_some(milliseconds timeout) {
    if (eof_ || !wait_for(fd_, POLLIN, Clock::now() + timeout)) return {};
    char buffer[65536];
    ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
    if (n <= 0) {
        eof_ = true;
        return {};
    }
    return std::string(buffer, static_cast<std::size_t>(n));
}

std::string TcpConnection::receive_exactly(std::size_t needed, milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    std::string data;
    while (data.size() < needed && !eof_ && Clock::now() < deadline) {
        if (!wait_for(fd_, POLLIN, deadline)) break;
        char buffer[65536];
        ssize_t n = ::recv(fd_, buffer, std::min(sizeof buffer, needed - data.size()), 0);
        if (n <= 0) {
            eof_ = true;
            break;
        }
        data.append(buffer, static_cast<std::size_t>(n));
    }
    return data;
}

std::string TcpConnection::receive_until_closed(milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    std::string data;
    while (!eof_) {
        if (!wait_for(fd_, POLLIN, deadline))
            throw std::runtime_error("the peer did not close within " + std::to_string(timeout.count()) +
                                     " ms; received so far:\n" + data);
        char buffer[65536];
        ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
        if (n <= 0)
            eof_ = true;
        else
            data.append(buffer, static_cast<std::size_t>(n));
    }
    return data;
}

bool TcpConnection::wait_closed(milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (!eof_) {
        if (!wait_for(fd_, POLLIN, deadline)) return false;
        char buffer[65536];
        if (::recv(fd_, buffer, sizeof buffer, 0) <= 0) eof_ = true;
    }
    return true;
}

void TcpConnection::reset() {
    linger hard{1, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
    ::close(fd_);
    fd_ = -1;
    eof_ = true;
}

HttpResponse http_request(unsigned short port, const std::string& raw_request, milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    TcpConnection connection(port, timeout);
    if (!connection.send(raw_request, timeout)) throw std::runtime_error("could not send the HTTP request");

    std::string data;
    std::size_t header_end;
    while ((header_end = data.find("\r\n\r\n")) == std::string::npos) {
        std::string more = connection.receive_some(milliseconds(remaining_ms(deadline)));
        if (more.empty()) throw std::runtime_error("incomplete HTTP response:\n" + data);
        data += more;
    }

    HttpResponse response;
    std::size_t line_end = data.find("\r\n");
    response.status_line = data.substr(0, line_end);
    if (response.status_line.rfind("HTTP/1.", 0) != 0 || response.status_line.size() < 12)
        throw std::runtime_error("not an HTTP status line: " + response.status_line);
    response.status = std::stoi(response.status_line.substr(9, 3));
    for (std::size_t pos = line_end + 2; pos < header_end;) {
        std::size_t next = data.find("\r\n", pos);
        std::string line = data.substr(pos, next - pos);
        std::size_t colon = line.find(':');
        if (colon != std::string::npos) {
            std::string value = line.substr(colon + 1);
            value.erase(0, value.find_first_not_of(' '));
            response.headers[lower(line.substr(0, colon))] = value;
        }
        pos = next + 2;
    }
    response.body = data.substr(header_end + 4);
    auto length = response.headers.find("content-length");
    if (length != response.headers.end()) {
        std::size_t wanted = std::stoul(length->second);
        if (response.body.size() < wanted)
            response.body += connection.receive_exactly(wanted - response.body.size(),
                                                        milliseconds(remaining_ms(deadline)));
    } else if (response.status != 101) {
        response.body += connection.receive_until_closed(milliseconds(remaining_ms(deadline)));
    }
    return response;
}

HttpResponse http_get(unsigned short port, const std::string& path, const std::string& extra_headers) {
    return http_request(port, "GET " + path + " HTTP/1.1\r\nHost: localhost:" + std::to_string(port) +
                                  "\r\nUser-Agent: wstest\r\n" + extra_headers + "\r\n");
}

std::string websocket_handshake_request(const std::string& path, unsigned short port) {
    return "GET " + path + " HTTP/1.1\r\nHost: localhost:" + std::to_string(port) +
           "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
}

}  // namespace wstest
