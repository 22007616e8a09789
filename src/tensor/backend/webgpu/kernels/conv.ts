// WebGPU implementation of the `conv` kernel family (shaders/conv.ts): kernel choice by shape and adapter.
//   forward:         depthwise direct kernel (groups == C == O); for 1x1, stride 1, unpadded, one group: the
//                    matmul kernels on GPUs; implicit GEMM otherwise
//   input gradient:  the depthwise kernel with rotated weights (depthwise, stride 1), implicit GEMM over stride
//                    phases otherwise
//   weight gradient: register-blocked correlation of x and gy with a split reduction
// The GEMM kernels read weights repacked for vec4 loads (one strided copy per call) once enough output pixels
// share them. 'naive' (one output per invocation) is the benchmark reference. On lavapipe the implicit GEMM
// beats the vec4 matmul kernels on 1x1 convolutions too (1.5-4x in bench/conv.bench.ts), so CPU adapters use it
// there as well.
import type { View } from '../../backend.js';
import type { GpuBuffer, WebGPUBackend } from '../webgpu-backend.js';
import type { Conv2dGeometry, ConvKernel, ConvKernels } from '../../kernels/conv.js';
import { grid1d } from '../../../../../shaders/common.js';
import {
  CONV_BIAS, CONV_DEPTHWISE, CONV_GEMM, CONV_GEMM_BWI, CONV_NAIVE, CONV_WEIGHT_GRAD, NAIVE_WG, type ConvGeometryField, convBiasAddWGSL, convGemmBackwardInputWGSL, convGemmWGSL, convNaiveBackwardInputWGSL,
  convNaiveBackwardWeightWGSL, convNaiveWGSL, convWeightGradWGSL, depthwiseKey, depthwiseWGSL, tileKey, weightGradKey,
  type ConvTileSpec, type ConvWeightGradSpec, type DepthwiseSpec,
} from '../../../../../shaders/conv.js';

const bufOf = (v: View) => v.buf as GpuBuffer;

/** The geometry fields of every conv layout (shaders/conv.ts), and the bias flag. */
function geometry(g: Conv2dGeometry, off0: number, off1: number, bias: View | null, work: number): Record<ConvGeometryField | 'hasBias', number> {
  const { N, C, H, W, O, OH, OW, kH, kW, sH, sW, pT, pL, dH, dW, groups } = g;
  return { N, C, H, W, O, OH, OW, kH, kW, sH, sW, pT, pL, dH, dW, groups, Cg: C / groups, Og: O / groups, off0, off1,
    offBias: bias?.offset ?? 0, work, hasBias: bias ? 1 : 0 };
}

/** Workgroups for `invocations` lanes of `wg` along x and `z` blocks (the engine splits grids past its limit). */
const grid = (invocations: number, wg: number, z = 1): [number, number, number] => [Math.ceil(invocations / wg), 1, z];

/**
 * Invocations per workgroup. Lanes past the end of the work return at once; sizing workgroups to small problems
 * measured no faster on lavapipe and would multiply pipelines.
 */
const WG = 64;
/**
 * Channels per invocation: 8, or 4 for groups of fewer than 8 channels (the clamped extra channels of a block
 * repeat work but keep the number of pipelines, each ~1-3 s of first-use compilation on lavapipe, small).
 */
const channelBlock = (perGroup: number) => (perGroup >= 8 ? 8 : 4);
/** Pixels per invocation of the implicit-GEMM kernels (measured best on lavapipe with 8 channels). */
const RP = 8;
/** Output pixels (N*OH*OW) from which the forward GEMM reads repacked vec4 weights. */
const VECW_MIN_PIXELS = 400;

/** The direct depthwise kernel is unrolled over its taps: up to 9x9 (larger kernels go through the GEMM). */
const isDepthwise = (g: Conv2dGeometry) => g.groups === g.C && g.groups === g.O && g.kH * g.kW <= 81;
const is1x1 = (g: Conv2dGeometry) => g.kH === 1 && g.kW === 1 && g.sH === 1 && g.sW === 1 && g.pT === 0 && g.pL === 0 && g.groups === 1;

