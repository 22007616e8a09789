#!/usr/bin/python3
"""PyTorch counterparts (CPU, or the GPU with DUALNEURON_TORCH_DEVICE, see timing.py) of bench/models.bench.ts: the real V1 twin ensemble (tools/golden/v1_twin.py's model)
and torchvision ResNet-50 up to layer3.0 (the V4 trunk). Prints one JSON line (images/s, steps/s)."""
import json, os, sys
import torch
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'tools', 'golden'))
from timing import DEVICE, setup, timeit
args = setup()
out = {}


def rate(fn, n, min_s=2.0):
    """n items per call of fn, per second"""
    return n / timeit(fn, min_s=min_s, max_reps=10 ** 9)


up = args.get('upstream')
if up and os.path.exists(os.path.join(up, 'V1GrayTaskDriven')):
    import v1_twin
    torch.set_grad_enabled(True)  # v1_twin (a fixture script) turns autograd off globally at import
    sds = [torch.load(os.path.join(up, 'V1GrayTaskDriven', f'v1_convnext_{k}.pth.tar'), map_location=DEVICE) for k in range(1, 6)]
    ens = lambda x: torch.stack([v1_twin.member(sd, x, True) for sd in sds]).mean(0)
    with torch.no_grad():
        for b in (1, 64):
            x = torch.randn(b, 1, 93, 93) * 0.13
            out[f'v1_fwd_b{b}'] = rate(lambda: ens(x), b)
    x = (torch.randn(4, 1, 93, 93) * 0.13).requires_grad_(True)
    def step():
        x.grad = None
        ens(x)[:, 3].sum().backward()
    out['v1_fwdbwd_b4_steps'] = rate(step, 1)
import torchvision
rn = torchvision.models.resnet50().eval().to(DEVICE)
trunk = torch.nn.Sequential(rn.conv1, rn.bn1, rn.relu, rn.maxpool, rn.layer1, rn.layer2, rn.layer3[0])
with torch.no_grad():
    for b in (1, 16):
        x = torch.randn(b, 3, 100, 100)
        out[f'v4_trunk_b{b}'] = rate(lambda: trunk(x), b)
print(json.dumps(out))
