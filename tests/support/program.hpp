// Start a program under test as a child process, watch what it prints, stop it.
//
// The child dies with the test: the destructor kills and reaps it, and the
// child also gets SIGKILL if the test process itself dies (PR_SET_PDEATHSIG).
#pragma once

#include "mailbox.hpp"

#include <sys/types.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace wstest {

// build/bin/<target>: where CMake puts every program of the project.
std::string program_path(const std::string& target);

enum class Stream { out, err };

class Program {
public:
    Program(const std::string& target, std::vector<std::string> args);
    ~Program();
    Program(const Program&) = delete;
    Program& operator=(const Program&) = delete;

    pid_t pid() const;

    // The first line (from now on, in order) containing `text`; throws
    // std::runtime_error with everything printed so far if none within `timeout`.
    std::string wait_for_line(Stream stream, const std::string& text, milliseconds timeout = milliseconds(5000));
    // The next line not yet taken by wait_for_line/next_line, or nullopt.
    std::optional<std::string> next_line(Stream stream, milliseconds timeout);
    // Whether a line containing `text` has been printed so far (no waiting).
    bool has_printed(Stream stream, const std::string& text) const;
    std::vector<std::string> lines(Stream stream) const;

    void send_signal(int signal_number);
    // Exit code (or 128 + signal, as a shell shows it), nullopt if still running.
    // Once it returns a code, every line the program printed has been read
    // (unless something it started keeps its output open past the deadline).
    std::optional<int> wait_exit(milliseconds timeout);
    // True once both stdout and stderr are closed and every line is read.
    bool wait_output_closed(milliseconds timeout = milliseconds(5000));
    // Everything printed so far, for failure messages.
    std::string transcript() const;

private:
    struct State;
    std::shared_ptr<State> state_;
};

// A server of this project started on a free port (argument `port_argument`,
// e.g. {"0"} or {"--port", "0"}); knows its port from the first line it prints,
// "Now listening on: http://localhost:PORT" (https:// for a TLS server).
class ServerProcess : public Program {
public:
    ServerProcess(const std::string& target, std::vector<std::string> args = {"0"});
    unsigned short port() const { return port_; }
    std::string ws_url(const std::string& path = "/") const;

private:
    unsigned short port_ = 0;
};

}  // namespace wstest
