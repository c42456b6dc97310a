// bench_scale_client — the load client of scripts/bench.sh --scale (tests/bench/bench_scale.py).
//
// Opens N WebSocket connections spread over one or more step 21 servers
// (connection i to ws://HOST:ports[i mod P]/), offering the subprotocol ticks.v1,
// so that every message is "<stream-id> <text>". The benchmark publishes itself,
// with text "<seq> <published-ns>": seq counts 0, 1, 2... and published-ns is
// CLOCK_MONOTONIC read just before the XADD, on this machine. So
// latency = receipt (CLOCK_MONOTONIC) - published-ns, publish -> Redis -> server ->
// client, with no clock to synchronise.
//
// Each connection checks that the seqs arrive as 0, 1, 2... each once: a seq below
// the next expected one is a duplicate, a jump is a loss.
//
// --reconnect: a connection that is lost (its server killed) reconnects at once to
// the next port of the list, with ?since=<last stream ID it got>, as step21_client
// --reconnect does; the server replays what it missed from the stream, then live.
// Back off 200 ms only once a whole round of ports failed.
//
// Like bench_load_client, it parses frames itself (no WebSocket library) and uses
// standalone Asio, one io_context per thread (--threads).
//
// Protocol with the orchestrator:
//   stdout  "ready connections_ok=N connections_failed=F connect_seconds=S" once every
//           connection is open (or failed, or --connect-timeout-s passed)
//   stdin   "end P [KILL_NS]": P messages were published (seq 0..P-1); KILL_NS is when a
//           server was killed (CLOCK_MONOTONIC ns), for the recovery figures. The client
//           waits up to --grace-s for every connection to have all P, then prints
//           key=value lines and exits 0.
#include <asio.hpp>

#include "ws_accept.hpp"

#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <iostream>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

using tcp = asio::ip::tcp;

// The publisher's clock (Python's time.monotonic_ns() is this one too).
std::int64_t mono_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return std::int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

struct Options {
    std::string host = "127.0.0.1";
    std::vector<unsigned short> ports;
    int connections = 1000;  // in all
    int threads = 1;
    int concurrency = 64;    // first handshakes in flight (reconnects are not held back)
    bool reconnect = false;
    double connect_timeout_s = 120;
    double grace_s = 5;
    double timeout_s = 600;  // the whole run: a watchdog ends a stuck client
    std::size_t expect = 0;  // messages per connection, to reserve memory up front
};

[[noreturn]] void usage(const std::string& why) {
    std::cerr << "bench_scale_client: " << why << "\n"
              << "usage: bench_scale_client --ports P1[,P2...] [--host H] [--connections N]\n"
                 "  [--threads T] [--concurrency C] [--reconnect] [--connect-timeout-s S]\n"
                 "  [--grace-s S] [--timeout-s S] [--expect MESSAGES]\n";
    std::exit(2);
}

Options parse(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto val = [&]() -> std::string {
            if (i + 1 >= argc) usage("missing value for " + a);
            return argv[++i];
        };
        try {
            if (a == "--host") o.host = val();
            else if (a == "--ports") {
                std::istringstream in(val());
                for (std::string p; std::getline(in, p, ',');)
                    o.ports.push_back(static_cast<unsigned short>(std::stoi(p)));
            } else if (a == "--connections") o.connections = std::stoi(val());
            else if (a == "--threads") o.threads = std::stoi(val());
            else if (a == "--concurrency") o.concurrency = std::stoi(val());
            else if (a == "--reconnect") o.reconnect = true;
            else if (a == "--connect-timeout-s") o.connect_timeout_s = std::stod(val());
            else if (a == "--grace-s") o.grace_s = std::stod(val());
            else if (a == "--timeout-s") o.timeout_s = std::stod(val());
            else if (a == "--expect") o.expect = std::stoul(val());
            else usage("unknown option " + a);
        } catch (const std::logic_error&) {
            usage("bad value for " + a);
        }
    }
    if (o.ports.empty()) usage("--ports is required");
    if (o.connections < 1 || o.threads < 1 || o.concurrency < 1) usage("counts must be >= 1");
    return o;
}

