// Sanitizer reports printed by child programs (the servers and clients a test
// starts). A child built with ASan, UBSan or TSan reports on its own stderr and
// may go on running, or die long after the test stopped looking at it; nothing
// in the test would notice. So every Program scans its child's stderr when it
// goes, and the test executable's main (catch_main.cpp) fails the run if any
// child reported.
#pragma once

#include <string>
#include <vector>

namespace wstest {

// Whether this code was compiled with ASan or TSan: then every program of the
// build was too (cmake/sanitizers.cmake applies the flags to all targets).
constexpr bool sanitizer_build() {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    return true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
    return true;
#else
    return false;
#endif
#else
    return false;
#endif
}

// A line that starts or ends a report of ASan, LSan, UBSan or TSan.
bool is_sanitizer_report_line(const std::string& line);

struct ChildSanitizerReport {
    std::string program;     // the path that was started
    std::string transcript;  // everything it printed
};

// Called by Program when it goes, for a child whose stderr has a report.
void record_child_sanitizer_report(ChildSanitizerReport report);
// The reports recorded so far, and forgets them: the test main calls this after
// each test case; a test that provokes a report on purpose calls it to claim it.
std::vector<ChildSanitizerReport> take_child_sanitizer_reports();

}  // namespace wstest
