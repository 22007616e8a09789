// Views (reshape, permute, slice, expand, squeeze, flip: no copy) and copies (contiguous, concat, pad,
// indexSelect, gather), each with its VJP.
import { DTypeError, ShapeError } from '../../errors.js';
import { Tensor } from '../tensor.js';
import { noGrad, record } from '../autograd.js';
import type { DType } from '../dtype.js';
import { broadcastShapes, broadcastStrides, checkShape, contiguousStrides, fmt, normalizeAxes, normalizeAxis, numel } from '../shape.js';
import { backendOf, sumToShape, wrap } from './core.js';
import { elementwise } from './elementwise.js';
import { kernelsFor } from '../backend/registry.js';

// ------------------------------------------------------------------ views
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  x.backendView('reshape'); // DisposedError naming the op
  const s = [...shape];
  const neg = s.indexOf(-1);
  if (neg >= 0) {
    if (s.lastIndexOf(-1) !== neg) throw new ShapeError(`reshape: only one dimension can be -1, got ${fmt(shape)}`);
    const rest = numel(s.filter((_, i) => i !== neg));
    if (rest === 0 || x.size % rest !== 0) throw new ShapeError(`reshape: cannot reshape ${fmt(x.shape)} (${x.size} elements) to ${fmt(shape)}`);
    s[neg] = x.size / rest;
  }
  checkShape('reshape', s);
  if (numel(s) !== x.size) throw new ShapeError(`reshape: cannot reshape ${fmt(x.shape)} (${x.size} elements) to ${fmt(shape)} (${numel(s)} elements)`);
  let y: Tensor;
  if (x.isContiguous) y = x.viewAs(s, contiguousStrides(s), x.offset);
  else {
    const c = elementwise('copy', [x]);
    y = c.viewAs(s, contiguousStrides(s), 0);
    c.dispose(); // y holds the storage
  }
  if (x.requiresGrad) record('reshape', y, [x], (g) => [g.reshape(x.shape)]);
  return y;
}

export function permute(x: Tensor, dims: readonly number[]): Tensor {
  x.backendView('permute'); // DisposedError naming the op
  if (dims.length !== x.rank) throw new ShapeError(`permute: got ${dims.length} dims [${dims.join(', ')}] for a tensor of rank ${x.rank} (shape ${fmt(x.shape)})`);
  const d = dims.map((a) => normalizeAxis('permute', a, x.rank));
  if (new Set(d).size !== d.length) throw new ShapeError(`permute: repeated dim in [${dims.join(', ')}]`);
  const y = x.viewAs(d.map((i) => x.shape[i]), d.map((i) => x.strides[i]), x.offset);
  if (x.requiresGrad) {
    const inv = new Array<number>(d.length);
    d.forEach((v, i) => { inv[v] = i; });
    record('permute', y, [x], (g) => [g.permute(inv)]);
  }
  return y;
}

export function transpose(x: Tensor, d0 = -2, d1 = -1): Tensor {
  const a = normalizeAxis('transpose', d0, x.rank), b = normalizeAxis('transpose', d1, x.rank);
  const dims = x.shape.map((_, i) => i);
  [dims[a], dims[b]] = [dims[b], dims[a]];
  return permute(x, dims);
}

export type SliceSpec = number | null | undefined | readonly [number | null | undefined, (number | null | undefined)?, (number | null | undefined)?];

/**
 * Python-style slicing per dim: a number takes one index (dim kept with size 1 unless `squeeze`),
 * [start, stop, step] with negative indices from the end, null = whole range. Step must be positive (use flip).
 */
export function slice(x: Tensor, specs: readonly SliceSpec[]): Tensor {
  x.backendView('slice'); // DisposedError naming the op
  if (specs.length > x.rank) throw new ShapeError(`slice: ${specs.length} slice specs for a tensor of rank ${x.rank} (shape ${fmt(x.shape)})`);
  const shape = [...x.shape], strides = [...x.strides];
  let offset = x.offset;
  const starts: number[] = [], steps: number[] = [];
  specs.forEach((sp, d) => {
    const n = x.shape[d];
    let start = 0, stop = n, step = 1;
    if (typeof sp === 'number') {
      const i = sp < 0 ? sp + n : sp;
      if (i < 0 || i >= n) throw new ShapeError(`slice: index ${sp} is out of range for dim ${d} of size ${n}`);
      start = i; stop = i + 1;
    } else if (sp) {
      step = sp[2] ?? 1;
      if (!Number.isInteger(step) || step <= 0) throw new ShapeError(`slice: step must be a positive integer, got ${step} (use flip() to reverse)`);
      const norm = (v: number | null | undefined, dflt: number) => (v === null || v === undefined ? dflt : Math.min(Math.max(v < 0 ? v + n : v, 0), n));
      start = norm(sp[0], 0);
      stop = norm(sp[1], n);
    }
    const len = Math.max(0, Math.ceil((stop - start) / step));
    offset += start * x.strides[d];
    shape[d] = len;
    strides[d] = x.strides[d] * step;
    starts.push(start); steps.push(step);
  });
  for (let d = specs.length; d < x.rank; d++) { starts.push(0); steps.push(1); }
  const y = x.viewAs(shape, strides, numel(shape) === 0 ? x.offset : offset);
  if (x.requiresGrad) record('slice', y, [x], (g) => [sliceBackward(g, x.shape, starts, steps)]);
  return y;
}

