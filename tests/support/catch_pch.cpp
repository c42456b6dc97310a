// Nothing of its own: this file exists so that the target wstest_pch builds
// the precompiled <catch2/catch.hpp> that every test program reuses.
