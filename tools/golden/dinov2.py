#!/usr/bin/python3
"""PyTorch fixtures for DreamSim's dinov2_vitb14 embedder (src/models/vit.ts with layerScale, src/models/dreamsim.ts).

Reference written here from the definitions of facebookresearch/dinov2's VisionTransformer as torch.hub's
`dinov2_vitb14` builds it (and as DreamSim loads it):
  - patch embedding: Conv2d(3, D, 14, stride 14), flattened row-major;
  - class token, then position embeddings: the (M x M) patch table resized bicubically (align_corners False,
    antialias False) with scale factors ((h + 0.1) / M, (w + 0.1) / M) (interpolate_offset 0.1), unless the grid has
    M*M patches and the image is square;
  - blocks: x + ls1(attn(norm1(x))), then x + ls2(mlp(norm2(x))), ls = x * gamma (LayerScale); fused qkv attention
    (softmax((q k^T) / sqrt(hd))), MLP fc1 -> exact GELU -> fc2, LayerNorm eps 1e-6;
  - DreamSim's feature for dinov2_vitb14 ('cls'): the class token of the last block's output (a forward hook on
    blocks[-1]), before the final norm; preprocessing Normalize(ImageNet mean, std) on images in [0, 1];
    normalize_embeds: subtract the mean over the dimensions, divide by the L2 norm.
Tiny width/depth, a 4 x 4 position table (so every case interpolates: 3 x 5 grid from a 42 x 70 image, 6 x 6 from 84 x 84),
deterministic weights (det_weights.py, numbered in the sorted order of DINOv2's own state-dict keys, mask_token left
out: it plays no part in inference), float64. Only outputs are committed.

Run: /usr/bin/python3 tools/golden/dinov2.py   -> test/fixtures/vit/dinov2/*
"""
import os, sys
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from det_weights import state_dict, value  # noqa: E402

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'test', 'fixtures', 'vit', 'dinov2')
os.makedirs(root, exist_ok=True)

# keep in step with TINY_DINOV2 in test/models/dinov2.test.ts
C = dict(patch=14, width=48, depth=2, heads=4, ratio=4, grid=4, eps=1e-6)
IMAGENET = ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))


def save(name, t):
    a = t.detach().numpy() if isinstance(t, torch.Tensor) else np.asarray(t)
    np.save(os.path.join(root, name + '.npy'), np.ascontiguousarray(a.astype(np.float32)))


class LayerScale(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.gamma = nn.Parameter(torch.ones(d))

    def forward(self, x):
        return x * self.gamma


class Attention(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.lora = None  # PEFT LoRA (A, B, alpha / r), run unmerged: qkv(x) + s * B(A(x))

    def forward(self, x):
        B, N, D = x.shape
        hd = D // self.heads
        qkv = self.qkv(x)
        if self.lora is not None:
            A, Bm, sc = self.lora
            qkv = qkv + sc * F.linear(F.linear(x, A), Bm)
        q, k, v = qkv.reshape(B, N, 3, self.heads, hd).permute(2, 0, 3, 1, 4)
        a = torch.softmax((q @ k.transpose(-1, -2)) / hd ** 0.5, dim=-1)
        return self.proj((a @ v).transpose(1, 2).reshape(B, N, D))


class Mlp(nn.Module):
    def __init__(self, d, hidden):
        super().__init__()
        self.fc1 = nn.Linear(d, hidden)
        self.fc2 = nn.Linear(hidden, d)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x)))


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        d = c['width']
        self.norm1 = nn.LayerNorm(d, eps=c['eps'])
        self.attn = Attention(d, c['heads'])
        self.ls1 = LayerScale(d)
        self.norm2 = nn.LayerNorm(d, eps=c['eps'])
        self.mlp = Mlp(d, d * c['ratio'])
        self.ls2 = LayerScale(d)

    def forward(self, x):
        x = x + self.ls1(self.attn(self.norm1(x)))
        return x + self.ls2(self.mlp(self.norm2(x)))


class PatchEmbed(nn.Module):
    def __init__(self, p, d):
        super().__init__()
        self.proj = nn.Conv2d(3, d, kernel_size=p, stride=p)

    def forward(self, x):
        return self.proj(x).flatten(2).transpose(1, 2)


