#!/usr/bin/python3
"""PyTorch trajectories of Adam and SGD-with-momentum under cosine annealing on a small non-convex function,
for test/nn/optim.test.ts. Run: /usr/bin/python3 tools/golden/optim.py -> test/fixtures/nn/optim.json"""
import json, math, os
import torch

torch.set_default_dtype(torch.float64)


def f(p, target, w):
    return ((p - target) ** 2 * w).sum() + torch.sin(3 * p).sum() * 0.3


def run(kind, steps=20):
    torch.manual_seed(0)
    p0 = torch.randn(7)
    target, w = torch.randn(7), torch.rand(7) + 0.5
    p = p0.clone().requires_grad_(True)
    if kind == 'adam':
        opt = torch.optim.Adam([p], lr=0.1, betas=(0.9, 0.999), eps=1e-8)
    elif kind == 'adam_wd_max':
        opt = torch.optim.Adam([p], lr=0.05, weight_decay=0.01, maximize=True)
    elif kind == 'sgd_nesterov_wd':
        opt = torch.optim.SGD([p], lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01)
    elif kind == 'sgd_damp_max':
        opt = torch.optim.SGD([p], lr=0.05, momentum=0.8, dampening=0.3, maximize=True)
    elif kind == 'sgd_plain':
        opt = torch.optim.SGD([p], lr=0.05)
    else:
        opt = torch.optim.SGD([p], lr=0.05, momentum=0.9)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps, eta_min=0.001)
    traj, lrs = [], []
    for _ in range(steps):
        opt.zero_grad()
        loss = f(p, target, w) * (-1 if kind.endswith('_max') else 1)
        loss.backward()
        opt.step()
        sched.step()
        traj.append(p.detach().tolist())
        lrs.append(opt.param_groups[0]['lr'])
    return {'p0': p0.tolist(), 'target': target.tolist(), 'w': w.tolist(), 'traj': traj, 'lrs': lrs}


out = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'test', 'fixtures', 'nn')
os.makedirs(out, exist_ok=True)
json.dump({k: run(k) for k in ['adam', 'adam_wd_max', 'sgd', 'sgd_nesterov_wd', 'sgd_damp_max', 'sgd_plain']}, open(os.path.join(out, 'optim.json'), 'w'))
print('ok')
