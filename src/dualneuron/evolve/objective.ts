// The twin objective of an evolution run: every thread's codes of one generation become images through the
// thread's space (one images() call per space over all threads of that space), then the twin's aperture and
// norm (finishForTwin), then ONE forward pass of the twin over all images (in chunks of `batch` when more), and
// each code is scored by its thread's neuron column. Recording-like noise, when a thread has it, is applied on the
// host to that thread's scores; the extra codes of a thread (the optimiser's centre) are scored noiselessly.
import { Tensor, concat, noGrad, tidy, type Backend } from '../../tensor/index.js';
import { InputError } from '../../errors.js';
import { finishForTwin, type ImageSpace } from './spaces.js';
import type { RecordingNoise } from './recording-noise.js';

/** anything that maps model-space images (B, C, H, W) to responses (B, neurons): a twin, an ensemble, a test model */
export interface ResponseModel { forward(x: Tensor): Tensor }

export interface ObjectiveOptions {
  model: ResponseModel;
  /** columns of the model's output */
  neurons: number;
  /** the model's input (C, H, W) */
  inputShape: readonly [number, number, number];
  /** the twin's screening aperture (S x S, values in [0, 1]) or null */
  aperture: ArrayLike<number> | null;
  /** L2 norm of every image (the twin's screening norm) */
  norm: number;
  /** images per forward pass; more images are split into chunks of this size */
  batch: number;
  backend: Backend;
}

export interface ThreadRequest {
  space: ImageSpace;
  neuron: number;
  /** the codes the optimiser asked; scored, and noised when `noise` is given */
  codes: Float64Array[];
  noise?: RecordingNoise | null;
  /** further codes scored without noise in the same forward (the runner's centre codes) */
  extra?: Float64Array[];
}

export interface ThreadScores {
  /** noiseless responses of `codes` */
  clean: Float64Array;
  /** what the optimiser is told: `clean` with the thread's noise, or `clean` itself */
  told: Float64Array;
  /** the twin input of each code (C*H*W float32 each, after aperture and norm): views of one generation's buffer,
   * valid until the next evaluate; copy what you keep */
  images: Float32Array[];
  extraScores: Float64Array;
  extraImages: Float32Array[];
}

export class TwinObjective {
  private readonly aperture: Tensor | null;
  readonly imageSize: number;
  /** images through the model so far */
  imagesEvaluated = 0;

  constructor(readonly o: ObjectiveOptions) {
    if (!Number.isInteger(o.batch) || o.batch < 1) throw new InputError(`the objective's batch must be an integer >= 1, got ${o.batch}`);
    if (!(o.norm > 0)) throw new InputError(`the twin's norm must be > 0, got ${o.norm}`);
    const [C, H, W] = o.inputShape;
    this.imageSize = C * H * W;
    if (o.aperture && o.aperture.length !== H * W) throw new InputError(`the aperture has ${o.aperture.length} values; the model takes ${H} x ${W} images`);
    this.aperture = o.aperture ? Tensor.from(o.aperture, [1, 1, H, W], { backend: o.backend }) : null;
  }

