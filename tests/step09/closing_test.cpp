// Step 09: the client answers the server's Close and exits 0, tells a lost
// connection (exit 3) and one it failed itself (1009, exit 3) from a closed
// one, and closes normally on Ctrl+C or SIGTERM.
#include "program.hpp"
#include "ws.hpp"

#include "catch_compat.hpp"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <optional>
#include <string>
#include <vector>

using namespace wstest;

namespace {

// A TCP port that takes the client's handshake request and never answers it.
class SilentListener {
public:
    SilentListener() : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t length = sizeof address;
        auto* generic = reinterpret_cast<sockaddr*>(&address);
        REQUIRE(fd_ >= 0);
        REQUIRE(::bind(fd_, generic, length) == 0);
        REQUIRE(::listen(fd_, 4) == 0);
        REQUIRE(::getsockname(fd_, generic, &length) == 0);
        port_ = ntohs(address.sin_port);
    }
    ~SilentListener() {
        if (peer_ >= 0) ::close(peer_);
        ::close(fd_);
    }
    SilentListener(const SilentListener&) = delete;
    SilentListener& operator=(const SilentListener&) = delete;
    std::string url() const { return "ws://127.0.0.1:" + std::to_string(port_) + "/"; }

    // True once a client has connected and sent a whole HTTP request (which stays unanswered).
    bool wait_for_request(milliseconds timeout) {
        const Clock::time_point deadline = Clock::now() + timeout;
        if (!wait_readable(fd_, deadline)) return false;
        peer_ = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
        std::string request;
        char buffer[1024];
        while (peer_ >= 0 && request.find("\r\n\r\n") == std::string::npos && wait_readable(peer_, deadline)) {
            const ssize_t n = ::read(peer_, buffer, sizeof buffer);
            if (n <= 0) return false;
            request.append(buffer, static_cast<std::size_t>(n));
        }
        return request.find("\r\n\r\n") != std::string::npos;
    }

private:
    static bool wait_readable(int fd, Clock::time_point deadline) {
        const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count();
        pollfd waiting{fd, POLLIN, 0};
        return left > 0 && ::poll(&waiting, 1, static_cast<int>(left)) == 1;
    }

    int fd_;
    int peer_ = -1;
    unsigned short port_ = 0;
};

}  // namespace

TEST_CASE("the server's Close is answered with the same code, and the client exits 0") {
    WsTestServer server;
    Program client("step09_client", {server.url()});
    REQUIRE(server.wait_open());
    server.send_text("hello");
    server.close(1000, "done");
    REQUIRE(client.wait_exit(milliseconds(5000)) == 0);
    REQUIRE(client.wait_output_closed());
    INFO(client.transcript());
    CHECK(client.lines(Stream::out) == std::vector<std::string>{"Connected to " + server.url(), "hello"});
    CHECK(client.lines(Stream::err) == std::vector<std::string>{R"(connection closed: code 1000, reason "done")"});
    // The client completed the closing handshake: its Close echoed the server's code.
    const std::optional<WsClose> close = server.wait_closed(milliseconds(5000));
    REQUIRE(close);
    CHECK(close->remote_code == 1000);
}

TEST_CASE("against step 09's server, Ctrl+C closes normally: the server logs code 1000") {
    ServerProcess server("step09_server");
    Program client("step09_client", {server.ws_url()});
    client.wait_for_line(Stream::out, "C++ Rocks -> ");
    client.send_signal(SIGINT);
    REQUIRE(client.wait_exit(milliseconds(5000)) == 0);
    CHECK(server.wait_for_line(Stream::out, "closed: ").find("(code 1000)") != std::string::npos);
    REQUIRE(client.wait_output_closed());
    CHECK(client.lines(Stream::err) == std::vector<std::string>{R"(connection closed: code 1000, reason "")"});
}

TEST_CASE("the server killed mid-stream: the connection is lost, exit 3 within 5 s") {
    ServerProcess server("step09_server");
    Program client("step09_client", {server.ws_url()});
    client.wait_for_line(Stream::out, "C++ Rocks -> ");
    server.send_signal(SIGKILL);
    REQUIRE(client.wait_exit(milliseconds(5000)) == 3);
    REQUIRE(client.wait_output_closed());
    INFO(client.transcript());
    REQUIRE(client.lines(Stream::err).size() == 1);
    CHECK(client.lines(Stream::err).front().rfind("connection to " + server.ws_url() + " lost: ", 0) == 0);
}

TEST_CASE("a connection reset without a Close frame is a lost connection, exit 3") {
    WsTestServer server;
    Program client("step09_client", {server.url()});
    REQUIRE(server.wait_open());
    client.wait_for_line(Stream::out, "Connected to ");
    server.reset();
    REQUIRE(client.wait_exit(milliseconds(5000)) == 3);
    CHECK(client.wait_for_line(Stream::err, " lost: ").rfind("connection to " + server.url(), 0) == 0);
}

TEST_CASE("Ctrl+C or SIGTERM: the client sends Close 1000 and exits 0") {
    const int signal_number = GENERATE(SIGINT, SIGTERM);
    INFO("signal " << signal_number);
    WsTestServer server;
    Program client("step09_client", {server.url()});
    REQUIRE(server.wait_open());
    client.wait_for_line(Stream::out, "Connected to ");
    client.send_signal(signal_number);
    const std::optional<WsClose> close = server.wait_closed(milliseconds(5000));
    REQUIRE(close);
    CHECK(close->remote_code == 1000);
    CHECK(client.wait_exit(milliseconds(5000)) == 0);
}

TEST_CASE("a message above the 16 MiB limit: the client fails the connection with 1009, exit 3") {
    WsTestServer server;
    Program client("step09_client", {server.url()});
    REQUIRE(server.wait_open());
    server.send_text("small");
    server.send_text(std::string(16 * 1024 * 1024 + 1, 'x'));
    const std::optional<int> exit_code = client.wait_exit(milliseconds(5000));
    REQUIRE(client.wait_output_closed());
    INFO(client.transcript());
    CHECK(exit_code == 3);
    CHECK(client.lines(Stream::out) == std::vector<std::string>{"Connected to " + server.url(), "small"});
    CHECK(client.lines(Stream::err) ==
          std::vector<std::string>{R"(connection failed: code 1009, reason "A message was too large")"});
    // The server sees the connection end (whether the Close frame reached it before
    // the client dropped the TCP connection is up to the kernels).
    CHECK(server.wait_closed(milliseconds(5000)));
}

TEST_CASE("Ctrl+C while the handshake is unanswered: exit 1 at once") {
    SilentListener listener;
    Program client("step09_client", {listener.url()});
    REQUIRE(listener.wait_for_request(milliseconds(5000)));
    client.send_signal(SIGINT);
    REQUIRE(client.wait_exit(milliseconds(3000)) == 1);
    CHECK(client.wait_for_line(Stream::err, "cannot connect to ") ==
          "cannot connect to " + listener.url() + ": interrupted");
}
