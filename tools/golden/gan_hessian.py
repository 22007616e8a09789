#!/usr/bin/python3
"""PyTorch oracle for `dualneuron gan-hessian`: the exact Hessian of the image-space distance
d(z) = ||G(z) - G(z0)||^2 at z0, H = 2 J^T J with J = dG/dz (G the [0, 1] RGB image of the DeePSim fc6 generator),
computed in float64 from the full Jacobian (torch.autograd.functional.jacobian, forward mode: one JVP per code
dimension), and its eigen-decomposition (torch.linalg.eigh).

The generator is tools/golden/deepsim_fc6.py's network (its builder, weights and codes, imported from that file) at
width 1/32: code 128, deconv0 times 1024 so that some pixels clamp; the same file that script writes as
test/fixtures/deepsim/fc6_s32.pt, which the TypeScript test imports.

Writes test/fixtures/gan-hessian/:
  z0.npy        float32 (128): the code, det_value('code', [2, 128], 1000000)[0] * 16 (the first fc6 fixture code)
  H.npy         float64 (128, 128): the Hessian
  eigvals.npy   float64 (128): every eigenvalue of H, descending
  eigvecs.npy   float64 (16, 128): the eigenvectors of the 16 largest, rows, largest component positive
  hessian.json  clamped fraction, the eigenvalue gaps, trace, ||H|| (for the test's messages)

Run: /usr/bin/python3 tools/golden/gan_hessian.py      (a few seconds)
"""
import json, os, sys
import numpy as np
import torch

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
# deepsim_fc6.py is a script that writes its fixtures when run: take only its definitions (everything above its
# first fixture section) instead of importing it, so that this oracle uses the same builder and does not rewrite
# test/fixtures/deepsim/.
src = open(os.path.join(here, 'deepsim_fc6.py')).read()
marker = '# ---------------------------------------------------------------- scale 1/32'
assert marker in src, 'tools/golden/deepsim_fc6.py changed: its fixture section marker is gone'
fc6 = {'__file__': os.path.join(here, 'deepsim_fc6.py'), '__name__': 'deepsim_fc6_definitions'}
exec(compile(src[:src.index(marker)], 'deepsim_fc6.py', 'exec'), fc6)

out = os.path.join(here, '..', '..', 'test', 'fixtures', 'gan-hessian')
os.makedirs(out, exist_ok=True)

seq, net = fc6['build'](1 / 32)
fc6['load_det'](seq, 1024)
seq = seq.double().requires_grad_(False)
z0 = fc6['codes'](2, 128)[0]  # float32, exact
np.save(os.path.join(out, 'z0.npy'), z0.numpy().astype(np.float32))


def G(z):
    return fc6['image'](net(z.reshape(1, -1))).reshape(-1)


z = z0.double()
with torch.no_grad():
    img = G(z)
J = torch.autograd.functional.jacobian(G, z, vectorize=True, strategy='forward-mode')  # (3*256*256, 128)
H = (2 * J.T @ J).detach()
w, V = torch.linalg.eigh(H)  # ascending
w, V = w.flip(0), V.flip(1)
top = V[:, :16].T.clone()
for r in range(top.shape[0]):
    i = int(top[r].abs().argmax())
    if top[r, i] < 0:
        top[r] = -top[r]
np.save(os.path.join(out, 'H.npy'), H.numpy())
np.save(os.path.join(out, 'eigvals.npy'), w.numpy())
np.save(os.path.join(out, 'eigvecs.npy'), top.numpy())
info = {
    'clamped_fraction': float(((img == 0) | (img == 1)).double().mean()),
    'code_norm': float(z.norm()),
    'top16': w[:16].tolist(),
    'relative_gaps_top16': ((w[:16] - w[1:17]) / w[:16]).tolist(),
    'trace': float(H.trace()), 'symmetric_error': float((H - H.T).abs().max()),
}
json.dump(info, open(os.path.join(out, 'hessian.json'), 'w'), indent=1)
print(json.dumps(info, indent=1))