struct Shared {
    std::atomic<int> done{0};    // first attempts finished (open or failed)
    std::atomic<int> ok{0};      // first handshakes completed
    std::atomic<int> failed{0};  // first attempts that failed
    std::atomic<int> drops{0};   // open connections lost
    std::atomic<int> reopened{0};
    std::atomic<int> reconnect_failures{0};
    std::atomic<std::int64_t> last_open_ns{0};
};

struct Sample {
    std::int64_t published, received;
};

struct Conn {
    enum class State { Connecting, Handshaking, Open, Down, Failed };
    explicit Conn(asio::io_context& ctx) : socket(ctx), backoff(ctx) {}
    tcp::socket socket;
    asio::steady_timer backoff;
    State state = State::Connecting;
    unsigned generation = 0;  // one per attempt: a handler of an older socket sees another
    std::size_t port = 0;     // index into Options::ports
    std::size_t failed_in_round = 0;
    bool ever_open = false;
    std::string key, expected_accept, request;
    std::vector<char> buf = std::vector<char>(4096);
    std::size_t used = 0;
    std::string pong;  // pong frames waiting for the write in flight
    bool writing = false;
    // What it received
    std::string last_id;
    std::atomic<std::int64_t> next_seq{0};  // read by main while it waits for the end
    long duplicates = 0, skipped = 0, gaps = 0, bad = 0;
    std::vector<Sample> samples;
    // Losses
    int drops = 0;
    // the first drop; the first TCP connection and the first open after it
    std::int64_t dropped_at = 0, reconnected_at = 0, reopened_at = 0;
};

struct Worker {
    Worker(const Options& o, Shared& s, int concurrency_)
        : opt(o), shared(s), concurrency(concurrency_) {}
    const Options& opt;
    Shared& shared;
    int concurrency;
    asio::io_context ctx{1};
    std::vector<tcp::endpoint> endpoints;
    std::vector<std::unique_ptr<Conn>> conns;
    std::size_t next_first = 0;  // the next connection to open for the first time
    int in_flight = 0;
    bool stopping = false;
    std::mt19937 rng{std::random_device{}()};

    void start() {
        while (in_flight < concurrency && next_first < conns.size()) {
            ++in_flight;
            attempt(conns[next_first++].get());
        }
    }

    void attempt(Conn* c) {
        if (stopping) return;
        const unsigned gen = ++c->generation;
        asio::error_code ignored;
        c->socket.close(ignored);
        c->socket = tcp::socket(ctx);
        c->state = Conn::State::Connecting;
        c->used = 0;
        c->pong.clear();
        c->writing = false;
        std::uint8_t raw[16];
        for (auto& b : raw) b = static_cast<std::uint8_t>(rng());
        c->key = bench::base64(raw, sizeof raw);
        c->expected_accept = bench::websocket_accept(c->key);
        const std::string target = c->last_id.empty() ? "/" : "/?since=" + c->last_id;
        c->request = "GET " + target + " HTTP/1.1\r\nHost: " + opt.host + ":" +
                     std::to_string(opt.ports[c->port]) +
                     "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " +
                     c->key +
                     "\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: ticks.v1\r\n\r\n";
        c->socket.async_connect(endpoints[c->port], [this, c, gen](const asio::error_code& ec) {
            if (gen != c->generation) return;
            if (ec) return attempt_failed(c);
            asio::error_code nodelay_ec;
            c->socket.set_option(tcp::no_delay(true), nodelay_ec);
            if (c->ever_open && c->reconnected_at == 0) c->reconnected_at = mono_ns();
            c->state = Conn::State::Handshaking;
            asio::async_write(c->socket, asio::buffer(c->request),
                              [this, c, gen](const asio::error_code& wec, std::size_t) {
                                  if (gen != c->generation) return;
                                  if (wec) return attempt_failed(c);
                                  read(c, gen);
                              });
        });
    }

