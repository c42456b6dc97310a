// Hand-made WebSocket frames (RFC 6455 section 5.2) and a raw WebSocket
// session over TcpConnection: for tests that must send what no library would
// (unmasked frames, reserved bits, unknown opcodes, lengths that lie) and read
// exactly what the server answers, frame by frame. Every wait is bounded.
#pragma once

#include "tcp.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

namespace wstest {

namespace opcode {
constexpr std::uint8_t continuation = 0x0, text = 0x1, binary = 0x2, close = 0x8, ping = 0x9, pong = 0xA;
}

struct FrameOptions {
    bool fin = true;
    std::uint8_t rsv = 0;  // the three reserved bits RSV1..RSV3, as 0..7
    bool masked = true;    // a client's frames must be masked
    std::array<unsigned char, 4> mask_key{0x5a, 0xc3, 0x17, 0xe8};
    // The length the header announces; the payload's own length if unset.
    // Bytes are sent as given either way, so a frame can announce 2^40 bytes
    // and carry none.
    std::optional<std::uint64_t> announced_length;
};

// One frame: header, masking key, (masked) payload.
inline std::string make_frame(std::uint8_t opcode, const std::string& payload, const FrameOptions& options = {}) {
    std::string frame;
    frame += static_cast<char>((options.fin ? 0x80 : 0) | ((options.rsv & 7) << 4) | (opcode & 0x0f));
    const std::uint64_t length = options.announced_length.value_or(payload.size());
    const unsigned char mask_bit = options.masked ? 0x80 : 0;
    if (length < 126) {
        frame += static_cast<char>(mask_bit | length);
    } else if (length <= 0xffff) {
        frame += static_cast<char>(mask_bit | 126);
        frame += static_cast<char>(length >> 8);
        frame += static_cast<char>(length & 0xff);
    } else {
        frame += static_cast<char>(mask_bit | 127);
        for (int shift = 56; shift >= 0; shift -= 8) frame += static_cast<char>((length >> shift) & 0xff);
    }
    if (!options.masked) return frame + payload;
    frame.append(reinterpret_cast<const char*>(options.mask_key.data()), 4);
    for (std::size_t i = 0; i < payload.size(); ++i)
        frame += static_cast<char>(static_cast<unsigned char>(payload[i]) ^ options.mask_key[i % 4]);
    return frame;
}

// The payload of a Close frame: the code in network order, then the reason.
inline std::string close_payload(std::uint16_t code, const std::string& reason = "") {
    return std::string{static_cast<char>(code >> 8), static_cast<char>(code & 0xff)} + reason;
}

struct Frame {
    bool fin = true;
    std::uint8_t rsv = 0;
    std::uint8_t opcode = 0;
    bool masked = false;
    std::string payload;  // unmasked

    // For a Close frame: the code in it, 1005 when it has none (RFC 6455 7.1.5).
    std::uint16_t close_code() const {
        if (payload.size() < 2) return 1005;
        return static_cast<std::uint16_t>(static_cast<unsigned char>(payload[0]) << 8 |
                                          static_cast<unsigned char>(payload[1]));
    }
    std::string close_reason() const { return payload.size() > 2 ? payload.substr(2) : std::string(); }
};

// Takes one whole frame off the front of `buffer`; nullopt (buffer untouched)
// while it is incomplete.
inline std::optional<Frame> take_frame(std::string& buffer) {
    auto byte = [&](std::size_t i) { return static_cast<unsigned char>(buffer[i]); };
    if (buffer.size() < 2) return std::nullopt;
    Frame frame;
    frame.fin = (byte(0) & 0x80) != 0;
    frame.rsv = static_cast<std::uint8_t>((byte(0) >> 4) & 7);
    frame.opcode = static_cast<std::uint8_t>(byte(0) & 0x0f);
    frame.masked = (byte(1) & 0x80) != 0;
    std::uint64_t length = byte(1) & 0x7f;
    std::size_t header = 2;
    if (length == 126 || length == 127) {
        const std::size_t bytes = length == 126 ? 2 : 8;
        if (buffer.size() < header + bytes) return std::nullopt;
        length = 0;
        for (std::size_t i = 0; i < bytes; ++i) length = length << 8 | byte(header + i);
        header += bytes;
    }
    std::array<unsigned char, 4> key{};
    if (frame.masked) {
        if (buffer.size() < header + 4) return std::nullopt;
        for (std::size_t i = 0; i < 4; ++i) key[i] = byte(header + i);
        header += 4;
    }
    if (buffer.size() - header < length) return std::nullopt;
    frame.payload = buffer.substr(header, static_cast<std::size_t>(length));
    if (frame.masked)
        for (std::size_t i = 0; i < frame.payload.size(); ++i)
            frame.payload[i] = static_cast<char>(static_cast<unsigned char>(frame.payload[i]) ^ key[i % 4]);
    buffer.erase(0, header + static_cast<std::size_t>(length));
    return frame;
}

// A WebSocket connection made by hand: a valid opening handshake, then
// whatever bytes the test sends, and the server's frames one by one.
class RawWebSocket {
public:
    // Connects and sends a valid handshake for `path`; throws std::runtime_error
    // unless the answer is 101 within `timeout`.
    explicit RawWebSocket(unsigned short port, const std::string& path = "/",
                          milliseconds timeout = milliseconds(5000))
        : tcp_(port, timeout) {
        const auto deadline = Clock::now() + timeout;
        if (!tcp_.send(websocket_handshake_request(path, port), timeout))
            throw std::runtime_error("could not send the handshake");
        std::size_t end;
        while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
            std::string more = tcp_.receive_some(remaining(deadline));
            if (more.empty()) throw std::runtime_error("no complete handshake answer; got:\n" + buffer_);
            buffer_ += more;
        }
        response_ = buffer_.substr(0, end + 4);
        buffer_.erase(0, end + 4);
        if (response_.rfind("HTTP/1.1 101", 0) != 0) throw std::runtime_error("handshake refused:\n" + response_);
    }

    const std::string& handshake_response() const { return response_; }
    TcpConnection& tcp() { return tcp_; }

    bool send(const std::string& bytes, milliseconds timeout = milliseconds(5000)) { return tcp_.send(bytes, timeout); }

    // The next frame from the server; nullopt on timeout or when the connection ends first.
    std::optional<Frame> next_frame(milliseconds timeout) {
        const auto deadline = Clock::now() + timeout;
        for (;;) {
            if (auto frame = take_frame(buffer_)) return frame;
            std::string more = tcp_.receive_some(remaining(deadline));
            if (more.empty()) return std::nullopt;
            buffer_ += more;
        }
    }

    // Reads past data frames (ticks) to the server's Close frame; nullopt if the
    // connection ended without one or none came within `timeout`.
    std::optional<Frame> wait_close_frame(milliseconds timeout) {
        const auto deadline = Clock::now() + timeout;
        while (auto frame = next_frame(remaining(deadline)))
            if (frame->opcode == opcode::close) return frame;
        return std::nullopt;
    }

    // After the server's Close: true once it has closed the TCP connection too.
    bool wait_closed(milliseconds timeout) { return tcp_.wait_closed(timeout); }

private:
    static milliseconds remaining(Clock::time_point deadline) {
        return std::max(milliseconds(0), std::chrono::duration_cast<milliseconds>(deadline - Clock::now()));
    }

    TcpConnection tcp_;
    std::string buffer_;  // received, not yet taken as frames
    std::string response_;
};

}  // namespace wstest
