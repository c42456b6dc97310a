// wsdemo_probe — shows what a server answers, for scripts/run.sh demos.
//   wsdemo_probe http PORT PATH                 one plain GET, printed raw
//   wsdemo_probe ws URL [MESSAGES] [SECONDS]    connect, print messages, close 1000
#include "tcp.hpp"
#include "ws.hpp"

#include <iostream>
#include <string>

using namespace wstest;

namespace {

int probe_http(unsigned short port, const std::string& path) {
    std::cout << "> GET " << path << " HTTP/1.1\n";
    HttpResponse response = http_get(port, path);
    std::cout << "< " << response.status_line << "\n";
    for (const auto& [name, value] : response.headers) std::cout << "< " << name << ": " << value << "\n";
    std::cout << "<\n< " << response.body << "\n\n";
    return 0;
}

int probe_ws(const std::string& url, int wanted_messages, int seconds) {
    WsClient client;
    std::cout << "> WebSocket handshake to " << url << "\n";
    if (!client.connect(url)) {
        std::cout << "< refused: HTTP " << client.handshake_status() << " (" << client.error() << ")\n\n";
        return 0;
    }
    std::cout << "< 101 Switching Protocols: connected\n";
    const auto deadline = Clock::now() + std::chrono::seconds(seconds);
    for (int received = 0; received < wanted_messages && Clock::now() < deadline;) {
        auto message = client.next_message(std::chrono::duration_cast<milliseconds>(deadline - Clock::now()));
        if (!message) break;
        std::cout << "< message: " << message->payload << std::endl;
        ++received;
    }
    std::cout << "> Close 1000\n";
    client.close(1000, "");
    if (auto closed = client.wait_closed(milliseconds(2000)))
        std::cout << "< Close " << closed->remote_code << "\n\n";
    return 0;
}

}  // namespace

int main(int argc, char* argv[]) {
    const std::string mode = argc > 1 ? argv[1] : "";
    try {
        if (mode == "http" && argc == 4) return probe_http(static_cast<unsigned short>(std::stoi(argv[2])), argv[3]);
        if (mode == "ws" && argc >= 3)
            return probe_ws(argv[2], argc > 3 ? std::stoi(argv[3]) : 1000000, argc > 4 ? std::stoi(argv[4]) : 3);
    } catch (const std::exception& error) {
        std::cerr << "wsdemo_probe: " << error.what() << "\n";
        return 1;
    }
    std::cerr << "usage: wsdemo_probe http PORT PATH | wsdemo_probe ws URL [MESSAGES] [SECONDS]\n";
    return 2;
}
