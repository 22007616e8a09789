// Sampling kernels over contiguous NCHW planes: grid_sample (bilinear / nearest, three padding modes), RoI Align
// and table-driven separable resampling (interpolate). One output element (or one grid point for a block of
// channels) per invocation: 1-D grids of 256 invocations (2-D past 65535 groups), or 3-D grids (columns / 64,
// rows, planes) that spare the integer divisions CPU adapters pay dearly for. Backward passes gather, so there
// are no atomics and results are deterministic.
import { TILE, bindings, linearMain, paramLayout, tiledMain } from './common.js';

export const SAMPLING_WG = 256;
/** invocations per workgroup of the kernels on 3-D grids (one row of outputs each) */
export const RESAMPLE_WG = 64;

export type GridPadding = 'zeros' | 'border' | 'reflection';

// ------------------------------------------------------------------ grid_sample
//
// Params: GRID_SAMPLE, shared by the grid_sample kernels.
/**
 * [n] invocations, [CB] channels per invocation and [nCB] channel blocks (forward), [entriesAt] first entry in
 * idx (backward x)
 */
export const GRID_SAMPLE = paramLayout({
  n: 'u32', N: 'u32', C: 'u32', H: 'u32', W: 'u32', Ho: 'u32', Wo: 'u32', xOff: 'u32', gridOff: 'u32', gyOff: 'u32', CB: 'u32', nCB: 'u32', entriesAt: 'u32',
});
const G = GRID_SAMPLE;

/**
 * `source_index(coord, size)` of ATen's GridSampler.h: unnormalise a grid coordinate, then apply the padding
 * mode (border: clip; reflection: reflect, then clip). Returns (index, d index / d coord), the derivative being
 * zero on clipped stretches and at the clip borders themselves, as PyTorch's `*_set_grad` helpers.
 */
function sourceIndexWGSL(padding: GridPadding, alignCorners: boolean): string {
  const unnorm = alignCorners
    ? 'let v = ((c + 1.0) / 2.0) * f32(size - 1); let d = f32(size - 1) / 2.0;'
    : 'let v = ((c + 1.0) * f32(size) - 1.0) / 2.0; let d = f32(size) / 2.0;';
  const [tl, th] = alignCorners ? ['0', '2 * (size - 1)'] : ['-1', '2 * size - 1'];
  const body = padding === 'zeros' ? 'return vec2<f32>(v, d);'
    : padding === 'border' ? 'let r = clip_coord(v, size); return vec2<f32>(r.x, d * r.y);'
      : `let rf = reflect_coord(v, ${tl}, ${th}); let r = clip_coord(rf.x, size); return vec2<f32>(r.x, d * rf.y * r.y);`;
  return `
fn clip_coord(v: f32, size: i32) -> vec2<f32> {
  if (v <= 0.0) { return vec2<f32>(0.0, 0.0); }
  let m = f32(size - 1);
  if (v >= m) { return vec2<f32>(m, 0.0); }
  return vec2<f32>(v, 1.0);
}
// reflect into [twice_low/2, twice_high/2]; (value, +-1)
fn reflect_coord(v: f32, twice_low: i32, twice_high: i32) -> vec2<f32> {
  if (twice_low == twice_high) { return vec2<f32>(0.0, 0.0); }
  let mn = f32(twice_low) / 2.0;
  let span = f32(twice_high - twice_low) / 2.0;
  var x = v - mn;
  var sgn = 1.0;
  if (x < 0.0) { sgn = -1.0; x = -x; }
  let flips = floor(x / span);
  let extra = x - flips * span;
  if (flips - 2.0 * floor(flips / 2.0) == 0.0) { return vec2<f32>(extra + mn, sgn); }
  return vec2<f32>(span - extra + mn, -sgn);
}
fn source_index(c: f32, size: i32) -> vec2<f32> {
  ${unnorm}
  ${body}
}
// floor of a source coordinate, kept in i32 range (far-away points only touch taps outside the image)
fn floor_i(v: f32, size: i32) -> i32 { return i32(floor(clamp(v, -4.0, f32(size) + 4.0))); }`;
}

