#include "program.hpp"

#include "sanitizer_reports.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <regex>
#include <stdexcept>
#include <thread>

#ifndef WSTEST_BIN_DIR
#error "WSTEST_BIN_DIR must name the folder of the built programs"
#endif

namespace wstest {

std::string program_path(const std::string& target) { return std::string(WSTEST_BIN_DIR) + "/" + target; }

struct Program::State {
    std::string path;
    pid_t pid = -1;
    mutable std::mutex mutex;
    std::condition_variable changed;
    std::array<std::vector<std::string>, 2> lines;   // complete lines per stream
    std::array<std::size_t, 2> taken{0, 0};          // how far wait_for_line/next_line got
    std::optional<int> exit_code;
    bool output_closed = false;  // both pipes at EOF: no more lines will come
    std::thread reader;
    std::thread reaper;

    // Read both pipes until both close; split into lines.
    void read_output(int out_fd, int err_fd) {
        std::array<std::string, 2> partial;
        std::array<pollfd, 2> fds{pollfd{out_fd, POLLIN, 0}, pollfd{err_fd, POLLIN, 0}};
        int open_fds = 2;
        char buffer[4096];
        while (open_fds > 0) {
            if (::poll(fds.data(), fds.size(), -1) < 0 && errno != EINTR) break;
            for (std::size_t i = 0; i < fds.size(); ++i) {
                if (fds[i].fd < 0 || fds[i].revents == 0) continue;
                ssize_t n = ::read(fds[i].fd, buffer, sizeof buffer);
                if (n <= 0) {
                    ::close(fds[i].fd);
                    fds[i].fd = -1;
                    --open_fds;
                    if (!partial[i].empty()) add_line(i, std::move(partial[i]));
                    continue;
                }
                partial[i].append(buffer, static_cast<std::size_t>(n));
                std::size_t newline;
                while ((newline = partial[i].find('\n')) != std::string::npos) {
                    add_line(i, partial[i].substr(0, newline));
                    partial[i].erase(0, newline + 1);
                }
            }
        }
        {
            std::lock_guard<std::mutex> lock(mutex);
            output_closed = true;
        }
        changed.notify_all();
    }

    void add_line(std::size_t stream, std::string line) {
        {
            std::lock_guard<std::mutex> lock(mutex);
            lines[stream].push_back(std::move(line));
        }
        changed.notify_all();
    }

    void reap() {
        int status = 0;
        while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        {
            std::lock_guard<std::mutex> lock(mutex);
            exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        }
        changed.notify_all();
    }
};

Program::Program(const std::string& target, std::vector<std::string> args) : state_(std::make_shared<State>()) {
    const std::string path = target.find('/') == std::string::npos ? program_path(target) : target;
    int out_pipe[2], err_pipe[2];
    if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0)
        throw std::runtime_error("pipe: " + std::string(std::strerror(errno)));

    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(path.c_str()));
    for (auto& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);

    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork: " + std::string(std::strerror(errno)));
    if (pid == 0) {
        // Child: only async-signal-safe calls from here to exec.
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (::getppid() != parent) ::_exit(127);
        int null_fd = ::open("/dev/null", O_RDONLY);
        ::dup2(null_fd, STDIN_FILENO);
        ::dup2(out_pipe[1], STDOUT_FILENO);
        ::dup2(err_pipe[1], STDERR_FILENO);
        ::execv(path.c_str(), argv.data());
        const char message[] = "exec failed\n";
        ssize_t ignored = ::write(STDERR_FILENO, message, sizeof message - 1);
        (void)ignored;
        ::_exit(127);
    }
    ::close(out_pipe[1]);
    ::close(err_pipe[1]);
    state_->path = path;
    state_->pid = pid;
    state_->reader = std::thread([state = state_, out = out_pipe[0], err = err_pipe[0]] { state->read_output(out, err); });
    state_->reaper = std::thread([state = state_] { state->reap(); });
}

Program::~Program() {
    if (sanitizer_build()) {
        // LeakSanitizer reports only when a program exits by itself, and a
        // server's shutdown path deserves the sanitizers too: a child still
        // running gets SIGTERM and a few seconds before the SIGKILL below.
        send_signal(SIGTERM);
        wait_exit(milliseconds(5000));
    }
    {
        std::lock_guard<std::mutex> lock(state_->mutex);
        if (!state_->exit_code) ::kill(state_->pid, SIGKILL);
    }
    state_->reaper.join();
    state_->reader.join();
    // Both pipes are at EOF now: every line the child printed is in.
    for (const auto& line : state_->lines[static_cast<std::size_t>(Stream::err)]) {
        if (is_sanitizer_report_line(line)) {
            record_child_sanitizer_report({state_->path, transcript()});
            break;
        }
    }
}

