#!/usr/bin/python3
"""PyTorch fixtures for src/models/vit.ts and the DreamSim importers (src/models/dreamsim-weights.ts).

Reference models, written here from the upstream code's behaviour with torch's own ops:
  - DinoViT: facebookresearch/dino vision_transformer.VisionTransformer (timm keys; attention as (q @ k^T) * scale,
    softmax; GELU; LayerNorm eps 1e-6; interpolate_pos_encoding with the +0.1 scale factors, bicubic).
  - ClipVisual: openai/CLIP model.VisionTransformer (conv1 without bias, class_embedding, positional_embedding, ln_pre,
    nn.MultiheadAttention with in_proj_weight, QuickGELU, ln_post, proj), with DreamSim's position interpolation for
    other sizes (it runs CLIP through DINO's VisionTransformer). OpenCLIP's ViT-B-16 is the same tower with nn.GELU,
    under `visual.`.
  - LoRA (PEFT): qkv(x) + (alpha / r) * B(A(x)), run unmerged.
torchvision's vit_b_16 EncoderBlock checks the attention block of the DINO reference (printed, asserted).

Weights are deterministic (det_weights.py, shared with test/helpers/det-weights.ts), numbered in the sorted key order
of each layout's own state dict, so only outputs are committed. References run in float64.

Run: /usr/bin/python3 tools/golden/vit.py [--big]   -> test/fixtures/vit/*  (--big also writes the ViT-B/16 fixtures)
"""
import collections, json, math, os, struct, sys
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from det_weights import state_dict, value  # noqa: E402

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'test', 'fixtures', 'vit')
os.makedirs(root, exist_ok=True)


def save(name, t):
    a = t.detach().numpy() if isinstance(t, torch.Tensor) else np.asarray(t)
    np.save(os.path.join(root, name + '.npy'), np.ascontiguousarray(a.astype(np.float32)))


def det_input(shape, p=1000000, scale=4.0):
    return torch.from_numpy(value('input', shape, p) * scale).double()


def dino_interpolate(pos, h, w, square):
    """DINO's interpolate_pos_encoding on a (1, N+1, D) table for an h x w patch grid."""
    N = pos.shape[1] - 1
    if h * w == N and square:
        return pos
    g = int(math.sqrt(N))
    D = pos.shape[-1]
    grid = pos[:, 1:].reshape(1, g, g, D).permute(0, 3, 1, 2)
    r = F.interpolate(grid, scale_factor=((h + 0.1) / g, (w + 0.1) / g), mode='bicubic')
    assert r.shape[-2] == h and r.shape[-1] == w
    return torch.cat((pos[:, :1], r.permute(0, 2, 3, 1).reshape(1, h * w, D)), dim=1)


class QuickGELU(nn.Module):
    def forward(self, x):
        return x * torch.sigmoid(1.702 * x)


