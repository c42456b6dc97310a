// Step 07: the client connects, says so, closes normally; every failure to
// connect is one clear line on stderr and exit code 1.
#include "program.hpp"
#include "ws.hpp"

#include "catch_compat.hpp"

#include <optional>

using namespace wstest;

TEST_CASE("the client connects to step 07's server, says so and exits 0") {
    ServerProcess server("step07_server");
    const std::string url = "ws://localhost:" + std::to_string(server.port()) + "/";
    Program client("step07_client", {url});
    REQUIRE(client.wait_exit(milliseconds(5000)) == 0);
    REQUIRE(client.wait_output_closed());
    INFO(client.transcript());
    CHECK(client.lines(Stream::out) == std::vector<std::string>{"Connected to " + url});
    CHECK(client.lines(Stream::err).empty());
    // The server logged the close, and the code it saw was the client's 1000.
    CHECK(server.wait_for_line(Stream::out, "closed: ").find("(code 1000)") != std::string::npos);
}

TEST_CASE("the client closes with 1000 right after connecting") {
    WsTestServer server;
    Program client("step07_client", {server.url()});
    REQUIRE(server.wait_open());
    std::optional<WsClose> close = server.wait_closed(milliseconds(5000));
    REQUIRE(close);
    CHECK(close->remote_code == 1000);
    CHECK(client.wait_exit(milliseconds(5000)) == 0);
}

TEST_CASE("no server listening: one line naming the URL and the cause, exit 1") {
    // A port that was free a moment ago: nothing listens on it now.
    unsigned short port = 0;
    {
        WsTestServer gone;
        port = gone.port();
    }
    const std::string url = "ws://127.0.0.1:" + std::to_string(port) + "/";
    Program client("step07_client", {url});
    REQUIRE(client.wait_exit(milliseconds(5000)) == 1);
    REQUIRE(client.wait_output_closed());
    INFO(client.transcript());
    CHECK(client.lines(Stream::out).empty());
    REQUIRE(client.lines(Stream::err).size() == 1);
    CHECK(client.lines(Stream::err).front() == "cannot connect to " + url + ": Connection refused");
}

TEST_CASE("a path the server rejects: exit 1 naming the HTTP status") {
    ServerProcess server("step07_server");
    const std::string url = server.ws_url("/missing");
    Program client("step07_client", {url});
    REQUIRE(client.wait_exit(milliseconds(5000)) == 1);
    REQUIRE(client.wait_output_closed());
    INFO(client.transcript());
    CHECK(client.lines(Stream::out).empty());
    REQUIRE(client.lines(Stream::err).size() == 1);
    CHECK(client.lines(Stream::err).front() ==
          "cannot connect to " + url + ": the server answered HTTP 404 Not Found");
}

TEST_CASE("a malformed URL: exit 1 naming the URL") {
    Program client("step07_client", {"not a url"});
    REQUIRE(client.wait_exit(milliseconds(5000)) == 1);
    REQUIRE(client.wait_output_closed());
    INFO(client.transcript());
    CHECK(client.lines(Stream::out).empty());
    REQUIRE(client.lines(Stream::err).size() == 1);
    CHECK(client.lines(Stream::err).front().rfind("cannot connect to not a url: ", 0) == 0);
}

TEST_CASE("more than one argument is a usage error, exit 2") {
    Program client("step07_client", {"ws://localhost:1/", "extra"});
    REQUIRE(client.wait_exit(milliseconds(5000)) == 2);
    CHECK(client.wait_for_line(Stream::err, "usage: ").find("[URL]") != std::string::npos);
}
