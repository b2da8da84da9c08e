#!/usr/bin/env bash
# Install every build and test dependency of voc with apt-get, only when
# missing (idempotent). Runs as root, or through sudo otherwise.
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libzmq3-dev libcjson-dev libsqlite3-dev libpcre2-dev libcriterion-dev
  libcsv-dev libstemmer-dev libutf8proc-dev libmicrohttpd-dev libssl-dev libvectorscan-dev
  # make bench: the Python baseline and store checks; tests/png_colors.py
  python3 sqlite3
  # tests/test_report.c renders voc report in a real browser
  chromium
  # make fuzz: libFuzzer and the sanitizers' runtime come with clang
  clang libclang-rt-dev
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1; then
  sudo=(sudo)
else
  echo "install-deps: need root or sudo to install: ${missing[*]}" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q
"${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
