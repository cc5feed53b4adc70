#!/usr/bin/python3
"""Golden fixtures for LoRA adapters: PEFT adapter folders on tests/data/models/llama_f32 and the
float64 logits the engine must reproduce with them.

Writes under tests/data/adapters/:
  NAME/adapter_config.json + NAME/adapter_model.safetensors   PEFT's format (FORMATS.md)
  expected_NAME.json                                          each adapter alone at weight 1
  expected_blend.json                                         three adapters at weights 0.7, -0.5, 1.3

The logits are the live (unmerged) forward y = W0 x + sum_i lambda_i s_i B_i (A_i x) in float64,
s_i = alpha / r (alpha / sqrt(r) with use_rslora), per-module r and alpha from rank_pattern /
alpha_pattern. The script checks that the merged forward (W0 + sum lambda_i s_i B_i A_i) gives
the same numbers, and that every adapter moves the logits far beyond the tolerance.

The model forward is the one of make_model_fixtures.py (imported); only torch is needed
(Debian's python3-torch), no peft or transformers.

Run from anywhere: /usr/bin/python3 tests/golden/make_adapter_fixtures.py
"""
import json
import math
import os
import re
import struct
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_model_fixtures as ref  # noqa: E402

DATA_DIR = os.path.join(ref.ROOT, "data")
ADAPTERS_DIR = os.path.join(DATA_DIR, "adapters")
MODEL = "llama_f32"
EXPECTED_FORMAT = "loralab-golden-adapter-logits/1"
ATOL = 1e-4  # same as the F32 model fixture
PROJECTIONS = ["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
               "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"]

# Each adapter: PEFT config values (the rest take PEFT's defaults), storage dtype, seed.
ADAPTERS = {
    "qv": dict(dtype="F32", seed=2001, config=dict(
        r=4, lora_alpha=8, lora_dropout=0.05, target_modules=["q_proj", "v_proj"])),
    "rslora_patterns": dict(dtype="F32", seed=2002, config=dict(
        r=4, lora_alpha=8, use_rslora=True,
        target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
        rank_pattern={"q_proj": 2, "layers.1.mlp.down_proj": 6}, alpha_pattern={"v_proj": 3})),
    # BF16 tensors and layers_to_transform: only layer 1's o_proj and v_proj.
    "ov_layer1_bf16": dict(dtype="BF16", seed=2003, config=dict(
        r=3, lora_alpha=6, target_modules=["o_proj", "v_proj"], layers_to_transform=[1])),
}
BLEND = [("qv", 0.7), ("rslora_patterns", -0.5), ("ov_layer1_bf16", 1.3)]


# ---------------------------------------------------------------- the base model

def read_safetensors(path):
    """name → float64 tensor; F32 only, which is what the llama_f32 fixture stores."""
    with open(path, "rb") as f:
        data = f.read()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + length])
    base = 8 + length
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        assert info["dtype"] == "F32", (name, info["dtype"])
        begin, end = info["data_offsets"]
        flat = torch.frombuffer(bytearray(data[base + begin:base + end]), dtype=torch.float32)
        out[name] = flat.reshape(info["shape"]).to(torch.float64)
    return out


def load_model():
    folder = os.path.join(DATA_DIR, "models", MODEL)
    with open(os.path.join(folder, "config.json")) as f:
        config = json.load(f)
    with open(os.path.join(folder, "expected.json")) as f:
        expected = json.load(f)
    weights = read_safetensors(os.path.join(folder, "model.safetensors"))
    return config, weights, expected


def module_paths(config):
    return [f"model.layers.{layer}.{p}" for layer in range(config["num_hidden_layers"]) for p in PROJECTIONS]


# ---------------------------------------------------------------- PEFT's rules, written out again

def peft_config(values):
    """Every key PEFT writes for a LoRA adapter, PEFT's defaults where `values` says nothing."""
    config = {
        "alpha_pattern": {}, "auto_mapping": None, "base_model_name_or_path": MODEL, "bias": "none",
        "fan_in_fan_out": False, "inference_mode": True, "init_lora_weights": True,
        "layers_pattern": None, "layers_to_transform": None, "loftq_config": {},
        "lora_alpha": 8, "lora_dropout": 0.0, "megatron_config": None,
        "megatron_core": "megatron.core", "modules_to_save": None, "peft_type": "LORA", "r": 8,
        "rank_pattern": {}, "revision": None, "target_modules": ["q_proj", "v_proj"],
        "task_type": "CAUSAL_LM", "use_dora": False, "use_rslora": False,
    }
    config.update(values)
    return config


