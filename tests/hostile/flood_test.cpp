// Hostile clients by numbers: a thousand connections dropped with a reset in a
// burst, and a client that floods pings but never reads the answers. A normal
// client connected all along keeps its ticks on time.
#include "crowd.hpp"
#include "hostile.hpp"
#include "sanitizer_reports.hpp"


#include <fstream>

using namespace hostile;

namespace {

// The server's resident memory, from /proc (0 if unreadable).
long rss_kib(pid_t pid) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(status, line))
        if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    return 0;
}

}  // namespace

TEST_CASE("1,000 connections opened and reset in a burst, and 1,000 reset mid-handshake") {
    ServerProcess server("final_server", server_args());
    Witness witness(server);
    {
        WsCrowd crowd(server.port(), 1000);
        REQUIRE(crowd.wait_open(milliseconds(30000)) == 1000);
        crowd.reset_all();
    }
    // Every one of them seen to go: the count is back to the witness alone.
    server.wait_for_line(Stream::out, "; clients: 1)", milliseconds(20000));

    // Half a handshake, then a reset: a hundred at a time, all open at once.
    for (int batch = 0; batch < 10; ++batch) {
        std::vector<std::unique_ptr<TcpConnection>> half_open;
        for (int i = 0; i < 100; ++i) {
            half_open.push_back(std::make_unique<TcpConnection>(server.port()));
            half_open.back()->send("GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n");
        }
        for (auto& connection : half_open) connection->reset();
    }
    check_server_unharmed(server, witness);
}

TEST_CASE("a client that floods pings and never reads the pongs is closed, its queue bounded") {
    // The pongs it never reads pile up in the server's queue for it, like
    // ticks for a slow reader: past --max-buffered-bytes it is closed with
    // 1008, and after the close timeout dropped.
    ServerProcess server("final_server", server_args({"--max-buffered-bytes", "262144"}));
    Witness witness(server);
    const long rss_before = rss_kib(server.pid());

    // It never reads: its receive buffer (not shrunk: a buffer cut below what
    // the connection already advertised makes the kernel drop the server's
    // segments, and TCP, not the server, stalls) fills, then the server's queue.
    RawWebSocket flooder(server.port());
    std::string pings;
    for (int i = 0; i < 100; ++i) pings += make_frame(opcode::ping, std::string(125, 'p'));

    const auto start = Clock::now();
    std::size_t sent = 0;
    // Bounded in bytes (256 MiB) and time (10 s). The flood ends at the first
    // send that does not complete: the server stopped reading from us or
    // dropped us, and a frame cut in half could not be resumed anyway.
    while (sent < (256u << 20) && Clock::now() - start < milliseconds(10000)) {
        if (!flooder.send(pings, milliseconds(1000))) break;
        sent += pings.size();
    }
    INFO("sent " << (sent >> 10) << " KiB of pings in " << ms(Clock::now() - start) << " ms");
    server.wait_for_line(Stream::out, "too slow: ", milliseconds(10000));
    // Closed with 1008, then dropped when the close handshake times out.
    CHECK(flooder.tcp().wait_closed(milliseconds(10000)));
    CHECK(ms(Clock::now() - start) < 20000);
    // The queue it had was bounded by the limit and one interval of pongs.
    const long rss_after = rss_kib(server.pid());
    INFO("server RSS " << rss_before << " KiB before, " << rss_after << " KiB after");
    if (!sanitizer_build()) CHECK(rss_after - rss_before < 64 * 1024);
    check_server_unharmed(server, witness);
}
