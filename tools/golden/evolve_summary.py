"""Oracle for `dualneuron evolve summary`'s convergence time constant: scipy's curve_fit of
y(t) = a - b * exp(-t / tau) to mean-score trajectories (least squares), written to
test/fixtures/evolve/summary_fit.json. The trajectories are synthetic (seeded), with noise."""
import json
import numpy as np
from scipy.optimize import curve_fit

rng = np.random.default_rng(13)
cases = []
for (a, b, tau, noise, n) in [(10.0, 8.0, 12.0, 0.2, 60), (3.0, 2.5, 4.0, 0.05, 30), (50.0, 45.0, 30.0, 1.0, 100)]:
    t = np.arange(n, dtype=np.float64)
    y = a - b * np.exp(-t / tau) + noise * rng.standard_normal(n)
    f = lambda t, a, b, tau: a - b * np.exp(-t / tau)
    p, _ = curve_fit(f, t, y, p0=[y[-1], y[-1] - y[0], n / 4], maxfev=100000, xtol=1e-14, ftol=1e-14)
    cases.append({"y": y.tolist(), "a": p[0], "b": p[1], "tau": p[2]})
with open("test/fixtures/evolve/summary_fit.json", "w") as fh:
    json.dump({"model": "y = a - b exp(-t/tau), t = 0..n-1", "cases": cases}, fh)
