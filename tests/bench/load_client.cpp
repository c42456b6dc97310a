// bench_load_client — the one load client of scripts/bench.sh.
//
// Opens N WebSocket connections to ws://HOST:PORT/ (real upgrade requests, the
// Sec-WebSocket-Accept of every answer checked), parses the server's frames
// itself (no WebSocket library: the client must stay cheaper than any server),
// timestamps every received message and prints key=value lines.
//
// Standalone Asio, one io_context per thread (--threads, at most one per core).
//
// Modes
//   handshake  open N connections, report handshakes/s; with --server-pid also
//              the server's VmRSS growth per idle connection after --settle-s.
//   ticks      open N, let --warmup-s pass, then report the lateness of every
//              tick whose due time falls in the next --duration-s (waiting
//              --grace-s more for late ones).
//   stress     open N, let --warmup-s pass, count frames for --duration-s.
//   drift      open N, wait until each connection has --drift-ticks ticks after
//              its first message, report the lateness of that last tick.
//
// Due time (--schedule), see docs/benchmarks.md:
//   per-connection  message k of a connection (k = 0 is the one sent on open)
//                   is due at a_c + k*interval, a_c = min_k(receipt_k - k*interval):
//                   the earliest schedule consistent with what the connection saw.
//   broadcast       message 0 (sent on open) is off-schedule; the others are
//                   global ticks, numbered j = 0,1,2... by clustering all receipts
//                   in time; tick j is due at G + j*interval, G = min(receipt - j*interval)
//                   over every receipt of every connection.
//   Lateness = receipt - due, >= 0 by construction; a server that drifts sees
//   its lateness grow tick after tick.
#include <asio.hpp>

#include "ws_accept.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <limits>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
using tcp = asio::ip::tcp;

const Clock::time_point g_epoch = Clock::now();

std::int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - g_epoch).count();
}

struct Options {
    std::string host = "127.0.0.1";
    unsigned short port = 0;
    std::string path = "/";
    int connections = 1000;
    int threads = 1;
    int concurrency = 64;
    double interval_ms = 1000;
    std::string mode = "ticks";
    std::string schedule = "per-connection";
    double warmup_s = 2;
    double duration_s = 10;
    double grace_s = 1.5;
    int drift_ticks = 300;
    double connect_timeout_s = 60;
    double settle_s = 2;
    int server_pid = 0;
    std::string samples_out;
    std::size_t max_receipts = 20000;  // per connection, a memory bound
};

[[noreturn]] void usage(const char* why) {
    std::cerr << "bench_load_client: " << why << "\n"
              << "usage: bench_load_client --port P [--host H] [--path /] [--connections N]\n"
                 "  [--threads T] [--concurrency C] [--interval-ms I]\n"
                 "  [--mode handshake|ticks|stress|drift] [--schedule per-connection|broadcast]\n"
                 "  [--warmup-s S] [--duration-s S] [--grace-s S] [--drift-ticks K]\n"
                 "  [--connect-timeout-s S] [--settle-s S] [--server-pid PID] [--samples-out FILE]\n";
    std::exit(2);
}

Options parse(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto val = [&]() -> std::string {
            if (i + 1 >= argc) usage(("missing value for " + a).c_str());
            return argv[++i];
        };
        if (a == "--host") o.host = val();
        else if (a == "--port") o.port = static_cast<unsigned short>(std::stoi(val()));
        else if (a == "--path") o.path = val();
        else if (a == "--connections") o.connections = std::stoi(val());
        else if (a == "--threads") o.threads = std::stoi(val());
        else if (a == "--concurrency") o.concurrency = std::stoi(val());
        else if (a == "--interval-ms") o.interval_ms = std::stod(val());
        else if (a == "--mode") o.mode = val();
        else if (a == "--schedule") o.schedule = val();
        else if (a == "--warmup-s") o.warmup_s = std::stod(val());
        else if (a == "--duration-s") o.duration_s = std::stod(val());
        else if (a == "--grace-s") o.grace_s = std::stod(val());
        else if (a == "--drift-ticks") o.drift_ticks = std::stoi(val());
        else if (a == "--connect-timeout-s") o.connect_timeout_s = std::stod(val());
        else if (a == "--settle-s") o.settle_s = std::stod(val());
        else if (a == "--server-pid") o.server_pid = std::stoi(val());
        else if (a == "--samples-out") o.samples_out = val();
        else usage(("unknown option " + a).c_str());
    }
    if (o.port == 0) usage("--port is required");
    if (o.connections < 1 || o.threads < 1 || o.concurrency < 1) usage("counts must be >= 1");
    const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    if (static_cast<unsigned>(o.threads) > cores) o.threads = static_cast<int>(cores);  // one per core at most
    if (o.mode != "handshake" && o.mode != "ticks" && o.mode != "stress" && o.mode != "drift")
        usage("bad --mode");
    if (o.schedule != "per-connection" && o.schedule != "broadcast") usage("bad --schedule");
    if (o.interval_ms <= 0) usage("--interval-ms must be > 0");
    return o;
}

