#!/usr/bin/python3
"""PyTorch counterpart (CPU, or the GPU with DUALNEURON_TORCH_DEVICE, see timing.py) of bench/train.bench.ts: one
training step of the Allen notebook's twin as the trainer makes it, in images/s. The model is the Stacked2dCore
(with the notebook's pooling) + SpatialTransformerPyramid2d (scaleN 3, positive features) + ELU+1 of
tools/golden/stacked2d.py (written from neuralpredictors' definitions, checked against our model to 1e-4 in
test/models/stacked2d*.test.ts); the step is standard_trainer's: Poisson loss (output - target * log(output + 1e-8))
summed over the batch and neurons and multiplied by sqrt(training images / batch), plus core.regularizer() (gamma 0.1
LaplaceL2 on the input kernels, gamma 0.1 group sparsity on the hidden ones) and the readout's feature L1, backward,
the global gradient norm read back (our trainer reads it for its log; clipping off), torch.optim.Adam.
On the CPU torch uses as many threads as the machine has cores (os.cpu_count()).

Argument: JSON {"batch": 32, "neurons": 100, "height": 60, "width": 96, "channels": 64, "trainImages": 1024,
"featureReg": 1, "lr": 0.005, "warmup": 2, "steps": 5}. Prints one JSON line {"train": images/s, "threads": n, ...}."""
import json, math, os, sys
import torch
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'tools', 'golden'))
from timing import DEVICE, setup, timeit  # noqa: E402
from stacked2d import NOTEBOOK, Core, PyramidReadout, Encoder  # noqa: E402

args = setup()
if DEVICE == 'cpu':
    torch.set_num_threads(os.cpu_count() or 1)
B, N, H, W, C = args['batch'], args['neurons'], args['height'], args['width'], args['channels']
torch.manual_seed(0)
model = Encoder(Core(dict(NOTEBOOK, hiddenChannels=C)), PyramidReadout(3 * C, N, 3, args['featureReg'])).to(DEVICE)
for m in model.modules():  # the initialisation of our Stacked2dCore / pyramid readout (initialize())
    if isinstance(m, torch.nn.Conv2d):
        torch.nn.init.xavier_normal_(m.weight)
with torch.no_grad():
    model.readout.features.fill_(1 / (3 * C))
    model.readout.grid.uniform_(-0.1, 0.1)
model.train()
batches = [(torch.rand(B, 1, H, W), torch.randint(0, 5, (B, N)).float()) for _ in range(2)]
params = list(model.parameters())
opt = torch.optim.Adam(params, lr=args['lr'])
scale = math.sqrt(args['trainImages'] / B)
state = {'i': 0}


def step():
    x, y = batches[state['i'] % 2]
    state['i'] += 1
    r = model(x)
    loss = (r - y * torch.log(r + 1e-8)).sum() * scale + model.regularizer()
    loss.backward()
    lv = loss.item()
    norm = math.sqrt(sum(float(p.grad.pow(2).sum()) for p in params if p.grad is not None))
    if not math.isfinite(lv) or not math.isfinite(norm):
        raise SystemExit('train_bench: the loss became %r' % lv)
    opt.step()
    opt.zero_grad()


# exactly `steps` timed steps after `warmup` untimed ones (min_s never reached first)
sec = timeit(step, min_s=1e9, max_reps=args['steps'], warmup=args['warmup'])
print(json.dumps({'device': DEVICE, 'threads': torch.get_num_threads(), 'train': B / sec}))
