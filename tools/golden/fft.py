#!/usr/bin/python3
"""PyTorch golden fixtures for the fft family (torch.fft, computed in complex128 and stored as float32).

Run with Debian's python3-torch:  /usr/bin/python3 tools/golden/fft.py
Writes test/fixtures/fft/cases.json (the cases) and test/fixtures/fft/data.npy (every output and gradient,
float32, concatenated; a case names its [offset, length]). Inputs are not stored: they are regenerated bit for
bit on both sides from a 32-bit integer hash (hval below, hashValues in test/tensor/fft.test.ts), values
k / 2^23 - 1 exactly representable in float32; each case records the float64 sum of its inputs so that a
mismatch of the generators is reported as such. Complex tensors are stored as view_as_real (trailing 2).

Cases: the 1-D transforms fft (norm 'backward'), rfft ('forward') and irfft ('ortho', n given) for every n in
1..128 along rows; 2-D transforms at the synthesis sizes (fft2 93x93, rfft2 100x100, ifft2 97x40, irfft2
128x65 -> 128x128); small 2-D cases with gradients of sum(out * w) for a hashed cotangent w; and the synthesis
pattern real(ifft2(polar(M, phi))) at 93x93 with its gradient to phi. Gradients are stored for the first input.
"""
import json
import math
import os
import numpy as np
import torch

torch.set_default_dtype(torch.float64)
MASK = 0xFFFFFFFF


def hval(seed, i):
    h = (seed * 0x9E3779B1 + i * 0x85EBCA77 + 0x165667B1) & MASK
    h ^= h >> 15
    h = (h * 0x2C1B3C6D) & MASK
    h ^= h >> 12
    h = (h * 0x297A2D39) & MASK
    h ^= h >> 15
    return (h >> 8) / 2 ** 23 - 1.0


def gen(seed, shape):
    n = int(np.prod(shape)) if len(shape) else 1
    return torch.tensor([hval(seed, i) for i in range(n)], dtype=torch.float64).reshape(shape)


def as_complex(t):
    return torch.view_as_complex(t.contiguous())


blobs, cases = [], []
offset = 0


def put(t):
    global offset
    a = t.detach().double().flatten().numpy().astype(np.float32)
    blobs.append(a)
    at = [offset, int(a.size)]
    offset += a.size
    return at


def real_view(t):
    return torch.view_as_real(t) if t.is_complex() else t


def case(name, op, fn, in_shape, complex_in, seed, args, grad=False, extra_inputs=(), record=True):
    x = gen(seed, in_shape)
    xs = [x] + [gen(s, shp) for s, shp in extra_inputs]
    leaves = [t.clone().requires_grad_(grad) for t in xs]
    ins = [as_complex(leaves[0]) if complex_in else leaves[0]] + leaves[1:]
    out = fn(*ins)
    out_r = real_view(out)
    entry = {"name": name, "op": op, "seed": seed, "shape": list(in_shape), "args": args,
             "checksum": float(sum(t.sum() for t in xs)), "outShape": list(out_r.shape), "out": put(out_r)}
    if extra_inputs:
        entry["extra"] = [{"seed": s, "shape": list(shp)} for s, shp in extra_inputs]
    if grad:
        w_seed = seed + 1000
        w = gen(w_seed, list(out_r.shape))
        (out_r * w).sum().backward()
        entry["wSeed"] = w_seed
        entry["grads"] = [put(leaves[0].grad)]
    if record:
        cases.append(entry)
    return entry