def targeted(config, path):
    if not any(path == t or path.endswith("." + t) for t in config["target_modules"]):
        return False
    layers = config["layers_to_transform"]
    if layers is None:
        return True
    layer = int(re.search(r"(?:^|\.)layers\.(\d+)\.", path).group(1))
    return layer in ([layers] if isinstance(layers, int) else layers)


def pattern_value(pattern, path, default):
    for key, value in pattern.items():
        if re.match(rf"(.*\.)?({key})$", path):
            return value
    return default


def scaling(config, path):
    r = pattern_value(config["rank_pattern"], path, config["r"])
    alpha = pattern_value(config["alpha_pattern"], path, config["lora_alpha"])
    return r, (alpha / math.sqrt(r) if config["use_rslora"] else alpha / r)


# ---------------------------------------------------------------- adapters

def make_adapter(name, spec, weights, config):
    """Writes the folder; returns module → (A, B, s) with A and B as a reader of the file sees them."""
    peft = peft_config(spec["config"])
    torch_dtype = ref.STORAGE[spec["dtype"]][0]
    gen = torch.Generator().manual_seed(spec["seed"])
    modules, stored = {}, {}
    for path in module_paths(config):
        if not targeted(peft, path):
            continue
        out_features, in_features = weights[path + ".weight"].shape
        r, s = scaling(peft, path)
        # Non-zero B (a zero B would make every comparison vacuous), sized so that s·B·A is
        # about a third of W0: a clear effect, logits still O(1).
        a = torch.randn(r, in_features, generator=gen, dtype=torch.float64) / math.sqrt(in_features)
        b = torch.randn(out_features, r, generator=gen, dtype=torch.float64) * (0.3 / (s * math.sqrt(r)))
        a, b = a.to(torch_dtype), b.to(torch_dtype)
        stored[f"base_model.model.{path}.lora_A.weight"] = a
        stored[f"base_model.model.{path}.lora_B.weight"] = b
        modules[path] = (a.to(torch.float64), b.to(torch.float64), s)
    folder = os.path.join(ADAPTERS_DIR, name)
    os.makedirs(folder, exist_ok=True)
    ref.atomic_write(os.path.join(folder, "adapter_config.json"),
                     json.dumps(peft, indent=2, sort_keys=True).encode("utf-8"))
    ref.atomic_write(os.path.join(folder, "adapter_model.safetensors"),
                     ref.safetensors_bytes(stored, spec["dtype"]))
    return modules


# ---------------------------------------------------------------- forwards with adapters

