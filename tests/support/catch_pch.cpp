// Nothing of its own: this file exists so that the target wstest_pch builds
// the precompiled support/catch_compat.hpp that every test program reuses.
