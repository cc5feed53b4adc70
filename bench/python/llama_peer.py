"""The peer's model for the benchmarks (shared/design/PERFORMANCE.md): PyTorch eager in Python,
written the way Hugging Face transformers and PEFT do it: a LLaMA decoder (RMSNorm, RoPE with
rotate_half, GQA with repeat_kv, SwiGLU, tied head) with an optional concatenating KV cache, and
PEFT-style LoRA wrappers (B(A(dropout(x))) * scale).
"""
import math

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

    def add(self, name, rank, scaling, dropout=0.0, zero_b=False):
        self.lora_A[name] = nn.Linear(self.base_layer.in_features, rank, bias=False)
        self.lora_B[name] = nn.Linear(rank, self.base_layer.out_features, bias=False)
        nn.init.normal_(self.lora_A[name].weight, std=1 / rank)
        if zero_b:  # a fresh adapter, as PEFT starts training
            nn.init.zeros_(self.lora_B[name].weight)
        else:  # a trained-looking adapter, so that sampling does real work
            nn.init.normal_(self.lora_B[name].weight, std=0.02)
        self.lora_dropout[name] = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
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
        if cache is not None:  # training runs without a cache (use_cache=False)
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

    def forward(self, ids, cache=None, all_positions=False):
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
        if all_positions:  # training: logits for every position, as transformers computes them
            return F.linear(x, self.embed_tokens.weight).float()
        return F.linear(x[:, -1:, :], self.embed_tokens.weight).float()  # tied head, last position


def add_adapters(model, count, rank, weight, targets=("q_proj", "k_proj", "v_proj", "o_proj"),
                 alpha=None, dropout=0.0, zero_b=False):
    """Wraps the target projections as PEFT does; scaling = λ · alpha / r (alpha defaults to r)."""
    alpha = rank if alpha is None else alpha
    for layer in model.layers:
        for name in targets:
            parent = layer.self_attn if hasattr(layer.self_attn, name) else layer.mlp
            wrapped = LoraLinear(getattr(parent, name))
            for i in range(count):
                wrapped.add(f"bench{i}", rank, weight * alpha / rank, dropout, zero_b)
            setattr(parent, name, wrapped)


def merge_adapters(model):
    for layer in model.layers:
        attn = layer.self_attn
        for name in ("q_proj", "k_proj", "v_proj", "o_proj"):
            setattr(attn, name, getattr(attn, name).merge())
