#!/usr/bin/python3
"""PyTorch oracle for BigGAN-deep as pytorch_pretrained_biggan defines it, with deterministic random weights
(tools/golden/det_weights.py), written here from the architecture with torch.nn layers and torch's own
nn.utils.spectral_norm (so the state-dict keys weight_orig / weight_u / weight_v and the eval-mode weight
weight_orig / (u . W v) are torch's, not ours).

Architecture: cond = [noise | embeddings(class)] (Linear num_classes -> z_dim, no bias); gen_z (SN Linear) to
16ch x 4 x 4 laid out NHWC then permuted; GenBlocks (bn-relu-1x1 to in/4, [nearest x2], bn-relu-3x3, bn-relu-3x3,
bn-relu-1x1 to out; skip: first half of the channels when out < in, [nearest x2]); self-attention before block
`attention_layer_position` (theta/phi/g/o 1x1 SN convs, 2x2 max pooling of phi and g, softmax over keys, x + gamma
* o); final affine batch norm, relu, 3x3 SN conv to ch channels, first 3, tanh. Batch norms use stored statistics
(n_stats rows) picked by the truncation: coef, i = modf(t / (1 / (n_stats - 1))); rows mixed as
mean[i] * coef + mean[i + 1] * (1 - coef) when coef != 0; conditional ones scale by 1 + scale(cond) and shift by
offset(cond) (SN Linear without bias), eps = 1e-4.

Deterministic weights: det_weights.state_dict over the model's keys, then: running_vars = 0.75 + |det value| (the
det rule for 2-D tensors is signed); weight_u is the det vector u0 and, as upstream's TF conversion did, one power
iteration sets v = normalize(W^T u0), u = normalize(W v) (float32, eps 1e-4), so sigma = u . W v = |W v| > 0.

Writes test/fixtures/biggan/:
  s32/pytorch_model.bin   channel width 4 (128 / 32), z_dim 16, 50 classes, n_stats 11, biggan-deep-256's layer
                          list: the state dict in the LEGACY torch.save format (_use_new_zipfile_serialization=False),
                          as the published biggan-deep-256-pytorch_model.bin
  s32/config.json         its BigGANConfig, as upstream writes config.json
  s32_bad.bin             legacy format, zeros (stride-0 views): generator.gen_z.bias left out, layers.3.conv_3's
                          weight_orig with in and out channels swapped
  s32_raw.npy             generator output at truncation 0.7, batch 2, every 3rd row and column: [2, 3, 86, 86]
  s32_raw055.npy          the same at truncation 0.55 (rows 5 and 6 mixed), every 6th row and column
  s32_grad_noise.npy      d/dnoise of sum(image * W), image = clamp((x + 1) / 2, 0, 1), W = det_value('cotangent', ...)
  s32_grad_class.npy      d/dclass of the same
  s32_stats.json          output statistics (tanh saturation, std) and the image's clamped fraction
  full_shapes.json        biggan-deep-256 at full size: every state-dict key and shape, parameter count
Inputs: noise = 2 * det_value('noise', [2, z], 1000000); class vectors: sample 0 one-hot class 3, sample 1 half
class 7 and half class 11.
Gains (powers of two, exact): conv_to_rgb's weight_orig is divided by sigma in the layer, so the output scale is
set through the final bn weight (x 1/4) to keep tanh mostly unsaturated.

Run: /usr/bin/python3 tools/golden/biggan.py      (a few seconds)
"""
import json, math, os, sys
from collections import OrderedDict
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from det_weights import state_dict, value  # noqa: E402

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'test', 'fixtures', 'biggan')
os.makedirs(os.path.join(out, 's32'), exist_ok=True)

LAYERS_256 = [(False, 16, 16), (True, 16, 16), (False, 16, 16), (True, 16, 8), (False, 8, 8), (True, 8, 8),
              (False, 8, 8), (True, 8, 4), (False, 4, 4), (True, 4, 2), (False, 2, 2), (True, 2, 1)]


def sn(m):
    return nn.utils.spectral_norm(m, eps=1e-4)