/** Which forward kernel runs geometry g ('auto' resolved; a forced kernel that cannot run g falls back). */
function forwardKind(be: WebGPUBackend, g: Conv2dGeometry, requested: ConvKernel): Exclude<ConvKernel, 'auto'> {
  if (requested === 'naive' || requested === 'gemm') return requested;
  if (requested === 'depthwise' && isDepthwise(g)) return 'depthwise';
  if (requested === 'matmul' && is1x1(g)) return 'matmul';
  if (isDepthwise(g)) return 'depthwise';
  if (is1x1(g) && !be.isCpuAdapter) return 'matmul';
  return 'gemm';
}

function forward(be: WebGPUBackend, x: View, w: View, bias: View | null, g: Conv2dGeometry, kernel: ConvKernel = 'auto'): GpuBuffer {
  const n = g.N * g.O * g.OH * g.OW;
  const kind = forwardKind(be, g, kernel);
  if (kind === 'matmul') return forwardMatmul(be, x, w, bias, g);
  const out = be.alloc(n);
  if (n === 0) return out;
  const hasBias = bias !== null;
  if (kind === 'naive') {
    be.dispatch({ name: 'conv2d(naive)', key: `conv:naive:${hasBias}`, source: () => convNaiveWGSL(hasBias), workgroups: grid(n, NAIVE_WG),
      params: CONV_NAIVE.pack(geometry(g, x.offset, w.offset, bias, n)), tileAt: CONV_NAIVE.at('tile'), outputs: [out], inputs: [bufOf(x), bufOf(w), ...(bias ? [bufOf(bias)] : [])] });
  } else if (kind === 'depthwise') {
    depthwise(be, out, x, w, bias, g, false);
  } else {
    const Og = g.O / g.groups;
    const PC = Math.ceil((g.OH * g.OW) / RP), chunks = g.N * PC;
    // repacking the weights for vec4 loads pays off once enough pixels share them (+10-15% at >= 400 output
    // pixels on lavapipe, -30% at 49)
    const RC = channelBlock(Og);
    const vecW = RC === 8 && g.N * g.OH * g.OW >= VECW_MIN_PIXELS;
    const spec: ConvTileSpec = { RC, RP, WG, vecW };
    const CB = Math.ceil(Og / spec.RC);
    const Og4 = Math.ceil(Og / 4) * 4;
    const wt = vecW ? repackWeights(be, w, g) : null;
    be.dispatch({ name: 'conv2d(gemm)', key: `conv:gemm:${tileKey(spec)}`, source: () => convGemmWGSL(spec), workgroups: grid(chunks, spec.WG, CB * g.groups),
      params: CONV_GEMM.pack({ ...geometry(g, x.offset, wt ? 0 : w.offset, bias, chunks), PC, CB, Og4 }), tileAt: CONV_GEMM.at('tile'), outputs: [out], inputs: [bufOf(x), wt ?? bufOf(w), bufOf(bias ?? w)] });
    if (wt) be.free(wt);
  }
  return out;
}

/**
 * w (O, Cg, kH, kW) repacked for vec4 loads over output channels, as (groups, Cg, kH, kW, Og4), or with
 * `overInputs` over input channels, as (groups, Og, kH, kW, Cg4); the last dim is zero-padded to a multiple of 4.
 */
function repackWeights(be: WebGPUBackend, w: View, g: Conv2dGeometry, overInputs = false): GpuBuffer {
  const Cg = g.C / g.groups, Og = g.O / g.groups, KHW = g.kH * g.kW;
  const last = overInputs ? Cg : Og, last4 = Math.ceil(last / 4) * 4;
  const n = g.groups * Cg * Og / last * KHW * last4;
  const wt = last4 === last ? be.alloc(n) : be.fill(n, 0, 'f32');
  const shape = [g.groups, Og, Cg, g.kH, g.kW];
  const group = Cg * Og / last * KHW * last4;
  const strides = overInputs ? [group, KHW * last4, 1, g.kW * last4, last4] : [group, 1, KHW * last4, g.kW * last4, last4];
  be.assign({ buf: wt, shape, strides, offset: 0, dtype: 'f32' },
    { buf: w.buf, shape, strides: [Og * Cg * KHW, Cg * KHW, KHW, g.kW, 1], offset: w.offset, dtype: 'f32' });
  return wt;
}

