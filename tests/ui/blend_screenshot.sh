#!/usr/bin/env bash
# A screenshot of the blend playground with three real adapters, under Xvfb (the real X11 path,
# not the offscreen plugin): trains fairy-tale, science-fiction and mystery adapters on the bundled
# model with loralab-cli (a few steps each, in a temporary folder), then runs test_blend_page's
# screenshot case on them: two enabled at λ 0.7 and 0.5, the third off at −0.2, a story generated.
#
# usage: tests/ui/blend_screenshot.sh [BUILD_DIR] [OUT.png] [STEPS]
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="$(cd "${1:-$root/build}" && pwd)"
out="${2:-$PWD/blend_playground.png}"
steps="${3:-30}"
cli="$build/app/loralab-cli"
test_bin="$build/tests/test_blend_page"
for f in "$cli" "$test_bin"; do
  [[ -x "$f" ]] || { echo "blend_screenshot.sh: $f not built" >&2; exit 2; }
done
command -v xvfb-run >/dev/null || { echo "blend_screenshot.sh: xvfb-run not installed (apt install xvfb)" >&2; exit 2; }
model="$root/resources/models/base"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
adapters=()
for style in fairy_tale science_fiction mystery; do
  "$cli" train --model "$model" --data "$root/resources/datasets/$style/train.jsonl" \
    --out "$work/$style" --name "$style" --rank 8 --alpha 16 --targets attention-qkvo \
    --steps "$steps" --batch 8 --seq 128 --lr 2e-3 --warmup 2 --eval-every 0 --seed 1 \
    >/dev/null
  adapters+=("$work/$style")
done
LORALAB_BLEND_SHOT="$out" LORALAB_BLEND_MODEL="$model" \
LORALAB_BLEND_ADAPTERS="$(IFS=:; echo "${adapters[*]}")" QT_QPA_PLATFORM=xcb \
  xvfb-run -a -s "-screen 0 1600x1000x24" "$test_bin" screenshot_with_three_adapters
echo "blend_screenshot.sh: wrote $out"
