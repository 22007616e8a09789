#!/usr/bin/python3
"""Golden fixtures for src/io (npy, safetensors, zip, pickle, PyTorch checkpoints).

Run with Debian's interpreter (python3-torch 1.13, numpy):
    /usr/bin/python3 tools/golden/io_fixtures.py [--upstream DIR]

Writes small files into test/fixtures/io/ plus expected.json (values the TypeScript readers must reproduce
exactly) and, when the upstream DualNeuron data is found, upstream_expected.json (values printed by torch.load /
np.load for the real V1 checkpoints, mask and prior; the upstream files themselves are never copied).
Every fixture is checked here against NumPy / torch / zipfile / pickle before it is written.
"""
import argparse
import base64
import io
import json
import math
import os
import pickle
import pickletools
import struct
import sys
import zipfile
from collections import OrderedDict

import numpy as np
import torch

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
OUT = os.path.join(ROOT, 'test', 'fixtures', 'io')


def enc_float(x):
    x = float(x)
    if math.isnan(x):
        return 'nan'
    if math.isinf(x):
        return 'inf' if x > 0 else '-inf'
    return x


def np_entry(a, dtype):
    """Expected record for an array: our dtype name, shape, C-order values (i64 as strings, f16/bf16 with bits)."""
    shape = list(np.shape(a))  # before ascontiguousarray, which turns 0-d arrays into 1-d
    a = np.ascontiguousarray(a)
    flat = a.reshape(-1)
    if dtype in ('f16', 'f32', 'f64'):
        values = [enc_float(v) for v in flat]
    elif dtype == 'i64':
        values = [str(int(v)) for v in flat]
    else:
        values = [int(v) for v in flat]
    rec = {'dtype': dtype, 'shape': shape, 'values': values}
    if dtype == 'f16':
        rec['bits'] = [int(b) for b in flat.view(np.uint16)]
    return rec


TORCH_DTYPE = {
    torch.float32: 'f32', torch.float16: 'f16', torch.bfloat16: 'bf16', torch.float64: 'f64', torch.int64: 'i64',
    torch.int32: 'i32', torch.int16: 'i16', torch.int8: 'i8', torch.uint8: 'u8', torch.bool: 'bool',
}


def torch_entry(t):
    t = t.detach().contiguous()
    dt = TORCH_DTYPE[t.dtype]
    if dt == 'bf16':
        bits = t.view(torch.int16).numpy().astype(np.uint16).reshape(-1)
        return {'dtype': 'bf16', 'shape': list(t.shape), 'values': [enc_float(v) for v in t.float().numpy().reshape(-1)],
                'bits': [int(b) for b in bits]}
    return np_entry(t.numpy(), dt)


def write(name, data):
    with open(os.path.join(OUT, name), 'wb') as f:
        f.write(data)


# ---- .npy ------------------------------------------------------------------------------------------------------

