#!/usr/bin/python3
"""PyTorch version (CPU, or the GPU with DUALNEURON_TORCH_DEVICE, see timing.py) of the synthesis step (upstream ascend.py: Fourier phase, 4 jittered crops via roi_align,
noise, per-crop norm, TV; Adam) on the real V1 ensemble: steps/s for one run (sequential, as upstream), and
neuron-poles/min for K runs batched the same way as dualneuron does. One JSON line."""
import json, os, sys
import numpy as np
import torch
import torch.nn.functional as F
from torchvision.ops import roi_align
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'tools', 'golden'))
import v1_twin
from timing import DEVICE, setup, timeit
torch.set_grad_enabled(True)  # v1_twin (a fixture script) turns autograd off globally at import

args = setup()
up = args['upstream']
sds = [torch.load(os.path.join(up, 'V1GrayTaskDriven', f'v1_convnext_{k}.pth.tar'), map_location=DEVICE) for k in range(1, 6)]
prior = torch.tensor(np.load(os.path.join(up, 'priors', 'natural_gray.npy')), device=DEVICE)
ens = lambda x: torch.stack([v1_twin.member(sd, x, True) for sd in sds]).mean(0)


def step_batch(phase, opt, neurons, sign, nc=4):
    K = phase.shape[0]
    opt.zero_grad()
    img = torch.sigmoid(torch.fft.ifft2(torch.complex(torch.cos(phase) * prior, torch.sin(phase) * prior)).real) * 4 - 2
    pad = int(0.05 * 93)
    padded = F.pad(img, (pad, pad, pad, pad), mode='reflect')
    cx = 0.5 + torch.randn(K * nc) * 0.05; cy = 0.5 + torch.randn(K * nc) * 0.05
    x1 = (cx * 93 + pad - 46.5).clamp(0, 93 + 2 * pad); y1 = (cy * 93 + pad - 46.5).clamp(0, 93 + 2 * pad)
    boxes = torch.stack([torch.arange(K).repeat_interleave(nc).float(), x1, y1, (x1 + 93).clamp(max=93 + 2 * pad), (y1 + 93).clamp(max=93 + 2 * pad)], 1)
    crops = roi_align(padded, boxes, (93, 93), aligned=True) + torch.randn(K * nc, 1, 93, 93) * 0.05
    crops = crops * (12 / (crops.flatten(1).norm(dim=1).view(-1, 1, 1, 1) + 1e-8))
    y = ens(crops).view(K, nc, -1)
    act = y[torch.arange(K), :, neurons].mean(1)
    dx = img[..., 1:] - img[..., :-1]; dy = img[..., 1:, :] - img[..., :-1, :]
    tv = 1e-4 * torch.sqrt(dx.pow(2).flatten(1).sum(1) + dy.pow(2).flatten(1).sum(1) + 1e-8)
    (-(sign * act) + tv).sum().backward()
    opt.step()
    with torch.no_grad():
        clean = torch.sigmoid(torch.fft.ifft2(torch.complex(torch.cos(phase) * prior, torch.sin(phase) * prior)).real) * 4 - 2
        ens(clean * (12 / (clean.flatten(1).norm(dim=1).view(-1, 1, 1, 1) + 1e-8)))


def rate(K, min_s):
    phase = (torch.rand(K, 1, 93, 93) * 2 * np.pi - np.pi).requires_grad_(True)
    opt = torch.optim.Adam([phase], lr=0.5)
    neurons = torch.arange(K) % 458
    sign = torch.where(torch.arange(K) % 2 == 0, 1.0, -1.0)
    return 1 / timeit(lambda: step_batch(phase, opt, neurons, sign), min_s=min_s, max_reps=10 ** 9, warmup=1)


out = {'steps_per_s_single': rate(1, 3.0)}
K = args.get('batch', 20)
sps = rate(K, 3.0)
out['steps_per_s_batched'] = sps
out['neuron_poles_per_min_sequential'] = out['steps_per_s_single'] / 128 * 60 / 2
out['neuron_poles_per_min_batched'] = sps * K / 128 * 60 / 2
print(json.dumps(out))