long read_rss_kb(int pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
    return -1;
}

// utime and stime of a process, in seconds (fields 14 and 15 of /proc/PID/stat).
struct ProcCpu {
    double user = 0, sys = 0;
};
ProcCpu read_proc_cpu(int pid) {
    ProcCpu cpu;
    if (pid == 0) return cpu;
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto close = s.rfind(')');
    if (close == std::string::npos) return cpu;
    std::istringstream rest(s.substr(close + 2));
    std::string field;
    const double hz = static_cast<double>(sysconf(_SC_CLK_TCK));
    for (int i = 3; i <= 15 && rest >> field; ++i) {  // field 3 is the state
        if (i == 14) cpu.user = static_cast<double>(std::stoull(field)) / hz;
        if (i == 15) cpu.sys = static_cast<double>(std::stoull(field)) / hz;
    }
    return cpu;
}

// The whole machine's CPU time by kind, in clock ticks (first line of /proc/stat):
// user+nice, system, irq+softirq, idle+iowait.
struct MachineCpu {
    double user = 0, sys = 0, softirq = 0, idle = 0;
};
MachineCpu read_machine_cpu() {
    std::ifstream in("/proc/stat");
    std::string cpu;
    double v[8] = {};
    in >> cpu;
    for (double& x : v) in >> x;
    return {v[0] + v[1], v[2], v[5] + v[6], v[3] + v[4]};
}

// utime + stime of a process, in seconds.
double read_proc_cpu_s(int pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto close = s.rfind(')');
    if (close == std::string::npos) return -1;
    std::istringstream rest(s.substr(close + 2));
    std::string field;
    unsigned long long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && rest >> field; ++i) {  // field 3 is the state
        if (i == 14) utime = std::stoull(field);
        if (i == 15) stime = std::stoull(field);
    }
    return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double self_cpu_s() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

// ---------------------------------------------------------------------------
// Shared counters (written by io threads, read by main).
struct Shared {
    std::atomic<int> started{0};          // connection attempts begun
    std::atomic<int> done{0};             // attempts finished (open or failed)
    std::atomic<int> ok{0};               // handshakes completed
    std::atomic<int> failed{0};
    std::atomic<int> closed_by_peer{0};   // open connections the server closed
    std::atomic<int> reached_target{0};   // drift: connections that have their last tick
    std::atomic<std::int64_t> last_open_ns{0};
    std::atomic<long> bad_payload{0};
};

void atomic_max(std::atomic<std::int64_t>& a, std::int64_t v) {
    std::int64_t cur = a.load(std::memory_order_relaxed);
    while (v > cur && !a.compare_exchange_weak(cur, v, std::memory_order_relaxed)) {
    }
}

struct Worker;

struct Conn {
    enum class State { Connecting, Handshaking, Open, Closed, Failed };
    Conn(asio::io_context& ctx, Worker& w) : socket(ctx), worker(w) {}
    tcp::socket socket;
    Worker& worker;
    State state = State::Connecting;
    std::string key, expected_accept, request;
    std::vector<char> buf = std::vector<char>(4096);
    std::size_t used = 0;
    std::vector<std::int64_t> receipts;  // one per message (ticks/drift modes)
    long messages = 0;
    std::string pong;  // pending pong frames
    bool writing = false;
};