class Dinov2(nn.Module):
    def __init__(self, c):
        super().__init__()
        d = c['width']
        self.c = c
        self.cls_token = nn.Parameter(torch.zeros(1, 1, d))
        self.pos_embed = nn.Parameter(torch.zeros(1, c['grid'] ** 2 + 1, d))
        self.patch_embed = PatchEmbed(c['patch'], d)
        self.blocks = nn.ModuleList([Block(c) for _ in range(c['depth'])])
        self.norm = nn.LayerNorm(d, eps=c['eps'])

    def pos(self, h, w, square):
        N = self.pos_embed.shape[1] - 1
        if h * w == N and square:
            return self.pos_embed
        M = self.c['grid']
        d = self.pos_embed.shape[-1]
        grid = self.pos_embed[:, 1:].reshape(1, M, M, d).permute(0, 3, 1, 2)
        r = F.interpolate(grid, scale_factor=((h + 0.1) / M, (w + 0.1) / M), mode='bicubic', align_corners=False, antialias=False)
        assert r.shape[-2:] == (h, w)
        return torch.cat((self.pos_embed[:, :1], r.permute(0, 2, 3, 1).reshape(1, h * w, d)), dim=1)

    def forward(self, x):
        B, _, H, W = x.shape
        p = self.c['patch']
        assert H % p == 0 and W % p == 0
        t = torch.cat((self.cls_token.expand(B, -1, -1), self.patch_embed(x)), dim=1)
        t = t + self.pos(H // p, W // p, H == W)
        for b in self.blocks:
            t = b(t)
        return t[:, 0]


# keep in step with MICRO_DINOV2 in test/models/dinov2.test.ts
MICRO = dict(patch=14, width=16, depth=2, heads=2, ratio=4, grid=3, eps=1e-6)


def tbytes(obj):
    import io
    b = io.BytesIO()
    torch.save(obj, b)
    return b.getvalue()


def dreamsim_embed(m, x):
    mean = torch.tensor(IMAGENET[0], dtype=torch.float64)[:, None, None]
    std = torch.tensor(IMAGENET[1], dtype=torch.float64)[:, None, None]
    e = m((x - mean) / std)
    e = e - e.mean(dim=1, keepdim=True)
    return e / e.norm(dim=1, keepdim=True)


def release_zip():
    """DreamSim's dreamsim_dinov2_vitb14_checkpoint.zip in miniature: dinov2_vitb14_pretrain.pth (DINOv2's plain state
    dict, f32, with its mask_token) and dinov2_vitb14_single_lora/ (PEFT adapter on every qkv of extractor_list.0), and
    the DreamSim embedding of 2 images (28 x 42: a 2 x 3 grid from the 3 x 3 table) with the LoRA run unmerged."""
    import json, zipfile
    m = Dinov2(MICRO)
    shapes = {k: tuple(v.shape) for k, v in m.state_dict().items()}
    m.load_state_dict({k: torch.from_numpy(v) for k, v in state_dict(shapes).items()})
    sd = {k: v.detach().float().clone() for k, v in m.state_dict().items()}
    sd['mask_token'] = torch.from_numpy(value('mask_token', (1, MICRO['width']), 5000)).float()
    m = m.double().eval()
    r, alpha = 2, 3
    adapter = {}
    for i, b in enumerate(m.blocks):
        D = MICRO['width']
        A = torch.from_numpy(value('lora_A', (r, D), 7100 + i)).double()
        Bm = torch.from_numpy(value('lora_B', (3 * D, r), 8100 + i)).double()
        b.attn.lora = (A, Bm, alpha / r)
        key = f'base_model.model.extractor_list.0.model.blocks.{i}.attn.qkv'
        adapter[key + '.lora_A.weight'] = A.float()
        adapter[key + '.lora_B.weight'] = Bm.float()
    cfg = json.dumps({'bias': 'none', 'fan_in_fan_out': False, 'lora_alpha': alpha, 'lora_dropout': 0.3, 'peft_type': 'LORA', 'r': r, 'target_modules': ['qkv']})
    with zipfile.ZipFile(os.path.join(root, 'dreamsim_dinov2_vitb14_checkpoint.zip'), 'w', zipfile.ZIP_DEFLATED) as z:
        z.writestr('dinov2_vitb14_pretrain.pth', tbytes(sd))
        z.writestr('dinov2_vitb14_single_lora/adapter_config.json', cfg)
        z.writestr('dinov2_vitb14_single_lora/adapter_model.bin', tbytes(adapter))
    x = torch.from_numpy(value('input', (2, 3, 28, 42), 1000002)).double() + 0.5
    with torch.no_grad():
        save('import_embed', dreamsim_embed(m, x))


def main():
    release_zip()
    m = Dinov2(C)
    shapes = {k: tuple(v.shape) for k, v in m.state_dict().items()}
    m.load_state_dict({k: torch.from_numpy(v) for k, v in state_dict(shapes).items()})
    m = m.double().eval()
    for name, (B, H, W) in {'tiny_42x70': (1, 42, 70), 'tiny_84': (2, 84, 84)}.items():
        x = (torch.from_numpy(value('input', (B, 3, H, W), 1000000)).double() * 4).requires_grad_()
        r = torch.from_numpy(value('loss_weights', (B, C['width']), 999999)).double()
        y = m(x)
        (y * r).sum().backward()
        save(f'{name}_out', y)
        save(f'{name}_grad', x.grad)
    # DreamSim's dinov2_vitb14 embedding of images in [0, 1] and the gradient of sum(embed * r) to them
    x = (torch.from_numpy(value('input', (2, 3, 42, 70), 1000001)).double() + 0.5).requires_grad_()
    e = dreamsim_embed(m, x)
    r = torch.from_numpy(value('loss_weights', (2, C['width']), 999998)).double()
    (e * r).sum().backward()
    save('dreamsim_embed', e)
    save('dreamsim_grad', x.grad)
    save('dreamsim_distance', 1 - F.cosine_similarity(e[:1], e[1:], dim=-1))
    print('wrote', root, sorted(shapes))


if __name__ == '__main__':
    main()
