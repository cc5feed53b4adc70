#!/usr/bin/env bash
# Quality bar of the bundled base model (issue #5): base samples, a fairy-tale and a
# science-fiction LoRA adapter (r = 8 on q,k,v,o, 300 steps), their validation-loss drop, the
# signature-word shares of COUNT samples each (100: a share is then known to about ±4%), a 50/50
# blend, and the everyday loss under each adapter (forgetting). Everything goes to OUT;
# summary.json holds the figures.
# The adapters train one story per row from position 0 (PACK=0, as a sampled story starts; PACK=1
# packs stories back to back) with everyday stories mixed in (REHEARSAL: their share of the rows,
# 0 = none). OPENINGS: the share of all rows that are everyday rows with their opening scored; the
# other everyday rows leave their first UNSCORED tokens unscored. The adapter then begins an
# everyday story about OPENINGS / (OPENINGS + 1 - REHEARSAL) of the time (0.22 by default) while
# every everyday row keeps the rest of an everyday story in place. Losses are per story (each from
# position 0); summary.json also has them over packed rows.
# Measured (fairy tale / science fiction): val-loss drop, samples with signature words, everyday
# loss rise; per story, packed in brackets:
#   REHEARSAL=0.45 OPENINGS=0.155 UNSCORED=8, batch 24 (defaults), 100 samples:
#                                    34.4 / 26.5 (11.9 / 11.8)   93 / 88   4.76 / 4.04 (2.15 / 1.69)
#     the same with a dropout mask per layer (before the shared q/k/v node), 100 samples:
#                                    33.6 / 26.5 (11.4 / 12.0)   92 / 87   4.55 / 3.91 (1.98 / 1.76)
#     the same, 40 samples:                                      92.5 / 82.5
#   the next two before the flag existed, with the scored everyday rows in the training file:
#   REHEARSAL=0.45 OPENINGS=0.18, batch 24, 40 samples (p = 0.25)
#                                    33.7 / 27.4                 90 / 80   3.94 / 3.15
#   REHEARSAL=0.4 OPENINGS=0.15 UNSCORED=6, batch 20, 20 samples (p = 0.2)
#                                    35.1 / 25.8                 90 / 85   5.36 / 4.14
#   every everyday opening scored, batch 16, 20 samples:
#   REHEARSAL=0.2  lr 5e-3          35.3 / 26.3 (11.0 / 12.0)   85 / 95   6.3 / 5.1 (3.2 / 2.5)
#   REHEARSAL=0.2  lr 4e-3          34.0 / 25.6 (10.5 / 11.7)   90 / 90   5.9 / 5.0 (2.9 / 2.3)
#   REHEARSAL=0.25 lr 5e-3          35.3 / 26.6 (12.1 / 11.6)   85 / 70   5.4 / 4.1 (3.1 / 2.2)
#   REHEARSAL=0.3  lr 4e-3          32.5 / 24.6 (11.5 / 11.5)   75 / 70   3.9 / 3.0 (2.1 / 1.5)
#   packed rows, measured packed only:
#   no rehearsal, lr 2e-3           19.8 / -                    -         46.0 / -  (batch 4: 15.7/15.1, 90/85, 25.8/22.1)
#   REHEARSAL=0.15, lr 4e-3         22.0 / 20.1                 65 / 30   5.8 / 5.5
#   REHEARSAL=0.3,  lr 4e-3         20.7 / 19.0                 75 / 25   2.9 / 3.0
#   REHEARSAL=0.3, UNSCORED=16      20.7 / 19.3                 80 / 70   12.8 / 7.6
# Packed rows start anywhere in a story, so an adapter trained on them rarely sees a story begin
# at position 0 and its own samples often begin (and stay) everyday. One story per row fixes that.
# The samples and the forgetting figure are then tied through the opening: an adapter that begins
# an everyday story with probability p adds about -ln(p) nats to each (1.51 at p = 0.22), against
# 34.5-35.4 nats per everyday story for the base (182 tokens at 0.1938): 4.4% at p = 0.22. With
# all everyday openings scored, p follows REHEARSAL itself, and a share low enough for styled
# samples left the everyday body drifting too; scoring only some openings sets p apart from how
# much everyday text the adapter rehearses.
# MEASURE_ONLY=1 skips training and measures the adapters already in OUT. DATA=DIR replaces
# resources/datasets.
# usage: [BASE=DIR] [STEPS=300] [COUNT=100] [BATCH=24] [LR=5e-3] [REHEARSAL=0.45] [OPENINGS=0.155]
#        [UNSCORED=8] [PACK=0] bench/quality/run_quality.sh [OUT] [PATH/TO/loralab-cli]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$root/build/quality}
cli=${2:-$root/build/app/loralab-cli}
base=${BASE:-$root/resources/models/base}
steps=${STEPS:-300}   # adapter steps (the quality bar: 300)
count=${COUNT:-100}   # samples per model (the base fluency check reads the first 20)
batch=${BATCH:-24}    # rows of 256 tokens per adapter step
lr=${LR:-5e-3}
rehearsal=${REHEARSAL:-0.45}
unscored=${UNSCORED:-8}  # tokens at the start of each rehearsal story that carry no loss
openings=${OPENINGS:-0.155}  # share of all rows that are rehearsal rows with scored openings ("" = all)
pack=${PACK:-0}          # 0: every story is a row of its own from position 0, as samples start
data=${DATA:-$root/resources/datasets}
export OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-SKYLAKEX}
mkdir -p "$out"

