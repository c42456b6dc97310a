// The websocketpp configuration of final_server: websocketpp::config::asio,
// sized for many mostly idle connections on one io thread.
#pragma once

#include "log.hpp"

#include <websocketpp/concurrency/none.hpp>
#include <websocketpp/config/asio_no_tls.hpp>
#include <websocketpp/logger/levels.hpp>

#include <string>

// #region library-log
// websocketpp's own log, routed into ours. Its error channel also reports every
// failed read or write of every connection ("handle_read_frame error: End of
// File" for each client that just goes away); our "closed:" line already gives
// that cause, once, so those messages are not repeated. What passes are the
// channels about the library and the process itself: fatal and library.
class LibraryLog {
public:
    using level = websocketpp::log::level;
    using hint = websocketpp::log::channel_type_hint::value;

    explicit LibraryLog(hint = websocketpp::log::channel_type_hint::access) {}
    LibraryLog(level static_channels, hint) : static_channels_(static_channels) {}

    void set_channels(level channels) { channels_ |= channels & static_channels_; }
    void clear_channels(level channels) { channels_ &= ~channels; }
    bool static_test(level channel) const { return (channel & static_channels_) != 0; }
    bool dynamic_test(level channel) const { return (channel & channels_) != 0; }

    void write(level channel, const std::string& message) { write(channel, message.c_str()); }
    void write(level channel, const char* message) {
        if (!dynamic_test(channel)) return;
        // A write that failed because the client went away: routine, see above.
        if (std::string_view(message).rfind("handle_write_frame", 0) == 0) return;
        log_error(std::string("websocketpp: ") + message);
    }

private:
    level static_channels_ = 0;
    level channels_ = 0;
};
// #endregion

// #region config
struct ServerConfig : websocketpp::config::asio {
    using type = ServerConfig;
    using base = websocketpp::config::asio;

    // One io thread runs everything, so websocketpp needs no locks.
    using concurrency_type = websocketpp::concurrency::none;
    static const bool enable_multithreading = false;

    using elog_type = LibraryLog;
    using alog_type = LibraryLog;
    static const websocketpp::log::level elog_level =
        websocketpp::log::elevel::fatal | websocketpp::log::elevel::library;
    static const websocketpp::log::level alog_level = websocketpp::log::alevel::none;  // stdout is ours

    // Every connection carries a read buffer of this size inside its object,
    // used or not (websocketpp's default is 16 KiB). Clients here send
    // handshakes, pongs and the odd small message: 128 bytes take a handshake
    // in a few reads, and larger messages still arrive, in more reads.
    static const std::size_t connection_read_buffer_size = 128;

    struct transport_config : base::transport_config {
        using concurrency_type = type::concurrency_type;
        using alog_type = type::alog_type;
        using elog_type = type::elog_type;
        static const bool enable_multithreading = false;
    };
    using transport_type = websocketpp::transport::asio::endpoint<transport_config>;
};
// #endregion
