// The deployment of docs/19-deploy.md (label deploy): a real nginx, run from
// deploy/nginx.conf.in as a foreground child on free loopback ports with a
// certificate from scripts/make-dev-cert.sh, in front of real final_server
// instances; the page of deploy/page/ in headless Chromium, which trusts the
// certificate by its pinned key (never by ignoring errors); Node ws clients
// over wss:// with the local CA; final_client over nginx's loopback ws://.
// A missing nginx, Chromium or Node ws skips a test (exit 77) unless
// WSTEST_INTEROP_REQUIRED is set, as scripts/interop.sh does: then it fails.
#include "program.hpp"
#include "tick.hpp"
#include "peers.hpp"

#include "catch_compat.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

using namespace wstest;

namespace {

const std::string source_dir = WSTEST_SOURCE_DIR;
std::string deploy_file(const std::string& file) {
    return std::string(WSTEST_DEPLOY_DIR) + "/" + file;
}

std::string read_text(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot read " + path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

std::string require_nginx() {
    const std::string nginx = find_on_path("nginx");
    require_peer(!nginx.empty() && !find_on_path("openssl").empty(), "nginx or openssl");
    return nginx;
}

std::string require_chromium() {
    const std::string chromium = find_on_path("chromium");
    require_peer(!chromium.empty(), "chromium");
    return chromium;
}

// Node with Debian's node-ws (in /usr/share/nodejs); `ca` is the certificate
// authority it trusts on top of the system's, as Node's own option says.
std::vector<std::string> node_args(const std::string& ca, std::vector<std::string> args) {
    args.insert(args.begin(),
                {"NODE_PATH=/usr/share/nodejs", "NODE_EXTRA_CA_CERTS=" + ca, "node"});
    return args;
}

void require_node_ws() {
    require_peer(runs_ok("/usr/bin/env", node_args("", {"-e", "require('ws')"})),
                 "node and node-ws");
}

// A port nobody listens on now, from the kernel: nginx cannot report one it picked itself.
unsigned short free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof address;
    const bool ok = fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&address), size) == 0 &&
                    ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) == 0;
    if (fd >= 0) ::close(fd);
    if (!ok) throw std::runtime_error("no free port");
    return ntohs(address.sin_port);
}

void replace_all(std::string& text, const std::string& from, const std::string& to) {
    for (std::size_t at = text.find(from); at != std::string::npos;
         at = text.find(from, at + to.size()))
        text.replace(at, from.size(), to);
}

// The whole deployment: a certificate, `instances` final_servers allowing the
// page's origin, and nginx in front, all stopped (nginx last) when it goes.
class Deployment {
public:
    explicit Deployment(std::size_t instances)
        : nginx_path_(require_nginx()), https_port_(free_port()), http_port_(free_port()) {
        Program cert(source_dir + "/scripts/make-dev-cert.sh", {dir_.path() + "/cert"});
        if (cert.wait_exit(milliseconds(30000)) != 0)
            throw std::runtime_error("make-dev-cert.sh failed\n" + cert.transcript());
        for (std::size_t i = 0; i < instances; ++i) servers_.push_back(start_server(0));
        start_nginx();
    }
    ~Deployment() {
        // Fast shutdown (SIGTERM): a graceful one would wait for every open WebSocket.
        if (nginx_) {
            nginx_->send_signal(SIGTERM);
            nginx_->wait_exit(milliseconds(10000));
        }
    }
    Deployment(const Deployment&) = delete;
    Deployment& operator=(const Deployment&) = delete;

    std::string origin(const std::string& host = "localhost") const {
        return "https://" + host + ":" + std::to_string(https_port_);
    }
    std::string wss_url() const {
        return "wss://localhost:" + std::to_string(https_port_) + "/ws";
    }
    std::string ws_url() const { return "ws://127.0.0.1:" + std::to_string(http_port_) + "/ws"; }
    std::string ca() const { return dir_.path() + "/cert/ca.crt"; }
    std::string certificate() const { return dir_.path() + "/cert/server.crt"; }
    std::size_t instances() const { return servers_.size(); }
    ServerProcess& server(std::size_t i) { return *servers_.at(i); }
    Program& nginx() { return *nginx_; }
    std::string access_log() const { return read_text(dir_.path() + "/access.log"); }