/** zeros of `shape` with g written into the sliced region */
function sliceBackward(g: Tensor, shape: readonly number[], starts: number[], steps: number[]): Tensor {
  const b = g.backend;
  const out = wrap(b, b.fill(numel(shape), 0, g.dtype), shape, g.dtype);
  const cs = contiguousStrides(shape);
  const offset = starts.reduce((acc, s, d) => acc + s * cs[d], 0);
  b.assign({ buf: out.backendView('slice backward').buf, shape: g.shape, strides: cs.map((s, d) => s * steps[d]), offset, dtype: g.dtype }, g.backendView('slice backward'));
  return out;
}

/** Select index `i` along `axis`, removing that axis. */
export function select(x: Tensor, axis: number, i: number): Tensor {
  const a = normalizeAxis('select', axis, x.rank);
  const specs: SliceSpec[] = x.shape.map(() => null);
  specs[a] = i;
  return squeeze(slice(x, specs), a);
}

export function expand(x: Tensor, shape: readonly number[]): Tensor {
  x.backendView('expand'); // DisposedError naming the op
  const target = shape.map((s, i) => (s === -1 ? x.shape[i - (shape.length - x.rank)] : s));
  const b = broadcastShapes('expand', x.shape, target);
  if (b.some((s, i) => s !== target[i])) throw new ShapeError(`expand: cannot expand ${fmt(x.shape)} to ${fmt(shape)}`);
  const y = x.viewAs(target, broadcastStrides(x.shape, x.strides, target), x.offset);
  if (x.requiresGrad) record('expand', y, [x], (g) => [sumToShape(g, x.shape)]);
  return y;
}

export function squeeze(x: Tensor, axes?: number | readonly number[]): Tensor {
  x.backendView('squeeze'); // DisposedError naming the op
  const ax = axes === undefined ? x.shape.map((s, i) => (s === 1 ? i : -1)).filter((i) => i >= 0) : normalizeAxes('squeeze', axes, x.rank);
  for (const a of ax) if (x.shape[a] !== 1) throw new ShapeError(`squeeze: dim ${a} of ${fmt(x.shape)} has size ${x.shape[a]}, not 1`);
  const keep = x.shape.map((_, i) => i).filter((i) => !ax.includes(i));
  const y = x.viewAs(keep.map((i) => x.shape[i]), keep.map((i) => x.strides[i]), x.offset);
  if (x.requiresGrad) record('squeeze', y, [x], (g) => [g.reshape(x.shape)]);
  return y;
}

export function unsqueeze(x: Tensor, axis: number): Tensor {
  x.backendView('unsqueeze'); // DisposedError naming the op
  const a = normalizeAxis('unsqueeze', axis < 0 ? axis + x.rank + 1 : axis, x.rank + 1);
  const shape = [...x.shape], strides = [...x.strides];
  shape.splice(a, 0, 1);
  strides.splice(a, 0, a < x.rank ? x.strides[a] * x.shape[a] : 1);
  const y = x.viewAs(shape, strides, x.offset);
  if (x.requiresGrad) record('unsqueeze', y, [x], (g) => [g.reshape(x.shape)]);
  return y;
}

export function flip(x: Tensor, axes: number | readonly number[]): Tensor {
  x.backendView('flip'); // DisposedError naming the op
  const ax = normalizeAxes('flip', axes, x.rank);
  const strides = [...x.strides];
  let offset = x.offset;
  for (const a of ax) {
    if (x.shape[a] === 0) continue;
    offset += (x.shape[a] - 1) * x.strides[a];
    strides[a] = -x.strides[a];
  }
  const y = x.viewAs(x.shape, strides, offset);
  if (x.requiresGrad) record('flip', y, [x], (g) => [g.flip(ax)]);
  return y;
}

