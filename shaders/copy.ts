// Data movement kernels.
// `assign`: dst[view] = src[view] for two strided views of the same shape (dst inside an existing buffer).
//   Params: assignLayout(rank)
// `ramp`: out[i] = start + i * step (fill when step = 0). Params: rampLayout(type)
// One invocation per element, 256 per workgroup.
import { bindings, linearMain, paramLayout, stridedOffsets, type WType } from './common.js';

export const assignLayout = (rank: number) => paramLayout({
  n: 'u32', shape: ['u32', rank], dstOffset: 'i32', dstStrides: ['i32', rank], srcOffset: 'i32', srcStrides: ['i32', rank],
});
/** start and step in the output's type */
export const rampLayout = (type: WType) => paramLayout({ n: 'u32', start: type, step: type });

export function assignWGSL(type: WType, rank: number): string {
  const L = assignLayout(rank);
  return `${bindings([{ name: 'dst', type, access: 'read_write' }], [{ name: 'src', type, access: 'read' }])}
${linearMain(256)}
  if (i >= ${L.get('n')}) { return; }
  ${stridedOffsets('i', rank, L.at('shape'), ['od', 'os'], [L.at('dstOffset'), L.at('srcOffset')], [L.at('dstStrides'), L.at('srcStrides')])}
  dst[od] = src[os];
}
`;
}

export function rampWGSL(type: WType): string {
  const L = rampLayout(type);
  const val = `${L.get('start')} + ${type}(i) * ${L.get('step')}`;
  return `${bindings([{ name: 'out', type, access: 'read_write' }], [])}
${linearMain(256)}
  if (i >= ${L.get('n')}) { return; }
  out[i] = ${val};
}
`;
}