const gridGeometry = `
  if (i >= ${G.get('n')}) { return; }
  let N = ${G.get('N')}; let C = ${G.get('C')}; let H = i32(${G.get('H')}); let W = i32(${G.get('W')}); let Ho = ${G.get('Ho')}; let Wo = ${G.get('Wo')};
  let HoWo = Ho * Wo;`;

/**
 * The taps of one grid point within a plane: element offsets (yy * W + xx), weights, and whether each tap lies
 * inside the image (taps outside read 0 and receive nothing). Bilinear: nw, ne, sw, se; nearest: one tap.
 */
function tapsWGSL(mode: 'bilinear' | 'nearest'): string {
  const body = mode === 'nearest'
    ? `let xn = i32(round(clamp(s.x, -4.0, f32(W) + 4.0))); let yn = i32(round(clamp(s.y, -4.0, f32(H) + 4.0)));
  let ok = xn >= 0 && xn < W && yn >= 0 && yn < H;
  return Taps(vec4<i32>(select(0, yn * W + xn, ok), 0, 0, 0), vec4<f32>(1.0, 0.0, 0.0, 0.0), vec4<bool>(ok, false, false, false));`
    : `let x0 = floor_i(s.x, W); let y0 = floor_i(s.y, H); let x1 = x0 + 1; let y1 = y0 + 1;
  let wx1 = s.x - f32(x0); let wx0 = f32(x1) - s.x; let wy1 = s.y - f32(y0); let wy0 = f32(y1) - s.y;
  let okx0 = x0 >= 0 && x0 < W; let okx1 = x1 >= 0 && x1 < W; let oky0 = y0 >= 0 && y0 < H; let oky1 = y1 >= 0 && y1 < H;
  let ok = vec4<bool>(oky0 && okx0, oky0 && okx1, oky1 && okx0, oky1 && okx1);
  let o = vec4<i32>(y0 * W + x0, y0 * W + x1, y1 * W + x0, y1 * W + x1);
  return Taps(select(vec4<i32>(0), o, ok), vec4<f32>(wx0 * wy0, wx1 * wy0, wx0 * wy1, wx1 * wy1), ok);`;
  return `
struct Taps { o: vec4<i32>, w: vec4<f32>, ok: vec4<bool> }
// s: source coordinates (x, y) after padding
fn taps_of(s: vec2<f32>, H: i32, W: i32) -> Taps {
  ${body}
}`;
}

/** The four (or one) tap values of a plane, 0 outside the image (loads use clamped offsets, then select). */
function tapValues(mode: 'bilinear' | 'nearest', buf: string, plane: string): string {
  if (mode === 'nearest') return `vec4<f32>(select(0.0, ${buf}[${plane} + u32(t.o.x)], t.ok.x), 0.0, 0.0, 0.0)`;
  return `select(vec4<f32>(0.0), vec4<f32>(${buf}[${plane} + u32(t.o.x)], ${buf}[${plane} + u32(t.o.y)], ${buf}[${plane} + u32(t.o.z)], ${buf}[${plane} + u32(t.o.w)]), t.ok)`;
}

/**
 * grid_sample forward. One invocation per grid point and block of CB channels (nCB blocks), grid points
 * fastest: the coordinates and taps are computed once and reused for every channel of the block.
 * out[n, c, ho, wo] samples x[n, c] at grid[n, ho, wo] = (x, y) in [-1, 1]; bilinear weighs the four
 * neighbours, nearest rounds half to even (WGSL round, as nearbyint). Bindings: out, x, grid.
 */
