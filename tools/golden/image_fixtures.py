#!/usr/bin/python3
"""Golden fixtures for src/io/image: PIL (Debian python3-pil 9.x) and torchvision decide every expected byte.

Run from the repository root with Debian's Python (python3-pil, numpy and torchvision installed):
    /usr/bin/python3 tools/golden/image_fixtures.py
It rewrites test/fixtures/images/:
  inputs/*.png, *.jpg      small synthetic "natural-looking" images in every PNG mode PIL distinguishes (L, LA, RGB,
                           RGBA, 16-bit grey/RGB/grey+alpha, palette with and without tRNS, 1/2/4-bit, Adam7) and
                           JPEGs (baseline/progressive, 4:2:0/4:2:2/4:4:4, grey; plus hand-encoded ones with restart
                           intervals and RGB component layouts, see `write_jpeg`)
  bad/*                    truncated/corrupt/mislabelled files, with PIL's verdict recorded in the manifest
  expected/*.png           8-bit outputs of torchvision/PIL pipelines (lossless PNG, mode L or RGB)
  manifest.json            what each file is and how it was made, with hashes of PIL's convert('RGB') and
                           convert('L') of every input; resize cases (PIL Image.resize(BILINEAR) of procedurally
                           generated inputs that the tests regenerate with the same integer hash, `hash_image`,
                           stored as output hashes); CenterCrop geometry cases; PIL luma of arbitrary RGB triples.
"""
import json, os, struct, sys, zlib

import numpy as np
import PIL
from PIL import Image
import torchvision
import torchvision.transforms as T

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
OUT = os.path.join(ROOT, 'test', 'fixtures', 'images')
INP = os.path.join(OUT, 'inputs')
EXP = os.path.join(OUT, 'expected')

# ---- synthetic content -----------------------------------------------------------------------------------------

def natural(h, w, c, seed):
    """1/f-spectrum noise with correlated colours, a few hard-edged shapes and fine grain; float in [0, 255]."""
    rng = np.random.default_rng(seed)
    fy = np.fft.fftfreq(h)[:, None]
    fx = np.fft.fftfreq(w)[None, :]
    f = np.sqrt(fx ** 2 + fy ** 2)
    f[0, 0] = 1.0
    chans = []
    for _ in range(c):
        spec = (rng.normal(size=(h, w)) + 1j * rng.normal(size=(h, w))) / f ** 1.2
        x = np.real(np.fft.ifft2(spec))
        chans.append((x - x.mean()) / (x.std() + 1e-9))
    x = np.stack(chans, -1)
    if c == 3:
        mix = np.array([[1.0, 0.8, 0.6], [0.3, 0.9, 0.2], [0.1, 0.3, 1.0]])
        x = x @ mix
    x = 128 + 45 * x
    yy, xx = np.mgrid[0:h, 0:w]
    for _ in range(4):  # hard edges: disks and rectangles
        cy, cx, r = rng.uniform(0, h), rng.uniform(0, w), rng.uniform(0.05, 0.3) * min(h, w)
        val = rng.uniform(0, 255, size=c)
        if rng.random() < 0.5:
            m = (yy - cy) ** 2 + (xx - cx) ** 2 < r ** 2
        else:
            m = (abs(yy - cy) < r) & (abs(xx - cx) < 0.7 * r)
        x[m] = 0.6 * val + 0.4 * x[m]
    x += rng.normal(scale=2.5, size=x.shape)
    return np.clip(x, 0, 255)


def u8(x):
    return np.clip(np.round(x), 0, 255).astype(np.uint8)

# ---- a minimal PNG writer for what PIL cannot write (16-bit colour, 2/4-bit, short palettes, Adam7) ------------

def _chunk(t, d):
    return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d) & 0xffffffff)


