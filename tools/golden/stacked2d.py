#!/usr/bin/python3
"""PyTorch oracle for the Stacked2d twins: Stacked2dCore (with the Allen notebook's pooling), the Laplace / group
sparsity / feature L1 regularisers, SpatialTransformerPyramid2d, FullGaussian2d in train mode and the ELU+1 output.

Written here from the definitions (neuralpredictors' Stacked2dCore, LaplaceL2, LaplaceL2norm, Pyramid,
PointPyramid2d, FullGaussian2d.sample_grid, FiringRateEncoder; the notebook's Stacked2dCore_pooling) with torch's own
conv2d, conv_transpose2d, avg_pool2d, batch_norm, elu and grid_sample; the modules are laid out so that their
state-dict keys are neuralpredictors' (core.features.layer0.conv.weight, readout.grid, readout._mu, ...).

Each case: small sizes, weights drawn from a seeded NumPy generator (float32), a batch of inputs and targets and, for
the Gaussian readout, the position noise z ~ N(0, 1) passed in so both sides sample the same positions. In float64:
  loss = mean(rate - y * log(rate + 1e-12))  (Poisson, as neuralpredictors' PoissonLoss with avg)
       + core.regularizer() + readout.regularizer()
in train mode (batch statistics; running statistics updated), its gradients to every parameter and to the input,
then one torch.optim.Adam step (lr 1e-3) and the parameters and buffers after it, and the eval-mode rates after the
step (running statistics, positions at mu).

Writes test/fixtures/stacked2d/<case>.safetensors with
  init.<key>      the model's state dict before the step (float32; num_batches_tracked as int64)
  input, target   (B, C, H, W) and (B, N), float32;  noise (B, N, 1, 2) float32 for the Gaussian cases
  core            the core's output, train mode (float64)
  rate            the model's output, train mode (float64)
  reg.laplace, reg.group_sparsity, reg.readout, loss      (float64 scalars)
  grad.<key>      d loss / d parameter (float64); grad.input
  after.<key>     every parameter and buffer after the forward and the Adam step (float64; counters int64)
  eval_rate       eval-mode output after the step (float64)
and metadata 'config' (JSON: the case's options, in the TypeScript names).

and test/fixtures/stacked2d/notebook.safetensors: the notebook's model at its published size (CustomCNN_2_pooling:
64 channels, 3 layers, input kernel 4, AvgPool2d(2), pyramid scaleN 3, positive) for 2 neurons on a batch of two
60 x 96 images, with deterministic weights regenerated on both sides (tools/golden/det_weights.py over the sorted
state-dict keys without the two constant filter buffers): rates, loss, gradients (tensors above 4096 values as
every 16th value plus their sum of squares), running statistics after the train-mode pass, the small parameters
after one Adam step, and the eval-mode rates after it.

and test/fixtures/stacked2d/pyramids.safetensors: Laplace pyramids alone (every filter of upstream's table, with and
without downsampling, levels down to 1 pixel).

Run: /usr/bin/python3 tools/golden/stacked2d.py     (a few seconds)
"""
import json
import os
import struct
from collections import OrderedDict

import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from det_weights import state_dict as det_state_dict, value as det_value  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'test', 'fixtures', 'stacked2d')

LAPLACE = [[0, -1, 0], [-1, 4, -1], [0, -1, 0]]
GAUSS5X5 = [
    [0.003765, 0.015019, 0.023792, 0.015019, 0.003765],
    [0.015019, 0.059912, 0.094907, 0.059912, 0.015019],
    [0.023792, 0.094907, 0.150342, 0.094907, 0.023792],
    [0.015019, 0.059912, 0.094907, 0.059912, 0.015019],
    [0.003765, 0.015019, 0.023792, 0.015019, 0.003765]]


# ------------------------------------------------------------------ modules (keys as neuralpredictors)
class Laplace(nn.Module):
    def __init__(self, padding):
        super().__init__()
        self.register_buffer('filter', torch.tensor(LAPLACE, dtype=torch.float32)[None, None])
        self.padding = padding

    def forward(self, x):
        return F.conv2d(x, self.filter, padding=self.padding)


