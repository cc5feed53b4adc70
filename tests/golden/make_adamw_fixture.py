#!/usr/bin/python3
"""Golden fixture for the trainer's AdamW and gradient clipping against torch.optim.AdamW and
torch.nn.utils.clip_grad_norm_ (Debian's python3-torch).

Two float32 parameters, as the trainer sees them: a 2-D one (5 x 7, weight decay 0.1) and a 1-D
one (7, no decay: like Hugging Face's Trainer the engine does not decay norms and biases, so the
reference puts it in a param group with weight_decay 0). Six steps with a different learning rate
each (warmup then decay) and fixed random gradients; before every update the gradients are
clipped to a global norm of 1.5 (some steps clip, some do not). The first step's gradients are
scaled by 1e-4, so that its second moment is small enough for eps to matter.

Writes tests/data/optimizer/adamw_expected.json: the initial parameters, every step's gradients
and learning rate, the pre-clip global norm of every step, and the parameters and both moment
estimates after the last step (flat lists in row-major order).

Run from anywhere: /usr/bin/python3 tests/golden/make_adamw_fixture.py
"""
import json
import os

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "data", "optimizer", "adamw_expected.json")


def main():
    gen = torch.Generator().manual_seed(20261206)
    shapes = {"weight": (5, 7), "norm": (7,)}
    initial = {name: torch.randn(shape, generator=gen, dtype=torch.float32) for name, shape in shapes.items()}
    params = {name: t.clone().requires_grad_(True) for name, t in initial.items()}
    betas, eps, decay, max_norm = (0.9, 0.95), 1e-6, 0.1, 1.5
    optimizer = torch.optim.AdamW(
        [{"params": [params["weight"]], "weight_decay": decay},
         {"params": [params["norm"]], "weight_decay": 0.0}],
        lr=1e-3, betas=betas, eps=eps)
    lrs = [1e-3, 2e-3, 3e-3, 2.5e-3, 1.5e-3, 5e-4]
    steps, norms = [], []
    for step, lr in enumerate(lrs):
        grads = {name: torch.randn(shape, generator=gen, dtype=torch.float32) * (0.3 + 0.4 * step)
                 for name, shape in shapes.items()}
        if step == 0:
            grads = {name: g * 1e-4 for name, g in grads.items()}
        for name, p in params.items():
            p.grad = grads[name].clone()
        norm = torch.nn.utils.clip_grad_norm_(list(params.values()), max_norm)
        norms.append(float(norm))
        for group in optimizer.param_groups:
            group["lr"] = lr
        optimizer.step()
        steps.append({"lr": lr, "grads": {name: g.flatten().tolist() for name, g in grads.items()}})
    state = optimizer.state
    result = {
        "betas": list(betas), "eps": eps, "weight_decay": decay, "max_norm": max_norm,
        "shapes": {name: list(shape) for name, shape in shapes.items()},
        "initial": {name: t.flatten().tolist() for name, t in initial.items()},
        "steps": steps,
        "grad_norms": norms,
        "final": {name: p.detach().flatten().tolist() for name, p in params.items()},
        "exp_avg": {name: state[p]["exp_avg"].flatten().tolist() for name, p in params.items()},
        "exp_avg_sq": {name: state[p]["exp_avg_sq"].flatten().tolist() for name, p in params.items()},
    }
    # The fixture must be able to fail: the parameters moved far beyond the test's tolerance.
    moved = max((params[n].detach() - initial[n]).abs().max().item() for n in params)
    assert moved > 1e-3, moved
    assert min(norms) < max_norm < max(norms), norms  # some steps clip, some do not
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(result, f, indent=1)
        f.write("\n")
    print("wrote", os.path.relpath(OUT), "moved", moved, "norms", norms)


if __name__ == "__main__":
    main()
