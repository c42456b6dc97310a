// Catch2's main, plus one rule: a sanitizer report from any child program a test
// started fails the run, even when the test never looked at that child again.
// Written for Catch2 2.13 and 3.x: their listener APIs differ in name only.
#if WSTEST_CATCH2_MAJOR >= 3
#include <catch2/catch_session.hpp>
#include <catch2/catch_test_case_info.hpp>
#include <catch2/reporters/catch_reporter_event_listener.hpp>
#include <catch2/reporters/catch_reporter_registrars.hpp>
using ListenerBase = Catch::EventListenerBase;
#else
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>
using ListenerBase = Catch::TestEventListenerBase;
#endif

#include "sanitizer_reports.hpp"

#include <iostream>

namespace {

bool child_reported = false;

#if WSTEST_CATCH2_MAJOR >= 3
const std::string& test_name(const Catch::TestCaseStats& stats) { return stats.testInfo->name; }
#else
const std::string& test_name(const Catch::TestCaseStats& stats) { return stats.testInfo.name; }
#endif

// Programs are locals of the test cases, so by the end of a test case every
// child it started is gone and has had its stderr scanned.
struct ChildSanitizerReports : ListenerBase {
    using ListenerBase::ListenerBase;

    void testCaseEnded(const Catch::TestCaseStats& stats) override {
        for (const auto& report : wstest::take_child_sanitizer_reports()) {
            child_reported = true;
            std::cerr << "\nFAILED: a child program reported a sanitizer error during \""
                      << test_name(stats) << "\": " << report.program << "\n"
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
