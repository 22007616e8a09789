#!/usr/bin/python3
"""PyTorch oracle for the DeePSim fc6 generator (upconvGAN('fc6'), Dosovitskiy & Brox 2016) with deterministic
random weights (tools/golden/det_weights.py, reproduced by test/helpers/det-weights.ts).

The network is written here from the architecture (field-anchors.md section 4) with torch.nn.Linear,
ConvTranspose2d and LeakyReLU: three Linear layers (defc7, defc6, defc5), a reshape to C x 4 x 4, nine transposed
convolutions (k4 s2 p1 upsampling, k3 s1 p1 at the same size), LeakyReLU(0.3) after every layer but the last. The
network's output is BGR in Caffe's 0..255 range without the mean; the image is the channels flipped to RGB, plus
the mean [123, 117, 104], clamped to [0, 255], divided by 255.

`scale` divides every width (code, hidden and channel widths; the 3 output channels stay): scale 1 is the published
network (56,097,891 parameters), scale 1/32 the small one the tests run in full.

Writes test/fixtures/deepsim/:
  fc6_s32.pt          the scale-1/32 state dict as torch.save writes it (zip format), keys as the published
                      upconvGAN_fc6.pt: 'defc7.weight', ..., 'deconv0.bias' (loaded by upstream without renaming)
  fc6_s32_bad.pt      a broken checkpoint in the pre-rewrite key style ('deconv5.1.weight'): defc7 and defc6 left
                      out, deconv3.weight stored transposed ([Cout, Cin, k, k])
  fc6_s32_raw.npy     network output (B=2, BGR, no mean) sampled every 3rd row and column: [2, 3, 86, 86]
  fc6_s32_image.npy   the [0, 1] RGB image at the same samples
  fc6_s32_grad.npy    d/dcode of sum(image * W), W = det_value('cotangent', [2, 3, 256, 256], 1000001)
  fc6_s32_clamped.json   fraction of image pixels clamped at 0 or 255 (the codes are scaled so some are)
  fc6_full.json       the published-size network, batch 1: shape, per-channel mean / std / min / max of the raw
                      output, and raw values on a 16 x 16 grid (rows and columns 0, 17, ..., 255)
  weights_check.json  first / last / sum of a few full-size det weights (the TS generator must reproduce them)
Codes: det_value('code', [B, D], 1000000) * k (exact in float32): k = 16 for D = 128, 64 for D = 4096.
The det weights of deconv0 (weight and bias) are multiplied by a gain, 1024 at scale 1/32 and 256 at full size, so
that the raw output spans tens to hundreds like the trained generator's and the clamp to [0, 255] takes effect.

Run: /usr/bin/python3 tools/golden/deepsim_fc6.py      (about 10 s; the full-size network in float64 needs ~1 GB)
"""
import json, os, sys
from collections import OrderedDict
import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from det_weights import state_dict, value  # noqa: E402

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'test', 'fixtures', 'deepsim')
os.makedirs(out, exist_ok=True)

# (name, kernel) of the nine transposed convolutions; k4 layers double the size (stride 2, padding 1), k3 keep it
DECONVS = [('deconv5', 4), ('conv5_1', 3), ('deconv4', 4), ('conv4_1', 3), ('deconv3', 4), ('conv3_1', 3),
           ('deconv2', 4), ('deconv1', 4), ('deconv0', 4)]
CHANNELS = [256, 256, 512, 256, 256, 128, 128, 64, 32, 3]  # reshape, then each transposed convolution's output


def widths(scale):
    d = int(4096 * scale)
    ch = [int(c * scale) for c in CHANNELS[:-1]] + [3]
    return d, ch


