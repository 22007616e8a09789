// Gradient clipping by the global norm, as torch.nn.utils.clip_grad_norm_: total = sqrt(sum over parameters of
// ||grad||^2); every gradient is multiplied by min(1, maxNorm / (total + 1e-6)). Returns the norm before clipping
// (read back to the host: the trainer logs it and a non-finite norm stops training with a clear error).
import { Tensor, noGrad, tidy, keep } from '../../tensor/index.js';

export async function clipGradNorm(params: readonly Tensor[], maxNorm: number): Promise<number> {
  const withGrad = params.filter((p) => p.grad);
  if (withGrad.length === 0) return 0;
  const sq = tidy(() => keep(withGrad.map((p) => p.grad!.square().sum()).reduce((a, b) => a.add(b))));
  const total = Math.sqrt(await sq.item());
  sq.dispose();
  if (!Number.isFinite(maxNorm) || maxNorm <= 0) return total;
  const coef = maxNorm / (total + 1e-6);
  if (coef < 1) {
    noGrad(() => tidy(() => { for (const p of withGrad) p.grad!.copy_(p.grad!.mul(coef)); }));
  }
  return total;
}
