#include "crowd.hpp"

#include <websocketpp/base64/base64.hpp>
#include <websocketpp/sha1/sha1.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <functional>
#include <random>
#include <stdexcept>
#include <vector>

namespace wstest {
namespace {

enum class State { connecting, handshaking, open, closed };

struct Peer {
    int fd = -1;
    State state = State::connecting;
    std::uint32_t interest = 0;  // the epoll events asked for now
    bool parked = false;         // taken out of epoll while not reading (see update_interest)
    std::string key;             // Sec-WebSocket-Key sent
    std::string in;              // received, not parsed yet
    std::string out;             // to send, not sent yet
    std::string fragments;       // a message that came in several frames
    bool close_sent = false;
    int status = 0;
    std::size_t messages = 0;
    std::string last_message;
    std::optional<std::uint16_t> close_code;
    // Options::subprotocol, record_messages and reconnect
    std::size_t server = 0;        // index in Impl::ports: where it connects now
    std::string path;              // the request path of this attempt
    std::string protocol;          // the subprotocol the server selected
    std::vector<std::string> received;
    std::string last_id;           // of the last "<ID> <text>" message
    bool was_open = false;         // opened once: a drop is worth a reconnect
    bool closed_by_us = false;     // close_all: the end is ours, not a drop
    bool retry_pending = false;    // a reconnect is due at retry_at
    Clock::time_point retry_at;
    unsigned failed_attempts = 0;  // reconnects in a row that did not open
    std::size_t reconnects = 0;
};

// How many reconnects in a row may fail before a client gives up (~25 s of backoff).
constexpr unsigned max_failed_attempts = 30;

std::string lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
    return text;
}

std::string accept_for(const std::string& key) {
    unsigned char digest[20];
    const std::string input = key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    websocketpp::sha1::calc(input.data(), input.size(), digest);
    return websocketpp::base64_encode(digest, sizeof digest);
}

// The stream ID a message "<ID> <text>" starts with (ID: <digits>-<digits>), or "".
std::string id_of(const std::string& message) {
    const std::string id = message.substr(0, message.find(' '));
    const std::size_t dash = id.find('-');
    const auto digits = [&](std::size_t from, std::size_t to) {
        return from < to && std::all_of(id.begin() + static_cast<std::ptrdiff_t>(from),
                                        id.begin() + static_cast<std::ptrdiff_t>(to),
                                        [](unsigned char c) { return std::isdigit(c); });
    };
    if (dash == std::string::npos || !digits(0, dash) || !digits(dash + 1, id.size())) return "";
    return id;
}

// `path` with since=<id> in its query, in place of any since= it had.
std::string with_since(const std::string& path, const std::string& id) {
    const std::size_t mark = path.find('?');
    std::string query;
    if (mark != std::string::npos) {
        std::size_t start = mark + 1;
        while (start <= path.size()) {
            std::size_t end = path.find('&', start);
            if (end == std::string::npos) end = path.size();
            const std::string parameter = path.substr(start, end - start);
            if (!parameter.empty() && parameter.rfind("since=", 0) != 0) query += parameter + "&";
            start = end + 1;
        }
    }
    return path.substr(0, mark) + "?" + query + "since=" + id;
}

// Enough descriptors for the crowd in this (test) process.
void ensure_open_files(std::size_t count) {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
    const rlim_t wanted = count + 256;
    if (limit.rlim_cur >= wanted) return;
    limit.rlim_cur = std::min<rlim_t>(wanted, limit.rlim_max);
    ::setrlimit(RLIMIT_NOFILE, &limit);
}

}  // namespace

struct WsCrowd::Impl {
    std::vector<unsigned short> ports;
    Options options;
    int epoll_fd = -1;
    std::vector<Peer> peers;
    bool reading = true;
    std::mt19937 random{std::random_device{}()};
    std::size_t pending_retries = 0;  // peers with retry_pending

    ~Impl() {
        for (Peer& peer : peers)
            if (peer.fd >= 0) ::close(peer.fd);
        if (epoll_fd >= 0) ::close(epoll_fd);
    }

