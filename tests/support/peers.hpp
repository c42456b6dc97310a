// Third-party programs the tests run (Python, Node, Chromium, nginx, openssl):
// found, checked and skipped the same way in every suite, and a temporary
// folder for what they write.
#pragma once

#include "program.hpp"

#include "catch_compat.hpp"

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <system_error>
#include <unistd.h>
#include <vector>

namespace wstest {

// The full path of an executable on PATH, or of one in /usr/sbin or /sbin
// (nginx lives there, outside a normal user's PATH); "" if there is none.
inline std::string find_on_path(const std::string& name) {
    const char* path = std::getenv("PATH");
    const std::string folders = std::string(path ? path : "/usr/bin:/bin") + ":/usr/sbin:/sbin";
    for (std::size_t start = 0; start <= folders.size();) {
        std::size_t end = folders.find(':', start);
        if (end == std::string::npos) end = folders.size();
        const std::string candidate = folders.substr(start, end - start) + "/" + name;
        if (::access(candidate.c_str(), X_OK) == 0) return candidate;
        start = end + 1;
    }
    return {};
}

// True if `program args...` exits 0 within 20 s.
inline bool runs_ok(const std::string& program, std::vector<std::string> args) {
    Program check(program, std::move(args));
    return check.wait_exit(milliseconds(20000)) == 0;
}

// Called first thing in a test, while it has no children to leave behind: a
// missing peer skips the test (ctest shows "Skipped"), or fails it when
// WSTEST_INTEROP_REQUIRED is set, as scripts/interop.sh does after installing them.
inline void require_peer(bool available, const std::string& what) {
    if (available) return;
    if (std::getenv("WSTEST_INTEROP_REQUIRED"))
        FAIL(what << " is missing (scripts/interop.sh installs it)");
    std::cout << "SKIPPED: " << what << " is missing; scripts/interop.sh installs it" << std::endl;
    std::_Exit(skipped_exit_code);
}

// A fresh folder under the system's temporary one, removed with the object:
// declare it before the programs that run in it, so it outlives them.
class TempDir {
public:
    explicit TempDir(const std::string& prefix = "wstest") {
        std::string pattern =
            (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
        if (!::mkdtemp(pattern.data())) FAIL("mkdtemp failed");
        path_ = pattern;
    }
    ~TempDir() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

}  // namespace wstest