def _pack_rows(arr, depth):
    h, w, c = arr.shape
    rows = []
    for y in range(h):
        row = arr[y].reshape(-1)
        if depth == 16:
            rows.append(row.astype('>u2').tobytes())
        elif depth == 8:
            rows.append(row.astype(np.uint8).tobytes())
        else:
            per = 8 // depth
            out = bytearray((len(row) + per - 1) // per)
            for i, v in enumerate(row):
                out[i // per] |= int(v) << (8 - depth * (i % per + 1))
            rows.append(bytes(out))
    return rows


def write_png(path, arr, depth, ctype, plte=None, trns=None, adam7=False):
    arr = np.asarray(arr)
    if arr.ndim == 2:
        arr = arr[:, :, None]
    h, w, _ = arr.shape
    raw = b''
    if not adam7:
        for r in _pack_rows(arr, depth):
            raw += b'\x00' + r
    else:
        for (x0, y0, dx, dy) in [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]:
            sub = arr[y0::dy, x0::dx]
            if sub.shape[0] == 0 or sub.shape[1] == 0:
                continue
            for r in _pack_rows(sub, depth):
                raw += b'\x00' + r
    d = b'\x89PNG\r\n\x1a\n' + _chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, depth, ctype, 0, 0, 1 if adam7 else 0))
    if plte is not None:
        d += _chunk(b'PLTE', bytes(np.asarray(plte, np.uint8).reshape(-1)))
    if trns is not None:
        d += _chunk(b'tRNS', trns)
    d += _chunk(b'IDAT', zlib.compress(raw, 9)) + _chunk(b'IEND', b'')
    with open(path, 'wb') as f:
        f.write(d)

# ---- a minimal baseline JPEG encoder, for what PIL cannot write (restart intervals, RGB/CMYK component layouts) -----
# Any valid bitstream will do: PIL's decoding of it is the reference. Huffman tables are flat (every DC category a
# 4-bit code, every AC symbol an 8-bit code); all components are sampled 1x1.

ZIGZAG = [0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21,
          28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61,
          54, 47, 55, 62, 63]
AC_SYMBOLS = [0x00, 0xF0] + [(r << 4) | s for r in range(16) for s in range(1, 11)]


def _dct_matrix():
    m = np.zeros((8, 8))
    for k in range(8):
        for n in range(8):
            m[k, n] = (np.sqrt(0.125) if k == 0 else 0.5) * np.cos((2 * n + 1) * k * np.pi / 16)
    return m


class _Bits:
    def __init__(self):
        self.out = bytearray()
        self.acc = 0
        self.n = 0

    def put(self, value, length):
        for i in range(length - 1, -1, -1):
            self.acc = (self.acc << 1) | ((value >> i) & 1)
            self.n += 1
            if self.n == 8:
                self.out.append(self.acc)
                if self.acc == 0xFF:
                    self.out.append(0)
                self.acc = self.n = 0

    def flush(self):  # pad with 1-bits to a byte boundary
        while self.n:
            self.put(1, 1)


def _category(v):
    return int(abs(int(v))).bit_length()


