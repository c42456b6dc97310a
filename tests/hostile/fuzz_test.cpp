// A seeded mutation run: valid handshakes and frame sequences, mutated at
// random (bits flipped, bytes changed, inserted, deleted, repeated, cut), each
// sent on a connection of its own. Nothing may crash or hang the server, or
// stall a normal client's ticks.
//
// Bounded in count and time; the seed is fixed unless WSTEST_FUZZ_SEED says
// otherwise (scripts/fuzz.sh runs longer with a fresh one):
//   WSTEST_FUZZ_SEED=N     the run's seed (default below)
//   WSTEST_FUZZ_CASES=N    how many cases at most (default 1000)
//   WSTEST_FUZZ_SECONDS=N  how long at most (default 20)
//   WSTEST_FUZZ_CASE=N     only case N of the seed: to replay a failure
// A case's bytes depend only on the seed and its number.
#include "hostile.hpp"

#include <cstdlib>
#include <iomanip>
#include <iostream>
#include <random>
#include <sstream>

using namespace hostile;

namespace {

std::uint64_t env_number(const char* name, std::uint64_t fallback) {
    const char* text = std::getenv(name);
    return text && *text ? std::strtoull(text, nullptr, 0) : fallback;
}

// The valid inputs mutations start from.
std::vector<std::string> seeds(unsigned short port) {
    const std::string handshake = websocket_handshake_request("/", port);
    const std::string extended = "GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n"
                                 "Sec-WebSocket-Key: x3JJHMbDL1EzLkh9GBhXDw==\r\nSec-WebSocket-Version: 13\r\n"
                                 "Origin: http://localhost\r\nSec-WebSocket-Protocol: chat, superchat\r\n"
                                 "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n";
    FrameOptions first;
    first.fin = false;
    FrameOptions middle = first;
    middle.mask_key = {0x00, 0xff, 0x10, 0x80};
    const std::string frames = make_frame(opcode::text, "hello") + make_frame(opcode::ping, "p") +
                               make_frame(opcode::text, "frag", first) + make_frame(opcode::pong, "") +
                               make_frame(opcode::continuation, "ment", middle) +
                               make_frame(opcode::continuation, "ed") + make_frame(opcode::binary, std::string(300, '\x01')) +
                               make_frame(opcode::close, close_payload(1000, "done"));
    return {handshake, extended, handshake + frames, extended + frames,
            handshake + make_frame(opcode::text, std::string(70000, 'x')),
            "GET /other HTTP/1.1\r\nHost: localhost\r\n\r\n"};
}

class Mutator {
public:
    explicit Mutator(std::mt19937_64& random) : random_(random) {}

    std::string mutate(const std::string& input, std::size_t protect) {
        std::string bytes = input;
        const int mutations = 1 + static_cast<int>(below(4));
        for (int m = 0; m < mutations; ++m) {
            // Mostly past the handshake (`protect` bytes), so the frames get fuzzed too.
            const std::size_t from = protect < bytes.size() && below(4) != 0 ? protect : 0;
            if (bytes.size() <= from) {
                bytes += random_bytes(1 + below(16));
                continue;
            }
            const std::size_t at = from + below(bytes.size() - from);
            const std::size_t span = 1 + below(std::min<std::size_t>(64, bytes.size() - at));
            switch (below(8)) {
                case 0: bytes[at] = static_cast<char>(bytes[at] ^ (1 << below(8))); break;
                case 1: {
                    static const char interesting[] = {'\0', '\xff', '\x7f', '\x80', '\r', '\n', ':', ' ', '~', '\x7e'};
                    bytes[at] = interesting[below(sizeof interesting)];
                    break;
                }
                case 2: bytes.insert(at, random_bytes(1 + below(16))); break;
                case 3: bytes.erase(at, span); break;
                case 4: bytes.insert(at, bytes.substr(at, span)); break;
                case 5: bytes.resize(at); break;
                case 6: {  // a piece repeated, up to 64 KiB
                    const std::string piece = bytes.substr(at, span);
                    std::string repeated;
                    const std::size_t times = 1 + below(65536 / piece.size());
                    for (std::size_t i = 0; i < times; ++i) repeated += piece;
                    bytes.insert(at, repeated);
                    break;
                }
                default: bytes[at] = static_cast<char>(random_()); break;
            }
        }
        return bytes;
    }

private:
    std::size_t below(std::size_t bound) { return bound == 0 ? 0 : static_cast<std::size_t>(random_() % bound); }
    std::string random_bytes(std::size_t count) {
        std::string bytes(count, '\0');
        for (auto& byte : bytes) byte = static_cast<char>(random_());
        return bytes;
    }
    std::mt19937_64& random_;
};

std::string hex_dump(const std::string& bytes, std::size_t limit = 512) {
    std::ostringstream out;
    for (std::size_t i = 0; i < std::min(bytes.size(), limit); ++i)
        out << std::hex << std::setw(2) << std::setfill('0') << static_cast<int>(static_cast<unsigned char>(bytes[i]));
    if (bytes.size() > limit) out << "... (" << std::dec << bytes.size() << " bytes)";
    return out.str();
}

}  // namespace