/** 1x1, stride 1, unpadded, one group: y[n] (O x HW) = w (O x C) * x[n] (C x HW) with the matmul kernels. */
function forwardMatmul(be: WebGPUBackend, x: View, w: View, bias: View | null, g: Conv2dGeometry): GpuBuffer {
  const HW = g.H * g.W, n = g.N * g.O * HW;
  const y = be.matmul({
    a: { buf: w.buf, shape: [g.N, g.O, g.C], strides: [0, g.C, 1], offset: w.offset, dtype: 'f32' },
    b: { buf: x.buf, shape: [g.N, g.C, HW], strides: [g.C * HW, HW, 1], offset: x.offset, dtype: 'f32' },
  });
  if (bias && n > 0) {
    be.dispatch({ name: 'conv2d bias', key: 'conv:bias', source: convBiasAddWGSL, workgroups: grid1d(n, 256),
      params: CONV_BIAS.pack({ n, HW, O: g.O, offBias: bias.offset }), outputs: [y], inputs: [bufOf(bias)] });
  }
  return y;
}

/**
 * The direct depthwise kernel; `transposed` runs the stride-1 input gradient: the same kernel over gy with the
 * weights rotated by 180 degrees (a small strided copy, so both directions share one pipeline) and padding
 * d*(k-1) - p, which may be negative: a crop.
 */
function depthwise(be: WebGPUBackend, out: GpuBuffer, x: View, w: View, bias: View | null, g: Conv2dGeometry, transposed: boolean): void {
  const geo: Conv2dGeometry = transposed
    ? { ...g, H: g.OH, W: g.OW, OH: g.H, OW: g.W, pT: g.dH * (g.kH - 1) - g.pT, pL: g.dW * (g.kW - 1) - g.pL }
    : g;
  const KHW = g.kH * g.kW;
  let wr: GpuBuffer | null = null;
  if (transposed) {
    wr = be.alloc(g.C * KHW);
    const shape = [g.C, g.kH, g.kW];
    be.assign({ buf: wr, shape, strides: [KHW, g.kW, 1], offset: 0, dtype: 'f32' }, { buf: w.buf, shape, strides: [KHW, -g.kW, -1], offset: w.offset + KHW - 1, dtype: 'f32' });
  }
  const RY = 4, RX = 4;
  const BW = Math.ceil(geo.OW / RX), BH = Math.ceil(geo.OH / RY);
  const planes = geo.N * geo.C;
  const spec: DepthwiseSpec = { kH: g.kH, kW: g.kW, sH: g.sH, sW: g.sW, dH: g.dH, dW: g.dW, RY, RX, WG };
  be.dispatch({ name: transposed ? 'conv2d backward input(depthwise)' : 'conv2d(depthwise)', key: `conv:dw:${depthwiseKey(spec)}`,
    source: () => depthwiseWGSL(spec), workgroups: [Math.ceil((BW * BH) / spec.WG), planes, 1],
    params: CONV_DEPTHWISE.pack({ ...geometry(geo, x.offset, wr ? 0 : w.offset, bias, planes * BW * BH), BW, BH }), tileAt: CONV_DEPTHWISE.at('tile'), outputs: [out], inputs: [bufOf(x), wr ?? bufOf(w), bufOf(bias ?? w)] });
  if (wr) be.free(wr);
}

