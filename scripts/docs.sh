#!/usr/bin/env bash
# Rewrites the code blocks of docs/**/*.md from the real sources (--check: only compare, and check
# the pt-BR twins and the links; --stamp FILE...: record which English prose a twin follows).
exec python3 "$(dirname "$0")/docs.py" "$@"