def npy_fixtures(expected):
    rng = np.random.default_rng(0)
    arrays = {
        'f4.npy': (rng.standard_normal((2, 3)).astype('<f4'), 'f32'),
        'f8.npy': (np.array([math.pi, -1e300, 5e-324, -0.0], dtype='<f8'), 'f64'),
        'i8.npy': (np.array([2**40 + 1, -2**62, 0, 2**63 - 1], dtype='<i8'), 'i64'),
        'i4.npy': (np.array([[-7, 2**31 - 1], [-2**31, 3]], dtype='<i4'), 'i32'),
        'i2.npy': (np.array([-300, 12, 32767], dtype='<i2'), 'i16'),
        'i1.npy': (np.array([-128, 127, 0], dtype='|i1'), 'i8'),
        'u1.npy': (np.arange(0, 256, 51, dtype='|u1').reshape(2, 3), 'u8'),
        'b1.npy': (np.array([True, False, True, True]), 'bool'),
        'f2.npy': (np.array([1.0, -2.5, 65504, 6e-8, -0.0, np.inf, 0.1], dtype='<f2'), 'f16'),
        'f4_3d.npy': (np.arange(24, dtype='<f4').reshape(2, 3, 4) / 8, 'f32'),
        'scalar.npy': (np.array(2.75, dtype='<f8'), 'f64'),
        'empty.npy': (np.zeros((0, 3), dtype='<f4'), 'f32'),
        'f4_be.npy': (np.array([[1.5, -2.0], [3.25, 1e-20]], dtype='>f4'), 'f32'),
        'i8_be.npy': (np.array([1, -2, 2**50], dtype='>i8'), 'i64'),
    }
    exp = {}
    for name, (a, dt) in arrays.items():
        np.save(os.path.join(OUT, name), a)
        back = np.load(os.path.join(OUT, name))
        assert back.dtype == a.dtype and np.array_equal(back, a, equal_nan=True)
        exp[name] = np_entry(a.astype(a.dtype.newbyteorder('<')) if a.dtype.byteorder == '>' else a, dt)
    # Header versions 2.0 and 3.0 (np.save picks 1.0 for small headers).
    v2 = np.array([[1, 2, 3]], dtype='<i4')
    v3 = np.array([0.5, -0.5], dtype='<f8')
    for name, a, ver, dt in (('v2.npy', v2, (2, 0), 'i32'), ('v3.npy', v3, (3, 0), 'f64')):
        with open(os.path.join(OUT, name), 'wb') as f:
            np.lib.format.write_array(f, a, version=ver)
        assert np.array_equal(np.load(os.path.join(OUT, name)), a)
        exp[name] = np_entry(a, dt)
    expected['npy'] = exp
    # np.save output our encoder must reproduce byte for byte (little-endian, version 1.0).
    expected['npy_identical'] = ['f4.npy', 'f8.npy', 'i8.npy', 'i4.npy', 'i2.npy', 'i1.npy', 'u1.npy', 'b1.npy', 'f2.npy',
                                 'f4_3d.npy', 'scalar.npy', 'empty.npy']
    # Files we must reject.
    np.save(os.path.join(OUT, 'fortran.npy'), np.asfortranarray(np.arange(6, dtype='<f4').reshape(2, 3)))
    with open(os.path.join(OUT, 'fortran.npy'), 'rb') as f:
        assert b"'fortran_order': True" in f.read(128)
    np.save(os.path.join(OUT, 'object.npy'), np.array([1, 'a', None], dtype=object), allow_pickle=True)
    np.save(os.path.join(OUT, 'u4.npy'), np.array([1, 2], dtype='<u4'))
    expected['npy_errors'] = {'fortran.npy': 'Fortran-ordered arrays are not supported; save with np.ascontiguousarray',
                              'object.npy': 'object arrays', 'u4.npy': "unsupported dtype '<u4'"}


# ---- safetensors (hand-rolled per the spec: the safetensors package is not installed) ---------------------------

ST_DTYPE = {'f32': 'F32', 'f16': 'F16', 'bf16': 'BF16', 'f64': 'F64', 'i64': 'I64', 'i32': 'I32', 'i16': 'I16',
            'i8': 'I8', 'u8': 'U8', 'bool': 'BOOL'}
# Buffer order: widest dtype first, then by name.
ST_RANK = {'I64': 0, 'F64': 1, 'F32': 2, 'I32': 3, 'BF16': 4, 'F16': 5, 'I16': 6, 'I8': 7, 'U8': 8, 'BOOL': 9}


def safetensors_bytes(tensors, metadata):
    """tensors: name -> (ST dtype, shape, raw little-endian bytes)."""
    order = sorted(tensors, key=lambda k: (ST_RANK[tensors[k][0]], k))
    header = OrderedDict()
    if metadata:
        header['__metadata__'] = metadata
    off = 0
    for k in order:
        dt, shape, raw = tensors[k]
        header[k] = OrderedDict([('dtype', dt), ('shape', list(shape)), ('data_offsets', [off, off + len(raw)])])
        off += len(raw)
    text = json.dumps(header, separators=(',', ':')).encode('utf-8')
    text += b' ' * ((8 - len(text) % 8) % 8)
    return struct.pack('<Q', len(text)) + text + b''.join(tensors[k][2] for k in order), order


def safetensors_read(data):
    """Independent minimal reader used to check the file we wrote."""
    (n,) = struct.unpack('<Q', data[:8])
    header = json.loads(data[8:8 + n])
    base = 8 + n
    out = {}
    for k, v in header.items():
        if k == '__metadata__':
            continue
        b, e = v['data_offsets']
        out[k] = (v['dtype'], v['shape'], data[base + b:base + e])
    return header.get('__metadata__', {}), out


