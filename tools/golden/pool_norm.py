#!/usr/bin/python3
"""PyTorch golden fixtures for the pool, norm and image kernel families.

Run with Debian's python3-torch:  /usr/bin/python3 tools/golden/pool_norm.py
Writes test/fixtures/pool_norm/cases.json. Each case: inputs (shape, data), outputs, a cotangent per output and
the gradients of sum(out * w) with respect to each input marked differentiable (null for the others), plus
`extra` tensors (e.g. BatchNorm running statistics after a training step). Computed in float64. The TS tests
(test/tensor/{pool,norm,image}.test.ts) run the same op by name on both backends.
"""
import json
import math
import os
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision.transforms.functional as TF
import torchvision.transforms.functional_tensor as FT

torch.manual_seed(20240611)
torch.set_default_dtype(torch.float64)
cases = []


def short(t, digits):
    """values rounded to `digits` significant digits (keeps the JSON small)"""
    return torch.tensor([float(f"%.{digits}g" % v) for v in t.detach().flatten().tolist()]).reshape(t.shape)


def enc(t):
    t = t.detach()
    if not t.is_floating_point():
        return {"shape": list(t.shape), "dtype": "i32", "data": t.flatten().tolist()}
    return {"shape": list(t.shape), "dtype": "f32", "data": [float("%.10g" % v) for v in t.flatten().tolist()]}


def lst(t):
    return enc(t)["data"]


def case(name, fn, inputs, diff=None, extra=None):
    """diff: which inputs get gradients (default: all float inputs)."""
    diff = diff if diff is not None else [x.is_floating_point() for x in inputs]
    xs = [x.clone().requires_grad_(d) for x, d in zip(inputs, diff)]
    out = fn(*xs)
    outs = out if isinstance(out, (list, tuple)) else [out]
    ws = [short(torch.randn(o.shape), 6) for o in outs]
    loss = sum((o * w).sum() for o, w in zip(outs, ws))
    loss.backward()
    grads = [lst(x.grad) if d and x.grad is not None else None for x, d in zip(xs, diff)]
    cases.append({"name": name, "inputs": [enc(x) for x in inputs], "outputs": [enc(o) for o in outs],
                  "cotangents": [lst(w) for w in ws], "grads": grads,
                  "extra": {k: enc(v) for k, v in (extra or {}).items()}})


r = lambda *s: short(torch.randn(*s), 7)

# ---------------------------------------------------------------- pool
case("maxpool_resnet", lambda x: F.max_pool2d(x, 3, 2, 1), [r(2, 3, 9, 11)])
case("maxpool_ceil_dilation", lambda x: F.max_pool2d(x, (3, 2), (2, 1), (1, 1), (2, 1), ceil_mode=True), [r(1, 2, 10, 9)])
case("maxpool_ties", lambda x: F.max_pool2d(x, 2, 1), [torch.randint(0, 3, (1, 2, 4, 5)).double()])
case("maxpool_chw_default_stride", lambda x: F.max_pool2d(x, 2), [r(3, 7, 8)])
case("avgpool_pad", lambda x: F.avg_pool2d(x, 3, 2, 1), [r(2, 3, 9, 11)])
case("avgpool_ceil_exclude_pad", lambda x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False), [r(1, 2, 8, 8)])
case("avgpool_ceil_include_pad", lambda x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=True), [r(1, 2, 8, 8)])
case("avgpool_divisor", lambda x: F.avg_pool2d(x, (2, 3), (1, 2), divisor_override=5), [r(2, 1, 5, 8)])
case("adaptive_down", lambda x: F.adaptive_avg_pool2d(x, (3, 4)), [r(2, 3, 10, 7)])
case("adaptive_up", lambda x: F.adaptive_avg_pool2d(x, (7, 3)), [r(1, 2, 5, 5)])
case("adaptive_global", lambda x: F.adaptive_avg_pool2d(x, 1), [r(3, 4, 6, 5)])

# ---------------------------------------------------------------- norm
case("layernorm_last", lambda x, w, b: F.layer_norm(x, (7,), w, b, 1e-5), [r(2, 5, 7), r(7), r(7)])
case("layernorm_two_dims", lambda x, w, b: F.layer_norm(x, (3, 4), w, b, 1e-6), [short(r(3, 3, 4) * 2 + 1, 7), r(3, 4), r(3, 4)])
case("layernorm_no_affine", lambda x: F.layer_norm(x, (9,), None, None, 1e-5), [r(4, 9)])


def layernorm2d(x, w, b, eps=1e-6):
    # ConvNeXt channels_first LayerNorm (HF ConvNextLayerNorm / the ConvNeXt-V2 reference)
    u = x.mean(1, keepdim=True)
    s = (x - u).pow(2).mean(1, keepdim=True)
    x = (x - u) / torch.sqrt(s + eps)
    return w[:, None, None] * x + b[:, None, None]


case("layernorm2d", layernorm2d, [r(2, 6, 5, 4), r(6), r(6)])

