#!/usr/bin/python3
"""PyTorch + NumPy counterpart (CPU, or the GPU with DUALNEURON_TORCH_DEVICE, see timing.py) of bench/evolve.bench.ts:
CholeskyCMAES (the NumPy float64 reference written from the equations, tools/golden/evolve_reference.py, with dense
A and A^-1 as upstream's Optimizers.py) with a population of 40 in the DeePSim fc6 space (upconvGAN('fc6') as
nn.Linear / nn.ConvTranspose2d / LeakyReLU(0.3), default random weights, widths divided by `scale`) scored by the V1
twin (member 1, tools/golden/v1_twin.py, centred readout) after the same preprocessing: centre crop 167 at 44,
grey, antialiased bilinear resize to 93, ImageNet grey normalisation, aperture, L2 norm 12, one neuron's column.
Figures: gen_per_s (full generations), fc6_images_per_s (generator at batch pop), cma_gen_per_s (ask + tell of
CholeskyCMAES alone at N = 4096 with fixed scores).
Argument: JSON {"scale", "pop", "generations", "cma_reps", "neuron", "upstream" (null: no twin)}. One JSON line."""
import json, math, os, sys, time
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
sys.path.insert(0, os.path.join(here, '..', '..', 'tools', 'golden'))
from timing import DEVICE, setup, sync, timeit
import evolve_reference as ref

args = setup()
scale, pop, gens = args['scale'], args['pop'], args['generations']
torch.set_grad_enabled(False)

ch = [256, 256, 512, 256, 256, 128, 128, 64, 32, 3]
ch = [c // scale if i < len(ch) - 1 else c for i, c in enumerate(ch)]
N = 4096 // scale
layers = []
for _ in range(3):
    layers += [nn.Linear(N, N), nn.LeakyReLU(0.3)]
net_fc = nn.Sequential(*layers)
convs = []
for i, k in enumerate([4, 3, 4, 3, 4, 3, 4, 4, 4]):
    convs.append(nn.ConvTranspose2d(ch[i], ch[i + 1], k, stride=2 if k == 4 else 1, padding=1))
    if i < 8:
        convs.append(nn.LeakyReLU(0.3))
net_conv = nn.Sequential(*convs)
net_fc.to(DEVICE); net_conv.to(DEVICE)
mean_rgb = torch.tensor([123.0, 117.0, 104.0], device=DEVICE).reshape(1, 3, 1, 1)


def fc6(z):
    raw = net_conv(net_fc(z).reshape(-1, ch[0], 4, 4))
    return torch.clamp(raw[:, [2, 1, 0]] + mean_rgb, 0, 255) / 255


out = {'device': DEVICE, 'scale': scale}
z = torch.randn(pop, N, device=DEVICE)
out['fc6_images_per_s'] = pop / timeit(lambda: fc6(z), min_s=1.0 if scale > 1 else 4.0, max_reps=2 if scale > 1 else 4, warmup=1)


class Fixed:
    """draws for the CMA-alone timing: numpy's generator, as the reference's NumpyDraws"""
    def __init__(self):
        self.rng = np.random.default_rng(1)

    def normal(self, n):
        return self.rng.standard_normal(n)


# CholeskyCMAES alone at N = 4096: generation-start times of a run with fixed scores
reps = args.get('cma_reps', 10)
starts = []
scores = np.sin(np.arange(pop) * 7.1)


def fixed_scores(X):
    starts.append(time.perf_counter())
    return scores[:len(X)] if len(X) == pop else np.zeros(len(X))


ref.cholesky_cmaes(fixed_scores, 4096, Fixed(), reps + 1, 3.0, np.zeros(4096))
# starts[0] is generation 0 (one code), starts[1] the first full one (warm-up); reps intervals after it
out['cma_gen_per_s'] = (len(starts) - 2) / (starts[-1] - starts[1]) if len(starts) > 2 else None

if args.get('upstream'):
    import v1_twin
    torch.set_grad_enabled(False)
    up = args['upstream']
    sd = torch.load(os.path.join(up, 'V1GrayTaskDriven', 'v1_convnext_1.pth.tar'), map_location=DEVICE)
    mask = torch.tensor(np.load(os.path.join(up, 'V1GrayTaskDriven', 'mask.npy')), dtype=torch.float32, device=DEVICE)
    mask = (mask - mask.min()) / (mask.max() - mask.min() + 1e-8)
    gray = torch.tensor([0.299, 0.587, 0.114], device=DEVICE).reshape(1, 3, 1, 1)
    neuron = args.get('neuron', 3)
    starts = []

    def twin_scores(X):
        starts.append(time.perf_counter())
        img = fc6(torch.tensor(X, dtype=torch.float32, device=DEVICE))
        crop = img[:, :, 44:211, 44:211]
        g = (crop * gray).sum(1, keepdim=True)
        x = F.interpolate(g, size=(93, 93), mode='bilinear', align_corners=False, antialias=True)
        x = (x - 0.449) / 0.226 * mask
        x = x * (12 / (x.flatten(1).norm(dim=1).view(-1, 1, 1, 1) + 1e-8))
        y = v1_twin.member(sd, x, True)[:, neuron]
        sync()
        return y.double().cpu().numpy()

    ref.cholesky_cmaes(twin_scores, N, Fixed(), gens + 2, 3.0, np.zeros(N))
    # generation 0 (one code) and the first full generation are warm-up; then `gens` full generations
    out['gen_per_s'] = gens / (starts[-1] - starts[2])
print(json.dumps(out))
