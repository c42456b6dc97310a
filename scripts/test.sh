#!/usr/bin/env bash
# Builds everything and runs every test. Extra arguments go to ctest:
#   scripts/test.sh -L step05        one step's tests
#   scripts/test.sh --sanitize=address|thread   the whole suite under sanitizers (own build folder)
set -euo pipefail
source "$(dirname "$0")/common.sh"
setup --tests

ctest_args=()
for argument in "$@"; do
  case "$argument" in
    --sanitize=address|--sanitize=thread)
      use_sanitizer "${argument#--sanitize=}" ;;
    --sanitize=*) echo "test.sh: --sanitize takes address or thread" >&2; exit 2 ;;
    *) ctest_args+=("$argument") ;;
  esac
done

# The tests are the point here: a missing Catch2 stops CMake instead of leaving them out.
CMAKE_ARGS="${CMAKE_ARGS:-} -DWSDEMO_REQUIRE_TESTS=ON"
build
cd "$BUILD_DIR"
echo "== running the tests"
# --no-tests=error: a label that selects nothing is a failure, not a pass.
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
ctest --output-on-failure --no-tests=error -j "$JOBS" ${ctest_args[@]+"${ctest_args[@]}"} \
  | tee "$log" || status=$?
# ctest counts a skipped test as passed; say so, and how to run them.
if grep -q "^[[:space:]]*[0-9]* - interop\..*(Skipped)" "$log"; then
  echo "note: interop tests were skipped: their peers (Python websockets, Node ws, Chromium)"
  echo "      are not installed. scripts/interop.sh installs them and runs those tests."
fi
exit $status
