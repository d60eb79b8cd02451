#!/usr/bin/env bash
# Installs the Debian packages naswot needs to build and test (skips what is already there).
set -euo pipefail
pkgs=(cmake g++ make libopenblas-dev libsqlite3-dev doctest-dev libopenmpi-dev openmpi-bin python3-torch python3-numpy
  python3-matplotlib python3-dev pybind11-dev bc clang-format-14 pkg-config python3-venv)
missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