class LaplaceL2(nn.Module):
    """mean (avg) or sum of laplace(w)^2 over every 2-D kernel slice, halved"""
    def __init__(self, padding):
        super().__init__()
        self.laplace = Laplace(padding)

    def forward(self, w, avg=True):
        o, i, k1, k2 = w.shape
        sq = self.laplace(w.reshape(o * i, 1, k1, k2)).pow(2)
        return (sq.mean() if avg else sq.sum()) / 2


class LaplaceL2norm(nn.Module):
    """agg(laplace(w)^2) / agg(w^2)"""
    def __init__(self, padding):
        super().__init__()
        self.laplace = Laplace(padding)

    def forward(self, w, avg=False):
        o, i, k1, k2 = w.shape
        k = w.reshape(o * i, 1, k1, k2)
        agg = torch.mean if avg else torch.sum
        return agg(self.laplace(k).pow(2)) / agg(k.pow(2))


class Bias2D(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(1, c, 1, 1))

    def forward(self, x):
        return x + self.bias


class Scale2D(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.scale = nn.Parameter(torch.ones(1, c, 1, 1))

    def forward(self, x):
        return x * self.scale


class Layer(nn.Sequential):
    pass


class ShiftedELU(nn.Module):
    """neuralpredictors' AdaptiveELU: elu(x - xshift) + yshift"""
    def __init__(self, xshift, yshift):
        super().__init__()
        self.xshift, self.yshift = xshift, yshift

    def forward(self, x):
        return F.elu(x - self.xshift) + self.yshift


class Core(nn.Module):
    """Stacked2dCore: per layer conv -> AvgPool2d (notebook's pooling) -> BatchNorm2d -> [Bias2D | Scale2D] -> ELU"""
    def __init__(self, c):
        super().__init__()
        self.c = c
        L, H = c['layers'], c['hiddenChannels']
        reg = LaplaceL2 if c['inputRegularizer'] == 'LaplaceL2' else LaplaceL2norm
        self._input_weights_regularizer = reg(c['laplacePadding'])
        self.features = nn.Sequential()
        for l in range(L):
            layer = OrderedDict()
            if l == 0:
                layer['conv'] = nn.Conv2d(c['inputChannels'], H, c['inputKern'], padding=c['inputKern'] // 2,
                                          stride=c.get('inputStride', 1), bias=c['convBias'][0])
                pool = c['pooling']
            else:
                k = c['hiddenKern'][l - 1]
                cin = min(c['skip'], l) * H if c['skip'] > 1 else H
                d = c.get('hiddenDilation', 1)
                layer['conv'] = nn.Conv2d(cin, H, k, padding=((k - 1) * d + 1) // 2, dilation=d,
                                          stride=c.get('stride', 1), bias=c['convBias'][l])
                pool = c['hiddenPooling']
            layer['pool'] = nn.AvgPool2d(pool)
            if c['batchNorm'][l]:
                layer['norm'] = nn.BatchNorm2d(H, momentum=c['momentum'], affine=c['batchNormAffine'][l])
                extra = c['batchNormExtra'][l]
                if extra == 'bias':
                    layer['bias'] = Bias2D(H)
                elif extra == 'scale':
                    layer['scale'] = Scale2D(H)
            if l < L - 1 or c['finalNonlinearity']:
                shift = c.get('eluShift', [0, 0])
                layer['nonlin'] = ShiftedELU(*shift) if shift != [0, 0] else nn.ELU()
            self.features.add_module('layer%d' % l, Layer(layer))

    def forward(self, x):
        ret = []
        for l, feat in enumerate(self.features):
            skip = l >= 1 and self.c['skip'] > 1
            x = feat(x if not skip else torch.cat(ret[-min(self.c['skip'], l):], dim=1))
            ret.append(x)
        stack = c_stack(self.c)
        return torch.cat([ret[i] for i in stack], dim=1)

    def laplace(self):
        return self._input_weights_regularizer(self.features[0].conv.weight, avg=self.c['useAvgReg'])

    def group_sparsity(self):
        ret = 0
        for feat in self.features[1:]:
            ret = ret + feat.conv.weight.pow(2).sum(3, keepdim=True).sum(2, keepdim=True).sqrt().mean()
        return ret / (len(self.features) - 1)

    def regularizer(self):
        return self.group_sparsity() * self.c['gammaHidden'] + self.c['gammaInput'] * self.laplace()


def c_stack(c):
    """the stacked layers: layers[stack:] for a number (neuralpredictors), all by default"""
    st = c.get('stack')
    return list(range(c['layers']))[st:] if isinstance(st, int) else list(range(c['layers']))


FILTERS = {
    'gauss5x5': np.float32(GAUSS5X5),
    'gauss3x3': np.float32([[1 / 16, 1 / 8, 1 / 16], [1 / 8, 1 / 4, 1 / 8], [1 / 16, 1 / 8, 1 / 16]]),
    'laplace5x5': np.outer(np.float32([1, 4, 6, 4, 1]), np.float32([1, 4, 6, 4, 1])) / 256,
}


class Pyramid(nn.Module):
    def __init__(self, scale_n, type='gauss5x5', downsample=True):
        super().__init__()
        self.register_buffer('filter', torch.from_numpy(np.asarray(FILTERS[type], dtype=np.float32)))
        self.scale_n, self.downsample = scale_n, downsample

    def lap_split(self, img):
        n, c, h, w = img.shape
        k = self.filter.shape[0]
        f = self.filter.expand(c, 1, k, k).contiguous()
        smooth = F.conv2d(img, f, padding=k // 2, groups=c)
        if not self.downsample:
            return smooth, img - smooth
        lo = smooth[:, :, ::2, ::2]
        lo2 = 4 * F.conv_transpose2d(lo, f, stride=2, padding=k // 2, output_padding=((h + 1) % 2, (w + 1) % 2),
                                     groups=c)
        return lo, img - lo2

    def forward(self, img):
        levels = []
        for _ in range(self.scale_n):
            img, hi = self.lap_split(img)
            levels.append(hi)
        levels.append(img)
        return levels


class PyramidReadout(nn.Module):
    def __init__(self, c, n, scale_n, reg_weight):
        super().__init__()
        self.gauss_pyramid = Pyramid(scale_n)
        self.grid = nn.Parameter(torch.zeros(1, n, 1, 2))
        self.features = nn.Parameter(torch.zeros(1, c * (scale_n + 1), 1, n))
        self.bias = nn.Parameter(torch.zeros(n))
        self.n, self.reg_weight = n, reg_weight

    def forward(self, x, noise=None):
        self.features.data.clamp_min_(0)  # positive=True
        self.grid.data = torch.clamp(self.grid.data, -1, 1)
        N, c = x.shape[:2]
        m = self.gauss_pyramid.scale_n + 1
        feat = self.features.view(1, m * c, self.n)
        grid = self.grid.expand(N, self.n, 1, 2)
        pools = [F.grid_sample(xx, grid, align_corners=True) for xx in self.gauss_pyramid(x)]
        y = torch.cat(pools, dim=1).squeeze(-1)
        return (y * feat).sum(1).view(N, self.n) + self.bias

    def regularizer(self):
        return self.features.abs().sum() * self.reg_weight


class GaussianReadout(nn.Module):
    def __init__(self, c, n, gauss_type, reg_weight):
        super().__init__()
        self._mu = nn.Parameter(torch.zeros(1, n, 1, 2))
        shape = {'isotropic': (1, n, 1, 1), 'uncorrelated': (1, n, 1, 2), 'full': (1, n, 2, 2)}[gauss_type]
        self.sigma = nn.Parameter(torch.zeros(*shape))
        self._features = nn.Parameter(torch.zeros(1, c, 1, n))
        self.bias = nn.Parameter(torch.zeros(n))
        self.n, self.gauss_type, self.reg_weight = n, gauss_type, reg_weight

    def forward(self, x, noise=None):
        bs, c = x.shape[:2]
        with torch.no_grad():
            self._mu.clamp_(min=-1, max=1)
        if self.training:
            z = noise
        else:
            z = torch.zeros(bs, self.n, 1, 2, dtype=x.dtype)
        if self.gauss_type == 'full':
            grid = torch.clamp(torch.einsum('ancd,bnid->bnic', self.sigma, z) + self._mu, min=-1, max=1)
        else:
            grid = torch.clamp(z * self.sigma + self._mu, min=-1, max=1)
        y = F.grid_sample(x, grid, align_corners=True)
        return (y.squeeze(-1) * self._features.view(1, c, self.n)).sum(1).view(bs, self.n) + self.bias

    def regularizer(self):
        return self._features.abs().sum() * self.reg_weight


class Encoder(nn.Module):
    def __init__(self, core, readout):
        super().__init__()
        self.core, self.readout = core, readout

    def forward(self, x, noise=None):
        return F.elu(self.readout(self.core(x), noise)) + 1

    def regularizer(self):
        return self.core.regularizer() + self.readout.regularizer()


# ------------------------------------------------------------------ cases
BASE = dict(inputChannels=1, hiddenChannels=4, inputKern=4, hiddenKern=[3, 3], layers=3, gammaHidden=0.1,
            gammaInput=0.1, skip=1, momentum=0.1, finalNonlinearity=True, convBias=[False] * 3,
            batchNorm=[True] * 3, batchNormAffine=[True] * 3, batchNormExtra=[None] * 3, laplacePadding=0,
            inputRegularizer='LaplaceL2', useAvgReg=True, pooling=2, hiddenPooling=1)
# the neuralpredictors options: skip connections (concatenated inputs), per-layer kernels, Bias2D / Scale2D
# layers after affine-free batch norms, a last layer with conv bias and no norm or nonlinearity, LaplaceL2norm
VARIANT = dict(inputChannels=2, hiddenChannels=3, inputKern=5, hiddenKern=[3, 5, 3], layers=4, gammaHidden=0.3,
               gammaInput=0.2, skip=2, momentum=0.3, finalNonlinearity=False,
               convBias=[False, False, False, True], batchNorm=[True, True, True, False],
               batchNormAffine=[True, False, False, True], batchNormExtra=[None, 'scale', 'bias', None],
               laplacePadding=1, inputRegularizer='LaplaceL2norm', useAvgReg=True, pooling=1, hiddenPooling=1)

# strides, dilation, the shifted ELU and stacking only the last layer
STRIDED = dict(BASE, inputChannels=1, hiddenChannels=3, inputKern=3, hiddenKern=[3, 3], inputStride=2, stride=2,
               hiddenDilation=2, eluShift=[0.5, 0.2], stack=-1, pooling=1, momentum=0.05)

CASES = {
    # the notebook's model at small width: core + pyramid readout (scaleN 3, positive, bias) + ELU+1
    'pyramid': dict(core=BASE, readout=dict(kind='pyramid', scaleN=3, featureRegWeight=0.05), neurons=3, batch=4,
                    size=(15, 22)),
    'gaussian': dict(core=VARIANT, readout=dict(kind='gaussian', gaussType='isotropic', featureRegWeight=0.02),
                     neurons=5, batch=3, size=(9, 12)),
    'gaussian_full': dict(core=BASE, readout=dict(kind='gaussian', gaussType='full', featureRegWeight=0.02),
                          neurons=4, batch=3, size=(12, 13)),
    'strided': dict(core=STRIDED, readout=dict(kind='gaussian', gaussType='uncorrelated', featureRegWeight=0.02),
                    neurons=3, batch=4, size=(23, 26)),
}


def fill(model, rng, case):
    """seeded float32 weights; every parameter non-trivial (negative pyramid features so positive=True clamps)"""
    for name, t in model.state_dict().items():
        if name.endswith('num_batches_tracked'):
            t.fill_(int(rng.integers(0, 5)))
            continue
        if name.endswith('filter'):
            continue
        shape = tuple(t.shape)
        if name.endswith('running_var'):
            v = rng.uniform(0.5, 1.5, shape)
        elif name.endswith('running_mean'):
            v = rng.normal(0, 0.2, shape)
        elif name.endswith('conv.weight'):
            fan_in = int(np.prod(shape[1:]))
            v = rng.normal(0, np.sqrt(2.0 / fan_in), shape)
        elif name.endswith('norm.weight') or name.endswith('scale.scale'):
            v = rng.uniform(0.7, 1.3, shape)
        elif name.endswith('grid') or name.endswith('_mu'):
            v = rng.uniform(-0.8, 0.8, shape)
            v.reshape(-1)[0] = 1.3   # outside [-1, 1]: the in-place clamp matters
        elif name.endswith('sigma'):
            v = rng.uniform(0.1, 0.4, shape) * (rng.choice([-1, 1], shape) if shape[2] == 2 else 1)
        elif name.endswith('features'):
            v = rng.normal(0.1, 0.15, shape)
        else:  # biases
            v = rng.normal(0, 0.1, shape)
        t.copy_(torch.from_numpy(np.asarray(v, dtype=np.float32)))


def run_case(name, case):
    rng = np.random.default_rng(sum(map(ord, name)) * 7919)
    torch.manual_seed(0)
    core = Core(case['core'])
    with torch.no_grad():
        x0 = torch.zeros(1, case['core']['inputChannels'], *case['size'])
        cshape = core(x0.repeat(2, 1, 1, 1)).shape
    r = case['readout']
    if r['kind'] == 'pyramid':
        readout = PyramidReadout(cshape[1], case['neurons'], r['scaleN'], r['featureRegWeight'])
    else:
        readout = GaussianReadout(cshape[1], case['neurons'], r['gaussType'], r['featureRegWeight'])
    model = Encoder(core, readout)
    fill(model, rng, case)
    init = {k: v.detach().clone() for k, v in model.state_dict().items()}

    B, N = case['batch'], case['neurons']
    x = rng.normal(0, 1, (B, case['core']['inputChannels'], *case['size'])).astype(np.float32)
    y = rng.poisson(1.5, (B, N)).astype(np.float32)
    noise = rng.normal(0, 1, (B, N, 1, 2)).astype(np.float32)
    if r['kind'] == 'gaussian':
        noise[0, 0, 0, :] = [8.0, -8.0]  # pushed outside [-1, 1]: the clamp's zero gradient

    model = model.double()
    model.train()
    xt = torch.from_numpy(x).double().requires_grad_(True)
    zt = torch.from_numpy(noise).double()
    feats = model.core(xt)
    rate = F.elu(model.readout(feats, zt)) + 1
    poisson = (rate - torch.from_numpy(y).double() * torch.log(rate + 1e-12)).mean()
    lap, gs, rr = model.core.laplace(), model.core.group_sparsity(), model.readout.regularizer()
    loss = poisson + model.regularizer()
    params = [p for _, p in model.named_parameters()]
    opt = torch.optim.Adam(params, lr=1e-3)
    opt.zero_grad()
    loss.backward()
    grads = {'grad.' + k: p.grad.detach().clone() for k, p in model.named_parameters()}
    grads['grad.input'] = xt.grad.detach().clone()
    opt.step()
    after = {'after.' + k: v.detach().clone() for k, v in model.state_dict().items()}
    model.eval()
    with torch.no_grad():
        eval_rate = model(torch.from_numpy(x).double(), None)

    out = OrderedDict()
    for k, v in init.items():
        out['init.' + k] = v
    out['input'] = torch.from_numpy(x)
    out['target'] = torch.from_numpy(y)
    if r['kind'] == 'gaussian':
        out['noise'] = torch.from_numpy(noise)
    out['core'] = feats.detach()
    out['rate'] = rate.detach()
    out['reg.laplace'] = lap.detach().reshape(())
    out['reg.group_sparsity'] = gs.detach().reshape(())
    out['reg.readout'] = rr.detach().reshape(())
    out['loss'] = loss.detach().reshape(())
    out.update(grads)
    out.update(after)
    out['eval_rate'] = eval_rate
    config = dict(core=case['core'], readout=r, neurons=N, coreShape=list(cshape[1:]))
    write_safetensors(os.path.join(OUT, name + '.safetensors'), out, {'config': json.dumps(config)})
    print('%s: core %s, rate %s, loss %.6f, %d tensors' % (name, tuple(cshape), tuple(rate.shape), loss.item(), len(out)))


NOTEBOOK = dict(BASE, hiddenChannels=64)

# Laplace pyramids alone: every filter, with and without downsampling, down to 1-pixel levels
PYRAMIDS = [('gauss5x5', True, 4, (3, 5)), ('gauss5x5', True, 3, (8, 11)), ('gauss3x3', True, 2, (7, 10)),
            ('laplace5x5', True, 3, (9, 6)), ('gauss5x5', False, 2, (6, 7))]


def pyramid_levels():
    """pyramids.safetensors: input.<i> (1, 2, H, W) float32 and level.<i>.<j> (float64), config: PYRAMIDS"""
    rng = np.random.default_rng(99)
    out = OrderedDict()
    for i, (kind, down, n, (h, w)) in enumerate(PYRAMIDS):
        x = rng.normal(0, 1, (1, 2, h, w)).astype(np.float32)
        out['input.%d' % i] = torch.from_numpy(x)
        for j, lv in enumerate(Pyramid(n, kind, down).double()(torch.from_numpy(x).double())):
            out['level.%d.%d' % (i, j)] = lv
    write_safetensors(os.path.join(OUT, 'pyramids.safetensors'), out, {'config': json.dumps(PYRAMIDS)})
    print('pyramids: %d cases' % len(PYRAMIDS))


def notebook_case():
    """the notebook's model at full size with det weights; see the module docstring"""
    core = Core(NOTEBOOK)
    readout = PyramidReadout(192, 2, 3, 0.05)
    model = Encoder(core, readout)
    shapes = {k: tuple(v.shape) for k, v in model.state_dict().items() if not k.endswith('filter')}
    with torch.no_grad():
        for k, v in det_state_dict(shapes).items():
            model.state_dict()[k].copy_(torch.from_numpy(v))
    x = (det_value('input', (2, 1, 60, 96), 1000000) + 0.5).astype(np.float32)
    y = np.array([[1, 3], [0, 2]], dtype=np.float32)
    model = model.double().train()
    xt = torch.from_numpy(x).double().requires_grad_(True)
    rate = model(xt)
    loss = (rate - torch.from_numpy(y).double() * torch.log(rate + 1e-12)).mean() + model.regularizer()
    opt = torch.optim.Adam(list(model.parameters()), lr=1e-3)
    loss.backward()
    out = OrderedDict(input=torch.from_numpy(x), target=torch.from_numpy(y), rate=rate.detach(), loss=loss.detach().reshape(()))
    grads = dict(model.named_parameters())
    grads = {k: p.grad for k, p in grads.items()}
    grads['input'] = xt.grad
    for k, g in grads.items():
        g = g.detach().reshape(-1)
        if g.numel() > 4096:
            out['grad16.' + k] = g[::16].clone()
            out['gradsq.' + k] = g.pow(2).sum().reshape(())
        else:
            out['grad.' + k] = g.clone()
    opt.step()
    for k, v in model.state_dict().items():
        if 'running' in k or k.startswith('readout.') and not k.endswith('filter'):
            out['after.' + k] = v.detach().clone()
    model.eval()
    with torch.no_grad():
        out['eval_rate'] = model(torch.from_numpy(x).double())
    write_safetensors(os.path.join(OUT, 'notebook.safetensors'), out, {'config': json.dumps(dict(core=NOTEBOOK, neurons=2))})
    print('notebook: rate %s, loss %.6f, %d tensors' % (rate.detach().numpy().round(4).tolist(), loss.item(), len(out)))


DT = {torch.float32: ('F32', '<f4'), torch.float64: ('F64', '<f8'), torch.int64: ('I64', '<i8')}


def write_safetensors(path, tensors, metadata):
    header, blobs, off = {'__metadata__': metadata}, [], 0
    for k, t in tensors.items():
        code, np_dt = DT[t.dtype]
        b = t.detach().cpu().contiguous().numpy().astype(np_dt).tobytes()
        header[k] = {'dtype': code, 'shape': list(t.shape), 'data_offsets': [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header).encode()
    h += b' ' * ((8 - len(h) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h)) + h + b''.join(blobs))


if __name__ == '__main__':
    os.makedirs(OUT, exist_ok=True)
    torch.set_grad_enabled(True)
    for name, case in CASES.items():
        run_case(name, case)
    notebook_case()
    pyramid_levels()
