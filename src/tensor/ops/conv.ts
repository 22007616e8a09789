// 2-D convolution and transposed convolution (torch.nn.functional.conv2d / conv_transpose2d semantics, NCHW, f32)
// with their VJPs. Shapes are checked here, before any GPU work; the kernels live in the `conv` family
// (backend/kernels/conv.ts). A conv2d's input gradient is the transposed convolution of the output gradient and
// its weight gradient a correlation of input and output gradient; convTranspose2d uses the same three kernels
// with the roles swapped.
import { DTypeError, ShapeError } from '../../errors.js';
import { Tensor } from '../tensor.js';
import { record } from '../autograd.js';
import { fmt } from '../shape.js';
import { kernelsFor } from '../backend/registry.js';
import { type Conv2dGeometry, type ConvKernel, convOutSize } from '../backend/kernels/conv.js';
import { backendOf, wrap } from './core.js';

export type { ConvKernel, Conv2dGeometry } from '../backend/kernels/conv.js';

export type IntPair = number | readonly [number, number];

export interface Conv2dOptions {
  stride?: IntPair;
  /** zero padding per side, [top/bottom, left/right]; 'valid' = 0; 'same' keeps H x W (stride 1 only) */
  padding?: IntPair | 'same' | 'valid';
  dilation?: IntPair;
  groups?: number;
  /** kernel choice for tests and benchmarks (default 'auto') */
  kernel?: ConvKernel;
}

export interface ConvTranspose2dOptions {
  stride?: IntPair;
  padding?: IntPair;
  /** extra rows/columns on the bottom/right of the output; must be smaller than stride or dilation */
  outputPadding?: IntPair;
  dilation?: IntPair;
  groups?: number;
  kernel?: ConvKernel;
}

function pairOf(op: string, name: string, v: IntPair | undefined, dflt: number, min: number): [number, number] {
  const p: [number, number] = v === undefined ? [dflt, dflt] : typeof v === 'number' ? [v, v] : [v[0], v[1]];
  if ((typeof v === 'object' && v !== null && v.length !== 2) || !p.every((s) => Number.isInteger(s) && s >= min)) {
    throw new ShapeError(`${op}: ${name} must be an integer >= ${min} or a pair of them, got ${JSON.stringify(v)}`);
  }
  return p;
}

function checkOperands(op: string, x: Tensor, weight: Tensor, bias: Tensor | null | undefined, what: string): void {
  for (const [n, t] of [['input', x], ['weight', weight], ['bias', bias]] as const) {
    if (t && t.dtype !== 'f32') throw new DTypeError(`${op}: ${n} must be f32, got ${t.dtype}`);
  }
  if (x.rank !== 4) throw new ShapeError(`${op}: input must be 4-D (N, C, H, W) or 3-D (C, H, W), got ${fmt(x.shape)}`);
  if (weight.rank !== 4) throw new ShapeError(`${op}: weight must be 4-D ${what}, got ${fmt(weight.shape)}`);
  if (x.shape.slice(1).some((s) => s <= 0) || weight.shape.some((s) => s <= 0)) {
    throw new ShapeError(`${op}: sizes must be positive, got input ${fmt(x.shape)} and weight ${fmt(weight.shape)}`);
  }
}

function checkGroups(op: string, groups: number | undefined): number {
  const g = groups ?? 1;
  if (!Number.isInteger(g) || g < 1) throw new ShapeError(`${op}: groups must be a positive integer, got ${groups}`);
  return g;
}

/** Run `fn` on a batched (N, C, H, W) view of a 3-D (C, H, W) input and drop the batch dim again. */
function unbatched(x: Tensor, fn: (x4: Tensor) => Tensor): Tensor {
  const y = fn(x.unsqueeze(0));
  return y.squeeze(0);
}

const kernels = (t: Tensor) => kernelsFor(t.backend, 'conv');

/**
 * 2-D convolution (cross-correlation) of x (N, C, H, W) with weight (O, C/groups, kH, kW) plus bias (O), as
 * torch.nn.functional.conv2d. Gradients flow to x, weight and bias, whichever require them.
 */
