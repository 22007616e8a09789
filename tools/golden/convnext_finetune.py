"""Fixture for fine-tuning a truncated ConvNeXtV2 core with a new Gaussian readout (test/train/finetune-step.test.ts),
in float64 PyTorch written from the definitions (ConvNeXt V2, Woo et al. 2023; HF transformers' ConvNextV2Model
layout and key names; neuralpredictors' FullGaussian2d in train mode):

  embeddings: conv k=patch stride=patch (3 -> d0), channels-first LayerNorm (eps 1e-6)
  stage s:    [downsampling: channels-first LayerNorm, conv 2x2 stride 2] then blocks:
              dwconv 7x7 pad 3 -> NHWC -> LayerNorm (1e-6) -> Linear d->4d -> GELU (erf) ->
              GRN (G = ||x||_2 over H, W; Nx = G / (mean_c G + 1e-6); gamma * (x * Nx) + beta + x) ->
              Linear 4d->d -> NCHW -> residual
  cut at encoder.stages.1.layers.0 (as the V1 twin): embeddings, stage 0, stage 1's downsampling
  core: gray input repeated to 3 channels, the backbone, OutBatchNorm (train mode: batch statistics, running
        update with momentum 0.1), GELU
  readout: FullGaussian2d isotropic with given position noise; rate = elu(y - 1) + 1
  loss: sqrt(n_train / batch) * PoissonLoss(sum) + gamma_readout * |features|_1; backward;
        torch.optim.Adam with two parameter groups (backbone lr 1e-3, the rest lr 5e-3), one step.

Tiny sizes: patch 2, widths (4, 8, 16), depths (2, 1, 1), 14 x 14 images (core output 8 x 3 x 3), 5 neurons, batch 3.
Written: the initial weights (init.*), input, target, noise, rates, loss, every parameter's gradient (grad.*) and
every tensor after the step (after.*), and the config. Run: /usr/bin/python3 tools/golden/convnext_finetune.py
"""
import json
import os
import sys
from collections import OrderedDict

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stacked2d import GaussianReadout, write_safetensors  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'test', 'fixtures', 'train')


class LayerNorm2d(nn.Module):
    """LayerNorm over C of (N, C, H, W): biased variance, eps inside the square root"""

    def __init__(self, c, eps=1e-6):
        super().__init__()
        self.weight, self.bias, self.eps = nn.Parameter(torch.ones(c)), nn.Parameter(torch.zeros(c)), eps

    def forward(self, x):
        u = x.mean(1, keepdim=True)
        v = ((x - u) ** 2).mean(1, keepdim=True)
        return (x - u) / torch.sqrt(v + self.eps) * self.weight[:, None, None] + self.bias[:, None, None]


