#!/usr/bin/python3
"""Reference for the MEI masks of `dualneuron analyze mask` (issue 15 item 3): upstream's estimate_mask and
get_mean_mask (enigma-brain/dualneuron synthesis/visualize.py), written here from their definitions with the
libraries upstream calls: gray = 0.299 R + 0.587 G + 0.114 B, z-score (population std, + 1e-8), |z| > threshold,
scipy.ndimage.binary_closing (2 iterations), the largest 8-connected component (skimage.morphology.label,
connectivity 2), skimage.morphology.convex_hull_image, scipy.ndimage.gaussian_filter (sigma 1); the mean mask:
per image min-max scaled masks averaged, values > 0.1 set to 1, then cv2.GaussianBlur of the uint8 (x 255,
truncated) mask with a 5 x 5 kernel, sigma 1, divided by 255.

Needs Debian's python3-numpy, python3-scipy, python3-skimage and python3-opencv.
Run: /usr/bin/python3 tools/golden/mei_masks.py
Writes test/fixtures/masks/: images_gray.npy, images_rgb.npy (N, C, H, W) float32 inputs (channels first, as ours),
cases.json (groups of image indices with their z thresholds), estimate.npy (per image at each threshold of
cases.json: float32 masks, concatenated), hull_bits.npy (the convex hulls, np.packbits of their concatenation), mean.npy (per group the mean mask, float32:
multiples of 1/255).

The images are float32 (as our .npy poles) and made gray in float64. Inputs are checked to sit away from the
decision edges (a |z| within 1e-7 of a threshold, a x255 value within 1e-5 of a whole number before the uint8
truncation, above 0.5), so the fixture tests the definition, not rounding.
"""
import json
import os
import numpy as np
import cv2
from scipy import ndimage
from skimage import morphology

here = os.path.dirname(os.path.abspath(__file__))
out_dir = os.path.join(here, '..', '..', 'test', 'fixtures', 'masks')
os.makedirs(out_dir, exist_ok=True)


def to_gray(hwc):
    hwc = hwc.astype(np.float64)
    if hwc.shape[-1] == 1:
        hwc = np.repeat(hwc, 3, axis=-1)
    return 0.299 * hwc[:, :, 0] + 0.587 * hwc[:, :, 1] + 0.114 * hwc[:, :, 2]


def hull_of(hwc, z):
    g = to_gray(hwc)
    zs = (g - g.mean()) / (g.std() + 1e-8)
    above = np.abs(zs) > z
    closed = ndimage.binary_closing(above, iterations=2)
    lab = morphology.label(closed, connectivity=2)
    counts = np.bincount(lab.ravel())
    keep = lab == (np.argmax(counts[1:]) + 1)
    return morphology.convex_hull_image(keep), zs


def estimate_mask(hwc, z=0.5):
    hull, _ = hull_of(hwc, z)
    return ndimage.gaussian_filter(hull.astype(np.float32), sigma=1)


def mean_mask(hwcs, z=1.0):
    ms = []
    for x in hwcs:
        m = estimate_mask(x, z)
        ms.append((m - m.min()) / (m.max() - m.min()))
    mean = np.stack(ms).mean(axis=0)
    mask = mean.copy()
    mask[mask > 0.1] = 1
    q = (mask * 255).astype(np.uint8)
    return cv2.GaussianBlur(q, (5, 5), sigmaX=1.0, sigmaY=1.0) / 255., mask * 255


def gabor_blob(rng, C, S, cy, cx, sigma, wavelength, theta, aspect=1.0, noise=0.05):
    y, x = np.mgrid[0:S, 0:S].astype(np.float64)
    u = (x - cx) * np.cos(theta) + (y - cy) * np.sin(theta)
    v = -(x - cx) * np.sin(theta) + (y - cy) * np.cos(theta)
    env = np.exp(-(u ** 2 + (v / aspect) ** 2) / (2 * sigma ** 2))
    img = env * np.sin(2 * np.pi * u / wavelength + rng.uniform(0, 2 * np.pi))
    img = img + noise * rng.standard_normal((S, S))
    out = np.stack([img * (0.6 + 0.4 * rng.uniform()) for _ in range(C)])
    return out.astype(np.float32)


