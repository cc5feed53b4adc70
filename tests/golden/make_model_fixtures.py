#!/usr/bin/python3
"""Golden fixtures for the LLaMA-family decoder, from an independent plain-PyTorch reference.

Writes small seeded random models as Hugging Face folders under tests/data/models/NAME/
(config.json, model.safetensors or two shards + model.safetensors.index.json) and, next to each,
expected.json with a token sequence and the logits at every position. The logits are computed in
float64 from the weights exactly as stored (BF16/F16 values upcast without rounding), so the
engine's float32 forward can be checked position by position, prefill and incremental decoding
alike.

The forward follows transformers' LlamaForCausalLM / MistralForCausalLM / Qwen2ForCausalLM:
RMSNorm upcast to (at least) fp32 and cast back, split-halves RoPE (+ llama3 inv_freq scaling),
GQA by repeating k/v heads, causal softmax attention, SwiGLU MLP, tied or untied head, q/k/v
biases for Qwen2. It needs only torch (Debian's python3-torch); safetensors files are written by
hand so the fixtures do not depend on the safetensors package.

Run from anywhere: /usr/bin/python3 tests/golden/make_model_fixtures.py
"""
import json
import math
import os
import struct
import sys

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # tests/
MODELS_DIR = os.path.join(ROOT, "data", "models")

# safetensors dtype name → (torch dtype, config.json torch_dtype, golden tolerance)
STORAGE = {
    "F32": (torch.float32, "float32", 1e-4),
    "BF16": (torch.bfloat16, "bfloat16", 1e-3),
    "F16": (torch.float16, "float16", 1e-3),
}
SEQ_LEN = 12
EXPECTED_FORMAT = "loralab-golden-logits/1"

# Each case: HF config.json content (minus the keys filled in below), storage dtype, seed, shards.
CASES = {
    "llama_f32": dict(
        dtype="F32", seed=1001, shards=1,
        config={
            "architectures": ["LlamaForCausalLM"], "model_type": "llama",
            "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
            "num_attention_heads": 4, "num_key_value_heads": 4, "vocab_size": 128,
            "max_position_embeddings": 256, "rms_norm_eps": 1e-6,
            "rope_scaling": None, "tie_word_embeddings": True,
            "attention_bias": False, "mlp_bias": False,
            "bos_token_id": 1, "eos_token_id": 2,
        }),
    "llama_bf16_gqa": dict(
        dtype="BF16", seed=1002, shards=1,
        config={
            "architectures": ["LlamaForCausalLM"], "model_type": "llama",
            "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
            "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 128,
            "max_position_embeddings": 1024, "rms_norm_eps": 1e-5, "rope_theta": 500000.0,
            # With head_dim 8 and theta 5e5 the wavelengths are 6.3, 167, 4443, 118k: an original
            # context of 256 puts one in each llama3 band (kept, smoothed, divided by factor).
            "rope_scaling": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                             "high_freq_factor": 4.0, "original_max_position_embeddings": 256},
            "tie_word_embeddings": False, "attention_bias": False, "mlp_bias": False,
            "bos_token_id": 1, "eos_token_id": [2, 3],
        }),
    "qwen2_f16_bias": dict(
        dtype="F16", seed=1003, shards=1,
        config={
            "architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2",
            "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
            "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 128,
            "max_position_embeddings": 512, "rms_norm_eps": 1e-6, "rope_theta": 1000000.0,
            "rope_scaling": None, "tie_word_embeddings": False,
            "use_sliding_window": False, "sliding_window": None, "max_window_layers": 2,
            "bos_token_id": 1, "eos_token_id": 2,
        }),
    "mistral_f32_theta": dict(
        dtype="F32", seed=1004, shards=1,
        config={
            "architectures": ["MistralForCausalLM"], "model_type": "mistral",
            "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
            "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 12,
            "vocab_size": 128, "max_position_embeddings": 512, "rms_norm_eps": 1e-5,
            "rope_theta": 12345.0, "rope_scaling": None, "sliding_window": 4096,
            "tie_word_embeddings": False, "bos_token_id": 1, "eos_token_id": 2,
        }),
    "sharded_f32": dict(
        dtype="F32", seed=1005, shards=2,
        config={
            "architectures": ["LlamaForCausalLM"], "model_type": "llama",
            "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
            "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 128,
            "max_position_embeddings": 256, "rms_norm_eps": 1e-5, "rope_theta": 10000.0,
            "rope_scaling": None, "tie_word_embeddings": False,
            "attention_bias": False, "mlp_bias": False,
            "bos_token_id": 1, "eos_token_id": 2,
        }),
}


# ---------------------------------------------------------------- config with transformers' defaults