def write_jpeg(path, planes, ids, quant, restart=0, jfif=True, adobe=None):
    """planes: list of HxW float arrays (already in the coded colour space, 0..255)."""
    h, w = planes[0].shape
    bh, bw = (h + 7) // 8, (w + 7) // 8
    D = _dct_matrix()
    coefs = []
    for pl in planes:  # edge-replicate to whole blocks, DCT, quantise
        padded = np.pad(pl, ((0, bh * 8 - h), (0, bw * 8 - w)), mode='edge') - 128.0
        blocks = np.zeros((bh, bw, 64), np.int64)
        for by in range(bh):
            for bx in range(bw):
                c = D @ padded[by * 8:by * 8 + 8, bx * 8:bx * 8 + 8] @ D.T
                q = np.round(c.reshape(-1) / quant).astype(np.int64)
                q[1:] = np.clip(q[1:], -1023, 1023)
                blocks[by, bx] = q
        coefs.append(blocks)
    dc_code = {s: (s, 4) for s in range(12)}  # category s -> 4-bit code s
    ac_code = {sym: (i, 8) for i, sym in enumerate(AC_SYMBOLS)}
    bits = _Bits()
    preds = [0] * len(planes)
    mcu = 0
    total = bh * bw
    for by in range(bh):
        for bx in range(bw):
            for ci, blocks in enumerate(coefs):
                z = blocks[by, bx][ZIGZAG]
                diff = int(z[0]) - preds[ci]
                preds[ci] = int(z[0])
                s = _category(diff)
                bits.put(*dc_code[s])
                if s:
                    bits.put(diff if diff >= 0 else diff + (1 << s) - 1, s)
                run = 0
                last = max([k for k in range(1, 64) if z[k] != 0], default=0)
                for k in range(1, last + 1):
                    v = int(z[k])
                    if v == 0:
                        run += 1
                        continue
                    while run > 15:
                        bits.put(*ac_code[0xF0])
                        run -= 16
                    s = _category(v)
                    bits.put(*ac_code[(run << 4) | s])
                    bits.put(v if v >= 0 else v + (1 << s) - 1, s)
                    run = 0
                if last < 63:
                    bits.put(*ac_code[0x00])
            mcu += 1
            if restart and mcu % restart == 0 and mcu < total:
                bits.flush()
                bits.out += bytes([0xFF, 0xD0 + (mcu // restart - 1) % 8])
    bits.flush()

    def seg(marker, payload):
        return bytes([0xFF, marker]) + struct.pack('>H', len(payload) + 2) + payload

    d = b'\xff\xd8'
    if jfif:
        d += seg(0xE0, b'JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00')
    if adobe is not None:
        d += seg(0xEE, b'Adobe' + bytes([0, 100, 0, 0, 0, 0, adobe]))
    d += seg(0xDB, bytes([0]) + bytes(int(quant[k]) for k in ZIGZAG))
    d += seg(0xC0, struct.pack('>BHHB', 8, h, w, len(planes)) + b''.join(bytes([i, 0x11, 0]) for i in ids))
    d += seg(0xC4, bytes([0x00]) + bytes([0, 0, 0, 12] + [0] * 12) + bytes(range(12)))
    counts = [0] * 16
    counts[7] = len(AC_SYMBOLS)
    d += seg(0xC4, bytes([0x10]) + bytes(counts) + bytes(AC_SYMBOLS))
    if restart:
        d += seg(0xDD, struct.pack('>H', restart))
    d += seg(0xDA, bytes([len(planes)]) + b''.join(bytes([i, 0x00]) for i in ids) + bytes([0, 63, 0]))
    d += bytes(bits.out) + b'\xff\xd9'
    with open(path, 'wb') as f:
        f.write(d)

# ---- the reference pipelines -------------------------------------------------------------------------------------

PRESETS = {'v1': dict(crop=167, size=93, gray=True), 'v4': dict(crop=236, size=100, gray=False)}
DATASETS = {'imagenet': 256, 'rendered': None}


def pipeline(img, short_side, crop, size, gray):
    """Upstream sets.py order with torchvision's PIL transforms; non-gray output ends with convert('RGB')."""
    if short_side is not None:
        img = img.convert('RGB')            # EnsureRGB
        img = T.Resize(short_side)(img)     # bilinear, antialiased (PIL)
    img = T.CenterCrop(crop)(img)
    img = T.Resize((size, size))(img)
    img = T.Grayscale()(img) if gray else img.convert('RGB')
    return img


def save_expected(name, img):
    assert img.mode in ('L', 'RGB')
    img.save(os.path.join(EXP, name + '.png'), optimize=True)
    return {'file': 'expected/' + name + '.png', 'width': img.width, 'height': img.height, 'mode': img.mode}


def fnv1a(b):
    h = 0x811c9dc5
    for x in b:
        h = ((h ^ x) * 0x01000193) & 0xffffffff
    return h

# ---- procedurally generated resize inputs (regenerated bit-for-bit by the TypeScript tests) ----------------------

def hash_image(w, h, c, seed, smooth):
    """uint32 hash of (x, y, channel, seed) -> 0..255; `smooth` blends it with a gradient so both noise and ramps
    are exercised. TypeScript: test/io/image-resize.test.ts `hashImage` (same integer arithmetic)."""
    y, x, ch = np.meshgrid(np.arange(h, dtype=np.uint64), np.arange(w, dtype=np.uint64), np.arange(c, dtype=np.uint64), indexing='ij')
    M = np.uint64(0xffffffff)
    v = ((x * np.uint64(73856093)) ^ (y * np.uint64(19349663)) ^ (ch * np.uint64(83492791)) ^ (np.uint64(seed) * np.uint64(2654435761))) & M
    v = ((v ^ (v >> np.uint64(13))) * np.uint64(1274126177)) & M
    v = (v ^ (v >> np.uint64(16))) & M
    noise = (v >> np.uint64(24)).astype(np.int64)
    if smooth:
        ramp = ((x.astype(np.int64) * 255) // max(w - 1, 1) + (y.astype(np.int64) * 127) // max(h - 1, 1)) % 256
        return ((ramp * 3 + noise) // 4).astype(np.int64)
    return noise


def resize_cases():
    rng = np.random.default_rng(1234)
    cases = []
    sizes = [(37, 53, 93, 93), (64, 48, 17, 29), (5, 7, 64, 3), (60, 40, 60, 23), (60, 40, 11, 40), (1, 9, 13, 1),
             (100, 3, 7, 50), (47, 47, 47, 46), (33, 61, 41, 77)]
    for _ in range(9):
        w, h = (int(v) for v in rng.integers(1, 72, 2))
        W, H = (int(v) for v in rng.integers(1, 90, 2))
        sizes.append((w, h, W, H))
    modes = ['L', 'RGB', 'RGBA', 'LA', 'I', 'P', '1']
    blob = bytearray()
    seed = 0
    for mode in modes:
        for k, (w, h, W, H) in enumerate(sizes):
            if mode not in ('L', 'RGB') and k % 2 == 1:
                continue  # fewer cases for the other modes
            seed += 1
            smooth = k % 3 != 0
            if mode == 'I':
                v = hash_image(w, h, 1, seed, smooth)[..., 0]
                arr = (v * 257 + (v % 7) * 31) % 700  # 0..699: mixes in-range and clipping values
                img = Image.fromarray(arr.astype(np.int32), 'I')
            elif mode == '1':
                v = hash_image(w, h, 1, seed, smooth)[..., 0]
                img = Image.fromarray(((v > 127) * 255).astype(np.uint8), 'L').convert('1')
            elif mode == 'P':
                v = hash_image(w, h, 1, seed, smooth)[..., 0]
                img = Image.fromarray(v.astype(np.uint8), 'P')
            else:
                c = {'L': 1, 'RGB': 3, 'RGBA': 4, 'LA': 2}[mode]
                v = hash_image(w, h, c, seed, smooth).astype(np.uint8)
                if mode in ('RGBA', 'LA'):
                    a = v[..., -1].astype(np.int64)
                    v[..., -1] = np.where(a < 40, 0, np.where(a > 215, 255, a)).astype(np.uint8)  # many 0 and 255
                img = Image.fromarray(v if c > 1 else v[..., 0], mode)
            out = img.resize((W, H), Image.BILINEAR)
            if mode == 'I':
                arr = np.array(out, dtype=np.int64)
                data = arr.astype('<i4').tobytes()
            else:
                arr = np.array(out).astype(np.int64) * (255 if mode == '1' else 1)
                data = arr.astype(np.uint8).tobytes()
            # Outputs are stored as a hash (the raw little-endian bytes: int32 for I, uint8 otherwise), the sum
            # and the first samples, which keeps the fixtures small; tests require all three to match.
            cases.append({'mode': mode, 'seed': seed, 'smooth': smooth, 'in': [w, h], 'out': [W, H],
                          'hash': fnv1a(data), 'sum': int(arr.sum()), 'first': [int(v) for v in arr.reshape(-1)[:8]]})
    return cases


def crop_cases():
    """torchvision CenterCrop offsets and padding: [W, H, crop] -> (left, top) of the original in the output."""
    out = []
    for (w, h, c) in [(300, 200, 167), (201, 200, 167), (200, 201, 236), (37, 53, 167), (166, 300, 167), (168, 169, 167),
                      (100, 100, 236), (235, 500, 236), (237, 238, 236), (10, 11, 4), (13, 12, 4)]:
        # mark each pixel with its own index so the expected output says where it came from (index + 1; 0 = padding)
        idx = np.arange(1, w * h + 1, dtype=np.int32).reshape(h, w)
        r = np.array(T.CenterCrop(c)(Image.fromarray(idx, 'I')))
        nz = np.argwhere(r > 0)
        first = int(r[nz[0][0], nz[0][1]]) - 1
        out.append({'in': [w, h], 'crop': c, 'outFirst': [int(nz[0][1]), int(nz[0][0])],
                    'srcFirst': [first % w, first // w], 'nonzero': int((r > 0).sum())})
    return out

# ---- main --------------------------------------------------------------------------------------------------------

def make_inputs():
    """Writes the input images; returns [(name, filename, kind)]."""
    items = []

    def add(name, fn, kind, note):
        items.append({'name': name, 'file': 'inputs/' + fn, 'kind': kind, 'note': note})

    rgb = u8(natural(200, 300, 3, 1))
    Image.fromarray(rgb, 'RGB').save(os.path.join(INP, 'rgb_300x200.png'), optimize=True)
    add('rgb_300x200', 'rgb_300x200.png', 'png', 'RGB 8-bit')

    x = natural(500, 120, 4, 2)
    a = x[..., 3]
    a = np.where(a < 90, 0, np.where(a > 170, 255, (a - 90) * 255 / 80))  # transparent, opaque and partial regions
    x[..., 3] = a
    Image.fromarray(u8(x), 'RGBA').save(os.path.join(INP, 'rgba_120x500.png'), optimize=True)
    add('rgba_120x500', 'rgba_120x500.png', 'png', 'RGBA 8-bit, alpha 0/partial/255')

    Image.fromarray(u8(natural(53, 37, 1, 3)[..., 0]), 'L').save(os.path.join(INP, 'l_37x53.png'))
    add('l_37x53', 'l_37x53.png', 'png', 'L 8-bit, smaller than both crops')

    x = natural(130, 150, 2, 4)
    Image.fromarray(u8(x), 'LA').save(os.path.join(INP, 'la_150x130.png'), optimize=True)
    add('la_150x130', 'la_150x130.png', 'png', 'LA 8-bit')

    g = natural(200, 150, 1, 5)[..., 0] * 2.6 - 60  # about -60..600: PIL clips the 16-bit values to 0..255
    g16 = np.clip(np.round(g), 0, 65535).astype(np.uint16)
    g16[:10, :10] = 65535
    write_png(os.path.join(INP, 'gray16_150x200.png'), g16, 16, 0)
    add('gray16_150x200', 'gray16_150x200.png', 'png', '16-bit grey (PIL mode I; convert clips)')

    c16 = np.clip(np.round(natural(110, 90, 3, 6) * 257 + np.random.default_rng(6).integers(0, 257, (110, 90, 3))), 0, 65535)
    write_png(os.path.join(INP, 'rgb16_90x110.png'), c16.astype(np.uint16), 16, 2)
    add('rgb16_90x110', 'rgb16_90x110.png', 'png', '16-bit RGB (PIL keeps the high byte)')

    la16 = np.clip(np.round(natural(40, 50, 2, 7) * 257), 0, 65535).astype(np.uint16)
    write_png(os.path.join(INP, 'la16_50x40.png'), la16, 16, 4)
    add('la16_50x40', 'la16_50x40.png', 'png', '16-bit grey+alpha (PIL opens it as RGBA)')

    rgbp = Image.fromarray(u8(natural(170, 250, 3, 8)), 'RGB').quantize(colors=200, dither=Image.NONE)
    rgbp.save(os.path.join(INP, 'p_250x170.png'), optimize=False)
    add('p_250x170', 'p_250x170.png', 'png', 'palette 8-bit (resized with NEAREST by PIL)')

    q = Image.fromarray(u8(natural(250, 170, 3, 9)), 'RGB').quantize(colors=64, dither=Image.NONE)
    trns = bytes([0, 60, 128, 200] + [255] * 10)
    q.save(os.path.join(INP, 'ptrns_170x250.png'), transparency=trns)
    add('ptrns_170x250', 'ptrns_170x250.png', 'png', 'palette + tRNS')

    b = natural(210, 190, 1, 10)[..., 0] > 128
    Image.fromarray((b * 255).astype(np.uint8), 'L').convert('1', dither=Image.NONE).save(os.path.join(INP, 'bit1_190x210.png'))
    add('bit1_190x210', 'bit1_190x210.png', 'png', '1-bit grey (PIL mode 1)')

    g4 = (natural(90, 150, 1, 11)[..., 0] / 16).astype(np.uint8).clip(0, 15)
    write_png(os.path.join(INP, 'gray4_150x90.png'), g4, 4, 0)
    add('gray4_150x90', 'gray4_150x90.png', 'png', '4-bit grey')

    g2 = (natural(45, 33, 1, 12)[..., 0] / 64).astype(np.uint8).clip(0, 3)
    write_png(os.path.join(INP, 'gray2_33x45.png'), g2, 2, 0)
    add('gray2_33x45', 'gray2_33x45.png', 'png', '2-bit grey')

    p4 = (natural(61, 97, 1, 13)[..., 0] / 16).astype(np.uint8).clip(0, 15)
    pal = np.random.default_rng(13).integers(0, 256, (12, 3))  # 12 entries: indices 12..15 fall back to PIL's grey ramp
    write_png(os.path.join(INP, 'pal4_97x61.png'), p4, 4, 3, plte=pal)
    add('pal4_97x61', 'pal4_97x61.png', 'png', '4-bit palette with a short PLTE')

    p1 = (natural(70, 260, 1, 14)[..., 0] > 120).astype(np.uint8)
    write_png(os.path.join(INP, 'pal1_260x70.png'), p1, 1, 3, plte=[[200, 30, 90], [20, 220, 140]])
    add('pal1_260x70', 'pal1_260x70.png', 'png', '1-bit palette')

    ad = u8(natural(48, 64, 3, 15))
    write_png(os.path.join(INP, 'rgb_adam7_64x48.png'), ad, 8, 2, adam7=True)
    add('rgb_adam7_64x48', 'rgb_adam7_64x48.png', 'png', 'RGB 8-bit, Adam7 interlaced')

    jp = [('jpg_rgb420_300x200', natural(200, 300, 3, 21), dict(quality=90, subsampling='4:2:0'), 'baseline 4:2:0 q90'),
          ('jpg_rgb422_121x97', natural(97, 121, 3, 22), dict(quality=85, subsampling='4:2:2'), 'baseline 4:2:2 q85'),
          ('jpg_rgb444p_133x77', natural(77, 133, 3, 23), dict(quality=92, subsampling='4:4:4', progressive=True), 'progressive 4:4:4 q92'),
          ('jpg_rgb420p_151x87', natural(87, 151, 3, 24), dict(quality=75, subsampling='4:2:0', progressive=True), 'progressive 4:2:0 q75, odd size'),
          ('jpg_gray_37x53', natural(53, 37, 1, 25)[..., 0], dict(quality=90), 'baseline grey, smaller than the crops'),
          ('jpg_grayp_120x100', natural(100, 120, 1, 26)[..., 0], dict(quality=80, progressive=True), 'progressive grey')]
    for name, arr, opts, note in jp:
        Image.fromarray(u8(arr), 'RGB' if arr.ndim == 3 else 'L').save(os.path.join(INP, name + '.jpg'), 'JPEG', **opts)
        add(name, name + '.jpg', 'jpeg', note)
    # Hand-made baseline JPEGs (write_jpeg): restart intervals and the colour-space rules for 3 components.
    quant = np.array([3 + (k % 8) + (k // 8) for k in range(64)], np.float64)  # natural order
    g = natural(61, 83, 1, 31)[..., 0]
    write_jpeg(os.path.join(INP, 'jpg_gray_dri_83x61.jpg'), [g], [1], quant, restart=5)
    add('jpg_gray_dri_83x61', 'jpg_gray_dri_83x61.jpg', 'jpeg', 'baseline grey, restart interval 5 (hand-encoded)')
    rgb = natural(45, 70, 3, 32)
    ycc = [0.299 * rgb[..., 0] + 0.587 * rgb[..., 1] + 0.114 * rgb[..., 2],
           128 - 0.168736 * rgb[..., 0] - 0.331264 * rgb[..., 1] + 0.5 * rgb[..., 2],
           128 + 0.5 * rgb[..., 0] - 0.418688 * rgb[..., 1] - 0.081312 * rgb[..., 2]]
    write_jpeg(os.path.join(INP, 'jpg_ycc_dri_70x45.jpg'), ycc, [1, 2, 3], quant, restart=7)
    add('jpg_ycc_dri_70x45', 'jpg_ycc_dri_70x45.jpg', 'jpeg', 'YCbCr 4:4:4, restart interval 7 (hand-encoded)')
    rgb = natural(40, 52, 3, 33)
    write_jpeg(os.path.join(INP, 'jpg_adobe_rgb_52x40.jpg'), [rgb[..., i] for i in range(3)], [1, 2, 3], quant,
               jfif=False, adobe=0)
    add('jpg_adobe_rgb_52x40', 'jpg_adobe_rgb_52x40.jpg', 'jpeg', 'RGB components, Adobe transform 0 (hand-encoded)')
    write_jpeg(os.path.join(INP, 'jpg_rgbids_52x40.jpg'), [rgb[..., i] for i in range(3)], [82, 71, 66], quant, jfif=False)
    add('jpg_rgbids_52x40', 'jpg_rgbids_52x40.jpg', 'jpeg', "RGB components named 'R','G','B', no JFIF/Adobe (hand-encoded)")
    return items


def make_bad():
    bad = os.path.join(OUT, 'bad')
    os.makedirs(bad, exist_ok=True)
    with open(os.path.join(INP, 'rgb_adam7_64x48.png'), 'rb') as f:
        png = f.read()
    with open(os.path.join(bad, 'truncated.png'), 'wb') as f:
        f.write(png[: len(png) // 2])
    corrupt = bytearray(png)
    corrupt[len(png) // 2] ^= 0x55  # a flipped byte inside IDAT: the CRC no longer matches
    with open(os.path.join(bad, 'corrupt_crc.png'), 'wb') as f:
        f.write(bytes(corrupt))
    with open(os.path.join(INP, 'jpg_gray_37x53.jpg'), 'rb') as f:
        jpg = f.read()
    with open(os.path.join(bad, 'truncated.jpg'), 'wb') as f:
        f.write(jpg[: int(len(jpg) * 0.7)])
    cmyk = natural(16, 24, 4, 34)
    write_jpeg(os.path.join(bad, 'cmyk.jpg'), [cmyk[..., i] for i in range(4)], [1, 2, 3, 4],
               np.full(64, 8.0), jfif=False, adobe=0)
    with open(os.path.join(bad, 'text.png'), 'w') as f:
        f.write('this is a text file with a .png name\n')
    with open(os.path.join(bad, 'jpeg_named.png'), 'wb') as f:
        f.write(jpg)  # valid JPEG with a .png name: decoded by content
    results = {}
    for fn in sorted(os.listdir(bad)):
        try:
            im = Image.open(os.path.join(bad, fn))
            im.load()
            results[fn] = 'ok:' + im.format
        except Exception as e:  # noqa: BLE001 - we record PIL's verdict
            results[fn] = 'error:' + type(e).__name__
    return results


def main():
    os.makedirs(INP, exist_ok=True)
    os.makedirs(EXP, exist_ok=True)
    for d in (INP, EXP):
        for fn in os.listdir(d):
            os.remove(os.path.join(d, fn))
    items = make_inputs()
    for it in items:
        im = Image.open(os.path.join(OUT, it['file']))
        im.load()
        it['pilMode'] = im.mode
        it['width'], it['height'] = im.size
        rgb, l = im.convert('RGB'), im.convert('L')
        it['rgbHash'] = fnv1a(rgb.tobytes())
        it['lHash'] = fnv1a(l.tobytes())
        it['pipelines'] = {}
        for model, p in PRESETS.items():
            for ds, short in DATASETS.items():
                if it['kind'] == 'jpeg' and short is None:
                    continue  # rendered datasets are PNG-only upstream
                out = pipeline(im, short, p['crop'], p['size'], p['gray'])
                it['pipelines'][f'{model}_{ds}'] = save_expected(f"{it['name']}__{model}_{ds}", out)
    # luma of arbitrary RGB triples
    tri = hash_image(4096, 1, 3, 99, False).astype(np.uint8)
    luma = np.array(Image.fromarray(tri, 'RGB').convert('L'))[0]
    manifest = {
        'generator': 'tools/golden/image_fixtures.py',
        'pil': PIL.__version__, 'torchvision': torchvision.__version__, 'numpy': np.__version__,
        'presets': PRESETS, 'datasets': DATASETS,
        'images': items,
        'bad': make_bad(),
        'resizeCases': resize_cases(),
        'cropCases': crop_cases(),
        'luma': {'seed': 99, 'width': 4096, 'hash': fnv1a(bytes(luma)), 'first': [int(v) for v in luma[:16]]},
    }
    with open(os.path.join(OUT, 'manifest.json'), 'w') as f:
        json.dump(manifest, f, indent=1)
    total = sum(os.path.getsize(os.path.join(dp, fn)) for dp, _, fns in os.walk(OUT) for fn in fns)
    print(f'wrote {OUT}: {total / 1e6:.2f} MB')


if __name__ == '__main__':
    sys.exit(main())