# ---------------------------------------------------------------- DINO
class DinoAttention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.scale = (dim // heads) ** -0.5
        self.qkv = nn.Linear(dim, dim * 3)
        self.proj = nn.Linear(dim, dim)
        self.lora = None  # (A, B, scaling) applied unmerged

    def forward(self, x):
        B, N, C = x.shape
        qkv = self.qkv(x)
        if self.lora is not None:
            A, Bm, s = self.lora
            qkv = qkv + s * F.linear(F.linear(x, A), Bm)
        qkv = qkv.reshape(B, N, 3, self.heads, C // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        attn = ((q @ k.transpose(-2, -1)) * self.scale).softmax(dim=-1)
        return self.proj((attn @ v).transpose(1, 2).reshape(B, N, C))


class DinoMlp(nn.Module):
    def __init__(self, dim, hidden, act):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.act = act
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class DinoBlock(nn.Module):
    def __init__(self, dim, heads, ratio, eps, act):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=eps)
        self.attn = DinoAttention(dim, heads)
        self.norm2 = nn.LayerNorm(dim, eps=eps)
        self.mlp = DinoMlp(dim, int(dim * ratio), act)

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class PatchEmbed(nn.Module):
    def __init__(self, p, dim):
        super().__init__()
        self.proj = nn.Conv2d(3, dim, kernel_size=p, stride=p)

    def forward(self, x):
        return self.proj(x).flatten(2).transpose(1, 2)


class DinoViT(nn.Module):
    """DINO layout; with ln_pre/proj it is DreamSim's CLIP-as-DINO (pos_drop = LayerNorm, proj beside)."""

    def __init__(self, c):
        super().__init__()
        D = c['width']
        act = nn.GELU() if c['act'] == 'gelu' else QuickGELU()
        self.c = c
        self.patch_embed = PatchEmbed(c['patch'], D)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, D))
        self.pos_embed = nn.Parameter(torch.zeros(1, c['grid'] ** 2 + 1, D))
        if c.get('ln_pre'):
            self.pos_drop = nn.LayerNorm(D, eps=c['eps'])
        self.blocks = nn.ModuleList([DinoBlock(D, c['heads'], c['ratio'], c['eps'], act) for _ in range(c['depth'])])
        self.norm = nn.LayerNorm(D, eps=c['eps'])
        if c.get('proj'):
            self.proj = nn.Parameter(torch.zeros(D, c['proj']))

    def forward(self, x):
        B, _, H, W = x.shape
        p = self.c['patch']
        t = self.patch_embed(x)
        t = torch.cat((self.cls_token.expand(B, -1, -1), t), dim=1)
        t = t + dino_interpolate(self.pos_embed, H // p, W // p, H == W)
        if self.c.get('ln_pre'):
            t = self.pos_drop(t)
        for b in self.blocks:
            t = b(t)
        if self.c.get('proj'):
            return self.norm(t[:, 0]) @ self.proj
        return t[:, 0]  # DreamSim: block 11's output (hook), before the final norm


# ---------------------------------------------------------------- OpenAI CLIP / OpenCLIP visual tower
class ResBlock(nn.Module):
    def __init__(self, dim, heads, act):
        super().__init__()
        self.attn = nn.MultiheadAttention(dim, heads)
        self.ln_1 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(collections.OrderedDict([('c_fc', nn.Linear(dim, dim * 4)), ('gelu', act), ('c_proj', nn.Linear(dim * 4, dim))]))
        self.ln_2 = nn.LayerNorm(dim)

    def forward(self, x):  # (L, N, D)
        h = self.ln_1(x)
        x = x + self.attn(h, h, h, need_weights=False)[0]
        return x + self.mlp(self.ln_2(x))


class Transformer(nn.Module):
    def __init__(self, dim, layers, heads, act):
        super().__init__()
        self.resblocks = nn.Sequential(*[ResBlock(dim, heads, act) for _ in range(layers)])

    def forward(self, x):
        return self.resblocks(x)


class ClipVisual(nn.Module):
    def __init__(self, c):
        super().__init__()
        D, p = c['width'], c['patch']
        act = nn.GELU() if c['act'] == 'gelu' else QuickGELU()
        self.c = c
        self.conv1 = nn.Conv2d(3, D, kernel_size=p, stride=p, bias=False)
        self.class_embedding = nn.Parameter(torch.zeros(D))
        self.positional_embedding = nn.Parameter(torch.zeros(c['grid'] ** 2 + 1, D))
        self.ln_pre = nn.LayerNorm(D)
        self.transformer = Transformer(D, c['depth'], c['heads'], act)
        self.ln_post = nn.LayerNorm(D)
        self.proj = nn.Parameter(torch.zeros(D, c['proj']))

    def forward(self, x):
        B, _, H, W = x.shape
        p = self.c['patch']
        t = self.conv1(x)
        t = t.reshape(B, t.shape[1], -1).permute(0, 2, 1)
        t = torch.cat([self.class_embedding + torch.zeros(B, 1, t.shape[-1], dtype=t.dtype), t], dim=1)
        t = t + dino_interpolate(self.positional_embedding[None], H // p, W // p, H == W)
        t = self.ln_pre(t)
        t = self.transformer(t.permute(1, 0, 2)).permute(1, 0, 2)
        return self.ln_post(t[:, 0, :]) @ self.proj


class OpenClip(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.visual = ClipVisual(c)

    def forward(self, x):
        return self.visual(x)


def build(layout, c):
    if layout == 'dino':
        return DinoViT(c)
    if layout == 'clip':
        return ClipVisual(c)
    return OpenClip(c)


def load_det(m, offset=0):
    shapes = {k: tuple(v.shape) for k, v in m.state_dict().items()}
    sd = state_dict(shapes)
    m.load_state_dict({k: torch.from_numpy(v) for k, v in sd.items()})
    return m.double().eval()


def out_weights(dim, n):
    return torch.from_numpy(value('loss_weights', (n, dim), 999999)).double()


def grad_stats(g):
    g = g.reshape(g.shape[0], -1)
    return torch.stack([g.sum(1), (g * g).sum(1), g.abs().sum(1)], 1)


def case(m, layout, name, B, H, W, full_grad=False):
    x = det_input((B, 3, H, W)).requires_grad_(True)
    y = m(x)
    r = out_weights(y.shape[1], B)
    (y * r).sum().backward()
    save(f'{name}_out', y)
    g = x.grad
    if full_grad:
        save(f'{name}_grad', g)
    else:
        save(f'{name}_gradwin', g[:, :, 16:48, 32:64])
        np.save(os.path.join(root, f'{name}_gradstats.npy'), grad_stats(g).detach().numpy())
    return y


CONFIGS = {
    'dino': dict(width=48, depth=2, heads=4, ratio=4, patch=16, grid=14, act='gelu', eps=1e-6),
    'clip': dict(width=48, depth=2, heads=4, ratio=4, patch=16, grid=14, act='quick_gelu', eps=1e-5, proj=24),
    'open_clip': dict(width=48, depth=2, heads=4, ratio=4, patch=16, grid=14, act='gelu', eps=1e-5, proj=24),
}
BIG = {
    'dino': dict(width=768, depth=12, heads=12, ratio=4, patch=16, grid=14, act='gelu', eps=1e-6),
    'clip': dict(width=768, depth=12, heads=12, ratio=4, patch=16, grid=14, act='quick_gelu', eps=1e-5, proj=512),
    'open_clip': dict(width=768, depth=12, heads=12, ratio=4, patch=16, grid=14, act='gelu', eps=1e-5, proj=512),
}


def check_torchvision_block():
    """The DINO attention block against torchvision's vit_b_16 EncoderBlock with the same weights (eps 1e-6)."""
    D, heads = 48, 4
    ours = DinoBlock(D, heads, 4, 1e-6, nn.GELU()).double().eval()
    load_det(ours)
    tv = torchvision.models.vision_transformer.EncoderBlock(heads, D, 4 * D, 0.0, 0.0).double().eval()
    sd = ours.state_dict()
    tv.load_state_dict({
        'ln_1.weight': sd['norm1.weight'], 'ln_1.bias': sd['norm1.bias'], 'ln_2.weight': sd['norm2.weight'], 'ln_2.bias': sd['norm2.bias'],
        'self_attention.in_proj_weight': sd['attn.qkv.weight'], 'self_attention.in_proj_bias': sd['attn.qkv.bias'],
        'self_attention.out_proj.weight': sd['attn.proj.weight'], 'self_attention.out_proj.bias': sd['attn.proj.bias'],
        'mlp.0.weight': sd['mlp.fc1.weight'], 'mlp.0.bias': sd['mlp.fc1.bias'], 'mlp.3.weight': sd['mlp.fc2.weight'], 'mlp.3.bias': sd['mlp.fc2.bias'],
    })
    tv.ln_1.eps = tv.ln_2.eps = 1e-6
    x = det_input((2, 17, D))
    with torch.no_grad():
        d = (ours(x) - tv(x)).abs().max().item()
    print(f'torchvision EncoderBlock vs DINO block reference: max |diff| {d:.2e}')
    assert d < 1e-10


# ---------------------------------------------------------------- small files in each upstream format
def write_safetensors(path, tensors, metadata=None):
    """The safetensors format by hand (the package is not installed): u64 header length, JSON header, raw bytes."""
    header, blobs, off = {}, [], 0
    if metadata:
        header['__metadata__'] = metadata
    for k in sorted(tensors):
        a = np.ascontiguousarray(tensors[k].detach().cpu().numpy())
        dt = {np.dtype('float32'): 'F32', np.dtype('float16'): 'F16'}[a.dtype]
        b = a.tobytes()
        header[k] = {'dtype': dt, 'shape': list(a.shape), 'data_offsets': [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header).encode()
    h += b' ' * ((8 - len(h) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h)) + h + b''.join(blobs))


MICRO = {
    'dino': dict(width=16, depth=1, heads=2, ratio=4, patch=8, grid=2, act='gelu', eps=1e-6),
    'clip': dict(width=16, depth=1, heads=2, ratio=4, patch=8, grid=2, act='quick_gelu', eps=1e-5, proj=8),
    'open_clip': dict(width=16, depth=1, heads=2, ratio=4, patch=8, grid=2, act='gelu', eps=1e-5, proj=8),
}


class TextStub(nn.Module):
    """A few of CLIP's text-tower parameters, which the importers must ignore."""

    def __init__(self, D):
        super().__init__()
        self.positional_embedding = nn.Parameter(torch.randn(5, D))
        self.token_embedding = nn.Embedding(7, D)
        self.text_projection = nn.Parameter(torch.randn(D, 8))
        self.logit_scale = nn.Parameter(torch.ones([]) * 4.6)


class ClipWhole(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.visual = ClipVisual(c)
        self.text = TextStub(c['width'])
        self.positional_embedding = self.text.positional_embedding
        self.token_embedding = self.text.token_embedding
        self.text_projection = self.text.text_projection
        self.logit_scale = self.text.logit_scale
        del self.text

    def forward(self, x):
        return x * self.logit_scale.float()


def importer_files():
    d = os.path.join(root, 'formats')
    os.makedirs(d, exist_ok=True)
    x = det_input((1, 3, 16, 16))
    expected = {}
    # DINO hub backbone: a plain state dict (dino_vitbase16_pretrain.pth)
    m = load_det(build('dino', MICRO['dino']))
    sd32 = {k: v.float() for k, v in m.state_dict().items()}
    torch.save(collections.OrderedDict(sd32), os.path.join(d, 'dino_micro.pth'))
    with torch.no_grad():
        expected['dino'] = m(x)
    # the full DINO training checkpoint: student (DDP, perturbed) and teacher (backbone.* + head.*)
    student = {('module.backbone.' + k): v + 1.0 for k, v in sd32.items()}
    student['module.head.mlp.0.weight'] = torch.zeros(4, 16)
    teacher = {('backbone.' + k): v for k, v in sd32.items()}
    teacher['head.last_layer.weight_g'] = torch.ones(3, 1)
    torch.save({'student': student, 'teacher': teacher, 'epoch': 100, 'args': 'namespace'}, os.path.join(d, 'dino_micro_full.pth'))

    # OpenAI CLIP: a TorchScript archive (torch.jit.save of a traced module) in float16, visual.* + text keys
    c = MICRO['clip']
    whole = ClipWhole(c)
    shapes = {k: tuple(v.shape) for k, v in whole.visual.state_dict().items()}
    vsd = state_dict(shapes)
    whole.visual.load_state_dict({k: torch.from_numpy(v) for k, v in vsd.items()})
    whole = whole.half().eval()
    traced = torch.jit.trace(whole, torch.zeros(1, 3, dtype=torch.half))
    torch.jit.save(traced, os.path.join(d, 'clip_micro.pt'))
    ref = ClipVisual(c)
    ref.load_state_dict({k: v.float() for k, v in whole.visual.state_dict().items()})  # the f16-rounded weights
    ref = ref.double().eval()
    with torch.no_grad():
        expected['clip'] = ref(x)

    # OpenCLIP: open_clip_pytorch_model.bin (torch.save state dict) and open_clip_model.safetensors
    c = MICRO['open_clip']
    oc = load_det(OpenClip(c))
    osd = {k: v.float() for k, v in oc.state_dict().items()}
    text = TextStub(c['width'])
    osd.update({'positional_embedding': text.positional_embedding.detach(), 'token_embedding.weight': text.token_embedding.weight.detach(),
                'logit_scale': text.logit_scale.detach()})
    torch.save(osd, os.path.join(d, 'open_clip_micro.bin'))
    write_safetensors(os.path.join(d, 'open_clip_micro.safetensors'), osd, {'format': 'pt'})
    with torch.no_grad():
        expected['open_clip'] = oc(x)

    # DreamSim's converted CLIP file: {'state_dict': DINO layout with pos_drop (ln_pre) and proj}
    cd = load_det(DinoViT(dict(MICRO['clip'], ln_pre=True)))
    torch.save({'state_dict': {k: v.float() for k, v in cd.state_dict().items()}}, os.path.join(d, 'clip_micro_pretrain.pth.tar'))
    with torch.no_grad():
        expected['dreamsim_clip'] = cd(x)

    for k, v in expected.items():
        save(f'formats/{k}_out', v)


def lora_fixture():
    """A PEFT LoRA adapter on every qkv of the tiny DINO and CLIP-as-DINO models (DreamSim's target), run unmerged."""
    d = os.path.join(root, 'lora')
    os.makedirs(d, exist_ok=True)
    r, alpha = 4, 8
    adapter = {}
    outs = {}
    for ei, (name, c) in enumerate([('dino', CONFIGS['dino']), ('clip', dict(CONFIGS['clip'], ln_pre=True))]):
        m = load_det(DinoViT(c))
        for i, b in enumerate(m.blocks):
            D = c['width']
            A = torch.from_numpy(value('lora_A', (r, D), 5000 + 10 * ei + i)).double()
            Bm = torch.from_numpy(value('lora_B', (3 * D, r), 6000 + 10 * ei + i)).double() * 0.5
            b.attn.lora = (A, Bm, alpha / r)
            key = f'base_model.model.extractor_list.{ei}.model.blocks.{i}.attn.qkv'
            adapter[f'{key}.lora_A.weight'] = A.float()
            adapter[f'{key}.lora_B.weight'] = Bm.float()
        x = det_input((2, 3, 224, 224))
        with torch.no_grad():
            outs[name] = m(x)
        save(f'lora/{name}_out', outs[name])
    cfg = {'base_model_name_or_path': None, 'bias': 'none', 'fan_in_fan_out': False, 'inference_mode': True, 'init_lora_weights': True,
           'lora_alpha': alpha, 'lora_dropout': 0.3, 'modules_to_save': None, 'peft_type': 'LORA', 'r': r, 'target_modules': ['qkv'], 'task_type': None}
    for sub in ['bin', 'safetensors']:
        p = os.path.join(d, f'adapter_{sub}')
        os.makedirs(p, exist_ok=True)
        with open(os.path.join(p, 'adapter_config.json'), 'w') as f:
            json.dump(cfg, f, indent=2)
        if sub == 'bin':
            torch.save(adapter, os.path.join(p, 'adapter_model.bin'))
        else:
            write_safetensors(os.path.join(p, 'adapter_model.safetensors'), adapter, {'format': 'pt'})


def clip_to_dino(sd, v=''):
    """OpenAI/OpenCLIP visual keys -> DreamSim's CLIP-as-DINO keys (what load_clip_as_dino loads)."""
    out = {}
    D = sd[v + 'class_embedding'].shape[-1]
    for k, a in sd.items():
        if not k.startswith(v):
            continue
        n = k[len(v):]
        if n == 'class_embedding':
            out['cls_token'] = a.reshape(1, 1, D)
        elif n == 'positional_embedding':
            out['pos_embed'] = a[None]
        elif n == 'conv1.weight':
            out['patch_embed.proj.weight'] = a
        elif n.startswith('ln_pre.'):
            out['pos_drop.' + n[7:]] = a
        elif n.startswith('ln_post.'):
            out['norm.' + n[8:]] = a
        elif n == 'proj':
            out['proj'] = a
        elif n.startswith('transformer.resblocks.'):
            i, rest = n[len('transformer.resblocks.'):].split('.', 1)
            rest = (rest.replace('ln_1', 'norm1').replace('ln_2', 'norm2').replace('attn.in_proj_weight', 'attn.qkv.weight')
                    .replace('attn.in_proj_bias', 'attn.qkv.bias').replace('attn.out_proj', 'attn.proj').replace('mlp.c_fc', 'mlp.fc1').replace('mlp.c_proj', 'mlp.fc2'))
            out[f'blocks.{i}.{rest}'] = a
    out['patch_embed.proj.bias'] = torch.zeros(D, dtype=out['patch_embed.proj.weight'].dtype)
    return out


IMAGENET = ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))
CLIPNORM = ((0.48145466, 0.4578275, 0.40821073), (0.26862954, 0.26130258, 0.27577711))


def dreamsim_micro():
    """A micro DreamSim ensemble in upstream files: (A) loose files (DINO hub .pth, OpenAI TorchScript ViT-B-16.pt,
    OpenCLIP open_clip_model.safetensors, ensemble_lora/), (B) the release zip layout (full DINO checkpoint,
    DreamSim-converted CLIP/OpenCLIP .pth.tar, ensemble_lora/), and the embedding of upstream's PerceptualModel.embed
    (per-branch Normalize, cat, mean-centre and L2-normalise the whole vector) with the LoRA run unmerged."""
    import zipfile
    d = os.path.join(root, 'dreamsim')
    os.makedirs(os.path.join(d, 'loose', 'ensemble_lora'), exist_ok=True)
    # base weights: DINO (f32), CLIP (f16-rounded, as OpenAI ships it), OpenCLIP (f32)
    dino = load_det(DinoViT(MICRO['dino'])).float()
    clipw = ClipWhole(MICRO['clip'])
    shapes = {k: tuple(v.shape) for k, v in clipw.visual.state_dict().items()}
    clipw.visual.load_state_dict({k: torch.from_numpy(v) for k, v in state_dict(shapes).items()})
    clipw = clipw.half().eval()
    oc = OpenClip(MICRO['open_clip'])
    shapes = {k: tuple(v.shape) for k, v in oc.state_dict().items()}
    oc.load_state_dict({k: torch.from_numpy(v + 0.0) for k, v in state_dict(shapes).items()})
    dino_sd = {k: v.detach().float() for k, v in dino.state_dict().items()}
    clip_dino = clip_to_dino({k: v.detach().float() for k, v in clipw.state_dict().items()}, 'visual.')
    oc_dino = clip_to_dino({k: v.detach().float() for k, v in oc.state_dict().items()}, 'visual.')
    # (A) loose files
    torch.save(dino_sd, os.path.join(d, 'loose', 'dino_vitbase16_pretrain.pth'))
    torch.jit.save(torch.jit.trace(clipw, torch.zeros(1, 3, dtype=torch.half)), os.path.join(d, 'loose', 'ViT-B-16.pt'))
    write_safetensors(os.path.join(d, 'loose', 'open_clip_model.safetensors'), {k: v.detach().float() for k, v in oc.state_dict().items()})
    # the adapter: LoRA on every qkv of the three extractors
    r, alpha = 2, 3
    adapter, models = {}, []
    for ei, (c, sd) in enumerate([(MICRO['dino'], dino_sd), (dict(MICRO['clip'], ln_pre=True), clip_dino), (dict(MICRO['open_clip'], ln_pre=True), oc_dino)]):
        m = DinoViT(c)
        m.load_state_dict(sd)
        m = m.double().eval()
        for i, b in enumerate(m.blocks):
            D = c['width']
            A = torch.from_numpy(value('lora_A', (r, D), 7000 + 10 * ei + i)).double()
            Bm = torch.from_numpy(value('lora_B', (3 * D, r), 8000 + 10 * ei + i)).double()
            b.attn.lora = (A, Bm, alpha / r)
            key = f'base_model.model.extractor_list.{ei}.model.blocks.{i}.attn.qkv'
            adapter[key + '.lora_A.weight'] = A.float()
            adapter[key + '.lora_B.weight'] = Bm.float()
        models.append(m)
    cfg = json.dumps({'bias': 'none', 'fan_in_fan_out': False, 'lora_alpha': alpha, 'lora_dropout': 0.3, 'peft_type': 'LORA', 'r': r, 'target_modules': ['qkv']})
    with open(os.path.join(d, 'loose', 'ensemble_lora', 'adapter_config.json'), 'w') as f:
        f.write(cfg)
    torch.save(adapter, os.path.join(d, 'loose', 'ensemble_lora', 'adapter_model.bin'))
    # (B) the release zip (+ the hub backbone beside it, as `weights pull dreamsim` fetches both)
    import io
    def tbytes(obj):
        b = io.BytesIO(); torch.save(obj, b); return b.getvalue()
    with zipfile.ZipFile(os.path.join(d, 'dreamsim_ensemble_checkpoint.zip'), 'w', zipfile.ZIP_DEFLATED) as z:
        z.writestr('dino_vitb16_pretrain.pth', tbytes({'student': {('module.backbone.' + k): v * 0 for k, v in dino_sd.items()}, 'teacher': {('backbone.' + k): v for k, v in dino_sd.items()}}))
        z.writestr('clip_vitb16_pretrain.pth.tar', tbytes({'state_dict': clip_dino}))
        z.writestr('open_clip_vitb16_pretrain.pth.tar', tbytes({'state_dict': oc_dino}))
        z.writestr('ensemble_lora/adapter_config.json', cfg)
        z.writestr('ensemble_lora/adapter_model.bin', tbytes(adapter))
    # upstream's embed on images in [0, 1]
    x = torch.from_numpy(value('input', (2, 3, 16, 16), 1000001) + 0.5).double()
    feats = []
    for m, (mean, std) in zip(models, [IMAGENET, CLIPNORM, CLIPNORM]):
        xn = (x - torch.tensor(mean, dtype=torch.float64)[:, None, None]) / torch.tensor(std, dtype=torch.float64)[:, None, None]
        with torch.no_grad():
            feats.append(m(xn))
    e = torch.cat(feats, dim=-1)
    e = (e.T - torch.mean(e, dim=1)).T
    e = (e.T / torch.norm(e, dim=1)).T
    save('dreamsim/embed', e)
    save('dreamsim/distance', 1 - F.cosine_similarity(e[:1], e[1:], dim=-1))


def main():
    torch.manual_seed(0)
    dreamsim_micro()
    check_torchvision_block()
    for layout, c in CONFIGS.items():
        m = load_det(build(layout, c))
        case(m, layout, f'{layout}_tiny_224', 2, 224, 224)
        case(m, layout, f'{layout}_tiny_160x208', 2, 160, 208)
        case(m, layout, f'{layout}_tiny_64x80', 1, 64, 80, full_grad=True)
        if layout == 'dino':
            save('dino_tiny_pos_10x13', dino_interpolate(m.pos_embed, 10, 13, False))
    importer_files()
    lora_fixture()
    if '--big' in sys.argv:
        for layout, c in BIG.items():
            m = load_det(build(layout, c))
            case(m, layout, f'{layout}_b16_224', 1, 224, 224)
            case(m, layout, f'{layout}_b16_160', 1, 160, 160)
            print('big', layout)
    print('wrote', root)


main()