// ------------------------------------------------------------------ copies
/** A contiguous tensor with the same values (a new view of the same storage when x already is contiguous). */
export function contiguous(x: Tensor): Tensor {
  x.backendView('contiguous'); // DisposedError naming the op
  if (!x.isContiguous) return elementwiseCopy(x);
  const y = x.viewAs(x.shape, x.strides, x.offset);
  if (x.requiresGrad) record('contiguous', y, [x], (g) => [g]);
  return y;
}

function elementwiseCopy(x: Tensor): Tensor {
  const y = elementwise('copy', [x]);
  if (x.requiresGrad) record('contiguous', y, [x], (g) => [g]);
  return y;
}

/** Always a fresh contiguous buffer at offset 0. */
export function contiguousCopy(x: Tensor): Tensor { return elementwiseCopy(x); }

/** Contiguous at offset 0 (what indexing kernels read); a view when x already is. */
function dense(x: Tensor): Tensor {
  return x.isContiguous && x.offset === 0 ? x.viewAs(x.shape, x.strides, 0) : elementwise('copy', [x]);
}

export function to(x: Tensor, dtype: DType): Tensor {
  if (dtype === x.dtype) return contiguous(x);
  if (dtype === 'bool') return elementwise('castBool', [x]);
  const y = elementwise('cast', [x], [], dtype);
  if (x.requiresGrad && dtype === 'f32') record('to', y, [x], (g) => [g]);
  return y;
}

export function concat(xs: readonly Tensor[], axis = 0): Tensor {
  if (xs.length === 0) throw new ShapeError('concat: needs at least one tensor');
  const rank = xs[0].rank;
  const a = normalizeAxis('concat', axis, rank);
  const dtype = xs[0].dtype;
  for (const x of xs) {
    if (x.dtype !== dtype) throw new DTypeError(`concat: all tensors must have the same dtype, got ${dtype} and ${x.dtype}`);
    if (x.rank !== rank || x.shape.some((s, i) => i !== a && s !== xs[0].shape[i])) {
      throw new ShapeError(`concat: shapes ${xs.map((t) => fmt(t.shape)).join(', ')} differ outside dim ${a}`);
    }
  }
  const b = backendOf('concat', ...xs);
  const shape = [...xs[0].shape];
  shape[a] = xs.reduce((acc, x) => acc + x.shape[a], 0);
  const out = wrap(b, b.alloc(numel(shape)), shape, dtype);
  const cs = contiguousStrides(shape);
  const outBuf = out.backendView('concat').buf;
  let start = 0;
  for (const x of xs) {
    b.assign({ buf: outBuf, shape: x.shape, strides: cs, offset: start * cs[a], dtype }, x.backendView('concat'));
    start += x.shape[a];
  }
  if (xs.some((x) => x.requiresGrad)) {
    record('concat', out, [...xs], (g) => {
      let s = 0;
      return xs.map((x) => {
        const spec: SliceSpec[] = shape.map(() => null);
        spec[a] = [s, s + x.shape[a]];
        s += x.shape[a];
        return x.requiresGrad ? slice(g, spec) : null;
      });
    });
  }
  return out;
}

export function stack(xs: readonly Tensor[], axis = 0): Tensor {
  if (xs.length === 0) throw new ShapeError('stack: needs at least one tensor');
  const a = axis < 0 ? axis + xs[0].rank + 1 : axis;
  for (const x of xs) if (x.rank !== xs[0].rank || x.shape.some((s, i) => s !== xs[0].shape[i])) throw new ShapeError(`stack: all shapes must be equal, got ${xs.map((t) => fmt(t.shape)).join(', ')}`);
  return concat(xs.map((x) => unsqueeze(x, a)), a);
}

/** Split into pieces of `sizes` (array) or into pieces of size `sizes` (number; the last may be smaller). */
export function split(x: Tensor, sizes: number | readonly number[], axis = 0): Tensor[] {
  const a = normalizeAxis('split', axis, x.rank);
  const n = x.shape[a];
  let list: number[];
  if (typeof sizes === 'number') {
    if (sizes <= 0) throw new ShapeError(`split: piece size must be positive, got ${sizes}`);
    list = [];
    for (let s = 0; s < n; s += sizes) list.push(Math.min(sizes, n - s));
  } else list = [...sizes];
  if (list.reduce((p, q) => p + q, 0) !== n) throw new ShapeError(`split: sizes [${list.join(', ')}] do not add up to dim ${a} of size ${n}`);
  let s = 0;
  return list.map((len) => {
    const spec: SliceSpec[] = x.shape.map(() => null);
    spec[a] = [s, s + len];
    s += len;
    return slice(x, spec);
  });
}

