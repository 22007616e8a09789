"""Deterministic 'random' weights, reproduced bit for bit by test/helpers/det-weights.ts.

The model tests need large random-weight models (ResNet-50 has 25M parameters) compared against PyTorch; instead
of committing the weights, both sides generate them from this integer hash and only the PyTorch outputs are
committed. Parameter p (its index in the sorted list of state-dict keys) element i gets
u = (hash32(p, i) >> 8) / 2**24 - 0.5 in [-0.5, 0.5), scaled by the parameter's role (see value()).
"""
import math
import numpy as np

M = 0xFFFFFFFF


def hash32(p, i):
    i = np.asarray(i, dtype=np.uint64)
    h = (np.uint64(p) * np.uint64(0x9E3779B1) + i * np.uint64(0x85EBCA77) + np.uint64(0x165667B1)) & np.uint64(M)
    h ^= h >> np.uint64(15)
    h = (h * np.uint64(0x2C1B3C6D)) & np.uint64(M)
    h ^= h >> np.uint64(12)
    h = (h * np.uint64(0x297A2D39)) & np.uint64(M)
    h ^= h >> np.uint64(15)
    return h


def value(name, shape, p):
    n = int(np.prod(shape)) if len(shape) else 1
    u = (hash32(p, np.arange(n, dtype=np.uint64)) >> np.uint64(8)).astype(np.float64) / 2.0 ** 24 - 0.5
    if name.endswith('num_batches_tracked'):
        return np.zeros(shape, dtype=np.int64)
    if name.endswith('running_var'):
        v = 0.75 + 0.5 * (u + 0.5)
    elif name.endswith('running_mean') or name.endswith('bias') or 'grn' in name:
        v = 0.1 * u
    elif len(shape) == 1:  # norm weights
        v = 1.0 + 0.2 * u
    else:  # conv / linear weights: variance 2 / fan_in
        fan_in = n // shape[0]
        v = u * (math.sqrt(2.0 / fan_in) / math.sqrt(1.0 / 12.0))
    return v.astype(np.float32).reshape(shape)


def state_dict(shapes):
    """shapes: {name: shape}; returns {name: np.ndarray} with parameters numbered in sorted key order."""
    return {k: value(k, tuple(shapes[k]), p) for p, k in enumerate(sorted(shapes))}