def safetensors_fixtures(expected):
    g = torch.Generator().manual_seed(1)
    ts = OrderedDict([
        ('weight', torch.randn(2, 3, generator=g)),
        ('half', torch.tensor([1.0, -2.5, 65504, 6e-8, -0.0, float('inf')], dtype=torch.float16)),
        ('bhalf', torch.tensor([1.0, -3.140625, 1e30, -0.0, 1.0 / 3], dtype=torch.bfloat16)),
        ('double', torch.tensor([math.pi, -1e300], dtype=torch.float64)),
        ('long', torch.tensor([2**40 + 1, -2**62, 0], dtype=torch.int64)),
        ('int', torch.tensor([-7, 2**31 - 1], dtype=torch.int32)),
        ('short', torch.tensor([-300, 12], dtype=torch.int16)),
        ('char', torch.tensor([-128, 127], dtype=torch.int8)),
        ('byte', torch.tensor([0, 255, 7], dtype=torch.uint8)),
        ('mask', torch.tensor([True, False, True])),
        ('scalar', torch.tensor(3.5)),
        ('empty', torch.zeros(0, 4)),
    ])
    raw = {}
    for k, t in ts.items():
        dt = TORCH_DTYPE[t.dtype]
        b = t.view(torch.int16).numpy().tobytes() if dt == 'bf16' else t.numpy().astype(t.numpy().dtype.newbyteorder('<')).tobytes()
        raw[k] = (ST_DTYPE[dt], list(t.shape), b)
    metadata = OrderedDict([('format', 'pt'), ('producer', 'dualneuron golden')])
    data, order = safetensors_bytes(raw, metadata)
    write('tensors.safetensors', data)
    meta_back, back = safetensors_read(data)
    assert meta_back == metadata and all(back[k] == raw[k] for k in raw)
    expected['safetensors'] = {
        'file': 'tensors.safetensors', 'metadata': metadata, 'order': order,
        'tensors': {k: torch_entry(t) for k, t in ts.items()},
    }


# ---- zip ---------------------------------------------------------------------------------------------------------

def zip_fixtures(expected):
    buf = io.BytesIO()
    contents = OrderedDict([
        ('a.txt', b'dualneuron ' * 40),
        ('dir/', b''),
        ('dir/b.bin', bytes(range(256))[::7]),
        ('stored.txt', b'stored, not deflated\n'),
    ])
    with zipfile.ZipFile(buf, 'w', compression=zipfile.ZIP_DEFLATED) as z:
        for name, data in contents.items():
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))  # fixed time: reproducible bytes
            info.compress_type = zipfile.ZIP_STORED if name == 'stored.txt' else zipfile.ZIP_DEFLATED
            info.external_attr = (0o40755 << 16) | 0x10 if name.endswith('/') else 0o644 << 16
            z.writestr(info, data)
        z.comment = b'a comment after the end of central directory'
    write('deflate.zip', buf.getvalue())
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as z:
        assert z.getinfo('a.txt').compress_type == zipfile.ZIP_DEFLATED
        assert all(z.read(n) == d for n, d in contents.items())

    # A zip64 archive built by hand (APPNOTE 4.3.14-4.3.16, 4.5.3): 32-bit fields set to 0xFFFFFFFF / 0xFFFF and the
    # real values in zip64 extra fields and the zip64 end-of-central-directory record.
    name, data = b'hello64.txt', b'hello zip64\n'
    crc = zipfile.crc32(data) & 0xffffffff
    local_extra = struct.pack('<HHQQ', 1, 16, len(data), len(data))
    local = struct.pack('<IHHHHHIIIHH', 0x04034b50, 45, 0, 0, 0, 0x21, crc, 0xffffffff, 0xffffffff, len(name),
                        len(local_extra)) + name + local_extra + data
    cd_extra = struct.pack('<HHQQQ', 1, 24, len(data), len(data), 0)
    central = struct.pack('<IHHHHHHIIIHHHHHII', 0x02014b50, 45, 45, 0, 0, 0, 0x21, crc, 0xffffffff, 0xffffffff,
                          len(name), len(cd_extra), 0, 0, 0, 0, 0xffffffff) + name + cd_extra
    cd_off = len(local)
    z64 = struct.pack('<IQHHIIQQQQ', 0x06064b50, 44, 45, 45, 0, 0, 1, 1, len(central), cd_off)
    z64_off = cd_off + len(central)
    locator = struct.pack('<IIQI', 0x07064b50, 0, z64_off, 1)
    eocd = struct.pack('<IHHHHIIH', 0x06054b50, 0xffff, 0xffff, 0xffff, 0xffff, 0xffffffff, 0xffffffff, 0)
    z64_bytes = local + central + z64 + locator + eocd
    with zipfile.ZipFile(io.BytesIO(z64_bytes)) as z:
        assert z.namelist() == ['hello64.txt'] and z.read('hello64.txt') == data
    write('zip64.zip', z64_bytes)
    expected['zip'] = {
        'deflate.zip': {n: d.hex() for n, d in contents.items()},
        'zip64.zip': {'hello64.txt': data.hex()},
    }


