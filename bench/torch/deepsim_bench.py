#!/usr/bin/python3
"""PyTorch counterpart (CPU, or the GPU with DUALNEURON_TORCH_DEVICE, see timing.py) of bench/deepsim.bench.ts: the
DeePSim fc6 generator (upconvGAN('fc6') as nn.Linear / nn.ConvTranspose2d / nn.LeakyReLU, default random weights)
making [0, 1] RGB images from codes: images/s at the given batches, and generate + backward to the codes.
Argument: JSON {"batches": [1, 8], "backward": [1]}. Prints one JSON line."""
import json, os, sys
import torch
import torch.nn as nn
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from timing import DEVICE, setup, timeit

args = setup()
layers = []
for name in ['defc7', 'defc6', 'defc5']:
    layers += [nn.Linear(4096, 4096), nn.LeakyReLU(0.3)]
net_fc = nn.Sequential(*layers)
ch = [256, 256, 512, 256, 256, 128, 128, 64, 32, 3]
ks = [4, 3, 4, 3, 4, 3, 4, 4, 4]
convs = []
for i, k in enumerate(ks):
    convs.append(nn.ConvTranspose2d(ch[i], ch[i + 1], k, stride=2 if k == 4 else 1, padding=1))
    if i < len(ks) - 1:
        convs.append(nn.LeakyReLU(0.3))
net_conv = nn.Sequential(*convs)
for p in list(net_fc.parameters()) + list(net_conv.parameters()):
    p.requires_grad_(False)
net_fc.to(DEVICE); net_conv.to(DEVICE)
mean = torch.tensor([123.0, 117.0, 104.0]).reshape(1, 3, 1, 1)


def image(z):
    raw = net_conv(net_fc(z).reshape(-1, 256, 4, 4))
    return torch.clamp(raw[:, [2, 1, 0]] + mean, 0, 255) / 255


out = {'device': DEVICE}
with torch.no_grad():
    for b in args.get('batches', [1, 8]):
        z = torch.randn(b, 4096)
        out[f'fwd_b{b}'] = b / timeit(lambda: image(z), min_s=2.0)
for b in args.get('backward', [1]):
    z = torch.randn(b, 4096).requires_grad_(True)

    def step():
        z.grad = None
        image(z).sum().backward()
    out[f'fwdbwd_b{b}'] = b / timeit(step, min_s=2.0)
print(json.dumps(out))
