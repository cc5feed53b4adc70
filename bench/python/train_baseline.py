#!/usr/bin/env python3
"""R1 / R1-full training peer (shared/design/PERFORMANCE.md): what a user would otherwise run.

The llama_peer model (transformers-style LLaMA, PEFT-style LoRA wrappers with dropout on the input,
B zero at the start) trained eagerly in Python on random tokens with torch.optim.AdamW, gradient
clipping at 1.0 and the causal-LM loss over every position; bf16 runs under torch.autocast on the
CPU with fp32 weights, as a user would write it. Prints one JSON object: tokens_per_s over the timed
steps, step times and the process's peak RSS.
"""
import argparse
import json
import resource
import statistics
import time

import torch
import torch.nn.functional as F

from llama_peer import Llama, add_adapters


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--hidden", type=int, default=256)
    p.add_argument("--layers", type=int, default=4)
    p.add_argument("--heads", type=int, default=8)
    p.add_argument("--kv-heads", type=int, default=4)
    p.add_argument("--intermediate", type=int, default=688)
    p.add_argument("--vocab", type=int, default=4096)
    p.add_argument("--seq", type=int, default=256)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--rank", type=int, default=16)
    p.add_argument("--alpha", type=float, default=None)
    p.add_argument("--dropout", type=float, default=0.05)
    p.add_argument("--targets", default="q_proj,k_proj,v_proj,o_proj")
    p.add_argument("--full", action="store_true")
    p.add_argument("--lr", type=float, default=3e-4)
    p.add_argument("--weight-decay", type=float, default=0.01)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--precision", choices=["fp32", "bf16"], default="fp32")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--json", action="store_true", help="accepted for symmetry; output is always JSON")
    cfg = p.parse_args()

    torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    model = Llama(cfg)
    if cfg.full:
        params = list(model.parameters())
    else:
        for param in model.parameters():
            param.requires_grad_(False)
        add_adapters(model, 1, cfg.rank, 1.0, tuple(cfg.targets.split(",")), cfg.alpha,
                     cfg.dropout, zero_b=True)
        params = [q for name, q in model.named_parameters() if "lora_" in name]
        for q in params:
            q.requires_grad_(True)
    optimizer = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    model.train()

    generator = torch.Generator().manual_seed(cfg.seed + 7)
    total = cfg.warmup + cfg.steps
    data = torch.randint(0, cfg.vocab, (total, cfg.batch, cfg.seq + 1), generator=generator)
    times, losses = [], []
    cpu_start = None
    for step in range(total):
        if step == cfg.warmup:
            cpu_start = time.process_time()
        started = time.perf_counter()
        ids, targets = data[step, :, :-1], data[step, :, 1:]
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=cfg.precision == "bf16"):
            logits = model(ids, all_positions=True)
            loss = F.cross_entropy(logits.reshape(-1, cfg.vocab).float(), targets.reshape(-1))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        losses.append(loss.item())
        times.append(time.perf_counter() - started)
    cpu = time.process_time() - cpu_start
    timed = times[cfg.warmup:]
    tokens = cfg.steps * cfg.batch * cfg.seq
    print(json.dumps({
        "mode": "train", "impl": "pytorch-eager-python", "torch": torch.__version__,
        "threads": torch.get_num_threads(), "full": cfg.full, "precision": cfg.precision,
        "tokens_per_s": tokens / sum(timed), "cpu_tokens_per_s": tokens / cpu if cpu > 0 else 0.0,
        "step_ms": statistics.median(timed) * 1000, "steps_ms": [t * 1000 for t in timed],
        "trainable_parameters": sum(q.numel() for q in params),
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "first_loss": losses[0], "last_loss": losses[-1],
    }))


if __name__ == "__main__":
    main()
