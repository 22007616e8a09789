#!/usr/bin/python3
"""NumPy/SciPy reference for the Gabor controls and image metrics of `dualneuron analyze` (issue 15 items 2-3),
written from the definitions in the Allen notebook (../shared/reference/seeds/003_*.txt): create_gabor (with
scipy.ndimage.rotate and scipy.signal.windows.gaussian, as the notebook), scale, mean_gabor over given
orientations, create_circular_mask, luminance, masked_contrast, the |fftshift(fft2)|^2 power spectrum,
axial_average (bin pi/16), sym_index (n = 1, 2), plus the two definitions the notebook has not and our
spectrum.ts states: the radial average over floor(radius) rings, and the peak (non-zero) frequency and its
orientation in create_gabor's convention.

Run: /usr/bin/python3 tools/golden/gabor_metrics.py
Writes test/fixtures/analysis/: gabor_cases.json + gabors.npy (float32, as the notebook returns them), mean_gabor.npy, metric_images.npy (the inputs of the
metric cases, float32) and metrics.json (per image: masks as index lists, luminance, contrast, axial and radial
averages, symmetry indices, peak) + power.npy (the spectra).
"""
import json
import math
import os
import numpy as np
from numpy.fft import fft2, fftshift
from scipy import ndimage, signal

here = os.path.dirname(os.path.abspath(__file__))
out_dir = os.path.join(here, '..', '..', 'test', 'fixtures', 'analysis')
os.makedirs(out_dir, exist_ok=True)


def create_gabor(sz, phase, wavelength, orientation, sigma, dy, dx):
    height, width = sz  # the notebook reads globals height, width; its callers pass them as sz
    padding = max(height, width)
    imheight = height + 2 * padding
    imwidth = width + 2 * padding
    samples = phase + (360 / wavelength) * np.arange(imheight)
    samples = np.mod(samples, 360) * (np.pi / 180)
    gabor = np.tile(np.sin(samples), (imwidth, 1)).T
    gabor = ndimage.rotate(gabor, orientation, reshape=False)
    mask = np.outer(signal.windows.gaussian(imheight, std=sigma), signal.windows.gaussian(imwidth, std=sigma))
    gabor = gabor * mask
    if abs(dx) > 1 or abs(dy) > 1:
        raise ValueError('translations are fractions')
    dy = int(dy * height)
    dx = int(dx * width)
    gabor = gabor[padding - dy: -padding - dy, padding - dx: -padding - dx]
    assert gabor.shape == (height, width)
    return gabor  # float64 (the notebook casts to float32)


def scale(img, c=0, d=1):
    a, b = img.min(), img.max()
    return c + (img - a) * (d - c) / (b - a)


def create_circular_mask(h, w, center=None, radius=12):
    if center is None:
        center = (int(w / 2), int(h / 2))
    if radius is None:
        radius = min(center[0], center[1], w - center[0], h - center[1])
    Y, X = np.ogrid[:h, :w]
    return np.sqrt((X - center[0]) ** 2 + (Y - center[1]) ** 2) <= radius


def luminance(img, radius, center):
    h, w = img.shape[:2]
    m = create_circular_mask(h, w, radius=radius, center=center)
    masked = img.copy()
    masked[~m] = 0.0
    return masked, masked.sum() / (math.pi * radius ** 2)


def masked_contrast(image, mask):
    return np.std(image[mask])


BIN = 1 / 16 * np.pi


def axial_average(power, bin_size=BIN):
    height, width = power.shape
    center = (int(width / 2), int(height / 2))
    Y, X = np.indices((height, width))
    theta = np.arctan2((Y - center[1]), (X - center[0]))
    bins = np.floor(theta / bin_size).astype(int)
    bins += -bins.min()
    return np.bincount(bins.ravel(), weights=power.ravel()) / np.bincount(bins.ravel())


def sym_index(p_theta, n):
    angles = np.arange(len(p_theta)) * BIN
    return np.abs(np.sum(p_theta * np.exp(1j * 2 * n * angles))) / np.sum(p_theta)


def radial_average(power):
    h, w = power.shape
    Y, X = np.indices((h, w))
    r = np.floor(np.sqrt((X - int(w / 2)) ** 2 + (Y - int(h / 2)) ** 2)).astype(int)
    return np.bincount(r.ravel(), weights=power.ravel()) / np.bincount(r.ravel())