export function gridSampleWGSL(mode: 'bilinear' | 'nearest', padding: GridPadding, alignCorners: boolean): string {
  return `${bindings([{ name: 'out', type: 'f32', access: 'read_write' }], [{ name: 'x', type: 'f32', access: 'read' }, { name: 'grid', type: 'f32', access: 'read' }])}
${sourceIndexWGSL(padding, alignCorners)}
${tapsWGSL(mode)}
${linearMain(SAMPLING_WG)}
  ${gridGeometry}
  let CB = ${G.get('CB')}; let nCB = ${G.get('nCB')};
  let p = i % HoWo; let q = i / HoWo; let cb = q % nCB; let n = q / nCB;
  let gi = ${G.get('gridOff')} + (n * HoWo + p) * 2u;
  let t = taps_of(vec2<f32>(source_index(grid[gi], W).x, source_index(grid[gi + 1u], H).x), H, W);
  let c1 = min(cb * CB + CB, C);
  for (var c = cb * CB; c < c1; c++) {
    let nc = n * C + c;
    let plane = ${G.get('xOff')} + nc * u32(H * W);
    out[nc * HoWo + p] = dot(${tapValues(mode, 'x', 'plane')}, t.w);
  }
}
`;
}

/**
 * grid_sample backward w.r.t. x, step 1: for each batch n (one invocation each), the transpose of the sampling
 * as compressed rows: for every input pixel, the grid points that read it and their weights, in grid order.
 * Layout of idx: per batch n at n * (2 * HW + 1): starts[HW + 1] then cursors[HW]; then from entriesAt on, the
 * entries (grid point index) of batch n at entriesAt + n * 4 * P; wts holds their weights at n * 4 * P.
 * Bindings: idx, wts, grid.
 */
export function gridSampleTransposeWGSL(mode: 'bilinear' | 'nearest', padding: GridPadding, alignCorners: boolean): string {
  const J = mode === 'nearest' ? 1 : 4;
  return `${bindings([{ name: 'idx', type: 'u32', access: 'read_write' }, { name: 'wts', type: 'f32', access: 'read_write' }], [{ name: 'grid', type: 'f32', access: 'read' }])}
${sourceIndexWGSL(padding, alignCorners)}
${tapsWGSL(mode)}
${linearMain(1)}
  ${gridGeometry}
  let n = i;
  let HW = u32(H * W);
  let st = n * (2u * HW + 1u);
  let cur = st + HW + 1u;
  let ent = ${G.get('entriesAt')} + n * 4u * HoWo;
  let wb = n * 4u * HoWo;
  for (var k = 0u; k <= HW; k++) { idx[st + k] = 0u; }
  for (var p = 0u; p < HoWo; p++) {
    let gi = ${G.get('gridOff')} + (n * HoWo + p) * 2u;
    let t = taps_of(vec2<f32>(source_index(grid[gi], W).x, source_index(grid[gi + 1u], H).x), H, W);
    for (var j = 0; j < ${J}; j++) { if (t.ok[j]) { let k = st + u32(t.o[j]) + 1u; idx[k] = idx[k] + 1u; } }
  }
  for (var k = 0u; k < HW; k++) { idx[st + k + 1u] = idx[st + k + 1u] + idx[st + k]; idx[cur + k] = idx[st + k]; }
  for (var p = 0u; p < HoWo; p++) {
    let gi = ${G.get('gridOff')} + (n * HoWo + p) * 2u;
    let t = taps_of(vec2<f32>(source_index(grid[gi], W).x, source_index(grid[gi + 1u], H).x), H, W);
    for (var j = 0; j < ${J}; j++) {
      if (t.ok[j]) {
        let c = cur + u32(t.o[j]);
        let k = idx[c];
        idx[c] = k + 1u;
        idx[ent + k] = p;
        wts[wb + k] = t.w[j];
      }
    }
  }
}
`;
}