    void first_attempt_done() {
        shared.done.fetch_add(1, std::memory_order_relaxed);
        --in_flight;
        start();
    }

    void attempt_failed(Conn* c) {
        asio::error_code ignored;
        c->socket.close(ignored);
        if (!c->ever_open) {  // the first connect is not retried: it is counted as failed
            c->state = Conn::State::Failed;
            shared.failed.fetch_add(1, std::memory_order_relaxed);
            return first_attempt_done();
        }
        c->state = Conn::State::Down;
        shared.reconnect_failures.fetch_add(1, std::memory_order_relaxed);
        c->port = (c->port + 1) % opt.ports.size();
        if (++c->failed_in_round < opt.ports.size()) return attempt(c);
        c->failed_in_round = 0;  // a whole round failed: wait before the next one
        c->backoff.expires_after(std::chrono::milliseconds(200));
        c->backoff.async_wait([this, c](const asio::error_code& ec) {
            if (!ec) attempt(c);
        });
    }

    // An error on the socket, or a Close from the server.
    void lost(Conn* c) {
        if (c->state == Conn::State::Connecting || c->state == Conn::State::Handshaking)
            return attempt_failed(c);
        if (c->state != Conn::State::Open) return;
        asio::error_code ignored;
        c->socket.close(ignored);
        c->state = Conn::State::Down;
        ++c->drops;
        if (c->dropped_at == 0) c->dropped_at = mono_ns();
        shared.drops.fetch_add(1, std::memory_order_relaxed);
        if (!opt.reconnect || stopping) return;
        c->port = (c->port + 1) % opt.ports.size();
        c->failed_in_round = 0;
        attempt(c);
    }

    void read(Conn* c, unsigned gen) {
        if (c->used == c->buf.size()) c->buf.resize(c->buf.size() * 2);
        c->socket.async_read_some(
            asio::buffer(c->buf.data() + c->used, c->buf.size() - c->used),
            [this, c, gen](const asio::error_code& ec, std::size_t n) {
                if (gen != c->generation) return;
                if (ec) return lost(c);
                on_data(c, gen, n, mono_ns());
            });
    }

    static std::string header_value(const std::string& header, const char* name) {
        std::string lower(header);
        for (auto& ch : lower)
            ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        const auto pos = lower.find(name);
        if (pos == std::string::npos) return "";
        auto start = pos + std::strlen(name);
        while (start < header.size() && (header[start] == ' ' || header[start] == '\t')) ++start;
        auto end = header.find("\r\n", start);
        if (end == std::string::npos) end = header.size();
        while (end > start && (header[end - 1] == ' ' || header[end - 1] == '\t')) --end;
        return header.substr(start, end - start);
    }

    void opened(Conn* c, std::int64_t t) {
        c->state = Conn::State::Open;
        c->failed_in_round = 0;
        if (!c->ever_open) {
            c->ever_open = true;
            shared.ok.fetch_add(1, std::memory_order_relaxed);
            std::int64_t cur = shared.last_open_ns.load(std::memory_order_relaxed);
            while (t > cur && !shared.last_open_ns.compare_exchange_weak(cur, t)) {
            }
            first_attempt_done();
        } else {
            shared.reopened.fetch_add(1, std::memory_order_relaxed);
            if (c->reopened_at == 0) c->reopened_at = t;
        }
    }