export type PadMode = 'constant' | 'reflect' | 'replicate';

/**
 * torch.nn.functional.pad: `pads` lists (before, after) pairs starting from the LAST dim.
 * reflect mirrors without repeating the edge (needs pad < size); replicate repeats the edge.
 */
export function pad(x: Tensor, pads: readonly number[], mode: PadMode = 'constant', value = 0): Tensor {
  x.backendView('pad'); // DisposedError naming the op
  if (pads.length % 2 !== 0 || pads.length / 2 > x.rank) throw new ShapeError(`pad: pads must be (before, after) pairs for at most ${x.rank} dims, got [${pads.join(', ')}]`);
  if (pads.some((p) => !Number.isInteger(p) || p < 0)) throw new ShapeError(`pad: pads must be non-negative integers, got [${pads.join(', ')}] (use slice to crop)`);
  const perDim: [number, number][] = x.shape.map(() => [0, 0]);
  for (let k = 0; k < pads.length / 2; k++) perDim[x.rank - 1 - k] = [pads[2 * k], pads[2 * k + 1]];
  if (mode === 'constant') return padConstant(x, perDim, value);
  for (let d = 0; d < x.rank; d++) {
    const [l, r] = perDim[d], n = x.shape[d];
    if (l === 0 && r === 0) continue;
    if (mode === 'reflect' && (l >= n || r >= n)) throw new ShapeError(`pad: reflect padding (${l}, ${r}) must be smaller than the size ${n} of dim ${d} (shape ${fmt(x.shape)})`);
    if (n === 0) throw new ShapeError(`pad: cannot ${mode}-pad an empty dim ${d}`);
  }
  // only the last two dims padded (images): one gather kernel each way
  if (x.rank >= 2 && x.dtype === 'f32' && perDim.slice(0, -2).every(([l, r]) => l === 0 && r === 0)) return pad2dEdge(x, perDim, mode);
  let y = x;
  for (let d = 0; d < x.rank; d++) {
    const [l, r] = perDim[d];
    if (l === 0 && r === 0) continue;
    const n = y.shape[d];
    if (mode === 'reflect' && (l >= n || r >= n)) throw new ShapeError(`pad: reflect padding (${l}, ${r}) must be smaller than the size ${n} of dim ${d} (shape ${fmt(x.shape)})`);
    if (n === 0) throw new ShapeError(`pad: cannot ${mode}-pad an empty dim ${d}`);
    const at = (s: number, e: number): SliceSpec[] => y.shape.map((_, i) => (i === d ? [s, e] as const : null));
    const parts: Tensor[] = [];
    if (l > 0) parts.push(mode === 'reflect' ? flip(slice(y, at(1, l + 1)), d) : expand(slice(y, at(0, 1)), y.shape.map((s, i) => (i === d ? l : s))));
    parts.push(y);
    if (r > 0) parts.push(mode === 'reflect' ? flip(slice(y, at(n - 1 - r, n - 1)), d) : expand(slice(y, at(n - 1, n)), y.shape.map((s, i) => (i === d ? r : s))));
    y = concat(parts, d);
  }
  return y === x ? contiguous(x) : y;
}

/** reflect/replicate padding of the last two dims of an f32 tensor (the `image` family's pad2d kernels) */
function pad2dEdge(x: Tensor, perDim: [number, number][], mode: 'reflect' | 'replicate'): Tensor {
  const b = x.backend, op = 'pad';
  const [H, W] = x.shape.slice(-2) as [number, number];
  const [[pT, pB], [pL, pR]] = perDim.slice(-2) as [[number, number], [number, number]];
  const d = { planes: numel(x.shape.slice(0, -2)), H, W, pads: [pT, pB, pL, pR] as [number, number, number, number], mode };
  const xc = x.isContiguous ? x : noGrad(() => contiguous(x));
  const k = kernelsFor(b, 'image');
  const y = wrap(b, k.pad2d(b, xc.backendView(op), d), [...x.shape.slice(0, -2), H + pT + pB, W + pL + pR], 'f32');
  if (xc !== x) xc.dispose();
  if (x.requiresGrad) {
    record(op, y, [x], (g) => {
      const gc = g.isContiguous ? g : contiguous(g);
      const dx = wrap(b, k.pad2dBackward(b, gc.backendView(`${op} backward`), d), x.shape, 'f32');
      if (gc !== g) gc.dispose();
      return [dx];
    });
  }
  return y;
}

