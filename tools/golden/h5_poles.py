#!/usr/bin/python3
"""HDF5 poles files in upstream's layout, written with h5py (the test oracle for `dualneuron import h5` / `export h5`).

  /usr/bin/python3 tools/golden/h5_poles.py write OUT_DIR   fixtures: upstream_v1.h5 (+ expected_*.npy), v4_broken.h5
  /usr/bin/python3 tools/golden/h5_poles.py check FILE.h5 POLES_DIR
        reads FILE.h5 as upstream's DualNeuronDataset does and compares it with our poles folder POLES_DIR; prints
        one JSON line {"ok": bool, "problems": [...], "checked": n}

The layout follows upstream's synthesis/generate.py (enigma-brain/dualneuron e285b46), written here from its
definition: group neuron_{id:04d}/seed_{seed}/{least|most}; datasets image and alpha (float32 (C, H, W), gzip 4)
and activations (a list of Python floats -> float64 (T,)); attributes model, neuron_id, seed, weight, type on the
pole group. Needs Debian's python3-h5py (apt-get install python3-h5py).
"""
import json
import os
import sys

import h5py
import numpy as np

NEURONS = [3, 10]
SEEDS = [42, 1234]  # 'seed_1234' sorts before 'seed_42' in h5py's key order
STEPS = 6


def pattern(neuron, seed, w, s=93):
    """Smooth, distinct (1, s, s) float32 images (compress well, so the fixture stays small)."""
    y, x = np.mgrid[0:s, 0:s] / s
    rng = np.random.default_rng(neuron * 100003 + seed * 7 + (w + 1))
    f = rng.uniform(1, 4, size=2)
    ph = rng.uniform(0, 2 * np.pi)
    img = np.sin(2 * np.pi * (f[0] * x + f[1] * y) + ph) * (0.5 + 0.01 * neuron) * w
    return (np.round(img * 256) / 256)[None].astype(np.float32)  # quantised: compresses well


def write(out):
    os.makedirs(out, exist_ok=True)
    images, alphas, acts = [], [], []
    with h5py.File(os.path.join(out, 'upstream_v1.h5'), 'w') as f:
        for n in NEURONS:
            for seed in SEEDS:
                for name, w in [('least', -1), ('most', 1)]:
                    image = pattern(n, seed, w)
                    alpha = (np.abs(pattern(n + 1, seed, 1)) / 0.75).astype(np.float32)
                    act = [abs(float(w) * (0.5 + 0.1 * t + 0.01 * n + 1e-4 * seed)) for t in range(STEPS)]
                    g = f.create_group(f'neuron_{n:04d}/seed_{seed}/{name}')
                    g.create_dataset('image', data=image, compression='gzip', compression_opts=4)
                    g.create_dataset('alpha', data=alpha, compression='gzip', compression_opts=4)
                    g.create_dataset('activations', data=act)
                    g.attrs.update({'model': 'V1GrayTaskDriven', 'neuron_id': n, 'seed': seed, 'weight': w, 'type': name})
                    images.append(image)
                    alphas.append(alpha)
                    acts.append(np.array(act, dtype=np.float64))
    # expected values, in the order neuron, seed (numerically), least then most
    np.save(os.path.join(out, 'expected_images.npy'), np.stack(images))
    np.save(os.path.join(out, 'expected_alphas.npy'), np.stack(alphas))
    np.save(os.path.join(out, 'expected_activations.npy'), np.stack(acts))
    # what upstream's generate_poles writes for V4: fourier_ascending returns a dict, unpacked into its keys
    with h5py.File(os.path.join(out, 'v4_broken.h5'), 'w') as f:
        for name, w in [('least', -1), ('most', 1)]:
            image, alpha, act = {'image': None, 'alpha': None, 'activation': None}
            g = f.create_group(f'neuron_0000/seed_7/{name}')
            g.create_dataset('image', data=image)
            g.create_dataset('alpha', data=alpha)
            g.create_dataset('activations', data=act)
            g.attrs.update({'model': 'V4ColorTaskDriven', 'neuron_id': 0, 'seed': 7, 'weight': w, 'type': name})


def get_neuron_results(path, neuron_id, seed=None, activation_type='most'):
    """upstream DualNeuronDataset.get_neuron_results, from its definition."""
    with h5py.File(path, 'r') as f:
        def one(g):
            return {'image': g['image'][:], 'alpha': g['alpha'][:], 'activations': g['activations'][:]}
        if seed is None:
            return [one(f[f'neuron_{neuron_id:04d}/{k}/{activation_type}']) for k in f[f'neuron_{neuron_id:04d}'].keys()]
        return one(f[f'neuron_{neuron_id:04d}/seed_{seed}/{activation_type}'])


def check(path, poles):
    problems, checked = [], 0
    with h5py.File(path, 'r') as f:
        model = f.attrs.get('model')
        for ng in f.keys():
            n = int(ng.split('_')[1])
            for sg in f[ng].keys():
                seed = int(sg.split('_')[1])
                for pole, w in [('least', -1), ('most', 1)]:
                    g = f[f'{ng}/{sg}/{pole}']
                    a = dict(g.attrs)
                    want = {'model': model, 'neuron_id': n, 'seed': seed, 'weight': w, 'type': pole}
                    for k, v in want.items():
                        if k not in a or a[k] != v:
                            problems.append(f'{ng}/{sg}/{pole} attribute {k}: {a.get(k)!r}, expected {v!r}')
                    for k in ('neuron_id', 'seed', 'weight'):
                        if k in a and not isinstance(a[k], np.int64):
                            problems.append(f'{ng}/{sg}/{pole} attribute {k} is {type(a[k]).__name__}, expected int64')
                    for k in ('model', 'type'):
                        if k in a and not isinstance(a[k], str):
                            problems.append(f'{ng}/{sg}/{pole} attribute {k} is {type(a[k]).__name__}, expected str')
                    for d in ('image', 'alpha'):
                        if g[d].dtype != np.float32 or g[d].compression != 'gzip' or g[d].compression_opts != 4:
                            problems.append(f'{ng}/{sg}/{pole}/{d}: {g[d].dtype} {g[d].compression} {g[d].compression_opts}, expected float32 gzip 4')
                    if g['activations'].dtype != np.float64 or g['activations'].ndim != 1:
                        problems.append(f'{ng}/{sg}/{pole}/activations: {g["activations"].dtype} {g["activations"].shape}, expected float64 (T,)')
                    r = get_neuron_results(path, n, seed, pole)
                    d = os.path.join(poles, ng, f'seed_{seed:04d}', pole)
                    ours = {k: np.load(os.path.join(d, f'{k}.npy')) for k in ('image', 'alpha', 'activations')}
                    for k in ('image', 'alpha'):
                        if r[k].shape != ours[k].shape or not np.array_equal(r[k], ours[k]):
                            problems.append(f'{d}: {k} differs from {k}.npy')
                    if not np.array_equal(r['activations'], np.abs(ours['activations'][1:].astype(np.float64))):
                        problems.append(f'{d}: activations differ from |activations.npy[1:]|')
                    checked += 1
            # the seed=None form reads every seed group, in h5py's key order
            if len(get_neuron_results(path, n)) != len(f[ng].keys()):
                problems.append(f'{ng}: get_neuron_results(seed=None) did not return every seed')
    print(json.dumps({'ok': not problems and checked > 0, 'problems': problems[:20], 'checked': checked}))


if __name__ == '__main__':
    if len(sys.argv) >= 3 and sys.argv[1] == 'write':
        write(sys.argv[2])
    elif len(sys.argv) == 4 and sys.argv[1] == 'check':
        check(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
