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
skipped=$(grep -c "^[[:space:]]*[0-9]* - .*(Skipped)" "$log" || true)
if [ "$skipped" -gt 0 ]; then
  echo "note: $skipped tests were skipped: the real peers they need (Python websockets,"
  echo "      Node ws, Chromium, nginx, redis-server) are not installed."
  echo "      scripts/interop.sh installs them and runs those tests."
fi
exit $status
