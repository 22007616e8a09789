// Acquiring a WebGPU device: in Node through the `webgpu` package (Dawn), in browsers through navigator.gpu,
// or from an injected GPU object (tests). Raises the device limits to what the adapter allows.
import { DeviceError } from '../../../errors.js';
import { config } from '../../../config.js';

export interface AcquiredDevice {
  device: GPUDevice;
  adapterInfo: { vendor: string; architecture: string; description: string; device: string; isFallback: boolean };
  features: string[];
  /** releases the device and the Dawn instance so Node can exit */
  release(): void;
}

export const NO_ADAPTER_HELP = [
  'No WebGPU adapter was found.',
  'On a machine without a GPU, install Mesa\'s lavapipe Vulkan driver (Debian bookworm needs Mesa >= 24 from backports):',
  '  bash scripts/setup.sh            (does it for you), or by hand:',
  '  apt-get install -t bookworm-backports mesa-vulkan-drivers libvulkan1',
  'On a machine with a GPU, install its Vulkan driver and the loader (libvulkan1).',
].join('\n');

// Limits we raise to the adapter's values when it offers more than the WebGPU defaults.
const WANTED_LIMITS = [
  'maxStorageBufferBindingSize', 'maxBufferSize', 'maxStorageBuffersPerShaderStage', 'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup', 'maxComputeWorkgroupSizeX', 'maxComputeWorkgroupSizeY', 'maxComputeWorkgroupSizeZ',
  'maxComputeWorkgroupsPerDimension', 'maxBindGroups',
] as const;

type GPULike = { requestAdapter(opts?: GPURequestAdapterOptions): Promise<GPUAdapter | null> };

async function nodeGPU(): Promise<{ gpu: GPULike; drop: () => void }> {
  process.env.XDG_RUNTIME_DIR ??= '/tmp';
  let mod: { create: (flags: string[]) => GPULike; globals: Record<string, unknown> };
  try {
    // A specifier in a variable: bundlers (esbuild, Vite) leave the import alone, so browser bundles never see
    // Dawn or the Node built-ins it imports; this branch only runs under Node.
    const dawn = 'webgpu';
    mod = (await import(dawn)) as unknown as typeof mod;
  } catch (e) {
    throw new DeviceError(`Cannot load the 'webgpu' package (Dawn node bindings): ${(e as Error).message}\nRun 'npm ci' in the project folder.`);
  }
  Object.assign(globalThis, mod.globals);
  const flags = config().dawnFlags;
  let gpu: GPULike | null = mod.create(flags);
  return { gpu, drop: () => { gpu = null; } };
}

export async function acquireDevice(injected?: GPULike, powerPreference: GPUPowerPreference = 'high-performance'): Promise<AcquiredDevice> {
  let gpu: GPULike;
  let drop = () => {};
  if (injected) gpu = injected;
  else if (typeof navigator !== 'undefined' && (navigator as unknown as { gpu?: GPULike }).gpu) gpu = (navigator as unknown as { gpu: GPULike }).gpu;
  else if (typeof process !== 'undefined' && process.versions?.node) ({ gpu, drop } = await nodeGPU());
  else throw new DeviceError('This environment has no WebGPU (navigator.gpu is undefined). ' + NO_ADAPTER_HELP);

  const adapter = await gpu.requestAdapter({ powerPreference });
  if (!adapter) { drop(); throw new DeviceError(NO_ADAPTER_HELP); }

  const requiredLimits: Record<string, number> = {};
  for (const k of WANTED_LIMITS) {
    const v = (adapter.limits as unknown as Record<string, number>)[k];
    if (typeof v === 'number') requiredLimits[k] = v;
  }
  const features = [...adapter.features] as string[];
  const wantFeatures = ['timestamp-query', 'shader-f16'].filter((f) => features.includes(f)) as GPUFeatureName[];
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({ requiredLimits, requiredFeatures: wantFeatures, label: 'dualneuron' });
  } catch (e) {
    drop();
    throw new DeviceError(`The WebGPU adapter refused a device: ${(e as Error).message}`);
  }
  const info = (adapter as unknown as { info?: GPUAdapterInfo }).info;
  const adapterInfo = {
    vendor: info?.vendor ?? '',
    architecture: info?.architecture ?? '',
    description: info?.description ?? '',
    device: info?.device ?? '',
    isFallback: Boolean((adapter as unknown as { isFallbackAdapter?: boolean }).isFallbackAdapter ?? (info as unknown as { isFallbackAdapter?: boolean })?.isFallbackAdapter),
  };
  return {
    device,
    adapterInfo,
    features: wantFeatures,
    release: () => { device.destroy(); drop(); },
  };
}
