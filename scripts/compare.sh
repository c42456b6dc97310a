#!/usr/bin/env bash
# What a step changed:  compare.sh 03        step 02 → step 03
#                       compare.sh 07 final  step 07 → final/
set -euo pipefail
source "$(dirname "$0")/common.sh"

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  echo "usage: scripts/compare.sh STEP [OTHER]   e.g. compare.sh 03, compare.sh 07 final" >&2
  exit 2
fi
if [ $# -eq 1 ]; then
  [ "$1" = final ] && { echo "compare.sh: give the step to compare final with, e.g. compare.sh 07 final" >&2; exit 2; }
  new=$(step_dir "$1")
  old=$(step_dir "$(printf '%02d' $((10#$1 - 1)))")
else
  old=$(step_dir "$1")
  new=$(step_dir "$2")
fi

cd "$ROOT"
color=never
[ -t 1 ] && color=always
# git diff --no-index exits 1 when the folders differ: that is the point, not an error.
git diff --no-index --color=$color --stat "${old#"$ROOT"/}" "${new#"$ROOT"/}" || true
git diff --no-index --color=$color "${old#"$ROOT"/}" "${new#"$ROOT"/}" || true