struct Worker {
    Worker(const Options& o, Shared& s, int id, int quota_, int concurrency_)
        : opt(o), shared(s), index(id), quota(quota_), concurrency(concurrency_) {}
    const Options& opt;
    Shared& shared;
    int index;
    int quota;        // connections this worker opens
    int concurrency;  // in-flight handshakes at most
    int launched = 0;
    asio::io_context ctx{1};
    tcp::endpoint endpoint;
    std::vector<std::unique_ptr<Conn>> conns;
    std::atomic<long> frames{0};  // messages received, all connections
    std::atomic<long> reads{0};   // completed reads that carried frame bytes
    bool record = false;

    void start() {
        for (int i = 0; i < concurrency && launched < quota; ++i) launch();
    }

    void launch() {
        const int n = launched++;
        conns.push_back(std::make_unique<Conn>(ctx, *this));
        Conn* c = conns.back().get();
        std::mt19937 rng(static_cast<unsigned>(index * 1000003 + n));
        std::uint8_t raw[16];
        for (auto& b : raw) b = static_cast<std::uint8_t>(rng());
        c->key = bench::base64(raw, sizeof raw);
        c->expected_accept = bench::websocket_accept(c->key);
        c->request = "GET " + opt.path + " HTTP/1.1\r\nHost: " + opt.host + ":" + std::to_string(opt.port) +
                     "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + c->key +
                     "\r\nSec-WebSocket-Version: 13\r\n\r\n";
        if (record) c->receipts.reserve(64);
        shared.started.fetch_add(1, std::memory_order_relaxed);
        c->socket.async_connect(endpoint, [this, c](const asio::error_code& ec) {
            if (ec) return fail(c);
            asio::error_code ignored;
            c->socket.set_option(tcp::no_delay(true), ignored);
            c->state = Conn::State::Handshaking;
            asio::async_write(c->socket, asio::buffer(c->request), [this, c](const asio::error_code& wec, std::size_t) {
                if (wec) return fail(c);
                read(c);
            });
        });
    }

    void finished_attempt() {
        shared.done.fetch_add(1, std::memory_order_relaxed);
        if (launched < quota) launch();
    }

    void fail(Conn* c) {
        if (c->state == Conn::State::Connecting || c->state == Conn::State::Handshaking) {
            c->state = Conn::State::Failed;
            shared.failed.fetch_add(1, std::memory_order_relaxed);
            asio::error_code ignored;
            c->socket.close(ignored);
            finished_attempt();
        } else if (c->state == Conn::State::Open) {
            c->state = Conn::State::Closed;
            shared.closed_by_peer.fetch_add(1, std::memory_order_relaxed);
            asio::error_code ignored;
            c->socket.close(ignored);
        }
    }

    void read(Conn* c) {
        if (c->used == c->buf.size()) c->buf.resize(c->buf.size() * 2);
        c->socket.async_read_some(asio::buffer(c->buf.data() + c->used, c->buf.size() - c->used),
                                  [this, c](const asio::error_code& ec, std::size_t n) {
                                      if (ec) return fail(c);
                                      on_data(c, n, now_ns());
                                  });
    }