/**
 * grid_sample backward w.r.t. x, step 2: one invocation per input pixel (n, h, w) and block of 8 channels sums
 * gy over the grid points that read the pixel (the lists built by gridSampleTransposeWGSL), in grid order; each
 * list entry is loaded once for the 8 channels. Invocations: pixels fastest, then channel blocks, then batch.
 * Bindings: dx, gy, idx, wts.
 */
export function gridSampleGatherWGSL(): string {
  return `${bindings([{ name: 'dx', type: 'f32', access: 'read_write' }],
    [{ name: 'gy', type: 'f32', access: 'read' }, { name: 'idx', type: 'u32', access: 'read' }, { name: 'wts', type: 'f32', access: 'read' }])}
${linearMain(SAMPLING_WG)}
  ${gridGeometry}
  let HW = u32(H * W);
  let nCB = (C + 7u) / 8u;
  let hw = i % HW; let q = i / HW; let cb = q % nCB; let n = q / nCB;
  let st = n * (2u * HW + 1u);
  let ent = ${G.get('entriesAt')} + n * 4u * HoWo;
  let wb = n * 4u * HoWo;
  let c0 = cb * 8u;
  // rows of gy for the block's channels (the last block repeats channel C - 1 and drops it when writing)
  let base = ${G.get('gyOff')} + (n * C) * HoWo;
  let ra = base + vec4<u32>(min(c0, C - 1u), min(c0 + 1u, C - 1u), min(c0 + 2u, C - 1u), min(c0 + 3u, C - 1u)) * HoWo;
  let rb = base + vec4<u32>(min(c0 + 4u, C - 1u), min(c0 + 5u, C - 1u), min(c0 + 6u, C - 1u), min(c0 + 7u, C - 1u)) * HoWo;
  var a = vec4<f32>(0.0); var b = vec4<f32>(0.0);
  for (var k = idx[st + hw]; k < idx[st + hw + 1u]; k++) {
    let p = idx[ent + k]; let wk = wts[wb + k];
    a += wk * vec4<f32>(gy[ra.x + p], gy[ra.y + p], gy[ra.z + p], gy[ra.w + p]);
    b += wk * vec4<f32>(gy[rb.x + p], gy[rb.y + p], gy[rb.z + p], gy[rb.w + p]);
  }
  let o = (n * C + c0) * HW + hw;
  for (var j = 0u; j < 4u; j++) { if (c0 + j < C) { dx[o + j * HW] = a[j]; } }
  for (var j = 0u; j < 4u; j++) { if (c0 + 4u + j < C) { dx[o + (4u + j) * HW] = b[j]; } }
}
`;
}

/**
 * grid_sample (bilinear) backward w.r.t. the grid: one invocation per grid point sums, over channels, gy times
 * the derivative of the bilinear weights, then applies d index / d coord (PyTorch's gix/giy formulation).
 * Writes (d/dx, d/dy). Bindings: dgrid, gy, x, grid.
 */
export function gridSampleBackwardGridWGSL(padding: GridPadding, alignCorners: boolean): string {
  return `${bindings([{ name: 'dgrid', type: 'f32', access: 'read_write' }],
    [{ name: 'gy', type: 'f32', access: 'read' }, { name: 'x', type: 'f32', access: 'read' }, { name: 'grid', type: 'f32', access: 'read' }])}
${sourceIndexWGSL(padding, alignCorners)}
${tapsWGSL('bilinear')}
${linearMain(SAMPLING_WG)}
  ${gridGeometry}
  let p = i % HoWo; let n = i / HoWo;
  let gi = ${G.get('gridOff')} + i * 2u;
  let sx = source_index(grid[gi], W);
  let sy = source_index(grid[gi + 1u], H);
  let t = taps_of(vec2<f32>(sx.x, sy.x), H, W);
  let x0 = floor_i(sx.x, W); let y0 = floor_i(sy.x, H);
  let wx1 = sx.x - f32(x0); let wx0 = f32(x0 + 1) - sx.x; let wy1 = sy.x - f32(y0); let wy0 = f32(y0 + 1) - sy.x;
  var gix = 0.0; var giy = 0.0;
  for (var c = 0u; c < C; c++) {
    let nc = n * C + c;
    let plane = ${G.get('xOff')} + nc * u32(H * W);
    let go = gy[${G.get('gyOff')} + nc * HoWo + p];
    let v = ${tapValues('bilinear', 'x', 'plane')}; // nw, ne, sw, se
    gix += (wy0 * (v.y - v.x) + wy1 * (v.w - v.z)) * go;
    giy += (wx0 * (v.z - v.x) + wx1 * (v.w - v.y)) * go;
  }
  dgrid[i * 2u] = gix * sx.y;
  dgrid[i * 2u + 1u] = giy * sy.y;
}
`;
}