class GRN(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.weight, self.bias = nn.Parameter(torch.zeros(1, 1, 1, d)), nn.Parameter(torch.zeros(1, 1, 1, d))

    def forward(self, x):  # NHWC
        g = torch.sqrt((x * x).sum(dim=(1, 2), keepdim=True))
        nx = g / (g.mean(dim=-1, keepdim=True) + 1e-6)
        return self.weight * (x * nx) + self.bias + x


class Block(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.dwconv = nn.Conv2d(d, d, 7, padding=3, groups=d)
        self.layernorm = nn.LayerNorm(d, eps=1e-6)
        self.pwconv1 = nn.Linear(d, 4 * d)
        self.grn = GRN(4 * d)
        self.pwconv2 = nn.Linear(4 * d, d)

    def forward(self, x):
        h = self.dwconv(x).permute(0, 2, 3, 1)
        h = self.grn(F.gelu(self.pwconv1(self.layernorm(h))))
        return x + self.pwconv2(h).permute(0, 3, 1, 2)


class Embeddings(nn.Module):
    def __init__(self, d, patch):
        super().__init__()
        self.patch_embeddings = nn.Conv2d(3, d, patch, stride=patch)
        self.layernorm = LayerNorm2d(d)

    def forward(self, x):
        return self.layernorm(self.patch_embeddings(x))


class Stage(nn.Module):
    def __init__(self, cin, cout, stride, depth):
        super().__init__()
        if cin != cout or stride > 1:
            self.downsampling_layer = nn.Sequential(LayerNorm2d(cin), nn.Conv2d(cin, cout, stride, stride=stride))
        else:
            self.downsampling_layer = None
        self.layers = nn.Sequential(*[Block(cout) for _ in range(depth)])

    def forward(self, x):
        if self.downsampling_layer is not None:
            x = self.downsampling_layer(x)
        return self.layers(x)


class TruncatedConvNextV2(nn.Module):
    """embeddings, stage 0 and stage 1's downsampling (the cut at encoder.stages.1.layers.0)"""

    def __init__(self, widths, depths, patch):
        super().__init__()
        self.embeddings = Embeddings(widths[0], patch)
        s0 = Stage(widths[0], widths[0], 1, depths[0])
        s1 = Stage(widths[0], widths[1], 2, 0)
        self.encoder = nn.Module()
        self.encoder.stages = nn.Sequential(s0, s1)

    def forward(self, x):
        return self.encoder.stages(self.embeddings(x))


class Core(nn.Module):
    def __init__(self, widths, depths, patch):
        super().__init__()
        self.features = nn.Module()
        self.features.backbone = nn.Module()
        self.features.backbone.model = TruncatedConvNextV2(widths, depths, patch)
        self.features.OutBatchNorm = nn.BatchNorm2d(widths[1], momentum=0.1)

    def forward(self, x):
        x = x.expand(-1, 3, -1, -1)
        return F.gelu(self.features.OutBatchNorm(self.features.backbone.model(x)))


class Model(nn.Module):
    def __init__(self, core, readout):
        super().__init__()
        self.core, self.readout = core, readout

    def forward(self, x, noise):
        return F.elu(self.readout(self.core(x), noise) - 1) + 1


def main():
    widths, depths, patch, size, neurons, batch, n_train = [4, 8, 16], [2, 1, 1], 2, (14, 14), 5, 3, 12
    lr, core_lr, gamma = 5e-3, 1e-3, 10.0
    rng = np.random.default_rng(1707)
    torch.manual_seed(0)
    model = Model(Core(widths, depths, patch), GaussianReadout(widths[1], neurons, 'isotropic', gamma))
    with torch.no_grad():
        for k, p in model.named_parameters():
            if k.endswith('_mu'):
                v = rng.uniform(-0.6, 0.6, p.shape)
            elif k.endswith('sigma'):
                v = rng.uniform(0.05, 0.4, p.shape)
            elif k.endswith('_features'):
                v = rng.normal(0, 0.3, p.shape)
            elif k == 'readout.bias':
                v = rng.uniform(0.5, 1.5, p.shape)
            elif 'OutBatchNorm.weight' in k or k.endswith('layernorm.weight') or k.endswith('downsampling_layer.0.weight'):
                v = 1 + rng.normal(0, 0.2, p.shape)
            else:
                fan = np.prod(p.shape[1:]) if p.dim() > 1 else 4
                v = rng.normal(0, 1 / np.sqrt(fan), p.shape)
            p.copy_(torch.from_numpy(v))
        bn = model.core.features.OutBatchNorm
        bn.running_mean.copy_(torch.from_numpy(rng.normal(0, 0.1, bn.running_mean.shape)))
        bn.running_var.copy_(torch.from_numpy(rng.uniform(0.5, 1.5, bn.running_var.shape)))
    model = model.double().train()
    init = OrderedDict((k, v.detach().clone()) for k, v in model.state_dict().items())
    x = torch.from_numpy(rng.normal(0, 1, (batch, 1, *size)))
    y = torch.from_numpy(rng.poisson(2.0, (batch, neurons)).astype(np.float64))
    noise = torch.from_numpy(rng.normal(0, 1, (batch, neurons, 1, 2)))
    scale = float(np.sqrt(n_train / batch))
    backbone = list(model.core.features.backbone.parameters())
    ids = {id(p) for p in backbone}
    rest = [p for p in model.parameters() if id(p) not in ids]
    opt = torch.optim.Adam([{'params': backbone, 'lr': core_lr}, {'params': rest, 'lr': lr}])
    opt.zero_grad()
    rate = model(x, noise)
    loss = scale * (rate - y * torch.log(rate + 1e-8)).sum() + model.readout.regularizer()
    loss.backward()
    out = OrderedDict()
    for k, v in init.items():
        out['init.' + k] = v
    out['input'], out['target'], out['noise'] = x, y, noise
    out['rate'] = rate.detach()
    out['loss'] = loss.detach().reshape(())
    for k, p in model.named_parameters():
        out['grad.' + k] = p.grad.detach().clone()
    opt.step()
    for k, v in model.state_dict().items():
        out['after.' + k] = v.detach().clone()
    config = dict(widths=widths, depths=depths, patch=patch, size=list(size), neurons=neurons, batch=batch, scale=scale, lr=lr, core_lr=core_lr,
                  gamma_readout=gamma, truncate_at='encoder.stages.1.layers.0')
    write_safetensors(os.path.join(OUT, 'convnext_finetune.safetensors'), out, {'config': json.dumps(config)})
    print('convnext_finetune: core output %s, loss %.6f, %d tensors' % (tuple(model.core(x).shape), loss.item(), len(out)))


if __name__ == '__main__':
    os.makedirs(OUT, exist_ok=True)
    main()
