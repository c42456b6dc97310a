// Hostile clients before the handshake: requests that are not WebSocket
// handshakes, broken handshakes, garbage, huge and never-ending requests.
// Each test checks the server's answer, then that a normal client connected
// all along kept its ticks on time and the server still stops cleanly.
#include "hostile.hpp"

#include <memory>
#include <random>

using namespace hostile;

namespace {

const std::string upgrade = "Upgrade: websocket\r\nConnection: Upgrade\r\n";
const std::string good_key = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
const std::string version_13 = "Sec-WebSocket-Version: 13\r\n";

std::string request(const std::string& method, const std::string& path, const std::string& headers) {
    return method + " " + path + " HTTP/1.1\r\nHost: localhost\r\n" + headers + "\r\n";
}

// Sends `raw` and reads until the server closes; the status of the answer, 0
// if it closed without one. Fails if it keeps the connection open past `timeout`.
int status_then_closed(unsigned short port, const std::string& raw, milliseconds timeout = milliseconds(3000)) {
    TcpConnection connection(port);
    connection.send(raw);  // may fail half-way when the server gives up on a huge request
    std::string answer;
    const auto deadline = Clock::now() + timeout;
    bool closed = false;
    while (!closed && Clock::now() < deadline) {
        std::string more = connection.receive_some(std::chrono::duration_cast<milliseconds>(deadline - Clock::now()));
        if (more.empty()) closed = connection.wait_closed(milliseconds(0));
        answer += more;
    }
    INFO("answer: " << answer.substr(0, 300));
    CHECK(closed);
    if (answer.rfind("HTTP/1.", 0) != 0 || answer.size() < 12) return 0;
    return std::stoi(answer.substr(9, 3));
}

}  // namespace

TEST_CASE("plain HTTP gets 400 on / and 404 elsewhere, whatever the method") {
    ServerProcess server("final_server", server_args());
    Witness witness(server);
    CHECK(http_get(server.port(), "/").status == 400);
    CHECK(http_get(server.port(), "/other").status == 404);
    CHECK(http_get(server.port(), "/../../etc/passwd").status == 404);
    // The query is not part of the path (step 21 reads ?since= there): still "/", still 400.
    CHECK(http_get(server.port(), "/?x=" + std::string(2000, 'a')).status == 400);
    CHECK(http_get(server.port(), "/other?x=1").status == 404);
    for (const char* method : {"HEAD", "DELETE", "PATCH", "BREW"}) {
        INFO(method);
        const int status = http_request(server.port(), request(method, "/", "")).status;
        CHECK(status >= 400);
        CHECK(status < 500);
    }
    // A body where none is taken: refused (413), not read.
    CHECK(http_request(server.port(), request("POST", "/", "Content-Length: 5\r\n") + "hello").status == 413);
    check_server_unharmed(server, witness);
}

TEST_CASE("a WebSocket handshake with the wrong method gets 400") {
    ServerProcess server("final_server", server_args());
    Witness witness(server);
    for (const char* method : {"POST", "PUT", "OPTIONS"}) {
        INFO(method);
        CHECK(http_request(server.port(), request(method, "/", upgrade + good_key + version_13)).status == 400);
    }
    check_server_unharmed(server, witness);
}

TEST_CASE("a handshake with a missing or malformed Sec-WebSocket-Key gets 400 (RFC 6455 4.2.1)") {
    ServerProcess server("final_server", server_args());
    Witness witness(server);
    const std::vector<std::pair<std::string, std::string>> keys{
        {"no key", ""},
        {"an empty key", "Sec-WebSocket-Key: \r\n"},
        {"a key that is not base64", "Sec-WebSocket-Key: not base64 at all!!\r\n"},
        {"a key of 3 bytes, not 16", "Sec-WebSocket-Key: AAAA\r\n"},
        {"a key of 32 bytes, not 16", "Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n"},
    };
    for (const auto& [what, key] : keys) {
        INFO(what);
        CHECK(status_then_closed(server.port(), request("GET", "/", upgrade + key + version_13)) == 400);
    }
    check_server_unharmed(server, witness);
}

TEST_CASE("an unsupported Sec-WebSocket-Version is refused, naming version 13 (RFC 6455 4.4)") {
    ServerProcess server("final_server", server_args());
    Witness witness(server);
    for (const char* version : {"0", "7", "8", "12", "14", "99"}) {
        INFO("version " << version);
        HttpResponse response =
            http_request(server.port(), request("GET", "/", upgrade + good_key + "Sec-WebSocket-Version: " +
                                                                 version + "\r\n"));
        INFO("status " << response.status);
        CHECK((response.status == 400 || response.status == 426));
        CHECK(response.headers["sec-websocket-version"].find("13") != std::string::npos);
    }
    for (const char* malformed : {"-1", "abc"}) {
        INFO("version \"" << malformed << "\"");
        CHECK(status_then_closed(server.port(), request("GET", "/", upgrade + good_key + "Sec-WebSocket-Version: " +
                                                                         malformed + "\r\n")) == 400);
    }
    // No version, or an empty one: websocketpp alone would take the request for
    // the 2010 draft hixie-76 and answer 500; the server answers 400, naming 13.
    for (const std::string& missing : {std::string(), std::string("Sec-WebSocket-Version: \r\n")}) {
        INFO("version header \"" << missing << "\"");
        HttpResponse response = http_request(server.port(), request("GET", "/", upgrade + good_key + missing));
        CHECK(response.status == 400);
        CHECK(response.headers["sec-websocket-version"] == "13");
    }
    check_server_unharmed(server, witness);
}

