#!/usr/bin/python3
"""PyTorch counterpart (CPU, or the GPU with DUALNEURON_TORCH_DEVICE, see timing.py) of bench/stacked2d.bench.ts: the
Allen notebook's twin (Stacked2dCore_pooling, 64 channels, + SpatialTransformerPyramid2d, ELU+1; the modules of
tools/golden/stacked2d.py) on 60 x 96 gray images for one neuron: a training step (train-mode forward, Poisson loss
plus regularisers, backward, Adam) and an eval-mode forward, in images/s.
Argument: JSON {"batch": 32, "min_s": 3, "max_reps": 20}. Prints one JSON line."""
import json, os, sys
import torch
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'tools', 'golden'))
from timing import DEVICE, setup, timeit
from stacked2d import NOTEBOOK, Core, PyramidReadout, Encoder  # noqa: E402

args = setup()
B = args.get('batch', 32)
model = Encoder(Core(NOTEBOOK), PyramidReadout(192, 1, 3, 0.05)).to(DEVICE)
for m in model.modules():
    if isinstance(m, torch.nn.Conv2d):
        torch.nn.init.xavier_normal_(m.weight)
with torch.no_grad():
    model.readout.features.fill_(1 / 192)
    model.readout.grid.uniform_(-0.1, 0.1)
x = torch.rand(B, 1, 60, 96)
y = torch.poisson(torch.full((B, 1), 2.0))
opt = torch.optim.Adam(model.parameters(), lr=1e-3)


def step():
    opt.zero_grad()
    r = model(x)
    loss = (r - y * torch.log(r + 1e-12)).mean() + model.regularizer()
    loss.backward()
    opt.step()


out = {'device': DEVICE}
model.train()
out['train'] = B / timeit(step, min_s=args.get('min_s', 3), max_reps=args.get('max_reps', 20), warmup=1)
model.eval()
with torch.no_grad():
    out['eval'] = B / timeit(lambda: model(x), min_s=args.get('min_s', 3), max_reps=args.get('max_reps', 20), warmup=1)
print(json.dumps(out))
