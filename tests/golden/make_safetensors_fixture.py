#!/usr/bin/env python3
"""Writes tests/data/safetensors/golden.safetensors by hand (struct + json, no safetensors package),
as an independent reference for the engine's reader. Data order differs from name order on purpose.
Values are checked in tests/unit/test_safetensors.cpp; rerun only if you change both."""
import json
import os
import struct

OUT = os.path.join(os.path.dirname(__file__), "..", "data", "safetensors", "golden.safetensors")


def bf16_bits(value):
    # bf16 = the upper half of the float32 bit pattern (all values below are exact in bf16)
    return struct.unpack("<I", struct.pack("<f", value))[0] >> 16


tensors = [  # (name, dtype, shape, little-endian bytes) in data order
    ("i64.ids", "I64", [3], struct.pack("<3q", -1, 2**40, 2**63 - 1)),
    ("f32.matrix", "F32", [2, 3], struct.pack("<6f", 1.5, -2.0, 0.25, 1024.0, -0.125, 0.1)),
    ("bf16.weights", "BF16", [2, 2],
     struct.pack("<4H", *(bf16_bits(v) for v in (1.0, -1.5, 3.140625, 0.0)))),
    ("f16.vector", "F16", [4], struct.pack("<4e", 1.0, -2.0, 0.5, 65504.0)),
]

header = {"__metadata__": {"format": "pt", "origin": "make_safetensors_fixture.py"}}
offset = 0
for name, dtype, shape, data in tensors:
    header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(data)]}
    offset += len(data)

text = json.dumps(header, separators=(",", ":")).encode("utf-8")
text += b" " * ((8 - len(text) % 8) % 8)
with open(OUT, "wb") as f:
    f.write(struct.pack("<Q", len(text)))
    f.write(text)
    for _, _, _, data in tensors:
        f.write(data)
print(OUT, 8 + len(text) + offset, "bytes")
