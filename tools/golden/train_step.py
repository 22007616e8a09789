"""Fixtures for the training loop (test/train/train-step.test.ts), in float64 PyTorch written from the definitions:

- losses.safetensors: neuralpredictors' PoissonLoss (output - target * log(output + 1e-8), summed and averaged)
  and the squared error, on seeded positive outputs and Poisson targets;
- step.safetensors: one training step of the notebook model at small width (Core + PyramidReadout + ELU+1 of
  stacked2d.py, 16 x 24 images, 3 neurons, a batch of 4): loss = sqrt(10 / 4) * PoissonLoss(sum) +
  model.regularizer(), backward, torch.nn.utils.clip_grad_norm_(max_norm=0.5), torch.optim.Adam(lr=5e-3) step;
  the initial weights, input, target, the loss, the gradient norm before clipping and every tensor after the step.

Run: /usr/bin/python3 tools/golden/train_step.py
"""
import json
import os
import sys
from collections import OrderedDict

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stacked2d import BASE, Core, PyramidReadout, Encoder, fill, write_safetensors  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'test', 'fixtures', 'train')


def poisson_loss(output, target, avg):
    loss = output - target * torch.log(output + 1e-8)
    return loss.mean() if avg else loss.sum()


def losses():
    rng = np.random.default_rng(314)
    out_ = rng.uniform(0.01, 4.0, (5, 7))
    out_[0, 0] = 1e-6  # near zero: the eps matters
    tgt = rng.poisson(1.7, (5, 7)).astype(np.float64)
    o, t = torch.from_numpy(out_), torch.from_numpy(tgt)
    res = OrderedDict(output=o, target=t, poisson_sum=poisson_loss(o, t, False).reshape(()),
                      poisson_mean=poisson_loss(o, t, True).reshape(()),
                      mse_sum=((o - t) ** 2).sum().reshape(()), mse_mean=((o - t) ** 2).mean().reshape(()))
    write_safetensors(os.path.join(OUT, 'losses.safetensors'), res, {})
    print('losses: poisson sum %.6f mean %.6f' % (res['poisson_sum'].item(), res['poisson_mean'].item()))


def step():
    name, size, neurons, batch, n_train, clip, lr = 'step', (16, 24), 3, 4, 10, 0.5, 5e-3
    cfg = dict(BASE)
    rng = np.random.default_rng(2718)
    torch.manual_seed(0)
    core = Core(cfg)
    with torch.no_grad():
        cshape = core(torch.zeros(2, 1, *size)).shape
    model = Encoder(core, PyramidReadout(cshape[1], neurons, 3, 0.05))
    fill(model, rng, None)
    init = {k: v.detach().clone() for k, v in model.state_dict().items()}
    x = rng.normal(0, 1, (batch, 1, *size)).astype(np.float32)
    y = rng.poisson(2.0, (batch, neurons)).astype(np.float32)
    model = model.double().train()
    scale = np.sqrt(n_train / batch)
    rate = model(torch.from_numpy(x).double())
    loss = scale * poisson_loss(rate, torch.from_numpy(y).double(), False) + model.regularizer()
    params = list(model.parameters())
    opt = torch.optim.Adam(params, lr=lr)
    opt.zero_grad()
    loss.backward()
    norm = torch.nn.utils.clip_grad_norm_(params, max_norm=clip)
    assert norm.item() > clip, 'the case must clip'
    opt.step()
    out = OrderedDict()
    for k, v in init.items():
        out['init.' + k] = v
    out['input'] = torch.from_numpy(x)
    out['target'] = torch.from_numpy(y)
    out['loss'] = loss.detach().reshape(())
    out['grad_norm'] = norm.detach().double().reshape(())
    for k, v in model.state_dict().items():
        out['after.' + k] = v.detach().clone()
    config = dict(core=cfg, neurons=neurons, size=list(size), scaleN=3, featureRegWeight=0.05, scale=scale, clip=clip, lr=lr)
    write_safetensors(os.path.join(OUT, name + '.safetensors'), out, {'config': json.dumps(config)})
    print('step: loss %.6f, grad norm %.6f (clipped to %g), %d tensors' % (loss.item(), norm.item(), clip, len(out)))


def early_stopping_reference(curve, patience, max_iter, lr_decay_steps, tolerance, factor, min_lr, lr0):
    """neuralpredictors' early_stopping (interval 1, maximize, restore_best) driving torch's ReduceLROnPlateau
    (mode max, threshold_mode abs, threshold = tolerance) on a given objective curve: curve[0] is the objective
    before training, curve[e] after epoch e. Returns the epochs trained with their learning rates, the epochs after
    which the best weights were restored, the epoch training stopped at and the best epoch."""
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=lr0)
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, mode='max', factor=factor, patience=patience,
                                                       threshold=tolerance, threshold_mode='abs', min_lr=min_lr)
    epoch, best, best_epoch = 0, curve[0], 0
    current = curve[0]
    trained, restores = [], []
    for repeat in range(lr_decay_steps):
        patience_counter = 0
        while patience_counter < patience and epoch < max_iter:
            if not np.isfinite(current):
                return dict(trained=trained, restores=restores, stop=epoch, best_epoch=best_epoch)
            epoch += 1
            trained.append([epoch, opt.param_groups[0]['lr']])
            current = curve[epoch]
            sched.step(current)
            if current < best - tolerance:
                patience_counter += 1
            else:
                best, best_epoch, patience_counter = current, epoch, 0
        if epoch < max_iter and lr_decay_steps > 1 and repeat < lr_decay_steps - 1:
            restores.append(epoch)
    return dict(trained=trained, restores=restores, stop=epoch, best_epoch=best_epoch)


def schedules():
    """schedule.json: constructed validation curves and what early stopping + the plateau schedule do on them"""
    rng = np.random.default_rng(5)
    rise = np.concatenate([np.linspace(0.0, 0.5, 8), 0.5 - 0.01 * np.arange(1, 30), 0.45 + 0.02 * np.arange(1, 6), 0.4 * np.ones(60)])
    noisy = np.concatenate([[0.0], np.minimum(0.6, 0.05 * np.arange(1, 100)) + rng.normal(0, 0.03, 99)])
    flat = np.concatenate([[0.3], 0.3 * np.ones(80)])  # ties count as improvements for early stopping, not for the schedule
    nan = np.concatenate([[0.1, 0.2, 0.3], [np.nan] * 20])
    cases = []
    for name, curve, kw in [('rise', rise, dict(patience=3, max_iter=80, lr_decay_steps=3)),
                            ('noisy', noisy, dict(patience=5, max_iter=60, lr_decay_steps=3)),
                            ('flat', flat, dict(patience=4, max_iter=25, lr_decay_steps=2)),
                            ('short', rise, dict(patience=3, max_iter=10, lr_decay_steps=3)),
                            ('nan', nan, dict(patience=3, max_iter=20, lr_decay_steps=3))]:
        opts = dict(kw, tolerance=1e-6, factor=0.3, min_lr=1e-4, lr0=5e-3)
        ref = early_stopping_reference(list(curve), **opts)
        cases.append(dict(name=name, curve=[None if not np.isfinite(v) else float(v) for v in curve], options=opts, **ref))
    with open(os.path.join(OUT, 'schedule.json'), 'w') as f:
        json.dump(cases, f, indent=1)
    print('schedules: %s' % ', '.join('%s stops at %d' % (c['name'], c['stop']) for c in cases))


if __name__ == '__main__':
    os.makedirs(OUT, exist_ok=True)
    losses()
    step()
    schedules()
