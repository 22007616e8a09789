#!/usr/bin/python3
"""PyTorch golden fixtures for the sampling family: grid_sample, torchvision roi_align and interpolate.

Run with Debian's python3-torch 1.13 and python3-torchvision 0.14:  /usr/bin/python3 tools/golden/sampling.py
Writes test/fixtures/sampling/cases.json. Every case is computed in float32 (the library's dtype, so PyTorch
makes the same float32 index decisions as our kernels): the inputs, the op's arguments, its output, a cotangent
w and the gradients of sum(out * w) with respect to the float inputs that get one (x and grid for grid_sample,
x for roi_align and interpolate). test/tensor/sampling.test.ts replays each case on both backends.
"""
import json
import os
import numpy as np
import torch
import torch.nn.functional as F
from torchvision.ops import roi_align

torch.manual_seed(2024)
cases = []


def flat(t):
    # shortest decimal that reads back as the same float32
    return [float(str(v)) for v in t.detach().numpy().astype(np.float32).flatten()]


def enc(t):
    return {"shape": list(t.shape), "data": flat(t)}


def case(name, op, args, fn, inputs, grad_of):
    xs = [x.clone().requires_grad_(k in grad_of) for k, x in enumerate(inputs)]
    out = fn(*xs)
    w = torch.randn(out.shape)
    if grad_of:
        (out * w).sum().backward()
    grads = [flat(xs[k].grad) if k in grad_of else None for k in range(len(xs))]
    cases.append({"name": name, "op": op, "args": args, "inputs": [enc(x) for x in inputs], "output": enc(out),
                  "cotangent": flat(w), "grads": grads})


def uniform(shape, lo, hi):
    return torch.rand(shape) * (hi - lo) + lo


# grid_sample: every mode x padding x align_corners, grid points partly outside [-1, 1]
for mode in ("bilinear", "nearest"):
    for padding in ("zeros", "border", "reflection"):
        for align in (False, True):
            x = torch.randn(2, 2, 5, 6)
            grid = uniform((2, 4, 3, 2), -1.4, 1.4)
            case(f"grid_sample {mode} {padding} align={align}", "grid_sample",
                 {"mode": mode, "padding_mode": padding, "align_corners": align},
                 lambda x, g, m=mode, p=padding, a=align: F.grid_sample(x, g, mode=m, padding_mode=p, align_corners=a),
                 [x, grid], {0, 1})
# the twins' readout: bilinear, zeros, align_corners=True, grid (N, neurons, 1, 2) on an 11x11 map
case("grid_sample readout", "grid_sample", {"mode": "bilinear", "padding_mode": "zeros", "align_corners": True},
     lambda x, g: F.grid_sample(x, g, mode="bilinear", padding_mode="zeros", align_corners=True),
     [torch.randn(1, 3, 11, 11), uniform((1, 9, 1, 2), -1, 1)], {0, 1})
# far outside the image, reflection over several spans
case("grid_sample reflection far", "grid_sample", {"mode": "bilinear", "padding_mode": "reflection", "align_corners": False},
     lambda x, g: F.grid_sample(x, g, mode="bilinear", padding_mode="reflection", align_corners=False),
     [torch.randn(1, 2, 4, 5), uniform((1, 3, 5, 2), -5, 5)], {0, 1})

# roi_align: boxes partly outside the image, tiny and large; aligned x sampling_ratio
boxes = torch.tensor([
    [0, 1.3, 0.7, 6.2, 5.9],      # inside
    [1, -3.1, -2.4, 4.6, 3.3],    # partly outside (top left)
    [0, 7.5, 4.2, 14.8, 12.9],    # partly outside (bottom right)
    [1, 3.2, 2.6, 3.5, 2.8],      # tiny
    [0, -1.5, -2.0, 12.5, 10.5],  # larger than the image
    [1, 0.0, 0.0, 10.0, 8.0],     # exactly the image
], dtype=torch.float32)
for aligned in (False, True):
    for ratio in (-1, 2):
        case(f"roi_align aligned={aligned} sampling_ratio={ratio}", "roi_align",
             {"output_size": [3, 4], "spatial_scale": 1.0, "sampling_ratio": ratio, "aligned": aligned},
             lambda x, b, a=aligned, r=ratio: roi_align(x, b, (3, 4), spatial_scale=1.0, sampling_ratio=r, aligned=a),
             [torch.randn(2, 2, 9, 11), boxes], {0})
