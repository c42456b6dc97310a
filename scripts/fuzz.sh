#!/usr/bin/env bash
# A longer mutation run against final_server than the suite's (which has a
# fixed seed): scripts/fuzz.sh SECONDS [--sanitize=address|thread|none]
# A fresh seed each run (or WSTEST_FUZZ_SEED=N to repeat one); the seed is
# printed first, and again with how to replay should anything fail.
# Default: the ASan+UBSan build, which sees memory errors a crash would not show.
set -euo pipefail
source "$(dirname "$0")/common.sh"

usage() { echo "usage: scripts/fuzz.sh SECONDS [--sanitize=address|thread|none]" >&2; exit 2; }
[ $# -ge 1 ] && [[ $1 =~ ^[0-9]+$ ]] && [ "$1" -gt 0 ] || usage
seconds=$1
sanitizer=address
case "${2:-}" in
  "") ;;
  --sanitize=address|--sanitize=thread|--sanitize=none) sanitizer=${2#--sanitize=} ;;
  *) usage ;;
esac

setup --tests
[ "$sanitizer" = none ] || use_sanitizer "$sanitizer"
CMAKE_ARGS="${CMAKE_ARGS:-} -DWSDEMO_REQUIRE_TESTS=ON"
build hostile_tests final_server

seed=${WSTEST_FUZZ_SEED:-$(od -An -N6 -tu8 /dev/urandom | tr -d ' ')}
echo "fuzz: seed $seed, up to $seconds s, $sanitizer build"
if WSTEST_FUZZ_SEED=$seed WSTEST_FUZZ_SECONDS=$seconds WSTEST_FUZZ_CASES=1000000000 \
    "$BUILD_DIR/bin/hostile_tests" "[fuzz]"; then
  echo "fuzz: seed $seed passed"
else
  echo "fuzz: FAILED with seed $seed; replay: WSTEST_FUZZ_SEED=$seed scripts/fuzz.sh $seconds${2:+ $2}" >&2
  exit 1
fi
