// `dualneuron info`: the WebGPU adapter, its limits and a quick self-check of the kernels against the CPU oracle.
import type { Command } from 'commander';
import { init, cpu, Tensor, tidy } from '../../tensor/index.js';
import type { WebGPUBackend } from '../../tensor/backend/webgpu/webgpu-backend.js';

export function registerInfo(program: Command): void {
  program
    .command('info')
    .description('show the WebGPU adapter and its limits, and check a few kernels against the float64 CPU oracle')
    .option('--json', 'print the report as JSON')
    .action(async (opts: { json?: boolean }) => {
      const b = (await init('webgpu')) as WebGPUBackend;
      const l = b.limits;
      const x = [0.5, -1.25, 2, 3.5, -0.75, 1];
      const f = (t: Tensor) => tidy(() => t.reshape([2, 3]).matmul(t.reshape([3, 2])).gelu().sum());
      const got = await f(Tensor.from(x, [6], { backend: b })).item();
      const want = await f(Tensor.from(x, [6], { backend: cpu() })).item();
      const report = {
        adapter: b.describe(),
        limits: { maxStorageBufferBindingSize: l.maxStorageBufferBindingSize, maxBufferSize: l.maxBufferSize, maxStorageBuffersPerShaderStage: l.maxStorageBuffersPerShaderStage,
          maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize, maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup },
        selfCheck: { gpu: got, oracle: want, ok: Math.abs(got - want) <= 1e-5 * Math.abs(want) + 1e-6 },
      };
      if (opts.json) { console.log(JSON.stringify(report, null, 2)); return; }
      console.log(report.adapter);
      for (const [k, v] of Object.entries(report.limits)) console.log(`  ${k}: ${v}`);
      console.log(`self-check (matmul + gelu + sum vs float64 oracle): ${report.selfCheck.ok ? 'ok' : 'MISMATCH'} (${got} vs ${want})`);
      if (!report.selfCheck.ok) process.exitCode = 1;
    });
}