samples() {  # NAME [--adapter DIR:W]...
  local name=$1
  shift
  "$cli" sample --model "$base" "$@" --count "$count" --temperature 0.8 --top-k 40 --seed 100 \
    --max-tokens 256 --threads 1 --json >"$out/samples_$name.json"
}
loss() {  # NAME DATA [--adapter DIR:W]... : per story (each from position 0) and packed
  local name=$1 file=$2
  shift 2
  "$cli" loss --model "$base" --data "$file" "$@" --no-pack --threads 1 >"$out/loss_$name.json"
  "$cli" loss --model "$base" --data "$file" "$@" --threads 1 >"$out/loss_${name}_packed.json"
}

train_adapter() {  # STYLE
  local style=$1
  local mix=()
  if [[ $rehearsal != 0 ]]; then
    mix=(--rehearsal "$data/everyday/train.jsonl" --rehearsal-share "$rehearsal"
         --rehearsal-unscored-opening "$unscored")
    if [[ -n $openings ]]; then mix+=(--rehearsal-opening-share "$openings"); fi
  fi
  if [[ $pack == 0 ]]; then mix+=(--no-pack); fi
  rm -rf "$out/adapter_$style"
  "$cli" train --model "$base" --data "$data/$style/train.jsonl" \
    --val "$data/$style/validation.jsonl" --reference "$data/everyday/validation.jsonl" \
    --rank 8 --alpha 16 --targets q_proj,k_proj,v_proj,o_proj --dropout 0.05 \
    --steps "$steps" --batch "$batch" --seq 256 --lr "$lr" --warmup 20 --schedule cosine \
    --eval-every 100 --precision fp32 --threads 1 --seed 7 --out "$out/adapter_$style" "${mix[@]}" --json \
    >"$out/train_$style.jsonl"
}

# The two adapters train side by side (one thread each) while the base is measured.
if [[ ${MEASURE_ONLY:-0} == 1 ]]; then  # measure the adapters already in OUT again
  fairy=0 science=0
else
  train_adapter fairy_tale &
  fairy=$!
  train_adapter science_fiction &
  science=$!
fi
samples base
for style in everyday fairy_tale science_fiction; do
  loss "base_$style" "$data/$style/validation.jsonl"
done
if ((fairy)); then wait $fairy; wait $science; fi

for style in fairy_tale science_fiction; do
  samples "$style" --adapter "$out/adapter_$style:1"
  loss "${style}_$style" "$data/$style/validation.jsonl" --adapter "$out/adapter_$style:1"
  loss "${style}_everyday" "$data/everyday/validation.jsonl" --adapter "$out/adapter_$style:1"
done
samples blend --adapter "$out/adapter_fairy_tale:0.5" --adapter "$out/adapter_science_fiction:0.5"

python3 - "$out" <<'PY'
import json, sys, os
out = sys.argv[1]
def load(name): return json.load(open(os.path.join(out, name)))
def loss(name, packed=False): return load(f"loss_{name}{'_packed' if packed else ''}.json")["loss"]
def share(name): return load(f"samples_{name}.json")["share_with_signature_words"]
blend = load("samples_blend.json")["samples"]
both = sum(1 for x in blend if x["signature_words"]["fairy_tale"] > 0 and x["signature_words"]["science_fiction"] > 0)
s = {"base_samples_share": share("base"), "blend_samples_share": share("blend"),
     "blend_samples_with_both_styles": both / len(blend)}
def losses(style, packed):
    base, tuned = loss(f"base_{style}", packed), loss(f"{style}_{style}", packed)
    every_base, every_tuned = loss("base_everyday", packed), loss(f"{style}_everyday", packed)
    return {
        "val_loss_base": base, "val_loss_adapter": tuned,
        "val_loss_drop_pct": 100 * (base - tuned) / base,
        "everyday_loss_base": every_base, "everyday_loss_adapter": every_tuned,
        "everyday_loss_rise_pct": 100 * (every_tuned - every_base) / every_base,
    }
for style in ("fairy_tale", "science_fiction"):
    # Losses per story (each story from position 0, as samples start; the quality bar's figures)
    # and, for comparison, over packed rows (stories back to back, rows cut anywhere).
    s[style] = {"samples_share_adapter": share(style)[style],
                "samples_share_base": share("base")[style], **losses(style, False),
                "packed": losses(style, True)}
json.dump(s, open(os.path.join(out, "summary.json"), "w"), indent=2)
print(json.dumps(s, indent=2))
PY
