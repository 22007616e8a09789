#!/usr/bin/python3
"""PyTorch CPU counterparts of bench/sampling.bench.ts. Prints one JSON line: milliseconds per call."""
import json, sys, time
import torch
import torch.nn.functional as F
from torchvision.ops import roi_align

torch.set_num_threads(2)
args = json.loads(sys.argv[1])
out = {}


def timeit(fn, min_s=1.0, max_reps=1000):
    fn(); fn()
    t0 = time.perf_counter(); n = 0
    while n < max_reps:
        fn(); n += 1
        if time.perf_counter() - t0 >= min_s:
            break
    return (time.perf_counter() - t0) / n * 1e3


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
