// Backend-level interface of the `norm` kernel family (layer norm over rows, per-channel statistics and affine
// maps for batch norm). Inputs are contiguous at any element offset; outputs are fresh contiguous buffers.
import type { BackendBuffer, View } from '../view.js';

/**
 * A contiguous tensor read as [outer, D, inner]: layer norm normalises over D for each (outer, inner) pair
 * (inner = 1 for the last dims, inner = H*W for channels-first); batch-norm kernels treat D as the channel.
 */
export interface NormDims { outer: number; D: number; inner: number }

/** Implemented once per backend B (the backend object is every function's first argument). */
export interface NormKernels<B> {
  /**
   * out = (x - mean) * rstd * weight[d] + bias[d] over D, with biased variance and rstd = 1/sqrt(var + eps);
   * with `withStats`, also the per-row mean and rstd (outer*inner values, row = o*inner + j).
   */
  layerNorm(b: B, x: View, d: NormDims, weight: View | null, bias: View | null, eps: number, withStats: boolean):
    { out: BackendBuffer; mean: BackendBuffer | null; rstd: BackendBuffer | null };
  /**
   * dx = rstd * (gy - mean_D(gy) - xhat * mean_D(gy * xhat)) with gy = g * weight and xhat = (x - mean) * rstd;
   * with `withGxhat`, also g * xhat (x's shape), which summed over rows is the weight gradient.
   */
  layerNormBackward(b: B, g: View, x: View, mean: View, rstd: View, weight: View | null, d: NormDims, withGxhat: boolean):
    { dx: BackendBuffer; gxhat: BackendBuffer | null };
  /** per-channel (D) mean and biased variance over the outer*inner values of each channel */
  channelStats(b: B, x: View, d: NormDims): { mean: BackendBuffer; variance: BackendBuffer };
  /** out[o, c, j] = x[o, c, j] * scale[c] + shift[c] (shift 0 when null) */
  channelAffine(b: B, x: View, d: NormDims, scale: View, shift: View | null): BackendBuffer;
  /**
   * ConvNeXt-V2 GRN statistics from the sums of squares S over (H, W), N rows of C: G = sqrt(S),
   * m[n] = mean_c G, Nx = G / (m + eps), s = 1 + gamma[floor(n / per), c] * Nx (gamma: one row of C values per
   * `per` consecutive samples; per = N: one row for all).
   */
  grnStats(b: B, sumsq: View, N: number, C: number, gamma: View, eps: number, per: number): { G: BackendBuffer; m: BackendBuffer; Nx: BackendBuffer; s: BackendBuffer };
  /**
   * GRN backward scale from t = sum_hw(g * x) (N rows of C), G and m of grnStats: with dNx = t * gamma[n / per, c] and
   * me = m + eps, dG = dNx / me - mean_c(dNx * G) / me^2 and k = dG / G, 0 where G = 0 (dx = g * s + x * k).
   */
  grnBackwardScale(b: B, t: View, G: View, m: View, gamma: View, N: number, C: number, eps: number, per: number): BackendBuffer;
  /** N samples of `inner` contiguous values scaled to L2 norm `target`: y = x * target / (sqrt(S[n]) + eps), S their sums of squares */
  l2Scale(b: B, x: View, S: View, N: number, inner: number, target: number, eps: number): BackendBuffer;
  /**
   * l2Scale's input gradient from g, x, S and D[n] = sum(g * x) over sample n: with nrm = sqrt(S), den = nrm + eps,
   * dx = g * target / den - x * target * D / (den^2 * nrm), the second term 0 where nrm = 0.
   */
  l2ScaleBackward(b: B, g: View, x: View, S: View, D: View, N: number, inner: number, target: number, eps: number): BackendBuffer;
}