# ---- pickle ------------------------------------------------------------------------------------------------------

def penc(v):
    """Tagged JSON form of a Python value, for the TypeScript comparison."""
    if v is None or isinstance(v, bool):
        return v
    if isinstance(v, int):
        return {'int': str(v)}
    if isinstance(v, float):
        return {'float': enc_float(v)}
    if isinstance(v, str):
        return {'str': v}
    if isinstance(v, (bytes, bytearray)):
        return {'bytes': bytes(v).hex()}
    if isinstance(v, tuple):
        return {'tuple': [penc(x) for x in v]}
    if isinstance(v, list):
        return {'list': [penc(x) for x in v]}
    if isinstance(v, dict):
        return {'dict': [[penc(k), penc(x)] for k, x in v.items()]}
    if isinstance(v, (set, frozenset)):
        return {'set': [penc(x) for x in v]}
    if isinstance(v, Ext):
        return {'persid': v.name}
    raise TypeError(type(v))


class Ext:
    def __init__(self, name):
        self.name = name

    def __eq__(self, other):
        return isinstance(other, Ext) and other.name == self.name


class ExtPickler(pickle.Pickler):
    def persistent_id(self, obj):
        return obj.name if isinstance(obj, Ext) else None


class ExtUnpickler(pickle.Unpickler):
    def persistent_load(self, pid):
        return Ext(pid)


def pickle_fixtures(expected):
    shared = [1, 2]
    value = OrderedDict([
        ('a', 1), ('neg', -5), ('i16', 40000), ('i32', 70000), ('i32neg', -70000), ('big', 2**70), ('bigneg', -2**63),
        ('f', 1.5), ('tiny', 5e-324), ('nan', float('nan')), ('ninf', float('-inf')),
        ('s', 'h\u00e9llo \u2603\n\\ "q" \'a\''), ('empty', ''), ('b', b'\x00\xff\n'), ('ba', bytearray(b'ab')),
        ('t0', ()), ('t1', (1,)), ('t2', (1, 'x')), ('t3', (1, 2, 3)), ('t4', (1, 2, 3, 4)),
        ('l', [1, [2, 3], []]), ('none', None), ('T', True), ('F', False),
        ('set', {1, 2}), ('fs', frozenset({3})), ('od', OrderedDict([('x', 1), ('y', 2)])), ('d', {'k': 'v'}),
        ('shared', shared), ('shared2', shared), (5, 'intkey'), ('ext', Ext('ext1')),
    ])
    cases = []
    for proto in range(0, 6):
        f = io.BytesIO()
        ExtPickler(f, protocol=proto).dump(value)
        data = f.getvalue()
        back = ExtUnpickler(io.BytesIO(data)).load()
        assert penc(back) == penc(value)
        cases.append({'name': f'protocol {proto}', 'b64': base64.b64encode(data).decode(), 'value': 'common'})
    # Python 2 era opcodes Python 3 no longer writes: STRING, BINSTRING, SHORT_BINSTRING, INT (I01/I00), LONG, FLOAT,
    # DICT, LIST, GET/PUT, POP, DUP, POP_MARK.
    hand = (b"(S'it\\'s\\n'\np0\nU\x03abcT\x04\x00\x00\x00defgI01\nI00\nI-42\nL123456789012345678901L\nF2.5\n"
            b"g0\n(I9\n1(dp1\nS'k'\nI3\nsNN0(lp2\nI7\naI8\na2tp3\n.")
    back = pickle.loads(hand)
    assert back == ("it's\n", 'abc', 'defg', True, False, -42, 123456789012345678901, 2.5, "it's\n", {'k': 3}, None,
                    [7, 8], [7, 8]), back
    cases.append({'name': 'protocol 0/1 text opcodes', 'b64': base64.b64encode(hand).decode(), 'value': penc(back)})
    expected['pickle'] = {'common': penc(value), 'cases': cases}

    import fractions
    bad = pickle.dumps({'x': fractions.Fraction(1, 3)}, protocol=2)
    expected['pickle_errors'] = {
        'global': {'b64': base64.b64encode(bad).decode(), 'message': 'unsupported pickle global fractions.Fraction'},
        'truncated': {'b64': base64.b64encode(pickle.dumps([1, 'abc', 2.5], protocol=2)[:-6]).decode(),
                      'message': 'truncated'},
    }


