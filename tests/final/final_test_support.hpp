// What the tests of final/ share: how they start the server, and what a tick looks like.
#pragma once

#include "program.hpp"
#include "tick.hpp"

#include <string>
#include <vector>

namespace final_test {

using namespace wstest;

// final_server on a free port, ticking every 100 ms, plus `extra` options.
inline std::vector<std::string> server_args(std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"--port", "0", "--interval-ms", "100"};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
}

inline long long ms(Clock::duration duration) {
    return std::chrono::duration_cast<milliseconds>(duration).count();
}

// How many lines of `program`'s `stream` contain `text`.
inline std::size_t count_lines(const Program& program, Stream stream, const std::string& text) {
    std::size_t count = 0;
    for (const auto& line : program.lines(stream))
        if (line.find(text) != std::string::npos) ++count;
    return count;
}

}  // namespace final_test
