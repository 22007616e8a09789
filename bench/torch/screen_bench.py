#!/usr/bin/python3
"""PyTorch CPU version of the V1 screening pipeline (upstream sets.py transforms on PIL images + the V1 ensemble
of tools/golden/v1_twin.py) over a folder of PNGs: images/s including decoding. One JSON line."""
import glob, json, os, sys, time
import numpy as np
import torch
import torchvision.transforms as T
from PIL import Image
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'tools', 'golden'))
import v1_twin

import os
if os.environ.get('DUALNEURON_TORCH_DEVICE', 'cpu') != 'cpu':
    sys.exit('this baseline runs on the CPU only (unset DUALNEURON_TORCH_DEVICE)')
torch.set_num_threads(2)
args = json.loads(sys.argv[1])
up, folder = args['upstream'], args['images']
sds = [torch.load(os.path.join(up, 'V1GrayTaskDriven', f'v1_convnext_{k}.pth.tar'), map_location='cpu') for k in range(1, 6)]
mask = torch.tensor(np.load(os.path.join(up, 'V1GrayTaskDriven', 'mask.npy')), dtype=torch.float32)
mask = (mask - mask.min()) / (mask.max() - mask.min() + 1e-8)
tf = T.Compose([T.CenterCrop(167), T.Resize((93, 93)), T.Grayscale(), T.ToTensor(), T.Normalize([0.449], [0.226])])
paths = sorted(glob.glob(os.path.join(folder, '*.png')))
t0 = time.perf_counter()
with torch.no_grad():
    for s in range(0, len(paths), 32):
        x = torch.stack([tf(Image.open(p).convert('RGB')) for p in paths[s:s + 32]]) * mask
        x = x * (12 / (x.flatten(1).norm(dim=1).view(-1, 1, 1, 1) + 1e-8))
        torch.stack([v1_twin.member(sd, x, True) for sd in sds]).mean(0)
print(json.dumps({'images_per_s': len(paths) / (time.perf_counter() - t0)}))
