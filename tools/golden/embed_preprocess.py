#!/usr/bin/python3
"""Fixtures for src/dualneuron/dream/preprocess.ts: upstream dualneuron's embedding preprocessing (dream/sim.py with
screening/sets.py's RenderedImages / ImagenetImages transforms: [EnsureRGB, Resize(256)], CenterCrop(236),
Resize((224, 224)), [Grayscale], ToTensor, MaskTransform (cv2.resize INTER_LINEAR of the area's mask), NormTransform(80),
ClipTransform(0, 1), gray repeated to 3 channels), run with torchvision, PIL and OpenCV (Debian python3-opencv).
Stored: rows 100-107 of each result, per-channel sums and sums of squares, every 16th row of the resized masks.

Run: /usr/bin/python3 tools/golden/embed_preprocess.py   -> test/fixtures/embed/*.npy
"""
import os
import numpy as np
import cv2
import torch
from PIL import Image
from torchvision import transforms

here = os.path.dirname(os.path.abspath(__file__))
repo = os.path.join(here, '..', '..')
up = os.environ.get('DUALNEURON_UPSTREAM', os.path.join(repo, '..', 'shared', 'upstream', 'dualneuron'))
out = os.path.join(repo, 'test', 'fixtures', 'embed')
os.makedirs(out, exist_ok=True)


def mask_transform(t, mask, bg=0.0):  # sets.py MaskTransform
    h, w = t.shape[1], t.shape[2]
    m = cv2.resize(mask, (w, h), interpolation=cv2.INTER_LINEAR) if mask.shape != (h, w) else mask
    m = m.astype(np.float32)
    m = (m - m.min()) / (m.max() - m.min() + 1e-8)
    m = torch.from_numpy(m)
    return t * m + bg * (1 - m) if t.shape[0] == 1 else t * m.unsqueeze(0) + bg * (1 - m.unsqueeze(0)), m


def pipeline(path, mask, gray, imagenet):
    tl = []
    if imagenet:
        tl += [transforms.Lambda(lambda im: im.convert('RGB') if im.mode != 'RGB' else im), transforms.Resize(256)]
    tl += [transforms.CenterCrop(236), transforms.Resize((224, 224))]
    if gray:
        tl.append(transforms.Grayscale())
    tl.append(transforms.ToTensor())
    t = transforms.Compose(tl)(Image.open(path))
    t, m = mask_transform(t, mask)
    t = t * 80.0 / (torch.norm(t.view(-1)) + 1e-8)
    t = torch.clamp(t, 0.0, 1.0)
    if t.shape[0] == 1:
        t = t.repeat(3, 1, 1)
    return t.numpy(), m.numpy()


masks = {a: np.load(os.path.join(up, d, 'mask.npy')) for a, d in [('v1', 'V1GrayTaskDriven'), ('v4', 'V4ColorTaskDriven')]}
imgs = os.path.join(repo, 'test', 'fixtures', 'images', 'inputs')
cases = [('rgb_v1', 'jpg_rgb420_300x200.jpg', 'v1', False, False), ('gray_v4', 'jpg_rgb420_300x200.jpg', 'v4', True, False),
         ('imagenet_v4', 'jpg_rgb420p_151x87.jpg', 'v4', False, True), ('graypng_v4', 'gray4_150x90.png', 'v4', False, False)]
for name, f, area, gray, imagenet in cases:
    x, m = pipeline(os.path.join(imgs, f), masks[area], gray, imagenet)
    np.save(os.path.join(out, f'{name}_rows.npy'), x[:, 100:108].astype(np.float32))
    x64 = x.astype(np.float64)
    np.save(os.path.join(out, f'{name}_sums.npy'), np.stack([x64.sum((1, 2)), (x64 ** 2).sum((1, 2))]))
    np.save(os.path.join(out, f'mask_{area}_rows.npy'), m[::16].astype(np.float32))
print('wrote', out)
