#!/usr/bin/env bash
# R1 / R1-full training benchmark (shared/design/PERFORMANCE.md, issue 4), the engine and the
# PyTorch-in-Python peer side by side in one invocation:
#   - R1 LoRA fp32 and bf16 (the peer under torch.autocast bf16), engine / peer tokens/s;
#   - R1-full fp32 in the engine, LoRA step time / full step time;
#   - peak RSS of LoRA against full training on a larger model (hidden 512, 8 layers), each in its
#     own process, as trained by default and with activation checkpointing (--recompute) on both.
# Rounds interleave the variants (and alternate their order) so that drifting machine load hits
# them alike; each figure is the median over rounds. The two sides of each ratio run next to each
# other in every round (full and LoRA, LoRA and peer fp32, engine and peer bf16): this machine's
# speed drifts by ±10% over minutes, so a pair measured minutes apart differs by more than the
# code does. Prints the ratios against the targets:
# engine/peer ≥ 1.5 (fp32 and bf16), LoRA step ≤ 0.75 × full step, LoRA peak RSS ≤ 0.6 × full.
#
# usage: bench/run_train_bench.sh [--cli PATH] [--rounds 3] [--threads 2] [--steps 20]
#                                 [--warmup 3] [--skip-memory]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
cli="${LORALAB_CLI:-}"
rounds=3 threads=2 steps=20 warmup=3 memory=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --cli) cli="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --steps) steps="$2"; shift 2 ;;
    --warmup) warmup="$2"; shift 2 ;;
    --skip-memory) memory=0; shift ;;
    *) echo "run_train_bench.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
if [[ -z "$cli" ]]; then
  for candidate in "$root"/build/app/loralab-cli "$root"/build-me/app/loralab-cli; do
    [[ -x "$candidate" ]] && { cli="$candidate"; break; }
  done
fi
[[ -x "$cli" ]] || { echo "run_train_bench.sh: loralab-cli not found; pass --cli PATH" >&2; exit 2; }
python=/usr/bin/python3  # Debian's python3-torch lives here, not in a pyenv interpreter
"$python" -c 'import torch' 2>/dev/null || { echo "run_train_bench.sh: $python cannot import torch (install python3-torch)" >&2; exit 2; }

# loralab-cli re-executes itself with OPENBLAS_CORETYPE set when OpenBLAS 0.3.21 falls back to its
# Prescott kernels on an AVX-512 CPU; give the peer the same kernels so the ratio is about the code.
blas_core="$(OPENBLAS_VERBOSE=2 "$python" -c 'import torch; torch.ones(64, 64) @ torch.ones(64, 64)' 2>&1 | sed -n 's/^Core: //p' | head -1)"
if [[ "${blas_core,,}" == prescott && -z "${OPENBLAS_CORETYPE:-}" ]] && grep -qw avx512f /proc/cpuinfo; then
  export OPENBLAS_CORETYPE=SKYLAKEX
fi
echo "OpenBLAS kernels: ${OPENBLAS_CORETYPE:-${blas_core:-unknown}}; $threads threads; $steps timed steps after $warmup" >&2

