// The one place that knows which Catch2 the tests are built with. Catch2 2.13
// (Debian 12, Ubuntu 22.04) is a single header; Catch2 3.x (Debian 13,
// Ubuntu 24.04) is a library with one header per part and renamed a few APIs.
// tests/CMakeLists.txt sets WSTEST_CATCH2_MAJOR; test files include this header
// and use only what both versions have, plus the names below.
#pragma once

#if WSTEST_CATCH2_MAJOR >= 3
#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>
#else
#include <catch2/catch.hpp>
#endif

#include <string>

namespace wstest {

// The exit code ctest counts as "skipped", for a test program that ends itself
// because something it needs is not installed: Catch2 3's test discovery sets
// SKIP_RETURN_CODE 4 (what a run of skipped tests returns) over any other; with
// Catch2 2 the CMake files set 77.
#if WSTEST_CATCH2_MAJOR >= 3
inline constexpr int skipped_exit_code = 4;
#else
inline constexpr int skipped_exit_code = 77;
#endif

// "the text contains `part`", for CHECK_THAT.
inline auto contains_text(const std::string& part) {
#if WSTEST_CATCH2_MAJOR >= 3
    return Catch::Matchers::ContainsSubstring(part);
#else
    return Catch::Matchers::Contains(part);
#endif
}

}  // namespace wstest
