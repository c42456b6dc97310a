// bench_raw_fanout — the physical ceiling of the benchmark: no WebSocket library,
// no Asio, one thread, epoll.
//
// It accepts TCP connections, reads the HTTP upgrade request up to its blank
// line, answers a fixed 101 with a properly computed Sec-WebSocket-Accept (the
// load client checks it) followed at once by the first tick frame, then on each
// tick writes pre-built frame bytes (0x81, length, "C++ Rocks -> ...") to every
// socket. Whatever a client sends afterwards is read and discarded. Ticks come
// from a periodic timerfd armed once, so the schedule is absolute (tick k at
// start + k*interval, no drift).
//
// Batching, as the best WebSocket server here does it: when a pass over the
// sockets takes longer than the interval, the timer has expired several times
// by the next pass, and each socket gets every frame due since its last write
// (at most --batch-max) in ONE send() — websocketpp likewise gathers the frames
// queued while a write is in flight into one sendmsg. So the raw program pays
// one system call per socket per pass, the least any server can, and stays a
// ceiling for the stress run. --batch-max 1 gives the old behaviour: one frame
// per send(), missed expirations not replayed.
//
// Usage: bench_raw_fanout [--host 127.0.0.1] [--port 0] [--interval-ms 1000]
//                         [--batch-max 64]
// Prints "Now listening on: http://localhost:PORT" first; SIGTERM/SIGINT exit 0
// after a stats line on stderr.
#include "ws_accept.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>
#include <string>
#include <vector>

namespace {

struct Conn {
    int fd = -1;
    bool open = false;        // handshake answered
    std::size_t slot = 0;     // index in the open list
    std::string in;           // request bytes until the blank line
    std::string out;          // bytes the kernel did not take yet
    bool want_out = false;
};

struct Server {
    int epfd = -1;
    std::vector<std::unique_ptr<Conn>> by_fd;
    std::vector<int> open_fds;
    std::string frame;
    std::string batch;  // `frame` repeated: the frames of one pass for one socket
    std::time_t frame_second = -1;
    unsigned long long batch_max = 64;
    unsigned long long frames_written = 0, frames_dropped = 0, ticks = 0, passes = 0,
                       blocked_sends = 0, sends = 0;
    double pass_ns_total = 0, pass_ns_max = 0;

    void rebuild_frame() {
        const std::time_t now = std::time(nullptr);
        if (now == frame_second) return;
        frame_second = now;
        std::tm tm{};
        localtime_r(&now, &tm);
        char text[64];
        const std::size_t n = std::strftime(text, sizeof text, "C++ Rocks -> %Y-%m-%d %H:%M:%S", &tm);
        frame.assign({static_cast<char>(0x81), static_cast<char>(n)});
        frame.append(text, n);
    }

    void watch(Conn& c, bool out) {
        epoll_event ev{};
        ev.events = EPOLLIN | (out ? EPOLLOUT : 0u);
        ev.data.fd = c.fd;
        epoll_ctl(epfd, EPOLL_CTL_MOD, c.fd, &ev);
        c.want_out = out;
    }

    void close_conn(int fd) {
        Conn& c = *by_fd[static_cast<std::size_t>(fd)];
        if (c.open) {
            const int last = open_fds.back();
            open_fds[c.slot] = last;
            by_fd[static_cast<std::size_t>(last)]->slot = c.slot;
            open_fds.pop_back();
        }
        epoll_ctl(epfd, EPOLL_CTL_DEL, fd, nullptr);
        ::close(fd);
        by_fd[static_cast<std::size_t>(fd)].reset();
    }

    // Sends bytes, keeping what the kernel did not take. false: connection gone.
    // `frames`: how many frames the bytes hold, for the drop count.
    bool send(Conn& c, const char* data, std::size_t len, unsigned long long frames = 1) {
        if (!c.out.empty()) {
            if (c.out.size() > 65536) {
                frames_dropped += frames;
                return true;
            }
            c.out.append(data, len);
            return true;
        }
        ++sends;
        const ssize_t n = ::send(c.fd, data, len, MSG_NOSIGNAL);
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return false;
        const std::size_t sent = n < 0 ? 0 : static_cast<std::size_t>(n);
        if (sent < len) {
            ++blocked_sends;  // the socket buffer was full: the reader is behind
            c.out.assign(data + sent, len - sent);
            watch(c, true);
        }
        return true;
    }

