#!/usr/bin/python3
"""PyTorch CPU counterparts of bench/conv.bench.ts: conv2d forward and input-gradient GFLOP/s per case, best of
several rounds (as the TS side). Argument: JSON {"cases": [{"name", "x": [N,C,H,W], "w": [O,Cg,kH,kW], "stride",
"padding", "groups", "bias", "flop"}], "backward": [same], "quick": bool}. Prints one JSON line
{name: GFLOP/s, "bw:" + name: GFLOP/s, ...}."""
import json, sys, time
import torch
import torch.nn.functional as F

import os
if os.environ.get('DUALNEURON_TORCH_DEVICE', 'cpu') != 'cpu':
    sys.exit('this baseline runs on the CPU only (unset DUALNEURON_TORCH_DEVICE)')
torch.set_num_threads(2)
args = json.loads(sys.argv[1])
min_s = 0.6 if args.get("quick") else 2.0
out = {"threads": torch.get_num_threads(), "mkldnn": torch.backends.mkldnn.is_available()}


def best_time(fn, rounds=5):
    fn(); fn()
    best = float("inf")
    for _ in range(rounds):
        t0 = time.perf_counter(); n = 0
        while n < 200:
            fn(); n += 1
            if time.perf_counter() - t0 >= min_s / rounds:
                break
        best = min(best, (time.perf_counter() - t0) / n)
    return best


with torch.no_grad():
    for c in args.get("cases", []):
        x, w = torch.randn(*c["x"]), torch.randn(*c["w"])
        b = torch.randn(c["w"][0]) if c.get("bias") else None
        s = best_time(lambda: F.conv2d(x, w, b, stride=c["stride"], padding=c["padding"], groups=c["groups"]))
        out[c["name"]] = c["flop"] / s / 1e9
    for c in args.get("backward", []):
        x, w = torch.randn(*c["x"]), torch.randn(*c["w"])
        y = F.conv2d(x, w, None, stride=c["stride"], padding=c["padding"], groups=c["groups"])
        gy = torch.randn(y.shape)
        # the input gradient only (output_mask), as a model's d(output)/d(input) with frozen weights needs
        fn = lambda: torch.ops.aten.convolution_backward(gy, x, w, None, [c["stride"]] * 2, [c["padding"]] * 2, [1, 1], False, [0, 0], c["groups"], [True, False, False])
        out["bw:" + c["name"]] = c["flop"] / best_time(fn) / 1e9
print(json.dumps(out))