    // One step of a rolling restart: SIGTERM, exit 0, started again on the same
    // port. Returns what the instance said as it shut down.
    std::string stop_instance(std::size_t i) {
        ServerProcess& old = server(i);
        old.send_signal(SIGTERM);
        const std::string line = old.wait_for_line(Stream::out, "shutting down: closing ");
        const auto code = old.wait_exit(milliseconds(10000));
        INFO(old.transcript());
        REQUIRE(code == 0);
        return line;
    }
    void start_instance(std::size_t i) { servers_.at(i) = start_server(server(i).port()); }

private:
    std::unique_ptr<ServerProcess> start_server(unsigned short port) {
        const std::vector<std::string> args{"--port", std::to_string(port), "--allowed-origin",
                                            origin()};
        return std::make_unique<ServerProcess>("final_server", args);
    }

    void start_nginx() {
        std::string servers;
        for (const auto& server : servers_)
            servers += "server 127.0.0.1:" + std::to_string(server->port()) + " max_fails=0;\n";
        std::string conf = read_text(source_dir + "/deploy/nginx.conf.in");
        replace_all(conf, "@RUN_DIR@", dir_.path());
        replace_all(conf, "@SERVERS@", servers);
        replace_all(conf, "@HTTPS_LISTEN@", "127.0.0.1:" + std::to_string(https_port_));
        replace_all(conf, "@HTTP_LISTEN@", "127.0.0.1:" + std::to_string(http_port_));
        replace_all(conf, "@SERVER_NAME@", "localhost");
        replace_all(conf, "@CERT@", certificate());
        replace_all(conf, "@KEY@", dir_.path() + "/cert/server.key");
        replace_all(conf, "@PAGE_DIR@", source_dir + "/deploy/page");
        REQUIRE_FALSE(std::regex_search(conf, std::regex("@[A-Z_]+@")));  // all filled in
        const std::string conf_path = dir_.path() + "/nginx.conf";
        std::ofstream(conf_path) << conf;
        // One process (master_process off): killed with the test, nothing stays behind.
        nginx_ = std::make_unique<Program>(
            nginx_path_, std::vector<std::string>{"-p", dir_.path(), "-c", conf_path, "-g",
                                                  "daemon off; master_process off;"});
        // Logged once the configuration is loaded and every port is open.
        nginx_->wait_for_line(Stream::err, "getrlimit(RLIMIT_NOFILE)", milliseconds(10000));
    }

    TempDir dir_;  // first: removed after everything that runs in it has stopped
    std::string nginx_path_;
    unsigned short https_port_, http_port_;
    std::vector<std::unique_ptr<ServerProcess>> servers_;
    std::unique_ptr<Program> nginx_;
};

// base64 of the SHA-256 of a certificate's public key (its SPKI): what
// Chromium's --ignore-certificate-errors-spki-list pins.
std::string spki_hash(const std::string& certificate) {
    Program openssl("/bin/sh", {"-c", "openssl x509 -pubkey -noout -in '" + certificate +
                                          "' | openssl pkey -pubin -outform der"
                                          " | openssl dgst -sha256 -binary | openssl base64"});
    const std::string line = openssl.wait_for_line(Stream::out, "=");
    REQUIRE(openssl.wait_exit(milliseconds(10000)) == 0);
    return line;
}

// Headless Chromium on `url`; the page's console lines ("deploy: ...") come
// on stderr. It trusts the deployment's certificate by its key and nothing
// else: a page of any other certificate gets the usual error.
class Browser {
public:
    Browser(const Deployment& deployment, const std::string& url) {
        const std::string chromium = require_chromium();
        program_ = std::make_unique<Program>(
            "/usr/bin/env",
            std::vector<std::string>{
                "HOME=" + home_.path(), chromium, "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync",
                "--user-data-dir=" + home_.path() + "/profile",
                "--ignore-certificate-errors-spki-list=" + spki_hash(deployment.certificate()),
                "--enable-logging=stderr", "--v=0", url});
    }
    ~Browser() {
        program_->send_signal(SIGTERM);  // Chromium closes its helper processes too
        program_->wait_exit(milliseconds(10000));
    }
    Browser(const Browser&) = delete;
    Browser& operator=(const Browser&) = delete;

