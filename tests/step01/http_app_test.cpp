// Step 01: a bare HTTP app answers GET / and stops cleanly on SIGTERM.
#include "program.hpp"
#include "tcp.hpp"

#include "catch_compat.hpp"

#include <csignal>

using namespace wstest;

TEST_CASE("the server prints the real port it listens on") {
    ServerProcess server("step01_server");
    REQUIRE(server.port() != 0);
    REQUIRE(server.lines(Stream::out).front() ==
            "Now listening on: http://localhost:" + std::to_string(server.port()));
}

TEST_CASE("GET / answers 200 Hello World!") {
    ServerProcess server("step01_server");
    HttpResponse response = http_get(server.port(), "/");
    CHECK(response.status == 200);
    CHECK(response.body == "Hello World!");
}

TEST_CASE("another path answers 404") {
    ServerProcess server("step01_server");
    CHECK(http_get(server.port(), "/missing").status == 404);
}

TEST_CASE("SIGTERM stops the server with exit code 0 within 2 s") {
    ServerProcess server("step01_server");
    http_get(server.port(), "/");
    server.send_signal(SIGTERM);
    REQUIRE(server.wait_exit(milliseconds(2000)) == 0);
}

TEST_CASE("SIGINT (Ctrl+C) stops the server with exit code 0") {
    ServerProcess server("step01_server");
    server.send_signal(SIGINT);
    REQUIRE(server.wait_exit(milliseconds(2000)) == 0);
}

TEST_CASE("a port already in use is a clear error and exit code 1") {
    ServerProcess first("step01_server");
    Program second("step01_server", {std::to_string(first.port())});
    REQUIRE(second.wait_exit(milliseconds(5000)) == 1);
    REQUIRE(second.wait_output_closed(milliseconds(5000)));
    CHECK(second.has_printed(Stream::err, "cannot listen on port " + std::to_string(first.port())));
}