def live_forward(config, weights, adapters, tokens, dtype=torch.float64):
    """The unmerged path: each projection adds sum_i lambda_i s_i B_i (A_i x), A x first."""
    r = ref.resolved(config)
    w = {name: t.to(dtype) for name, t in weights.items()}
    adapters = [(weight, {path: (a.to(dtype), b.to(dtype), s) for path, (a, b, s) in modules.items()})
                for weight, modules in adapters]

    def proj(x, path):
        y = x @ w[path + ".weight"].T
        for weight, modules in adapters:
            if path in modules:
                a, b, s = modules[path]
                y = y + weight * s * ((x @ a.T) @ b.T)
        return y

    T = len(tokens)
    x = w["model.embed_tokens.weight"][torch.tensor(tokens)]
    freqs = torch.arange(T, dtype=dtype)[:, None] * ref.inv_frequencies(r, dtype)[None, :]
    emb = torch.cat([freqs, freqs], dim=-1)
    cos, sin = emb.cos(), emb.sin()
    nh, nkv, hd = r["heads"], r["kv_heads"], r["head_dim"]
    causal = torch.ones(T, T, dtype=torch.bool).triu(1)
    for layer in range(r["layers"]):
        p = f"model.layers.{layer}."
        h = ref.rms_norm(x, w[p + "input_layernorm.weight"], r["eps"])
        q = proj(h, p + "self_attn.q_proj").view(T, nh, hd).transpose(0, 1)
        k = proj(h, p + "self_attn.k_proj").view(T, nkv, hd).transpose(0, 1)
        v = proj(h, p + "self_attn.v_proj").view(T, nkv, hd).transpose(0, 1)
        q = q * cos + ref.rotate_half(q) * sin
        k = k * cos + ref.rotate_half(k) * sin
        k = k.repeat_interleave(nh // nkv, dim=0)
        v = v.repeat_interleave(nh // nkv, dim=0)
        scores = ((q @ k.transpose(1, 2)) / math.sqrt(hd)).masked_fill(causal, float("-inf"))
        attn = (torch.softmax(scores, dim=-1) @ v).transpose(0, 1).reshape(T, nh * hd)
        x = x + proj(attn, p + "self_attn.o_proj")
        h = ref.rms_norm(x, w[p + "post_attention_layernorm.weight"], r["eps"])
        act = torch.nn.functional.silu(proj(h, p + "mlp.gate_proj")) * proj(h, p + "mlp.up_proj")
        x = x + proj(act, p + "mlp.down_proj")
    x = ref.rms_norm(x, w["model.norm.weight"], r["eps"])
    head = w["model.embed_tokens.weight"] if r["tied"] else w["lm_head.weight"]
    return x @ head.T


def merged_weights(weights, adapters):
    merged = dict(weights)
    for weight, modules in adapters:
        for path, (a, b, s) in modules.items():
            merged[path + ".weight"] = merged[path + ".weight"] + weight * s * (b @ a)
    return merged


def write_expected(file_name, config, weights, base_logits, adapters, listing, tokens):
    live = live_forward(config, weights, adapters, tokens)
    merged = ref.forward(config, merged_weights(weights, adapters), tokens, torch.float64)
    merge_diff = (live - merged).abs().max().item()
    assert merge_diff < 1e-10, f"{file_name}: live and merged differ by {merge_diff}"
    change = (live - base_logits).abs().max().item()
    assert change > 100 * ATOL, f"{file_name}: the adapters barely move the logits ({change})"
    # What float32 math reaches: the engine is held to ATOL, far above this.
    fp32_diff = (live_forward(config, weights, adapters, tokens, torch.float32).double() - live).abs().max().item()
    assert fp32_diff < ATOL / 10, f"{file_name}: float32 reference differs by {fp32_diff}"
    expected = {
        "format": EXPECTED_FORMAT,
        "model": f"models/{MODEL}",
        "adapters": [{"dir": f"adapters/{name}", "weight": weight} for name, weight in listing],
        "reference": "tests/golden/make_adapter_fixtures.py: live LoRA forward on the "
                     "make_model_fixtures.py reference",
        "reference_dtype": "float64",
        "reference_note": "paths are relative to tests/data; logits of y = W0 x + sum_i w_i s_i B_i A_i x "
                          "at every position; the merged forward gives the same numbers",
        "compute_dtype": "float32",
        "atol": ATOL,
        "live_vs_merged_max_abs_diff": float(f"{merge_diff:.3g}"),
        "float32_reference_max_abs_diff": float(f"{fp32_diff:.3g}"),
        "max_abs_change_from_base": float(f"{change:.4g}"),
        "tokens": tokens,
        "logits": [[ref.short(v) for v in row] for row in live.tolist()],
    }
    ref.atomic_write(os.path.join(ADAPTERS_DIR, file_name), ref.expected_json(expected).encode("utf-8"))
    print(f"{file_name}: {listing}, change from base {change:.3f}, live vs merged {merge_diff:.1e}")


def main():
    assert sys.byteorder == "little", "safetensors data is little-endian"
    torch.set_num_threads(1)
    config, weights, model_expected = load_model()
    tokens = model_expected["tokens"]
    base_logits = ref.forward(config, weights, tokens, torch.float64)
    stored_diff = (base_logits - torch.tensor(model_expected["logits"], dtype=torch.float64)).abs().max().item()
    assert stored_diff < 1e-7, f"the base forward disagrees with {MODEL}/expected.json ({stored_diff})"
    os.makedirs(ADAPTERS_DIR, exist_ok=True)
    made = {name: make_adapter(name, spec, weights, config) for name, spec in ADAPTERS.items()}
    for name in ADAPTERS:
        write_expected(f"expected_{name}.json", config, weights, base_logits, [(1.0, made[name])],
                       [(name, 1.0)], tokens)
    write_expected("expected_blend.json", config, weights, base_logits,
                   [(weight, made[name]) for name, weight in BLEND], BLEND, tokens)


if __name__ == "__main__":
    main()