    // A connection attempt: the first, or a reconnect (fresh state, same history).
    void start(std::size_t index) {
        Peer& peer = peers[index];
        peer.state = State::connecting;
        peer.interest = 0;
        peer.parked = false;
        peer.in.clear();
        peer.out.clear();
        peer.fragments.clear();
        peer.close_sent = false;
        peer.status = 0;
        peer.protocol.clear();
        peer.close_code.reset();
        peer.path = peer.last_id.empty() ? options.path : with_since(options.path, peer.last_id);
        peer.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (peer.fd < 0) throw std::runtime_error("socket: " + std::string(std::strerror(errno)));
        if (options.receive_buffer_bytes > 0)
            ::setsockopt(peer.fd, SOL_SOCKET, SO_RCVBUF, &options.receive_buffer_bytes,
                         sizeof options.receive_buffer_bytes);
        int one = 1;
        ::setsockopt(peer.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(ports[peer.server]);
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(peer.fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 && errno != EINPROGRESS) {
            lost(index);
            return;
        }
        epoll_event event{};
        event.events = peer.interest = EPOLLOUT;
        event.data.u64 = index;
        ::epoll_ctl(epoll_fd, EPOLL_CTL_ADD, peer.fd, &event);
    }

    void finish(Peer& peer) {
        if (peer.fd >= 0) ::close(peer.fd);  // also takes it out of epoll
        peer.fd = -1;
        peer.state = State::closed;
    }

    // The connection ended without this side asking. With Options::reconnect a
    // client that was open once goes on with the next server: at once after a
    // drop, then with a growing delay while attempts keep failing.
    void lost(std::size_t index) {
        Peer& peer = peers[index];
        finish(peer);
        const bool refused = peer.status != 0 && peer.status != 101;  // an HTTP answer: final
        if (!options.reconnect || !peer.was_open || peer.closed_by_us || refused ||
            peer.failed_attempts >= max_failed_attempts)
            return;
        const unsigned doublings = std::min(peer.failed_attempts, 5u);
        const milliseconds backoff = std::min(milliseconds(1000), milliseconds(25 << doublings));
        const milliseconds delay = peer.failed_attempts == 0 ? milliseconds(0) : backoff;
        ++peer.failed_attempts;
        peer.server = (peer.server + 1) % ports.size();
        peer.retry_at = Clock::now() + delay;
        if (!peer.retry_pending) ++pending_retries;
        peer.retry_pending = true;
    }

    void cancel_retry(Peer& peer) {
        if (peer.retry_pending) --pending_retries;
        peer.retry_pending = false;
    }

    // Reconnects whose time has come (started here, never from inside an event).
    void run_due_retries() {
        if (pending_retries == 0) return;
        const auto now = Clock::now();
        for (std::size_t i = 0; i < peers.size(); ++i) {
            if (!peers[i].retry_pending || peers[i].retry_at > now) continue;
            cancel_retry(peers[i]);
            start(i);
        }
    }

    // Level-triggered epoll: ask for writability only while there is
    // something to write, for readability only while reading. A socket that
    // hangs up while not read is parked outside epoll (EPOLLHUP cannot be
    // masked) until reading resumes.
    void update_interest(std::size_t index) {
        Peer& peer = peers[index];
        if (peer.fd < 0) return;
        const std::uint32_t wanted = (peer.state == State::connecting || !peer.out.empty() ? EPOLLOUT : 0u) |
                                     (reading ? static_cast<std::uint32_t>(EPOLLIN) : 0u);
        if (peer.parked) {
            if (!reading) return;
            peer.parked = false;
            epoll_event event{};
            event.events = peer.interest = wanted;
            event.data.u64 = index;
            ::epoll_ctl(epoll_fd, EPOLL_CTL_ADD, peer.fd, &event);
            return;
        }
        if (wanted == peer.interest) return;
        epoll_event event{};
        event.events = peer.interest = wanted;
        event.data.u64 = index;
        ::epoll_ctl(epoll_fd, EPOLL_CTL_MOD, peer.fd, &event);
    }

    void queue(std::size_t index, const std::string& bytes) {
        Peer& peer = peers[index];
        if (peer.fd < 0) return;
        peer.out += bytes;
        flush(index);
    }

    void flush(std::size_t index) {
        Peer& peer = peers[index];
        while (!peer.out.empty() && peer.fd >= 0) {
            ssize_t sent = ::send(peer.fd, peer.out.data(), peer.out.size(), MSG_NOSIGNAL);
            if (sent > 0) {
                peer.out.erase(0, static_cast<std::size_t>(sent));
            } else if (sent < 0 && errno == EINTR) {
                continue;
            } else if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                break;
            } else {
                lost(index);
            }
        }
        update_interest(index);
    }

