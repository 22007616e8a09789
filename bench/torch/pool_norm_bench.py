#!/usr/bin/python3
"""PyTorch CPU counterparts of bench/pool_norm.bench.ts. Prints one JSON line: milliseconds per call."""
import json
import torch
import torch.nn.functional as F
from timing import setup, timeit as timeit_s

args = setup()


def timeit(fn):
    return timeit_s(fn) * 1e3  # milliseconds


out = {}


def layernorm2d(x, w, b, eps=1e-6):
    # ConvNeXt channels_first LayerNorm, as HF's ConvNextLayerNorm computes it
    u = x.mean(1, keepdim=True)
    s = (x - u).pow(2).mean(1, keepdim=True)
    return w[:, None, None] * ((x - u) / torch.sqrt(s + eps)) + b[:, None, None]


def fwd_bwd(f, x):
    xg = x.clone().requires_grad_(True)
    g = torch.randn_like(f(x))
    def step():
        xg.grad = None
        f(xg).backward(g)
    return step


for n in args["maxpool"]:
    x = torch.randn(n, 64, 50, 50)
    f = lambda t: F.max_pool2d(t, 3, 2, 1)
    with torch.no_grad():
        out[f"maxpool{n}"] = timeit(lambda: f(x))
    out[f"maxpool{n}_bw"] = timeit(fwd_bwd(f, x))

x = torch.randn(16, 40, 23, 23)
w, b = torch.randn(40), torch.randn(40)
f = lambda t: layernorm2d(t, w, b)
with torch.no_grad():
    out["ln2d"] = timeit(lambda: f(x))
    out["ln2d_native"] = timeit(lambda: F.layer_norm(x.permute(0, 2, 3, 1), (40,), w, b, 1e-6).permute(0, 3, 1, 2))
out["ln2d_bw"] = timeit(fwd_bwd(f, x))

x = torch.randn(16, 256, 25, 25)
rm, rv, w, b = torch.randn(256), torch.rand(256) + 0.5, torch.randn(256), torch.randn(256)
with torch.no_grad():
    out["bn_eval"] = timeit(lambda: F.batch_norm(x, rm, rv, w, b, training=False, eps=1e-5))
print(json.dumps(out))
