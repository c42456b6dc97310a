#!/usr/bin/env bash
# What a step changed:  compare.sh 03        step 02 → step 03
#                       compare.sh 09 final  step 09 → final/
# Region markers (`// #region NAME`, `// #endregion`) are left out of the comparison.
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

# Compare copies without the region markers (`// #region NAME`, `// #endregion`):
# they are there for the docs tool, not part of what a step changed. The copies
# keep their paths relative to the repository, so the diff names the real files.
copies=$(mktemp -d)
trap 'rm -rf "$copies"' EXIT
for dir in "$old" "$new"; do
  relative=${dir#"$ROOT"/}
  mkdir -p "$copies/$relative"
  for file in "$dir"/*; do
    [ -f "$file" ] || continue
    grep -Ev '^[[:space:]]*// #(region [^[:space:]]+|endregion)[[:space:]]*$' "$file" \
      > "$copies/$relative/$(basename "$file")" || true
  done
done

cd "$copies"
color=never
[ -t 1 ] && color=always
# git diff --no-index exits 1 when the folders differ: that is the point, not an error.
git diff --no-index --color=$color --stat "${old#"$ROOT"/}" "${new#"$ROOT"/}" || true
git diff --no-index --color=$color "${old#"$ROOT"/}" "${new#"$ROOT"/}" || true