TEST_CASE("seeded mutations of handshakes and frames neither crash, hang nor stall the server", "[fuzz]") {
    const std::uint64_t seed = env_number("WSTEST_FUZZ_SEED", 20261125);
    const std::uint64_t max_cases = env_number("WSTEST_FUZZ_CASES", 1000);
    const auto budget = std::chrono::seconds(env_number("WSTEST_FUZZ_SECONDS", 20));
    const char* only = std::getenv("WSTEST_FUZZ_CASE");

    ServerProcess server("final_server", server_args({"--max-message-bytes", "65536"}));
    Witness witness(server);
    const auto inputs = seeds(server.port());
    const std::size_t handshake_size = websocket_handshake_request("/", server.port()).size();

    const auto start = Clock::now();
    std::uint64_t first = only ? std::strtoull(only, nullptr, 0) : 0;
    std::uint64_t last = only ? first + 1 : max_cases;
    std::uint64_t done = 0;
    for (std::uint64_t index = first; index < last && Clock::now() - start < budget; ++index, ++done) {
        std::seed_seq case_seed{static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32),
                                static_cast<std::uint32_t>(index)};
        std::mt19937_64 random(case_seed);
        const std::string& base = inputs[random() % inputs.size()];
        const std::string bytes = Mutator(random).mutate(base, std::min(handshake_size, base.size()));
        const bool reset = random() % 2 == 0;
        {
            TcpConnection connection(server.port());
            connection.send(bytes, milliseconds(1000));
            // What the server makes of it, for a moment: most inputs are refused at once.
            const auto until = Clock::now() + milliseconds(30);
            while (Clock::now() < until && !connection.receive_some(milliseconds(10)).empty()) {
            }
            if (reset) connection.reset();
        }
        if (server.wait_exit(milliseconds(0)) || index % 50 == 49) {
            // Still there, and still answering at once?
            bool answers = false;
            if (!server.wait_exit(milliseconds(0))) {
                try {
                    answers = http_get(server.port(), "/").status == 400;
                } catch (const std::exception&) {
                }
            }
            if (!answers) {
                // Checked after every case for an exit, every 50 for an answer:
                // the culprit is among the last 50 (replay them one by one).
                FAIL("fuzz seed " << seed << ": the server stopped answering after case " << index
                                  << " (replay: WSTEST_FUZZ_SEED=" << seed << " WSTEST_FUZZ_CASE=N for N in "
                                  << (index >= 49 ? index - 49 : 0) << ".." << index
                                  << ")\nlast case's bytes: " << hex_dump(bytes) << "\n"
                                  << server.transcript());
            }
        }
    }
    std::cout << "fuzz: seed " << seed << ", " << done << " cases in " << ms(Clock::now() - start) << " ms"
              << std::endl;
    CHECK(done > 0);
    INFO("fuzz seed " << seed);
    check_server_unharmed(server, witness);
}
