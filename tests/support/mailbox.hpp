// A thread-safe queue whose every wait is bounded: the building block of the
// test support library. Producers are io threads; the consumer is the test.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>

namespace wstest {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

template <typename T>
class Mailbox {
public:
    void push(T value) {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            items_.push_back(std::move(value));
        }
        ready_.notify_all();
    }

    // The next item, or nullopt when none arrives within `timeout`.
    std::optional<T> pop(milliseconds timeout) {
        std::unique_lock<std::mutex> lock(mutex_);
        if (!ready_.wait_for(lock, timeout, [this] { return !items_.empty(); })) return std::nullopt;
        T value = std::move(items_.front());
        items_.pop_front();
        return value;
    }

    std::size_t size() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return items_.size();
    }

private:
    mutable std::mutex mutex_;
    std::condition_variable ready_;
    std::deque<T> items_;
};

}  // namespace wstest
