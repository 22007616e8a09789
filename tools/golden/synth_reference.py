#!/usr/bin/python3
"""PyTorch version of the synthesis algorithm (upstream synthesis/ascend.py), with the transforms disabled (one
full-image crop, no jitter, padding or noise), on the real V1 twin (tools/golden/v1_twin.py's model), from a
fixed initial phase / pixel parameters. The TS engine started from the same parameters must follow the same
activation trajectory (test/dualneuron/synthesis.test.ts).

Run: /usr/bin/python3 tools/golden/synth_reference.py [upstream dir]  -> test/fixtures/synthesis/*.npy
"""
import os, sys
import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import v1_twin  # noqa: E402

here = os.path.dirname(os.path.abspath(__file__))
up = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, '..', '..', '..', 'shared', 'upstream', 'dualneuron')
out = os.path.join(here, '..', '..', 'test', 'fixtures', 'synthesis')
os.makedirs(out, exist_ok=True)
torch.set_grad_enabled(True)
sds = [torch.load(os.path.join(up, 'V1GrayTaskDriven', f'v1_convnext_{k}.pth.tar'), map_location='cpu') for k in range(1, 6)]
prior = torch.tensor(np.load(os.path.join(up, 'priors', 'natural_gray.npy')), dtype=torch.float32)
STEPS, NEURON, NORM = 16, 3, 12.0


def model(x):
    return torch.stack([v1_twin.member(sd, x, True) for sd in sds]).mean(0)


def change_norm(x, n):
    return x * (n / (torch.norm(x.reshape(x.shape[0], -1), dim=1).view(-1, 1, 1, 1) + 1e-8))


def tv(img, w=1e-4):
    dx = img[:, :, 1:] - img[:, :, :-1]
    dy = img[:, 1:, :] - img[:, :-1, :]
    return w * torch.sqrt(dx.pow(2).sum() + dy.pow(2).sum() + 1e-8)


def run(param, to_image, opt, sched, sign, blur=False):
    acts = []
    with torch.no_grad():
        acts.append(model(change_norm(to_image(param)[None], NORM))[0, NEURON].item())
    for _ in range(STEPS):
        opt.zero_grad()
        img = to_image(param)  # (C, H, W)
        crops = change_norm(img[None], NORM)  # one full-image crop, no noise
        act = model(crops)[:, NEURON].mean()
        loss = -sign * act + tv(img)
        loss.backward()
        if blur:
            with torch.no_grad():
                import torchvision.transforms.functional as TF
                param.grad = TF.gaussian_blur(param.grad[None], kernel_size=5, sigma=1.5)[0]
        opt.step()
        sched.step()
        with torch.no_grad():
            acts.append(model(change_norm(to_image(param)[None], NORM))[0, NEURON].item())
    with torch.no_grad():
        final = change_norm(to_image(param)[None], NORM)[0]
    return np.array(acts, dtype=np.float32), final.numpy().astype(np.float32)


g = torch.Generator().manual_seed(7)
# Fourier phase, Adam lr 0.5, sigmoid range (-2, 2): the default V1 recipe
phase0 = (torch.rand(1, 93, 93, generator=g) * 2 * np.pi - np.pi)
phase = phase0.clone().requires_grad_(True)
def fourier_image(ph):
    spec = torch.complex(torch.cos(ph) * prior, torch.sin(ph) * prior)
    return torch.sigmoid(torch.fft.ifft2(spec).real) * 4 - 2
opt = torch.optim.Adam([phase], lr=0.5)
acts, final = run(phase, fourier_image, opt, torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=STEPS), +1)
np.save(os.path.join(out, 'fourier_init_phase.npy'), phase0.numpy().astype(np.float32))
np.save(os.path.join(out, 'fourier_activations.npy'), acts)
np.save(os.path.join(out, 'fourier_final_image.npy'), final)
print('fourier MEI trajectory', acts[[0, 1, 8, 16]])

# pixels, SGD momentum 0.9 lr 0.05, gradient blur, range (-1, 1): the upstream V1 recipe, minimising (LEI)
p0 = torch.randn(1, 93, 93, generator=g) * 0.05
p = p0.clone().requires_grad_(True)
opt = torch.optim.SGD([p], lr=0.05, momentum=0.9)
acts, final = run(p, lambda q: torch.sigmoid(q) * 2 - 1, opt, torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=STEPS), -1, blur=True)
np.save(os.path.join(out, 'pixel_init_param.npy'), p0.numpy().astype(np.float32))
np.save(os.path.join(out, 'pixel_activations.npy'), acts)
np.save(os.path.join(out, 'pixel_final_image.npy'), final)
print('pixel LEI trajectory', acts[[0, 1, 8, 16]])

# pixels through the screening aperture (mask min-max scaled, multiplied in before the norm), Adam lr 0.1, gradient
# blur: the v1-pixel recipe with --aperture, maximising (MEI)
mask = torch.tensor(np.load(os.path.join(up, 'V1GrayTaskDriven', 'mask.npy')), dtype=torch.float64)
mask = ((mask - mask.min()) / (mask.max() - mask.min())).float()
p0 = torch.randn(1, 93, 93, generator=g) * 0.05
p = p0.clone().requires_grad_(True)
opt = torch.optim.Adam([p], lr=0.1)
acts, final = run(p, lambda q: (torch.sigmoid(q) * 2 - 1) * mask, opt, torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=STEPS), +1, blur=True)
np.save(os.path.join(out, 'aperture_init_param.npy'), p0.numpy().astype(np.float32))
np.save(os.path.join(out, 'aperture_activations.npy'), acts)
np.save(os.path.join(out, 'aperture_final_image.npy'), final)
print('pixel-aperture MEI trajectory', acts[[0, 1, 8, 16]])