pid_t Program::pid() const { return state_->pid; }

std::string Program::wait_for_line(Stream stream, const std::string& text, milliseconds timeout) {
    const auto i = static_cast<std::size_t>(stream);
    std::unique_lock<std::mutex> lock(state_->mutex);
    std::optional<std::string> found;
    auto scan = [&] {
        auto& lines = state_->lines[i];
        for (; state_->taken[i] < lines.size(); ++state_->taken[i]) {
            if (lines[state_->taken[i]].find(text) != std::string::npos) {
                found = lines[state_->taken[i]++];
                return true;
            }
        }
        return false;
    };
    if (!state_->changed.wait_for(lock, timeout, [&] { return scan() || state_->output_closed; }) || !found) {
        const bool closed = state_->output_closed;
        lock.unlock();
        throw std::runtime_error("no line containing \"" + text + "\"" +
                                 (closed ? " before the program closed its output"
                                         : " within " + std::to_string(timeout.count()) + " ms") +
                                 "\n" + transcript());
    }
    return *found;
}

std::optional<std::string> Program::next_line(Stream stream, milliseconds timeout) {
    const auto i = static_cast<std::size_t>(stream);
    std::unique_lock<std::mutex> lock(state_->mutex);
    if (!state_->changed.wait_for(lock, timeout, [&] { return state_->taken[i] < state_->lines[i].size(); }))
        return std::nullopt;
    return state_->lines[i][state_->taken[i]++];
}

bool Program::has_printed(Stream stream, const std::string& text) const {
    std::lock_guard<std::mutex> lock(state_->mutex);
    for (const auto& line : state_->lines[static_cast<std::size_t>(stream)])
        if (line.find(text) != std::string::npos) return true;
    return false;
}

std::vector<std::string> Program::lines(Stream stream) const {
    std::lock_guard<std::mutex> lock(state_->mutex);
    return state_->lines[static_cast<std::size_t>(stream)];
}

void Program::send_signal(int signal_number) {
    std::lock_guard<std::mutex> lock(state_->mutex);
    if (!state_->exit_code) ::kill(state_->pid, signal_number);
}

std::optional<int> Program::wait_exit(milliseconds timeout) {
    // Also waits (within the same deadline) for the last lines to be read, so
    // that a test may assert on everything the program printed once it exited.
    std::unique_lock<std::mutex> lock(state_->mutex);
    state_->changed.wait_for(lock, timeout, [&] { return state_->exit_code && state_->output_closed; });
    return state_->exit_code;
}

bool Program::wait_output_closed(milliseconds timeout) {
    std::unique_lock<std::mutex> lock(state_->mutex);
    return state_->changed.wait_for(lock, timeout, [&] { return state_->output_closed; });
}

std::string Program::transcript() const {
    std::lock_guard<std::mutex> lock(state_->mutex);
    std::string text = "--- stdout of pid " + std::to_string(state_->pid) + ":\n";
    for (const auto& line : state_->lines[0]) text += line + "\n";
    text += "--- stderr:\n";
    for (const auto& line : state_->lines[1]) text += line + "\n";
    if (state_->exit_code) text += "--- exited with " + std::to_string(*state_->exit_code) + "\n";
    return text;
}

ServerProcess::ServerProcess(const std::string& target, std::vector<std::string> args)
    : Program(target, std::move(args)) {
    const std::string line = wait_for_line(Stream::out, "Now listening on: ", milliseconds(10000));
    static const std::regex listening(R"(Now listening on: https?://localhost:(\d+)$)");
    std::smatch match;
    if (!std::regex_search(line, match, listening))
        throw std::runtime_error("unexpected listening line: " + line + "\n" + transcript());
    port_ = static_cast<unsigned short>(std::stoi(match[1]));
    if (lines(Stream::out).front() != line)
        throw std::runtime_error("the listening line must be the first line on stdout\n" + transcript());
}

std::string ServerProcess::ws_url(const std::string& path) const {
    return "ws://127.0.0.1:" + std::to_string(port_) + path;
}

}  // namespace wstest
