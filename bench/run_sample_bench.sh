#!/usr/bin/env bash
# G1 sampling benchmark (shared/design/PERFORMANCE.md), engine and Python peer side by side in one
# invocation: engine base, engine with N live adapters, engine with them merged, Python base. With
# --threads above 1 it also runs the engine decoding on all of them (the sampler picks one thread
# for small models by itself) and Python on one thread, so that choice can be judged.
# Rounds interleave the variants so drifting machine load hits them alike; each variant's figure
# is the median over rounds of its per-invocation medians. Prints the ratios against the targets
# (issue 3): live/base ≥ 0.8, merged/base ≥ 0.97, engine base / Python base ≥ 2. It also runs the
# engine base with LORALAB_DECODE=torch (single tokens through LibTorch operations instead of the
# engine's decoding kernels) to show what the kernels bring.
#
# usage: bench/run_sample_bench.sh [--cli PATH] [--rounds 3] [--threads 2] [--adapters 3]
#                                  [--new 256] [--repeats 5] [--precision fp32|bf16]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
cli="${LORALAB_CLI:-}"
rounds=3 threads=2 adapters=3 new=256 repeats=5 precision=fp32
while [[ $# -gt 0 ]]; do
  case "$1" in
    --cli) cli="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --adapters) adapters="$2"; shift 2 ;;
    --new) new="$2"; shift 2 ;;
    --repeats) repeats="$2"; shift 2 ;;
    --precision) precision="$2"; shift 2 ;;
    *) echo "run_sample_bench.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
if [[ -z "$cli" ]]; then
  for candidate in "$root"/build-sample/app/loralab-cli "$root"/build/app/loralab-cli; do
    [[ -x "$candidate" ]] && { cli="$candidate"; break; }
  done
fi
[[ -x "$cli" ]] || { echo "run_sample_bench.sh: loralab-cli not found; pass --cli PATH" >&2; exit 2; }
python=/usr/bin/python3  # Debian's python3-torch lives here, not in a pyenv interpreter
"$python" -c 'import torch' 2>/dev/null || { echo "run_sample_bench.sh: $python cannot import torch (install python3-torch)" >&2; exit 2; }

# OpenBLAS picks its kernels from the CPU model; an unknown CPU falls back to "Prescott" (SSE3),
# several times slower for these matrix sizes. Both sides share the library, so say which it chose.
blas_core="$(OPENBLAS_VERBOSE=2 "$python" -c 'import torch; torch.ones(64, 64) @ torch.ones(64, 64)' 2>&1 | sed -n 's/^Core: //p' | head -1)"
echo "OpenBLAS core: ${blas_core:-unknown} (OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset})" >&2
# loralab-cli re-executes itself with OPENBLAS_CORETYPE set when OpenBLAS falls back to Prescott on
# an AVX-512 CPU. Give the Python peer the same kernels so that the comparison is about the code.
if [[ "${blas_core,,}" == prescott && -z "${OPENBLAS_CORETYPE:-}" ]] && grep -qw avx512f /proc/cpuinfo; then
  export OPENBLAS_CORETYPE=SKYLAKEX
  echo "both sides run with OPENBLAS_CORETYPE=SKYLAKEX (what loralab-cli picks by itself here)" >&2
fi

