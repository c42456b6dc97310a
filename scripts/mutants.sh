#!/usr/bin/env bash
# Deliberately broken servers that the tests must catch (tests/mutants/mutants.py):
#   scripts/mutants.sh             every mutant
#   scripts/mutants.sh NAME...     the named ones
set -euo pipefail
source "$(dirname "$0")/common.sh"
# Two mutants break step 21's resume: its failover test needs a real redis-server,
# and must fail for want of one, not be skipped (a skipped test would let them survive).
missing=()
command -v redis-server >/dev/null || missing+=(redis-server)
command -v redis-cli >/dev/null || missing+=(redis-tools)
setup --tests ${missing[@]+"${missing[@]}"}
export WSTEST_INTEROP_REQUIRED=1
exec python3 "$ROOT/tests/mutants/mutants.py" "$@"
