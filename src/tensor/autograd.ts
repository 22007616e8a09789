// Tape-based reverse-mode autodiff. An op whose inputs require gradients records a node {inputs, backward} on
// its output; `backward()` walks the nodes in reverse topological order and accumulates. Ops on tensors that do
// not require gradients record nothing, so frozen weights cost no gradient work.
import { ShapeError, DTypeError, DualNeuronError } from '../errors.js';
import { keep, tidy, track } from './scope.js';
import { fmt, shapesEqual } from './shape.js';
import { peekNextTensorId, type GradNode, type Tensor } from './tensor.js';

export type { GradNode };

let gradEnabled = true;

export function isGradEnabled(): boolean { return gradEnabled; }

/** Run fn without recording gradients. */
export function noGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = false;
  try { return fn(); } finally { gradEnabled = prev; }
}

/** Attach a gradient node to `out` if any input requires gradients (and recording is on). */
export function record(op: string, out: Tensor, inputs: Tensor[], backward: GradNode['backward']): Tensor {
  if (gradEnabled && inputs.some((t) => t.requiresGrad)) {
    out.node = { op, inputs, backward };
    out.requiresGrad = true;
  }
  return out;
}

/**
 * A differentiable function with a hand-written VJP (as jax.custom_vjp or torch.autograd.Function):
 * `forward()` computes the output without recording a graph (its temporaries can be disposed at once), and
 * `backward(g, y)` returns one gradient (or null) per tensor of `inputs`, each shaped like its input, given
 * the gradient g of the output y. The VJP runs under noGrad. Use it for a fused or cheaper backward pass
 * than the composed ops would record; check it against finite differences.
 */
export function customVjp(
  name: string,
  inputs: readonly Tensor[],
  forward: () => Tensor,
  backward: (g: Tensor, y: Tensor) => readonly (Tensor | null)[],
): Tensor {
  const y = noGrad(forward);
  if (inputs.includes(y)) throw new DualNeuronError(`customVjp '${name}': forward() returned one of its inputs; return a new tensor (e.g. a view or a copy)`);
  if (y.dtype !== 'f32' && inputs.some((x) => x.requiresGrad)) throw new DTypeError(`customVjp '${name}': forward() returned a ${y.dtype} tensor; only f32 outputs carry gradients`);
  return record(name, y, [...inputs], (g) => {
    const parts = backward(g, y);
    if (parts.length !== inputs.length) {
      throw new DualNeuronError(`customVjp '${name}': backward() returned ${parts.length} gradient(s) for ${inputs.length} input(s); return one per input (null for none)`);
    }
    return [...parts];
  });
}

function topoOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const visited = new Set<Tensor>();
  const stack: [Tensor, number][] = [[root, 0]];
  while (stack.length) {
    const top = stack[stack.length - 1];
    const [t, i] = top;
    if (i === 0) { if (visited.has(t)) { stack.pop(); continue; } visited.add(t); }
    const inputs = t.node?.inputs ?? [];
    if (i < inputs.length) {
      top[1]++;
      const c = inputs[i];
      if (c.requiresGrad && !visited.has(c)) stack.push([c, 0]);
    } else {
      stack.pop();
      order.push(t);
    }
  }
  return order; // inputs before outputs
}

/**
 * Accumulate d(root)/d(leaf) into every leaf's `.grad` (leaves: tensors with requiresGrad and no node).
 * `gradOutput` defaults to 1 for a scalar root.
 */
export function backward(root: Tensor, gradOutput?: Tensor): void {
  if (!root.requiresGrad) {
    throw new DualNeuronError('backward(): the tensor does not require gradients: no input had requiresGrad set, or it comes from ops that carry '
      + 'no gradient (comparisons, logical ops, isnan, argmax/argmin, casts to integer or bool), as in PyTorch');
  }
  if (!gradOutput && root.size !== 1) throw new ShapeError(`backward(): the output has shape ${fmt(root.shape)}; pass a gradient of that shape, or reduce it to a scalar first`);
  if (gradOutput && !shapesEqual(gradOutput.shape, root.shape)) throw new ShapeError(`backward(): gradient shape ${fmt(gradOutput.shape)} does not match output shape ${fmt(root.shape)}`);
  const order = topoOrder(root);
  const leafGrads = new Map<Tensor, Tensor>();
  const firstNewId = peekNextTensorId();
  tidy(() => noGrad(() => {
    const grads = new Map<Tensor, Tensor>();
    // a gradient tensor may be held by several entries (add passes g to both inputs): count holders and
    // dispose eagerly only tensors made during this backward pass that nobody holds any more
    const holders = new Map<Tensor, number>();
    const hold = (x: Tensor) => holders.set(x, (holders.get(x) ?? 0) + 1);
    const drop = (x: Tensor) => {
      const n = (holders.get(x) ?? 0) - 1;
      holders.set(x, n);
      if (n <= 0 && x.id >= firstNewId && x !== gradOutput) x.dispose();
    };
    const rootGrad = gradOutput ?? root.onesLike();
    grads.set(root, rootGrad); hold(rootGrad);
    for (let k = order.length - 1; k >= 0; k--) {
      const t = order[k];
      const g = grads.get(t);
      if (!g) continue;
      if (!t.node) { leafGrads.set(t, g); continue; }
      const parts = t.node.backward(g);
      t.node.inputs.forEach((inp, j) => {
        const p = parts[j];
        if (!p || !inp.requiresGrad) return;
        if (!shapesEqual(p.shape, inp.shape)) throw new ShapeError(`${t.node!.op} backward gave a gradient of shape ${fmt(p.shape)} for an input of shape ${fmt(inp.shape)}`);
        const prev = grads.get(inp);
        if (prev) {
          const s = prev.add(p);
          grads.set(inp, s); hold(s);
          drop(prev);
        } else {
          grads.set(inp, p); hold(p);
        }
      });
      grads.delete(t);
      drop(g);
    }
    // leaf gradients are stored contiguous (a VJP may hand back a broadcast view)
    for (const [leaf, g] of leafGrads) {
      const c = g.isContiguous ? g : g.contiguousCopy();
      leafGrads.set(leaf, keep(c));
    }
  }));
  for (const [leaf, g] of leafGrads) {
    if (leaf.grad) {
      const sum = noGrad(() => leaf.grad!.add(g));
      keep(sum);
      leaf.grad.dispose();
      if (g !== gradOutput) g.dispose();
      leaf.grad = sum;
    } else {
      // gradOutput belongs to the caller: store a copy
      leaf.grad = g === gradOutput ? keep(noGrad(() => g.contiguousCopy())) : g;
    }
  }
}

/** value and gradients of a scalar function with respect to each tensor argument. */
export function valueAndGrad<A extends Tensor[]>(fn: (...args: A) => Tensor): (...args: A) => [Tensor, Tensor[]] {
  return (...args: A) => {
    const [value, grads] = tidy(() => {
      const inputs = args.map((a) => a.detach().requiresGrad_()) as A;
      const y = fn(...inputs);
      backward(y);
      const gs = inputs.map((x) => {
        const g = x.grad ?? x.zerosLike();
        x.grad = null; // the caller owns it now
        return g;
      });
      return [y.detach(), gs] as [Tensor, Tensor[]];
    });
    // gradients were kept (owned by the temporary leaves); hand them to the caller's scope
    for (const g of grads) track(g);
    return [value, grads];
  };
}

export function grad<A extends Tensor[]>(fn: (...args: A) => Tensor): (...args: A) => Tensor[] {
  const vg = valueAndGrad(fn);
  return (...args: A) => {
    const [v, g] = vg(...args);
    v.dispose();
    return g;
  };
}
