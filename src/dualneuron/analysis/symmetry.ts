// The Allen notebook's n-fold symmetry index (seeds/003 `sym_index`): SI_n = |sum_theta P_theta e^{i 2 n theta}|
// / sum_theta P_theta over the axial average P of the power spectrum, theta = bin index x bin size (the factor
// 2 because a power spectrum is point-symmetric). 1: fully n-fold symmetric, 0: no such symmetry.

export function symmetryIndex(pTheta: ArrayLike<number>, n: number, binSize = Math.PI / 16): number {
  let re = 0, im = 0, den = 0;
  for (let k = 0; k < pTheta.length; k++) {
    const a = 2 * n * k * binSize;
    re += pTheta[k] * Math.cos(a); im += pTheta[k] * Math.sin(a); den += pTheta[k];
  }
  return Math.hypot(re, im) / den;
}
