// Recording-like noise on a twin's responses (issue 13 item 4): a twin is noiseless, a recorded neuron is not.
// Multiplicative gain noise max(0, 1 + eta*N(0,1)) and, optionally, Poisson spike counts over a window
// (rate in spikes/s times window in s). Draws are seeded per (neuron, thread, seed) so that a neuron evolved
// alone and the same neuron evolved in a batch see the same noise, and a resumed run continues the same stream.
import { PhiloxDraws, type DrawState } from './draws.js';
import { InputError } from '../../errors.js';

export interface RecordingNoiseOptions {
  /** multiplicative noise level; 0 turns it off */
  eta: number;
  /** if set, responses are read as rates (spikes/s) and replaced by Poisson counts over this window (s), divided back by the window */
  poissonWindow?: number;
}

/** The Philox seed of one (neuron, thread, run seed) stream: distinct for neuron < 2^23, thread < 2^8, seed < 2^31 (Philox keys are 64 bits). */
export function noiseSeed(neuron: number, thread: number, seed: number): bigint {
  for (const [name, v, max] of [['neuron', neuron, 2 ** 23], ['thread', thread, 2 ** 8], ['seed', seed, 2 ** 31]] as const) {
    if (!Number.isInteger(v) || v < 0 || v >= max) throw new InputError(`recording noise: ${name} ${v} must be an integer in [0, ${max})`);
  }
  // bit 31 set keeps these streams apart from optimiser streams seeded with a bare run seed (< 2^31)
  return (BigInt(seed) << 32n) | (1n << 31n) | (BigInt(neuron) << 8n) | BigInt(thread);
}

export class RecordingNoise {
  private readonly draws: PhiloxDraws;
  constructor(readonly options: RecordingNoiseOptions, neuron: number, thread: number, seed: number, state?: DrawState) {
    if (!(options.eta >= 0) || !Number.isFinite(options.eta)) throw new InputError(`--noise ${options.eta}: eta must be a finite number >= 0`);
    if (options.poissonWindow !== undefined && !(options.poissonWindow > 0 && Number.isFinite(options.poissonWindow))) {
      throw new InputError(`--poisson-window ${options.poissonWindow}: the window must be a positive number of seconds`);
    }
    const s = noiseSeed(neuron, thread, seed);
    if (state !== undefined) {
      if (state.kind !== 'philox' || state.seed !== s.toString()) throw new InputError('recording noise: the saved stream belongs to another (neuron, thread, seed)');
      this.draws = PhiloxDraws.fromState(state);
    } else this.draws = new PhiloxDraws(s);
  }

  /** the noisy version of one generation's responses (a new array; the draws advance) */
  apply(responses: ArrayLike<number>): Float64Array {
    const out = Float64Array.from(responses as ArrayLike<number>);
    const { eta, poissonWindow } = this.options;
    if (eta > 0) {
      const z = this.draws.normal(out.length);
      for (let i = 0; i < out.length; i++) out[i] *= Math.max(0, 1 + eta * z[i]);
    }
    if (poissonWindow !== undefined) {
      for (let i = 0; i < out.length; i++) out[i] = this.poisson(Math.max(0, out[i]) * poissonWindow) / poissonWindow;
    }
    return out;
  }

  /** exact Poisson draw by counting exponential arrivals in a unit interval (O(mean) uniforms; rates here are small) */
  private poisson(mean: number): number {
    if (mean === 0) return 0;
    let k = 0;
    let t = 0;
    for (;;) {
      t += -Math.log(1 - this.draws.uniform(1)[0]) / mean;
      if (t > 1) return k;
      k++;
    }
  }

  state(): DrawState { return this.draws.state(); }
}
