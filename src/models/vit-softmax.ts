// softmax(x * scale) over the last dim with a one-line VJP (dx = scale * y * (g - sum(g * y))), for attention scores.
// The forward runs without recording (max, exp, sum, divide) and frees its temporaries; the backward reads only y,
// so no exp/division graph is kept for autodiff to walk.
import { type Tensor, customVjp } from '../tensor/index.js';

export function softmaxRows(x: Tensor, scale = 1): Tensor {
  return customVjp('softmaxRows', [x], () => {
    const m = x.max(-1, true);
    const z = x.sub(m);
    m.dispose();
    const e = z.mul(scale).exp();
    z.dispose();
    const s = e.sum(-1, true);
    const out = e.div(s);
    e.dispose(); s.dispose();
    return out;
  }, (g, y) => {
    const gy = g.mul(y);
    const d = gy.sub(y.mul(gy.sum(-1, true)));
    return [scale === 1 ? d : d.mul(scale)];
  });
}