    // The next console line of the page containing `text` (its "deploy: " cut off).
    std::string wait_for(const std::string& text, milliseconds timeout = milliseconds(30000)) {
        const std::string line =
            program_->wait_for_line(Stream::err, "\"deploy: " + text, timeout);
        const std::size_t from = line.find("\"deploy: ") + 9, to = line.rfind("\", source: ");
        return line.substr(from, to == std::string::npos ? std::string::npos : to - from);
    }
    std::vector<std::string> console() const {
        std::vector<std::string> lines;
        for (const auto& line : program_->lines(Stream::err))
            if (line.find("\"deploy: ") != std::string::npos) lines.push_back(line);
        return lines;
    }
    std::string transcript() const {
        std::string text;
        for (const auto& line : console()) text += line + "\n";
        return text;
    }

private:
    TempDir home_;  // before the browser: removed after it has gone
    std::unique_ptr<Program> program_;
};

// "back clients=200 moved=67 ..." as numbers by name (codes kept as text).
std::map<std::string, std::string> fields(const std::string& line) {
    std::map<std::string, std::string> result;
    static const std::regex field(R"((\w+)=(\S+))");
    const std::sregex_iterator end;
    for (auto it = std::sregex_iterator(line.begin(), line.end(), field); it != end; ++it)
        result[(*it)[1]] = (*it)[2];
    return result;
}

long number(const std::map<std::string, std::string>& figures, const std::string& name) {
    const auto found = figures.find(name);
    if (found == figures.end()) throw std::runtime_error("no " + name + "= in the crowd's report");
    return std::stol(found->second);
}

// The digits after `key` in `text`, e.g. "90" for "proxy_read_timeout " in "... 90s;".
long number_after(const std::string& text, const std::string& key) {
    const std::size_t at = text.find(key);
    if (at == std::string::npos) throw std::runtime_error("no '" + key + "' found");
    return std::stol(text.substr(at + key.size()));
}

}  // namespace

TEST_CASE("nginx's proxy_read_timeout is longer than final_server's ping interval") {
    // An open WebSocket through nginx is closed when final_server sends nothing
    // for proxy_read_timeout; with no tick for a while, its pings are all it sends.
    Program help("final_server", {"--help"});
    REQUIRE(help.wait_exit(milliseconds(5000)) == 0);
    std::string text;
    for (const auto& line : help.lines(Stream::out)) text += line + "\n";
    const std::size_t option = text.find("--ping-interval-ms");
    REQUIRE(option != std::string::npos);
    const long ping_ms = number_after(text.substr(option), "(default ");
    const std::string conf = read_text(source_dir + "/deploy/nginx.conf.in");
    const long read_timeout_s = number_after(conf, "proxy_read_timeout ");
    INFO("ping every " << ping_ms << " ms, proxy_read_timeout " << read_timeout_s << " s");
    CHECK(read_timeout_s * 1000 > ping_ms);
    CHECK(conf.find("proxy_http_version 1.1;") != std::string::npos);
    CHECK(conf.find("proxy_set_header Upgrade $http_upgrade;") != std::string::npos);
    CHECK(conf.find("proxy_set_header Connection $connection_upgrade;") != std::string::npos);
}

TEST_CASE("the systemd unit fits final_server's graceful shutdown and is hardened") {
    const std::string unit = read_text(source_dir + "/deploy/final-server@.service");
    // final_server closes every client with 1001 and exits within 1.5 s of SIGTERM.
    CHECK(unit.find("\nKillSignal=SIGTERM\n") != std::string::npos);
    CHECK(number_after(unit, "\nTimeoutStopSec=") >= 2);
    CHECK(unit.find("\nRestart=on-failure\n") != std::string::npos);
    // A descriptor per client: at least the default --max-clients (10000) and spare ones.
    CHECK(number_after(unit, "\nLimitNOFILE=") >= 10064);
    for (const char* setting : {"DynamicUser=yes", "NoNewPrivileges=yes", "ProtectSystem=strict"})
        CHECK(unit.find(std::string("\n") + setting + "\n") != std::string::npos);
}

