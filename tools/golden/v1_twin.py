#!/usr/bin/python3
"""PyTorch reference for the real V1 twin (V1GrayTaskDriven), written from the upstream architecture with torch's
own conv2d / layer_norm / gelu / grid_sample / batch_norm, evaluated with the real upstream checkpoints.

Run: /usr/bin/python3 tools/golden/v1_twin.py [upstream dir, default ../shared/upstream/dualneuron]
Writes test/fixtures/twins/v1_*.npy: inputs (4,1,93,93), member outputs centered and not (5,4,458) each,
ensemble outputs (centered, not), and ensemble input gradients of neurons 0 and 42 (2,4,1,93,93).
The weights themselves are not written (they stay in ../shared).
"""
import os, sys
import numpy as np
import torch
import torch.nn.functional as F

torch.set_grad_enabled(False)
here = os.path.dirname(os.path.abspath(__file__))
up = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, '..', '..', '..', 'shared', 'upstream', 'dualneuron')
out_dir = os.path.join(here, '..', '..', 'test', 'fixtures', 'twins')
P = 'core.features.backbone.model.'


def ln_last(x, w, b, eps=1e-6):
    return F.layer_norm(x, (x.shape[-1],), w, b, eps)


def ln_cf(x, w, b, eps=1e-6):
    return ln_last(x.permute(0, 2, 3, 1), w, b, eps).permute(0, 3, 1, 2)


def block(h, sd, pre):
    r = h
    C = h.shape[1]
    h = F.conv2d(h, sd[pre + 'dwconv.weight'], sd[pre + 'dwconv.bias'], padding=3, groups=C)
    h = h.permute(0, 2, 3, 1)
    h = ln_last(h, sd[pre + 'layernorm.weight'], sd[pre + 'layernorm.bias'])
    h = F.gelu(F.linear(h, sd[pre + 'pwconv1.weight'], sd[pre + 'pwconv1.bias']))
    g = torch.linalg.vector_norm(h, 2, dim=(1, 2), keepdim=True)
    n = g / (g.mean(dim=-1, keepdim=True) + 1e-6)
    h = sd[pre + 'grn.weight'] * (h * n) + sd[pre + 'grn.bias'] + h
    h = F.linear(h, sd[pre + 'pwconv2.weight'], sd[pre + 'pwconv2.bias']).permute(0, 3, 1, 2)
    return r + h


def member(sd, x, centered):
    h = x.repeat(1, 3, 1, 1)
    h = F.conv2d(h, sd[P + 'embeddings.patch_embeddings.weight'], sd[P + 'embeddings.patch_embeddings.bias'], stride=4)
    h = ln_cf(h, sd[P + 'embeddings.layernorm.weight'], sd[P + 'embeddings.layernorm.bias'])
    for i in range(2):
        h = block(h, sd, f'{P}encoder.stages.0.layers.{i}.')
    d = f'{P}encoder.stages.1.downsampling_layer.'
    h = ln_cf(h, sd[d + '0.weight'], sd[d + '0.bias'])
    h = F.conv2d(h, sd[d + '1.weight'], sd[d + '1.bias'], stride=2)
    bn = 'core.features.OutBatchNorm.'
    h = F.batch_norm(h, sd[bn + 'running_mean'], sd[bn + 'running_var'], sd[bn + 'weight'], sd[bn + 'bias'], False, 0.1, 1e-5)
    h = F.gelu(h)
    ro = 'readout.all_sessions.'
    mu = torch.zeros_like(sd[ro + '_mu']) if centered else sd[ro + '_mu'].clamp(-1, 1)
    B, N = x.shape[0], mu.shape[1]
    v = F.grid_sample(h, mu.expand(B, N, 1, 2), mode='bilinear', padding_mode='zeros', align_corners=True)[..., 0]  # (B, C, N)
    y = (v * sd[ro + '_features'][0, :, 0, :]).sum(1) + sd[ro + 'bias']
    return F.elu(y - 1) + 1


def inputs():
    g = torch.Generator().manual_seed(0)
    yy, xx = torch.meshgrid(torch.arange(93.0), torch.arange(93.0), indexing='ij')
    grating = torch.sin(2 * np.pi * (xx * np.cos(0.6) + yy * np.sin(0.6)) / 9.0)
    noise = torch.randn(93, 93, generator=g)
    blob = torch.exp(-((xx - 40) ** 2 + (yy - 50) ** 2) / (2 * 8.0 ** 2)) * torch.cos(xx / 3.0)
    xs = torch.stack([torch.zeros(93, 93), grating, noise, blob])[:, None].double()
    norms = xs.flatten(1).norm(dim=1).clamp_min(1e-8)
    scale = torch.tensor([1.0, 12.0, 12.0, 30.0]) / norms  # zeros stay zeros; the last one is off the usual norm
    return (xs * scale.double()[:, None, None, None]).float()


def main():
    from io import BytesIO
    sds = [torch.load(os.path.join(up, 'V1GrayTaskDriven', f'v1_convnext_{k}.pth.tar'), map_location='cpu') for k in range(1, 6)]
    sds = [{k: v.double() if v.is_floating_point() else v for k, v in sd.items()} for sd in sds]
    x = inputs()
    xd = x.double()
    res = {'inputs': x.numpy()}
    for centered in (True, False):
        outs = torch.stack([member(sd, xd, centered) for sd in sds])
        tag = 'centered' if centered else 'learned'
        res[f'members_{tag}'] = outs.float().numpy()
        res[f'ensemble_{tag}'] = outs.mean(0).float().numpy()
    grads = []
    with torch.enable_grad():
        for n in (0, 42):
            xg = xd.clone().requires_grad_(True)
            y = torch.stack([member(sd, xg, True) for sd in sds]).mean(0)
            y[:, n].sum().backward()
            grads.append(xg.grad.float())
    res['grads_centered_n0_n42'] = torch.stack(grads).numpy()
    os.makedirs(out_dir, exist_ok=True)
    for k, v in res.items():
        np.save(os.path.join(out_dir, f'v1_{k}.npy'), np.ascontiguousarray(v.astype(np.float32)))
    print('member 1 centered, zeros, first 5:', res['members_centered'][0, 0, :5])


if __name__ == '__main__':
    main()
