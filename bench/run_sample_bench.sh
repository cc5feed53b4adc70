#!/usr/bin/env bash
# G1 sampling benchmark (shared/design/PERFORMANCE.md), engine and Python peer side by side in one
# invocation: engine base, engine with N live adapters, engine with them merged, Python base.
# Rounds interleave the variants so drifting machine load hits them alike; each variant's figure
# is the median over rounds of its per-invocation medians. Prints the ratios against the targets
# (issue 3): live/base ≥ 0.8, merged/base ≥ 0.97, engine base / Python base ≥ 2.
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

common=(--new "$new" --threads "$threads" --repeats "$repeats" --precision "$precision")
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
for ((round = 1; round <= rounds; ++round)); do
  echo "round $round/$rounds ..." >&2
  "$cli" bench sample --json "${common[@]}" >>"$out/base.jsonl"
  "$cli" bench sample --json "${common[@]}" --adapters "$adapters" >>"$out/live.jsonl"
  "$cli" bench sample --json "${common[@]}" --adapters "$adapters" --merged >>"$out/merged.jsonl"
  "$python" "$here/python/sample_baseline.py" "${common[@]}" >>"$out/python.jsonl"
done

"$python" - "$out" "$adapters" "$threads" "$precision" <<'PY'
import json, statistics, sys
out, adapters, threads, precision = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
def load(name):
    rows = [json.loads(line) for line in open(f"{out}/{name}.jsonl") if line.strip()]
    return {"tokens_per_s": statistics.median(r["tokens_per_s"] for r in rows),
            "first_token_ms": statistics.median(r["first_token_ms"] for r in rows),
            "rounds_tokens_per_s": [round(r["tokens_per_s"], 1) for r in rows]}
v = {name: load(name) for name in ("base", "live", "merged", "python")}
ratios = [
    (f"engine live-{adapters} / engine base", v["live"]["tokens_per_s"] / v["base"]["tokens_per_s"], 0.8),
    (f"engine merged-{adapters} / engine base", v["merged"]["tokens_per_s"] / v["base"]["tokens_per_s"], 0.97),
    ("engine base / python base", v["base"]["tokens_per_s"] / v["python"]["tokens_per_s"], 2.0),
]
print(f"G1 sampling, {threads} threads, {precision}, tokens/s (median over rounds; per round in brackets)")
for name, label in (("base", "engine base"), ("live", f"engine live {adapters}"),
                    ("merged", f"engine merged {adapters}"), ("python", "python base")):
    print(f"  {label:<20} {v[name]['tokens_per_s']:9.1f}   first token {v[name]['first_token_ms']:7.2f} ms   {v[name]['rounds_tokens_per_s']}")
for label, value, target in ratios:
    print(f"  {label:<32} {value:6.3f}  (target ≥ {target}: {'met' if value >= target else 'MISSED'})")
print(json.dumps({"variants": v, "ratios": {label: value for label, value, _ in ratios}}))
PY
