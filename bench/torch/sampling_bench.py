#!/usr/bin/python3
"""PyTorch CPU counterparts of bench/sampling.bench.ts. Prints one JSON line: milliseconds per call."""
import json
import torch
import torch.nn.functional as F
from timing import setup, timeit as timeit_s
from torchvision.ops import roi_align

args = setup()


def timeit(fn):
    return timeit_s(fn) * 1e3  # milliseconds


out = {}


def fwd_bwd(f, xs, grads):
    xg = [x.clone().requires_grad_(g) for x, g in zip(xs, grads)]
    g = torch.randn_like(f(*xs))
    def step():
        for x in xg:
            x.grad = None
        f(*xg).backward(g)
    return step


for key, shape, points in (("v4", (16, 1024, 7, 7), 394), ("v1", (64, 80, 11, 11), 458)):
    x = torch.randn(*shape)
    grid = torch.rand(shape[0], points, 1, 2) * 2 - 1
    f = lambda a, g: F.grid_sample(a, g, mode="bilinear", padding_mode="zeros", align_corners=True)
    with torch.no_grad():
        out[f"grid_{key}"] = timeit(lambda: f(x, grid))
    out[f"grid_{key}_bw"] = timeit(fwd_bwd(f, [x, grid], [True, True]))

x = torch.randn(1, 3, 110, 110)
boxes = torch.tensor(args["boxes"], dtype=torch.float32)
f = lambda a: roi_align(a, boxes, (100, 100), spatial_scale=1.0, sampling_ratio=-1, aligned=True)
with torch.no_grad():
    out["roi"] = timeit(lambda: f(x))
out["roi_bw"] = timeit(fwd_bwd(f, [x], [True]))

x = torch.randn(4, 3, 236, 236)
f = lambda a: F.interpolate(a, size=(100, 100), mode="bicubic", align_corners=False, antialias=True)
with torch.no_grad():
    out["aa"] = timeit(lambda: f(x))
out["aa_bw"] = timeit(fwd_bwd(f, [x], [True]))
print(json.dumps(out))