function padConstant(x: Tensor, perDim: [number, number][], value: number): Tensor {
  const b = x.backend;
  const shape = x.shape.map((s, d) => s + perDim[d][0] + perDim[d][1]);
  const out = wrap(b, b.fill(numel(shape), value, x.dtype), shape, x.dtype);
  const cs = contiguousStrides(shape);
  const offset = perDim.reduce((acc, [l], d) => acc + l * cs[d], 0);
  b.assign({ buf: out.backendView('pad').buf, shape: x.shape, strides: cs, offset, dtype: x.dtype }, x.backendView('pad'));
  if (x.requiresGrad) record('pad', out, [x], (g) => [slice(g, perDim.map(([l], d) => [l, l + x.shape[d]] as const))]);
  return out;
}

// ------------------------------------------------------------------ indexing
function checkIndex(op: string, idx: Tensor): void {
  if (idx.dtype !== 'i32') throw new DTypeError(`${op}: indices must be i32, got ${idx.dtype}`);
}

/** out = x.index_select(dim, idx) for a 1-D i32 index tensor. Indices are not range-checked on the GPU. */
export function indexSelect(x: Tensor, dim: number, idx: Tensor): Tensor {
  checkIndex('indexSelect', idx);
  if (idx.rank !== 1) throw new ShapeError(`indexSelect: indices must be 1-D, got shape ${fmt(idx.shape)}`);
  const a = normalizeAxis('indexSelect', dim, x.rank);
  const b = backendOf('indexSelect', x, idx);
  const xd = dense(x), id = dense(idx);
  const shape = [...x.shape];
  shape[a] = idx.shape[0];
  const y = wrap(b, b.indexSelect(xd.backendView('indexSelect'), a, id.backendView('indexSelect')), shape, x.dtype);
  xd.dispose();
  if (x.requiresGrad) {
    record('indexSelect', y, [x], (g) => {
      const gd = dense(g);
      const r = wrap(b, b.indexAdd(gd.backendView('indexSelect backward'), a, id.backendView('indexSelect backward'), x.shape), x.shape, x.dtype);
      gd.dispose();
      return [r];
    });
  } else id.dispose();
  return y;
}

/** torch.gather(x, dim, idx): idx has x's rank; out has idx's shape. */
export function gather(x: Tensor, dim: number, idx: Tensor): Tensor {
  checkIndex('gather', idx);
  const a = normalizeAxis('gather', dim, x.rank);
  if (idx.rank !== x.rank || idx.shape.some((s, d) => d !== a && s > x.shape[d])) {
    throw new ShapeError(`gather: index shape ${fmt(idx.shape)} must have the rank of x ${fmt(x.shape)} and no larger size outside dim ${a}`);
  }
  const b = backendOf('gather', x, idx);
  const xd = dense(x), id = dense(idx);
  const y = wrap(b, b.gather(xd.backendView('gather'), a, id.backendView('gather')), idx.shape, x.dtype);
  xd.dispose();
  if (x.requiresGrad) {
    record('gather', y, [x], (g) => {
      const gd = dense(g);
      const r = wrap(b, b.scatterAdd(gd.backendView('gather backward'), a, id.backendView('gather backward'), x.shape), x.shape, x.dtype);
      gd.dispose();
      return [r];
    });
  } else id.dispose();
  return y;
}

/**
 * In-place copy: write src (broadcast to dst's shape) into dst's storage, through dst's strides. Not recorded
 * by autograd (optimisers and running statistics use it); dst must not be part of a graph being differentiated.
 */
export function copyInto(dst: Tensor, src: Tensor): Tensor {
  dst.backendView('copy_');
  if (dst.dtype !== src.dtype) throw new DTypeError(`copy_: source dtype ${src.dtype} differs from destination ${dst.dtype}`);
  const b = backendOf('copy_', dst, src);
  const s = broadcastShapes('copy_', src.shape, dst.shape);
  if (s.some((v, i) => v !== dst.shape[i]) || s.length !== dst.rank) throw new ShapeError(`copy_: cannot write a ${fmt(src.shape)} tensor into ${fmt(dst.shape)}`);
  const sv = src.backendView('copy_');
  // write through a temporary when the two views share storage (the kernel reads and writes at once)
  const tmp = sv.buf === dst.backendView('copy_').buf ? elementwise('copy', [src]) : null;
  const v = tmp ? tmp.backendView('copy_') : sv;
  b.assign(dst.backendView('copy_'), { ...v, shape: dst.shape, strides: broadcastStrides(v.shape, v.strides, dst.shape) });
  tmp?.dispose();
  dst.bumpVersion();
  return dst;
}