case("roi_align spatial_scale=0.5", "roi_align", {"output_size": [2, 3], "spatial_scale": 0.5, "sampling_ratio": -1, "aligned": False},
     lambda x, b: roi_align(x, b, (2, 3), spatial_scale=0.5, sampling_ratio=-1, aligned=False),
     [torch.randn(2, 2, 9, 11), boxes * torch.tensor([1, 2, 2, 2, 2])], {0})
# the synthesis crops: aligned, adaptive, boxes of a reflect-padded image resampled to more bins than pixels
case("roi_align crops", "roi_align", {"output_size": [7, 7], "spatial_scale": 1.0, "sampling_ratio": -1, "aligned": True},
     lambda x, b: roi_align(x, b, (7, 7), spatial_scale=1.0, sampling_ratio=-1, aligned=True),
     [torch.randn(1, 2, 12, 12), torch.tensor([[0, 2.3, 3.1, 6.9, 7.4], [0, 0.0, 0.0, 12.0, 12.0], [0, 5.5, 1.0, 11.8, 9.7]])], {0})
# larger boxes than bins: several samples per bin
case("roi_align many samples", "roi_align", {"output_size": [2, 3], "spatial_scale": 1.0, "sampling_ratio": -1, "aligned": True},
     lambda x, b: roi_align(x, b, (2, 3), spatial_scale=1.0, sampling_ratio=-1, aligned=True),
     [torch.randn(1, 2, 13, 14), torch.tensor([[0, 0.4, 0.9, 13.1, 12.6]])], {0})

# interpolate: up- and down-sampling by non-integer factors, every mode, antialiased down-sampling
x57 = lambda: torch.randn(1, 2, 5, 7)
x1113 = lambda: torch.randn(1, 2, 11, 13)


def interp_case(name, x, grad=True, **kw):
    args = {k: (list(v) if isinstance(v, tuple) else v) for k, v in kw.items()}
    case(name, "interpolate", args, lambda t: F.interpolate(t, **kw), [x], {0} if grad else set())


interp_case("nearest up size", x57(), size=(12, 10), mode="nearest")
interp_case("nearest scale", x57(), scale_factor=(1.7, 0.55), mode="nearest")
# PyTorch 1.13's backward kernels disagree with its own forward when a scale factor gives exactly the input
# size (bicubic: the backward copies) or twice it (nearest: the backward shifts, the NCHW forward floors o / 2.1;
# with one channel the forward takes the channels-last path and shifts too). We follow the NCHW forward and
# differentiate it exactly, so these two cases compare forward values only.
interp_case("nearest 2x scale", x57(), grad=False, scale_factor=(2.1, 2.0), mode="nearest")
interp_case("nearest down size", x1113(), size=(5, 6), mode="nearest")
for align in (False, True):
    interp_case(f"bilinear up align={align}", x57(), size=(8, 11), mode="bilinear", align_corners=align)
    interp_case(f"bilinear down align={align}", x1113(), scale_factor=0.6, mode="bilinear", align_corners=align)
    interp_case(f"bicubic up align={align}", x57(), scale_factor=(1.7, 2.3), mode="bicubic", align_corners=align)
    interp_case(f"bicubic down align={align}", x1113(), size=(6, 9), mode="bicubic", align_corners=align)
interp_case("bilinear same size scale", x57(), scale_factor=1.05, mode="bilinear", align_corners=False)
interp_case("bicubic same size scale", x57(), grad=False, scale_factor=1.05, mode="bicubic", align_corners=False)
interp_case("bilinear antialias down", x1113(), size=(5, 7), mode="bilinear", align_corners=False, antialias=True)
interp_case("bicubic antialias down", x1113(), size=(5, 7), mode="bicubic", align_corners=False, antialias=True)
interp_case("bicubic antialias down scale", x1113(), scale_factor=0.45, mode="bicubic", align_corners=False, antialias=True)
interp_case("bilinear antialias down align", x1113(), size=(4, 6), mode="bilinear", align_corners=True, antialias=True)
interp_case("bicubic antialias up", x57(), size=(8, 11), mode="bicubic", align_corners=False, antialias=True)
interp_case("bicubic antialias mixed", x1113(), size=(20, 8), mode="bicubic", align_corners=False, antialias=True)

out = os.path.join(os.path.dirname(__file__), "..", "..", "test", "fixtures", "sampling", "cases.json")
os.makedirs(os.path.dirname(out), exist_ok=True)
with open(out, "w") as f:
    json.dump({"torch": torch.__version__, "cases": cases}, f)
print(f"wrote {len(cases)} cases ({os.path.getsize(out)} bytes) to {os.path.normpath(out)}")