rm, rv = r(4), short(r(4).abs() + 0.5, 7)
case("batchnorm_eval", lambda x, m, v, w, b: F.batch_norm(x, m, v, w, b, training=False, eps=1e-5),
     [r(3, 4, 5, 6), rm, rv, r(4), r(4)], diff=[True, False, False, True, True])
rm_t, rv_t = rm.clone(), rv.clone()
xb = short(r(3, 4, 5, 6) * 1.5 + 0.3, 7)
wb, bb = r(4), r(4)
case("batchnorm_train", lambda x, m, v, w, b: F.batch_norm(x, m, v, w, b, training=True, momentum=0.1, eps=1e-5),
     [xb, rm.clone(), rv.clone(), wb, bb], diff=[True, False, False, True, True])
F.batch_norm(xb, rm_t, rv_t, wb, bb, training=True, momentum=0.1, eps=1e-5)
cases[-1]["extra"] = {"running_mean": enc(rm_t), "running_var": enc(rv_t)}
rm2, rv2 = r(5), short(r(5).abs() + 0.5, 7)
x2 = r(6, 5)
case("batchnorm_train_2d", lambda x, m, v: F.batch_norm(x, m, v, None, None, training=True, momentum=0.3, eps=1e-3),
     [x2, rm2.clone(), rv2.clone()], diff=[True, False, False])
F.batch_norm(x2, rm2, rv2, None, None, training=True, momentum=0.3, eps=1e-3)
cases[-1]["extra"] = {"running_mean": enc(rm2), "running_var": enc(rv2)}


class ConvNextV2GRN(nn.Module):
    """Written after HF transformers' ConvNextV2GRN (channels-last input, weight/bias (1, 1, 1, C))."""

    def __init__(self, dim):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(1, 1, 1, dim))
        self.bias = nn.Parameter(torch.zeros(1, 1, 1, dim))

    def forward(self, hidden_states):
        global_features = torch.norm(hidden_states, p=2, dim=(1, 2), keepdim=True)
        norm_features = global_features / (global_features.mean(dim=-1, keepdim=True) + 1e-6)
        return self.weight * (hidden_states * norm_features) + self.bias + hidden_states


def grn(x, w, b):
    m = ConvNextV2GRN(x.shape[-1])
    m.weight, m.bias = nn.Parameter(w), nn.Parameter(b)
    out = m(x)
    return out


# grads w.r.t. w, b come through the Parameters: compute them explicitly
def grn_case(name, x, w, b):
    xs = x.clone().requires_grad_(True)
    m = ConvNextV2GRN(x.shape[-1])
    with torch.no_grad():
        m.weight.copy_(w)
        m.bias.copy_(b)
    out = m(xs)
    wt = short(torch.randn(out.shape), 6)
    (out * wt).sum().backward()
    cases.append({"name": name, "inputs": [enc(x), enc(w), enc(b)], "outputs": [enc(out)], "cotangents": [lst(wt)],
                  "grads": [lst(xs.grad), lst(m.weight.grad), lst(m.bias.grad)], "extra": {}})


grn_case("grn", r(2, 5, 4, 6), r(1, 1, 1, 6), r(1, 1, 1, 6))

# ---------------------------------------------------------------- image
k1 = FT._get_gaussian_kernel1d(5, 1.5)
cases.append({"name": "gaussian_kernel_5_1.5", "inputs": [], "outputs": [enc(k1)], "cotangents": [], "grads": [], "extra": {}})
case("blur_5_1.5", lambda x: TF.gaussian_blur(x, [5, 5], [1.5, 1.5]), [r(1, 2, 7, 8)])
case("blur_anisotropic", lambda x: TF.gaussian_blur(x, [5, 3], [1.5, 0.8]), [r(2, 3, 9, 11)])
K = torch.tensor([[0.56282854, 0.58447580, 0.58447580], [0.19482528, 0.0, -0.19482528], [0.04329450, -0.10823626, 0.06494176]])
case("color_matrix", lambda x, m: torch.einsum("nihw,ij->njhw", x, m), [r(2, 3, 4, 5), K])


def tv(x, kind):
    dx = x[..., :, 1:] - x[..., :, :-1]
    dy = x[..., 1:, :] - x[..., :-1, :]
    if kind == "l2global":
        return torch.sqrt((dx ** 2).sum() + (dy ** 2).sum() + 1e-8)
    if kind == "l1":
        return dx.abs().sum() + dy.abs().sum()
    return (dx ** 2).sum() + (dy ** 2).sum()


case("tv_diffs", lambda x: [x[..., :, 1:] - x[..., :, :-1], x[..., 1:, :] - x[..., :-1, :]], [r(2, 3, 5, 6)])
for kind in ["l2global", "l1", "l2"]:
    case(f"tv_{kind}", lambda x, kind=kind: tv(x, kind), [r(1, 3, 6, 7)])

out = os.path.join(os.path.dirname(__file__), "..", "..", "test", "fixtures", "pool_norm", "cases.json")
with open(out, "w") as f:
    json.dump({"torch": torch.__version__, "cases": cases}, f)
print(f"wrote {len(cases)} cases to {os.path.normpath(out)} ({os.path.getsize(out)} bytes)")
