// Sampling kernels over contiguous NCHW planes: grid_sample (bilinear / nearest, three padding modes), RoI Align
// and table-driven separable resampling (interpolate). One output element per invocation, 256 per workgroup,
// 2-D grid past 65535 groups. Backward passes gather (or own whole row bands), so there are no atomics and the
// results are deterministic.
import { bindings, linearMain, pf, pi, pu } from './common.js';

export const SAMPLING_WG = 256;

export type GridPadding = 'zeros' | 'border' | 'reflection';

// ------------------------------------------------------------------ grid_sample
//
// Params (u32 words) shared by the grid_sample kernels:
//   [0] n (invocations)  [1] N  [2] C  [3] H  [4] W  [5] Ho  [6] Wo
//   [7] x offset  [8] grid offset  [9] gy offset  [10] bands (backward x)  [11] rows per band (backward x)

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
  let N = P[1]; let C = P[2]; let H = i32(P[3]); let W = i32(P[4]); let Ho = P[5]; let Wo = P[6];
  let HoWo = Ho * Wo;`;

/**
 * grid_sample forward: out[n, c, ho, wo] from x[n, c] at grid[n, ho, wo] = (x, y) in [-1, 1]. Bilinear weighs
 * the four neighbours (taps outside the image read 0); nearest rounds half to even (WGSL round, as nearbyint).
 * Bindings: out, x, grid.
 */
export function gridSampleWGSL(mode: 'bilinear' | 'nearest', padding: GridPadding, alignCorners: boolean): string {
  const sample = mode === 'nearest'
    ? 'out[i] = tap(plane, i32(round(clamp(iy, -4.0, f32(H) + 4.0))), i32(round(clamp(ix, -4.0, f32(W) + 4.0))), H, W);'
    : `let x0 = floor_i(ix, W); let y0 = floor_i(iy, H);
  let wx1 = ix - f32(x0); let wx0 = f32(x0 + 1) - ix; let wy1 = iy - f32(y0); let wy0 = f32(y0 + 1) - iy;
  out[i] = tap(plane, y0, x0, H, W) * wx0 * wy0 + tap(plane, y0, x0 + 1, H, W) * wx1 * wy0
         + tap(plane, y0 + 1, x0, H, W) * wx0 * wy1 + tap(plane, y0 + 1, x0 + 1, H, W) * wx1 * wy1;`;
  return `${bindings([{ name: 'out', type: 'f32', access: 'read_write' }], [{ name: 'x', type: 'f32', access: 'read' }, { name: 'grid', type: 'f32', access: 'read' }])}
${sourceIndexWGSL(padding, alignCorners)}
fn tap(plane: u32, yy: i32, xx: i32, H: i32, W: i32) -> f32 {
  if (yy >= 0 && yy < H && xx >= 0 && xx < W) { return x[plane + u32(yy * W + xx)]; }
  return 0.0;
}
${linearMain(SAMPLING_WG)}
  if (i >= P[0]) { return; }
  ${gridGeometry}
  let p = i % HoWo; let nc = i / HoWo; let n = nc / C;
  let gi = P[8] + (n * HoWo + p) * 2u;
  let ix = source_index(grid[gi], W).x;
  let iy = source_index(grid[gi + 1u], H).x;
  let plane = P[7] + nc * u32(H * W);
  ${sample}
}
`;
}

/**
 * grid_sample backward w.r.t. x. One invocation owns a band of P[11] rows of one (n, c) plane of dx: it zeroes
 * them, then walks every grid point of its batch in order and adds gy * weight for the taps that land in its
 * band. Bands (P[10] per plane) trade recomputed coordinates for parallelism. Bindings: dx, gy, grid.
 */
export function gridSampleBackwardXWGSL(mode: 'bilinear' | 'nearest', padding: GridPadding, alignCorners: boolean): string {
  const scatter = mode === 'nearest'
    ? `let xn = i32(round(clamp(ix, -4.0, f32(W) + 4.0))); let yn = i32(round(clamp(iy, -4.0, f32(H) + 4.0)));
    add(plane, yn, xn, go, r0, r1, W);`
    : `let x0 = floor_i(ix, W); let y0 = floor_i(iy, H);
    if (y0 + 1 < r0 || y0 >= r1) { continue; }
    let wx1 = ix - f32(x0); let wx0 = f32(x0 + 1) - ix; let wy1 = iy - f32(y0); let wy0 = f32(y0 + 1) - iy;
    add(plane, y0, x0, wx0 * wy0 * go, r0, r1, W);
    add(plane, y0, x0 + 1, wx1 * wy0 * go, r0, r1, W);
    add(plane, y0 + 1, x0, wx0 * wy1 * go, r0, r1, W);
    add(plane, y0 + 1, x0 + 1, wx1 * wy1 * go, r0, r1, W);`;
  return `${bindings([{ name: 'dx', type: 'f32', access: 'read_write' }], [{ name: 'gy', type: 'f32', access: 'read' }, { name: 'grid', type: 'f32', access: 'read' }])}
