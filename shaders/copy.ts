// Data movement kernels.
// `assign`: dst[view] = src[view] for two strided views of the same shape (dst inside an existing buffer).
//   Params: [n, shape[rank], dstOffset, dstStrides[rank], srcOffset, srcStrides[rank]]
// `ramp`: out[i] = start + i * step (fill when step = 0). Params: [n, startBits, stepBits]
// One invocation per element, 256 per workgroup.
import { bindings, linearMain, stridedOffsets, type WType } from './common.js';

export function assignWGSL(type: WType, rank: number): string {
  const shapeAt = 1, dstAt = 1 + rank, srcAt = dstAt + 1 + rank;
  return `${bindings([{ name: 'dst', type, access: 'read_write' }], [{ name: 'src', type, access: 'read' }])}
${linearMain(256)}
  if (i >= P[0]) { return; }
  ${stridedOffsets('i', rank, shapeAt, ['od', 'os'], [dstAt, srcAt], [dstAt + 1, srcAt + 1])}
  dst[od] = src[os];
}
`;
}

export function rampWGSL(type: WType): string {
  const val = type === 'f32' ? 'bitcast<f32>(P[1]) + f32(i) * bitcast<f32>(P[2])'
    : type === 'i32' ? 'bitcast<i32>(P[1]) + i32(i) * bitcast<i32>(P[2])' : 'P[1] + i * P[2]';
  return `${bindings([{ name: 'out', type, access: 'read_write' }], [])}
${linearMain(256)}
  if (i >= P[0]) { return; }
  out[i] = ${val};
}
`;
}
