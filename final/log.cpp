#include "log.hpp"

#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace {

constexpr std::size_t max_queued_bytes = 1 << 20;

class Writer {
public:
    Writer() : thread_([this] { run(); }) {}
    ~Writer() { close(); }

    void append(int fd, std::string&& line) {
        bool wake;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            Stream& stream = fd == STDOUT_FILENO ? out_ : err_;
            if (stopped_ || stream.queued.size() + line.size() >= max_queued_bytes) {
                ++stream.dropped;
                return;
            }
            // The writer sleeps only when nothing is queued: wake it for the first line only.
            wake = out_.queued.empty() && err_.queued.empty();
            stream.queued += line;
            stream.queued += '\n';
        }
        if (wake) ready_.notify_one();
    }

    void close() {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            if (stopped_) return;
            stopped_ = true;
        }
        ready_.notify_one();
        thread_.join();
    }

private:
    struct Stream {
        int fd;
        std::string queued;
        std::size_t dropped = 0;
    };

    void run() {
        std::unique_lock<std::mutex> lock(mutex_);
        for (;;) {
            ready_.wait(lock, [this] { return stopped_ || !out_.queued.empty() || !err_.queued.empty(); });
            if (out_.queued.empty() && err_.queued.empty() && stopped_) return;
            for (Stream* stream : {&err_, &out_}) {
                std::string batch;
                batch.swap(stream->queued);
                if (stream->dropped > 0) {
                    batch += "[log: " + std::to_string(stream->dropped) + " lines dropped, output too slow]\n";
                    stream->dropped = 0;
                }
                lock.unlock();
                write_all(stream->fd, batch);
                lock.lock();
            }
        }
    }

    // A closed stdout (EPIPE: SIGPIPE is ignored) loses the log, not the server.
    static void write_all(int fd, const std::string& text) {
        std::size_t written = 0;
        while (written < text.size()) {
            ssize_t n = ::write(fd, text.data() + written, text.size() - written);
            if (n > 0)
                written += static_cast<std::size_t>(n);
            else if (n < 0 && errno == EINTR)
                continue;
            else
                return;
        }
    }

    std::mutex mutex_;
    std::condition_variable ready_;
    Stream out_{STDOUT_FILENO, {}};
    Stream err_{STDERR_FILENO, {}};
    bool stopped_ = false;
    std::thread thread_;  // last: starts once everything above exists
};

Writer& writer() {
    static Writer instance;
    return instance;
}

}  // namespace

void log_line(std::string line) { writer().append(STDOUT_FILENO, std::move(line)); }
void log_error(std::string line) { writer().append(STDERR_FILENO, std::move(line)); }
void log_close() { writer().close(); }