// ------------------------------------------------------------------ roi_align
//
// Params: ROI_ALIGN. Both kernels run on 3-D grids (columns / RESAMPLE_WG, rows, channel blocks), split by the
// engine past the device's limit.
/**
 * [blocks] channel blocks of 4 (K * ceil(C / 4) forward, N * ceil(C / 4) backward), [samplingRatio] <= 0:
 * adaptive, [aligned] 0 or 1, [off] x (forward) or gy (backward) offset
 */
export const ROI_ALIGN = paramLayout({
  blocks: 'u32', N: 'u32', C: 'u32', H: 'u32', W: 'u32', K: 'u32', PH: 'u32', PW: 'u32', spatialScale: 'f32', samplingRatio: 'i32', aligned: 'u32',
  off: 'u32', boxesOff: 'u32', tile: TILE,
});
const R = ROI_ALIGN;

const roiMain = `${tiledMain(R.at('tile'), [RESAMPLE_WG])}
  let N = ${R.get('N')}; let C = ${R.get('C')}; let H = i32(${R.get('H')}); let W = i32(${R.get('W')}); let K = ${R.get('K')}; let PH = ${R.get('PH')}; let PW = ${R.get('PW')};
  let nCB = (C + 3u) / 4u;`;

const roiCommon = `
struct Box { n: i32, x1: f32, y1: f32, bw: f32, bh: f32, gw: i32, gh: i32, count: f32 }
// box k as torchvision reads it: coordinates scaled (and shifted by -0.5 when aligned), at least 1 pixel wide
// unless aligned, bins of roi/pooled, and sampling_ratio or ceil(roi / pooled) samples per bin and axis
fn box_of(k: u32) -> Box {
  let at = ${R.get('boxesOff')} + k * 5u;
  let off = select(0.0, 0.5, ${R.get('aligned')} == 1u);
  let s = ${R.get('spatialScale')};
  let x1 = boxes[at + 1u] * s - off; let y1 = boxes[at + 2u] * s - off;
  let x2 = boxes[at + 3u] * s - off; let y2 = boxes[at + 4u] * s - off;
  var rw = x2 - x1; var rh = y2 - y1;
  if (${R.get('aligned')} == 0u) { rw = max(rw, 1.0); rh = max(rh, 1.0); }
  let bh = rh / f32(${R.get('PH')}); let bw = rw / f32(${R.get('PW')});
  var gh = ${R.get('samplingRatio')}; var gw = ${R.get('samplingRatio')};
  if (gh <= 0) { gh = i32(ceil(bh)); gw = i32(ceil(bw)); }
  return Box(i32(boxes[at]), x1, y1, bw, bh, gw, gh, f32(max(gh * gw, 1)));
}
// sample iy of bin p (start + p * bin + (iy + .5) * bin / grid, torchvision's order of operations)
fn sample_at(start: f32, bin: f32, p: u32, j: i32, grid: i32) -> f32 {
  return start + f32(p) * bin + (f32(j) + 0.5) * bin / f32(grid);
}`;

/**
 * The four channel planes c0..c0+3 of a block (the last block repeats channel C - 1 and drops it when writing)
 * as offsets of their first elements.
 */