# ---- PyTorch checkpoints ---------------------------------------------------------------------------------------

def check_load(path, tensors):
    loaded = torch.load(path, map_location='cpu')
    sd = loaded.get('state_dict', loaded)
    for k, t in tensors.items():
        assert sd[k].dtype == t.dtype and torch.equal(sd[k], t), k


def torch_fixtures(expected):
    g = torch.Generator().manual_seed(2)
    big = torch.arange(20, dtype=torch.float32) / 4
    state = OrderedDict([
        ('f32', torch.randn(2, 3, generator=g)),
        ('f16', torch.tensor([1.0, -2.5, 65504, 6e-8, -0.0, float('inf')], dtype=torch.float16)),
        ('bf16', torch.tensor([1.0, -3.140625, 1e30, 1.0 / 3], dtype=torch.bfloat16)),
        ('f64', torch.tensor([[math.pi], [-1e300]], dtype=torch.float64)),
        ('i64', torch.tensor([2**40 + 1, -2**62, 0], dtype=torch.int64)),
        ('i32', torch.tensor([-7, 2**31 - 1], dtype=torch.int32)),
        ('i16', torch.tensor([-300, 12], dtype=torch.int16)),
        ('i8', torch.tensor([-128, 127], dtype=torch.int8)),
        ('u8', torch.tensor([0, 255, 7], dtype=torch.uint8)),
        ('bool', torch.tensor([[True, False], [False, True]])),
        ('scalar', torch.tensor(7, dtype=torch.int64)),
        ('empty', torch.zeros(0, 3)),
        # Non-contiguous views: storage shared with a permuted / transposed / sliced layout.
        ('transposed', torch.arange(12, dtype=torch.float32).reshape(3, 4).t()),
        ('permuted_i64', torch.arange(24, dtype=torch.int64).reshape(2, 3, 4).permute(2, 0, 1)),
        ('half_t', torch.arange(6, dtype=torch.float16).reshape(2, 3).t()),
        ('big', big),
        ('slice', big[5:11].view(2, 3)),
        ('strided', big[2:14:3]),
        ('param', torch.nn.Parameter(torch.tensor([0.5, -0.25]))),
    ])
    assert not state['transposed'].is_contiguous() and state['slice'].storage_offset() == 5
    path = os.path.join(OUT, 'torch_state.pth')
    torch.save(state, path)
    check_load(path, state)
    with zipfile.ZipFile(path) as z:  # the shared storage really is shared: one storage for big/slice/strided
        assert sum(1 for n in z.namelist() if '/data/' in n) == len(state) - 2

    torch.manual_seed(3)
    module = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 2), torch.nn.BatchNorm2d(2))
    module[1].running_mean.uniform_()
    module[1].running_var.uniform_(0.5, 1.5)
    module[1].num_batches_tracked.fill_(7)
    sd = module.state_dict()
    path = os.path.join(OUT, 'torch_module.pth')
    torch.save(sd, path)
    check_load(path, sd)

    path = os.path.join(OUT, 'torch_nested.pth')
    nested = {'epoch': 3, 'arch': 'tiny', 'best': 0.25, 'args': argparse.Namespace(lr=0.1), 'state_dict': sd,
              'optimizer': {'state': {}, 'param_groups': [{'lr': 0.1, 'params': [0, 1]}]}}
    torch.save(nested, path, pickle_protocol=4)
    check_load(path, sd)

    path = os.path.join(OUT, 'torch_legacy.pth')
    torch.save({'w': torch.ones(2)}, path, _use_new_zipfile_serialization=False)
    assert not zipfile.is_zipfile(path)
    path = os.path.join(OUT, 'torch_numpy.pth')
    torch.save({'w': torch.ones(1), 'arr': np.arange(3)}, path)

    expected['torch'] = {
        'torch_state.pth': {k: torch_entry(t) for k, t in state.items()},
        'torch_module.pth': {k: torch_entry(t) for k, t in sd.items()},
        'torch_nested.pth': {k: torch_entry(t) for k, t in sd.items()},
    }
    expected['torch_errors'] = {
        'torch_legacy.pth': 'legacy (pre-1.6) torch.save format; re-save with torch.save(obj, path) in PyTorch >= 1.6',
        'torch_numpy.pth': 'unsupported pickle global numpy.core.multiarray._reconstruct',
    }