    // "<stream-id> <seq> <published-ns>", or the server's "gap <since> <first>".
    void on_message(Conn* c, std::string_view m, std::int64_t t) {
        if (m.rfind("gap ", 0) == 0) {
            ++c->gaps;
            return;
        }
        const auto sp1 = m.find(' ');
        const auto sp2 = sp1 == std::string_view::npos ? sp1 : m.find(' ', sp1 + 1);
        std::int64_t seq = -1, published = 0;
        if (sp2 == std::string_view::npos ||
            std::from_chars(m.data() + sp1 + 1, m.data() + sp2, seq).ec != std::errc() ||
            std::from_chars(m.data() + sp2 + 1, m.data() + m.size(), published).ec !=
                std::errc()) {
            ++c->bad;
            return;
        }
        const std::int64_t expected = c->next_seq.load(std::memory_order_relaxed);
        if (seq < expected) {
            ++c->duplicates;
            return;
        }
        c->skipped += seq - expected;
        c->samples.push_back({published, t});
        c->last_id.assign(m.data(), sp1);
        c->next_seq.store(seq + 1, std::memory_order_relaxed);
    }

    void on_data(Conn* c, unsigned gen, std::size_t n, std::int64_t t) {
        c->used += n;
        std::size_t pos = 0;
        if (c->state == Conn::State::Handshaking) {
            const std::string_view view(c->buf.data(), c->used);
            const auto end = view.find("\r\n\r\n");
            if (end == std::string_view::npos) {
                if (c->used > 16384) return attempt_failed(c);
                return read(c, gen);
            }
            const std::string header(view.substr(0, end + 2));
            if (header.rfind("HTTP/1.1 101", 0) != 0 ||
                header_value(header, "\r\nsec-websocket-accept:") != c->expected_accept ||
                header_value(header, "\r\nsec-websocket-protocol:") != "ticks.v1")
                return attempt_failed(c);
            opened(c, t);
            pos = end + 4;
        }
        while (c->used - pos >= 2) {
            const auto* p = reinterpret_cast<const unsigned char*>(c->buf.data() + pos);
            const int opcode = p[0] & 0x0F;
            if (p[1] & 0x80) return lost(c);  // servers never mask
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
            if (len > (1u << 24)) return lost(c);
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
                flush(c, gen);
            } else if (opcode == 0x8) {
                return lost(c);  // the server closes (going away): reconnect like a drop
            } else if (opcode == 0x1) {
                on_message(c, std::string_view(payload, static_cast<std::size_t>(len)), t);
            }
            pos += hdr + static_cast<std::size_t>(len);
        }
        if (pos > 0) {
            std::memmove(c->buf.data(), c->buf.data() + pos, c->used - pos);
            c->used -= pos;
        }
        read(c, gen);
    }

    void flush(Conn* c, unsigned gen) {
        if (c->writing || c->pong.empty() || c->state != Conn::State::Open) return;
        c->writing = true;
        auto data = std::make_shared<std::string>(std::move(c->pong));
        c->pong.clear();
        asio::async_write(c->socket, asio::buffer(*data),
                          [this, c, gen, data](const asio::error_code& ec, std::size_t) {
                              if (gen != c->generation) return;
                              c->writing = false;
                              if (ec) return lost(c);
                              flush(c, gen);
                          });
    }

    // Abort every socket (RST, no TIME_WAIT left behind) and stop.
    void close_all() {
        stopping = true;
        for (auto& c : conns) {
            asio::error_code ignored;
            c->backoff.cancel();
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

Stats stats(std::vector<double>& v) {
    Stats s;
    s.count = v.size();
    if (v.empty()) return s;
    std::sort(v.begin(), v.end());
    auto q = [&](double p) {
        return v[static_cast<std::size_t>(std::floor(p * static_cast<double>(v.size() - 1)))];
    };
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

void print_stats(const std::string& prefix, std::vector<double>& v) {
    const Stats s = stats(v);
    std::cout << prefix << "_samples=" << s.count << "\n"
              << prefix << "_p50_ms=" << s.p50 << "\n"
              << prefix << "_p90_ms=" << s.p90 << "\n"
              << prefix << "_p99_ms=" << s.p99 << "\n"
              << prefix << "_p999_ms=" << s.p999 << "\n"
              << prefix << "_max_ms=" << s.max << "\n"
              << prefix << "_mean_ms=" << s.mean << "\n";
}

}  // namespace

int main(int argc, char** argv) {
    const Options o = parse(argc, argv);
    std::cout.setf(std::ios::fixed);
    std::cout.precision(3);

    std::vector<tcp::endpoint> endpoints;
    try {
        for (auto port : o.ports) endpoints.emplace_back(asio::ip::make_address(o.host), port);
    } catch (const std::exception& e) {
        usage(e.what());
    }

    // A stuck run ends here rather than hang the benchmark.
    std::thread([t = o.timeout_s] {
        std::this_thread::sleep_for(std::chrono::duration<double>(t));
        std::cerr << "bench_scale_client: --timeout-s passed, giving up\n";
        std::_Exit(3);
    }).detach();

    Shared shared;
    std::vector<std::unique_ptr<Worker>> workers;
    const int conc = std::max(1, o.concurrency / o.threads);
    for (int i = 0; i < o.threads; ++i) {
        workers.push_back(std::make_unique<Worker>(o, shared, conc));
        workers.back()->endpoints = endpoints;
    }
    for (int i = 0; i < o.connections; ++i) {
        Worker& w = *workers[static_cast<std::size_t>(i % o.threads)];
        w.conns.push_back(std::make_unique<Conn>(w.ctx));
        w.conns.back()->port = static_cast<std::size_t>(i) % o.ports.size();
        w.conns.back()->samples.reserve(o.expect);
    }

    // --- connect -----------------------------------------------------------
    const std::int64_t t_start = mono_ns();
    std::vector<std::thread> threads;
    std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
    for (auto& w : workers) {
        guards.push_back(asio::make_work_guard(w->ctx));
        asio::post(w->ctx, [wp = w.get()] { wp->start(); });
    }
    for (auto& w : workers) threads.emplace_back([wp = w.get()] { wp->ctx.run(); });
    const auto connect_deadline = t_start + static_cast<std::int64_t>(o.connect_timeout_s * 1e9);
    while (shared.done.load() < o.connections && mono_ns() < connect_deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    const int ok = shared.ok.load();
    const double connect_s =
        static_cast<double>((ok ? shared.last_open_ns.load() : mono_ns()) - t_start) / 1e9;
    std::cout << "ready connections_ok=" << ok << " connections_failed=" << shared.failed.load()
              << " connect_seconds=" << connect_s << std::endl;

    // --- wait for the orchestrator's "end P [KILL_NS]" ----------------------
    std::int64_t published = -1, kill_ns = 0;
    for (std::string line; std::getline(std::cin, line);) {
        std::istringstream in(line);
        std::string word;
        in >> word;
        if (word != "end") continue;
        in >> published;
        if (!(in >> kill_ns)) kill_ns = 0;
        break;
    }
    const std::int64_t t_end_line = mono_ns();
    // Up to --grace-s for the last messages (and the last resumes) to arrive.
    const auto grace_deadline = mono_ns() + static_cast<std::int64_t>(o.grace_s * 1e9);
    while (published > 0 && mono_ns() < grace_deadline) {
        int complete = 0;
        for (auto& w : workers)
            for (auto& c : w->conns)
                if (c->next_seq.load(std::memory_order_relaxed) >= published) ++complete;
        if (complete >= ok) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    const std::int64_t t_end = mono_ns();
    for (auto& w : workers) asio::post(w->ctx, [wp = w.get()] { wp->close_all(); });
    for (auto& t : threads) t.join();
    guards.clear();

    // --- figures -------------------------------------------------------------
    long received = 0, duplicates = 0, lost = 0, gaps = 0, bad = 0;
    int complete = 0, affected = 0, recovered = 0, never_reopened = 0;
    long replayed = 0;
    std::int64_t last_published = 0, last_received = 0;
    std::vector<double> latency, detect_ms, tcp_ms, reconnect_ms, recovery_ms;
    std::vector<double> others_after_kill;
    for (auto& w : workers)
        for (auto& c : w->conns) {
            if (!c->ever_open) continue;
            const std::int64_t next = c->next_seq.load();
            received += static_cast<long>(c->samples.size());
            duplicates += c->duplicates;
            gaps += c->gaps;
            bad += c->bad;
            lost += c->skipped + (published > next ? published - next : 0);
            if (next >= published) ++complete;
            for (const Sample& s : c->samples) {
                latency.push_back(static_cast<double>(s.received - s.published) / 1e6);
                last_published = std::max(last_published, s.published);
                last_received = std::max(last_received, s.received);
            }
            if (kill_ns == 0) continue;
            if (c->drops > 0) {
                ++affected;
                detect_ms.push_back(static_cast<double>(c->dropped_at - kill_ns) / 1e6);
                if (c->reconnected_at)
                    tcp_ms.push_back(static_cast<double>(c->reconnected_at - kill_ns) / 1e6);
                if (c->reopened_at == 0) {
                    ++never_reopened;
                } else {
                    reconnect_ms.push_back(static_cast<double>(c->reopened_at - kill_ns) / 1e6);
                }
                // published while it was away, received after it was back: from the history
                for (const Sample& s : c->samples)
                    if (c->reopened_at && s.published < c->reopened_at &&
                        s.received >= c->reopened_at)
                        ++replayed;
                for (const Sample& s : c->samples)
                    if (s.published > kill_ns) {
                        ++recovered;
                        recovery_ms.push_back(static_cast<double>(s.received - kill_ns) / 1e6);
                        break;
                    }
            } else {
                // the other servers' clients meanwhile: messages of the first second after it
                for (const Sample& s : c->samples)
                    if (s.published > kill_ns && s.published < kill_ns + 1000000000)
                        others_after_kill.push_back(
                            static_cast<double>(s.received - s.published) / 1e6);
            }
        }

    std::cout << "connections_requested=" << o.connections << "\n"
              << "connections_ok=" << ok << "\n"
              << "connections_failed=" << shared.failed.load() << "\n"
              << "connect_seconds=" << connect_s << "\n"
              << "servers=" << o.ports.size() << "\n"
              << "threads=" << o.threads << "\n"
              << "published=" << published << "\n"
              << "wait_after_end_seconds=" << static_cast<double>(t_end - t_end_line) / 1e9
              << "\n"
              << "messages_expected=" << (published > 0 ? published * ok : 0) << "\n"
              << "messages_received=" << received << "\n"
              << "connections_complete=" << complete << "\n"
              << "lost=" << lost << "\n"
              << "duplicates=" << duplicates << "\n"
              << "gap_notices=" << gaps << "\n"
              << "bad_payload=" << bad << "\n"
              << "drops=" << shared.drops.load() << "\n"
              << "reconnects=" << shared.reopened.load() << "\n"
              << "reconnect_failures=" << shared.reconnect_failures.load() << "\n"
              // from the last publish until the last message of the run arrived
              << "drain_ms=" << static_cast<double>(last_received - last_published) / 1e6
              << "\n";
    std::cout.precision(4);
    print_stats("latency", latency);
    if (kill_ns != 0) {
        std::cout << "killed_connections=" << affected << "\n"
                  << "never_reopened=" << never_reopened << "\n"
                  << "recovered_connections=" << recovered << "\n"
                  << "replayed_from_history=" << replayed << "\n";
        print_stats("detect", detect_ms);
        print_stats("tcp_connect", tcp_ms);
        print_stats("reconnect", reconnect_ms);
        print_stats("recovery", recovery_ms);
        print_stats("others_after_kill", others_after_kill);
    }
    return 0;
}
