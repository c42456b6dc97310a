#!/usr/bin/env bash
# Installs the Debian 12 packages this project needs, only those missing.
# Elsewhere it prints what to install and exits 1.
set -euo pipefail

packages=(g++ cmake make python3 git libwebsocketpp-dev libasio-dev catch2 "$@")

if ! command -v dpkg-query >/dev/null || ! command -v apt-get >/dev/null; then
  echo "This is not a Debian-like system; install these yourself (Debian 12 names):" >&2
  echo "  ${packages[*]}" >&2
  echo "  (websocketpp 0.8.2, standalone Asio 1.22 (< 1.33), Catch2 2.13, g++ with C++17, CMake >= 3.18)" >&2
  exit 1
fi

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "setup: installing ${missing[*]}" >&2
sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
