// Hostile clients after the handshake: frames RFC 6455 forbids, text that is
// not UTF-8, sizes that lie or pass the limit, Close frames with bad codes.
// Each must get the Close code the RFC gives it and lose its connection; a
// normal client connected all along keeps its ticks on time.
#include "hostile.hpp"

using namespace hostile;

namespace {

struct Case {
    std::string what;
    std::string bytes;  // sent right after the handshake
};

// Each case on a connection of its own: the server's Close carries
// `expected_code`, then the server closes the TCP connection.
void check_each_closed_with(ServerProcess& server, const std::vector<Case>& cases, std::uint16_t expected_code) {
    for (const auto& c : cases) {
        INFO(c.what);
        RawWebSocket socket(server.port());
        socket.send(c.bytes);
        auto close = socket.wait_close_frame(milliseconds(3000));
        REQUIRE(close);
        CHECK(close->close_code() == expected_code);
        CHECK(socket.wait_closed(milliseconds(3000)));
    }
}

FrameOptions with(void (*change)(FrameOptions&)) {
    FrameOptions options;
    change(options);
    return options;
}

}  // namespace

TEST_CASE("frames RFC 6455 forbids get Close 1002 (protocol error)") {
    ServerProcess server("final_server", server_args());
    Witness witness(server);
    std::vector<Case> cases{
        {"an unmasked frame", make_frame(opcode::text, "hi", with([](FrameOptions& o) { o.masked = false; }))},
        {"an unmasked Close", make_frame(opcode::close, close_payload(1000), with([](FrameOptions& o) { o.masked = false; }))},
        {"a ping with FIN clear (fragmented control frame)",
         make_frame(opcode::ping, "a", with([](FrameOptions& o) { o.fin = false; }))},
        {"a ping of 126 bytes (control frames carry at most 125)", make_frame(opcode::ping, std::string(126, 'p'))},
        {"a continuation with no message started", make_frame(opcode::continuation, "lost")},
        {"a new text frame inside a fragmented message",
         make_frame(opcode::text, "one, ", with([](FrameOptions& o) { o.fin = false; })) +
             make_frame(opcode::text, "two")},
        {"a Close whose payload is one byte", make_frame(opcode::close, "x")},
    };
    for (std::uint8_t rsv = 1; rsv <= 7; ++rsv) {
        FrameOptions options;
        options.rsv = rsv;
        cases.push_back({"reserved bits " + std::to_string(rsv) + " (no extension agreed)",
                         make_frame(opcode::text, "hi", options)});
    }
    for (std::uint8_t code : {0x3, 0x4, 0x5, 0x6, 0x7, 0xB, 0xC, 0xD, 0xE, 0xF})
        cases.push_back({"unknown opcode " + std::to_string(code), make_frame(code, "?")});
    check_each_closed_with(server, cases, 1002);
    check_server_unharmed(server, witness);
}

TEST_CASE("text that is not UTF-8 gets Close 1007, whole or split across fragments") {
    ServerProcess server("final_server", server_args());
    Witness witness(server);
    const FrameOptions first_fragment = with([](FrameOptions& o) { o.fin = false; });
    std::vector<Case> cases{
        {"a truncated sequence", make_frame(opcode::text, "caf\xc3")},
        {"a stray continuation byte", make_frame(opcode::text, "a\x80z")},
        {"an overlong encoding of '/'", make_frame(opcode::text, "\xc0\xaf")},
        {"a UTF-16 surrogate", make_frame(opcode::text, "\xed\xa0\x80")},
        {"a code point above U+10FFFF", make_frame(opcode::text, "\xf4\x90\x80\x80")},
        {"bytes 0xFE 0xFF", make_frame(opcode::text, "\xfe\xff")},
        {"a bad sequence split across two fragments",
         make_frame(opcode::text, "\xce", first_fragment) + make_frame(opcode::continuation, "\x28")},
    };
    check_each_closed_with(server, cases, 1007);
    {
        // Whether a bad reason is "inconsistent data" or a protocol error, the
        // RFC leaves open; either way the connection must fail.
        RawWebSocket socket(server.port());
        socket.send(make_frame(opcode::close, close_payload(1000, "\xff\xfe")));
        auto close = socket.wait_close_frame(milliseconds(3000));
        REQUIRE(close);
        CHECK((close->close_code() == 1007 || close->close_code() == 1002));
        CHECK(socket.wait_closed(milliseconds(3000)));
    }
    check_server_unharmed(server, witness);
}