    static bool header_has(const std::string& header, const char* name, const std::string& value) {
        std::string lower(header);
        for (auto& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        const auto pos = lower.find(name);
        if (pos == std::string::npos) return false;
        auto start = pos + std::strlen(name);
        while (start < header.size() && (header[start] == ' ' || header[start] == '\t')) ++start;
        auto end = header.find("\r\n", start);
        if (end == std::string::npos) end = header.size();
        while (end > start && (header[end - 1] == ' ' || header[end - 1] == '\t')) --end;
        return header.compare(start, end - start, value) == 0;
    }

    void on_data(Conn* c, std::size_t n, std::int64_t t) {
        c->used += n;
        std::size_t pos = 0;
        if (c->state == Conn::State::Handshaking) {
            const std::string_view view(c->buf.data(), c->used);
            const auto end = view.find("\r\n\r\n");
            if (end == std::string_view::npos) {
                if (c->used > 16384) return fail(c);
                return read(c);
            }
            const std::string header(view.substr(0, end + 2));
            if (header.rfind("HTTP/1.1 101", 0) != 0 ||
                !header_has(header, "\r\nsec-websocket-accept:", c->expected_accept))
                return fail(c);
            c->state = Conn::State::Open;
            shared.ok.fetch_add(1, std::memory_order_relaxed);
            atomic_max(shared.last_open_ns, t);
            finished_attempt();
            pos = end + 4;
        }
        long got = 0;
        while (c->used - pos >= 2) {
            const auto* p = reinterpret_cast<const unsigned char*>(c->buf.data() + pos);
            const bool fin = (p[0] & 0x80) != 0;
            const int opcode = p[0] & 0x0F;
            if (p[1] & 0x80) return fail(c);  // servers never mask
            std::uint64_t len = p[1] & 0x7F;
            std::size_t hdr = 2;
            if (len == 126) {
                if (c->used - pos < 4) break;
                len = (std::uint64_t{p[2]} << 8) | p[3];
                hdr = 4;
            } else if (len == 127) {
                if (c->used - pos < 10) break;
                len = 0;
                for (int i = 0; i < 8; ++i) len = (len << 8) | p[2 + i];
                hdr = 10;
            }
            if (len > (1u << 24)) return fail(c);
            if (c->used - pos < hdr + len) {
                if (hdr + len > c->buf.size()) c->buf.resize(hdr + len);
                break;
            }
            const char* payload = c->buf.data() + pos + hdr;
            if (opcode == 0x9) {  // ping -> pong, masked with a zero key
                c->pong.push_back(static_cast<char>(0x8A));
                c->pong.push_back(static_cast<char>(0x80 | static_cast<int>(len)));
                c->pong.append(4, '\0');
                c->pong.append(payload, static_cast<std::size_t>(len));
                flush(c);
            } else if (opcode == 0x8) {
                pos += hdr + static_cast<std::size_t>(len);
                return fail(c);
            } else if (opcode <= 0x2 && fin) {
                if (opcode == 0x1 && (len < 13 || std::memcmp(payload, "C++ Rocks -> ", 13) != 0))
                    shared.bad_payload.fetch_add(1, std::memory_order_relaxed);
                ++got;
                ++c->messages;
                if (record && c->receipts.size() < opt.max_receipts) c->receipts.push_back(t);
                if (opt.mode == "drift" && c->messages == opt.drift_ticks + 1)
                    shared.reached_target.fetch_add(1, std::memory_order_relaxed);
            }
            pos += hdr + static_cast<std::size_t>(len);
        }
        if (got) {
            frames.fetch_add(got, std::memory_order_relaxed);
            reads.fetch_add(1, std::memory_order_relaxed);
        }
        if (pos > 0) {
            std::memmove(c->buf.data(), c->buf.data() + pos, c->used - pos);
            c->used -= pos;
        }
        read(c);
    }

    void flush(Conn* c) {
        if (c->writing || c->pong.empty() || c->state != Conn::State::Open) return;
        c->writing = true;
        auto data = std::make_shared<std::string>(std::move(c->pong));
        c->pong.clear();
        asio::async_write(c->socket, asio::buffer(*data), [this, c, data](const asio::error_code& ec, std::size_t) {
            c->writing = false;
            if (ec) return fail(c);
            flush(c);
        });
    }

    // Abort every socket (RST, no TIME_WAIT left behind) and stop.
    void close_all() {
        for (auto& c : conns) {
            asio::error_code ignored;
            if (c->socket.is_open()) {
                c->socket.set_option(asio::socket_base::linger(true, 0), ignored);
                c->socket.close(ignored);
            }
        }
        ctx.stop();
    }
};

struct Stats {
    std::size_t count = 0;
    double p50 = 0, p90 = 0, p99 = 0, p999 = 0, max = 0, mean = 0;
};

Stats stats_ms(std::vector<double>& v) {
    Stats s;
    s.count = v.size();
    if (v.empty()) return s;
    std::sort(v.begin(), v.end());
    auto q = [&](double p) { return v[static_cast<std::size_t>(std::floor(p * static_cast<double>(v.size() - 1)))]; };
    s.p50 = q(0.50);
    s.p90 = q(0.90);
    s.p99 = q(0.99);
    s.p999 = q(0.999);
    s.max = v.back();
    double sum = 0;
    for (double x : v) sum += x;
    s.mean = sum / static_cast<double>(v.size());
    return s;
}

// Assigns to every receipt its schedule index and the connection's (or the
// global) anchor; see the header comment.
struct Schedule {
    // per connection: for each receipt, its index; anchor per connection
    std::vector<std::vector<long>> index;
    std::vector<double> anchor_ns;
    long ambiguous = 0;  // broadcast: clusters holding two receipts of one connection
    long clusters = 0;
};

Schedule build_schedule(const std::vector<const Conn*>& conns, const Options& o) {
    const double I = o.interval_ms * 1e6;
    Schedule s;
    s.index.resize(conns.size());
    s.anchor_ns.assign(conns.size(), 0);
    if (o.schedule == "per-connection") {
        for (std::size_t c = 0; c < conns.size(); ++c) {
            const auto& r = conns[c]->receipts;
            auto& idx = s.index[c];
            double a = std::numeric_limits<double>::infinity();
            for (std::size_t k = 0; k < r.size(); ++k) {
                idx.push_back(static_cast<long>(k));
                a = std::min(a, static_cast<double>(r[k]) - static_cast<double>(k) * I);
            }
            s.anchor_ns[c] = a;
        }
        return s;
    }
    // broadcast: cluster every receipt k >= 1 of every connection by time gaps.
    struct Ev {
        std::int64_t t;
        std::uint32_t conn;
        std::uint32_t k;
    };
    std::vector<Ev> ev;
    for (std::size_t c = 0; c < conns.size(); ++c) {
        const auto& r = conns[c]->receipts;
        s.index[c].assign(r.size(), -1);
        for (std::size_t k = 1; k < r.size(); ++k)
            ev.push_back({r[k], static_cast<std::uint32_t>(c), static_cast<std::uint32_t>(k)});
    }
    std::sort(ev.begin(), ev.end(), [](const Ev& a, const Ev& b) { return a.t < b.t; });
    const double gap = I / 3;
    long j = -1;
    std::int64_t prev = 0;
    std::vector<long> last_cluster_of(conns.size(), -1);
    double G = std::numeric_limits<double>::infinity();
    for (const auto& e : ev) {
        if (j < 0 || static_cast<double>(e.t - prev) > gap) ++j;
        prev = e.t;
        if (last_cluster_of[e.conn] == j) ++s.ambiguous;
        last_cluster_of[e.conn] = j;
        s.index[e.conn][e.k] = j;
        G = std::min(G, static_cast<double>(e.t) - static_cast<double>(j) * I);
    }
    s.clusters = j + 1;
    std::fill(s.anchor_ns.begin(), s.anchor_ns.end(), G);
    return s;
}

void write_samples(const std::string& file, const std::vector<double>& sorted) {
    if (file.empty()) return;
    std::ofstream out(file);
    out << "# percentile lateness_ms (" << sorted.size() << " samples)\n";
    if (sorted.empty()) return;
    for (int i = 0; i <= 1000; ++i) {
        const double p = i / 1000.0;
        const auto at = static_cast<std::size_t>(std::floor(p * static_cast<double>(sorted.size() - 1)));
        out << p * 100 << ' ' << sorted[at] << '\n';
    }
}

void sleep_until_ns(std::int64_t t) {
    const auto now = now_ns();
    if (t > now) std::this_thread::sleep_for(std::chrono::nanoseconds(t - now));
}

}  // namespace

