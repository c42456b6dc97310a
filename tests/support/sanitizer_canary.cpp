// A program with one deliberate bug per mode, for the support library's own
// tests: they show that a sanitizer report in a child program fails the test
// that started it. Only built and used in sanitizer builds.
//   wstest_sanitizer_canary leak|use-after-free|signed-overflow|race|leak-at-sigterm
#include <signal.h>

#include <csignal>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <limits>
#include <string>
#include <thread>

namespace {

void leak(std::size_t size) {
    char* lost = static_cast<char*>(std::malloc(size));
    std::memset(lost, 1, size);
    std::cout << "leaking " << static_cast<int>(lost[0]) << std::endl;
}

volatile std::sig_atomic_t terminated = 0;

}  // namespace

int main(int argc, char* argv[]) {
    if (argc != 2) {
        std::cerr << "usage: wstest_sanitizer_canary leak|use-after-free|signed-overflow|race|leak-at-sigterm\n";
        return 2;
    }
    const std::string mode = argv[1];
    // Values from the command line, so the compiler cannot see the bugs coming.
    const int n = argc;
    if (mode == "leak") {
        leak(64);
    } else if (mode == "use-after-free") {
        int* freed = new int[4]{};
        delete[] freed;
        std::cout << freed[n] << std::endl;
    } else if (mode == "signed-overflow") {
        int big = std::numeric_limits<int>::max() - 1;
        std::cout << big + n << std::endl;
    } else if (mode == "race") {
        int shared = 0;
        std::thread other([&] { shared += n; });
        shared += n;
        other.join();
        std::cout << shared << std::endl;
    } else if (mode == "leak-at-sigterm") {
        // Like a server: runs until SIGTERM, then returns from main, so LeakSanitizer runs.
        // SIGTERM stays blocked except inside sigsuspend, so it cannot slip in
        // between the test of `terminated` and the wait.
        sigset_t term, previous;
        sigemptyset(&term);
        sigaddset(&term, SIGTERM);
        sigprocmask(SIG_BLOCK, &term, &previous);
        std::signal(SIGTERM, [](int) { terminated = 1; });
        leak(64);
        std::cout << "running" << std::endl;
        while (!terminated) sigsuspend(&previous);
    } else {
        std::cerr << "unknown mode " << mode << '\n';
        return 2;
    }
    return 0;
}