def safe(images, groups):
    for x in images:
        hwc = np.moveaxis(x, 0, -1)
        g = to_gray(hwc.astype(np.float64))
        zs = np.abs((g - g.mean()) / (g.std() + 1e-8))
        for z in (0.5, 1.0) + tuple(t for _, t in groups):
            if np.min(np.abs(zs - z)) < 1e-7:
                return False
    for idx, z in groups:
        _, scaled = mean_mask([np.moveaxis(images[i], 0, -1) for i in idx], z)
        frac = scaled - np.floor(scaled)
        near = (np.minimum(frac, 1 - frac) < 1e-5) & (scaled > 0.5) & (scaled < 255)
        if near.any():
            return False
    return True


def make(seed):
    rng = np.random.default_rng(seed)
    images = []
    # V1-like gray MEIs (93 x 93): centred, off-centre, elongated, one touching the border, pure noise
    for cy, cx, s, wl, th, asp in [(46, 46, 7, 9, 0.3, 1.0), (40, 55, 6, 7, 1.2, 1.0), (50, 44, 5, 8, 2.0, 2.5), (46, 47, 8, 10, 0.7, 1.0), (6, 80, 6, 8, 0.1, 1.0)]:
        images.append(gabor_blob(rng, 1, 93, cy, cx, s, wl, th, asp))
    images.append((0.3 * rng.standard_normal((1, 93, 93))).astype(np.float32))
    # two blobs of different sizes: the larger component must win
    two = gabor_blob(rng, 1, 93, 30, 30, 8, 9, 0.5, noise=0.02) + gabor_blob(rng, 1, 93, 70, 70, 4, 6, 1.0, noise=0.02)
    images.append(two.astype(np.float32))
    # colour MEIs (3 x 64 x 64: smaller than V4's 100 x 100 to keep the fixture small)
    rgb = [gabor_blob(rng, 3, 64, cy, cx, s, wl, th) for cy, cx, s, wl, th in [(32, 32, 7, 10, 0.4), (28, 38, 6, 8, 2.2), (34, 30, 8, 11, 1.1)]]
    groups = [([0, 1, 2, 3], 1.0), ([0, 3], 0.5), ([4, 5, 6], 1.0)]
    rgb_groups = [([0, 1, 2], 1.0), ([1, 2], 1.5)]
    return images, rgb, groups, rgb_groups


for seed in range(100):
    gray, rgb, groups, rgb_groups = make(seed)
    if safe(gray, groups) and safe(rgb, rgb_groups):
        break
else:
    raise SystemExit('no input set away from the rounding edges')

cases = []
est, hulls, means = [], [], []
for name, imgs, grps in [('gray', gray, groups), ('rgb', rgb, rgb_groups)]:
    stack = np.stack(imgs)
    np.save(os.path.join(out_dir, f'images_{name}.npy'), stack)
    for i, x in enumerate(imgs):
        hwc = np.moveaxis(x, 0, -1)
        for z in sorted({*[t for _, t in grps]} | ({0.5, 1.0} if name == 'gray' else set())):
            h, _ = hull_of(hwc, z)
            cases.append({'set': name, 'image': i, 'z': z, 'offset': sum(a.size for a in est)})
            est.append(estimate_mask(hwc, z).astype(np.float32))
            hulls.append(h.astype(np.uint8).ravel())
    for idx, z in grps:
        m, _ = mean_mask([np.moveaxis(imgs[i], 0, -1) for i in idx], z)
        cases.append({'set': name, 'mean_of': idx, 'z': z, 'offset_mean': sum(a.size for a in means)})
        means.append(m.astype(np.float32))

np.save(os.path.join(out_dir, 'estimate.npy'), np.concatenate([a.ravel() for a in est]))
np.save(os.path.join(out_dir, 'hull_bits.npy'), np.packbits(np.concatenate(hulls)))
np.save(os.path.join(out_dir, 'mean.npy'), np.concatenate([a.ravel() for a in means]))
with open(os.path.join(out_dir, 'cases.json'), 'w') as f:
    json.dump({'seed': seed, 'cases': cases}, f, indent=1)
print(f'seed {seed}: {len(est)} estimate_mask cases, {len(means)} mean masks written to {os.path.normpath(out_dir)}')