export function conv2d(x: Tensor, weight: Tensor, bias: Tensor | null = null, opts: Conv2dOptions = {}): Tensor {
  const op = 'conv2d';
  if (x.rank === 3) return unbatched(x, (x4) => conv2d(x4, weight, bias, opts));
  const backend = backendOf(op, x, weight, bias);
  checkOperands(op, x, weight, bias, '(out_channels, in_channels / groups, kH, kW)');
  const groups = checkGroups(op, opts.groups);
  const [N, C, H, W] = x.shape, [O, Cw, kH, kW] = weight.shape;
  if (C % groups !== 0) throw new ShapeError(`${op}: input channels ${C} (input ${fmt(x.shape)}) are not divisible by groups=${groups}`);
  if (O % groups !== 0) throw new ShapeError(`${op}: output channels ${O} (weight ${fmt(weight.shape)}) are not divisible by groups=${groups}`);
  if (Cw !== C / groups) {
    throw new ShapeError(`${op}: weight ${fmt(weight.shape)} expects ${Cw * groups} input channels (${Cw} per group x ${groups} groups), but the input ${fmt(x.shape)} has ${C}`);
  }
  if (bias && (bias.rank !== 1 || bias.shape[0] !== O)) throw new ShapeError(`${op}: bias must have shape [${O}] for weight ${fmt(weight.shape)}, got ${fmt(bias.shape)}`);
  const [sH, sW] = pairOf(op, 'stride', opts.stride, 1, 1);
  const [dH, dW] = pairOf(op, 'dilation', opts.dilation, 1, 1);
  let pT: number, pB: number, pL: number, pR: number;
  if (opts.padding === 'same') {
    if (sH !== 1 || sW !== 1) throw new ShapeError(`${op}: padding='same' is not supported for strided convolutions (stride ${sH}x${sW}), as in PyTorch`);
    // PyTorch pads floor(total/2) before and the rest after
    const tH = dH * (kH - 1), tW = dW * (kW - 1);
    [pT, pB, pL, pR] = [Math.floor(tH / 2), tH - Math.floor(tH / 2), Math.floor(tW / 2), tW - Math.floor(tW / 2)];
  } else {
    const [pH, pW] = opts.padding === 'valid' ? [0, 0] : pairOf(op, 'padding', opts.padding, 0, 0);
    [pT, pB, pL, pR] = [pH, pH, pW, pW];
  }
  const eH = dH * (kH - 1) + 1, eW = dW * (kW - 1) + 1;
  if (eH > H + pT + pB || eW > W + pL + pR) {
    throw new ShapeError(`${op}: the kernel (${kH}x${kW}, dilation ${dH}x${dW}: ${eH}x${eW} input pixels) is larger than the padded input (${H + pT + pB}x${W + pL + pR}: input ${fmt(x.shape)}, padding ${pT},${pB},${pL},${pR})`);
  }
  const OH = convOutSize(H, kH, sH, pT, pB, dH), OW = convOutSize(W, kW, sW, pL, pR, dW);
  const g: Conv2dGeometry = { N, C, H, W, O, OH, OW, kH, kW, sH, sW, pT, pL, dH, dW, groups };
  if (N === 0) return wrap(backend, backend.alloc(0), [0, O, OH, OW], 'f32');

  const xc = x.contiguous(), wc = weight.contiguous(), bc = bias ? bias.contiguous() : null;
  const k = kernels(xc);
  const y = wrap(backend, k.conv2d(backend, xc.backendView(op), wc.backendView(op), bc ? bc.backendView(op) : null, g, opts.kernel), [N, O, OH, OW], 'f32');
  record(op, y, bias ? [xc, wc, bias] : [xc, wc], (gy) => {
    const gyc = gy.contiguous();
    const gv = gyc.backendView(`${op} backward`);
    return [
      xc.requiresGrad ? wrap(backend, k.conv2dBackwardInput(backend, gv, wc.backendView(`${op} backward`), null, g), xc.shape, 'f32') : null,
      wc.requiresGrad ? wrap(backend, k.conv2dBackwardWeight(backend, xc.backendView(`${op} backward`), gv, g), wc.shape, 'f32') : null,
      bias?.requiresGrad ? gyc.sum([0, 2, 3]) : null,
    ];
  });
  bc?.dispose();
  releaseViews(y, xc, wc);
  return y;
}

/** The contiguous views an op made for its kernels: the tape keeps them when it recorded a node, else they go. */
function releaseViews(y: Tensor, ...views: (Tensor | null)[]): void {
  if (y.node) return;
  for (const v of views) v?.dispose();
}