${sourceIndexWGSL(padding, alignCorners)}
fn add(plane: u32, yy: i32, xx: i32, v: f32, r0: i32, r1: i32, W: i32) {
  if (yy >= r0 && yy < r1 && xx >= 0 && xx < W) { let k = plane + u32(yy * W + xx); dx[k] = dx[k] + v; }
}
${linearMain(SAMPLING_WG)}
  if (i >= P[0]) { return; }
  ${gridGeometry}
  let bands = P[10]; let rows = i32(P[11]);
  let band = i % bands; let nc = i / bands; let n = nc / C;
  let r0 = i32(band) * rows; let r1 = min(r0 + rows, H);
  let plane = nc * u32(H * W);
  for (var k = plane + u32(r0 * W); k < plane + u32(r1 * W); k++) { dx[k] = 0.0; }
  for (var p = 0u; p < HoWo; p++) {
    let gi = P[8] + (n * HoWo + p) * 2u;
    let ix = source_index(grid[gi], W).x;
    let iy = source_index(grid[gi + 1u], H).x;
    let go = gy[P[9] + nc * HoWo + p];
    ${scatter}
  }
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
fn tap(plane: u32, yy: i32, xx: i32, H: i32, W: i32) -> f32 {
  if (yy >= 0 && yy < H && xx >= 0 && xx < W) { return x[plane + u32(yy * W + xx)]; }
  return 0.0;
}
${linearMain(SAMPLING_WG)}
  if (i >= P[0]) { return; }
  ${gridGeometry}
  let p = i % HoWo; let n = i / HoWo;
  let gi = P[8] + i * 2u;
  let sx = source_index(grid[gi], W);
  let sy = source_index(grid[gi + 1u], H);
  let ix = sx.x; let iy = sy.x;
  let x0 = floor_i(ix, W); let y0 = floor_i(iy, H);
  let wx1 = ix - f32(x0); let wx0 = f32(x0 + 1) - ix; let wy1 = iy - f32(y0); let wy0 = f32(y0 + 1) - iy;
  var gix = 0.0; var giy = 0.0;
  for (var c = 0u; c < C; c++) {
    let nc = n * C + c;
    let plane = P[7] + nc * u32(H * W);
    let go = gy[P[9] + nc * HoWo + p];
    let nw = tap(plane, y0, x0, H, W); let ne = tap(plane, y0, x0 + 1, H, W);
    let sw = tap(plane, y0 + 1, x0, H, W); let se = tap(plane, y0 + 1, x0 + 1, H, W);
    gix += (wy0 * (ne - nw) + wy1 * (se - sw)) * go;
    giy += (wx0 * (sw - nw) + wx1 * (se - ne)) * go;
  }
  dgrid[i * 2u] = gix * sx.y;
  dgrid[i * 2u + 1u] = giy * sy.y;
}
`;
}

// ------------------------------------------------------------------ roi_align
//
// Params: [0] n  [1] N  [2] C  [3] H  [4] W  [5] K  [6] PH  [7] PW  [8] spatialScale (f32)  [9] samplingRatio
// (i32, <= 0: adaptive)  [10] aligned  [11] x / gy offset  [12] boxes offset

const roiCommon = `
struct Box { n: i32, x1: f32, y1: f32, bw: f32, bh: f32, gw: i32, gh: i32, count: f32 }
// box k as torchvision reads it: coordinates scaled (and shifted by -0.5 when aligned), at least 1 pixel wide
// unless aligned, bins of roi/pooled, and sampling_ratio or ceil(roi / pooled) samples per bin and axis
fn box_of(k: u32) -> Box {
  let at = ${pu(12)} + k * 5u;
  let off = select(0.0, 0.5, ${pu(10)} == 1u);
  let s = ${pf(8)};
  let x1 = boxes[at + 1u] * s - off; let y1 = boxes[at + 2u] * s - off;
  let x2 = boxes[at + 3u] * s - off; let y2 = boxes[at + 4u] * s - off;
  var rw = x2 - x1; var rh = y2 - y1;
  if (${pu(10)} == 0u) { rw = max(rw, 1.0); rh = max(rh, 1.0); }
  let bh = rh / f32(${pu(6)}); let bw = rw / f32(${pu(7)});
  var gh = ${pi(9)}; var gw = ${pi(9)};
  if (gh <= 0) { gh = i32(ceil(bh)); gw = i32(ceil(bw)); }
  return Box(i32(boxes[at]), x1, y1, bw, bh, gw, gh, f32(max(gh * gw, 1)));
}
// sample iy of bin p (start + p * bin + (iy + .5) * bin / grid, torchvision's order of operations)
fn sample_at(start: f32, bin: f32, p: u32, j: i32, grid: i32) -> f32 {
  return start + f32(p) * bin + (f32(j) + 0.5) * bin / f32(grid);
}`;

/** RoI Align forward: out[k, c, ph, pw] = mean of the bin's bilinear samples. Bindings: out, x, boxes. */
export function roiAlignWGSL(): string {
  return `${bindings([{ name: 'out', type: 'f32', access: 'read_write' }], [{ name: 'x', type: 'f32', access: 'read' }, { name: 'boxes', type: 'f32', access: 'read' }])}
