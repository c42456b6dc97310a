#!/usr/bin/env bash
# How long the build takes, with and without the prebuilt websocketpp
# instances (cmake/prebuilt, CMake option WSDEMO_PREBUILT_WEBSOCKETPP).
#
#   scripts/bench-build.sh            both columns, then a table
#   KEEP=1 scripts/bench-build.sh     keep the build folders and logs (path printed)
#
# Every build goes to a fresh folder under a temporary directory, never build/,
# with the default build type (Debug). Each figure is wall time and, in
# brackets, the CPU time of the command and everything it ran: on a shared
# machine other people's builds inflate the first, much less the second.
set -euo pipefail
source "$(dirname "$0")/common.sh"

command -v /usr/bin/time >/dev/null || { echo "bench-build.sh needs GNU time (/usr/bin/time)" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/wsdemo-bench-build.XXXXXX")
if [ -n "${KEEP:-}" ]; then
  echo "build folders and logs kept in $work" >&2
else
  trap 'rm -rf "$work"' EXIT
fi
output=$work/commands.out  # everything the builds and tests print

# One step server is the learner's usual target: step 06's (the drift-free loop) if it exists.
target=step01_server
source_file=$(step_dir 01)/server.cpp
if [ -f "$ROOT/steps/06-send-loop/server.cpp" ]; then
  target=step06_server
  source_file=$ROOT/steps/06-send-loop/server.cpp
fi

# Every compile goes through this launcher, which appends "<peak RSS KiB>
# <wall s> <user s> <sys s> <source>" to $WSDEMO_BENCH_LOG: the cost of each
# compiler job on its own.
launcher=$work/time-compile.sh
cat >"$launcher" <<'EOF'
#!/usr/bin/env bash
source=?
previous=
for argument in "$@"; do
  [ "$previous" = -c ] && source=$argument
  previous=$argument
done
exec /usr/bin/time -a -o "$WSDEMO_BENCH_LOG" -f "%M %e %U %S $source" "$@"
EOF
chmod +x "$launcher"

declare -A result

# measure <key> <command...>: "<wall> s (<cpu> s CPU)" of the command and all
# its children into result[<key>]; returns the command's status.
measure() {
  local key=$1 times status=0
  shift
  local TIMEFORMAT='%R %U %S'
  times=$( { time "$@" >>"$output" 2>&1; } 2>&1 ) || status=$?
  result[$key]=$(awk '{ printf "%.1f s (%.0f s CPU)", $1, $2 + $3 }' <<<"${times##*$'\n'}")
  return $status
}

configure() {  # configure <dir> <ON|OFF>
  cmake -S "$ROOT" -B "$1" -DWSDEMO_PREBUILT_WEBSOCKETPP="$2" \
    -DCMAKE_CXX_COMPILER_LAUNCHER="$launcher"
}
configure_and_build() {  # configure_and_build <dir> <ON|OFF> [cmake --build options]
  configure "$1" "$2" && cmake --build "$1" -j "$JOBS" "${@:3}"
}

# Deleting the object file forces exactly the recompile + relink an edit of
# that source would, without touching a tracked file other people may be editing.
forget_object() {  # forget_object <dir> <target> <source>
  find "$1" -path "*/$2.dir/*" -name "$(basename "$3").o" -delete
}

# Over the compile jobs whose source matches a regex:
log_max_rss() {  # largest peak RSS, MB
  awk -v re="$2" '$5 ~ re && $1 > max { max = $1 } END { printf "%d MB", max / 1024 }' "$1"
}
log_cpu() {  # total CPU seconds
  awk -v re="$2" '$5 ~ re { sum += $3 + $4 } END { printf "%.1f s CPU", sum }' "$1"
}

run_column() {  # run_column <ON|OFF>
  local mode=$1 dir log failed
  echo "== WSDEMO_PREBUILT_WEBSOCKETPP=$mode" >&2

  dir=$work/full-$mode
  log=$dir.log
  export WSDEMO_BENCH_LOG=$log
  measure "full,$mode" configure_and_build "$dir" "$mode"
  result[rss_program,$mode]=$(log_max_rss "$log" '/steps/|/final/')
  result[rss_any,$mode]=$(log_max_rss "$log" .)
  result[prebuilt,$mode]=-
  if [ "$mode" = ON ]; then
    result[prebuilt,$mode]="$(log_cpu "$log" /cmake/prebuilt/), $(log_max_rss "$log" /cmake/prebuilt/)"
  fi

  dir=$work/one-$mode
  export WSDEMO_BENCH_LOG=$dir.log
  measure "one,$mode" configure_and_build "$dir" "$mode" --target "$target"

  log=$work/edit-$mode.log
  export WSDEMO_BENCH_LOG=$log
  forget_object "$dir" "$target" "$source_file"
  measure "edit,$mode" cmake --build "$dir" -j "$JOBS" --target "$target"
  result[tu,$mode]="$(log_cpu "$log" "$source_file"), $(log_max_rss "$log" "$source_file")"

  if [ -x "$ROOT/scripts/test.sh" ]; then
    # A failing test is reported in the table, not fatal: the timing is the point.
    dir=$work/test-$mode
    export WSDEMO_BENCH_LOG=$dir.log
    failed=
    BUILD_DIR=$dir CMAKE_ARGS="-DWSDEMO_PREBUILT_WEBSOCKETPP=$mode -DCMAKE_CXX_COMPILER_LAUNCHER=$launcher" \
      measure "test,$mode" "$ROOT/scripts/test.sh" || failed=" FAILED"
    result[test,$mode]+=$failed
    if [ -d "$ROOT/tests/step01" ]; then
      forget_object "$dir" step01_server "$(step_dir 01)/server.cpp"
      failed=
      BUILD_DIR=$dir measure "test01,$mode" "$ROOT/scripts/test.sh" -L step01 || failed=" FAILED"
      result[test01,$mode]+=$failed
    fi
  fi
}

run_column OFF
run_column ON

row() { printf '%-52s %-24s %-24s\n' "$1" "${result[$2,OFF]:--}" "${result[$2,ON]:--}"; }
echo
echo "cores: $(nproc 2>/dev/null || echo ?)   jobs: $JOBS   build type: Debug (default)   target: $target"
printf '%-52s %-24s %-24s\n' "" "before (prebuilt OFF)" "after (prebuilt ON)"
row "cold full build (configure + all targets)" full
row "cold $target (configure + its dependencies)" one
row "edit $(basename "$source_file") of $target: rebuild + relink" edit
row "  that compile job alone: CPU, peak RSS" tu
row "peak RSS of one compile job: steps/, final/" rss_program
row "peak RSS of one compile job: any (tests too)" rss_any
row "prebuilt instances (one-off): CPU, peak RSS" prebuilt
if [ -x "$ROOT/scripts/test.sh" ]; then
  row "scripts/test.sh, fresh build folder (build + run)" test
  if [ -d "$ROOT/tests/step01" ]; then
    row "scripts/test.sh -L step01 after an edit of step 01" test01
  fi
fi
if [[ "${result[test,OFF]:-}${result[test,ON]:-}${result[test01,OFF]:-}${result[test01,ON]:-}" == *FAILED* ]]; then
  echo "some tests failed; rerun with KEEP=1 and see commands.out" >&2
fi