fft = torch.fft
# 1-D along rows, every n in 1..128: one series entry per op (case n has seed base + n, outputs in order of n)
series = [
    ("fft", lambda n: (lambda z: fft.fft(z, norm="backward"), [n, 2], True, {"norm": "backward"}), 10000),
    ("rfft", lambda n: (lambda x: fft.rfft(x, norm="forward"), [n], False, {"norm": "forward"}), 20000),
    ("irfft", lambda n: (lambda z: fft.irfft(z, n=n, norm="ortho"), [n // 2 + 1, 2], True, {"norm": "ortho", "n": n}), 30000),
]
for op, make, base in series:
    first, total, sums = None, 0, []
    for n in range(1, 129):
        fn, shape, cplx, args = make(n)
        e = case(f"{op} n={n}", op, fn, shape, cplx, base + n, args, record=False)
        first = e["out"][0] if first is None else first
        total += e["out"][1]
        sums.append(e["checksum"])
    cases.append({"name": f"{op} n=1..128", "op": op, "series": [1, 128], "seedBase": base, "norm": make(1)[3]["norm"],
                  "out": [first, total], "checksum": float(sum(sums))})

# 2-D at the synthesis sizes (forward only)
case("fft2 93x93", "fft2", lambda z: fft.fft2(z), [1, 93, 93, 2], True, 41, {"norm": "backward"})
case("rfft2 100x100 ortho", "rfft2", lambda x: fft.rfft2(x, norm="ortho"), [1, 100, 100], False, 42, {"norm": "ortho"})
case("ifft2 97x40 forward", "ifft2", lambda z: fft.ifft2(z, norm="forward"), [1, 97, 40, 2], True, 43, {"norm": "forward"})
case("irfft2 128x65 -> 128x128", "irfft2", lambda z: fft.irfft2(z), [1, 128, 65, 2], True, 44, {"norm": "backward"})

# small 2-D cases with gradients
case("fft2 grad (2,31,20) ortho", "fft2", lambda z: fft.fft2(z, norm="ortho"), [2, 31, 20, 2], True, 51, {"norm": "ortho"}, grad=True)
case("ifft2 grad (3,9,12)", "ifft2", lambda z: fft.ifft2(z), [3, 9, 12, 2], True, 52, {"norm": "backward"}, grad=True)
case("rfft2 grad (2,7,31)", "rfft2", lambda x: fft.rfft2(x), [2, 7, 31], False, 53, {"norm": "backward"}, grad=True)
case("rfft2 grad (1,6,8) forward", "rfft2", lambda x: fft.rfft2(x, norm="forward"), [1, 6, 8], False, 54, {"norm": "forward"}, grad=True)
case("irfft2 grad (1,9,16) -> (9,30)", "irfft2", lambda z: fft.irfft2(z, s=(9, 30)), [1, 9, 16, 2], True, 55, {"norm": "backward", "size": [9, 30]}, grad=True)
case("irfft2 grad (2,5,4) -> (6,7) ortho", "irfft2", lambda z: fft.irfft2(z, s=(6, 7), norm="ortho"), [2, 5, 4, 2], True, 56, {"norm": "ortho", "size": [6, 7]}, grad=True)
case("irfft2 grad (1,8,7) -> (5,6)", "irfft2", lambda z: fft.irfft2(z, s=(5, 6)), [1, 8, 7, 2], True, 57, {"norm": "backward", "size": [5, 6]}, grad=True)
case("irfft grad (3,13) -> 24 forward", "irfft", lambda z: fft.irfft(z, n=24, norm="forward"), [3, 13, 2], True, 58, {"norm": "forward", "n": 24}, grad=True)
case("rfft grad (2,97)", "rfft", lambda x: fft.rfft(x), [2, 97], False, 59, {"norm": "backward"}, grad=True)


# the synthesis pattern: M in [0.5, 2), phi in [-pi, pi)
def synth(phi, m):
    return fft.ifft2(torch.polar(1.25 + 0.75 * m, math.pi * phi)).real


case("synthesis real(ifft2(polar(M, phi))) 93x93", "synth", synth, [1, 1, 93, 93], False, 61, {"norm": "backward"}, grad=True,
     extra_inputs=[(62, [1, 93, 93])])

# how far torch's own complex64 results are from complex128 at the named sizes (printed, for the report)
for n in (93, 97, 100, 128):
    z = as_complex(gen(70 + n, [4, n, n, 2]))
    ref = fft.fft2(z)
    got = fft.fft2(z.to(torch.complex64)).to(torch.complex128)
    print(f"torch complex64 fft2 {n}x{n}: max |err| / max |ref| = {float((got - ref).abs().max() / ref.abs().max()):.2e}")

here = os.path.dirname(os.path.abspath(__file__))
out_dir = os.path.join(here, "..", "..", "test", "fixtures", "fft")
os.makedirs(out_dir, exist_ok=True)
np.save(os.path.join(out_dir, "data.npy"), np.concatenate(blobs).astype(np.float32))
with open(os.path.join(out_dir, "cases.json"), "w") as f:
    json.dump({"torch": torch.__version__, "generator": "tools/golden/fft.py", "cases": cases}, f, separators=(",", ":"))
print(f"wrote {len(cases)} cases, {offset} floats to {os.path.normpath(out_dir)}")