TEST_CASE("the systemd unit passes systemd-analyze verify") {
    const std::string unit = read_text(source_dir + "/deploy/final-server@.service");
    const std::string analyze = find_on_path("systemd-analyze");
    if (analyze.empty()) {  // no systemd here (a container, another OS): nothing to ask
        std::cout << "SKIPPED: systemd-analyze is missing" << std::endl;
        std::_Exit(skipped_exit_code);
    }
    // verify checks that ExecStart's program exists: the built one stands in
    // for /usr/local/bin/final_server. The instance name is the port.
    TempDir dir;
    std::string copy = unit;
    replace_all(copy, "/usr/local/bin/final_server", program_path("final_server"));
    std::ofstream(dir.path() + "/final-server@.service") << copy;
    Program verify(analyze, {"verify", dir.path() + "/final-server@5065.service"});
    const auto code = verify.wait_exit(milliseconds(30000));
    INFO(verify.transcript());
    CHECK(code == 0);
    // It exits 0 after a setting it cannot parse, too, and says so naming the file.
    for (const auto& line : verify.lines(Stream::err))
        CHECK(line.find(dir.path()) == std::string::npos);
}

TEST_CASE("headless Chromium loads the page over https from nginx and shows ticks") {
    require_chromium();
    Deployment deployment(2);
    Browser browser(deployment, deployment.origin() + "/");
    browser.wait_for("connecting");
    browser.wait_for("open");
    for (int k = 0; k < 2; ++k) {
        const std::string line = browser.wait_for("message ", milliseconds(10000));
        INFO(line);
        CHECK(is_tick(line.substr(8)));
    }
    const std::string log = deployment.access_log();
    INFO(log);
    // The page and its script from nginx itself, the WebSocket through it with the page's origin.
    CHECK(log.find("\"GET / HTTP/1.1\" 200") != std::string::npos);
    CHECK(log.find("\"GET /app.js HTTP/1.1\" 200") != std::string::npos);
    bool opened = false;
    for (std::size_t i = 0; i < deployment.instances(); ++i)
        opened = opened || deployment.server(i).has_printed(Stream::out, "opened: 127.0.0.1:");
    CHECK(opened);
}

TEST_CASE("a Node ws client gets ticks over wss:// through nginx, trusting the local CA only") {
    require_node_ws();
    Deployment deployment(2);
    const std::string client = source_dir + "/tests/interop/node_client.js";
    Program node("/usr/bin/env", node_args(deployment.ca(), {client, deployment.wss_url(), "3"}));
    REQUIRE(node.wait_exit(milliseconds(20000)) == 0);
    INFO(node.transcript());
    const auto lines = node.lines(Stream::out);
    REQUIRE(lines.size() == 5);
    CHECK(lines[0] == "open");
    for (std::size_t k = 1; k <= 3; ++k) {
        CHECK(lines[k].rfind("message ", 0) == 0);
        CHECK(is_tick(lines[k].substr(lines[k].find(" C++") + 1)));
    }
    CHECK(lines[4].rfind("closed 1000", 0) == 0);

    // Without the CA the certificate is unknown: refused, no way around it in ws's defaults.
    Program untrusting("/usr/bin/env", node_args("", {client, deployment.wss_url(), "1"}));
    REQUIRE(untrusting.wait_exit(milliseconds(20000)) == 1);
    CHECK(untrusting.has_printed(Stream::err, "unable to verify the first certificate"));
    CHECK_FALSE(untrusting.has_printed(Stream::out, "open"));
}

