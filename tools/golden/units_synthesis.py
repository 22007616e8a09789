#!/usr/bin/python3
"""PyTorch versions of synthesis runs on units and composed objectives (src/dualneuron/units/), float64, with the
transforms off (one full-image crop: no jitter, padding or noise) and pixel parameters (sigmoid to a range, no
gradient blur, constant learning rate, Adam), from fixed initial parameters, 16 steps. The TS engine started from
the same parameters must follow the same activation trajectories (test/dualneuron/units-synthesis.test.ts).

Each step, per run k: img_k = sigmoid(p_k) * (hi - lo) + lo; crop_k = img_k * norm / (|img_k| + 1e-8);
act_k = objective(readout(crop_k)); loss = sum_k [-pole_k act_k + tv * sqrt(sum dx^2 + sum dy^2 + 1e-8)]
(+ the diversity term); Adam on p. Recorded: the objective of the clean normalised image before the first step
and after each step (steps + 1 values per run).

Runs:
  resnet_unit       torchvision ResNet-50 (deterministic random weights, det_weights.py), 32x32, layer2.1.conv2
                    channel 5 at the centre of its map, MEI
  resnet_std        the unit with pixels in (-1, 3) and the images' standard deviation held at 0.5 (sinzlab mei's
                    ChangeStd) instead of the norm (the non-zero mean makes it differ from an L2 constraint)
  resnet_contrast   the same unit minus 1.0 x channel 9 of the same layer (maximise one unit, hold another down)
  resnet_diversity  3 seeds of the unit's MEI coupled by lucid's diversity term on layer1, weight 100
  v1_channel        the real V1 twin ensemble (5 members): channel 7 of
                    core.features.backbone.model.encoder.stages.0.layers.1 at the centre, mean over members, LEI
  v1_members        the V1 twin's neuron 3 in member 1 minus member 2 (model A minus model B), MEI

Run: /usr/bin/python3 tools/golden/units_synthesis.py [upstream dir]  -> test/fixtures/units/*.npy
"""
import os, sys
import numpy as np
import torch
import torchvision

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import v1_twin  # noqa: E402
from det_weights import state_dict  # noqa: E402

here = os.path.dirname(os.path.abspath(__file__))
up = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, '..', '..', '..', 'shared', 'upstream', 'dualneuron')
out = os.path.join(here, '..', '..', 'test', 'fixtures', 'units')
os.makedirs(out, exist_ok=True)
torch.set_grad_enabled(True)
STEPS, TV = 16, 1e-4


def save(name, a):
    np.save(os.path.join(out, name + '.npy'), np.ascontiguousarray(np.asarray(a, dtype=np.float32)))


def change_norm(x, n):
    return x * (n / (torch.norm(x.reshape(x.shape[0], -1), dim=1).view(-1, 1, 1, 1) + 1e-8))


def tv(img):
    dx = img[:, :, :, 1:] - img[:, :, :, :-1]
    dy = img[:, :, 1:, :] - img[:, :, :-1, :]
    return TV * torch.sqrt(dx.pow(2).sum((1, 2, 3)) + dy.pow(2).sum((1, 2, 3)) + 1e-8)


def change_std(x, s):
    """sinzlab mei's ChangeStd: x * (s / (std + 1e-9)), the unbiased std over each image"""
    return x * (s / (torch.std(x.reshape(x.shape[0], -1), dim=1).view(-1, 1, 1, 1) + 1e-9))


def run(p0, objective, poles, norm, lr, rng=(-2.0, 2.0), coupling=None, constrain=change_norm):
    """p0 (K, C, S, S); objective(x) -> (K,) and optionally coupling(x) -> scalar on the same crops."""
    change = constrain
    p = torch.tensor(p0, dtype=torch.float64, requires_grad=True)
    sign = torch.tensor(poles, dtype=torch.float64)
    opt = torch.optim.Adam([p], lr=lr)
    lo, hi = rng
    image = lambda: torch.sigmoid(p) * (hi - lo) + lo
    acts = []
    with torch.no_grad():
        acts.append(objective(change(image(), norm)).numpy())
    for _ in range(STEPS):
        opt.zero_grad()
        img = image()
        crops = change(img, norm)
        loss = (-sign * objective(crops) + tv(img)).sum()
        if coupling is not None:
            loss = loss + coupling(crops)
        loss.backward()
        opt.step()
        with torch.no_grad():
            acts.append(objective(change(image(), norm)).numpy())
    with torch.no_grad():
        final = change(image(), norm).numpy()
    return np.stack(acts, 1), final  # (K, steps + 1), (K, C, S, S)


