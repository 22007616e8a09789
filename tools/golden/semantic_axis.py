#!/usr/bin/python3
"""NumPy/SciPy reference for `analyze axis` (src/dualneuron/dream/axis.ts, used by analyze-axis.ts): upstream
semantic_axis's unit vector between the centroids of two embedding sets, (mean E(A) - mean E(B)) / (||.|| + 1e-8),
the projections of held-out embeddings on it, and scipy.stats.spearmanr of projections and responses (pairs with a
NaN omitted), on random embeddings with ties and NaNs in the responses.

Run: /usr/bin/python3 tools/golden/semantic_axis.py
Writes test/fixtures/axis/semantic_axis.json.
"""
import json
import os
import numpy as np
from scipy.stats import spearmanr

here = os.path.dirname(os.path.abspath(__file__))
out_dir = os.path.join(here, '..', '..', 'test', 'fixtures', 'axis')
os.makedirs(out_dir, exist_ok=True)
rng = np.random.default_rng(5)
cases = []
for (na, nb, nh, D) in [(4, 3, 30, 16), (1, 1, 12, 8), (10, 10, 57, 32)]:
    EA = rng.standard_normal((na, D)).astype(np.float32)
    EB = (rng.standard_normal((nb, D)) + 0.3).astype(np.float32)
    EH = rng.standard_normal((nh, D)).astype(np.float32)
    d = EA.astype(np.float64).mean(0) - EB.astype(np.float64).mean(0)
    axis = d / (np.linalg.norm(d) + 1e-8)
    proj = EH.astype(np.float64) @ axis.astype(np.float32).astype(np.float64)
    # responses: a noisy monotone function of the projection, rounded to make ties, one NaN
    resp = np.round(2 * proj + rng.standard_normal(nh), 0)
    resp[nh // 3] = np.nan
    rho = spearmanr(proj, resp, nan_policy='omit').statistic
    cases.append(dict(D=D, EA=EA.ravel().tolist(), EB=EB.ravel().tolist(), EH=EH.ravel().tolist(), axis=axis.tolist(),
                      projections=proj.tolist(), responses=[None if np.isnan(v) else float(v) for v in resp], spearman=float(rho)))
with open(os.path.join(out_dir, 'semantic_axis.json'), 'w') as f:
    json.dump(dict(cases=cases), f)
print([c['spearman'] for c in cases])