common=(--threads "$threads" --steps "$steps" --warmup "$warmup")
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
engine() { "$cli" bench train --json "${common[@]}" "$@"; }
peer() { "$python" "$here/python/train_baseline.py" "${common[@]}" "$@"; }
variants=(engine_full_fp32 engine_fp32 peer_fp32 engine_bf16 peer_bf16)
run_variant() {
  case "$1" in
    engine_fp32) engine ;;
    peer_fp32) peer ;;
    engine_bf16) engine --precision bf16 ;;
    peer_bf16) peer --precision bf16 ;;
    engine_full_fp32) engine --full ;;
  esac >>"$out/$1.jsonl"
}
for ((round = 1; round <= rounds; ++round)); do
  echo "round $round/$rounds ..." >&2
  if ((round % 2 == 1)); then order=("${variants[@]}"); else order=(); for ((i = ${#variants[@]} - 1; i >= 0; --i)); do order+=("${variants[i]}"); done; fi
  for v in "${order[@]}"; do run_variant "$v"; done
done
if ((memory)); then
  echo "memory: hidden 512, 8 layers ..." >&2
  big=(--hidden 512 --layers 8 --heads 8 --kv-heads 4 --intermediate 1376 --steps 2 --warmup 1 --threads "$threads")
  "$cli" bench train --json "${big[@]}" >"$out/memory_lora.jsonl"
  "$cli" bench train --json "${big[@]}" --full >"$out/memory_full.jsonl"
  # At batch 1 activations shrink and the weight state (gradients, AdamW moments) shows.
  "$cli" bench train --json "${big[@]}" --batch 1 >"$out/memory_lora_b1.jsonl"
  "$cli" bench train --json "${big[@]}" --batch 1 --full >"$out/memory_full_b1.jsonl"
  # Activation checkpointing: each layer keeps only its input and runs again in backward.
  "$cli" bench train --json "${big[@]}" --recompute >"$out/memory_lora_recompute.jsonl"
  "$cli" bench train --json "${big[@]}" --recompute --full >"$out/memory_full_recompute.jsonl"
fi

"$python" - "$out" "$threads" <<'PY'
import json, os, statistics, sys
out, threads = sys.argv[1], sys.argv[2]
def load(name):
    path = os.path.join(out, name + ".jsonl")
    return [json.loads(line) for line in open(path)] if os.path.exists(path) else []
def med(rows, key):
    return statistics.median(r[key] for r in rows)
rows = {v: load(v) for v in ["engine_fp32", "peer_fp32", "engine_bf16", "peer_bf16", "engine_full_fp32"]}
print(f"R1 training, {threads} threads, tokens/s (median over rounds; per round in brackets)")
for name, r in rows.items():
    rounds = ", ".join("%.0f" % x["tokens_per_s"] for x in r)
    print(f"  {name:18s} {med(r, 'tokens_per_s'):9.1f}   step {med(r, 'step_ms'):8.1f} ms   "
          f"per CPU second {med(r, 'cpu_tokens_per_s'):8.1f}   [{rounds}]")
ratios = {}
def ratio(label, value, target, higher=True):
    ok = value >= target if higher else value <= target
    ratios[label] = value
    print(f"  {label:38s} {value:6.3f}  (target {'≥' if higher else '≤'} {target}: {'met' if ok else 'MISSED'})")
ratio("engine / peer, fp32", med(rows["engine_fp32"], "tokens_per_s") / med(rows["peer_fp32"], "tokens_per_s"), 1.5)
ratio("engine / peer, bf16", med(rows["engine_bf16"], "tokens_per_s") / med(rows["peer_bf16"], "tokens_per_s"), 1.5)
ratio("LoRA step / full step (engine fp32)", med(rows["engine_fp32"], "step_ms") / med(rows["engine_full_fp32"], "step_ms"), 0.75, higher=False)
paired = [l["step_ms"] / f["step_ms"] for l, f in zip(rows["engine_fp32"], rows["engine_full_fp32"])]
print("  LoRA / full step per round (measured back to back): " + ", ".join("%.3f" % x for x in paired))
cpu = med(rows["engine_fp32"], "cpu_tokens_per_s") / med(rows["peer_fp32"], "cpu_tokens_per_s")
print(f"  per CPU second (less sensitive to other load): engine/peer fp32 {cpu:.3f}, bf16 "
      f"{med(rows['engine_bf16'], 'cpu_tokens_per_s') / med(rows['peer_bf16'], 'cpu_tokens_per_s'):.3f}")
lora, full = load("memory_lora"), load("memory_full")
if lora and full:
    print(f"  peak RSS at hidden 512, 8 layers: LoRA {lora[0]['peak_rss_bytes'] / 2**20:.0f} MiB, "
          f"full {full[0]['peak_rss_bytes'] / 2**20:.0f} MiB")
    ratio("LoRA peak RSS / full peak RSS", lora[0]["peak_rss_bytes"] / full[0]["peak_rss_bytes"], 0.6, higher=False)
    lora1, full1 = load("memory_lora_b1"), load("memory_full_b1")
    if lora1 and full1:
        print(f"  the same at batch 1: LoRA {lora1[0]['peak_rss_bytes'] / 2**20:.0f} MiB, full "
              f"{full1[0]['peak_rss_bytes'] / 2**20:.0f} MiB, ratio "
              f"{lora1[0]['peak_rss_bytes'] / full1[0]['peak_rss_bytes']:.3f}")
    lorar, fullr = load("memory_lora_recompute"), load("memory_full_recompute")
    if lorar and fullr:
        mib = lambda rows: rows[0]["peak_rss_bytes"] / 2**20
        print(f"  with --recompute on both: LoRA {mib(lorar):.0f} MiB (step {lorar[0]['step_ms']:.0f} ms, "
              f"{lora[0]['step_ms']:.0f} without), full {mib(fullr):.0f} MiB (step "
              f"{fullr[0]['step_ms']:.0f} ms, {full[0]['step_ms']:.0f} without)")
        ratio("LoRA peak RSS / full, both --recompute", mib(lorar) / mib(fullr), 0.6, higher=False)
        print(f"  LoRA with --recompute / full as trained by default: {mib(lorar) / mib(full):.3f}")
print(json.dumps({"ratios": ratios, "tokens_per_s": {k: med(v, "tokens_per_s") for k, v in rows.items()}}))
PY