def resolved(config):
    """The numbers the forward needs, with the defaults transformers applies for these configs."""
    arch = config["architectures"][0]
    heads = config["num_attention_heads"]
    kv_heads = config.get("num_key_value_heads") or heads
    return dict(
        arch=arch,
        hidden=config["hidden_size"],
        layers=config["num_hidden_layers"],
        heads=heads,
        kv_heads=kv_heads,
        head_dim=config.get("head_dim") or config["hidden_size"] // heads,
        eps=config.get("rms_norm_eps", 1e-6),
        theta=config.get("rope_theta", 10000.0),
        rope_scaling=config.get("rope_scaling"),
        tied=config.get("tie_word_embeddings", False),
        qkv_bias=arch == "Qwen2ForCausalLM" or config.get("attention_bias", False),
    )


# ---------------------------------------------------------------- weights

def make_weights(config, seed):
    """float64 weights scaled so activations and logits are O(1) (HF's 0.02 init would make every
    logit nearly 0 and the comparison meaningless)."""
    r = resolved(config)
    gen = torch.Generator().manual_seed(seed)

    def randn(*shape):
        return torch.randn(*shape, generator=gen, dtype=torch.float64)

    def linear(out_features, in_features):
        return randn(out_features, in_features) / math.sqrt(in_features)

    hidden, inter, vocab = r["hidden"], config["intermediate_size"], config["vocab_size"]
    q_dim, kv_dim = r["heads"] * r["head_dim"], r["kv_heads"] * r["head_dim"]
    # std 0.5 keeps a tied head's logits (rms-normed state times embeddings) near O(1) as well
    w = {"model.embed_tokens.weight": 0.5 * randn(vocab, hidden)}
    for layer in range(r["layers"]):
        p = f"model.layers.{layer}."
        w[p + "input_layernorm.weight"] = 1.0 + 0.1 * randn(hidden)
        w[p + "self_attn.q_proj.weight"] = linear(q_dim, hidden)
        w[p + "self_attn.k_proj.weight"] = linear(kv_dim, hidden)
        w[p + "self_attn.v_proj.weight"] = linear(kv_dim, hidden)
        w[p + "self_attn.o_proj.weight"] = linear(hidden, q_dim)
        if r["qkv_bias"]:
            w[p + "self_attn.q_proj.bias"] = 0.3 * randn(q_dim)
            w[p + "self_attn.k_proj.bias"] = 0.3 * randn(kv_dim)
            w[p + "self_attn.v_proj.bias"] = 0.3 * randn(kv_dim)
        w[p + "post_attention_layernorm.weight"] = 1.0 + 0.1 * randn(hidden)
        w[p + "mlp.gate_proj.weight"] = linear(inter, hidden)
        w[p + "mlp.up_proj.weight"] = linear(inter, hidden)
        w[p + "mlp.down_proj.weight"] = linear(hidden, inter)
    w["model.norm.weight"] = 1.0 + 0.1 * randn(hidden)
    if not r["tied"]:
        w["lm_head.weight"] = linear(vocab, hidden)
    return w


# ---------------------------------------------------------------- the reference forward

def rms_norm(x, weight, eps):
    # transformers upcasts to fp32 and casts back; float64 input is never downcast here.
    input_dtype = x.dtype
    h = x.to(torch.promote_types(input_dtype, torch.float32))
    h = h * torch.rsqrt(h.pow(2).mean(-1, keepdim=True) + eps)
    return weight * h.to(input_dtype)


def inv_frequencies(r, dtype):
    d = r["head_dim"]
    inv_freq = 1.0 / (r["theta"] ** (torch.arange(0, d, 2, dtype=torch.int64).to(dtype) / d))
    scaling = r["rope_scaling"]
    kind = None if scaling is None else scaling.get("rope_type", scaling.get("type", "default"))
    if kind in (None, "default"):
        return inv_freq
    assert kind == "llama3", kind
    factor = scaling["factor"]
    low, high = scaling["low_freq_factor"], scaling["high_freq_factor"]
    old_context = scaling["original_max_position_embeddings"]
    low_freq_wavelen, high_freq_wavelen = old_context / low, old_context / high
    wavelen = 2 * math.pi / inv_freq
    # long wavelengths are divided by factor, short ones kept, the band between interpolated
    scaled = torch.where(wavelen > low_freq_wavelen, inv_freq / factor, inv_freq)
    smooth = (old_context / wavelen - low) / (high - low)
    smoothed = (1 - smooth) * scaled / factor + smooth * scaled
    medium = (wavelen >= high_freq_wavelen) & (wavelen <= low_freq_wavelen)
    return torch.where(medium, smoothed, scaled)


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat([-x[..., half:], x[..., :half]], dim=-1)


