#!/usr/bin/python3
"""PyTorch CPU counterparts of bench/dreamsim.bench.ts: a ViT-B/16 (torchvision's vit_b_16, the same blocks and
FLOPs as DINO's ViT-B/16; class-token features of the encoder) at 224: embed images/s at batch 1 and 8, and
embed + backward to the input (images/s). Argument: JSON {"batches": [1, 8], "backward": [1, 8]}. Prints one JSON line."""
import json, sys, time
import torch
import torchvision

import os
if os.environ.get('DUALNEURON_TORCH_DEVICE', 'cpu') != 'cpu':
    sys.exit('this baseline runs on the CPU only (unset DUALNEURON_TORCH_DEVICE)')
torch.set_num_threads(2)
args = json.loads(sys.argv[1])
out = {'threads': torch.get_num_threads()}
vit = torchvision.models.vit_b_16().eval()
for p in vit.parameters():
    p.requires_grad_(False)


def embed(x):
    x = vit._process_input(x)
    x = torch.cat([vit.class_token.expand(x.shape[0], -1, -1), x], dim=1)
    return vit.encoder(x)[:, 0]


def rate(fn, n, min_s=3.0):
    fn()
    t0 = time.perf_counter(); k = 0
    while True:
        fn(); k += 1
        if time.perf_counter() - t0 >= min_s:
            return n * k / (time.perf_counter() - t0)


with torch.no_grad():
    for b in args.get('batches', [1, 8]):
        x = torch.rand(b, 3, 224, 224)
        out[f'fwd_b{b}'] = rate(lambda: embed(x), b)
for b in args.get('backward', [1]):
    x = torch.rand(b, 3, 224, 224).requires_grad_(True)
    def step():
        x.grad = None
        embed(x).sum().backward()
    out[f'fwdbwd_b{b}'] = rate(step, b)
print(json.dumps(out))
