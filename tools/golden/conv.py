#!/usr/bin/python3
"""PyTorch golden fixtures for the conv family: conv2d and conv_transpose2d forward values and the gradients of
sum(out * w) with respect to input, weight and bias.

Run with Debian's python3-torch:  /usr/bin/python3 tools/golden/conv.py
Writes test/fixtures/conv/conv.json; test/tensor/conv.test.ts runs each case on both backends.
"""
import json
import os
import torch
import torch.nn.functional as F

torch.manual_seed(4321)
torch.set_default_dtype(torch.float64)
cases = []


def rnd(*shape):
    """random values rounded to 7 significant digits (what the JSON stores is exactly what torch used)"""
    return torch.tensor([float("%.7g" % v) for v in torch.randn(*shape).flatten().tolist()]).reshape(shape).requires_grad_()


def case(name, op, x_shape, w_shape, bias, **opts):
    x = rnd(*x_shape)
    w = rnd(*w_shape)
    groups = opts.get("groups", 1)
    nb = w_shape[0] if op == "conv2d" else w_shape[1] * groups
    b = rnd(nb) if bias else None
    fn = F.conv2d if op == "conv2d" else F.conv_transpose2d
    y = fn(x, w, b, **opts)
    cot = torch.randn(y.shape)
    (y * cot).sum().backward()
    flat = lambda t: [float("%.9g" % v) for v in t.detach().flatten().tolist()]
    cases.append({
        "name": name, "op": op, "opts": {k: (list(v) if isinstance(v, tuple) else v) for k, v in opts.items()},
        "x": {"shape": list(x.shape), "data": flat(x)}, "w": {"shape": list(w.shape), "data": flat(w)},
        "b": flat(b) if b is not None else None,
        "y": {"shape": list(y.shape), "data": flat(y)}, "cotangent": flat(cot),
        "gx": flat(x.grad), "gw": flat(w.grad), "gb": flat(b.grad) if b is not None else None,
    })


# conv2d
case("strided", "conv2d", (2, 3, 9, 8), (4, 3, 3, 3), True, stride=2)
case("padded_asym_pairs", "conv2d", (1, 3, 7, 9), (5, 3, 3, 2), True, stride=(1, 2), padding=(2, 1))
case("dilated", "conv2d", (2, 2, 10, 9), (3, 2, 3, 3), False, padding=2, dilation=(2, 3))
case("grouped", "conv2d", (1, 6, 7, 6), (9, 2, 3, 3), True, padding=1, groups=3)
case("depthwise7x7", "conv2d", (2, 3, 10, 9), (3, 1, 7, 7), True, padding=3, groups=3)
case("same_even", "conv2d", (1, 3, 6, 7), (2, 3, 4, 2), True, padding="same", dilation=(1, 2))
case("stem4x4s4", "conv2d", (2, 3, 13, 13), (6, 3, 4, 4), True, stride=4)
case("resnet_stem", "conv2d", (1, 3, 15, 14), (4, 3, 7, 7), False, stride=2, padding=3)
case("pointwise", "conv2d", (2, 8, 4, 5), (6, 8, 1, 1), True)
# conv_transpose2d
case("t_stride", "conv_transpose2d", (2, 4, 4, 5), (4, 3, 3, 3), True, stride=2)
case("t_padding", "conv_transpose2d", (1, 3, 6, 5), (3, 4, 3, 3), True, padding=1)
case("t_output_padding", "conv_transpose2d", (1, 3, 4, 4), (3, 2, 3, 3), True, stride=(2, 3), padding=(1, 0), output_padding=(1, 2))
case("t_groups", "conv_transpose2d", (2, 4, 4, 3), (4, 3, 3, 3), True, stride=2, padding=1, output_padding=1, groups=2)
case("t_dilation", "conv_transpose2d", (1, 2, 4, 5), (2, 3, 3, 2), False, dilation=2, output_padding=1)
case("t_2x2s2", "conv_transpose2d", (1, 6, 5, 4), (6, 4, 2, 2), True, stride=2)

out = os.path.join(os.path.dirname(__file__), "..", "..", "test", "fixtures", "conv", "conv.json")
with open(out, "w") as f:
    json.dump({"torch": torch.__version__, "cases": cases}, f)
print(f"wrote {len(cases)} cases to {os.path.normpath(out)} ({os.path.getsize(out)} bytes)")