def build(scale):
    d, ch = widths(scale)
    assert ch[0] * 16 == d
    layers = []
    for name in ['defc7', 'defc6', 'defc5']:
        layers += [(name, nn.Linear(d, d)), ('relu_' + name, nn.LeakyReLU(0.3))]
    for i, (name, k) in enumerate(DECONVS):
        layers.append((name, nn.ConvTranspose2d(ch[i], ch[i + 1], k, stride=2 if k == 4 else 1, padding=1)))
        if name != 'deconv0':
            layers.append(('relu_' + name, nn.LeakyReLU(0.3)))
    seq = nn.Sequential(OrderedDict(layers))

    def net(z):
        h = z
        for name, m in seq.named_children():
            h = m(h)
            if name == 'relu_defc5':
                h = h.reshape(-1, ch[0], 4, 4)
        return h
    return seq, net


MEAN = torch.tensor([123.0, 117.0, 104.0]).reshape(1, 3, 1, 1)


def image(raw):
    return torch.clamp(raw[:, [2, 1, 0]] + MEAN.to(raw.dtype), 0, 255) / 255


def codes(b, d):
    k = 16.0 if d == 128 else 64.0
    return torch.from_numpy(value('code', (b, d), 1000000) * np.float32(k))


def load_det(seq, gain):
    sd = state_dict({k: tuple(v.shape) for k, v in seq.state_dict().items()})
    for k in ('deconv0.weight', 'deconv0.bias'):
        sd[k] = sd[k] * np.float32(gain)  # exact: a power of two
    seq.load_state_dict({k: torch.from_numpy(v) for k, v in sd.items()})
    return sd


def save(name, a):
    np.save(os.path.join(out, name + '.npy'), np.ascontiguousarray(np.asarray(a, dtype=np.float32)))


# ---------------------------------------------------------------- scale 1/32: full numerics, float64
seq, net = build(1 / 32)
sd = load_det(seq, 1024)
torch.save(OrderedDict((k, torch.from_numpy(v)) for k, v in sd.items()), os.path.join(out, 'fc6_s32.pt'))
bad = OrderedDict()
for k, v in sd.items():
    if k.startswith('defc7.') or k.startswith('defc6.'):
        continue
    t = torch.from_numpy(v)
    if k == 'deconv3.weight':
        t = t.transpose(0, 1).contiguous()
    layer, what = k.split('.')
    bad[f'{layer}.1.{what}'] = t
torch.save(bad, os.path.join(out, 'fc6_s32_bad.pt'))

seq = seq.double()
z = codes(2, 128).double().requires_grad_()
raw = net(z)
img = image(raw)
w = torch.from_numpy(value('cotangent', (2, 3, 256, 256), 1000001)).double()
(img * w).sum().backward()
save('fc6_s32_raw', raw.detach()[:, :, ::3, ::3])
save('fc6_s32_image', img.detach()[:, :, ::3, ::3])
save('fc6_s32_grad', z.grad)
clamped = {'low': float((img == 0).double().mean()), 'high': float((img == 1).double().mean()),
           'raw_absmax': float(raw.abs().max()), 'raw_std': float(raw.std())}
json.dump(clamped, open(os.path.join(out, 'fc6_s32_clamped.json'), 'w'), indent=1)
print('scale 1/32:', clamped)

# ---------------------------------------------------------------- published size, float64
torch.set_grad_enabled(False)
seq, net = build(1)
n_params = sum(p.numel() for p in seq.parameters())
assert n_params == 56097891, n_params
sd = load_det(seq, 256)
check = {k: [float(v.flatten()[0]), float(v.flatten()[-1]), float(v.astype(np.float64).sum())] for k, v in sd.items() if k.endswith('weight')}
json.dump(check, open(os.path.join(out, 'weights_check.json'), 'w'), indent=1)
seq = seq.double()
raw = net(codes(1, 4096).double())
grid = raw[0, :, ::17, ::17]
full = {
    'shape': list(raw.shape), 'parameters': n_params,
    'mean': raw.mean((0, 2, 3)).tolist(), 'std': raw.std((0, 2, 3)).tolist(),
    'min': raw.amin((0, 2, 3)).tolist(), 'max': raw.amax((0, 2, 3)).tolist(),
    'grid_step': 17, 'grid': grid.flatten().tolist(),
}
json.dump(full, open(os.path.join(out, 'fc6_full.json'), 'w'))
print('full size: std', full['std'], 'absmax', float(raw.abs().max()))