common=(--new "$new" --threads "$threads" --repeats "$repeats" --warmup 1 --precision "$precision")
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
for ((round = 1; round <= rounds; ++round)); do
  echo "round $round/$rounds ..." >&2
  # Odd rounds run base first, even rounds last, so that a load trend hits base and merged alike.
  if ((round % 2 == 1)); then
    "$cli" bench sample --json "${common[@]}" >>"$out/base.jsonl"
    "$cli" bench sample --json "${common[@]}" --adapters "$adapters" >>"$out/live.jsonl"
    "$cli" bench sample --json "${common[@]}" --adapters "$adapters" --merged >>"$out/merged.jsonl"
  else
    "$cli" bench sample --json "${common[@]}" --adapters "$adapters" --merged >>"$out/merged.jsonl"
    "$cli" bench sample --json "${common[@]}" --adapters "$adapters" >>"$out/live.jsonl"
    "$cli" bench sample --json "${common[@]}" >>"$out/base.jsonl"
  fi
  "$python" "$here/python/sample_baseline.py" "${common[@]}" >>"$out/python.jsonl"
  LORALAB_DECODE=torch "$cli" bench sample --json "${common[@]}" >>"$out/base_libtorch.jsonl"
  if ((threads > 1)); then
    "$cli" bench sample --json "${common[@]}" --decode-threads "$threads" >>"$out/base_all_threads.jsonl"
    "$python" "$here/python/sample_baseline.py" "${common[@]}" --threads 1 >>"$out/python_1_thread.jsonl"
  fi
done

"$python" - "$out" "$adapters" "$threads" "$precision" <<'PY'
import json, statistics, sys
out, adapters, threads, precision = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
def load(name):
    rows = [json.loads(line) for line in open(f"{out}/{name}.jsonl") if line.strip()]
    return {"tokens_per_s": statistics.median(r["tokens_per_s"] for r in rows),
            "first_token_ms": statistics.median(r["first_token_ms"] for r in rows),
            "cpu_tokens_per_s": statistics.median(r["cpu_tokens_per_s"] for r in rows),
            "rounds_tokens_per_s": [round(r["tokens_per_s"], 1) for r in rows]}
import os
names = ["base", "live", "merged", "python", "base_libtorch", "base_all_threads", "python_1_thread"]
v = {name: load(name) for name in names if os.path.exists(f"{out}/{name}.jsonl")}
ratios = [
    (f"engine live-{adapters} / engine base", v["live"]["tokens_per_s"] / v["base"]["tokens_per_s"], 0.8),
    (f"engine merged-{adapters} / engine base", v["merged"]["tokens_per_s"] / v["base"]["tokens_per_s"], 0.97),
    ("engine base / python base", v["base"]["tokens_per_s"] / v["python"]["tokens_per_s"], 2.0),
]
print(f"G1 sampling, {threads} threads, {precision}, tokens/s (median over rounds; per round in brackets)")
labels = {"base": "engine base", "live": f"engine live {adapters}", "merged": f"engine merged {adapters}",
          "python": "python base", "base_libtorch": "engine base, LibTorch ops",
          "base_all_threads": f"engine base, decode {threads} thr",
          "python_1_thread": "python base, 1 thread"}
for name, label in labels.items():
    if name not in v:
        continue
    print(f"  {label:<26} {v[name]['tokens_per_s']:9.1f}   first token {v[name]['first_token_ms']:7.2f} ms"
          f"   per CPU second {v[name]['cpu_tokens_per_s']:7.1f}   {v[name]['rounds_tokens_per_s']}")
for label, value, target in ratios:
    print(f"  {label:<32} {value:6.3f}  (target ≥ {target}: {'met' if value >= target else 'MISSED'})")
if "base_all_threads" in v:
    print(f"  engine base decoding on {threads} threads / python base {v['base_all_threads']['tokens_per_s'] / v['python']['tokens_per_s']:6.3f};"
          f" engine base / python base on 1 thread {v['base']['tokens_per_s'] / v['python_1_thread']['tokens_per_s']:6.3f}")
cpu = lambda a, b: v[a]["cpu_tokens_per_s"] / v[b]["cpu_tokens_per_s"]
print(f"  per CPU second (work done, less sensitive to other load): live/base {cpu('live', 'base'):.3f}, "
      f"merged/base {cpu('merged', 'base'):.3f}, engine/python {cpu('base', 'python'):.3f}")
print(json.dumps({"variants": v, "ratios": {label: value for label, value, _ in ratios}}))
PY
