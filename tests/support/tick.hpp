// The tick message every server of the tutorial sends:
// "C++ Rocks -> YYYY-MM-DD HH:MM:SS" (local time, 24-hour clock).
#pragma once

#include <ctime>
#include <optional>
#include <regex>
#include <string>

namespace wstest {

// The time a tick names, as seconds since the epoch read in local time; nullopt if it is not a tick.
inline std::optional<std::time_t> tick_time(const std::string& message) {
    static const std::regex format(R"(^C\+\+ Rocks -> (\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$)");
    std::smatch match;
    if (!std::regex_match(message, match, format)) return std::nullopt;
    std::tm local{};
    local.tm_year = std::stoi(match[1]) - 1900;
    local.tm_mon = std::stoi(match[2]) - 1;
    local.tm_mday = std::stoi(match[3]);
    local.tm_hour = std::stoi(match[4]);
    local.tm_min = std::stoi(match[5]);
    local.tm_sec = std::stoi(match[6]);
    local.tm_isdst = -1;
    return std::mktime(&local);
}

inline bool is_tick(const std::string& message) { return tick_time(message).has_value(); }

}  // namespace wstest
