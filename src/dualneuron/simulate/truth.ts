// Reading the ground truth `dualneuron simulate` writes (DATA/truth/), and the comparison the acceptance
// uses: the cosine similarity of a synthesised MEI/LEI with the true one inside the aperture.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FormatError, InputError } from '../../errors.js';
import { readNpy } from '../../io/npy.js';
import { HostNeuron, type NeuronParams } from './neuron.js';

export interface SimulationTruth {
  size: number;
  /** the MEI/LEI norm eta */
  norm: number;
  /** the pixel range the true MEI/LEI were clipped to (contrast units); null: the norm alone (older truths) */
  range: readonly [number, number] | null;
  neurons: (NeuronParams & { baseline_rate: number; mei_rate: number; lei_rate: number; lei_below_baseline: boolean })[];
  /** (N, S*S) each, contrast units (x = pixel / 255 - 0.5) */
  mei: Float32Array;
  lei: Float32Array;
  /** S*S */
  aperture: Float32Array;
  /** the float64 model of neuron n, rebuilt from params.json */
  neuron(n: number): HostNeuron;
}

export function readTruth(data: string): SimulationTruth {
  const dir = join(data, 'truth'), pj = join(dir, 'params.json');
  if (!existsSync(pj)) throw new InputError(`${data} has no truth/params.json: it was not written by \`dualneuron simulate\` (or that run did not finish)`);
  const t = JSON.parse(readFileSync(pj, 'utf8'));
  if (t.format !== 'dualneuron-simulated-truth' || t.version !== 1) throw new FormatError(`${pj}: format '${t.format}' version ${t.version}; expected dualneuron-simulated-truth version 1`);
  const S = t.size as number, N = (t.neurons as unknown[]).length;
  const arr = (f: string, shape: number[]) => {
    const a = readNpy(join(dir, f));
    if (a.dtype !== 'f32' || a.shape.join() !== shape.join()) throw new FormatError(`${join(dir, f)}: ${a.dtype} [${a.shape.join(', ')}], expected f32 [${shape.join(', ')}]`);
    return a.data as Float32Array;
  };
  const hosts = new Map<number, HostNeuron>();
  return {
    size: S, norm: t.mei.norm, range: Array.isArray(t.mei.range) ? [t.mei.range[0], t.mei.range[1]] : null, neurons: t.neurons, mei: arr('mei.npy', [N, S, S]), lei: arr('lei.npy', [N, S, S]), aperture: arr('aperture.npy', [S, S]),
    neuron(n: number) {
      if (!hosts.has(n)) hosts.set(n, new HostNeuron(t.neurons[n], S));
      return hosts.get(n)!;
    },
  };
}

/**
 * Cosine similarity of two images inside an aperture a: cos(a (x - m_x), a (y - m_y)) with m the a-weighted mean,
 * so that it does not depend on an offset (a twin's input space may centre pixels elsewhere) or on a positive
 * scale (another norm). 0 when either image is constant inside the aperture.
 */
export function cosineInAperture(x: ArrayLike<number>, y: ArrayLike<number>, a: ArrayLike<number>): number {
  if (x.length !== a.length || y.length !== a.length) throw new InputError(`cosineInAperture: images of ${x.length} and ${y.length} values, aperture of ${a.length}`);
  let sa = 0, mx = 0, my = 0;
  for (let k = 0; k < a.length; k++) { sa += a[k]; mx += a[k] * x[k]; my += a[k] * y[k]; }
  if (!(sa > 0)) throw new InputError('cosineInAperture: the aperture is zero everywhere');
  mx /= sa; my /= sa;
  let xy = 0, xx = 0, yy = 0;
  for (let k = 0; k < a.length; k++) {
    const u = a[k] * (x[k] - mx), v = a[k] * (y[k] - my);
    xy += u * v; xx += u * u; yy += v * v;
  }
  return xx > 0 && yy > 0 ? xy / Math.sqrt(xx * yy) : 0;
}
