#!/usr/bin/env bash
# Deliberately broken servers that the tests must catch (tests/mutants/mutants.py):
#   scripts/mutants.sh             every mutant
#   scripts/mutants.sh NAME...     the named ones
set -euo pipefail
source "$(dirname "$0")/common.sh"
setup --tests
exec python3 "$ROOT/tests/mutants/mutants.py" "$@"
