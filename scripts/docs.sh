#!/usr/bin/env bash
# Rewrites the code blocks of docs/*.md from the real sources (--check: only compare).
exec python3 "$(dirname "$0")/docs.py" "$@"