const channelBlock = (first: string, planeSize: string) => `min(vec4<u32>(c0, c0 + 1u, c0 + 2u, c0 + 3u), vec4<u32>(C - 1u)) * ${planeSize} + ${first}`;

/**
 * RoI Align forward: out[k, c, ph, pw] = mean of the bin's bilinear samples, for a block of 4 channels per
 * invocation (sample positions and weights shared). Bindings: out, x, boxes.
 */
export function roiAlignWGSL(): string {
  return `${bindings([{ name: 'out', type: 'f32', access: 'read_write' }], [{ name: 'x', type: 'f32', access: 'read' }, { name: 'boxes', type: 'f32', access: 'read' }])}
${roiCommon}
fn ld(pb: vec4<u32>, o: i32) -> vec4<f32> { let u = u32(o); return vec4<f32>(x[pb.x + u], x[pb.y + u], x[pb.z + u], x[pb.w + u]); }
// torchvision's bilinear_interpolate: 0 outside [-1, size]; coordinates <= 0 read 0; the last row/column clamps
fn bilinear(pb: vec4<u32>, yin: f32, xin: f32, H: i32, W: i32) -> vec4<f32> {
  if (yin < -1.0 || yin > f32(H) || xin < -1.0 || xin > f32(W)) { return vec4<f32>(0.0); }
  var y = max(yin, 0.0); var xx = max(xin, 0.0);
  var yl = i32(y); var xl = i32(xx); var yh = yl + 1; var xh = xl + 1;
  if (yl >= H - 1) { yl = H - 1; yh = yl; y = f32(yl); }
  if (xl >= W - 1) { xl = W - 1; xh = xl; xx = f32(xl); }
  let ly = y - f32(yl); let lx = xx - f32(xl); let hy = 1.0 - ly; let hx = 1.0 - lx;
  return hy * hx * ld(pb, yl * W + xl) + hy * lx * ld(pb, yl * W + xh) + ly * hx * ld(pb, yh * W + xl) + ly * lx * ld(pb, yh * W + xh);
}
${roiMain}
  let pw = gid.x; let ph = gid.y;
  let kb = gid.z;
  if (pw >= PW || kb >= ${R.get('blocks')}) { return; }
  {
    let c0 = (kb % nCB) * 4u; let k = kb / nCB;
    let b = box_of(k);
    var acc = vec4<f32>(0.0);
    if (b.n >= 0 && b.n < i32(N)) {
      let pb = ${channelBlock(`${R.get('off')} + u32(b.n) * C * u32(H * W)`, 'u32(H * W)')};
      for (var iy = 0; iy < b.gh; iy++) {
        let y = sample_at(b.y1, b.bh, ph, iy, b.gh);
        for (var ix = 0; ix < b.gw; ix++) { acc += bilinear(pb, y, sample_at(b.x1, b.bw, pw, ix, b.gw), H, W); }
      }
      acc = acc / b.count;
    }
    let o = ((k * C + c0) * PH + ph) * PW + pw;
    for (var j = 0u; j < 4u; j++) { if (c0 + j < C) { out[o + j * PH * PW] = acc[j]; } }
  }
}
`;
}

/**
 * RoI Align backward w.r.t. x, one invocation per input pixel (n, h, w) and block of 4 channels. Bilinear
 * sampling is separable, so a sample's weight on (h, w) is wy(h) * wx(w); for every box of batch n the
 * invocation visits only the bins whose samples can reach row h and column w (a conservative range, the
 * weights decide) and sums gy * wy * wx / count. Bindings: dx, gy, boxes.
 */
