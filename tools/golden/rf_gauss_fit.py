#!/usr/bin/python3
"""SciPy reference for the receptive-field Gaussian fit of `dualneuron analyze rf` (src/dualneuron/analysis/
gauss-fit.ts): scipy.optimize.curve_fit (Levenberg-Marquardt) of Wang & Ponce's twoD_Gaussian with x = column,
y = row, on noisy rotated Gaussians and one map that is not a Gaussian (a Gaussian times |cos|, as a gradient map
of a Gabor-like unit). The start is the true parameters perturbed (Gaussian maps) or Wang & Ponce's moment start
(the last map), independent of ours. The parameters are made canonical as ours: sx >= sy, angle in [0, 180).

Run: /usr/bin/python3 tools/golden/rf_gauss_fit.py
Writes test/fixtures/rf/gauss_maps.npy (float64, (N, H, W) per case: one file per case gauss_map_K.npy) and
gauss_fits.json.
"""
import json
import math
import os
import numpy as np
from scipy.optimize import curve_fit

here = os.path.dirname(os.path.abspath(__file__))
out_dir = os.path.join(here, '..', '..', 'test', 'fixtures', 'rf')
os.makedirs(out_dir, exist_ok=True)


def model(xy, A, x0, y0, sx, sy, t, off):
    x, y = xy
    u = (x - x0) * np.cos(t) - (y - y0) * np.sin(t)
    v = (x - x0) * np.sin(t) + (y - y0) * np.cos(t)
    return off + A * np.exp(-(u ** 2 / (2 * sx ** 2) + v ** 2 / (2 * sy ** 2)))


def canonical(p):
    A, x0, y0, sx, sy, t, off = [float(v) for v in p]
    sx, sy = abs(sx), abs(sy)
    if sy > sx:
        sx, sy, t = sy, sx, t + math.pi / 2
    deg = math.degrees(t) % 180.0
    return dict(amplitude=A, x0=x0, y0=y0, sigma_major=sx, sigma_minor=sy, angle=deg, offset=off)


rng = np.random.default_rng(15)
cases = []
specs = [
    # H, W, true params (A, x0, y0, sx, sy, t, off), noise sd
    (31, 41, (2.0, 22.3, 13.7, 6.0, 2.5, 0.6, 0.3), 0.02),
    (93, 93, (1e-3, 40.2, 51.9, 9.0, 5.0, -1.1, 2e-5), 2e-5),
    (25, 25, (1.0, 12.0, 12.0, 3.0, 3.0 * 0.6, 2.0, 0.0), 0.05),
]
for k, (H, W, true, sd) in enumerate(specs):
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float64)
    m = model((xx, yy), *true) + sd * rng.standard_normal((H, W))
    p0 = np.array(true) * (1 + 0.1 * rng.standard_normal(7))
    popt, _ = curve_fit(model, (xx.ravel(), yy.ravel()), m.ravel(), p0=p0, method='lm', maxfev=20000, xtol=1e-15, ftol=1e-15)
    res = m.ravel() - model((xx.ravel(), yy.ravel()), *popt)
    np.save(os.path.join(out_dir, f'gauss_map_{k}.npy'), m)
    cases.append(dict(file=f'gauss_map_{k}.npy', H=H, W=W, true=canonical(true), fit=canonical(popt), sse=float((res ** 2).sum())))

# not a Gaussian: a Gaussian envelope times |cos| of a carrier (the fit finds the envelope's best Gaussian)
H, W = 41, 41
yy, xx = np.mgrid[0:H, 0:W].astype(np.float64)
m = model((xx, yy), 1.0, 19.5, 21.0, 5.0, 4.0, 0.3, 0.0) * np.abs(np.cos(2 * np.pi * (xx * 0.8 + yy * 0.6) / 9.0 + 0.4))
m += 0.01 * rng.standard_normal((H, W))
# Wang & Ponce's moment start (centroid, sqrt(var) / 4, angle 0, offset 0), in our x = column, y = row
s = m.sum()
cx, cy = (m * xx).sum() / s, (m * yy).sum() / s
vx, vy = (m * (xx - cx) ** 2).sum() / s, (m * (yy - cy) ** 2).sum() / s
p0 = [m.max(), cx, cy, math.sqrt(vx) / 4, math.sqrt(vy) / 4, 0.0, 0.0]
popt, _ = curve_fit(model, (xx.ravel(), yy.ravel()), m.ravel(), p0=p0, method='lm', maxfev=20000, xtol=1e-15, ftol=1e-15)
res = m.ravel() - model((xx.ravel(), yy.ravel()), *popt)
np.save(os.path.join(out_dir, 'gauss_map_3.npy'), m)
cases.append(dict(file='gauss_map_3.npy', H=H, W=W, true=None, fit=canonical(popt), sse=float((res ** 2).sum())))

with open(os.path.join(out_dir, 'gauss_fits.json'), 'w') as f:
    json.dump(dict(cases=cases), f, indent=1)
print(json.dumps(cases, indent=1))