function backwardInput(be: WebGPUBackend, gy: View, w: View, bias: View | null, g: Conv2dGeometry, kernel: ConvKernel = 'auto'): GpuBuffer {
  const n = g.N * g.C * g.H * g.W;
  const out = be.alloc(n);
  if (n === 0) return out;
  const hasBias = bias !== null;
  if (kernel === 'naive') {
    be.dispatch({ name: 'conv2d backward input(naive)', key: `conv:naive:bwi:${hasBias}`, source: () => convNaiveBackwardInputWGSL(hasBias),
      workgroups: grid(n, NAIVE_WG), params: CONV_NAIVE.pack(geometry(g, gy.offset, w.offset, bias, n)), tileAt: CONV_NAIVE.at('tile'), outputs: [out], inputs: [bufOf(gy), bufOf(w), ...(bias ? [bufOf(bias)] : [])] });
    return out;
  }
  if (isDepthwise(g) && g.sH === 1 && g.sW === 1 && kernel !== 'gemm') {
    depthwise(be, out, gy, w, bias, g, true);
    return out;
  }
  const Cg = g.C / g.groups;
  const QH = Math.ceil(g.H / g.sH), QW = Math.ceil(g.W / g.sW);
  const PC = Math.ceil((QH * QW) / RP), chunks = g.N * PC;
  const RC = channelBlock(Cg);
  const vecW = RC === 8 && g.N * g.H * g.W >= VECW_MIN_PIXELS;
  const spec: ConvTileSpec = { RC, RP, WG, vecW };
  const CB = Math.ceil(Cg / spec.RC);
  const Cg4 = Math.ceil(Cg / 4) * 4;
  const wt = vecW ? repackWeights(be, w, g, true) : null;
  be.dispatch({ name: 'conv2d backward input(gemm)', key: `conv:gemm:bwi:${tileKey(spec)}`, source: () => convGemmBackwardInputWGSL(spec),
    workgroups: grid(chunks, spec.WG, g.sH * g.sW * g.groups * CB),
    params: CONV_GEMM_BWI.pack({ ...geometry(g, gy.offset, wt ? 0 : w.offset, bias, chunks), PC, CB, Cg4 }), tileAt: CONV_GEMM_BWI.at('tile'),
    outputs: [out], inputs: [bufOf(gy), wt ?? bufOf(w), bufOf(bias ?? w)] });
  if (wt) be.free(wt);
  return out;
}

function backwardWeight(be: WebGPUBackend, x: View, gy: View, g: Conv2dGeometry, kernel: ConvKernel = 'auto'): GpuBuffer {
  const Cg = g.C / g.groups, Og = g.O / g.groups;
  const taps = Cg * g.kH * g.kW;
  const size = g.O * taps;
  if (kernel === 'naive') {
    const out = be.alloc(size);
    be.dispatch({ name: 'conv2d backward weight(naive)', key: 'conv:naive:bww', source: convNaiveBackwardWeightWGSL, workgroups: grid(size, NAIVE_WG),
      params: CONV_NAIVE.pack(geometry(g, x.offset, gy.offset, null, size)), tileAt: CONV_NAIVE.at('tile'), outputs: [out], inputs: [bufOf(x), bufOf(gy)] });
    return out;
  }
  // one channel per invocation for depthwise-like groups (a block of 4 would repeat the one channel's work)
  const RO = Og < 4 ? 1 : channelBlock(Og), RT = 4;
  const lanes = Math.ceil(taps / RT);
  const spec: ConvWeightGradSpec = { RO, RT, WG };
  const OB = Math.ceil(Og / RO), TB = OB * g.groups;
  // split the (n, oy) rows so that there are enough invocations to fill the device, at >= 4 rows each
  const rows = g.N * g.OH;
  const target = be.isCpuAdapter ? 256 : 32768;
  const splits = Math.max(1, Math.min(Math.ceil(target / (lanes * TB)), Math.floor(rows / 4), 64, Math.floor((16 << 20) / size)));
  const rowsPer = Math.ceil(rows / splits);
  const used = Math.ceil(rows / rowsPer);
  const part = be.alloc(size * used);
  be.dispatch({ name: 'conv2d backward weight', key: `conv:bww:${weightGradKey(spec)}`, source: () => convWeightGradWGSL(spec),
    workgroups: grid(lanes, spec.WG, TB * used), params: CONV_WEIGHT_GRAD.pack({ ...geometry(g, x.offset, gy.offset, null, lanes), OB, rowsPer, TB }),
    tileAt: CONV_WEIGHT_GRAD.at('tile'), outputs: [part], inputs: [bufOf(x), bufOf(gy)] });
  if (used === 1) return part;
  const out = be.reduce('sum', { buf: part, shape: [size, used], strides: [1, size], offset: 0, dtype: 'f32' }, 1, 'f32');
  be.free(part);
  return out;
}

/** The WebGPU `conv` kernels (part of WEBGPU_KERNELS in ./index.ts). */
export const webgpuConvKernels: ConvKernels<WebGPUBackend> = {
  conv2d: forward,
  conv2dBackwardInput: backwardInput,
  conv2dBackwardWeight: backwardWeight,
};
