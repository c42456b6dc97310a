# Sourced by the scripts: where things are, and one way to set up, configure and build.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
JOBS=${JOBS:-$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)}

# setup [--tests] [PACKAGE...]: install what is missing (scripts/setup.sh),
# unless SKIP_SETUP=1 says you have done it yourself.
setup() {
  [ -n "${SKIP_SETUP:-}" ] || "$ROOT/scripts/setup.sh" "$@"
}

# build [target...]: configure once (or when CMake asks), then build
# incrementally, with CMake's percentages as progress. Configure's output goes
# to a log; only our own "wsdemo:" lines are shown, or all of it if it fails.
build() {
  local werror=OFF
  [ -n "${CI:-}" ] && werror=ON
  local log="$BUILD_DIR/configure.log"
  mkdir -p "$BUILD_DIR"
  [ -f "$BUILD_DIR/CMakeCache.txt" ] || echo "== configuring $BUILD_DIR (once)"
  # shellcheck disable=SC2086  # CMAKE_ARGS is a list of words on purpose
  if ! cmake -S "$ROOT" -B "$BUILD_DIR" -DWSDEMO_WERROR=$werror ${CMAKE_ARGS:-} >"$log" 2>&1; then
    cat "$log" >&2
    echo "== configuring failed (the whole output is above, and in $log)" >&2
    return 1
  fi
  grep -E "^-- (wsdemo|Tests)" "$log" | sed 's/^-- /   /' || true
  local targets=()
  for target in "$@"; do targets+=(--target "$target"); done
  echo "== building ${*:-everything} with $JOBS jobs"
  cmake --build "$BUILD_DIR" -j "$JOBS" ${targets[@]+"${targets[@]}"}
}

# use_sanitizer address|thread: build in build-<name> with that sanitizer, and
# let any report end the run.
use_sanitizer() {
  BUILD_DIR="$ROOT/build-$1"
  CMAKE_ARGS="${CMAKE_ARGS:-} -DWSDEMO_SANITIZE=$1 -DCMAKE_BUILD_TYPE=Debug"
  export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:abort_on_error=1"
  export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
  export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1"
}

# step_dir NN|final: the folder of a snapshot, or an error.
step_dir() {
  if [ "$1" = final ]; then echo "$ROOT/final"; return; fi
  local matches=("$ROOT"/steps/"$1"-*)
  if [ ! -d "${matches[0]}" ]; then
    echo "no step '$1' (steps: $(cd "$ROOT/steps" && ls -d [0-9][0-9]-* | cut -c1-2 | tr '\n' ' ')final)" >&2
    return 1
  fi
  echo "${matches[0]}"
}
