// The module tree of a network as `dualneuron layers` prints it (upstream's model_summary / get_module_names):
// every module in named_modules order with its type, its output shape for one image (from forward hooks on one
// forward pass of a zero image; a module called more than once shows its last call, as a PyTorch hook dict keeps;
// null: not called, e.g. nn.MultiheadAttention's out_proj) and its parameter count (its own and its submodules').
import { type Tensor, noGrad, tidy, zeros } from '../../tensor/index.js';
import type { Module } from '../../nn/module.js';
import { withForwardHooks } from '../../nn/hooks.js';

export interface LayerRow { name: string; type: string; shape: number[] | null; params: number }

export function layerTable(model: Module, inputShape: readonly number[]): LayerRow[] {
  const shapes = new Map<string, number[]>();
  noGrad(() => tidy(() => {
    const x = zeros([1, ...inputShape], { backend: model.backend });
    withForwardHooks(model, 'all', (n: string, y: Tensor) => { shapes.set(n, [...y.shape]); }, () => model.forward(x));
  }));
  const params = model.namedParameters();
  return [...model.namedModules()].map(([name, m]) => ({
    name, type: m.constructor.name, shape: shapes.get(name) ?? null,
    params: params.filter(([k]) => name === '' || k.startsWith(`${name}.`)).reduce((s, [, t]) => s + t.size, 0),
  }));
}

/** The table as text: names indented by depth, output shape, parameters with thousands separators. */
export function formatLayerTable(rows: LayerRow[]): string {
  const label = (r: LayerRow) => (r.name === '' ? '(model)' : `${'  '.repeat(r.name.split('.').length - 1)}${r.name}`);
  const w = Math.max(...rows.map((r) => label(r).length), 4), tw = Math.max(...rows.map((r) => r.type.length), 4);
  const lines = [`${'name'.padEnd(w)}  ${'type'.padEnd(tw)}  ${'output shape'.padEnd(22)}  parameters`];
  for (const r of rows) lines.push(`${label(r).padEnd(w)}  ${r.type.padEnd(tw)}  ${(r.shape ? `[${r.shape.join(', ')}]` : '-').padEnd(22)}  ${r.params.toLocaleString('en-US')}`);
  return lines.join('\n');
}