# ---- upstream DualNeuron files (values only; the files stay outside the repository) --------------------------------

def upstream_expected(up):
    out = {'v1': []}
    picks = ['core.features.backbone.model.embeddings.patch_embeddings.weight', 'readout.all_sessions._mu',
             'readout.all_sessions._features', 'core.features.OutBatchNorm.running_var',
             'core.features.OutBatchNorm.num_batches_tracked']
    for i in range(1, 6):
        name = f'v1_convnext_{i}.pth.tar'
        sd = torch.load(os.path.join(up, 'V1GrayTaskDriven', name), map_location='cpu')
        rec = {'file': name, 'nkeys': len(sd), 'values': {}}
        if i == 1:
            rec['keys'] = {k: {'dtype': TORCH_DTYPE[t.dtype], 'shape': list(t.shape)} for k, t in sd.items()}
        for k in picks:
            t = sd[k].contiguous()
            flat = t.reshape(-1)
            rec['values'][k] = {
                'dtype': TORCH_DTYPE[t.dtype], 'shape': list(t.shape),
                'first': [str(int(v)) if t.dtype == torch.int64 else float(v) for v in flat[:4]],
                'last': str(int(flat[-1])) if t.dtype == torch.int64 else float(flat[-1]),
                'sum': math.fsum(float(v) for v in flat.double()),
            }
        out['v1'].append(rec)
        print(name, len(sd), {k: rec['values'][k]['first'][:2] for k in picks[:2]})
    for key, rel in (('mask', 'V1GrayTaskDriven/mask.npy'), ('natural_rgb', 'priors/natural_rgb.npy')):
        a = np.load(os.path.join(up, rel))
        flat = a.reshape(-1)
        idx = [0, 1, a.size // 2, a.size - 1]
        out[key] = {'path': rel, 'dtype': {'float64': 'f64', 'float32': 'f32'}[str(a.dtype)], 'shape': list(a.shape),
                    'at': [[i, float(flat[i])] for i in idx], 'sum': math.fsum(float(v) for v in flat)}
        print(rel, a.dtype, a.shape, out[key]['at'])
    dump_json(os.path.join(OUT, 'upstream_expected.json'), out)


def dump_json(path, obj):
    """Compact JSON, one line per top-level key (small files, readable diffs)."""
    lines = [f'{json.dumps(k)}:{json.dumps(v, separators=(",", ":"))}' for k, v in obj.items()]
    with open(path, 'w') as f:
        f.write('{\n' + ',\n'.join(lines) + '\n}\n')
    json.load(open(path))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--upstream', default=os.environ.get('DUALNEURON_UPSTREAM') or os.path.join(ROOT, '..', 'shared', 'upstream', 'dualneuron'))
    args = ap.parse_args()
    os.makedirs(OUT, exist_ok=True)
    expected = OrderedDict()
    npy_fixtures(expected)
    safetensors_fixtures(expected)
    zip_fixtures(expected)
    pickle_fixtures(expected)
    torch_fixtures(expected)
    dump_json(os.path.join(OUT, 'expected.json'), expected)
    if os.path.isdir(args.upstream):
        upstream_expected(args.upstream)
    else:
        print(f'upstream data not found at {args.upstream}; upstream_expected.json left as it is', file=sys.stderr)
    total = sum(os.path.getsize(os.path.join(OUT, n)) for n in os.listdir(OUT))
    print(f'wrote {len(os.listdir(OUT))} files, {total} bytes, to {OUT}')


if __name__ == '__main__':
    main()
