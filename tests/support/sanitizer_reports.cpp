#include "sanitizer_reports.hpp"

#include <mutex>
#include <utility>

namespace wstest {
namespace {

std::mutex reports_mutex;
std::vector<ChildSanitizerReport> reports;

}  // namespace

bool is_sanitizer_report_line(const std::string& line) {
    // The headlines of ASan, LSan and TSan reports; UBSan's
    // "file:line:col: runtime error: ..."; and the SUMMARY line each of them ends with.
    static const char* const markers[] = {"ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                                          "WARNING: ThreadSanitizer", "ERROR: ThreadSanitizer",
                                          ": runtime error: "};
    for (const char* marker : markers)
        if (line.find(marker) != std::string::npos) return true;
    return line.rfind("SUMMARY: ", 0) == 0 && line.find("Sanitizer") != std::string::npos;
}

void record_child_sanitizer_report(ChildSanitizerReport report) {
    std::lock_guard<std::mutex> lock(reports_mutex);
    reports.push_back(std::move(report));
}

std::vector<ChildSanitizerReport> take_child_sanitizer_reports() {
    std::lock_guard<std::mutex> lock(reports_mutex);
    return std::exchange(reports, {});
}

}  // namespace wstest
