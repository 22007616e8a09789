// Every DUALNEURON_* environment variable, read and checked in one place. The rest of the code asks config()
// for typed values and never reads process.env itself, so the core also loads where there is no `process`
// (a browser, a worker): there config() sees an empty environment and returns the defaults.
//
// A variable set to the empty string counts as unset. A malformed value is an InputError naming the variable,
// its value and what it should be, raised when config() is first called (not silently replaced by a default).
import { InputError } from './errors.js';

/** Kernel choices DUALNEURON_MATMUL accepts (the MatmulKernel values of src/tensor/backend/backend.ts). */
export const MATMUL_CHOICES = ['auto', 'naive', 'tiled', 'vec4', 'vec4nt'] as const;

export interface Config {
  /** DUALNEURON_HOME: the weights cache (default ~/.cache/dualneuron, chosen by the weights store) */
  home: string | null;
  /** DUALNEURON_UPSTREAM: a folder laid out like ../shared/upstream/dualneuron (the demo's offline source) */
  upstream: string | null;
  /** DUALNEURON_QUIET=1: no progress bars */
  quiet: boolean;
  /** DUALNEURON_OFFLINE=1: never download (clusters without network, tests); downloads fail at once with a WeightsError */
  offline: boolean;
  /** DUALNEURON_SYNC_KERNELS=1: submit and check for errors after every kernel */
  syncKernels: boolean;
  /** DUALNEURON_FLUSH_EVERY: kernels encoded per command-buffer submission (default 128) */
  flushEvery: number;
  /** DUALNEURON_POOL_MB: MiB of freed GPU buffers kept for reuse (default 2048) */
  poolMB: number;
  /** DUALNEURON_MATMUL: force a matmul kernel (benchmarks); 'auto' chooses */
  matmul: (typeof MATMUL_CHOICES)[number];
  /** DUALNEURON_DAWN_FLAGS: extra Dawn toggles, whitespace-separated */
  dawnFlags: string[];
  /** DUALNEURON_FFT_MAX_RADIX: the largest radix of one FFT pass (default 16) */
  fftMaxRadix: number;
  /** DUALNEURON_FFT_MAX_PRIME: odd primes up to this get an FFT pass of their own, larger ones Bluestein (default 31) */
  fftMaxPrime: number;
  /** DUALNEURON_SVG2PNG: a command (split on whitespace) turning `<in.svg> <out.png>` */
  svg2png: string[] | null;
  /** DUALNEURON_DREAMSIM_MIRROR: download DreamSim files from <url>/<file name> */
  dreamsimMirror: string | null;
  /** DUALNEURON_DEEPSIM_MIRROR: download the DeePSim fc6 generator from <url>/<file name> */
  deepsimMirror: string | null;
}

export type Env = Readonly<Record<string, string | undefined>>;

function value(env: Env, name: string): string | null {
  const v = env[name];
  return v === undefined || v === '' ? null : v;
}

function flag(env: Env, name: string): boolean {
  const v = value(env, name);
  if (v === null || v === '0') return false;
  if (v === '1') return true;
  throw new InputError(`environment variable ${name}="${v}": expected 1 (on) or 0 (off); set it to one of those or unset it`);
}

function integer(env: Env, name: string, fallback: number, min: number, what: string): number {
  const v = value(env, name);
  if (v === null) return fallback;
  if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(Number(v)) || Number(v) < min) {
    throw new InputError(`environment variable ${name}="${v}": expected an integer >= ${min} (${what}; default ${fallback}); fix it or unset it`);
  }
  return Number(v);
}

function choice<T extends string>(env: Env, name: string, choices: readonly T[], fallback: T): T {
  const v = value(env, name);
  if (v === null) return fallback;
  if (!(choices as readonly string[]).includes(v)) {
    throw new InputError(`environment variable ${name}="${v}": expected one of ${choices.join(', ')}; fix it or unset it`);
  }
  return v as T;
}

const words = (v: string | null) => (v === null ? [] : v.split(/\s+/).filter(Boolean));

/** The configuration an environment describes (every variable checked). */
export function readConfig(env: Env): Config {
  const svg2png = words(value(env, 'DUALNEURON_SVG2PNG'));
  return {
    home: value(env, 'DUALNEURON_HOME'),
    upstream: value(env, 'DUALNEURON_UPSTREAM'),
    quiet: flag(env, 'DUALNEURON_QUIET'),
    offline: flag(env, 'DUALNEURON_OFFLINE'),
    syncKernels: flag(env, 'DUALNEURON_SYNC_KERNELS'),
    flushEvery: integer(env, 'DUALNEURON_FLUSH_EVERY', 128, 1, 'kernels per submission'),
    poolMB: integer(env, 'DUALNEURON_POOL_MB', 2048, 0, 'MiB of GPU buffers kept for reuse'),
    matmul: choice(env, 'DUALNEURON_MATMUL', MATMUL_CHOICES, 'auto'),
    dawnFlags: words(value(env, 'DUALNEURON_DAWN_FLAGS')),
    fftMaxRadix: integer(env, 'DUALNEURON_FFT_MAX_RADIX', 16, 2, 'largest radix of one FFT pass'),
    fftMaxPrime: integer(env, 'DUALNEURON_FFT_MAX_PRIME', 31, 2, 'largest prime done directly in an FFT pass'),
    svg2png: svg2png.length ? svg2png : null,
    dreamsimMirror: value(env, 'DUALNEURON_DREAMSIM_MIRROR'),
    deepsimMirror: value(env, 'DUALNEURON_DEEPSIM_MIRROR'),
  };
}

let cached: Config | null = null;

/**
 * The configuration of this process, read from process.env on first use (an empty environment where there is
 * no `process`). Nothing in the library changes these variables while it runs.
 */
export function config(): Config {
  cached ??= readConfig(typeof process !== 'undefined' && process.env ? process.env : {});
  return cached;
}