${roiCommon}
// torchvision's bilinear_interpolate: 0 outside [-1, size]; coordinates <= 0 read 0; the last row/column clamps
fn bilinear(plane: u32, yin: f32, xin: f32, H: i32, W: i32) -> f32 {
  if (yin < -1.0 || yin > f32(H) || xin < -1.0 || xin > f32(W)) { return 0.0; }
  var y = max(yin, 0.0); var xx = max(xin, 0.0);
  var yl = i32(y); var xl = i32(xx); var yh = yl + 1; var xh = xl + 1;
  if (yl >= H - 1) { yl = H - 1; yh = yl; y = f32(yl); }
  if (xl >= W - 1) { xl = W - 1; xh = xl; xx = f32(xl); }
  let ly = y - f32(yl); let lx = xx - f32(xl); let hy = 1.0 - ly; let hx = 1.0 - lx;
  return hy * hx * x[plane + u32(yl * W + xl)] + hy * lx * x[plane + u32(yl * W + xh)]
       + ly * hx * x[plane + u32(yh * W + xl)] + ly * lx * x[plane + u32(yh * W + xh)];
}
${linearMain(SAMPLING_WG)}
  if (i >= P[0]) { return; }
  let N = P[1]; let C = P[2]; let H = i32(P[3]); let W = i32(P[4]); let PH = P[6]; let PW = P[7];
  let pw = i % PW; let t = i / PW; let ph = t % PH; let t2 = t / PH; let c = t2 % C; let k = t2 / C;
  let b = box_of(k);
  if (b.n < 0 || b.n >= i32(N)) { out[i] = 0.0; return; }
  let plane = ${pu(11)} + (u32(b.n) * C + c) * u32(H * W);
  var acc = 0.0;
  for (var iy = 0; iy < b.gh; iy++) {
    let y = sample_at(b.y1, b.bh, ph, iy, b.gh);
    for (var ix = 0; ix < b.gw; ix++) {
      acc += bilinear(plane, y, sample_at(b.x1, b.bw, pw, ix, b.gw), H, W);
    }
  }
  out[i] = acc / b.count;
}
`;
}

/**
 * RoI Align backward w.r.t. x, one invocation per input element (n, c, h, w). Bilinear sampling is separable,
 * so a sample's weight on (h, w) is wy(h) * wx(w); for every box of batch n the invocation visits only the bins
 * whose samples can reach row h and column w (a conservative range, the weights decide) and sums
 * gy * wy * wx / count. Bindings: dx, gy, boxes.
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
${linearMain(SAMPLING_WG)}
  if (i >= P[0]) { return; }
  let N = P[1]; let C = P[2]; let H = i32(P[3]); let W = i32(P[4]); let K = P[5]; let PH = P[6]; let PW = P[7];
  let w = i32(i % u32(W)); let t = i / u32(W); let h = i32(t % u32(H)); let nc = t / u32(H); let c = nc % C; let n = i32(nc / C);
  // a sample reaches row h when its coordinate is in [h - 1, h + 1], or below 0 (row 0), or above H - 1 (row H - 1)
  let ylo = select(f32(h) - 1.0, -1.0, h == 0); let yhi = select(f32(h) + 1.0, f32(H), h == H - 1);
  let xlo = select(f32(w) - 1.0, -1.0, w == 0); let xhi = select(f32(w) + 1.0, f32(W), w == W - 1);
  var acc = 0.0;
  for (var k = 0u; k < K; k++) {
    let b = box_of(k);
    if (b.n != n || b.gh <= 0 || b.gw <= 0) { continue; }
    let rh = bin_range(b.y1, b.bh, ylo, yhi, PH);
    let rw = bin_range(b.x1, b.bw, xlo, xhi, PW);
    var sum = 0.0;
    for (var ph = rh.x; ph <= rh.y; ph++) {
      var ay = 0.0;
      for (var iy = 0; iy < b.gh; iy++) { ay += w1d(sample_at(b.y1, b.bh, u32(ph), iy, b.gh), H, h); }
      if (ay == 0.0) { continue; }
      var inner = 0.0;
      let row = ${pu(11)} + ((k * C + c) * PH + u32(ph)) * PW;
      for (var pw = rw.x; pw <= rw.y; pw++) {
        var ax = 0.0;
        for (var ix = 0; ix < b.gw; ix++) { ax += w1d(sample_at(b.x1, b.bw, u32(pw), ix, b.gw), W, w); }
        if (ax != 0.0) { inner += ax * gy[row + u32(pw)]; }
      }
      sum += ay * inner;
    }
    acc += sum / b.count;
  }
  dx[i] = acc;
}
`;
}