    void on_readable(int fd) {
        Conn& c = *by_fd[static_cast<std::size_t>(fd)];
        char buf[4096];
        for (int round = 0; round < 16; ++round) {
            const ssize_t n = ::read(fd, buf, sizeof buf);
            if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) return close_conn(fd);
            if (n < 0) return;
            if (c.open) continue;  // pongs, close frames: discarded
            c.in.append(buf, static_cast<std::size_t>(n));
            const auto end = c.in.find("\r\n\r\n");
            if (end == std::string::npos) {
                if (c.in.size() > 16384) return close_conn(fd);
                continue;
            }
            std::string key;
            std::string lower = c.in.substr(0, end + 2);
            for (auto& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
            const auto at = lower.find("\r\nsec-websocket-key:");
            if (at != std::string::npos) {
                auto s = at + 20;
                while (s < c.in.size() && c.in[s] == ' ') ++s;
                auto e = c.in.find("\r\n", s);
                while (e > s && c.in[e - 1] == ' ') --e;
                key = c.in.substr(s, e - s);
            }
            if (key.empty()) return close_conn(fd);
            rebuild_frame();
            std::string answer =
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                "Sec-WebSocket-Accept: " +
                bench::websocket_accept(key) + "\r\n\r\n" + frame;
            c.in.clear();
            c.in.shrink_to_fit();
            c.open = true;
            c.slot = open_fds.size();
            open_fds.push_back(fd);
            ++frames_written;
            if (!send(c, answer.data(), answer.size())) return close_conn(fd);
        }
    }