def attention(x, w, p, r, cos, sin):
    T = x.shape[0]
    nh, nkv, hd = r["heads"], r["kv_heads"], r["head_dim"]

    def proj(name):
        y = x @ w[p + f"self_attn.{name}.weight"].T
        bias = w.get(p + f"self_attn.{name}.bias")
        return y if bias is None else y + bias

    q = proj("q_proj").view(T, nh, hd).transpose(0, 1)   # (nh, T, hd)
    k = proj("k_proj").view(T, nkv, hd).transpose(0, 1)  # (nkv, T, hd)
    v = proj("v_proj").view(T, nkv, hd).transpose(0, 1)
    q = q * cos + rotate_half(q) * sin
    k = k * cos + rotate_half(k) * sin
    # repeat_kv: query head h reads k/v head h // (nh / nkv)
    group = nh // nkv
    k = k.repeat_interleave(group, dim=0)
    v = v.repeat_interleave(group, dim=0)
    scores = (q @ k.transpose(1, 2)) / math.sqrt(hd)  # (nh, T, T)
    causal = torch.ones(T, T, dtype=torch.bool).triu(1)
    scores = scores.masked_fill(causal, float("-inf"))
    probs = torch.softmax(scores.to(torch.promote_types(x.dtype, torch.float32)), dim=-1)
    out = (probs.to(x.dtype) @ v).transpose(0, 1).reshape(T, nh * hd)
    return out @ w[p + "self_attn.o_proj.weight"].T


def mlp(h, w, p):
    gate = h @ w[p + "mlp.gate_proj.weight"].T
    up = h @ w[p + "mlp.up_proj.weight"].T
    return (torch.nn.functional.silu(gate) * up) @ w[p + "mlp.down_proj.weight"].T


def forward(config, weights, tokens, dtype):
    """Logits (T, vocab) for one sequence, every weight and activation in `dtype`."""
    r = resolved(config)
    w = {name: t.to(dtype) for name, t in weights.items()}
    T = len(tokens)
    x = w["model.embed_tokens.weight"][torch.tensor(tokens)]  # (T, H)
    freqs = torch.arange(T, dtype=dtype)[:, None] * inv_frequencies(r, dtype)[None, :]
    emb = torch.cat([freqs, freqs], dim=-1)  # (T, hd)
    cos, sin = emb.cos(), emb.sin()
    for layer in range(r["layers"]):
        p = f"model.layers.{layer}."
        x = x + attention(rms_norm(x, w[p + "input_layernorm.weight"], r["eps"]), w, p, r, cos, sin)
        x = x + mlp(rms_norm(x, w[p + "post_attention_layernorm.weight"], r["eps"]), w, p)
    x = rms_norm(x, w["model.norm.weight"], r["eps"])
    head = w["model.embed_tokens.weight"] if r["tied"] else w["lm_head.weight"]
    return x @ head.T


# ---------------------------------------------------------------- writing files

def atomic_write(path, data):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def tensor_bytes(t):
    t = t.contiguous()
    if t.dtype in (torch.bfloat16, torch.float16):
        t = t.view(torch.int16)  # numpy has no bfloat16; the bits are what we want
    return t.numpy().tobytes()


