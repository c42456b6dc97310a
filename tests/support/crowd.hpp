// Many WebSocket clients at once (hundreds, thousands) over raw sockets, for
// tests that need a crowd: shutdown with 200 clients, 500 abrupt disconnects,
// a client that stops reading. WsClient is the tool for one client.
//
// No thread of its own: every call drives all the sockets (epoll) from the
// calling thread until its condition holds or its timeout passes; between
// calls nothing is read. The clients speak real RFC 6455: a checked
// Sec-WebSocket-Accept, masked frames, a Close answered with a Close, a Ping
// with a Pong.
//
// For resume tests (step 21) a crowd can also offer a subprotocol, keep every
// message, and fail over: a client whose connection drops connects to the
// next server of its list with ?since=<the last stream ID it received>.
#pragma once

#include "mailbox.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace wstest {

class WsCrowd {
public:
    struct Options {
        std::string path = "/";
        // SO_RCVBUF before connecting; 0 keeps the system's. A few KiB plus
        // set_reading(false) make a client that stops reading fill up fast.
        int receive_buffer_bytes = 0;
        // Offered in Sec-WebSocket-Protocol (e.g. "ticks.v1"); empty: none offered.
        std::string subprotocol;
        // Keep every message of every client (messages()), not only the last.
        bool record_messages = false;
        // When a client's connection drops (not closed by this side), it
        // connects again at once to the next server of the list, round robin,
        // with "since=<last ID>" in the query if it has received a message
        // "<ID> <text>" (ticks.v1); later attempts back off, up to 1 s.
        bool reconnect = false;
    };

    // Starts connecting `count` clients to 127.0.0.1:port (non-blocking); a
    // wait_* call completes the handshakes.
    WsCrowd(unsigned short port, std::size_t count, Options options);
    WsCrowd(unsigned short port, std::size_t count) : WsCrowd(port, count, Options{}) {}
    // Spread over several servers: client i starts with ports[i % ports.size()].
    WsCrowd(std::vector<unsigned short> ports, std::size_t count, Options options);
    ~WsCrowd();
    WsCrowd(const WsCrowd&) = delete;
    WsCrowd& operator=(const WsCrowd&) = delete;

    std::size_t size() const;

    // Until every client is open or has failed: how many are open.
    std::size_t wait_open(milliseconds timeout);
    // Until every open client has at least `count` messages: whether they have.
    bool wait_messages(std::size_t count, milliseconds timeout);
    // Until every client's TCP connection has ended: whether all have.
    bool wait_closed(milliseconds timeout);
    // Drives the sockets for `duration`, whatever happens.
    void pump_for(milliseconds duration);
    // Drives the sockets until `done()` (checked between events): whether it held in time.
    bool wait_until(const std::function<bool()>& done, milliseconds timeout);

    // false: stop reading the sockets (the kernel buffers fill, then the server's queue).
    void set_reading(bool reading);
    // Closes every socket with an RST, no Close frame: crashed peers.
    void reset_all();
    // Sends a Close frame with `code` from every open client.
    void close_all(std::uint16_t code);
    // Sends raw bytes on one client's socket (hand-made frames); see frame().
    void send_raw(std::size_t client, const std::string& bytes);

    // What one client saw.
    bool is_open(std::size_t client) const;     // handshake answered 101, not closed yet
    int handshake_status(std::size_t client) const;  // 101, 404, 503...; 0 if no answer (yet)
    std::size_t message_count(std::size_t client) const;
    std::string last_message(std::size_t client) const;
    // Every message, over all its connections, with Options::record_messages.
    const std::vector<std::string>& messages(std::size_t client) const;
    // The subprotocol the server selected in the last handshake ("" none).
    std::string subprotocol(std::size_t client) const;
    // The ID of the last "<ID> <text>" message received ("" none yet).
    std::string last_id(std::size_t client) const;
    // The server it is connected (or connecting) to now.
    unsigned short port(std::size_t client) const;
    // Connections opened after its first one (Options::reconnect).
    std::size_t reconnects(std::size_t client) const;
    // The code in the Close frame received: nullopt if none came, 1005 if it had no code.
    std::optional<std::uint16_t> close_code(std::size_t client) const;
    // Over all clients: close code -> how many got it (0: no Close frame at all).
    std::map<std::uint16_t, std::size_t> close_codes() const;
    std::size_t open_count() const;

    // One frame as a client sends it: FIN set, masked.
    static std::string frame(std::uint8_t opcode, const std::string& payload);

    struct Impl;

private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace wstest
