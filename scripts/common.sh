# Sourced by the scripts: where things are, and one way to configure and build.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}

# build [target...]: configure once (or when CMake asks), then build incrementally.
build() {
  local werror=OFF
  [ -n "${CI:-}" ] && werror=ON
  cmake -S "$ROOT" -B "$BUILD_DIR" -DWSDEMO_WERROR=$werror ${CMAKE_ARGS:-} >/dev/null
  local targets=()
  for target in "$@"; do targets+=(--target "$target"); done
  cmake --build "$BUILD_DIR" -j "$JOBS" "${targets[@]}"
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