TEST_CASE("a frame announcing 2^40 bytes gets Close 1009 at once, without the server waiting for them") {
    ServerProcess server("final_server", server_args());
    Witness witness(server);
    const std::vector<Case> cases{
        {"2^40 bytes announced, none sent",
         make_frame(opcode::binary, "", with([](FrameOptions& o) { o.announced_length = std::uint64_t{1} << 40; }))},
        {"2^63 - 1 bytes announced",
         make_frame(opcode::text, "", with([](FrameOptions& o) { o.announced_length = ~std::uint64_t{0} >> 1; }))},
        {"a Close frame announcing 2^40 bytes",
         make_frame(opcode::close, "", with([](FrameOptions& o) { o.announced_length = std::uint64_t{1} << 40; }))},
    };
    const auto start = Clock::now();
    check_each_closed_with(server, {cases[0], cases[1]}, 1009);
    CHECK(ms(Clock::now() - start) < 2000);
    // A control frame of that size is a protocol error before it is a big one.
    check_each_closed_with(server, {cases[2]}, 1002);
    check_server_unharmed(server, witness);
}

TEST_CASE("a message over --max-message-bytes gets Close 1009, in one frame or in fragments") {
    ServerProcess server("final_server", server_args({"--max-message-bytes", "4096"}));
    Witness witness(server);
    const FrameOptions first_fragment = with([](FrameOptions& o) { o.fin = false; });
    {
        // At the limit: accepted, the connection stays.
        RawWebSocket socket(server.port());
        socket.send(make_frame(opcode::text, std::string(4096, 'a')));
        socket.send(make_frame(opcode::ping, "still there?"));
        std::optional<Frame> frame;
        while ((frame = socket.next_frame(milliseconds(3000))) && frame->opcode != opcode::pong) {
            REQUIRE(frame->opcode != opcode::close);
        }
        REQUIRE(frame);
        CHECK(frame->payload == "still there?");
    }
    std::string many_fragments = make_frame(opcode::binary, std::string(1000, 'b'), first_fragment);
    for (int i = 0; i < 9; ++i) {
        FrameOptions options = first_fragment;
        options.fin = i == 8;
        many_fragments += make_frame(opcode::continuation, std::string(1000, 'b'), options);
    }
    check_each_closed_with(server,
                           {{"one frame of 4097 bytes", make_frame(opcode::text, std::string(4097, 'a'))},
                            {"ten fragments of 1000 bytes", many_fragments}},
                           1009);
    check_server_unharmed(server, witness);
}

TEST_CASE("a Close with a code no endpoint may send gets Close 1002, a valid one its answer") {
    ServerProcess server("final_server", server_args());
    Witness witness(server);
    std::vector<Case> invalid;
    for (std::uint16_t code : {0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535})
        invalid.push_back({"Close " + std::to_string(code), make_frame(opcode::close, close_payload(code))});
    check_each_closed_with(server, invalid, 1002);

    // Valid codes (1012-1014 registered with IANA since the RFC), and an empty
    // Close: the server answers and closes (RFC 6455 5.5.1).
    for (std::uint16_t code : {1000, 1001, 1003, 1007, 1011, 1012, 1014, 3000, 4999}) {
        INFO("Close " << code);
        RawWebSocket socket(server.port());
        socket.send(make_frame(opcode::close, close_payload(code, "bye")));
        auto close = socket.wait_close_frame(milliseconds(3000));
        REQUIRE(close);
        CHECK(close->close_code() == code);
        CHECK(socket.wait_closed(milliseconds(3000)));
    }
    {
        RawWebSocket socket(server.port());
        socket.send(make_frame(opcode::close, ""));
        auto close = socket.wait_close_frame(milliseconds(3000));
        REQUIRE(close);
        CHECK((close->close_code() == 1005 || close->close_code() == 1000));
        CHECK(socket.wait_closed(milliseconds(3000)));
    }
    check_server_unharmed(server, witness);
}
