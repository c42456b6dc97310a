// hiredis's async API driven by an Asio io_context: the server's one io thread
// also reads and writes its Redis connections.
//
// hiredis does no I/O waiting of its own. It asks an "event library" to watch
// its socket through five hooks in redisAsyncContext::ev (addRead, delRead,
// addWrite, delWrite, cleanup), and expects redisAsyncHandleRead/Write to be
// called when the socket is ready. Here an asio::posix::stream_descriptor
// watches the socket with async_wait, one wait per direction at a time.
//
// Works with hiredis 0.14 (Debian 12) and 1.x (Debian 13): only the five hooks
// both have are used. 1.x adds a sixth, scheduleTimer, for the timeouts set with
// redisAsyncConnectWithOptions; we set none (the reader keeps its own deadline
// on an asio timer, which works with both), so it stays null.
//
// At the end, what the server and the publisher both need to reach Redis: the
// URL they take (--redis) and the connect call it selects.
#pragma once

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <asio.hpp>

#include <cerrno>
#include <charconv>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace redis_asio {

// What one attached context needs. Shared: every pending async_wait holds a
// reference, so a wait that completes after hiredis freed the context still
// finds valid memory (and sees `context == nullptr`).
struct Watch {
    Watch(asio::io_context& io, redisAsyncContext* context, int fd)
        : context(context), socket(io, fd) {}
    redisAsyncContext* context;  // null once hiredis has freed it
    asio::posix::stream_descriptor socket;  // hiredis's fd, which hiredis closes
    bool want_read = false, want_write = false;        // what hiredis asked for
    bool read_waiting = false, write_waiting = false;  // an async_wait is pending
    std::function<void(const std::string&)> on_gone;
};
using WatchPtr = std::shared_ptr<Watch>;

// A one-shot async_wait per direction, re-armed after each readiness for as long
// as hiredis wants that direction. hiredis's hooks must be idempotent: calling
// addRead twice leaves one wait.
inline void arm(const WatchPtr& watch, bool read) {
    bool& waiting = read ? watch->read_waiting : watch->write_waiting;
    if (waiting || !watch->context) return;
    waiting = true;
    const auto type = read ? asio::posix::descriptor_base::wait_read
                           : asio::posix::descriptor_base::wait_write;
    watch->socket.async_wait(type, [watch, read](const asio::error_code& ec) {
        (read ? watch->read_waiting : watch->write_waiting) = false;
        if (ec || !watch->context) return;  // released by cleanup: the context is gone
        if (!(read ? watch->want_read : watch->want_write)) return;  // del* came first
        // hiredis 0.14 decides that a connect is still in progress from errno when the
        // socket reports no error: a stale EINPROGRESS left by an earlier call would make
        // it wait for a "writable" that never comes, and the first command never goes out.
        errno = 0;
        // May run callbacks, and may free the context (cleanup below clears `context`).
        if (read)
            redisAsyncHandleRead(watch->context);
        else
            redisAsyncHandleWrite(watch->context);
        if (watch->context && (read ? watch->want_read : watch->want_write)) arm(watch, read);
    });
}

// ev.data is a heap-held WatchPtr: the context's own reference, dropped by cleanup.
inline WatchPtr& watch_of(void* data) { return *static_cast<WatchPtr*>(data); }

inline void add_read(void* data) {
    watch_of(data)->want_read = true;
    arm(watch_of(data), true);
}
inline void del_read(void* data) { watch_of(data)->want_read = false; }
inline void add_write(void* data) {
    watch_of(data)->want_write = true;
    arm(watch_of(data), false);
}
inline void del_write(void* data) { watch_of(data)->want_write = false; }

// Called by hiredis as it frees the context (a lost connection, a failed
// connect, redisAsyncFree): stop watching without closing the fd (hiredis
// closes it right after), unhook, and report. The report is posted, so the
// owner never runs inside hiredis's own call stack.
inline void cleanup(void* data) {
    auto* holder = static_cast<WatchPtr*>(data);
    const WatchPtr watch = *holder;
    redisAsyncContext* context = watch->context;
    const std::string reason = context->err ? context->errstr : "connection closed";
    // hiredis 0.14 may call cleanup twice: unhooked, the second call finds nothing.
    context->ev = {};
    watch->context = nullptr;
    asio::error_code ignored;
    watch->socket.cancel(ignored);  // pending waits end with operation_aborted
    watch->socket.release();        // forget the fd, do not close it
    delete holder;
    if (watch->on_gone)
        asio::post(watch->socket.get_executor(), [watch, reason] { watch->on_gone(reason); });
}

// Hooks `context` (fresh from redisAsyncConnect*, no error) to `io`. on_gone runs
// once, on the io thread, after hiredis has freed the context, with the reason.
// The Watch returned tells at any time whether the context still exists: hiredis
// may free it inside any read, and on_gone comes later, so an owner that holds the
// context pointer checks `watch->context` before using it. Null if the context
// already has an event library.
inline WatchPtr attach(asio::io_context& io, redisAsyncContext* context,
                       std::function<void(const std::string& reason)> on_gone) {
    if (context->ev.data) return nullptr;
    auto watch = std::make_shared<Watch>(io, context, context->c.fd);
    watch->on_gone = std::move(on_gone);
    context->ev.data = new WatchPtr(watch);
    context->ev.addRead = add_read;
    context->ev.delRead = del_read;
    context->ev.addWrite = add_write;
    context->ev.delWrite = del_write;
    context->ev.cleanup = cleanup;
    // hiredis learns that a non-blocking connect finished from the first
    // "writable": watch for it now, whether or not a command is queued yet.
    add_write(context->ev.data);
    return watch;
}

}  // namespace redis_asio

// Where Redis is: "redis://HOST[:PORT]" (port 6379 by default) or "unix:PATH".
struct RedisTarget {
    std::string host;  // empty: a unix socket at `path`
    int port = 6379;
    std::string path;
};

inline std::optional<RedisTarget> redis_target(const std::string& url) {
    RedisTarget target;
    if (url.rfind("unix:", 0) == 0) {
        target.path = url.substr(url.rfind("unix://", 0) == 0 ? 7 : 5);
        return target.path.empty() ? std::nullopt : std::optional(target);
    }
    if (url.rfind("redis://", 0) != 0) return std::nullopt;
    target.host = url.substr(8);
    const std::size_t bracket = target.host.rfind(']');  // [::1]:6379: the port follows "]"
    const std::size_t colon = target.host.find(':', bracket == std::string::npos ? 0 : bracket);
    if (colon != std::string::npos) {
        const std::string port = target.host.substr(colon + 1);
        const char* last = port.data() + port.size();
        const auto [end, error] = std::from_chars(port.data(), last, target.port);
        if (error != std::errc() || end != last || target.port < 1 || target.port > 65535)
            return std::nullopt;
        target.host.erase(colon);
    }
    if (bracket != std::string::npos && target.host.front() == '[')
        target.host = target.host.substr(1, target.host.size() - 2);  // hiredis wants ::1
    if (target.host.empty() || target.host.find_first_of("/@") != std::string::npos)
        return std::nullopt;  // no path, database number or password here
    return target;
}

// A context that connects in the background (hiredis is non-blocking): attach it, then
// queue commands. Null, or with err set, when it failed at once (no such socket file).
inline redisAsyncContext* redis_connect(const RedisTarget& target) {
    return target.host.empty() ? redisAsyncConnectUnix(target.path.c_str())
                               : redisAsyncConnect(target.host.c_str(), target.port);
}
