// Step 08: the client prints every message whole, on its own line, as it
// arrives; it answers the server's Close, notices a lost connection, and
// closes normally on Ctrl+C or SIGTERM.
#include "program.hpp"
#include "tick.hpp"
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

// `size` bytes of printable text that changes along the line, so a line
// split, cut short or reordered cannot go unnoticed.
std::string long_line(std::size_t size, char first) {
    std::string line;
    line.reserve(size);
    for (std::size_t i = 0; i < size; ++i) line += static_cast<char>(first + i % 26);
    return line;
}

// "C++ Rocks -> 2026-11-25 14:03:07" -> seconds since midnight.
int seconds_of_day(const std::string& tick_line) {
    const std::string time = tick_line.substr(tick_line.size() - 8);
    return std::stoi(time.substr(0, 2)) * 3600 + std::stoi(time.substr(3, 2)) * 60 + std::stoi(time.substr(6, 2));
}

std::string repeated(const std::string& piece, std::size_t times) {
    std::string text;
    for (std::size_t i = 0; i < times; ++i) text += piece;
    return text;
}

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

TEST_CASE("against step 08's server, timestamp lines arrive about a second apart") {
    ServerProcess server("step08_server");
    const std::string url = "ws://localhost:" + std::to_string(server.port()) + "/";
    Program client("step08_client", {url});
    REQUIRE(client.wait_for_line(Stream::out, "Connected to ") == "Connected to " + url);

    const std::optional<std::string> first = client.next_line(Stream::out, milliseconds(5000));
    const Clock::time_point first_seen = Clock::now();
    const std::optional<std::string> second = client.next_line(Stream::out, milliseconds(5000));
    const Clock::time_point second_seen = Clock::now();
    INFO(client.transcript());
    REQUIRE(first);
    REQUIRE(second);
    REQUIRE(is_tick(*first));
    REQUIRE(is_tick(*second));
    // Stamped a second apart (two when the second send was a little late across a second boundary).
    const int stamped_apart = (seconds_of_day(*second) - seconds_of_day(*first) + 86400) % 86400;
    CHECK((stamped_apart == 1 || stamped_apart == 2));
    // One second apart, with room for a busy machine; never a burst.
    CHECK(second_seen - first_seen > milliseconds(500));
    CHECK(second_seen - first_seen < milliseconds(2500));
}

TEST_CASE("messages of any size and UTF-8 text are printed whole, then Close 1000 ends with exit 0") {
    const std::vector<std::string> messages{
        "hello",
        long_line(10000, 'a'),
        "olá, ação, 日本語",
        repeated("日本語", 3000),  // 3-byte characters across many 256-byte reads
        long_line(1024 * 1024, 'A'),
    };
    WsTestServer server;
    Program client("step08_client", {server.url()});
    REQUIRE(server.wait_open());
    for (const std::string& message : messages) server.send_text(message);
    server.close(1000, "done");

    REQUIRE(client.wait_exit(milliseconds(10000)) == 0);
    REQUIRE(client.wait_output_closed());
    std::vector<std::string> expected{"Connected to " + server.url()};
    expected.insert(expected.end(), messages.begin(), messages.end());
    const std::vector<std::string> printed = client.lines(Stream::out);
    REQUIRE(printed.size() == expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i) {
        INFO("line " << i << ": " << printed[i].size() << " bytes printed, " << expected[i].size() << " sent");
        CHECK(printed[i] == expected[i]);
    }
    CHECK(client.lines(Stream::err) == std::vector<std::string>{R"(connection closed: code 1000, reason "done")"});
    // The client completed the closing handshake: its Close echoed the server's code.
    const std::optional<WsClose> close = server.wait_closed(milliseconds(5000));
    REQUIRE(close);
    CHECK(close->remote_code == 1000);
}

TEST_CASE("the server killed mid-stream: the connection is lost, exit 3 within 5 s") {
    ServerProcess server("step08_server");
    Program client("step08_client", {server.ws_url()});
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
    Program client("step08_client", {server.url()});
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
    Program client("step08_client", {server.url()});
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
    Program client("step08_client", {server.url()});
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
    Program client("step08_client", {listener.url()});
    REQUIRE(listener.wait_for_request(milliseconds(5000)));
    client.send_signal(SIGINT);
    REQUIRE(client.wait_exit(milliseconds(3000)) == 1);
    CHECK(client.wait_for_line(Stream::err, "cannot connect to ") ==
          "cannot connect to " + listener.url() + ": interrupted");
}

TEST_CASE("no server listening: exit 1 with the cause") {
    unsigned short port = 0;
    {
        WsTestServer gone;
        port = gone.port();
    }
    const std::string url = "ws://127.0.0.1:" + std::to_string(port) + "/";
    Program client("step08_client", {url});
    REQUIRE(client.wait_exit(milliseconds(5000)) == 1);
    CHECK(client.wait_for_line(Stream::err, "cannot connect to ") ==
          "cannot connect to " + url + ": Connection refused");
}
