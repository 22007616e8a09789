// Fused optimiser updates: one kernel per parameter tensor and step, in place, instead of the ~15 elementwise
// dispatches of the same update written with tensor ops (see docs/FUSED-KERNELS.md).
// `adam`: p, m, v (read_write) updated from g (read), torch.optim.Adam's formulas (see src/nn/optim.ts).
// `sgd`: p and, with momentum, buf (read_write) updated from g, torch.optim.SGD's formulas.
// All operands contiguous at any element offset. One element per invocation, 256 per workgroup, 2-D grid past
// 65535 groups. `first` (the first step) ignores the old moment buffers' contents (fresh, uninitialised storage).
// Params: ADAM_PARAMS, SGD_PARAMS.
import { bindings, linearMain, paramLayout } from './common.js';

export const OPTIM_WG = 256;

/** [stepSize] = lr * scale / bc1, [invSqrtBc2] = 1 / sqrt(bc2), [sign] = -1 when maximising, else 1 */
export const ADAM_PARAMS = paramLayout({
  n: 'u32', offP: 'u32', offG: 'u32', offM: 'u32', offV: 'u32', first: 'u32',
  b1: 'f32', b2: 'f32', eps: 'f32', invSqrtBc2: 'f32', stepSize: 'f32', weightDecay: 'f32', sign: 'f32',
});

/** [hasBuf] 0: plain SGD (no buffer bound to use); [nesterov] 0 or 1 */
export const SGD_PARAMS = paramLayout({
  n: 'u32', offP: 'u32', offG: 'u32', offB: 'u32', first: 'u32', hasBuf: 'u32', nesterov: 'u32',
  lr: 'f32', momentum: 'f32', dampening: 'f32', weightDecay: 'f32', sign: 'f32',
});

/** Bindings: p, m, v (read_write), g (read). */
export function adamWGSL(): string {
  const L = ADAM_PARAMS;
  return `${bindings([{ name: 'p', type: 'f32', access: 'read_write' }, { name: 'm', type: 'f32', access: 'read_write' }, { name: 'v', type: 'f32', access: 'read_write' }],
    [{ name: 'g', type: 'f32', access: 'read' }])}
${linearMain(OPTIM_WG)}
  if (i >= ${L.get('n')}) { return; }
  let ip = ${L.get('offP')} + i; let im = ${L.get('offM')} + i; let iv = ${L.get('offV')} + i;
  let first = ${L.get('first')} != 0u;
  let x = p[ip];
  let gr = ${L.get('sign')} * g[${L.get('offG')} + i] + ${L.get('weightDecay')} * x;
  let b1 = ${L.get('b1')}; let b2 = ${L.get('b2')};
  let mt = select(m[im] * b1 + gr * (1.0 - b1), gr * (1.0 - b1), first);
  let vt = select(v[iv] * b2 + (gr * gr) * (1.0 - b2), (gr * gr) * (1.0 - b2), first);
  let denom = sqrt(vt) * ${L.get('invSqrtBc2')} + ${L.get('eps')};
  m[im] = mt;
  v[iv] = vt;
  p[ip] = x - (mt / denom) * ${L.get('stepSize')};
}
`;
}

/** Bindings: p, buf (read_write; a dummy when hasBuf = 0), g (read). */
export function sgdWGSL(): string {
  const L = SGD_PARAMS;
  return `${bindings([{ name: 'p', type: 'f32', access: 'read_write' }, { name: 'buf', type: 'f32', access: 'read_write' }],
    [{ name: 'g', type: 'f32', access: 'read' }])}
${linearMain(OPTIM_WG)}
  if (i >= ${L.get('n')}) { return; }
  let ip = ${L.get('offP')} + i;
  let x = p[ip];
  let gr = ${L.get('sign')} * g[${L.get('offG')} + i] + ${L.get('weightDecay')} * x;
  var d = gr;
  if (${L.get('hasBuf')} != 0u) {
    let ib = ${L.get('offB')} + i;
    let mu = ${L.get('momentum')};
    let bt = select(buf[ib] * mu + gr * (1.0 - ${L.get('dampening')}), gr, ${L.get('first')} != 0u);
    buf[ib] = bt;
    d = select(bt, gr + bt * mu, ${L.get('nesterov')} != 0u);
  }
  p[ip] = x - d * ${L.get('lr')};
}
`;
}