/**
 * 2-D transposed convolution of x (N, Cin, H, W) with weight (Cin, Cout/groups, kH, kW) plus bias (Cout), as
 * torch.nn.functional.conv_transpose2d: the output is (N, Cout, (H-1)*stride - 2*padding + dilation*(kH-1) +
 * outputPadding + 1, ...). Gradients flow to x, weight and bias.
 */
export function convTranspose2d(x: Tensor, weight: Tensor, bias: Tensor | null = null, opts: ConvTranspose2dOptions = {}): Tensor {
  const op = 'convTranspose2d';
  if (x.rank === 3) return unbatched(x, (x4) => convTranspose2d(x4, weight, bias, opts));
  const backend = backendOf(op, x, weight, bias);
  checkOperands(op, x, weight, bias, '(in_channels, out_channels / groups, kH, kW)');
  const groups = checkGroups(op, opts.groups);
  const [N, Cin, H, W] = x.shape, [Cw, Cog, kH, kW] = weight.shape;
  if (Cin % groups !== 0) throw new ShapeError(`${op}: input channels ${Cin} (input ${fmt(x.shape)}) are not divisible by groups=${groups}`);
  if (Cw !== Cin) throw new ShapeError(`${op}: weight ${fmt(weight.shape)} expects ${Cw} input channels, but the input ${fmt(x.shape)} has ${Cin}`);
  const Cout = Cog * groups;
  if (bias && (bias.rank !== 1 || bias.shape[0] !== Cout)) throw new ShapeError(`${op}: bias must have shape [${Cout}] for weight ${fmt(weight.shape)} and groups=${groups}, got ${fmt(bias.shape)}`);
  const [sH, sW] = pairOf(op, 'stride', opts.stride, 1, 1);
  const [dH, dW] = pairOf(op, 'dilation', opts.dilation, 1, 1);
  const [pH, pW] = pairOf(op, 'padding', opts.padding, 0, 0);
  const [oH, oW] = pairOf(op, 'outputPadding', opts.outputPadding, 0, 0);
  if ((oH >= sH && oH >= dH) || (oW >= sW && oW >= dW)) {
    throw new ShapeError(`${op}: output padding (${oH}, ${oW}) must be smaller than either stride (${sH}, ${sW}) or dilation (${dH}, ${dW})`);
  }
  const OHt = (H - 1) * sH - 2 * pH + dH * (kH - 1) + oH + 1, OWt = (W - 1) * sW - 2 * pW + dW * (kW - 1) + oW + 1;
  if (OHt <= 0 || OWt <= 0) {
    throw new ShapeError(`${op}: the output would be ${OHt}x${OWt} for input ${fmt(x.shape)}, weight ${fmt(weight.shape)}, stride ${sH}x${sW}, padding ${pH}x${pW}, dilation ${dH}x${dW}, output padding ${oH}x${oW}; reduce the padding`);
  }
  // the conv2d whose input gradient this is: input (N, Cout, OHt, OWt) -> output (N, Cin, H, W)
  const g: Conv2dGeometry = { N, C: Cout, H: OHt, W: OWt, O: Cin, OH: H, OW: W, kH, kW, sH, sW, pT: pH, pL: pW, dH, dW, groups };
  if (N === 0) return wrap(backend, backend.alloc(0), [0, Cout, OHt, OWt], 'f32');

  const xc = x.contiguous(), wc = weight.contiguous(), bc = bias ? bias.contiguous() : null;
  const k = kernels(xc);
  const y = wrap(backend, k.conv2dBackwardInput(backend, xc.backendView(op), wc.backendView(op), bc ? bc.backendView(op) : null, g, opts.kernel), [N, Cout, OHt, OWt], 'f32');
  record(op, y, bias ? [xc, wc, bias] : [xc, wc], (gy) => {
    const gyc = gy.contiguous();
    const gv = gyc.backendView(`${op} backward`);
    return [
      xc.requiresGrad ? wrap(backend, k.conv2d(backend, gv, wc.backendView(`${op} backward`), null, g), xc.shape, 'f32') : null,
      wc.requiresGrad ? wrap(backend, k.conv2dBackwardWeight(backend, gv, xc.backendView(`${op} backward`), g), wc.shape, 'f32') : null,
      bias?.requiresGrad ? gyc.sum([0, 2, 3]) : null,
    ];
  });
  bc?.dispose();
  releaseViews(y, xc, wc);
  return y;
}
