// Command-line options of final_server and final_client. Everything is parsed
// and checked before the program starts, so a typo is a one-line error, the
// usage and exit code 2, never a surprise later.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>

struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// "final_server: <what is wrong>", the usage line and where to read more: for exit code 2.
std::string usage_error_text(const char* program, const char* usage, const UsageError& error);

// #region server-options
struct ServerOptions {
    std::string host = "127.0.0.1";
    unsigned short port = 5065;
    std::chrono::milliseconds interval{1000};
    std::size_t max_message_bytes = 64 * 1024;
    std::size_t max_buffered_bytes = 1024 * 1024;
    std::size_t max_clients = 10000;
    // Advanced: the defaults suit production, tests shorten them.
    std::chrono::milliseconds ping_interval{30000};
    std::chrono::milliseconds pong_timeout{10000};
    std::chrono::milliseconds handshake_timeout{5000};
    bool help = false;
};
// #endregion

extern const char* const server_usage;
// Throws UsageError.
ServerOptions parse_server_options(int argc, char* argv[]);

struct ClientOptions {
    std::string url = "ws://localhost:5065/";
    std::optional<unsigned long> count;  // close after this many messages
    bool reconnect = false;
    bool quiet = false;
    bool help = false;
};

extern const char* const client_usage;
// Throws UsageError.
ClientOptions parse_client_options(int argc, char* argv[]);
