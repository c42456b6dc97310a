#!/usr/bin/env bash
# Builds everything and runs every test. Extra arguments go to ctest:
#   scripts/test.sh -L step05        one step's tests
#   scripts/test.sh --sanitize=address|thread   the whole suite under sanitizers (own build folder)
set -euo pipefail
source "$(dirname "$0")/common.sh"
"$ROOT/scripts/setup.sh"

ctest_args=()
for argument in "$@"; do
  case "$argument" in
    --sanitize=address|--sanitize=thread)
      sanitizer=${argument#--sanitize=}
      BUILD_DIR="$ROOT/build-$sanitizer"
      CMAKE_ARGS="${CMAKE_ARGS:-} -DWSDEMO_SANITIZE=$sanitizer -DCMAKE_BUILD_TYPE=Debug"
      export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:abort_on_error=1"
      export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
      export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1"
      ;;
    --sanitize=*) echo "test.sh: --sanitize takes address or thread" >&2; exit 2 ;;
    *) ctest_args+=("$argument") ;;
  esac
done

build
cd "$BUILD_DIR"
# --no-tests=error: a label that selects nothing is a failure, not a pass.
ctest --output-on-failure --no-tests=error -j "$JOBS" "${ctest_args[@]}"
