#!/usr/bin/env bash
# Installs what this project needs, only what is missing, with the system's
# package manager, and says what it is doing:
#   scripts/setup.sh              the programs (what scripts/run.sh builds)
#   scripts/setup.sh --tests      the programs and the tests (scripts/test.sh)
#   scripts/setup.sh [--tests] PACKAGE...   also these Debian packages
#
# apt on Debian 12/13 and Ubuntu 22.04/24.04, dnf on Fedora. Anywhere else it
# prints exactly what to install and exits 1. Where the system's websocketpp or
# Asio is missing or too new, CMake fetches pinned sources (WSDEMO_FETCH_DEPS).
set -euo pipefail

tests=no
extra=()
for argument in "$@"; do
  case "$argument" in
    --tests) tests=yes ;;
    *) extra+=("$argument") ;;
  esac
done

say() { echo "setup: $*" >&2; }

# ID and VERSION_ID of this system ("debian" "13", "ubuntu" "24.04", ...).
os_id=unknown
os_version=
if [ -r /etc/os-release ]; then
  os_id=$(. /etc/os-release && echo "${ID:-unknown}")
  os_version=$(. /etc/os-release && echo "${VERSION_ID:-}")
fi
[ "$(uname -s)" = Darwin ] && os_id=macos

# The package names, per family. The same Debian names hold on every release
# we support; what differs is what they bring: Catch2 2.13 (Debian 12, Ubuntu
# 22.04) or 3.x (Debian 13, Ubuntu 24.04), Asio 1.18 to 1.30. CMake reads the
# versions and accepts all of them.
apt_packages=(g++ cmake make git libwebsocketpp-dev libasio-dev libssl-dev openssl libhiredis-dev)
apt_test_packages=(catch2 python3)
dnf_packages=(gcc-c++ cmake make git websocketpp-devel asio-devel openssl-devel openssl hiredis-devel)
dnf_test_packages=(catch-devel python3)

case "$os_id" in
  debian)
    case "$os_version" in
      12|13) ;;
      *) say "Debian $os_version is not one we verify (12 and 13 are); trying the same packages" ;;
    esac
    family=apt ;;
  ubuntu)
    case "$os_version" in
      22.04|24.04) ;;
      *) say "Ubuntu $os_version is not one we verify (22.04 and 24.04 are); trying the same packages" ;;
    esac
    family=apt ;;
  fedora) family=dnf ;;
  *)
    # Debian's derivatives (Mint, Pop!_OS, WSL images) have apt and the same names.
    if command -v apt-get >/dev/null && command -v dpkg-query >/dev/null; then
      family=apt
    else
      family=none
    fi ;;
esac

wanted=()
case "$family" in
  apt)
    wanted=("${apt_packages[@]}")
    [ "$tests" = yes ] && wanted+=("${apt_test_packages[@]}")
    wanted+=("${extra[@]}") ;;
  dnf)
    wanted=("${dnf_packages[@]}")
    [ "$tests" = yes ] && wanted+=("${dnf_test_packages[@]}")
    [ ${#extra[@]} -gt 0 ] && say "these are Debian names; on Fedora find their twins: ${extra[*]}" ;;
esac

installed() {
  case "$family" in
    apt) dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed" ;;
    dnf) rpm -q --quiet "$1" ;;
  esac
}

if [ "$family" = none ]; then
  say "this system ($os_id) has neither apt nor dnf, so install these yourself:"
  if [ "$os_id" = macos ]; then
    echo "  brew install cmake git python catch2 openssl@3 hiredis" >&2
    echo "  (Homebrew has no websocketpp, and its Asio is too new: CMake fetches" >&2
    echo "   websocketpp 0.8.2 and Asio 1.30.2 itself on the first build)" >&2
  else
    echo "  a C++17 compiler (g++ or clang++), CMake 3.18 or newer, make, git, OpenSSL" >&2
    echo "  (headers and the openssl command), Python 3," >&2
    echo "  and for the tests Catch2 2.13 or 3.x. websocketpp 0.8.2 and standalone Asio" >&2
    echo "  1.18 to 1.32 are optional: without them CMake fetches pinned copies." >&2
  fi
  echo "  Then run this command again with SKIP_SETUP=1 in front of it." >&2
  exit 1
fi

missing=()
for package in "${wanted[@]}"; do
  installed "$package" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=()
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null; then
    command=("dnf install -y ${missing[*]}")
    [ "$family" = apt ] && command=("apt-get update && apt-get install -y ${missing[*]}")
    say "not root and no sudo, so it cannot install ${missing[*]}; as root run: ${command[0]}"
    exit 1
  fi
  sudo=(sudo)
fi

say "installing ${missing[*]} with $family (a minute or a few, once)"
case "$family" in
  apt)
    "${sudo[@]}" apt-get update -q
    # -q keeps apt's own progress, one line per package fetched and set up.
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
      apt-get install -y -q --no-install-recommends "${missing[@]}" ;;
  dnf)
    "${sudo[@]}" dnf install -y "${missing[@]}" ;;
esac
say "done"