def center(a):
    return a[:, :, a.shape[2] // 2, a.shape[3] // 2]


class Hooked:
    """Forward hooks that keep a clone of named modules' outputs (clones: torchvision's in-place ReLUs)."""
    def __init__(self, model, names):
        self.acts = {}
        mods = dict(model.named_modules())
        for n in names:
            mods[n].register_forward_hook(lambda m, i, o, n=n: self.acts.__setitem__(n, o.clone()))


def gram_diversity(a, weight):
    """lucid's diversity of one group (all images): sum_i sum_{j != i} <G_i, G_j> / n, G the l2-normalised Gram."""
    B, C = a.shape[:2]
    f = a.reshape(B, C, -1)
    g = torch.bmm(f, f.transpose(1, 2)).reshape(B, -1)
    g = g / torch.sqrt(torch.clamp((g * g).sum(1, keepdim=True), min=1e-10))
    sim = g @ g.T
    return weight * (sim.sum() - torch.diagonal(sim).sum()) / B


rs = np.random.default_rng(17)

# --- ResNet-50 ---
net = torchvision.models.resnet50()
net.load_state_dict({k: torch.from_numpy(v) for k, v in state_dict({k: tuple(v.shape) for k, v in net.state_dict().items()}).items()})
net = net.eval().double()
for q in net.parameters():
    q.requires_grad_(False)
hk = Hooked(net, ['layer2.1.conv2', 'layer1'])
RN_NORM, RN_LR = float(np.sqrt(3 * 32 * 32)), 0.05


def rn_channels(x, chans):
    net(x)
    return center(hk.acts['layer2.1.conv2'])[:, chans]


p1 = (rs.standard_normal((1, 3, 32, 32)) * 0.5).astype(np.float32)
save('resnet_init', p1)
a, f = run(p1, lambda x: rn_channels(x, [5])[:, 0], [1.0], RN_NORM, RN_LR)
save('resnet_unit_activations', a); save('resnet_unit_final', f)
print('resnet unit', a[0, 0], '->', a[0, -1])
a, f = run(p1, lambda x: (rn_channels(x, [5, 9]) * torch.tensor([1.0, -1.0], dtype=torch.float64)).sum(1), [1.0], RN_NORM, RN_LR)
save('resnet_contrast_activations', a); save('resnet_contrast_final', f)
print('resnet contrast', a[0, 0], '->', a[0, -1])
a, f = run(p1, lambda x: rn_channels(x, [5])[:, 0], [1.0], 0.5, RN_LR, rng=(-1.0, 3.0), constrain=change_std)
save('resnet_std_activations', a); save('resnet_std_final', f)
print('resnet unit, std constraint', a[0, 0], '->', a[0, -1])
p3 = (rs.standard_normal((3, 3, 32, 32)) * 0.5).astype(np.float32)
save('resnet_diversity_init', p3)
div_unit = lambda x: rn_channels(x, [5])[:, 0]
a, f = run(p3, div_unit, [1.0, 1.0, 1.0], RN_NORM, RN_LR, coupling=lambda x: gram_diversity(hk.acts['layer1'], 100.0))
a0, _ = run(p3, div_unit, [1.0, 1.0, 1.0], RN_NORM, RN_LR)
save('resnet_diversity_activations', a); save('resnet_diversity_final', f)
eff = np.abs(a - a0).max() / np.abs(a0).max()
print('resnet diversity', a[:, -1], 'vs without', a0[:, -1], 'relative effect', eff)
assert eff > 1e-2, 'the diversity term must change the trajectories'

# --- V1 twin ---
sds = [torch.load(os.path.join(up, 'V1GrayTaskDriven', f'v1_convnext_{k}.pth.tar'), map_location='cpu') for k in range(1, 6)]
sds = [{k: v.double() if v.is_floating_point() else v for k, v in sd.items()} for sd in sds]
P = v1_twin.P


def v1_stage0(sd, x):
    """the output of core.features.backbone.model.encoder.stages.0.layers.1 (v1_twin.member's first part)"""
    h = x.repeat(1, 3, 1, 1)
    h = torch.nn.functional.conv2d(h, sd[P + 'embeddings.patch_embeddings.weight'], sd[P + 'embeddings.patch_embeddings.bias'], stride=4)
    h = v1_twin.ln_cf(h, sd[P + 'embeddings.layernorm.weight'], sd[P + 'embeddings.layernorm.bias'])
    for i in range(2):
        h = v1_twin.block(h, sd, f'{P}encoder.stages.0.layers.{i}.')
    return h


p1 = (rs.standard_normal((1, 1, 93, 93)) * 0.5).astype(np.float32)
save('v1_init', p1)
a, f = run(p1, lambda x: torch.stack([center(v1_stage0(sd, x))[:, 7] for sd in sds]).mean(0), [-1.0], 12.0, 0.05, rng=(-1.0, 1.0))
save('v1_channel_activations', a); save('v1_channel_final', f)
print('v1 channel', a[0, 0], '->', a[0, -1])
a, f = run(p1, lambda x: v1_twin.member(sds[0], x, True)[:, 3] - v1_twin.member(sds[1], x, True)[:, 3], [1.0], 12.0, 0.05, rng=(-1.0, 1.0))
save('v1_members_activations', a); save('v1_members_final', f)
print('v1 members', a[0, 0], '->', a[0, -1])
