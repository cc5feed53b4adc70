#!/usr/bin/env bash
# Regenerates the bundled story datasets with `loralab-cli stories` (deterministic by seed).
# usage: resources/datasets/make_datasets.sh [PATH/TO/loralab-cli]
set -euo pipefail
cli=${1:-build/app/loralab-cli}
here=$(cd "$(dirname "$0")" && pwd)
train_count=1000
validation_count=100
# Seeds: style number s (everyday 1, fairy_tale 2, science_fiction 3, mystery 4, sea_adventure 5)
# trains on seed 1000 + s and validates on 2000 + s; the general reference set uses 3000. None of
# them is a seed the base model's pretraining corpus used (that one derives its own from --seed).
s=0
for style in everyday fairy_tale science_fiction mystery sea_adventure; do
  s=$((s + 1))
  mkdir -p "$here/$style"
  "$cli" stories --style "$style" --count "$train_count" --seed $((1000 + s)) --out "$here/$style/train.jsonl"
  "$cli" stories --style "$style" --count "$validation_count" --seed $((2000 + s)) --out "$here/$style/validation.jsonl"
done
mkdir -p "$here/general"
"$cli" stories --style all --count 200 --seed 3000 --out "$here/general/reference.jsonl"
