#!/usr/bin/python3
"""Independent NumPy/SciPy computation of screening statistics (upstream definitions) for a screening output
folder, compared with its stats.csv. Usage: tools/stats_check.py <screen out dir>  (exit 1 on mismatch)."""
import csv, sys
import numpy as np
from scipy.stats import skew

d = sys.argv[1]
R = np.load(f'{d}/responses.npy').astype(np.float64)
ok = True
rows = {int(r['unit']): r for r in csv.DictReader(open(f'{d}/stats.csv'))}
worst = 0.0
for u in range(R.shape[1]):
    x = np.sort(R[:, u][~np.isnan(R[:, u])])
    n = len(x)
    g = 0.0 if x.sum() == 0 else 2 * np.sum(np.arange(1, n + 1) * x) / (n * x.sum()) - (n + 1) / n
    ref = dict(gini=g, skewness=skew(x), mean=x.mean(), std=x.std(), range=np.ptp(x), cv=x.std() / (x.mean() + 1e-8),
               max=x.max(), q95=np.percentile(x, 95), q05=np.percentile(x, 5))
    for k, v in ref.items():
        got = float(rows[u][k])
        err = abs(got - v) / max(abs(v), 1e-6)
        worst = max(worst, err)
        if err > 1e-6:
            ok = False
            print(f'unit {u} {k}: stats.csv {got} vs numpy {v}')
    act = x.max() > 0.5 and x.mean() > 0.01 and x.std() > 0
    if (rows[u]['active'] == 'True') != bool(act):
        ok = False
        print(f'unit {u} active flag differs')
print(f'{R.shape[1]} units, {R.shape[0]} images: max relative difference {worst:.2e} -> {"OK" if ok else "MISMATCH"}')
sys.exit(0 if ok else 1)