// ------------------------------------------------------------------ separable resampling (interpolate)
//
// Params: [0] n  [1] planes  [2] H  [3] W (input)  [4] OH  [5] OW  [6] Ty  [7] Tx  [8] input offset
//   [9] first entry of the row table  [10] first entry of the column table
// Tables (bindings tidx: i32 input index, twt: f32 weight): output row oh reads input rows tidx[P9 + oh*Ty + t]
// with weights twt[same], t < Ty; columns likewise from P10. Unused entries have weight 0.

/**
 * out[plane, oh, ow] = sum_t sum_u wy[oh, t] * wx[ow, u] * x[plane, iy[oh, t], ix[ow, u]]. With transposed
 * tables the same kernel computes the backward pass (a gather over the outputs each input feeds).
 * Bindings: out, x, tidx, twt.
 */
export function resample2dWGSL(): string {
  return `${bindings([{ name: 'out', type: 'f32', access: 'read_write' }],
    [{ name: 'x', type: 'f32', access: 'read' }, { name: 'tidx', type: 'i32', access: 'read' }, { name: 'twt', type: 'f32', access: 'read' }])}
${linearMain(SAMPLING_WG)}
  if (i >= P[0]) { return; }
  let H = P[2]; let W = P[3]; let OH = P[4]; let OW = P[5]; let Ty = P[6]; let Tx = P[7];
  let ow = i % OW; let t = i / OW; let oh = t % OH; let plane = t / OH;
  let base = P[8] + plane * H * W;
  let ty0 = P[9] + oh * Ty; let tx0 = P[10] + ow * Tx;
  var acc = 0.0;
  for (var a = 0u; a < Ty; a++) {
    let wy = twt[ty0 + a];
    if (wy == 0.0) { continue; }
    let row = base + u32(tidx[ty0 + a]) * W;
    var r = 0.0;
    for (var b = 0u; b < Tx; b++) { r += twt[tx0 + b] * x[row + u32(tidx[tx0 + b])]; }
    acc += wy * r;
  }
  out[i] = acc;
}
`;
}
