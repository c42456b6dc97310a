// wsdemo_probe: shows what a server answers, for the demos of scripts/run.sh.
//   wsdemo_probe http PORT PATH                 one plain GET, printed as it came
//   wsdemo_probe ws URL [MESSAGES] [SECONDS]    connect, print messages, close 1000
// It needs only websocketpp and Asio, never the test framework, so the main job
// (scripts/run.sh) builds with the tests turned off.
#include <asio.hpp>
#include <websocketpp/client.hpp>
#include <websocketpp/config/asio_no_tls_client.hpp>

#include <chrono>
#include <iostream>
#include <string>

namespace {

using Client = websocketpp::client<websocketpp::config::asio_client>;

int probe_http(const std::string& port, const std::string& path) {
    asio::io_context io;
    asio::ip::tcp::socket socket(io);
    asio::connect(socket, asio::ip::tcp::resolver(io).resolve("127.0.0.1", port));
    const std::string request = "GET " + path + " HTTP/1.1\r\nHost: localhost:" + port +
                                "\r\nConnection: close\r\n\r\n";
    asio::write(socket, asio::buffer(request));
    std::cout << "> GET " << path << " HTTP/1.1\n";
    std::string answer;
    asio::error_code error;
    asio::read(socket, asio::dynamic_buffer(answer), error);  // until the server closes
    if (error && error != asio::error::eof) throw asio::system_error(error);
    // The answer as the server sent it, one "< " line per line, CRs dropped.
    std::string::size_type start = 0;
    while (start < answer.size()) {
        auto end = answer.find('\n', start);
        if (end == std::string::npos) end = answer.size();
        std::string line = answer.substr(start, end - start);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        std::cout << "< " << line << "\n";
        start = end + 1;
    }
    std::cout << "\n";
    return 0;
}

int probe_ws(const std::string& url, int wanted_messages, int seconds) {
    Client client;
    client.clear_access_channels(websocketpp::log::alevel::all);
    client.clear_error_channels(websocketpp::log::elevel::all);
    client.init_asio();
    int received = 0;
    std::cout << "> WebSocket handshake to " << url << "\n";
    client.set_open_handler([](websocketpp::connection_hdl) {
        std::cout << "< 101 Switching Protocols: connected" << std::endl;
    });
    client.set_fail_handler([&client](websocketpp::connection_hdl hdl) {
        websocketpp::lib::error_code ignored;
        auto connection = client.get_con_from_hdl(hdl, ignored);
        if (!connection) return;
        std::cout << "< refused: HTTP " << connection->get_response_code() << " ("
                  << connection->get_ec().message() << ")\n\n";
    });
    client.set_message_handler([&](websocketpp::connection_hdl hdl, Client::message_ptr message) {
        std::cout << "< message: " << message->get_payload() << std::endl;
        if (++received == wanted_messages) {
            std::cout << "> Close 1000" << std::endl;
            websocketpp::lib::error_code ignored;
            client.close(hdl, websocketpp::close::status::normal, "", ignored);
        }
    });
    client.set_close_handler([&client](websocketpp::connection_hdl hdl) {
        websocketpp::lib::error_code ignored;
        if (auto connection = client.get_con_from_hdl(hdl, ignored))
            std::cout << "< Close " << connection->get_remote_close_code() << "\n\n";
    });

    websocketpp::lib::error_code error;
    auto connection = client.get_connection(url, error);
    if (error) throw std::runtime_error(url + ": " + error.message());
    client.connect(connection);
    // Closes politely when the time is up, for servers that send fewer messages.
    asio::steady_timer time_up(client.get_io_service(), std::chrono::seconds(seconds));
    time_up.async_wait([&](const asio::error_code& cancelled) {
        if (cancelled || connection->get_state() != websocketpp::session::state::open) return;
        std::cout << "> Close 1000" << std::endl;
        websocketpp::lib::error_code ignored;
        connection->close(websocketpp::close::status::normal, "", ignored);
    });
    connection->set_termination_handler([&](websocketpp::connection_hdl) { time_up.cancel(); });
    client.run();
    return 0;
}

}  // namespace

int main(int argc, char* argv[]) {
    const std::string mode = argc > 1 ? argv[1] : "";
    try {
        if (mode == "http" && argc == 4) return probe_http(argv[2], argv[3]);
        if (mode == "ws" && argc >= 3)
            return probe_ws(argv[2], argc > 3 ? std::stoi(argv[3]) : 1000000,
                            argc > 4 ? std::stoi(argv[4]) : 3);
    } catch (const std::exception& error) {
        std::cerr << "wsdemo_probe: " << error.what() << "\n";
        return 1;
    }
    std::cerr << "usage: wsdemo_probe http PORT PATH | wsdemo_probe ws URL [MESSAGES] [SECONDS]\n";
    return 2;
}