    void on_writable(int fd) {
        Conn& c = *by_fd[static_cast<std::size_t>(fd)];
        const ssize_t n = ::send(fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return close_conn(fd);
        if (n > 0) c.out.erase(0, static_cast<std::size_t>(n));
        if (c.out.empty()) watch(c, false);
    }

    static double mono_ns() {
        timespec ts{};
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
    }

    // One pass: `expirations` ticks are due (more than one when the last pass
    // overran the interval); every socket gets them in one send().
    void tick(unsigned long long expirations) {
        const double t0 = mono_ns();
        rebuild_frame();
        ++passes;
        const unsigned long long n = expirations < batch_max ? expirations : batch_max;
        batch.clear();
        for (unsigned long long k = 0; k < n; ++k) batch += frame;
        // Iterate backwards: close_conn swaps the last element into the hole.
        for (std::size_t i = open_fds.size(); i-- > 0;) {
            const int fd = open_fds[i];
            Conn& c = *by_fd[static_cast<std::size_t>(fd)];
            if (!send(c, batch.data(), batch.size(), n)) {
                close_conn(fd);
                continue;
            }
            frames_written += n;
        }
        const double dt = mono_ns() - t0;
        pass_ns_total += dt;
        if (dt > pass_ns_max) pass_ns_max = dt;
    }
};

[[noreturn]] void die(const char* what) {
    std::perror(what);
    std::exit(1);
}

}  // namespace

int main(int argc, char** argv) {
    std::string host = "127.0.0.1";
    int port = 0;
    double interval_ms = 1000;
    long batch_max = 64;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (i + 1 >= argc) {
            std::fprintf(stderr, "usage: bench_raw_fanout [--host H] [--port P] [--interval-ms N]"
                                 " [--batch-max N]\n");
            return 2;
        }
        if (a == "--host") host = argv[++i];
        else if (a == "--port") port = std::atoi(argv[++i]);
        else if (a == "--interval-ms") interval_ms = std::atof(argv[++i]);
        else if (a == "--batch-max") batch_max = std::atol(argv[++i]);
        else {
            std::fprintf(stderr, "unknown option %s\n", a.c_str());
            return 2;
        }
    }
    if (interval_ms <= 0) interval_ms = 1;

    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigprocmask(SIG_BLOCK, &mask, nullptr);
    const int sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);

    const int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (lfd < 0) die("socket");
    const int one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    if (inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) die("inet_pton");
    if (bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0) die("bind");
    if (listen(lfd, SOMAXCONN) < 0) die("listen");
    socklen_t alen = sizeof addr;
    getsockname(lfd, reinterpret_cast<sockaddr*>(&addr), &alen);
    std::printf("Now listening on: http://localhost:%d\n", ntohs(addr.sin_port));
    std::fflush(stdout);

    const int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    itimerspec its{};
    const long long ins = static_cast<long long>(interval_ms * 1e6);
    its.it_interval.tv_sec = static_cast<time_t>(ins / 1000000000LL);
    its.it_interval.tv_nsec = static_cast<long>(ins % 1000000000LL);
    its.it_value = its.it_interval;
    timerfd_settime(tfd, 0, &its, nullptr);

    Server s;
    s.batch_max = static_cast<unsigned long long>(batch_max > 0 ? batch_max : 1);
    s.epfd = epoll_create1(EPOLL_CLOEXEC);
    for (int fd : {lfd, tfd, sfd}) {
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.fd = fd;
        epoll_ctl(s.epfd, EPOLL_CTL_ADD, fd, &ev);
    }

    std::vector<epoll_event> events(1024);
    bool running = true;
    while (running) {
        const int n = epoll_wait(s.epfd, events.data(), static_cast<int>(events.size()), -1);
        if (n < 0) {
            if (errno == EINTR) continue;
            die("epoll_wait");
        }
        for (int i = 0; i < n; ++i) {
            const int fd = events[static_cast<std::size_t>(i)].data.fd;
            const auto what = events[static_cast<std::size_t>(i)].events;
            if (fd == sfd) {
                running = false;
            } else if (fd == tfd) {
                std::uint64_t expirations = 0;
                if (::read(tfd, &expirations, sizeof expirations) == sizeof expirations) {
                    s.ticks += expirations;
                    s.tick(expirations);
                }
            } else if (fd == lfd) {
                for (int k = 0; k < 256; ++k) {
                    const int cfd = accept4(lfd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
                    if (cfd < 0) break;
                    setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    if (s.by_fd.size() <= static_cast<std::size_t>(cfd)) s.by_fd.resize(static_cast<std::size_t>(cfd) * 2 + 1);
                    s.by_fd[static_cast<std::size_t>(cfd)] = std::make_unique<Conn>();
                    s.by_fd[static_cast<std::size_t>(cfd)]->fd = cfd;
                    epoll_event ev{};
                    ev.events = EPOLLIN;
                    ev.data.fd = cfd;
                    epoll_ctl(s.epfd, EPOLL_CTL_ADD, cfd, &ev);
                }
            } else if (static_cast<std::size_t>(fd) < s.by_fd.size() && s.by_fd[static_cast<std::size_t>(fd)]) {
                if (what & (EPOLLIN | EPOLLERR | EPOLLHUP)) s.on_readable(fd);
                if (static_cast<std::size_t>(fd) < s.by_fd.size() && s.by_fd[static_cast<std::size_t>(fd)] &&
                    (what & EPOLLOUT))
                    s.on_writable(fd);
            }
        }
    }
    std::fprintf(stderr,
                 "raw_fanout: connections=%zu ticks=%llu passes=%llu frames_written=%llu frames_dropped=%llu "
                 "blocked_sends=%llu sends=%llu pass_mean_us=%.1f pass_max_us=%.1f\n",
                 s.open_fds.size(), s.ticks, s.passes, s.frames_written, s.frames_dropped, s.blocked_sends,
                 s.sends,
                 s.passes ? s.pass_ns_total / static_cast<double>(s.passes) / 1e3 : 0.0, s.pass_ns_max / 1e3);
    for (std::size_t fd = 0; fd < s.by_fd.size(); ++fd)
        if (s.by_fd[fd]) ::close(static_cast<int>(fd));
    return 0;
}