def safetensors_bytes(tensors, dtype_name):
    """The file image: u64 header length, JSON header padded with spaces to 8, packed data."""
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        data = tensor_bytes(tensors[name])
        header[name] = {"dtype": dtype_name, "shape": list(tensors[name].shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    header["__metadata__"] = {"format": "pt"}
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(blobs)


def write_weights(folder, stored, dtype_name, shards):
    for old in os.listdir(folder):
        if old.endswith(".safetensors") or old.endswith(".index.json"):
            os.remove(os.path.join(folder, old))
    if shards == 1:
        atomic_write(os.path.join(folder, "model.safetensors"), safetensors_bytes(stored, dtype_name))
        return
    # Split by layer so both shards hold real tensors: embeddings + first half of the layers first.
    names = sorted(stored)
    first = {n for n in names if n.startswith("model.embed_tokens") or n.startswith("model.layers.0.")}
    parts = [{n: stored[n] for n in names if n in first}, {n: stored[n] for n in names if n not in first}]
    assert shards == 2 and all(parts)
    weight_map, total = {}, 0
    for i, part in enumerate(parts):
        file_name = f"model-{i + 1:05d}-of-{shards:05d}.safetensors"
        atomic_write(os.path.join(folder, file_name), safetensors_bytes(part, dtype_name))
        for n, t in part.items():
            weight_map[n] = file_name
            total += len(tensor_bytes(t))
    index = {"metadata": {"total_size": total}, "weight_map": dict(sorted(weight_map.items()))}
    atomic_write(os.path.join(folder, "model.safetensors.index.json"),
                 (json.dumps(index, indent=2) + "\n").encode("utf-8"))


def expected_json(expected):
    """Indented JSON with the token list on one line and one logits row per line."""
    lines = [f' {json.dumps(key)}: {json.dumps(value)}' for key, value in expected.items()
             if key != "logits"]
    rows = ",\n".join("  " + json.dumps(row, separators=(",", ":")) for row in expected["logits"])
    lines.append(' "logits": [\n' + rows + "\n ]")
    return "{\n" + ",\n".join(lines) + "\n}\n"


def short(x):
    return float(f"{x:.9g}")  # 9 significant digits: far below every tolerance, half the bytes


# ---------------------------------------------------------------- self-checks of the reference

def check_reference(name, config, weights, tokens, logits64, atol):
    # Causality: the last row of a prefix run equals that row of the full run (what a KV cache
    # must reproduce).
    for t in (1, SEQ_LEN // 2, SEQ_LEN - 1):
        prefix = forward(config, weights, tokens[:t], torch.float64)[-1]
        assert torch.allclose(prefix, logits64[t - 1], atol=1e-10), f"{name}: not causal at {t}"
    # float32 math must land well inside the tolerance the engine is held to.
    fp32_diff = (forward(config, weights, tokens, torch.float32).double() - logits64).abs().max().item()
    assert fp32_diff < atol / 10, f"{name}: float32 reference differs by {fp32_diff}"
    # The feature each case is about must move the logits far beyond the tolerance.
    variants = {}
    r = resolved(config)
    if r["rope_scaling"] is not None:
        variants["without llama3 scaling"] = dict(config, rope_scaling=None)
    if r["theta"] != 10000.0:
        variants["with the default rope_theta"] = dict(config, rope_theta=10000.0)
    for what, other in variants.items():
        diff = (forward(other, weights, tokens, torch.float64) - logits64).abs().max().item()
        assert diff > 100 * atol, f"{name}: logits barely change {what} ({diff})"
    if r["qkv_bias"]:
        no_bias = {n: t for n, t in weights.items() if not n.endswith(".bias")}
        diff = (forward(dict(config, architectures=["LlamaForCausalLM"]), no_bias, tokens,
                        torch.float64) - logits64).abs().max().item()
        assert diff > 100 * atol, f"{name}: biases barely change the logits ({diff})"
    return fp32_diff


def make_case(name, case):
    dtype_name = case["dtype"]
    torch_dtype, config_dtype, atol = STORAGE[dtype_name]
    config = dict(case["config"])
    config.update(hidden_act="silu", initializer_range=0.02, use_cache=True,
                  torch_dtype=config_dtype, transformers_version="4.46.0")
    weights64 = make_weights(config, case["seed"])
    stored = {n: t.to(torch_dtype) for n, t in weights64.items()}
    exact = {n: t.to(torch.float64) for n, t in stored.items()}  # what a reader of the file sees

    gen = torch.Generator().manual_seed(case["seed"] + 7)
    tokens = torch.randint(0, config["vocab_size"], (SEQ_LEN,), generator=gen).tolist()
    logits64 = forward(config, exact, tokens, torch.float64)
    fp32_diff = check_reference(name, config, exact, tokens, logits64, atol)

    folder = os.path.join(MODELS_DIR, name)
    os.makedirs(folder, exist_ok=True)
    atomic_write(os.path.join(folder, "config.json"),
                 (json.dumps(config, indent=2, sort_keys=True) + "\n").encode("utf-8"))
    write_weights(folder, stored, dtype_name, case["shards"])
    expected = {
        "format": EXPECTED_FORMAT,
        "model": name,
        "architecture": config["architectures"][0],
        "weights_dtype": dtype_name,
        "reference": "tests/golden/make_model_fixtures.py: plain-PyTorch transformers-style forward",
        "reference_dtype": "float64",
        "reference_note": "logits computed in float64 from the stored weights upcast exactly; "
                          "compare the engine's float32 forward with |engine - expected| <= atol",
        "compute_dtype": "float32",
        "atol": atol,
        "float32_reference_max_abs_diff": float(f"{fp32_diff:.3g}"),
        "seed": case["seed"],
        "tokens": tokens,
        "logits": [[short(v) for v in row] for row in logits64.tolist()],
    }
    atomic_write(os.path.join(folder, "expected.json"), expected_json(expected).encode("utf-8"))
    print(f"{name}: {dtype_name}, {sum(t.numel() for t in stored.values())} params, "
          f"max |logit| {logits64.abs().max().item():.3f}, float32 vs float64 {fp32_diff:.2e}")


def main():
    assert sys.byteorder == "little", "safetensors data is little-endian"
    torch.set_num_threads(1)  # deterministic reductions
    only = sys.argv[1:]
    for name, case in CASES.items():
        if not only or name in only:
            make_case(name, case)


if __name__ == "__main__":
    main()
