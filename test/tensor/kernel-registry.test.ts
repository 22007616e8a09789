// The kernel-family registry (issue 12, item 20): each backend holds a table with every family, built from
// explicit imports and typed to that backend; kernelsFor() reads that table. The type-level half of the
// guarantee is checked by the compiler below (an unused @ts-expect-error fails the build).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { KERNEL_FAMILIES, cpu, kernelsFor, type Backend, type KernelFamilies } from '../../src/tensor/index.js';
import { CPU_KERNELS } from '../../src/tensor/backend/cpu/index.js';
import type { CpuBackend } from '../../src/tensor/backend/cpu/cpu-backend.js';
import { WEBGPU_KERNELS } from '../../src/tensor/backend/webgpu/kernels/index.js';
import type { WebGPUBackend } from '../../src/tensor/backend/webgpu/webgpu-backend.js';
import { gpu } from '../helpers/backends.js';

const test = suite('tensor kernel registry');

// ---- compile-time checks (never run) ----
export function typeChecks(): void {
  const { fft: _fft, ...withoutFft } = CPU_KERNELS;
  // @ts-expect-error a table without the fft family is not a complete KernelFamilies
  const incomplete: KernelFamilies<CpuBackend> = withoutFft;
  // @ts-expect-error CPU implementations (typed to CpuBackend) cannot fill the WebGPU table
  const crossed: KernelFamilies<WebGPUBackend> = CPU_KERNELS;
  void incomplete; void crossed;
}

const methodsOf = (o: object) => Object.keys(o).sort();

test('the family list has the families of both tables, and nothing else', () => {
  assert.equal([...KERNEL_FAMILIES].sort(), ['conv', 'fft', 'image', 'norm', 'optim', 'pool', 'sampling']);
  assert.equal(methodsOf(CPU_KERNELS), [...KERNEL_FAMILIES].sort());
  assert.equal(methodsOf(WEBGPU_KERNELS), [...KERNEL_FAMILIES].sort());
});

test('every backend holds every family, with the same functions on both, and kernelsFor reads that table', async () => {
  const backends: Backend[] = [cpu(), await gpu()];
  for (const b of backends) {
    for (const f of KERNEL_FAMILIES) {
      const k = b.kernels[f];
      assert.ok(k, `${b.name} has no '${f}' kernels`);
      for (const [name, fn] of Object.entries(k)) assert.type(fn, 'function', `${b.name}.${f}.${name}`);
      assert.equal(methodsOf(k), methodsOf(backends[0].kernels[f]), `${b.name}.${f}: same functions as the CPU oracle`);
      assert.is(kernelsFor(b, f), k);
    }
  }
  assert.is(cpu().kernels, CPU_KERNELS);
  assert.is((await gpu()).kernels, WEBGPU_KERNELS);
});

test.run();