    void on_event(std::size_t index, std::uint32_t events) {
        Peer& peer = peers[index];
        if (peer.fd < 0) return;
        if (peer.state == State::connecting) {
            int error = 0;
            socklen_t length = sizeof error;
            ::getsockopt(peer.fd, SOL_SOCKET, SO_ERROR, &error, &length);
            if (error != 0) return lost(index);
            if (!(events & EPOLLOUT)) return;
            std::array<unsigned char, 16> nonce;
            for (auto& byte : nonce) byte = static_cast<unsigned char>(random());
            peer.key = websocketpp::base64_encode(nonce.data(), nonce.size());
            peer.state = State::handshaking;
            const std::string protocol =
                options.subprotocol.empty()
                    ? ""
                    : "Sec-WebSocket-Protocol: " + options.subprotocol + "\r\n";
            queue(index, "GET " + peer.path + " HTTP/1.1\r\nHost: localhost:" +
                             std::to_string(ports[peer.server]) +
                             "\r\nUpgrade: websocket\r\nConnection: Upgrade" +
                             "\r\nSec-WebSocket-Key: " + peer.key +
                             "\r\nSec-WebSocket-Version: 13\r\n" + protocol + "\r\n");
            return;
        }
        if (!reading && (events & (EPOLLHUP | EPOLLERR))) {
            ::epoll_ctl(epoll_fd, EPOLL_CTL_DEL, peer.fd, nullptr);
            peer.parked = true;
            return;
        }
        if (events & EPOLLOUT) flush(index);
        // A send that failed has called lost(): the socket is closed (fd -1), and a
        // receive() now would fail on it and call lost() again, skipping a server.
        if (peer.fd < 0) return;
        if (reading && (events & (EPOLLIN | EPOLLHUP | EPOLLERR))) receive(index);
    }