TEST_CASE("a page from a foreign origin is refused through nginx (403), its own is let in") {
    require_node_ws();
    require_chromium();
    Deployment deployment(1);
    const std::string probe = deploy_file("origin_probe.js");
    const auto handshake = [&](const std::string& origin) {
        Program node("/usr/bin/env",
                     node_args(deployment.ca(), {probe, deployment.wss_url(), origin}));
        return node.wait_for_line(Stream::out, "status ", milliseconds(20000));
    };
    CHECK(handshake("https://evil.example") == "status 403");
    deployment.server(0).wait_for_line(Stream::out, "origin https://evil.example not allowed");
    CHECK(handshake(deployment.origin()) == "status 101");

    // The same page from https://127.0.0.1:PORT is another origin (the
    // certificate names 127.0.0.1 too, so only the origin check is in the way).
    Browser browser(deployment, deployment.origin("127.0.0.1") + "/");
    const std::string closed = browser.wait_for("closed ");
    INFO(browser.transcript());
    CHECK(closed == "closed 1006");  // all a page learns of a refused handshake
    for (const auto& line : browser.console())
        CHECK(line.find("\"deploy: open") == std::string::npos);
    const std::string refusal = "origin " + deployment.origin("127.0.0.1") + " not allowed";
    deployment.server(0).wait_for_line(Stream::out, refusal);
}

TEST_CASE("a rolling restart: every client is back through nginx within the first backoff") {
    require_node_ws();
    require_chromium();
    constexpr int crowd_size = 200;
    Deployment deployment(3);
    // final_clients first: least_conn gives each instance one of them.
    std::vector<std::unique_ptr<Program>> clients;
    for (std::size_t i = 0; i < deployment.instances(); ++i) {
        clients.push_back(std::make_unique<Program>(
            "final_client", std::vector<std::string>{deployment.ws_url(), "--reconnect"}));
        clients.back()->wait_for_line(Stream::out, "Rocks -> ");
    }
    Browser browser(deployment, deployment.origin() + "/");
    browser.wait_for("message ");
    Program crowd("/usr/bin/env",
                  node_args(deployment.ca(), {deploy_file("crowd.js"), deployment.wss_url(),
                                              std::to_string(crowd_size), "1000"}));
    crowd.wait_for_line(Stream::out, "ready ", milliseconds(60000));

    // Each instance in turn, as `systemctl restart final-server@PORT` one at a time would.
    for (std::size_t i = 0; i < deployment.instances(); ++i) {
        const std::string shutting_down = deployment.stop_instance(i);
        const long closed = number_after(shutting_down, "closing ");
        const std::string back = crowd.wait_for_line(Stream::out, "back ", milliseconds(30000));
        std::cout << "rolling restart, instance " << i + 1 << " of " << deployment.instances()
                  << " (" << closed << " connections closed with 1001): " << back << std::endl;
        const auto figures = fields(back);
        INFO(back << "\n" << crowd.transcript());
        CHECK(number(figures, "clients") == crowd_size);
        CHECK(number(figures, "moved") >= 1);
        CHECK(number(figures, "moved") <= closed);
        CHECK(figures.at("codes") == "1001");
        // Back at the first attempt, 0.5 s (less its jitter) after the Close:
        // nginx never sent a handshake to the stopped instance's closed port
        // without trying the next. The time itself only has to be sane on a busy machine.
        CHECK(number(figures, "attempts_max") == 1);
        CHECK(number(figures, "all_back_ms") < 10000);
        deployment.start_instance(i);
    }

    // Every final_client lost its instance at least once (each instance went
    // down) and came back with ticks.
    for (auto& client : clients) {
        client->wait_for_line(Stream::err, "connection closed: code 1001");
        client->wait_for_line(Stream::err, "reconnecting in ");
        client->wait_for_line(Stream::out, "Connected to", milliseconds(10000));
        client->wait_for_line(Stream::out, "Rocks -> ", milliseconds(10000));
    }
    // So did the page.
    browser.wait_for("closed 1001", milliseconds(10000));
    browser.wait_for("reconnecting in ", milliseconds(10000));
    browser.wait_for("open", milliseconds(10000));
    browser.wait_for("message ", milliseconds(10000));

    crowd.send_signal(SIGTERM);
    CHECK(crowd.wait_exit(milliseconds(10000)) == 0);
}
