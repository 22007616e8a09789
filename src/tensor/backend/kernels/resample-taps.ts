// Backend-neutral pieces of interpolate's index and weight rules, shared by the CPU oracle and the WebGPU tables:
// PyTorch's source-scale rule and the antialiased (PIL-style) filters. They depend only on sizes, never on data.
const f32 = Math.fround;

/** compute_scales_value<float> / area_pixel_compute_scale<float> (ATen UpSample.h) */
export function areaScale(inSize: number, outSize: number, align: boolean, scale: number | null): number {
  if (align) return outSize > 1 ? f32((inSize - 1) / (outSize - 1)) : 0;
  return scale !== null && scale > 0 ? f32(1 / scale) : f32(inSize / outSize);
}

/** Keys' cubic convolution kernel for |x| < 1 and 1 <= |x| < 2 (PyTorch uses a = -0.75, PIL a = -0.5). */
export const cubic1 = (x: number, a: number) => ((a + 2) * x - (a + 3)) * x * x + 1;
export const cubic2 = (x: number, a: number) => ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;

/**
 * _compute_weights_aa of _upsample_{bilinear,bicubic}2d_aa for output index o: PIL's triangle or cubic
 * (a = -0.5) filter stretched by the down-scaling factor, truncated to the image and normalised.
 * Returns the input indices read and their weights.
 */
export function antialiasTaps(o: number, inSize: number, outSize: number, align: boolean, scale: number | null, cubic: boolean): [number[], number[]] {
  const s = areaScale(inSize, outSize, align, scale);
  const half = cubic ? 2 : 1;
  const support = f32(s >= 1 ? half * s : half);
  const inv = s >= 1 ? 1 / s : 1;
  const center = f32(s * (o + 0.5));
  const xmin = Math.max(Math.trunc(f32(center - support) + 0.5), 0);
  const xsize = Math.min(Math.trunc(f32(center + support) + 0.5), inSize) - xmin;
  const idx: number[] = [], w: number[] = [];
  let total = 0;
  for (let j = 0; j < xsize; j++) {
    const d = Math.abs((j + xmin - center + 0.5) * inv);
    const v = cubic ? (d < 1 ? cubic1(d, -0.5) : d < 2 ? cubic2(d, -0.5) : 0) : d < 1 ? 1 - d : 0;
    idx.push(xmin + j); w.push(v); total += v;
  }
  return [idx, total !== 0 ? w.map((v) => v / total) : w];
}
