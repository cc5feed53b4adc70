#!/usr/bin/env bash
# Builds the safetensors header fuzzer with clang + libFuzzer + ASan/UBSan, independently of the
# CMake build (the parser is plain C++), and runs it for a short while on the committed corpus.
# Usage: run_fuzz_smoke.sh SOURCE_DIR BUILD_DIR [SECONDS]
set -euo pipefail

src=${1:?usage: run_fuzz_smoke.sh SOURCE_DIR BUILD_DIR [SECONDS]}
build=${2:?usage: run_fuzz_smoke.sh SOURCE_DIR BUILD_DIR [SECONDS]}
seconds=${3:-30}

clangxx=""
for candidate in clang++ clang++-14 clang++-15 clang++-16; do
  if command -v "$candidate" >/dev/null; then clangxx=$candidate; break; fi
done
if [ -z "$clangxx" ]; then
  echo "run_fuzz_smoke: FAILED: clang++ not found (install clang and libclang-rt-14-dev," \
       "see installer/install-deps.sh)" >&2
  exit 1
fi

sources=(
  "$src/tests/fuzz/fuzz_safetensors_header.cpp"
  "$src/engine/src/io/safetensors.cpp"
  "$src/engine/src/io/json_strict.cpp"
  "$src/engine/src/io/mapped_file.cpp"
)
headers=("$src"/engine/include/loralab/*.h "$src"/engine/src/io/*.h)
out="$build/fuzz"
binary="$out/fuzz_safetensors_header"
mkdir -p "$out"

# Rebuild only when a source or header is newer than the binary.
rebuild=1
if [ -x "$binary" ]; then
  rebuild=0
  for f in "${sources[@]}" "${headers[@]}" "$0"; do
    if [ "$f" -nt "$binary" ]; then rebuild=1; break; fi
  done
fi
if [ "$rebuild" = 1 ]; then
  echo "run_fuzz_smoke: compiling with $clangxx"
  if ! "$clangxx" -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined \
      -fno-sanitize-recover=undefined -I "$src/engine/include" -I "$src/engine/src" \
      "${sources[@]}" -o "$binary.tmp"; then
    echo "run_fuzz_smoke: FAILED to build the fuzzer (is libclang-rt-14-dev, libFuzzer, installed?)" >&2
    exit 1
  fi
  mv "$binary.tmp" "$binary"
fi

# New inputs go to a scratch corpus so the committed seeds stay as they are.
work="$out/corpus"
rm -rf "$work"
mkdir -p "$work"
echo "run_fuzz_smoke: fuzzing for ${seconds}s"
# A crash, leak or sanitizer report makes the fuzzer exit non-zero; its input lands in $out.
"$binary" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
  -dict="$src/tests/fuzz/safetensors.dict" -artifact_prefix="$out/" -print_final_stats=1 \
  "$work" "$src/tests/fuzz/corpus"
