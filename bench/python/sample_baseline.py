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
import math
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class RMSNorm(nn.Module):
    def __init__(self, hidden, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(hidden))
        self.eps = eps

    def forward(self, x):
        dtype = x.dtype
        x = x.to(torch.float32)
        x = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)
        return self.weight * x.to(dtype)


class LoraLinear(nn.Module):
    """PEFT's LoRA layer: base output plus, per active adapter, lora_B(lora_A(dropout(x))) * scaling."""

    def __init__(self, base):
        super().__init__()
        self.base_layer = base
        self.lora_A = nn.ModuleDict()
        self.lora_B = nn.ModuleDict()
        self.lora_dropout = nn.ModuleDict()
        self.scaling = {}

    def add(self, name, rank, scaling):
        self.lora_A[name] = nn.Linear(self.base_layer.in_features, rank, bias=False)
        self.lora_B[name] = nn.Linear(rank, self.base_layer.out_features, bias=False)
        nn.init.normal_(self.lora_A[name].weight, std=1 / rank)
        nn.init.normal_(self.lora_B[name].weight, std=0.02)
        self.lora_dropout[name] = nn.Identity()
        self.scaling[name] = scaling

    def merge(self):
        with torch.no_grad():
            for name in self.lora_A:
                delta = self.lora_B[name].weight @ self.lora_A[name].weight
                self.base_layer.weight += delta * self.scaling[name]
        return self.base_layer

    def forward(self, x):
        result = self.base_layer(x)
        for name in self.lora_A:
            result = result + self.lora_B[name](self.lora_A[name](self.lora_dropout[name](x))) * self.scaling[name]
        return result


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def repeat_kv(x, groups):
    if groups == 1:
        return x
    b, kv, s, d = x.shape
    return x[:, :, None, :, :].expand(b, kv, groups, s, d).reshape(b, kv * groups, s, d)


class Attention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.heads, self.kv_heads = cfg.heads, cfg.kv_heads
        self.head_dim = cfg.hidden // cfg.heads
        self.q_proj = nn.Linear(cfg.hidden, self.heads * self.head_dim, bias=False)
        self.k_proj = nn.Linear(cfg.hidden, self.kv_heads * self.head_dim, bias=False)
        self.v_proj = nn.Linear(cfg.hidden, self.kv_heads * self.head_dim, bias=False)
        self.o_proj = nn.Linear(self.heads * self.head_dim, cfg.hidden, bias=False)

    def forward(self, x, cos, sin, mask, cache, index):
        b, t, _ = x.shape
        q = self.q_proj(x).view(b, t, self.heads, self.head_dim).transpose(1, 2)
        k = self.k_proj(x).view(b, t, self.kv_heads, self.head_dim).transpose(1, 2)
        v = self.v_proj(x).view(b, t, self.kv_heads, self.head_dim).transpose(1, 2)
        cos, sin = cos.unsqueeze(1), sin.unsqueeze(1)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        if len(cache) > index:
            k = torch.cat([cache[index][0], k], dim=2)
            v = torch.cat([cache[index][1], v], dim=2)
            cache[index] = (k, v)
        else:
            cache.append((k, v))
        groups = self.heads // self.kv_heads
        k, v = repeat_kv(k, groups), repeat_kv(v, groups)
        scores = torch.matmul(q, k.transpose(2, 3)) / math.sqrt(self.head_dim)
        if mask is not None:
            scores = scores + mask
        probs = F.softmax(scores, dim=-1, dtype=torch.float32).to(q.dtype)
        out = torch.matmul(probs, v).transpose(1, 2).reshape(b, t, -1)
        return self.o_proj(out)


class Mlp(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.gate_proj = nn.Linear(cfg.hidden, cfg.intermediate, bias=False)
        self.up_proj = nn.Linear(cfg.hidden, cfg.intermediate, bias=False)
        self.down_proj = nn.Linear(cfg.intermediate, cfg.hidden, bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class Layer(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.input_layernorm = RMSNorm(cfg.hidden, 1e-6)
        self.self_attn = Attention(cfg)
        self.post_attention_layernorm = RMSNorm(cfg.hidden, 1e-6)
        self.mlp = Mlp(cfg)

    def forward(self, x, cos, sin, mask, cache, index):
        x = x + self.self_attn(self.input_layernorm(x), cos, sin, mask, cache, index)
        return x + self.mlp(self.post_attention_layernorm(x))


class Llama(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.embed_tokens = nn.Embedding(cfg.vocab, cfg.hidden)
        self.layers = nn.ModuleList(Layer(cfg) for _ in range(cfg.layers))
        self.norm = RMSNorm(cfg.hidden, 1e-6)
        head_dim = cfg.hidden // cfg.heads
        self.register_buffer("inv_freq", 1.0 / (10000.0 ** (torch.arange(0, head_dim, 2).float() / head_dim)))
        for p in self.parameters():
            if p.dim() == 2:
                nn.init.normal_(p, std=0.02)

    def rotary(self, positions, dtype):
        # As transformers' LlamaRotaryEmbedding: computed from the position ids on every forward.
        freqs = (self.inv_freq[None, :, None].float() @ positions[:, None, :].float()).transpose(1, 2)
        emb = torch.cat((freqs, freqs), dim=-1)
        return emb.cos().to(dtype), emb.sin().to(dtype)

    def forward(self, ids, cache):
        past = cache[0][0].shape[2] if cache else 0
        t = ids.shape[1]
        x = self.embed_tokens(ids)
        positions = torch.arange(past, past + t).unsqueeze(0)
        cos, sin = self.rotary(positions, x.dtype)
        mask = None
        if t > 1:
            mask = torch.full((t, past + t), float("-inf"), dtype=x.dtype).triu(past + 1)[None, None]
        for i, layer in enumerate(self.layers):
            x = layer(x, cos, sin, mask, cache, i)
        x = self.norm(x)
        return F.linear(x[:, -1:, :], self.embed_tokens.weight).float()  # tied head, last position


def add_adapters(model, count, rank, weight):
    for layer in model.layers:
        attn = layer.self_attn
        for name in ("q_proj", "k_proj", "v_proj", "o_proj"):
            wrapped = LoraLinear(getattr(attn, name))
            for i in range(count):
                wrapped.add(f"bench{i}", rank, weight * rank / rank)  # λ · alpha / r with alpha = r
            setattr(attn, name, wrapped)


def merge_adapters(model):
    for layer in model.layers:
        attn = layer.self_attn
        for name in ("q_proj", "k_proj", "v_proj", "o_proj"):
            setattr(attn, name, getattr(attn, name).merge())


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