TEST_CASE("a pre-RFC hixie-76 handshake is refused") {
    // The 2010 draft: no masking, no ping, no close codes. websocketpp still
    // speaks it; a server of RFC 6455 clients must not let one in.
    ServerProcess server("final_server", server_args());
    Witness witness(server);
    const std::string hixie = request("GET", "/",
                                      upgrade + "Sec-WebSocket-Key1: 4 @1  46546xW%0l 1 5\r\n"
                                                "Sec-WebSocket-Key2: 12998 5  Y3 1  .P00\r\n") +
                              "^n:ds[4U";
    const int status = status_then_closed(server.port(), hixie);
    CHECK(status >= 400);
    CHECK(status < 500);
    check_server_unharmed(server, witness);
}

TEST_CASE("random bytes get 400 or are dropped by the handshake timeout") {
    ServerProcess server("final_server", server_args());
    Witness witness(server);
    // All at once: those without an end of headers wait out the handshake timeout together.
    std::mt19937 random(20261125);  // fixed: the same bytes every run
    std::vector<std::unique_ptr<TcpConnection>> connections;
    for (int i = 0; i < 20; ++i) {
        std::string garbage(1 + random() % 4096, '\0');
        for (auto& byte : garbage) byte = static_cast<char>(random());
        if (i % 2) garbage += "\r\n\r\n";  // an end of headers: answered at once
        connections.push_back(std::make_unique<TcpConnection>(server.port()));
        connections.back()->send(garbage);
    }
    for (std::size_t i = 0; i < connections.size(); ++i) {
        INFO("garbage " << i);
        std::string answer;
        try {
            answer = connections[i]->receive_until_closed(handshake_timeout + milliseconds(2000));
        } catch (const std::runtime_error& error) {
            FAIL_CHECK(error.what());
        }
        const bool refused = answer.empty() || answer.rfind("HTTP/1.1 400", 0) == 0;
        INFO("answer: " << answer.substr(0, 200));
        CHECK(refused);
    }
    check_server_unharmed(server, witness);
}

TEST_CASE("a 1 MiB header or 100,000 headers get 431 and the connection closed") {
    ServerProcess server("final_server", server_args());
    Witness witness(server);
    const std::string huge_value = request("GET", "/", "X-Huge: " + std::string(1 << 20, 'a') + "\r\n");
    std::string many;
    for (int i = 0; i < 100000; ++i) many += "X-Many: a\r\n";
    const std::string huge_path = request("GET", "/" + std::string(1 << 20, 'a'), "");
    for (const std::string* raw : {&huge_value, &huge_path}) {
        // Answered as soon as the limit is passed: the rest may meet a closed socket.
        const int status = status_then_closed(server.port(), *raw);
        CHECK((status == 431 || status == 0));
    }
    CHECK(status_then_closed(server.port(), request("GET", "/", upgrade + good_key + version_13 + many)) == 431);
    check_server_unharmed(server, witness);
}

TEST_CASE("a request that never completes is dropped at the handshake timeout, trickling or not") {
    ServerProcess server("final_server", server_args());
    Witness witness(server);
    TcpConnection stalled(server.port());
    TcpConnection trickling(server.port());
    const auto start = Clock::now();
    const std::string started = "GET / HTTP/1.1\r\nHost: localhost\r\n";
    REQUIRE(stalled.send(started));
    REQUIRE(trickling.send(started));
    // One byte every 50 ms: each read resets no timer, the deadline stands.
    const std::string endless = "X-Slow: " + std::string(200, 'a');
    bool trickle_closed = false;
    for (std::size_t i = 0; i < endless.size() && !trickle_closed; ++i) {
        trickle_closed = !trickling.send(endless.substr(i, 1)) || trickling.wait_closed(milliseconds(50));
        if (ms(Clock::now() - start) > ms(handshake_timeout) * 4) break;
    }
    const long long trickle_ms = ms(Clock::now() - start);
    CHECK(trickle_closed);
    CHECK(stalled.wait_closed(milliseconds(3000)));
    const long long stalled_ms = ms(Clock::now() - start);
    CHECK(trickle_ms >= ms(handshake_timeout) - 50);
    CHECK(trickle_ms <= ms(handshake_timeout) + 1000);
    CHECK(stalled_ms <= ms(handshake_timeout) + 1000);
    check_server_unharmed(server, witness);
}
