#!/usr/bin/python3
"""PyTorch golden fixtures for the tensor layer (issue 2): forward values and input gradients of a set of ops.

Run with Debian's python3-torch:  /usr/bin/python3 tools/golden/tensor_ops.py
Writes test/fixtures/tensor/ops.json. Each case: inputs (shape, data), the output of the op, a cotangent w and
the gradients of sum(out * w) with respect to each float input. The TS test (test/tensor/golden.test.ts) runs the
same op by name on both backends.
"""
import json
import os
import torch
import torch.nn.functional as F

torch.manual_seed(1234)
torch.set_default_dtype(torch.float64)
cases = []


def case(name, fn, *inputs, grad=True):
    xs = [x.clone().requires_grad_(grad and x.is_floating_point()) for x in inputs]
    out = fn(*xs)
    outs = out if isinstance(out, (list, tuple)) else [out]
    ws = [torch.randn(o.shape) for o in outs]
    grads = []
    if grad and any(x.requires_grad for x in xs):
        loss = sum((o * w).sum() for o, w in zip(outs, ws))
        loss.backward()
        grads = [x.grad.flatten().tolist() if x.grad is not None else None for x in xs]
    enc = lambda t: {"shape": list(t.shape), "dtype": "i32" if not t.is_floating_point() else "f32", "data": t.detach().flatten().tolist()}
    cases.append({"name": name, "inputs": [enc(x) for x in inputs], "outputs": [enc(o) for o in outs],
                  "cotangents": [w.flatten().tolist() for w in ws], "grads": grads})


r = lambda *s: torch.randn(*s)
case("slice_steps", lambda x: x[1:4:2, ::3, 1:], r(4, 6, 5))
case("permute_contiguous", lambda x: x.permute(2, 0, 1).contiguous(), r(2, 3, 4))
case("flip", lambda x: x.flip([0, 2]), r(3, 2, 4))
case("pad_reflect", lambda x: F.pad(x, (2, 3, 1, 2), mode="reflect"), r(1, 2, 5, 6))
case("pad_replicate", lambda x: F.pad(x, (2, 3, 1, 2), mode="replicate"), r(1, 2, 5, 6))
case("pad_constant", lambda x: F.pad(x, (1, 2, 0, 3), value=0.5), r(2, 3, 4))
case("cat", lambda a, b: torch.cat([a, b], 0), r(2, 3), r(4, 3))
case("stack", lambda a, b: torch.stack([a, b], 1), r(2, 3), r(2, 3))
case("split", lambda x: list(x.split(3, 0)), r(7, 3))
case("gather", lambda x, i: torch.gather(x, 1, i), r(3, 5), torch.tensor([[0, 4, 4, 1], [2, 2, 2, 2], [3, 0, 1, 4]]))
case("index_select", lambda x, i: x.index_select(1, i), r(4, 5, 3), torch.tensor([4, 0, 0, 2]))
case("expand_mul", lambda x, w: x.expand(3, 4) * w, r(3, 1), r(3, 4))
case("broadcast_div", lambda a, b: a / b, r(2, 1, 4), r(3, 1).abs() + 0.5)
case("var_unbiased", lambda x: x.var(dim=1), r(4, 7))
case("std_keepdim", lambda x: x.std(dim=(0, 2), keepdim=True), r(3, 4, 5))
case("var_biased", lambda x: x.var(dim=0, unbiased=False), r(6, 3))
case("norm2", lambda x: torch.linalg.vector_norm(x, 2, dim=-1), r(3, 6))
case("norm1", lambda x: torch.linalg.vector_norm(x, 1, dim=0), r(3, 6))
case("softmax", lambda x: torch.softmax(x * 3, dim=-1), r(4, 9))
case("log_softmax", lambda x: torch.log_softmax(x * 3, dim=1), r(2, 5, 3))
case("logsumexp", lambda x: torch.logsumexp(x, dim=(1,)), r(3, 8))
case("mean", lambda x: x.mean(dim=(0, 2)), r(2, 3, 4))
case("amax", lambda x: x.amax(dim=1), torch.tensor([[1.0, 3.0, 3.0, 0.5], [2.0, -1.0, 0.0, 2.0]]))
case("maximum_ties", lambda a, b: torch.maximum(a, b), torch.tensor([1.0, 2.0, 3.0, -1.0]), torch.tensor([1.0, 0.0, 4.0, -1.0]))
case("matmul_broadcast", lambda a, b: a @ b, r(2, 1, 5, 7), r(3, 7, 4))
case("matmul_vec", lambda a, b: a @ b, r(6), r(6, 3))
case("gelu", lambda x: F.gelu(x * 3), r(20))
case("gelu_tanh", lambda x: F.gelu(x * 3, approximate="tanh"), r(20))
case("elu", lambda x: F.elu(x * 2, alpha=0.7), r(20))
case("softplus", lambda x: F.softplus(x * 8, beta=1.5, threshold=5), r(20))
case("sigmoid_tanh", lambda x: torch.sigmoid(x * 3) * torch.tanh(x * 2), r(20))
case("pow_sqrt_log", lambda a, b: torch.pow(a.abs() + 0.5, b) + torch.sqrt(a.abs() + 0.1) * torch.log1p(a.abs()), r(10), r(10))
case("clamp", lambda x: x.clamp(-0.5, 0.8), r(20))
case("where", lambda c, a, b: torch.where(c > 0, a, b), r(3, 4), r(3, 4), r(1, 4))

out = os.path.join(os.path.dirname(__file__), "..", "..", "test", "fixtures", "tensor", "ops.json")
with open(out, "w") as f:
    json.dump({"torch": torch.__version__, "cases": cases}, f)
print(f"wrote {len(cases)} cases to {os.path.normpath(out)}")
