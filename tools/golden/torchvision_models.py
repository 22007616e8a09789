#!/usr/bin/python3
"""PyTorch fixtures for the torchvision ImageNet models (src/models/torchvision/): the small variants of VGG16,
VGG16-BN and ViT-B/16 built with torchvision's own classes (VGG with make_layers of configuration D at 1/32 width
and a 64-wide classifier; VisionTransformer 32x32, patch 8, 2 layers, 2 heads, width 16, MLP 32; 10 classes), with
deterministic random weights (det_weights.py), in float64; and the full ResNet-50 at 64x64 (its logits at 100x100
are in backbones.py):
  <m>_logits.npy (B, classes), <m>_grad.npy (d sum(logits[:, 3]) / d input), <m>_units.npz-like files
  <m>_act_<layer>.npy (a forward hook's output of a few modules), <m>_modules.json (named_modules order, output
  shapes from forward hooks (the last call), parameter counts of each module).
Module names of the full networks too: full_modules.json ({model: [names]}), for `dualneuron layers`.
And state dicts written by torch.save, as torchvision's own files are, named with their sha256 prefix:
  vgg16_bn_tiny-<hex>.pth, vit_b_16_tiny-<hex>.pth

Run: /usr/bin/python3 tools/golden/torchvision_models.py   -> test/fixtures/torchvision/
"""
import hashlib, json, os, sys
import numpy as np
import torch
import torch.nn as nn
import torchvision
from torchvision.models.vgg import VGG, make_layers
from torchvision.models.vision_transformer import VisionTransformer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from det_weights import state_dict, value  # noqa: E402

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'test', 'fixtures', 'torchvision')
os.makedirs(out, exist_ok=True)
for f in os.listdir(out):
    os.remove(os.path.join(out, f))

D = [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512, 'M', 512, 512, 512, 'M']


def tiny_vgg(bn):
    m = VGG(make_layers([v if v == 'M' else v // 32 for v in D], batch_norm=bn), num_classes=10, init_weights=False)
    m.classifier[0] = nn.Linear(16 * 7 * 7, 64)
    m.classifier[3] = nn.Linear(64, 64)
    m.classifier[6] = nn.Linear(64, 10)
    return m


def tiny_vit():
    return VisionTransformer(image_size=32, patch_size=8, num_layers=2, num_heads=2, hidden_dim=16, mlp_dim=32, num_classes=10)


def det_input(shape):
    return torch.from_numpy(value('input', shape, 1000000) * 4.0)


def save(name, t):
    np.save(os.path.join(out, name + '.npy'), np.ascontiguousarray(t.detach().float().numpy()))


def first(o):
    return o[0] if isinstance(o, tuple) else o


CASES = {
    'vgg16': (lambda: tiny_vgg(False), (2, 3, 64, 64), ['features.5', 'features.16', 'avgpool', 'classifier.1']),
    'vgg16_bn': (lambda: tiny_vgg(True), (2, 3, 64, 64), ['features.1', 'features.7', 'features.43', 'classifier.4']),
    'vit_b_16': (tiny_vit, (2, 3, 32, 32), ['conv_proj', 'encoder.layers.encoder_layer_0.self_attention', 'encoder.layers.encoder_layer_1.mlp.1', 'encoder.ln']),
    # the full network (torchvision fixes its widths), at 64x64
    'resnet50': (torchvision.models.resnet50, (1, 3, 64, 64), ['layer1.0.relu', 'layer2.0.downsample.1', 'layer3.2.bn2', 'avgpool']),
}
for name, (make, shape, layers) in CASES.items():
    m = make()
    sd = state_dict({k: tuple(v.shape) for k, v in m.state_dict().items()})
    m.load_state_dict({k: torch.from_numpy(v) for k, v in sd.items()})
    m = m.eval().double()
    acts, shapes = {}, {}
    def hook(n):
        def f(mod, i, o):
            acts[n] = first(o).detach().clone()  # cloned: the in-place ReLUs would overwrite a convolution's output
            shapes[n] = list(first(o).shape)
        return f
    for n, mod in m.named_modules():
        mod.register_forward_hook(hook(n))
    x = det_input(shape).double().requires_grad_(True)
    y = m(x)
    y[:, 3].sum().backward()
    save(f'{name}_logits', y)
    save(f'{name}_grad', x.grad)
    for l in layers:
        save(f'{name}_act_{l}', acts[l])
    mods = [{'name': n, 'shape': shapes.get(n), 'params': sum(p.numel() for p in mod.parameters())} for n, mod in m.named_modules()]
    json.dump({'input': list(shape), 'modules': mods}, open(os.path.join(out, f'{name}_modules.json'), 'w'), indent=0)
    if name in ('vgg16_bn', 'vit_b_16'):
        p = os.path.join(out, f'{name}_tiny.pth')
        torch.save(m.float().state_dict(), p)
        h = hashlib.sha256(open(p, 'rb').read()).hexdigest()[:8]
        os.rename(p, os.path.join(out, f'{name}_tiny-{h}.pth'))

full = {n: [k for k, _ in getattr(torchvision.models, n)().named_modules()] for n in ['vgg16', 'vgg16_bn', 'resnet50', 'vit_b_16']}
json.dump(full, open(os.path.join(out, 'full_modules.json'), 'w'), indent=0)
