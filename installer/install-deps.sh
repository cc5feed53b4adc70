#!/usr/bin/env bash
# Installs every Debian 12 package LoRA Lab needs to build, test and run. Idempotent: installs only
# what is missing. Runs as root, or through sudo when available.
set -euo pipefail

packages=(
  # build
  build-essential cmake ninja-build ccache pkg-config git
  # engine
  libtorch-dev libsqlite3-dev nlohmann-json3-dev libpcre2-dev
  # cblas.h and libblas.so: the training attention kernel calls BLAS directly
  libblas-dev
  # OpenBLAS takes over the libblas alternative: without it LibTorch's matmuls run ~40x slower
  libopenblas0-openmp
  # ui
  qt6-base-dev libqcustomplot-dev libgl-dev
  # packaging: SVG icon rendered to PNG sizes (Qt Svg), .deb checks (lintian, desktop file, AppStream)
  qt6-svg-dev dpkg-dev fakeroot lintian desktop-file-utils appstream
  # tests: reference GPT-2 tokenizer (npm), fuzzing (clang + libFuzzer), headless GUI
  nodejs npm clang libclang-rt-14-dev xvfb xauth
  # tests: report PDFs checked with pdftotext / pdfinfo and turned into PNGs with pdftoppm
  poppler-utils
)

missing=()
for p in "${packages[@]}"; do
  # Node.js from another source (e.g. NodeSource) brings its own npm and conflicts with Debian's.
  if [ "$p" = npm ] && command -v npm >/dev/null; then continue; fi
  if [ "$p" = nodejs ] && command -v node >/dev/null; then continue; fi
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: run as root (missing: ${missing[*]})" >&2; exit 1; }
  SUDO="sudo"
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