def peak(power):
    h, w = power.shape
    cy, cx = int(h / 2), int(w / 2)
    p = power.copy()
    p[cy, cx] = -1
    k = int(np.argmax(p))
    fy, fx = (k // w - cy) / h, (k % w - cx) / w
    return {'frequency': float(math.hypot(fy, fx)), 'orientation': float(np.degrees(np.arctan2(fx, fy)) % 180)}


# Gabor cases: the notebook's own call (60x96, phase 3644.93333333, wavelength pi, sigma 5) at its three
# orientations, the V1 twin's 93x93 at oblique angles, wavelengths, phases, sizes and shifts, and odd shapes
cases = [
    dict(sz=[60, 96], phase=3644.93333333, wavelength=math.pi, orientation=o, sigma=5, dy=0, dx=0) for o in (0.0, 45.0, 90.0)
] + [
    dict(sz=[93, 93], phase=0, wavelength=12, orientation=30.5, sigma=8, dy=0, dx=0),
    dict(sz=[93, 93], phase=90, wavelength=7.3, orientation=137, sigma=6.5, dy=0.1, dx=-0.2),
    dict(sz=[93, 93], phase=270, wavelength=20, orientation=-60, sigma=12, dy=-0.15, dx=0.05),
    dict(sz=[93, 93], phase=45, wavelength=4, orientation=180, sigma=4, dy=0.3, dx=0.3),
    dict(sz=[93, 93], phase=10, wavelength=3, orientation=270, sigma=10, dy=-0.05, dx=0.12),
    dict(sz=[41, 57], phase=123.4, wavelength=9.9, orientation=12.25, sigma=7, dy=0.2, dx=-0.4),
    dict(sz=[64, 33], phase=-30, wavelength=5.5, orientation=99, sigma=5.5, dy=-0.25, dx=0.5),
]
gabors = np.concatenate([create_gabor(**c).ravel() for c in cases])
np.save(os.path.join(out_dir, 'gabors.npy'), gabors.astype(np.float32))
# mean_gabor as the notebook: the mean of its Gabors at the given orientations, scaled to [0, 1]
mg = scale(np.stack([create_gabor((60, 96), 3644.93333333, np.pi, o, 5, 0, 0) for o in (90.0, 0.0, 45.0)]).mean(axis=0))
np.save(os.path.join(out_dir, 'mean_gabor.npy'), mg)
with open(os.path.join(out_dir, 'gabor_cases.json'), 'w') as f:
    json.dump({'cases': cases, 'mean_gabor_orientations': [90.0, 0.0, 45.0]}, f, indent=1)

# metric images: a notebook Gabor scaled to [0, 1], a 93x93 Gabor plus noise, smooth random images (60x96, 93x93)
rng = np.random.default_rng(15)
smooth = lambda h, w, s: ndimage.gaussian_filter(rng.normal(size=(h, w)), s)
imgs = [
    scale(create_gabor((60, 96), 3644.93333333, np.pi, 45.0, 5, 0, 0)),
    create_gabor((93, 93), 30, 9, 30.5, 8, 0, 0) + 0.05 * rng.normal(size=(93, 93)),
    0.5 + smooth(60, 96, 2),
    smooth(93, 93, 1.2),
]
imgs = [im.astype(np.float32).astype(np.float64) for im in imgs]  # stored as float32: both sides read the same values
metric_cases = [
    dict(radius=12, center=None), dict(radius=20, center=[46, 46]), dict(radius=12, center=[51, 30]), dict(radius=15.5, center=[40, 50]),
]
flat = np.concatenate([im.ravel() for im in imgs])
np.save(os.path.join(out_dir, 'metric_images.npy'), flat.astype(np.float32))
results, powers = [], []
for im, mc in zip(imgs, metric_cases):
    h, w = im.shape
    center = tuple(mc['center']) if mc['center'] is not None else None
    masked, lum = luminance(im, mc['radius'], center)
    m = create_circular_mask(h, w, center=center, radius=mc['radius'])
    m_none = create_circular_mask(h, w, center=center, radius=None)
    pw = np.abs(fftshift(fft2(im))) ** 2
    powers.append(pw.ravel())
    ax = axial_average(pw)
    results.append({
        'shape': [h, w], 'radius': mc['radius'], 'center': mc['center'],
        'mask': np.flatnonzero(m).tolist(), 'mask_largest': np.flatnonzero(m_none).tolist(),
        'luminance': float(lum), 'masked_sum': float(masked.sum()), 'contrast': float(masked_contrast(im, m)),
        'axial': ax.tolist(), 'radial': radial_average(pw).tolist(),
        'sym1': float(sym_index(ax, 1)), 'sym2': float(sym_index(ax, 2)), 'peak': peak(pw),
    })
np.save(os.path.join(out_dir, 'power.npy'), np.concatenate(powers))
with open(os.path.join(out_dir, 'metrics.json'), 'w') as f:
    json.dump(results, f)
print('wrote', out_dir, 'gabors', gabors.size, 'power', sum(p.size for p in powers))
