// Backend-level interface of the `fft` kernel family: one discrete Fourier transform along one axis of a
// contiguous tensor read as [outer, L, inner], batched over outer and inner in one call.
//
// Complex layout (the whole library's): a complex tensor is an f32 tensor whose LAST dim has size 2 holding
// (real, imag), exactly like torch.view_as_real. Here a complex element (o, m, i) of a [outer, L, inner]
// sequence sits at f32 index 2 * ((o * L + m) * inner + i) (+ the view's offset, which must be even).
//
// Semantics of one call (the float64 CPU oracle implements exactly this, by definition):
//   1. the logical input sequence x_m, m in [0, n), at every (o, i):
//        'complex':   x_m = z[o, m, i]                 for m < lin (lin <= n), 0 beyond (zero padding)
//        'real':      x_m = (r[o, m, i], 0)           for m < lin (lin <= n), 0 beyond
//        'hermitian': the full spectrum of a real signal from its stored half z[o, 0..lin, i] (torch's C2R):
//                     x_m = h(m) for m <= n/2, conj(h(n - m)) above, where h(k) = z[o, k, i] for k < lin (else 0)
//                     with the imaginary part dropped at k = 0 and, for even n, at k = n/2
//   2. X_k = sum_m x_m exp(-+2 pi i m k / n)   (minus: forward, plus: inverse), k in [0, lout), lout <= n
//   3. X_k *= scale, then X_k *= 2 for 1 <= k <= double (the adjoint of the Hermitian fill-in; 0 = none)
//   4. stored as [outer, lout, inner] complex ('complex'), or only the real parts as [outer, lout, inner] f32 ('real')
import type { BackendBuffer, View } from '../view.js';

export type FftInputMode = 'complex' | 'real' | 'hermitian';
export type FftOutputMode = 'complex' | 'real';

export interface FftAxisArgs {
  /** contiguous input at any (for complex: even) element offset: [outer, lin, inner] (x2 f32 unless 'real') */
  x: View;
  outer: number;
  inner: number;
  /** transform length (>= 1) */
  n: number;
  /** stored input length along the axis: <= n for 'complex' and 'real'; any for 'hermitian' */
  lin: number;
  input: FftInputMode;
  /** outputs kept: X_k for k < lout (1 <= lout <= n) */
  lout: number;
  output: FftOutputMode;
  inverse: boolean;
  scale: number;
  /** multiply X_k by 2 for 1 <= k <= double (default 0) */
  double?: number;
}

export interface FftCacheInfo {
  /** sizes whose plans (twiddle, chirp and Bluestein filter tables) are resident */
  plans: number[];
  /** bytes those tables hold on the device (as memory() counts them: pool buckets) */
  bytes: number;
}

/**
 * Elementwise complex kernels (the helpers of ops/complex.ts). Views are contiguous at any offset (complex ones
 * at an even offset); `size` counts complex elements; a magnitude of magSize elements is read at e % magSize
 * (broadcast over leading dims).
 */
export interface PolarArgs { mag: View; phase: View; size: number; magSize: number }

/** Implemented once per backend B (the backend object is every function's first argument). */
export interface FftKernels<B> {
  /** one batched 1-D DFT along an axis (see the header); returns a fresh contiguous buffer */
  fft1d(b: B, a: FftAxisArgs): BackendBuffer;
  /** complex (re[e], im[e]) from two real views of `size` elements; a missing part is 0 */
  complexFromParts(b: B, re: View | null, im: View | null, size: number): BackendBuffer;
  /** torch.polar: mag[e % magSize] (cos phase[e], sin phase[e]) */
  polar(b: B, a: PolarArgs): BackendBuffer;
  /**
   * The VJP of polar for a complex gradient g: dphase[e] = mag (g_im cos - g_re sin) and, when wantMag,
   * dmag[e] = g_re cos + g_im sin (per element of the output, not yet summed over broadcast dims)
   */
  polarBackward(b: B, a: PolarArgs & { g: View; wantMag: boolean }): { dphase: BackendBuffer; dmag: BackendBuffer | null };
  /** what the backend's plan cache holds */
  cacheInfo(b: B): FftCacheInfo;
  /** release every cached plan (later transforms rebuild what they need) */
  clearCache(b: B): void;
}
