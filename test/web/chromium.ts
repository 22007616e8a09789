// Headless Chromium for page tests (Debian's `chromium`, driven by puppeteer-core): found at $CHROMIUM or the
// usual Debian paths, started with WebGPU on (its adapter there is SwiftShader, on the CPU). When it is missing
// or cannot start, `chromium()` says why, so the tests are skipped with that reason.
import { existsSync } from 'node:fs';
import type { Browser } from 'puppeteer-core';

export const CHROMIUM_ARGS = ['--headless=new', '--no-sandbox', '--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-angle=swiftshader'];

/** The Chromium executable, or null; CHROMIUM=none hides it (to run the suite as on a machine without one). */
export function chromiumPath(): string | null {
  if (process.env.CHROMIUM === 'none') return null;
  const candidates = [process.env.CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'];
  for (const c of candidates) if (c && existsSync(c)) return c;
  return null;
}

/** A started browser, or the reason there is none. */
export async function chromium(): Promise<{ browser: Browser } | { reason: string }> {
  const path = chromiumPath();
  if (!path) return { reason: 'Chromium not found (install Debian\'s chromium: bash scripts/setup.sh, or set CHROMIUM)' };
  let launch: typeof import('puppeteer-core').launch;
  try {
    ({ launch } = await import('puppeteer-core'));
  } catch {
    return { reason: 'puppeteer-core is not installed (npm ci installs the dev dependencies)' };
  }
  try {
    const browser = await launch({ executablePath: path, headless: true, args: CHROMIUM_ARGS, protocolTimeout: 600_000 });
    return { browser };
  } catch (e) {
    return { reason: `Chromium (${path}) did not start: ${(e as Error).message.split('\n')[0]}` };
  }
}
