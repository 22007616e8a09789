// `dualneuron gan-hessian`: the top-k eigenvectors and eigenvalues of the Hessian of a generator's image-space
// distance at a code, H = 2 J^T J (evolve/hessian.ts), by Lanczos (evolve/lanczos.ts), for HessCMA
// (`evolve --optimizer hesscma --hessian DIR`; evolve/hessian.ts readGanHessian reads the folder).
// Resumable: the Lanczos basis is saved in DIR every --save-every seconds; the same command continues from it.
import { Command, Option } from 'commander';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../errors.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { readNpy, writeNpy } from '../../io/npy.js';
import { init } from '../../tensor/index.js';
import { Progress } from '../../util/progress.js';
import { loadDeepsimFc6, requireDeepsimFc6 } from '../../models/weights/deepsim-weights.js';
import { weightsHome } from '../../models/weights/store.js';
import { HostRng } from '../render/rng.js';
import { ImageDistanceHessian, DEFAULT_EPS_REL, defaultHessianEps, type JvMethod } from '../evolve/hessian.js';
import { defaultLanczosIterations, lanczosTop, type LanczosState } from '../evolve/lanczos.js';
import { openOutputFolder } from '../output-folder.js';
import { startRecord, finishRecord } from '../run-record.js';
import { weightsDirOption } from './weights.js';
import { parseFloatStrict, parseIntStrict } from './parse.js';

export const GAN_HESSIAN_GANS = ['fc6'] as const;
const STATE_JSON = 'lanczos-state.json', STATE_BASIS = 'lanczos-basis.npy';

interface Opts {
  gan: string; jv: JvMethod; code?: string; at: string; seed: string; k: string; iterations?: string; tol: string; eps?: string;
  residuals: string; saveEvery: string; out: string; weightsDir?: string;
}

function parsePositive(name: string, v: string): number {
  const x = parseFloatStrict(name, v);
  if (!(x > 0)) throw new InputError(`${name} must be a positive number, got '${v}'`);
  return x;
}

/** the code z0: a file (any float dtype, N values) or zero / N(0, 1) entries from the seed */
function codeOf(o: Opts, n: number, seed: number): { z0: Float32Array; source: string } {
  if (o.code) {
    const a = readNpy(o.code);
    if (a.data.length !== n) throw new InputError(`--code ${o.code} has ${a.data.length} values (shape [${a.shape.join(', ')}]); the ${o.gan} generator takes codes of ${n}`);
    const z0 = Float32Array.from(a.data as ArrayLike<number>);
    if (!z0.every(Number.isFinite)) throw new InputError(`--code ${o.code} holds NaN or infinite values`);
    return { z0, source: o.code };
  }
  if (o.at === 'zero') return { z0: new Float32Array(n), source: 'zero' };
  const rng = new HostRng(BigInt(seed));
  return { z0: Float32Array.from({ length: n }, () => rng.normal()), source: `random N(0, 1), seed ${seed}` };
}

interface SavedState { n: number; gan: string; weightsSha256: string; codeSha256: string; jv: JvMethod; eps: number; seed: number; alpha: number[]; beta: number[]; restarts: number }

function saveState(dir: string, s: LanczosState, key: Omit<SavedState, 'alpha' | 'beta' | 'restarts' | 'n'>): void {
  const rows = s.basis.length, n = s.n, flat = new Float64Array(rows * n);
  s.basis.forEach((q, r) => flat.set(q, r * n));
  // the basis first: it only grows, so a kill between the two writes leaves a json that a prefix of it fits
  writeNpy(join(dir, STATE_BASIS), { dtype: 'f64', shape: [rows, n], data: flat });
  const saved: SavedState = { ...key, n, alpha: s.alpha, beta: s.beta, restarts: s.restarts };
  writeFileAtomic(join(dir, STATE_JSON), JSON.stringify(saved) + '\n');
}

function loadState(dir: string, key: Omit<SavedState, 'alpha' | 'beta' | 'restarts' | 'n'>, n: number): LanczosState | null {
  if (!existsSync(join(dir, STATE_JSON)) || !existsSync(join(dir, STATE_BASIS))) return null;
  const s = JSON.parse(readFileSync(join(dir, STATE_JSON), 'utf8')) as SavedState;
  const diff = (Object.keys(key) as (keyof typeof key)[]).filter((f) => s[f] !== key[f]);
  if (s.n !== n) diff.push('n' as never);
  if (diff.length) {
    throw new InputError(`${dir} holds the Lanczos state of another computation (it differs in ${diff.join(', ')}); ` +
      `give another --out, or delete ${STATE_JSON} and ${STATE_BASIS} there to start over`);
  }
  const b = readNpy(join(dir, STATE_BASIS));
  const m = s.alpha.length;
  if (b.shape[1] !== n || b.shape[0] < m + 1) throw new InputError(`${dir}/${STATE_BASIS} [${b.shape.join(', ')}] does not hold the ${m + 1} basis vectors ${STATE_JSON} needs; delete both to start over`);
  const d = b.data as Float64Array;
  return { n, alpha: s.alpha, beta: s.beta, restarts: s.restarts, basis: Array.from({ length: m + 1 }, (_, r) => d.slice(r * n, (r + 1) * n)) };
}

