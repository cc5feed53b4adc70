#!/usr/bin/env python3
"""Convergence figure of the base model: its everyday validation curve over the last 20% of the
training steps and the relative improvement there (the quality bar asks for < 3%).
usage: base_curve.py [resources/models/base/training_curve.json]"""
import json
import sys

path = sys.argv[1] if len(sys.argv) > 1 else "resources/models/base/training_curve.json"
curve = json.load(open(path))
steps = curve["steps"]
validation = curve["validation"]
total = steps[-1]["step"]
start = total - total // 5  # the last 20% of the steps begin here
# The evaluation at (or just before) that step is the reference the rest is compared with.
before = [v for v in validation if v["step"] <= start]
tail = ([before[-1]] if before else []) + [v for v in validation if v["step"] > start]
first, last = tail[0]["val_loss"], tail[-1]["val_loss"]
print(json.dumps({
    "total_steps": total,
    "window_start_step": tail[0]["step"],
    "validation_curve_last_20pct": [[v["step"], round(v["val_loss"], 4)] for v in tail],
    "improvement_pct": round(100 * (first - last) / first, 2),
    "final_val_loss": round(last, 4),
    "final_train_loss_smoothed": round(steps[-1]["smoothed_loss"], 4),
    "train_loss_last_step": round(steps[-1]["loss"], 4),
}, indent=2))
