#!/usr/bin/python3
"""PyTorch/SciPy reference of the Allen notebook's MEI recipe (../shared/reference/seeds/003_*.txt: `grad`,
`fft_smooth`, `scale`, `generate_mei`), written from the notebook's definitions in float64, on a small
deterministic model (conv 5x5 -> ELU -> linear readout -> ELU + 1, the notebook's output non-linearity).
Both sides start from the same white-noise image (saved here), so test/dualneuron/synthesis-allen.test.ts can
compare our `synthesizeAllen` step by step.

Differences from the notebook, all in its own spirit: float64 throughout (the notebook runs float32); the
unregularised response is recorded beside the regularised one (the notebook's list `r` holds the regularised value
because `output -= ...` modifies the appended tensor in place); the final image's response and std are recorded
too (steps + 1 entries); a 'least' pole maximises -response.

Run: /usr/bin/python3 tools/golden/allen_mei_reference.py  -> test/fixtures/allen/*.npy
"""
import os
import numpy as np
import scipy.ndimage
import torch
import torch.nn.functional as F

here = os.path.dirname(os.path.abspath(__file__))
out = os.path.join(here, '..', '..', 'test', 'fixtures', 'allen')
os.makedirs(out, exist_ok=True)
torch.set_default_dtype(torch.float64)


def fft_smooth(grad, factor=1 / 4):
    # the notebook's fft_smooth, float64
    if factor == 0:
        return grad.numpy()
    h, w = grad.shape
    tw = torch.arange(0, w // 2 + 1).double()
    th = torch.arange(0, h).double()
    radius = torch.sqrt(th[:, None] ** 2 + tw[None, :] ** 2) + 1e-8
    t = 1 / radius ** factor
    Fl = t / t.mean()
    grad_fft = torch.fft.rfftn(grad, dim=(0, 1))
    filtered = grad_fft * Fl
    return torch.fft.irfftn(filtered, s=(h, w), dim=(0, 1)).numpy()


def scale(img, c=0, d=1):
    a, b = img.min(), img.max()
    return np.array(c + (img - a) * (d - c) / (b - a))


def make_model(g, H, W, N):
    cw = torch.randn(3, 1, 5, 5, generator=g) * 0.3
    cb = torch.randn(3, generator=g) * 0.1
    lw = torch.randn(N, 3 * H * W, generator=g) * (1.0 / np.sqrt(3 * H * W))
    lb = torch.randn(N, generator=g) * 0.1

    def model(x):  # (B, 1, H, W) -> (B, N)
        y = F.elu(F.conv2d(x, cw, cb, padding=2))
        return F.elu(F.linear(y.reshape(x.shape[0], -1), lw, lb)) + 1

    return model, dict(conv_w=cw, conv_b=cb, lin_w=lw, lin_b=lb)


def screening_map(mean, std, aperture, norm):
    # a twin's screening space (src/dualneuron/input/pipeline.ts): ImageNet normalisation, aperture, L2 norm
    def f(u):
        x = (u - mean) / std * aperture
        return x * (norm / (torch.norm(x.reshape(x.shape[0], -1), dim=1).view(-1, 1, 1, 1) + 1e-8))
    return f


def generate_mei(model, wn, steps, sigma, neuron, pole, alpha, c_star, param, factor, sigma_end, to_model=lambda u: u):
    H, W = wn.shape
    net = model
    model = lambda u: net(to_model(u))
    img = torch.tensor(wn)[None, None]
    images, resp, stds, objs = [wn.copy()], [], [], []
    for i in range(1, steps + 1):
        # grad(): the objective and its gradient w.r.t. the image
        x = img.view(1, 1, H, W).clone().requires_grad_(True)
        r = model(x)[0, neuron] * pole
        std = torch.std(x)
        resp.append(pole * r.item()); stds.append(std.item())
        output = r - param * torch.abs(torch.tensor(c_star) - std)
        objs.append(output.item())
        output.backward()
        gradients = x.grad.detach().squeeze()
        # generate_mei(): smooth, step, blur with the carried-over sigma, rescale
        u = img.squeeze().detach().numpy().copy()
        u += alpha * fft_smooth(gradients, factor)
        sigma = sigma + ((sigma_end - sigma) * i) / steps
        u = scipy.ndimage.gaussian_filter(u, sigma, order=0)
        u = scale(u, 0, 1)
        img = torch.tensor(u)[None, None]
        images.append(u.copy())
    with torch.no_grad():
        r = model(img)[0, neuron].item()
        std = torch.std(img).item()
    resp.append(r); stds.append(std); objs.append(pole * r - param * abs(c_star - std))
    with torch.no_grad():
        model_images = np.array([to_model(torch.tensor(u)[None, None])[0, 0].numpy() for u in images])
    return np.array(images), model_images, np.array(resp), np.array(stds), np.array(objs)


CASES = {
    # the notebook's constants: sigma 7 -> 0.001, alpha 0.1, lambda 2, its c*, factor 1/4; a kernel (radius 28)
    # wider than the 12x16 image exercises scipy's repeated reflection
    'notebook': dict(H=12, W=16, steps=10, sigma=7.0, sigma_end=0.001, neuron=1, pole=1, alpha=0.1,
                     c_star=0.2655758261680603, param=2.0, factor=0.25, seed=3),
    # odd sizes, a milder blur, a stronger penalty with c* above the image's std, the least pole
    'odd-least': dict(H=13, W=15, steps=10, sigma=1.5, sigma_end=0.001, neuron=2, pole=-1, alpha=0.5,
                      c_star=0.4, param=5.0, factor=0.5, seed=4),
    # the notebook's constants through a twin's screening map: (u - 0.449) / 0.226, an aperture (zero at the
    # border), L2 norm 5
    'screening-map': dict(H=12, W=12, steps=10, sigma=7.0, sigma_end=0.001, neuron=0, pole=1, alpha=0.1,
                          c_star=0.2655758261680603, param=2.0, factor=0.25, seed=5, screening=True),
}

for name, c in CASES.items():
    g = torch.Generator().manual_seed(c['seed'])
    model, weights = make_model(g, c['H'], c['W'], 4)
    wn = scale(np.random.default_rng(c['seed']).normal(0, 1, size=(c['H'], c['W'])), 0, 1)
    to_model = lambda u: u
    if c.get('screening'):
        yy, xx = np.mgrid[0:c['H'], 0:c['W']]
        ap = np.clip(1 - np.hypot(yy - (c['H'] - 1) / 2, xx - (c['W'] - 1) / 2) / (0.45 * c['H']), 0, 1)
        np.save(os.path.join(out, f'{name}_aperture.npy'), ap)
        to_model = screening_map(0.449, 0.226, torch.tensor(ap), 5.0)
    images, model_images, resp, stds, objs = generate_mei(model, wn, c['steps'], c['sigma'], c['neuron'], c['pole'],
                                                          c['alpha'], c['c_star'], c['param'], c['factor'],
                                                          c['sigma_end'], to_model)
    np.save(os.path.join(out, f'{name}_model_images.npy'), model_images)
    for k, v in weights.items():
        np.save(os.path.join(out, f'{name}_{k}.npy'), v.numpy())
    np.save(os.path.join(out, f'{name}_images.npy'), images)
    np.save(os.path.join(out, f'{name}_responses.npy'), resp)
    np.save(os.path.join(out, f'{name}_stds.npy'), stds)
    np.save(os.path.join(out, f'{name}_objective.npy'), objs)
    print(name, 'responses', resp[[0, 1, -1]], 'stds', stds[[0, 1, -1]])
