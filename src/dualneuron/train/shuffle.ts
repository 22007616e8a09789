// Seeded shuffling of training images: epoch e's order is a Fisher-Yates permutation (from the last position
// down) drawn from the Philox stream of deriveSeed(seed, e). Counter-based per epoch, so a resumed run needs only
// the epoch number to continue the same sequence of batches.
import { deriveSeed } from '../../tensor/random.js';
import { HostRng } from '../render/rng.js';

export function epochOrder(items: readonly number[], seed: bigint, epoch: number): number[] {
  const order = [...items];
  const rng = new HostRng(deriveSeed(seed, 0x5ff1e, epoch));
  for (let k = order.length - 1; k > 0; k--) {
    const j = rng.int(0, k + 1);
    [order[k], order[j]] = [order[j]!, order[k]!];
  }
  return order;
}

/** consecutive batches of an order (the last one may be smaller, as a DataLoader without drop_last) */
export function batchesOf(order: readonly number[], batch: number): number[][] {
  const out: number[][] = [];
  for (let s = 0; s < order.length; s += batch) out.push(order.slice(s, s + batch));
  return out;
}