export function registerGanHessian(program: Command): void {
  program.command('gan-hessian')
    .description('top-k eigenvectors/eigenvalues of the Hessian of the image distance ||G(z) - G(z0)||^2 at z0 (= 2 J^T J), by Lanczos, for HessCMA (evolve --optimizer hesscma --hessian DIR)')
    .addOption(new Option('--gan <name>', 'generator: fc6 (DeePSim fc6, 4096-D codes)').default('fc6'))
    .option('--code <z.npy>', 'the code z0 (N values, any float dtype); otherwise --at')
    .addOption(new Option('--at <where>', 'z0 when no --code: zero, or random (N(0, 1) entries from --seed)').choices(['zero', 'random']).default('random'))
    .option('--seed <s>', 'seed of the random code and of the Lanczos start vector', '0')
    .option('--k <n>', 'eigenpairs to compute (upstream HessCMA on fc6 used the top 800 or 500)', '800')
    .option('--iterations <m>', 'the most Lanczos steps (Hessian-vector products); default min(N, max(2k, k + 50))')
    .option('--tol <x>', 'stop early when every top-k Ritz residual is <= tol x the largest eigenvalue', '1e-8')
    .addOption(new Option('--jv <method>', 'J v exactly by a tangent (forward-mode) pass, or by central finite differences').choices(['tangent', 'fd']).default('tangent'))
    .option('--eps <x>', `finite-difference step of J v with --jv fd; default ${DEFAULT_EPS_REL} x max(1, rms(z0))`)
    .option('--residuals <r>', 'check ||H v - lambda v|| of the top r eigenvectors with real products', '4')
    .option('--save-every <s>', 'seconds between saves of the Lanczos state (resume by running the same command)', '60')
    .requiredOption('--out <dir>', 'output folder: eigvals.npy, eigvecs.npy, hessian.json, run.json')
    .addOption(weightsDirOption())
    .action(async (o: Opts, cmd: Command) => {
      // every option checked before any work
      if (!(GAN_HESSIAN_GANS as readonly string[]).includes(o.gan)) {
        throw new InputError(`--gan: unknown generator '${o.gan}'; gan-hessian supports ${GAN_HESSIAN_GANS.join(', ')}`);
      }
      const k = parseIntStrict('--k', o.k, { min: 1 });
      const seed = parseIntStrict('--seed', o.seed);
      const tol = parsePositive('--tol', o.tol);
      const nResid = parseIntStrict('--residuals', o.residuals);
      const saveEvery = parseFloatStrict('--save-every', o.saveEvery);
      if (!(saveEvery >= 0)) throw new InputError(`--save-every must be a number of seconds >= 0, got '${o.saveEvery}'`);
      const epsOpt = o.eps === undefined ? undefined : parsePositive('--eps', o.eps);
      if (epsOpt !== undefined && o.jv !== 'fd') throw new InputError('--eps is the finite-difference step: it needs --jv fd');
      const itOpt = o.iterations === undefined ? undefined : parseIntStrict('--iterations', o.iterations, { min: 1 });
      if (o.code && cmd.getOptionValueSource('at') === 'cli') throw new InputError('give either --code or --at, not both');
      if (o.code && !existsSync(o.code)) throw new InputError(`--code ${o.code} does not exist`);
      const home = weightsHome(o.weightsDir);
      requireDeepsimFc6(home); // names `dualneuron weights pull deepsim-fc6`
      const lock = openOutputFolder(o.out, 'gan-hessian');
      try {
        const backend = await init('webgpu');
        const { model, sha256: weightsSha256 } = loadDeepsimFc6({ weightsDir: o.weightsDir, backend });
        const n = model.codeDim;
        if (k > n) throw new InputError(`--k ${k} exceeds the code dimension ${n} of the ${o.gan} generator`);
        const iterations = itOpt ?? defaultLanczosIterations(n, k);
        if (iterations < k || iterations > n) throw new InputError(`--iterations must be in k..N = ${k}..${n}, got ${iterations}`);
        const { z0, source } = codeOf(o, n, seed);
        const codeSha256 = createHash('sha256').update(new Uint8Array(z0.buffer, z0.byteOffset, z0.byteLength)).digest('hex');
        const eps = o.jv === 'fd' ? epsOpt ?? defaultHessianEps(z0) : 0;
        const rec = startRecord('gan-hessian', { ...o }, backend.describe());
        const key = { gan: o.gan, weightsSha256, codeSha256, jv: o.jv, eps, seed };
        const resume = loadState(o.out, key, n) ?? undefined;
        const resumedFrom = resume?.alpha.length ?? 0; // lanczosTop continues the state in place
        if (resume) console.error(`resuming from ${resumedFrom} Lanczos steps saved in ${o.out}`);
        const H = await ImageDistanceHessian.create(model, z0, { jv: o.jv, eps: o.jv === 'fd' ? eps : undefined });
        try {
          const progress = new Progress({ total: iterations, unit: 'HVP', label: 'Lanczos' });
          let lastSave = performance.now();
          const t0 = performance.now();
          const res = await lanczosTop(n, (v) => H.apply(v), {
            k, maxIterations: iterations, tol, seed, resume,
            onStep: (m) => progress.set(m),
            onCheckpoint: (s) => {
              if (performance.now() - lastSave < saveEvery * 1000) return;
              saveState(o.out, s, key);
              lastSave = performance.now();
            },
          });
          progress.finish(res.converged ? 'converged' : 'iteration limit');
          const lanczosSeconds = (performance.now() - t0) / 1000;
          // the real residuals of the top few pairs, one batched product
          const r = Math.min(nResid, k);
          const top = Array.from({ length: r }, (_, i) => res.vectors.slice(i * n, (i + 1) * n));
          const Hv = r ? await H.applyBatch(top) : [];
          const residuals = Hv.map((hv, i) => {
            let s = 0;
            for (let j = 0; j < n; j++) s += (hv[j] - res.values[i] * top[i][j]) ** 2;
            return { index: i, eigenvalue: res.values[i], residual: Math.sqrt(s), relative: Math.sqrt(s) / Math.abs(res.values[i]) };
          });
          writeNpy(join(o.out, 'eigvals.npy'), { dtype: 'f64', shape: [k], data: res.values });
          writeNpy(join(o.out, 'eigvecs.npy'), { dtype: 'f32', shape: [k, n], data: Float32Array.from(res.vectors) });
          const info = {
            gan: o.gan, dimension: n, k, code: source, codeSha256, codeNorm: Math.hypot(...z0), weightsSha256,
            distance: '||G(z) - G(z0)||^2, G the [0, 1] RGB image (3 x 256 x 256); H = 2 J^T J',
            method: 'Lanczos with full reorthogonalisation (float64, host) on H v = 2 J^T (J v); J^T u by one backward pass; J v ' +
              (o.jv === 'fd' ? 'by central finite differences of the raw output, masked by the clamp at z0' : 'exactly, by a tangent pass through the generator (forward mode), masked by the clamp at z0'),
            jv: o.jv, eps: o.jv === 'fd' ? eps : null, epsRule: o.jv !== 'fd' ? null : epsOpt === undefined ? `${DEFAULT_EPS_REL} x max(1, rms(z0))` : 'given',
            iterations: res.iterations, maxIterations: iterations, tol, converged: res.converged, restarts: res.restarts, seed,
            resumedFrom, products: H.products, lanczosSeconds,
            clampedFraction: await H.clampedFraction(),
            ritzResidualsTop: Array.from(res.ritzResiduals.slice(0, Math.min(k, 16))),
            residuals,
            files: { eigvals: 'float64 (k), descending', eigvecs: 'float32 (k, N), row i belongs to eigvals[i], unit norm, largest component positive' },
            hesscma: 'HessCMA.create({ dimension: N, ...readGanHessian(DIR) (eigenvalues, eigenvectors N x k), topK, exponent }); upstream fc6 used topK 800, exponent 1/5',
          };
          writeFileAtomic(join(o.out, 'hessian.json'), JSON.stringify(info, null, 1) + '\n');
          finishRecord(rec, join(o.out, 'run.json'), { hessian: 'hessian.json' });
          rmSync(join(o.out, STATE_JSON), { force: true });
          rmSync(join(o.out, STATE_BASIS), { force: true });
          console.error(`wrote ${o.out}: top ${k} of ${n} eigenpairs in ${res.iterations} Lanczos steps (${res.converged ? 'converged' : 'iteration limit'}); ` +
            `lambda_1 = ${res.values[0].toPrecision(6)}, lambda_${k} = ${res.values[k - 1].toPrecision(6)}` +
            (residuals.length ? `; max relative residual of the top ${residuals.length}: ${Math.max(...residuals.map((x) => x.relative)).toExponential(2)}` : ''));
        } finally {
          H.dispose();
          model.dispose();
        }
      } finally {
        lock.release();
      }
    });
}
