// Catch2's main, plus one rule: a sanitizer report from any child program a test
// started fails the run, even when the test never looked at that child again.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include "sanitizer_reports.hpp"

#include <iostream>

namespace {

bool child_reported = false;

// Programs are locals of the test cases, so by the end of a test case every
// child it started is gone and has had its stderr scanned.
struct ChildSanitizerReports : Catch::TestEventListenerBase {
    using TestEventListenerBase::TestEventListenerBase;

    void testCaseEnded(const Catch::TestCaseStats& stats) override {
        for (const auto& report : wstest::take_child_sanitizer_reports()) {
            child_reported = true;
            std::cerr << "\nFAILED: a child program reported a sanitizer error during \"" << stats.testInfo.name
                      << "\": " << report.program << "\n"
                      << report.transcript << std::flush;
        }
    }
};

}  // namespace

CATCH_REGISTER_LISTENER(ChildSanitizerReports)

int main(int argc, char* argv[]) {
    const int result = Catch::Session().run(argc, argv);
    if (child_reported) {
        std::cerr << "FAILED: sanitizer reports from child programs (above)\n";
        return result != 0 ? result : 1;
    }
    return result;
}