export function roiAlignBackwardWGSL(): string {
  return `${bindings([{ name: 'dx', type: 'f32', access: 'read_write' }], [{ name: 'gy', type: 'f32', access: 'read' }, { name: 'boxes', type: 'f32', access: 'read' }])}
${roiCommon}
// weight of index \`at\` in the 1-D part of torchvision's bilinear_interpolate at coordinate v
fn w1d(vin: f32, size: i32, at: i32) -> f32 {
  if (vin < -1.0 || vin > f32(size)) { return 0.0; }
  var v = max(vin, 0.0);
  var lo = i32(v); var hi = lo + 1;
  if (lo >= size - 1) { lo = size - 1; hi = lo; v = f32(lo); }
  let l = v - f32(lo);
  var w = 0.0;
  if (lo == at) { w += 1.0 - l; }
  if (hi == at) { w += l; }
  return w;
}
// bins [first, last] whose samples may fall in [lo, hi] (all bins when the bin size is not positive)
fn bin_range(start: f32, bin: f32, lo: f32, hi: f32, count: u32) -> vec2<i32> {
  let last = f32(count) - 1.0;
  if (!(bin > 0.0)) { return vec2<i32>(0, i32(count) - 1); }
  let a = clamp(floor((lo - start) / bin) - 2.0, 0.0, last);
  let b = clamp(floor((hi - start) / bin) + 1.0, -1.0, last);
  return vec2<i32>(i32(a), i32(b));
}
${roiMain}
  let w = i32(gid.x); let h = i32(gid.y);
  let nb = gid.z;
  if (w >= W || nb >= ${R.get('blocks')}) { return; }
  // a sample reaches row h when its coordinate is in [h - 1, h + 1], or below 0 (row 0), or above H - 1 (row H - 1)
  let ylo = select(f32(h) - 1.0, -1.0, h == 0); let yhi = select(f32(h) + 1.0, f32(H), h == H - 1);
  let xlo = select(f32(w) - 1.0, -1.0, w == 0); let xhi = select(f32(w) + 1.0, f32(W), w == W - 1);
  {
    let c0 = (nb % nCB) * 4u; let n = nb / nCB;
    var acc = vec4<f32>(0.0);
    for (var k = 0u; k < K; k++) {
      let b = box_of(k);
      if (b.n != i32(n) || b.gh <= 0 || b.gw <= 0) { continue; }
      let rh = bin_range(b.y1, b.bh, ylo, yhi, PH);
      let rw = bin_range(b.x1, b.bw, xlo, xhi, PW);
      let gb = ${channelBlock(`${R.get('off')} + k * C * PH * PW`, 'PH * PW')};
      var sum = vec4<f32>(0.0);
      for (var ph = rh.x; ph <= rh.y; ph++) {
        var ay = 0.0;
        for (var iy = 0; iy < b.gh; iy++) { ay += w1d(sample_at(b.y1, b.bh, u32(ph), iy, b.gh), H, h); }
        if (ay == 0.0) { continue; }
        var inner = vec4<f32>(0.0);
        for (var pw = rw.x; pw <= rw.y; pw++) {
          var ax = 0.0;
          for (var ix = 0; ix < b.gw; ix++) { ax += w1d(sample_at(b.x1, b.bw, u32(pw), ix, b.gw), W, w); }
          if (ax != 0.0) {
            let o = u32(ph) * PW + u32(pw);
            inner += ax * vec4<f32>(gy[gb.x + o], gy[gb.y + o], gy[gb.z + o], gy[gb.w + o]);
          }
        }
        sum += ay * inner;
      }
      acc += sum / b.count;
    }
    let o = ((n * C + c0) * u32(H) + u32(h)) * u32(W) + u32(w);
    for (var j = 0u; j < 4u; j++) { if (c0 + j < C) { dx[o + j * u32(H * W)] = acc[j]; } }
  }
}
`;
}

