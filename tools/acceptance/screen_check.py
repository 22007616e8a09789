#!/usr/bin/python3
"""Issue-6 acceptance check of a screening output folder against `dualneuron predict --images` on the same files.
Usage: tools/acceptance/screen_check.py <screen out dir> <predict.npy>
Checks: responses equal predict's (max abs and relative difference printed; fails above 1e-5 relative to the
response scale), and for every unit the ordered indices sort its responses ascending with ties broken by the
image index, and the ordered responses are the responses in that order. Exit 1 on any failure."""
import glob, os, sys
import numpy as np

d, pred_path = sys.argv[1], sys.argv[2]
R = np.load(os.path.join(d, 'responses.npy'))
P = np.load(pred_path)
ok = True
if R.shape != P.shape:
    print(f'shape: screen {R.shape} vs predict {P.shape}'); sys.exit(1)
valid = ~np.isnan(R).any(axis=1)
diff = np.abs(R[valid].astype(np.float64) - P[valid])
scale = np.abs(P[valid]).max()
print(f'responses {R.shape}: max |screen - predict| {diff.max():.3e} (response scale {scale:.3f}, relative {diff.max() / scale:.2e}), exactly equal: {np.array_equal(R[valid], P[valid])}')
if diff.max() > 1e-5 * scale: ok = False
idx_dirs = glob.glob(os.path.join(d, '*_ordered_indices'))
resp_dirs = glob.glob(os.path.join(d, '*_ordered_responses'))
assert len(idx_dirs) == 1 and len(resp_dirs) == 1, (idx_dirs, resp_dirs)
bad = 0
for u in range(R.shape[1]):
    idx = np.load(os.path.join(idx_dirs[0], f'{u}.npy'))
    got = np.load(os.path.join(resp_dirs[0], f'{u}.npy'))
    col = R[:, u]
    keep = np.nonzero(~np.isnan(col))[0]
    want = keep[np.lexsort((keep, col[keep]))]  # ascending response, ties by index
    if not (np.array_equal(idx, want) and np.array_equal(got, col[idx])):
        bad += 1
print(f'ordered indices and responses: {R.shape[1] - bad}/{R.shape[1]} units sorted ascending with ties by index')
if bad: ok = False
print('OK' if ok else 'FAILED')
sys.exit(0 if ok else 1)