class CondBN(nn.Module):
    def __init__(self, n, cond, n_stats, eps):
        super().__init__()
        self.register_buffer('running_means', torch.zeros(n_stats, n))
        self.register_buffer('running_vars', torch.ones(n_stats, n))
        self.n_stats, self.eps, self.cond = n_stats, eps, cond
        if cond:
            self.scale = sn(nn.Linear(cond, n, bias=False))
            self.offset = sn(nn.Linear(cond, n, bias=False))
        else:
            self.weight = nn.Parameter(torch.ones(n))
            self.bias = nn.Parameter(torch.zeros(n))

    def stats(self, t):
        coef, i = math.modf(t / (1.0 / (self.n_stats - 1)))
        i = int(i)
        if coef != 0.0:
            return (self.running_means[i] * coef + self.running_means[i + 1] * (1 - coef),
                    self.running_vars[i] * coef + self.running_vars[i + 1] * (1 - coef))
        return self.running_means[i], self.running_vars[i]

    def forward(self, x, t, c=None):
        m, v = self.stats(t)
        xhat = (x - m[None, :, None, None]) / torch.sqrt(v[None, :, None, None] + self.eps)
        if self.cond:
            return xhat * (1 + self.scale(c)[:, :, None, None]) + self.offset(c)[:, :, None, None]
        return xhat * self.weight[None, :, None, None] + self.bias[None, :, None, None]


