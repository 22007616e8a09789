#!/usr/bin/python3
"""PyTorch CPU counterparts of bench/fft.bench.ts. Prints one JSON line: seconds per call."""
import json, math
import torch
from timing import setup, timeit as timeit_s

args = setup()
min_s = args.get("min_s", 1.5)
out = {}


def timeit(fn):
    return timeit_s(fn, min_s=min_s, max_reps=500, warmup=3)


for c in args["cases"]:
    C, H, W = c["C"], c["H"], c["W"]
    for k in args["batches"]:
        key = f"{H}_{k}"
        z = torch.randn(k, C, H, W, dtype=torch.complex64)
        with torch.no_grad():
            out[f"fft2_{key}"] = timeit(lambda: torch.fft.fft2(z))
        M = torch.rand(C, H, W) * 1.5 + 0.5
        phi = (torch.rand(k, C, H, W) * 2 - 1) * math.pi
        img = lambda p: torch.fft.ifft2(torch.polar(M, p)).real
        with torch.no_grad():
            out[f"synth_{key}"] = timeit(lambda: img(phi))
        pg = phi.clone().requires_grad_(True)
        g = torch.randn(k, C, H, W)

        def step():
            pg.grad = None
            img(pg).backward(g)
        out[f"synth_bw_{key}"] = timeit(step)
print(json.dumps(out))
