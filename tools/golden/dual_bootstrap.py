#!/usr/bin/python3
"""NumPy reference for the seed bootstrap-t test and the Benjamini-Hochberg correction of `analyze dual`
(src/dualneuron/analysis/seed-bootstrap.ts), written from the definitions stated there:

  d_i = x_i - b (negated for the 'above' side), t = mean(d), se = std(d, ddof=1) / sqrt(n), T = t / se;
  every ordered resample (i_1..i_n) in {0..n-1}^n is equally likely (itertools.product: n^n of them);
  T* = (mean(d[idx]) - t) / (std(d[idx], ddof=1) / sqrt(n)), 0 when the drawn values are all equal;
  p = fraction of resamples with T* <= T.
For n = 11 (above our exact limit, where we draw 20000 resamples) the exact p comes from the multisets
(itertools.combinations_with_replacement) weighted by their multinomial counts.
BH: adjusted p_(i) = min over j >= i of p_(j) m / j, capped at 1 (np.minimum.accumulate over the reversed order).

Run: /usr/bin/python3 tools/golden/dual_bootstrap.py
Writes test/fixtures/dual/bootstrap.json.
"""
import itertools
import json
import math
import os
import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
out_dir = os.path.join(here, '..', '..', 'test', 'fixtures', 'dual')
os.makedirs(out_dir, exist_ok=True)


def stat(d, t, n):
    sd = np.std(d, ddof=1, axis=-1)
    m = d.mean(axis=-1)
    scale = np.max(np.abs(d - t))
    with np.errstate(divide='ignore', invalid='ignore'):
        return np.where(sd / math.sqrt(n) <= 1e-9 * scale, 0.0, (m - t) / (sd / math.sqrt(n)))


def p_exact_product(x, b, side):
    x = np.asarray(x, np.float64)
    n = len(x)
    d = (x - b) * (1 if side == 'below' else -1)
    t = d.mean()
    T = t / (np.std(d, ddof=1) / math.sqrt(n))
    idx = np.array(list(itertools.product(range(n), repeat=n)))
    Ts = stat(d[idx], t, n)
    return float(np.mean(Ts <= T)), float(T if side == 'below' else -T)


def p_exact_multiset(x, b, side):
    x = np.asarray(x, np.float64)
    n = len(x)
    d = (x - b) * (1 if side == 'below' else -1)
    t = d.mean()
    T = t / (np.std(d, ddof=1) / math.sqrt(n))
    combos = np.array(list(itertools.combinations_with_replacement(range(n), n)))
    counts = np.stack([np.bincount(c, minlength=n) for c in combos])
    logw = math.lgamma(n + 1) - np.sum([[math.lgamma(k + 1) for k in row] for row in counts], axis=1) - n * math.log(n)
    Ts = stat(d[combos], t, n)
    return float(np.sum(np.exp(logw)[Ts <= T])), float(T if side == 'below' else -T)


def bh(p):
    p = np.asarray(p, np.float64)
    m = len(p)
    order = np.argsort(p, kind='stable')
    scaled = p[order] * m / np.arange(1, m + 1)
    adj = np.minimum.accumulate(scaled[::-1])[::-1]
    out = np.empty(m)
    out[order] = np.minimum(adj, 1.0)
    return out.tolist()


rng = np.random.default_rng(15)
cases = []
for n, shift, side in [(3, -1.0, 'below'), (3, -0.5, 'below'), (4, 0.3, 'below'), (5, -0.8, 'below'), (5, 0.0, 'below'),
                       (5, 1.2, 'above'), (5, 0.2, 'above'), (6, -0.4, 'below'), (6, 0.6, 'above')]:
    x = (rng.normal(size=n) + shift + 2.0).round(6)
    p, T = p_exact_product(x, 2.0, side)
    cases.append({'x': x.tolist(), 'baseline': 2.0, 'side': side, 'p': p, 't': T, 'method': 'product'})
# ties: two seeds with exactly equal responses
x = [1.5, 1.5, 1.2, 1.9, 1.0]
p, T = p_exact_product(x, 2.0, 'below')
cases.append({'x': x, 'baseline': 2.0, 'side': 'below', 'p': p, 't': T, 'method': 'product'})
# 11 seeds: above the exact limit of seed-bootstrap.ts (Monte Carlo there)
x = (rng.normal(size=11) * 0.5 + 1.8).round(6)
p, T = p_exact_multiset(x, 2.0, 'below')
cases.append({'x': x.tolist(), 'baseline': 2.0, 'side': 'below', 'p': p, 't': T, 'method': 'multiset'})

pvals = [0.001, 0.04, 0.03, 0.2, 0.5, 0.0, 0.012, 0.04, 1.0, 0.049]
with open(os.path.join(out_dir, 'bootstrap.json'), 'w') as f:
    json.dump({'cases': cases, 'bh': {'p': pvals, 'q': bh(pvals)}}, f, indent=1)
print('wrote', len(cases), 'cases')
for c in cases:
    print(len(c['x']), c['side'], c['p'])