    void receive(std::size_t index) {
        Peer& peer = peers[index];
        char buffer[65536];
        for (;;) {
            ssize_t n = ::recv(peer.fd, buffer, sizeof buffer, 0);
            if (n > 0) {
                peer.in.append(buffer, static_cast<std::size_t>(n));
                if (static_cast<std::size_t>(n) < sizeof buffer) break;
            } else if (n < 0 && errno == EINTR) {
                continue;
            } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                break;
            } else {  // EOF or reset: what arrived before still counts
                parse(index);
                if (peer.fd >= 0) lost(index);  // unless answering a Close or Ping just did
                return;
            }
        }
        parse(index);
    }

    void parse(std::size_t index) {
        Peer& peer = peers[index];
        if (peer.state == State::handshaking) {
            const std::size_t end = peer.in.find("\r\n\r\n");
            if (end == std::string::npos) return;
            const std::string head = peer.in.substr(0, end + 2);
            peer.in.erase(0, end + 4);
            if (head.rfind("HTTP/1.1 ", 0) == 0 && head.size() >= 12) peer.status = std::stoi(head.substr(9, 3));
            if (peer.status != 101) {
                peer.state = State::open;  // not WebSocket: the server closes; nothing to parse
                peer.in.clear();
                return;
            }
            const std::string headers = lower(head);
            const std::size_t accept = headers.find("\r\nsec-websocket-accept:");
            const std::string expected = accept_for(peer.key);
            if (accept == std::string::npos || head.find(expected, accept) == std::string::npos) {
                peer.status = -1;  // a 101 with a wrong accept value: not a WebSocket server
                return finish(peer);
            }
            const std::string field = "\r\nsec-websocket-protocol:";
            const std::size_t protocol = headers.find(field);
            if (protocol != std::string::npos) {
                const std::size_t from = protocol + field.size();
                std::string value = head.substr(from, head.find("\r\n", from) - from);
                value.erase(0, value.find_first_not_of(" \t"));
                value.erase(value.find_last_not_of(" \t") + 1);
                peer.protocol = value;
            }
            peer.state = State::open;
            if (peer.was_open) ++peer.reconnects;
            peer.was_open = true;
            peer.failed_attempts = 0;
        }
        if (peer.status != 101) {
            peer.in.clear();
            return;
        }
        while (peer.in.size() >= 2) {
            const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(peer.in[i]); };
            const bool fin = byte(0) & 0x80;
            const std::uint8_t opcode = byte(0) & 0x0f;
            std::size_t header = 2;
            std::uint64_t length = byte(1) & 0x7f;
            if (length == 126) {
                if (peer.in.size() < 4) return;
                length = (std::uint64_t(byte(2)) << 8) | byte(3);
                header = 4;
            } else if (length == 127) {
                if (peer.in.size() < 10) return;
                length = 0;
                for (std::size_t i = 2; i < 10; ++i) length = (length << 8) | byte(i);
                header = 10;
            }
            if (byte(1) & 0x80) header += 4;  // a masked server frame would be a server bug; skip the key
            if (peer.in.size() < header + length) return;
            const std::string payload = peer.in.substr(header, static_cast<std::size_t>(length));
            peer.in.erase(0, header + static_cast<std::size_t>(length));
            on_frame(index, fin, opcode, payload);
        }
    }

    void on_frame(std::size_t index, bool fin, std::uint8_t opcode, const std::string& payload) {
        Peer& peer = peers[index];
        switch (opcode) {
            case 0x0:  // continuation
            case 0x1:  // text
            case 0x2:  // binary
                peer.fragments += payload;
                if (fin) {
                    ++peer.messages;
                    const std::string id = id_of(peer.fragments);
                    if (!id.empty()) peer.last_id = id;
                    if (options.record_messages) peer.received.push_back(peer.fragments);
                    peer.last_message = std::move(peer.fragments);
                    peer.fragments.clear();
                }
                break;
            case 0x8: {  // Close: answer with the same code, as RFC 6455 asks
                const std::uint16_t code =
                    payload.size() >= 2
                        ? static_cast<std::uint16_t>((static_cast<unsigned char>(payload[0]) << 8) |
                                                     static_cast<unsigned char>(payload[1]))
                        : 1005;
                peer.close_code = code;
                if (!peer.close_sent) {
                    peer.close_sent = true;
                    queue(index, frame(0x8, payload.substr(0, 2)));
                }
                break;
            }
            case 0x9:  // Ping
                queue(index, frame(0xA, payload));
                break;
            default:
                break;
        }
    }

    // Drives every socket until `done()` or the deadline.
    bool pump(milliseconds timeout, const std::function<bool()>& done) {
        const auto deadline = Clock::now() + timeout;
        std::array<epoll_event, 256> events;
        for (;;) {
            if (done()) return true;
            run_due_retries();
            const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count();
            if (left <= 0) return false;
            const long long most = pending_retries > 0 ? 10 : 100;  // a retry may be due soon
            int ready = ::epoll_wait(epoll_fd, events.data(), static_cast<int>(events.size()),
                                     static_cast<int>(std::min<long long>(left, most)));
            if (ready < 0 && errno != EINTR) throw std::runtime_error("epoll_wait: " + std::string(std::strerror(errno)));
            for (int i = 0; i < ready; ++i) on_event(events[static_cast<std::size_t>(i)].data.u64, events[static_cast<std::size_t>(i)].events);
        }
    }
};

WsCrowd::WsCrowd(unsigned short port, std::size_t count, Options options)
    : WsCrowd(std::vector<unsigned short>{port}, count, std::move(options)) {}

WsCrowd::WsCrowd(std::vector<unsigned short> ports, std::size_t count, Options options)
    : impl_(std::make_unique<Impl>()) {
    if (ports.empty()) throw std::invalid_argument("WsCrowd needs at least one server port");
    ensure_open_files(count);
    impl_->ports = std::move(ports);
    impl_->options = std::move(options);
    impl_->epoll_fd = ::epoll_create1(EPOLL_CLOEXEC);
    if (impl_->epoll_fd < 0) throw std::runtime_error("epoll_create1: " + std::string(std::strerror(errno)));
    impl_->peers.resize(count);
    for (std::size_t i = 0; i < count; ++i) {
        impl_->peers[i].server = i % impl_->ports.size();
        impl_->start(i);
    }
}

WsCrowd::~WsCrowd() = default;

std::size_t WsCrowd::size() const { return impl_->peers.size(); }

std::size_t WsCrowd::wait_open(milliseconds timeout) {
    impl_->pump(timeout, [this] {
        return std::none_of(impl_->peers.begin(), impl_->peers.end(), [](const Peer& peer) {
            return peer.state == State::connecting || peer.state == State::handshaking ||
                   peer.retry_pending;
        });
    });
    return open_count();
}

bool WsCrowd::wait_messages(std::size_t count, milliseconds timeout) {
    return impl_->pump(timeout, [this, count] {
        return std::all_of(impl_->peers.begin(), impl_->peers.end(), [count](const Peer& peer) {
            return peer.status == 101 && peer.messages >= count;
        });
    });
}

