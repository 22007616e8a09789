#!/usr/bin/python3
"""Second oracle for the Stacked2d twins: neuralpredictors' own modules (sinzlab/neuralpredictors, a checkout given
with --src; not part of this repository and never copied into it) run with the same weights, so the fixtures show
that a model saved by neuralpredictors loads into ours under its own keys and computes the same numbers.

Cases (small sizes, float64):
  np_pyramid   Stacked2dCore(1, 4, input_kern 4, hidden_kern 3, layers 3, bias=False, gamma 0.1 / 0.1) +
               PointPyramid2d(scale_n 3, gauss5x5, positive, bias, feature_reg_weight 0.05), FiringRateEncoder
  np_gaussian  Stacked2dCore(2, 3, 5, [3, 5], layers 3, bias=True, skip 2, momentum 0.3,
               input_regularizer LaplaceL2norm, laplace_padding 1) + FullGaussian2d (isotropic, batch_sample)
The neuralpredictors quirk is kept as it is: with `bias` a bool, the hidden convolutions get a bias either way (the
list of per-layer flags is truthy), and bias=False gives affine-free batch norms followed by Scale2DLayer.
FullGaussian2d draws its positions with torch's RNG; the script seeds it, draws the same N(0, 1) numbers once to
store them as `noise` (float64), reseeds and runs the model (nothing else consumes random numbers in between).

Loss: mean(rate - y log(rate + 1e-12)) + core.regularizer() + readout.regularizer() (neuralpredictors' PoissonLoss
with avg; its Encoder.regularizer passes data_key, which PointPyramid2d does not take, so the two are summed here).
Writes test/fixtures/stacked2d/np_<case>.safetensors in the layout of tools/golden/stacked2d.py (init.*, input,
target, noise, rate, loss, grad.*, after.* after one Adam step with lr 1e-3, eval_rate), with metadata 'config'
holding the equivalent options of our Stacked2dCoreConfig and readout, and 'neuralpredictors': the constructor
arguments of its Stacked2dCore (neuralpredictorsStacked2dConfig must map them onto the same model); and
np_keys.json: the state-dict keys and shapes of its Stacked2dCore for three more argument sets (per-layer bias,
batch_norm and batch_norm_scale lists, final_batchnorm_scale, no batch norm, skip 3).

Run: /usr/bin/python3 tools/golden/stacked2d_neuralpredictors.py --src PATH/TO/neuralpredictors
(matplotlib, imported by neuralpredictors.layers.activations for plotting only, is stubbed when missing.)
"""
import argparse
import json
import os
import sys
import types
import warnings
from collections import OrderedDict

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stacked2d import OUT, fill, write_safetensors  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument('--src', required=True, help='a checkout of sinzlab/neuralpredictors (the folder holding neuralpredictors/)')
args = ap.parse_args()
sys.path.insert(0, args.src)
try:
    import matplotlib.pyplot  # noqa: F401
except ImportError:
    for m in ['matplotlib', 'matplotlib.pyplot']:
        sys.modules[m] = types.ModuleType(m)
    sys.modules['matplotlib'].pyplot = sys.modules['matplotlib.pyplot']
from neuralpredictors.layers.cores.conv2d import Stacked2dCore  # noqa: E402
from neuralpredictors.layers.readouts.pyramid import PointPyramid2d  # noqa: E402
from neuralpredictors.layers.readouts.gaussian import FullGaussian2d  # noqa: E402
from neuralpredictors.layers.encoders.firing_rate import FiringRateEncoder  # noqa: E402


def ours(layers, hidden_kern, **kw):
    base = dict(layers=layers, hiddenKern=hidden_kern, momentum=0.1, skip=0, finalNonlinearity=True,
                laplacePadding=0, inputRegularizer='LaplaceL2', useAvgReg=True, pooling=1, hiddenPooling=1,
                batchNorm=[True] * layers)
    base.update(kw)
    return base