// ------------------------------------------------------------------ separable resampling (interpolate)
//
// Params: RESAMPLE. Tables: output row oh reads input rows tidx[rowStarts + oh] + t with weights
// twt[rowWeights + oh * Ty + t], t < Ty (zero where it does not read); columns likewise from colStarts and
// colWeights.
/** input (H, W), output (OH, OW), taps per output row (Ty) and column (Tx), the tile base of the grid */
export const RESAMPLE = paramLayout({
  n: 'u32', planes: 'u32', H: 'u32', W: 'u32', OH: 'u32', OW: 'u32', Ty: 'u32', Tx: 'u32', xOff: 'u32',
  rowStarts: 'u32', colStarts: 'u32', rowWeights: 'u32', colWeights: 'u32', tile: TILE,
});

/**
 * out[plane, oh, ow] = sum_t sum_u wy[oh, t] * wx[ow, u] * x[plane, sy[oh] + t, sx[ow] + u]. With transposed
 * tables the same kernel computes the backward pass (a gather over the outputs each input feeds).
 * Bindings: out, x, tidx, twt.
 */
export function resample2dWGSL(kind: '2d' | 'rows' | 'cols' = '2d'): string {
  const L = RESAMPLE;
  // four planes per invocation share every table load: x4(k) reads offset k of the four planes
  const x4 = (k: string) => `vec4<f32>(x[pb.x + ${k}], x[pb.y + ${k}], x[pb.z + ${k}], x[pb.w + ${k}])`;
  // 'rows': Tx = 1 with an identity column table (a vertical 1-D pass); 'cols': Ty = 1 likewise (horizontal)
  const body = kind === 'rows'
    ? `for (var a = 0u; a < Ty; a++) { acc += twt[wy0 + a] * ${x4('(sy + a) * W')}; }`
    : kind === 'cols'
      ? `let row = sy * W;
    for (var b = 0u; b < Tx; b++) { acc += twt[wx0 + b] * ${x4('row + b')}; }`
      : `for (var a = 0u; a < Ty; a++) {
      let wy = twt[wy0 + a];
      if (wy == 0.0) { continue; }
      let row = (sy + a) * W;
      var r = vec4<f32>(0.0);
      for (var b = 0u; b < Tx; b++) { r += twt[wx0 + b] * ${x4('row + b')}; }
      acc += wy * r;
    }`;
  return `${bindings([{ name: 'out', type: 'f32', access: 'read_write' }],
    [{ name: 'x', type: 'f32', access: 'read' }, { name: 'tidx', type: 'i32', access: 'read' }, { name: 'twt', type: 'f32', access: 'read' }])}
// 3-D grid (columns / ${RESAMPLE_WG}, rows, blocks of 4 planes): no integer division per output (costly on CPU
// adapters), table entries loaded once for four planes
${tiledMain(L.at('tile'), [RESAMPLE_WG])}
  let planes = ${L.get('planes')}; let H = ${L.get('H')}; let W = ${L.get('W')}; let OH = ${L.get('OH')}; let OW = ${L.get('OW')}; let Ty = ${L.get('Ty')}; let Tx = ${L.get('Tx')};
  let ow = gid.x; let oh = gid.y;
  let p0 = gid.z * 4u;
  if (ow >= OW || p0 >= planes) { return; }
  let sy = u32(tidx[${L.get('rowStarts')} + oh]); let sx = u32(tidx[${L.get('colStarts')} + ow]);
  let wy0 = ${L.get('rowWeights')} + oh * Ty; let wx0 = ${L.get('colWeights')} + ow * Tx;
  {
    // the last block repeats the last plane and drops it when writing
    let pl = min(vec4<u32>(p0, p0 + 1u, p0 + 2u, p0 + 3u), vec4<u32>(planes - 1u));
    let pb = ${L.get('xOff')} + pl * (H * W) + sx;
    var acc = vec4<f32>(0.0);
    ${body}
    let o = (p0 * OH + oh) * OW + ow;
    for (var j = 0u; j < 4u; j++) { if (p0 + j < planes) { out[o + j * OH * OW] = acc[j]; } }
  }
}
`;
}