class Block(nn.Module):
    def __init__(self, cin, cout, cond, up, n_stats, eps):
        super().__init__()
        mid = cin // 4
        self.up, self.cin, self.cout = up, cin, cout
        for j, (a, b, k) in enumerate([(cin, mid, 1), (mid, mid, 3), (mid, mid, 3), (mid, cout, 1)]):
            setattr(self, f'bn_{j}', CondBN(a, cond, n_stats, eps))
            setattr(self, f'conv_{j}', sn(nn.Conv2d(a, b, k, padding=k // 2)))

    def forward(self, x, c, t):
        h = x
        for j in range(4):
            h = F.relu(getattr(self, f'bn_{j}')(h, t, c))
            if j == 1 and self.up:
                h = F.interpolate(h, scale_factor=2, mode='nearest')
            h = getattr(self, f'conv_{j}')(h)
        s = x[:, :self.cin // 2] if self.cin != self.cout else x
        if self.up:
            s = F.interpolate(s, scale_factor=2, mode='nearest')
        return h + s


class Attn(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.snconv1x1_theta = sn(nn.Conv2d(c, c // 8, 1, bias=False))
        self.snconv1x1_phi = sn(nn.Conv2d(c, c // 8, 1, bias=False))
        self.snconv1x1_g = sn(nn.Conv2d(c, c // 2, 1, bias=False))
        self.snconv1x1_o_conv = sn(nn.Conv2d(c // 2, c, 1, bias=False))
        self.gamma = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        b, c, h, w = x.shape
        q = self.snconv1x1_theta(x).flatten(2)                       # (b, c/8, n)
        k = F.max_pool2d(self.snconv1x1_phi(x), 2).flatten(2)         # (b, c/8, n/4)
        a = torch.softmax(q.transpose(1, 2) @ k, dim=-1)              # (b, n, n/4)
        g = F.max_pool2d(self.snconv1x1_g(x), 2).flatten(2)           # (b, c/2, n/4)
        o = (g @ a.transpose(1, 2)).reshape(b, c // 2, h, w)
        return x + self.gamma * self.snconv1x1_o_conv(o)


class Generator(nn.Module):
    def __init__(self, ch, z, layers, att, n_stats, eps):
        super().__init__()
        self.ch = ch
        self.gen_z = sn(nn.Linear(2 * z, 4 * 4 * 16 * ch))
        mods = []
        for i, (up, a, b) in enumerate(layers):
            if i == att:
                mods.append(Attn(a * ch))
            mods.append(Block(a * ch, b * ch, 2 * z, up, n_stats, eps))
        self.layers = nn.ModuleList(mods)
        self.bn = CondBN(ch, None, n_stats, eps)
        self.conv_to_rgb = sn(nn.Conv2d(ch, ch, 3, padding=1))

    def forward(self, c, t):
        h = self.gen_z(c).reshape(-1, 4, 4, 16 * self.ch).permute(0, 3, 1, 2)
        for m in self.layers:
            h = m(h, c, t) if isinstance(m, Block) else m(h)
        h = F.relu(self.bn(h, t))
        return torch.tanh(self.conv_to_rgb(h)[:, :3])


class BigGAN(nn.Module):
    def __init__(self, ch=128, z=128, classes=1000, layers=LAYERS_256, att=8, n_stats=51, eps=1e-4):
        super().__init__()
        self.embeddings = nn.Linear(classes, z, bias=False)
        self.generator = Generator(ch, z, layers, att, n_stats, eps)

    def forward(self, noise, cls, t):
        return self.generator(torch.cat([noise, self.embeddings(cls)], 1), t)


def det_load(model):
    shapes = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    sd = state_dict(shapes)
    for k in sd:
        if k.endswith('running_vars'):
            sd[k] = (np.float32(0.75) + np.abs(sd[k])).astype(np.float32)
        if k == 'generator.bn.weight':
            sd[k] = (sd[k] * np.float32(0.25)).astype(np.float32)
    # one power iteration from u0, as upstream's conversion (float32)
    for k in list(sd):
        if k.endswith('.weight_u'):
            p = k[:-len('weight_u')]
            W = torch.from_numpy(sd[p + 'weight_orig']).reshape(sd[p + 'weight_orig'].shape[0], -1)
            u0 = torch.from_numpy(sd[k])
            v = F.normalize(W.t() @ u0, dim=0, eps=1e-4)
            u = F.normalize(W @ v, dim=0, eps=1e-4)
            sd[p + 'weight_v'] = v.numpy().astype(np.float32)
            sd[k] = u.numpy().astype(np.float32)
    t = OrderedDict((k, torch.from_numpy(np.ascontiguousarray(sd[k]))) for k in model.state_dict())
    model.load_state_dict(t)  # strict: the keys are exactly torch's spectral_norm state dict
    return t


def save(name, a):
    np.save(os.path.join(out, name + '.npy'), np.ascontiguousarray(np.asarray(a, dtype=np.float32)))


def config_json(ch, z, classes, layers, n_stats, output_dim):
    return {'output_dim': output_dim, 'z_dim': z, 'class_embed_dim': z, 'channel_width': ch, 'num_classes': classes,
            'layers': [list(l) for l in layers], 'attention_layer_position': 8, 'eps': 1e-4, 'n_stats': n_stats}


# ---------------------------------------------------------------- width 1/32, z 16, 50 classes, 11 stats
CH, Z, K, NS = 4, 16, 50, 11
torch.manual_seed(0)
model = BigGAN(CH, Z, K, LAYERS_256, 8, NS).eval()
sd = det_load(model)
torch.save(sd, os.path.join(out, 's32', 'pytorch_model.bin'), _use_new_zipfile_serialization=False)
json.dump(config_json(CH, Z, K, LAYERS_256, NS, 256), open(os.path.join(out, 's32', 'config.json'), 'w'), indent=2)
bad = OrderedDict()
for k, v in sd.items():
    if k == 'generator.gen_z.bias':
        continue
    shape = list(v.shape)
    if k == 'generator.layers.3.conv_3.weight_orig':
        shape[0], shape[1] = shape[1], shape[0]
    bad[k] = torch.zeros(1).expand(shape)  # stride-0 views of one element: the file stays a few kB
torch.save(bad, os.path.join(out, 's32_bad.bin'), _use_new_zipfile_serialization=False)

model = model.double()
noise = torch.from_numpy(value('noise', (2, Z), 1000000) * np.float32(2)).double().requires_grad_()
cls = torch.zeros(2, K, dtype=torch.float64)
cls[0, 3] = 1
cls[1, 7] = 0.5
cls[1, 11] = 0.5
cls.requires_grad_()
raw = model(noise, cls, 0.7)
img = torch.clamp((raw + 1) / 2, 0, 1)
w = torch.from_numpy(value('cotangent', (2, 3, 256, 256), 1000001)).double()
(img * w).sum().backward()
save('s32_raw', raw.detach()[:, :, ::3, ::3])
save('s32_grad_noise', noise.grad)
save('s32_grad_class', cls.grad)
with torch.no_grad():
    raw55 = model(noise, cls, 0.55)
save('s32_raw055', raw55[:, :, ::6, ::6])
stats = {'std': float(raw.std()), 'absmax': float(raw.abs().max()), 'saturated_0.99': float((raw.abs() > 0.99).double().mean()),
         'clamped': float(((img == 0) | (img == 1)).double().mean()),
         'diff_055_07': float((raw55 - raw).abs().max()),
         'params': sum(p.numel() for p in model.parameters())}
json.dump(stats, open(os.path.join(out, 's32_stats.json'), 'w'), indent=1)
print('width 1/32:', stats)

# ---------------------------------------------------------------- published size: keys, shapes, parameter count
full = BigGAN()
shapes = [[k, list(v.shape)] for k, v in full.state_dict().items()]
n_params = sum(p.numel() for p in full.parameters())
json.dump({'parameters': n_params, 'keys': len(shapes), 'shapes': shapes}, open(os.path.join(out, 'full_shapes.json'), 'w'))
print('full size:', n_params, 'parameters,', len(shapes), 'state-dict entries')