bool WsCrowd::wait_closed(milliseconds timeout) {
    return impl_->pump(timeout, [this] {
        return std::all_of(impl_->peers.begin(), impl_->peers.end(),
                           [](const Peer& peer) {
                               return peer.state == State::closed && !peer.retry_pending;
                           });
    });
}

void WsCrowd::pump_for(milliseconds duration) {
    impl_->pump(duration, [] { return false; });
}

bool WsCrowd::wait_until(const std::function<bool()>& done, milliseconds timeout) {
    return impl_->pump(timeout, done);
}

void WsCrowd::set_reading(bool reading) {
    impl_->reading = reading;
    for (std::size_t i = 0; i < impl_->peers.size(); ++i) impl_->update_interest(i);
}

void WsCrowd::reset_all() {
    for (Peer& peer : impl_->peers) {
        impl_->cancel_retry(peer);
        if (peer.fd < 0) continue;
        linger hard{1, 0};
        ::setsockopt(peer.fd, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
        impl_->finish(peer);
    }
}

void WsCrowd::close_all(std::uint16_t code) {
    const std::string payload{static_cast<char>(code >> 8), static_cast<char>(code & 0xff)};
    for (std::size_t i = 0; i < impl_->peers.size(); ++i) {
        Peer& peer = impl_->peers[i];
        peer.closed_by_us = true;  // no reconnect from here on
        impl_->cancel_retry(peer);
        if (peer.state != State::open || peer.status != 101 || peer.close_sent) continue;
        peer.close_sent = true;
        impl_->queue(i, frame(0x8, payload));
    }
}

void WsCrowd::send_raw(std::size_t client, const std::string& bytes) { impl_->queue(client, bytes); }

bool WsCrowd::is_open(std::size_t client) const {
    const Peer& peer = impl_->peers.at(client);
    return peer.status == 101 && peer.state == State::open;
}
int WsCrowd::handshake_status(std::size_t client) const { return impl_->peers.at(client).status; }
std::size_t WsCrowd::message_count(std::size_t client) const { return impl_->peers.at(client).messages; }
std::string WsCrowd::last_message(std::size_t client) const { return impl_->peers.at(client).last_message; }
const std::vector<std::string>& WsCrowd::messages(std::size_t client) const {
    return impl_->peers.at(client).received;
}
std::string WsCrowd::subprotocol(std::size_t client) const {
    return impl_->peers.at(client).protocol;
}
std::string WsCrowd::last_id(std::size_t client) const { return impl_->peers.at(client).last_id; }
unsigned short WsCrowd::port(std::size_t client) const {
    return impl_->ports[impl_->peers.at(client).server];
}
std::size_t WsCrowd::reconnects(std::size_t client) const {
    return impl_->peers.at(client).reconnects;
}
std::optional<std::uint16_t> WsCrowd::close_code(std::size_t client) const {
    return impl_->peers.at(client).close_code;
}

std::map<std::uint16_t, std::size_t> WsCrowd::close_codes() const {
    std::map<std::uint16_t, std::size_t> counts;
    for (const Peer& peer : impl_->peers) ++counts[peer.close_code.value_or(0)];
    return counts;
}

std::size_t WsCrowd::open_count() const {
    return static_cast<std::size_t>(std::count_if(impl_->peers.begin(), impl_->peers.end(), [](const Peer& peer) {
        return peer.status == 101 && peer.state == State::open;
    }));
}

std::string WsCrowd::frame(std::uint8_t opcode, const std::string& payload) {
    std::string bytes;
    bytes += static_cast<char>(0x80 | opcode);
    const std::size_t length = payload.size();
    if (length < 126) {
        bytes += static_cast<char>(0x80 | length);
    } else if (length <= 0xffff) {
        bytes += static_cast<char>(0x80 | 126);
        bytes += static_cast<char>(length >> 8);
        bytes += static_cast<char>(length & 0xff);
    } else {
        bytes += static_cast<char>(0x80 | 127);
        for (int shift = 56; shift >= 0; shift -= 8) bytes += static_cast<char>((length >> shift) & 0xff);
    }
    const char mask[4] = {0x12, 0x34, 0x56, 0x78};  // any key will do: masking is not secrecy here
    bytes.append(mask, 4);
    for (std::size_t i = 0; i < length; ++i) bytes += static_cast<char>(payload[i] ^ mask[i % 4]);
    return bytes;
}

}  // namespace wstest