CASES = {
    'np_pyramid': dict(
        args=dict(input_channels=1, hidden_channels=4, input_kern=4, hidden_kern=3, layers=3, gamma_hidden=0.1,
                  gamma_input=0.1, bias=False),
        ours=ours(3, [3, 3], inputChannels=1, hiddenChannels=4, inputKern=4, gammaHidden=0.1, gammaInput=0.1,
                  convBias=[False, True, True], batchNormAffine=[False] * 3, batchNormExtra=['scale'] * 3),
        readout=lambda c: PointPyramid2d((c, 0, 0), 3, scale_n=3, positive=True, bias=True, init_range=0.1,
                                         downsample=True, type='gauss5x5', feature_reg_weight=0.05),
        readout_cfg=dict(kind='pyramid', scaleN=3, featureRegWeight=0.05), neurons=3, batch=4, size=(15, 22)),
    'np_gaussian': dict(
        args=dict(input_channels=2, hidden_channels=3, input_kern=5, hidden_kern=[3, 5], layers=3, gamma_hidden=0.3,
                  gamma_input=0.2, skip=2, momentum=0.3, bias=True, laplace_padding=None,
                  input_regularizer='LaplaceL2norm'),
        ours=ours(3, [3, 5], inputChannels=2, hiddenChannels=3, inputKern=5, gammaHidden=0.3, gammaInput=0.2, skip=2,
                  momentum=0.3, laplacePadding=1, inputRegularizer='LaplaceL2norm', convBias=[False, True, True],
                  batchNormAffine=[True] * 3, batchNormExtra=[None] * 3),
        readout=lambda c: FullGaussian2d((c, 0, 0), 5, bias=True, gauss_type='isotropic', feature_reg_weight=0.02),
        readout_cfg=dict(kind='gaussian', gaussType='isotropic', featureRegWeight=0.02), neurons=5, batch=3,
        size=(9, 12)),
}


def run(name, case):
    rng = np.random.default_rng(sum(map(ord, name)) * 104729)
    core = Stacked2dCore(**case['args'])
    C = core.outchannels
    model = FiringRateEncoder(core, case['readout'](C))
    fill(model, rng, case)
    init = {k: v.detach().clone() for k, v in model.state_dict().items()}
    B, N = case['batch'], case['neurons']
    x = rng.normal(0, 1, (B, core.input_channels, *case['size'])).astype(np.float32)
    y = rng.poisson(1.5, (B, N)).astype(np.float32)
    model = model.double().train()
    gaussian = isinstance(model.readout, FullGaussian2d)
    noise = None
    if gaussian:
        torch.manual_seed(7)
        noise = torch.empty(B, N, 1, 2, dtype=torch.float64).normal_()
        torch.manual_seed(7)
    xt = torch.from_numpy(x).double().requires_grad_(True)
    rate = model(xt)
    loss = (rate - torch.from_numpy(y).double() * torch.log(rate + 1e-12)).mean() \
        + model.core.regularizer() + model.readout.regularizer()
    opt = torch.optim.Adam(list(model.parameters()), lr=1e-3)
    loss.backward()
    out = OrderedDict(('init.' + k, v) for k, v in init.items())
    out['input'] = torch.from_numpy(x)
    out['target'] = torch.from_numpy(y)
    if gaussian:
        out['noise'] = noise  # float64, as drawn (model.double())
    out['rate'] = rate.detach()
    out['loss'] = loss.detach().reshape(())
    for k, p in model.named_parameters():
        out['grad.' + k] = p.grad.detach().clone()
    out['grad.input'] = xt.grad.detach().clone()
    opt.step()
    for k, v in model.state_dict().items():
        out['after.' + k] = v.detach().clone()
    model.eval()
    with torch.no_grad():
        out['eval_rate'] = model(torch.from_numpy(x).double())
    config = dict(core=case['ours'], readout=case['readout_cfg'], neurons=N, neuralpredictors=case['args'])
    write_safetensors(os.path.join(OUT, name + '.safetensors'), out, {'config': json.dumps(config)})
    print('%s: %d keys, rate %s, loss %.6f' % (name, len(init), tuple(rate.shape), loss.item()))


# more argument sets whose state-dict keys and shapes the mapping must reproduce (np_keys.json)
KEY_ARGS = [
    dict(input_channels=1, hidden_channels=8, input_kern=9, hidden_kern=7, layers=4, bias=True,
         batch_norm_scale=True, final_batchnorm_scale=False),
    dict(input_channels=3, hidden_channels=5, input_kern=3, hidden_kern=[3, 3], layers=3, bias=[True, False, True],
         batch_norm=[True, True, False], batch_norm_scale=[False, True, True], skip=3),
    dict(input_channels=1, hidden_channels=6, input_kern=5, hidden_kern=3, layers=2, bias=False, batch_norm=False),
]


def key_shapes():
    out = []
    for a in KEY_ARGS:
        core = Stacked2dCore(**a)
        out.append(dict(args=a, keys={k: list(v.shape) for k, v in core.state_dict().items()}))
    with open(os.path.join(OUT, 'np_keys.json'), 'w') as f:
        json.dump(out, f, indent=1)
        f.write('\n')
    print('np_keys.json: %d argument sets' % len(out))


if __name__ == '__main__':
    warnings.simplefilter('ignore')  # deprecation notes and the readouts' in_shape check (only channels matter)
    torch.set_grad_enabled(True)
    for name, case in CASES.items():
        run(name, case)
    key_shapes()
