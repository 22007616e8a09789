#!/usr/bin/python3
"""Fixtures of `dualneuron import-twin`: small models built with neuralpredictors' own modules
(sinzlab/neuralpredictors, a checkout given with --src; not part of this repository and never copied into it),
saved with torch.save as a lab would save them, and their outputs in eval mode on a few inputs.

Cases (float32 weights as trained models have them; reference rates computed in float64 from those weights):
  pyramid   FiringRateEncoder(Stacked2dCore(1, 4, input_kern 5, hidden_kern 3, layers 3, bias=False, stack=-2),
            PointPyramid2d(scale_n 2, gauss3x3, positive, bias)), single readout (keys readout.*), 1 x 20 x 28 input.
            pyramid.pt: torch.save(model.state_dict()); pyramid_ckpt.pt: a checkpoint dict {'epoch',
            'model_state_dict', 'optimizer_state_dict' (Adam after one step), 'val_corr'}.
  gaussian  FiringRateEncoder(Stacked2dCore(2, 3, input_kern 5, hidden_kern [3, 5], layers 3, bias=True, skip 2,
            batch_norm_scale=False), MultiReadoutBase of FullGaussian2d (gauss_type uncorrelated) with data keys
            sessA (4 neurons) and sessB (2 neurons), elu_offset -0.3), 2 x 16 x 18 input; outputs of sessB.
            gaussian.pt: torch.save(model.state_dict(), _use_new_zipfile_serialization=False) (the pre-1.6 format).
  notebook  The Allen notebook's model written from its description (CustomCNN_2_pooling: a Stacked2dCore_pooling
            held as `conv_core`, each layer conv (no bias) -> AvgPool2d -> BatchNorm2d -> ELU, outputs concatenated;
            readout neuralpredictors' PointPyramid2d, which has the notebook readout's keys), with the ELU+1 output
            the notebook describes; 1 x 18 x 26 input, 8 channels, pooling 2. notebook.pt: a checkpoint dict
            {'epoch', 'model_state_dict'} as the notebook saves.
Writes test/fixtures/import/: the .pt files, <case>.json (the import configuration a user would write: what the
shapes do not tell) and reference.safetensors (input_<case> float32 (B, C, H, W), rate_<case> float64 (B, N)).

Run: /usr/bin/python3 tools/golden/import_neuralpredictors.py --src PATH/TO/neuralpredictors
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
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stacked2d import fill, write_safetensors  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'test', 'fixtures', 'import')

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
from neuralpredictors.layers.readouts.multi_readout import MultiReadoutBase  # noqa: E402
from neuralpredictors.layers.encoders.firing_rate import FiringRateEncoder  # noqa: E402


class NotebookCore(nn.Module):
    """The notebook's Stacked2dCore_pooling as described there: layer l = conv (input_kern padded / hidden_kern
    padded k // 2, no bias) -> AvgPool2d(pooling or hidden_pooling) -> BatchNorm2d -> ELU, outputs concatenated;
    the Laplace regulariser's 3x3 filter is a buffer (1, 1, 3, 3) under _input_weights_regularizer.laplace."""

    def __init__(self, cin, hidden, input_kern, hidden_kern, pooling, hidden_pooling, layers):
        super().__init__()
        self._input_weights_regularizer = nn.Module()
        self._input_weights_regularizer.laplace = nn.Module()
        lap = torch.tensor([[0, -1, 0], [-1, 4, -1], [0, -1, 0]], dtype=torch.float32).reshape(1, 1, 3, 3)
        self._input_weights_regularizer.laplace.register_buffer('filter', lap)
        self.features = nn.Sequential()
        for l in range(layers):
            k, p = (input_kern, pooling) if l == 0 else (hidden_kern, hidden_pooling)
            self.features.add_module('layer%d' % l, nn.Sequential(OrderedDict([
                ('conv', nn.Conv2d(cin if l == 0 else hidden, hidden, k, padding=k // 2, bias=False)),
                ('pool', nn.AvgPool2d(p)), ('norm', nn.BatchNorm2d(hidden)), ('nonlin', nn.ELU())])))

    def forward(self, x):
        out = []
        for layer in self.features:
            x = layer(x)
            out.append(x)
        return torch.cat(out, 1)


class NotebookModel(nn.Module):
    def __init__(self, neurons):
        super().__init__()
        self.conv_core = NotebookCore(1, 8, 4, 3, 2, 1, 3)
        self.readout = PointPyramid2d((24, 0, 0), neurons, scale_n=3, positive=True, bias=True, init_range=0.1,
                                      downsample=True, type='gauss5x5')

    def forward(self, x):
        return F.elu(self.readout(self.conv_core(x))) + 1


def build(name):
    if name == 'pyramid':
        core = Stacked2dCore(input_channels=1, hidden_channels=4, input_kern=5, hidden_kern=3, layers=3, bias=False,
                             stack=-2, gamma_input=0.1)
        readout = PointPyramid2d((len(core.stack) * 4, 0, 0), 3, scale_n=2, positive=True, bias=True, init_range=0.1,
                                 downsample=True, type='gauss3x3')
        return FiringRateEncoder(core, readout), (4, 1, 20, 28), None
    if name == 'gaussian':
        core = Stacked2dCore(input_channels=2, hidden_channels=3, input_kern=5, hidden_kern=[3, 5], layers=3, bias=True,
                             skip=2, batch_norm_scale=False)
        c = core.outchannels
        readout = MultiReadoutBase({'sessA': (c, 0, 0), 'sessB': (c, 0, 0)}, {'sessA': 4, 'sessB': 2},
                                   base_readout=FullGaussian2d, bias=True, gauss_type='uncorrelated')
        return FiringRateEncoder(core, readout, elu_offset=-0.3), (3, 2, 16, 18), 'sessB'
    return NotebookModel(2), (3, 1, 18, 26), None


CONFIGS = {
    'pyramid': dict(core=dict(stack=-2, gamma_input=0.1), readout=dict(positive=True),
                    input=dict(size=[20, 28], mean=0.4, std=0.2), neuron_ids=['n7', 'n9', 'n12']),
    'gaussian': dict(encoder=dict(elu_offset=-0.3), input=dict(size=[16, 18])),
    'notebook': dict(core=dict(input_channels=1, hidden_channels=8, input_kern=4, hidden_kern=3, pooling=2, hidden_pooling=1,
                               layers=3, gamma_hidden=0.1, gamma_input=0.1, skip=1, final_nonlinearity=True, bias=False,
                               momentum=0.1, pad_input=True, batch_norm=True, laplace_padding=0, stride=3),
                     readout=dict(scale_n=3, positive=True, type='gauss5x5'), input=dict(size=[18, 26])),
}


def main():
    warnings.simplefilter('ignore')
    os.makedirs(OUT, exist_ok=True)
    ref = OrderedDict()
    for name in ['pyramid', 'gaussian', 'notebook']:
        torch.manual_seed(1)
        rng = np.random.default_rng(sum(map(ord, name)) * 7919)
        model, shape, data_key = build(name)
        fill(model, rng, None)
        sd = model.state_dict()
        if name == 'pyramid':
            torch.save(sd, os.path.join(OUT, 'pyramid.pt'))
            opt = torch.optim.Adam(model.parameters(), lr=1e-3)
            model.train()
            model(torch.zeros(2, *shape[1:])).sum().backward()
            opt.step()
            opt.zero_grad()
            fill(model, np.random.default_rng(sum(map(ord, name)) * 7919), None)  # the same weights again
            torch.save({'epoch': 7, 'model_state_dict': model.state_dict(), 'optimizer_state_dict': opt.state_dict(),
                        'val_corr': 0.41}, os.path.join(OUT, 'pyramid_ckpt.pt'))
        elif name == 'gaussian':
            torch.save(sd, os.path.join(OUT, 'gaussian.pt'), _use_new_zipfile_serialization=False)
        else:
            torch.save({'epoch': 3, 'model_state_dict': sd}, os.path.join(OUT, 'notebook.pt'))
        x = rng.normal(0, 1, shape).astype(np.float32)
        for m in model.modules():  # the pyramid caches its expanded filter in the dtype of the last forward
            if hasattr(m, '_filter_cache'):
                m._filter_cache = None
        model = model.double().eval()
        with torch.no_grad():
            xt = torch.from_numpy(x).double()
            rate = model(xt, data_key=data_key) if data_key else model(xt)
        ref['input_' + name] = torch.from_numpy(x)
        ref['rate_' + name] = rate.detach()
        with open(os.path.join(OUT, name + '.json'), 'w') as f:
            json.dump(CONFIGS[name], f, indent=1)
            f.write('\n')
        print('%s: %d keys, rate %s in [%.3f, %.3f]' % (name, len(sd), tuple(rate.shape), rate.min().item(), rate.max().item()))
    write_safetensors(os.path.join(OUT, 'reference.safetensors'), ref, {'made_by': 'tools/golden/import_neuralpredictors.py'})


if __name__ == '__main__':
    torch.set_grad_enabled(True)
    main()
