#!/usr/bin/env python3
"""G1 sampling peer (shared/design/PERFORMANCE.md): what a user would otherwise run.

PyTorch eager in Python, written the way Hugging Face transformers and PEFT do it: a LLaMA decoder
(RMSNorm, RoPE with rotate_half, GQA with repeat_kv, SwiGLU, tied head) with a concatenating KV
cache, PEFT-style LoRA wrappers (B(A(dropout(x))) * scale) on q, k, v, o, and the top-k warper +
softmax + torch.multinomial draw. Random weights; prints one JSON object with tokens_per_s (median
over repetitions of new tokens / generation wall time, prefill included).
"""
import argparse
import json
import statistics
import time

import torch
import torch.nn.functional as F

from llama_peer import Llama, add_adapters, merge_adapters


def generate(model, prompt, new_tokens, temperature, top_k, generator):
    start = time.perf_counter()
    first = None
    cache = []
    ids = torch.tensor([prompt])
    out = []
    for step in range(new_tokens):
        logits = model(ids, cache)[:, -1, :]
        logits = logits / temperature
        threshold = torch.topk(logits, top_k)[0][..., -1, None]
        logits = logits.masked_fill(logits < threshold, -float("inf"))
        probs = F.softmax(logits, dim=-1)
        token = torch.multinomial(probs, num_samples=1, generator=generator)
        out.append(int(token.item()))
        if first is None:
            first = time.perf_counter() - start
        ids = token
    return out, first, time.perf_counter() - start


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--hidden", type=int, default=256)
    p.add_argument("--layers", type=int, default=4)
    p.add_argument("--heads", type=int, default=8)
    p.add_argument("--kv-heads", type=int, default=4)
    p.add_argument("--intermediate", type=int, default=688)
    p.add_argument("--vocab", type=int, default=4096)
    p.add_argument("--new", type=int, default=256)
    p.add_argument("--adapters", type=int, default=0)
    p.add_argument("--rank", type=int, default=16)
    p.add_argument("--weight", type=float, default=0.5)
    p.add_argument("--merged", action="store_true")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--precision", choices=["fp32", "bf16"], default="fp32")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--repeats", type=int, default=7)
    p.add_argument("--json", action="store_true", help="accepted for symmetry; output is always JSON")
    cfg = p.parse_args()

    torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    model = Llama(cfg)
    if cfg.adapters:
        add_adapters(model, cfg.adapters, cfg.rank, cfg.weight)
        if cfg.merged:
            merge_adapters(model)
    if cfg.precision == "bf16":
        model = model.to(torch.bfloat16)
    model.eval()
    prompt = [(7 + 31 * i) % cfg.vocab for i in range(3)]
    runs, firsts, cpu_rates = [], [], []
    with torch.inference_mode():
        for i in range(cfg.warmup + cfg.repeats):
            generator = torch.Generator().manual_seed(cfg.seed + i)
            cpu_start = time.process_time()
            tokens, first, total = generate(model, prompt, cfg.new, 0.8, 40, generator)
            cpu = time.process_time() - cpu_start
            if i >= cfg.warmup:
                runs.append(len(tokens) / total)
                cpu_rates.append(len(tokens) / cpu if cpu > 0 else 0.0)
                firsts.append(first * 1000)
    print(json.dumps({
        "mode": "sample", "impl": "pytorch-eager-python", "torch": torch.__version__,
        "threads": torch.get_num_threads(), "adapters": cfg.adapters, "merged": cfg.merged,
        "precision": cfg.precision, "tokens_per_s": statistics.median(runs),
        "first_token_ms": statistics.median(firsts), "runs_tokens_per_s": runs,
        "cpu_tokens_per_s": statistics.median(cpu_rates),
    }))


if __name__ == "__main__":
    main()