  /** Scores one generation of every thread; the result is in the order of `requests`. */
  async evaluate(requests: readonly ThreadRequest[]): Promise<ThreadScores[]> {
    for (const r of requests) {
      if (!Number.isInteger(r.neuron) || r.neuron < 0 || r.neuron >= this.o.neurons) throw new InputError(`neuron ${r.neuron} is out of range: the model has neurons 0..${this.o.neurons - 1}`);
    }
    // rows of the big batch: per space (in order of first appearance), per request, its codes then its extra codes
    const spaces: ImageSpace[] = [];
    for (const r of requests) if (!spaces.includes(r.space)) spaces.push(r.space);
    const rowOf: { codes: number; extra: number }[] = new Array(requests.length);
    const rowNeuron: number[] = [];
    const perSpace: Float32Array[] = [];
    for (const s of spaces) {
      const mine = requests.map((r, i) => [r, i] as const).filter(([r]) => r.space === s);
      const n = mine.reduce((a, [r]) => a + r.codes.length + (r.extra?.length ?? 0), 0);
      const codes = new Float32Array(n * s.dim);
      let k = 0;
      for (const [r, i] of mine) {
        rowOf[i] = { codes: rowNeuron.length, extra: rowNeuron.length + r.codes.length };
        for (const c of [...r.codes, ...(r.extra ?? [])]) {
          if (c.length !== s.dim) throw new InputError(`a code of the ${s.name} space has ${c.length} values, expected ${s.dim}`);
          codes.set(c, k * s.dim);
          k++;
          rowNeuron.push(r.neuron);
        }
      }
      perSpace.push(codes);
    }
    const total = rowNeuron.length;
    const { images, responses } = await this.forward(spaces, perSpace, total);
    this.imagesEvaluated += total;
    // views, not copies: a generation holds hundreds of images and callers keep one or two of them
    const img = (row: number) => images.subarray(row * this.imageSize, (row + 1) * this.imageSize);
    const score = (row: number) => responses[row * this.o.neurons + rowNeuron[row]];
    return requests.map((r, i) => {
      const { codes: c0, extra: e0 } = rowOf[i];
      const clean = Float64Array.from({ length: r.codes.length }, (_, j) => score(c0 + j));
      const nExtra = r.extra?.length ?? 0;
      return {
        clean, told: r.noise ? r.noise.apply(clean) : clean,
        images: Array.from({ length: r.codes.length }, (_, j) => img(c0 + j)),
        extraScores: Float64Array.from({ length: nExtra }, (_, j) => score(e0 + j)),
        extraImages: Array.from({ length: nExtra }, (_, j) => img(e0 + j)),
      };
    });
  }

  /** images (total x C*H*W) and responses (total x neurons), rows in the order of spaces then codes */
  private async forward(spaces: ImageSpace[], perSpace: Float32Array[], total: number): Promise<{ images: Float32Array; responses: Float32Array }> {
    const { backend, norm, model, batch, neurons } = this.o;
    const [C, H, W] = this.o.inputShape;
    const all = noGrad(() => tidy(() => {
      const parts = spaces.map((s, i) => {
        const n = perSpace[i].length / s.dim;
        const x = s.images(Tensor.from(perSpace[i], [n, s.dim], { backend }));
        if (x.shape.length !== 4 || x.shape[1] !== C || x.shape[2] !== H || x.shape[3] !== W) {
          throw new InputError(`the ${s.name} space makes images [${x.shape.slice(1).join(', ')}]; the model takes (${C}, ${H}, ${W})`);
        }
        return finishForTwin(x, this.aperture, norm);
      });
      return parts.length === 1 ? parts[0] : concat(parts, 0);
    }));
    try {
      const responses = new Float32Array(total * neurons);
      for (let b0 = 0; b0 < total; b0 += batch) {
        const b1 = Math.min(total, b0 + batch);
        const y = noGrad(() => tidy(() => {
          const x = total <= batch ? all : all.slice([[b0, b1]]).contiguous();
          // one image is forwarded as two copies, keeping the first row: a batch of one takes other kernel paths
          // (on the V1 twin its float32 responses differ in the last bits from the same image in any batch of 2 to
          // 16, which agree bit for bit), so an image's score would depend on whether the split of a generation
          // left it alone in a chunk, and shards of a run would not give the bytes of the whole run
          if (b1 - b0 > 1) return model.forward(x);
          return model.forward(concat([x, x], 0)).slice([[0, 1]]).contiguous();
        }));
        try {
          if (y.shape.length !== 2 || y.shape[0] !== b1 - b0 || y.shape[1] !== neurons) throw new InputError(`the model returned [${y.shape.join(', ')}], expected [${b1 - b0}, ${neurons}]`);
          responses.set(await y.dataF32(), b0 * neurons);
        } finally { y.dispose(); }
      }
      return { images: await all.dataF32(), responses };
    } finally { all.dispose(); }
  }

  dispose(): void { this.aperture?.dispose(); }
}