int main(int argc, char** argv) {
    const Options o = parse(argc, argv);
    std::cout.setf(std::ios::fixed);
    std::cout.precision(3);

    tcp::endpoint endpoint;
    try {
        endpoint = tcp::endpoint(asio::ip::make_address(o.host), o.port);
    } catch (const std::exception& e) {
        usage(e.what());
    }

    Shared shared;
    std::vector<std::unique_ptr<Worker>> workers;
    for (int i = 0; i < o.threads; ++i) {
        const int quota = o.connections / o.threads + (i < o.connections % o.threads ? 1 : 0);
        const int conc = std::max(1, o.concurrency / o.threads);
        workers.push_back(std::make_unique<Worker>(o, shared, i, quota, conc));
        workers.back()->endpoint = endpoint;
        workers.back()->record = (o.mode == "ticks" || o.mode == "drift");
        workers.back()->conns.reserve(static_cast<std::size_t>(quota));
    }

    const long rss_before = o.server_pid ? read_rss_kb(o.server_pid) : -1;

    // --- connect phase -------------------------------------------------------
    const double cpu_start = self_cpu_s();
    const double server_cpu_start = o.server_pid ? read_proc_cpu_s(o.server_pid) : 0;
    const ProcCpu server_connect0 = read_proc_cpu(o.server_pid);
    const std::int64_t t_start = now_ns();
    std::vector<std::thread> threads;
    std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
    for (auto& w : workers) {
        guards.push_back(asio::make_work_guard(w->ctx));
        asio::post(w->ctx, [wp = w.get()] { wp->start(); });
    }
    for (auto& w : workers) threads.emplace_back([wp = w.get()] { wp->ctx.run(); });

    const std::int64_t connect_deadline = t_start + static_cast<std::int64_t>(o.connect_timeout_s * 1e9);
    while (shared.done.load() < o.connections && now_ns() < connect_deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    const std::int64_t t_ready = now_ns();
    const int ok = shared.ok.load();
    const std::int64_t t_last_open = shared.last_open_ns.load();
    const double connect_s = static_cast<double>((ok ? t_last_open : t_ready) - t_start) / 1e9;
    // CPU over the connect phase (100 = one core): is either side saturated while handshaking?
    const double connect_wall_s = static_cast<double>(t_ready - t_start) / 1e9;
    const double connect_cpu_pct = 100.0 * (self_cpu_s() - cpu_start) / connect_wall_s;
    const double server_connect_cpu_pct =
        o.server_pid ? 100.0 * (read_proc_cpu_s(o.server_pid) - server_cpu_start) / connect_wall_s : 0.0;

    std::cout << "mode=" << o.mode << "\n"
              << "schedule=" << o.schedule << "\n"
              << "interval_ms=" << o.interval_ms << "\n"
              << "connections_requested=" << o.connections << "\n"
              << "connections_ok=" << ok << "\n"
              << "connections_failed=" << shared.failed.load() << "\n"
              << "connections_timed_out=" << (o.connections - shared.done.load()) << "\n"
              << "connect_seconds=" << connect_s << "\n"
              << "handshakes_per_sec=" << (connect_s > 0 ? ok / connect_s : 0.0) << "\n"
              << "threads=" << o.threads << "\n"
              << "concurrency=" << o.concurrency << "\n"
              << "connect_client_cpu_pct=" << connect_cpu_pct << "\n";
    if (o.server_pid) {
        // CPU seconds, for figures per handshake (user = the server's code,
        // sys = the kernel working on its behalf: system calls, TCP)
        const ProcCpu server_connect1 = read_proc_cpu(o.server_pid);
        std::cout << "connect_server_cpu_pct=" << server_connect_cpu_pct << "\n"
                  << "connect_server_user_s=" << server_connect1.user - server_connect0.user
                  << "\n"
                  << "connect_server_sys_s=" << server_connect1.sys - server_connect0.sys << "\n";
    }

    // --- measurement phase ---------------------------------------------------
    const double I_ns = o.interval_ms * 1e6;
    std::int64_t w0 = 0, w1 = 0;
    if (o.mode == "handshake") {
        if (o.server_pid) {
            sleep_until_ns(t_ready + static_cast<std::int64_t>(o.settle_s * 1e9));
            const long rss_after = read_rss_kb(o.server_pid);
            const int held = ok - shared.closed_by_peer.load();
            std::cout << "server_rss_before_kb=" << rss_before << "\n"
                      << "server_rss_after_kb=" << rss_after << "\n"
                      << "rss_per_conn_kb="
                      << (held > 0 ? static_cast<double>(rss_after - rss_before) / held : 0.0) << "\n";
        }
    } else if (o.mode == "stress") {
        w0 = t_ready + static_cast<std::int64_t>(o.warmup_s * 1e9);
        w1 = w0 + static_cast<std::int64_t>(o.duration_s * 1e9);
        sleep_until_ns(w0);
        long f0 = 0, r0 = 0;
        for (auto& w : workers) {
            f0 += w->frames.load();
            r0 += w->reads.load();
        }
        const double cpu0 = self_cpu_s();
        const double scpu0 = o.server_pid ? read_proc_cpu_s(o.server_pid) : 0;
        const ProcCpu split0 = read_proc_cpu(o.server_pid);
        const MachineCpu m0 = read_machine_cpu();
        const std::int64_t tw0 = now_ns();
        sleep_until_ns(w1);
        long f1 = 0, r1 = 0;
        for (auto& w : workers) {
            f1 += w->frames.load();
            r1 += w->reads.load();
        }
        const double cpu1 = self_cpu_s();
        const double scpu1 = o.server_pid ? read_proc_cpu_s(o.server_pid) : 0;
        const ProcCpu split1 = read_proc_cpu(o.server_pid);
        const MachineCpu m1 = read_machine_cpu();
        const double secs = static_cast<double>(now_ns() - tw0) / 1e9;
        std::cout << "frames=" << (f1 - f0) << "\n"
                  << "frames_per_sec=" << static_cast<double>(f1 - f0) / secs << "\n"
                  << "frames_per_read=" << (r1 > r0 ? static_cast<double>(f1 - f0) / static_cast<double>(r1 - r0) : 0.0)
                  << "\n"
                  << "client_cpu_pct=" << 100.0 * (cpu1 - cpu0) / secs << "\n";
        if (o.server_pid)
            std::cout << "server_cpu_pct=" << 100.0 * (scpu1 - scpu0) / secs << "\n"
                      << "server_user_s=" << split1.user - split0.user << "\n"
                      << "server_sys_s=" << split1.sys - split0.sys << "\n";
        // The machine's time by kind over the window: how much went to the kernel
        // (system calls, and the softirq work of loopback TCP that no task is billed for).
        const double total = (m1.user - m0.user) + (m1.sys - m0.sys) + (m1.softirq - m0.softirq) +
                             (m1.idle - m0.idle);
        if (total > 0)
            std::cout << "window_seconds=" << secs << "\n"
                      << "machine_user_pct=" << 100.0 * (m1.user - m0.user) / total << "\n"
                      << "machine_sys_pct=" << 100.0 * (m1.sys - m0.sys) / total << "\n"
                      << "machine_softirq_pct=" << 100.0 * (m1.softirq - m0.softirq) / total
                      << "\n"
                      << "machine_idle_pct=" << 100.0 * (m1.idle - m0.idle) / total << "\n";
    } else if (o.mode == "ticks") {
        w0 = t_ready + static_cast<std::int64_t>(o.warmup_s * 1e9);
        w1 = w0 + static_cast<std::int64_t>(o.duration_s * 1e9);
        // The server's CPU over the window: N idle clients getting one tick per interval.
        sleep_until_ns(w0);
        const ProcCpu idle0 = read_proc_cpu(o.server_pid);
        sleep_until_ns(w1);
        const ProcCpu idle1 = read_proc_cpu(o.server_pid);
        if (o.server_pid)
            std::cout << "window_seconds=" << static_cast<double>(w1 - w0) / 1e9 << "\n"
                      << "window_server_user_s=" << idle1.user - idle0.user << "\n"
                      << "window_server_sys_s=" << idle1.sys - idle0.sys << "\n";
        sleep_until_ns(w1 + static_cast<std::int64_t>(o.grace_s * 1e9));
    } else {  // drift
        const double budget_s = o.drift_ticks * o.interval_ms / 1000.0 * 1.5 + 10;
        const std::int64_t deadline = t_ready + static_cast<std::int64_t>(budget_s * 1e9);
        while (shared.reached_target.load() < ok - shared.closed_by_peer.load() && now_ns() < deadline)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }

    // --- stop ---------------------------------------------------------------
    const int closed = shared.closed_by_peer.load();
    for (auto& w : workers) asio::post(w->ctx, [wp = w.get()] { wp->close_all(); });
    for (auto& t : threads) t.join();
    guards.clear();

    long frames_total = 0;
    for (auto& w : workers) frames_total += w->frames.load();
    std::cout << "frames_total=" << frames_total << "\n"
              << "clients_held=" << (ok - closed) << "\n"
              << "closed_by_server=" << closed << "\n"
              << "bad_payload=" << shared.bad_payload.load() << "\n";

    if (o.mode == "ticks" || o.mode == "drift") {
        std::vector<const Conn*> conns;
        for (auto& w : workers)
            for (auto& c : w->conns)
                if (!c->receipts.empty()) conns.push_back(c.get());
        const Schedule s = build_schedule(conns, o);
        std::vector<double> late;
        long missing = 0;
        std::vector<double> last_late;  // drift: lateness of each connection's last tick
        for (std::size_t c = 0; c < conns.size(); ++c) {
            const auto& r = conns[c]->receipts;
            const auto& idx = s.index[c];
            const double a = s.anchor_ns[c];
            if (o.mode == "ticks") {
                // Ticks due in [w0, w1]: index range [ceil((w0-a)/I), floor((w1-a)/I)].
                long lo = static_cast<long>(std::ceil((static_cast<double>(w0) - a) / I_ns));
                const long hi = static_cast<long>(std::floor((static_cast<double>(w1) - a) / I_ns));
                if (o.schedule == "per-connection") lo = std::max(lo, 1L);
                long seen = 0;
                for (std::size_t k = 0; k < r.size(); ++k) {
                    if (idx[k] < lo || idx[k] > hi || (o.schedule == "per-connection" && k == 0)) continue;
                    late.push_back((static_cast<double>(r[k]) - (a + static_cast<double>(idx[k]) * I_ns)) / 1e6);
                    ++seen;
                }
                // Connections the server closed are counted in closed_by_server, not here.
                if (conns[c]->state == Conn::State::Open) missing += std::max(0L, hi - lo + 1 - seen);
            } else if (r.size() > static_cast<std::size_t>(o.drift_ticks)) {
                const std::size_t k = static_cast<std::size_t>(o.drift_ticks);
                last_late.push_back((static_cast<double>(r[k]) - (a + static_cast<double>(idx[k]) * I_ns)) / 1e6);
                // every tick of the run, for the distribution and the jitter reference
                for (std::size_t i = 1; i <= k; ++i)
                    late.push_back((static_cast<double>(r[i]) - (a + static_cast<double>(idx[i]) * I_ns)) / 1e6);
            }
        }
        if (o.schedule == "broadcast")
            std::cout << "broadcast_clusters=" << s.clusters << "\n"
                      << "ambiguous_ticks=" << s.ambiguous << "\n";
        Stats st = stats_ms(late);
        write_samples(o.samples_out, late);
        std::cout.precision(4);
        std::cout << "lateness_samples=" << st.count << "\n"
                  << "lateness_p50_ms=" << st.p50 << "\n"
                  << "lateness_p90_ms=" << st.p90 << "\n"
                  << "lateness_p99_ms=" << st.p99 << "\n"
                  << "lateness_p999_ms=" << st.p999 << "\n"
                  << "lateness_max_ms=" << st.max << "\n"
                  << "lateness_mean_ms=" << st.mean << "\n";
        if (o.mode == "ticks") std::cout << "missing_ticks=" << missing << "\n";
        if (o.mode == "drift") {
            const std::size_t reached = last_late.size();
            Stats d = stats_ms(last_late);
            std::cout << "drift_ticks=" << o.drift_ticks << "\n"
                      << "drift_connections=" << reached << "\n"
                      << "drift_last_tick_p50_ms=" << d.p50 << "\n"
                      << "drift_last_tick_max_ms=" << d.max << "\n";
        }
    }
    return 0;
}
