#!/usr/bin/python3
"""PyTorch fixtures for the backbones with deterministic random weights (tools/golden/det_weights.py):
torchvision's ResNet-50 (full, and truncated after layer3.0 as the V4 twins use it) and ConvNeXt V2-atto (all
four stages, written from Hugging Face's ConvNextV2Model with torch's own ops). Inputs come from the same hash
(parameter number 1000000), so only outputs are committed.

Run: /usr/bin/python3 tools/golden/backbones.py   -> test/fixtures/backbones/*.npy, weights_check.json
"""
import json, os, sys
import numpy as np
import torch
import torch.nn.functional as F
import torchvision

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from det_weights import state_dict, value  # noqa: E402

torch.set_grad_enabled(False)
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'test', 'fixtures', 'backbones')
os.makedirs(out, exist_ok=True)
check = {}


def det_input(shape):
    # the 'weight' rule with fan_in = numel/shape[0], times 4 (exact in float32); the TS test does the same
    return torch.from_numpy(value('input', shape, 1000000) * 4.0)


def save(name, t):
    np.save(os.path.join(out, name + '.npy'), np.ascontiguousarray(t.detach().float().numpy()))


# ---------------------------------------------------------------- ResNet-50
rn = torchvision.models.resnet50()
shapes = {k: tuple(v.shape) for k, v in rn.state_dict().items()}
sd = state_dict(shapes)
rn.load_state_dict({k: torch.from_numpy(v) for k, v in sd.items()})
rn = rn.eval().double()
x = det_input((1, 3, 100, 100)).double()
save('resnet50_logits', rn(x))
h = rn.maxpool(rn.relu(rn.bn1(rn.conv1(x))))
h = rn.layer3[0](rn.layer2(rn.layer1(h)))
save('resnet50_layer3_0', h)
check['resnet50'] = {k: [float(v.flatten()[0]), float(v.flatten()[-1]), float(np.float64(v.astype(np.float64).sum()))] for k, v in list(sd.items())[:5]}


# ---------------------------------------------------------------- ConvNeXt V2-atto (HF ConvNextV2Model)
def convnextv2_shapes(depths=(2, 2, 6, 2), dims=(40, 80, 160, 320)):
    s = {'embeddings.patch_embeddings.weight': (dims[0], 3, 4, 4), 'embeddings.patch_embeddings.bias': (dims[0],),
         'embeddings.layernorm.weight': (dims[0],), 'embeddings.layernorm.bias': (dims[0],),
         'layernorm.weight': (dims[-1],), 'layernorm.bias': (dims[-1],)}
    for st, (d, c) in enumerate(zip(depths, dims)):
        if st > 0:
            p = f'encoder.stages.{st}.downsampling_layer.'
            s.update({p + '0.weight': (dims[st - 1],), p + '0.bias': (dims[st - 1],), p + '1.weight': (c, dims[st - 1], 2, 2), p + '1.bias': (c,)})
        for i in range(d):
            p = f'encoder.stages.{st}.layers.{i}.'
            s.update({p + 'dwconv.weight': (c, 1, 7, 7), p + 'dwconv.bias': (c,), p + 'layernorm.weight': (c,), p + 'layernorm.bias': (c,),
                      p + 'pwconv1.weight': (4 * c, c), p + 'pwconv1.bias': (4 * c,), p + 'grn.weight': (1, 1, 1, 4 * c), p + 'grn.bias': (1, 1, 1, 4 * c),
                      p + 'pwconv2.weight': (c, 4 * c), p + 'pwconv2.bias': (c,)})
    return s


def ln_cf(x, w, b, eps=1e-6):
    return F.layer_norm(x.permute(0, 2, 3, 1), (x.shape[1],), w, b, eps).permute(0, 3, 1, 2)


def convnextv2(sd, x, depths=(2, 2, 6, 2)):
    h = F.conv2d(x, sd['embeddings.patch_embeddings.weight'], sd['embeddings.patch_embeddings.bias'], stride=4)
    h = ln_cf(h, sd['embeddings.layernorm.weight'], sd['embeddings.layernorm.bias'])
    for st, d in enumerate(depths):
        if st > 0:
            p = f'encoder.stages.{st}.downsampling_layer.'
            h = F.conv2d(ln_cf(h, sd[p + '0.weight'], sd[p + '0.bias']), sd[p + '1.weight'], sd[p + '1.bias'], stride=2)
        for i in range(d):
            p = f'encoder.stages.{st}.layers.{i}.'
            r = h
            y = F.conv2d(h, sd[p + 'dwconv.weight'], sd[p + 'dwconv.bias'], padding=3, groups=h.shape[1]).permute(0, 2, 3, 1)
            y = F.layer_norm(y, (y.shape[-1],), sd[p + 'layernorm.weight'], sd[p + 'layernorm.bias'], 1e-6)
            y = F.gelu(F.linear(y, sd[p + 'pwconv1.weight'], sd[p + 'pwconv1.bias']))
            g = torch.linalg.vector_norm(y, 2, dim=(1, 2), keepdim=True)
            y = sd[p + 'grn.weight'] * (y * (g / (g.mean(dim=-1, keepdim=True) + 1e-6))) + sd[p + 'grn.bias'] + y
            h = r + F.linear(y, sd[p + 'pwconv2.weight'], sd[p + 'pwconv2.bias']).permute(0, 3, 1, 2)
    return h


cs = convnextv2_shapes()
csd = {k: torch.from_numpy(v).double() for k, v in state_dict(cs).items()}
x = det_input((2, 3, 64, 64)).double()
save('convnextv2_atto_last_hidden', convnextv2(csd, x))
check['convnextv2_atto'] = len(cs)
json.dump(check, open(os.path.join(out, 'weights_check.json'), 'w'), indent=1)
print('wrote', sorted(os.listdir(out)))
