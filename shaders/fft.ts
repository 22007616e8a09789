// FFT kernels: one Stockham autosort pass of radix R along one axis of complex data, R a product of small
// primes (plans use radices up to 16, and odd primes up to 31 as their own pass), the R-point DFT in registers.
//
// Layout. Complex numbers are vec2<f32> (re, im), the library's trailing-dim-2 layout read as array<vec2<f32>>.
// A batch of sequences of length L along an axis is a contiguous [outer, L, inner] array; the pass reads the
// whole batch and writes a second buffer of the same layout (ping-pong), so one dispatch per pass covers every
// image, channel and row.
//
// Pass (Stockham, as in Govindaraju et al., "High performance discrete Fourier transforms on graphics
// processors", 2008): with NS = product of the radices of the earlier passes, invocation (o, j, i), j in
// [0, Q = L/R), reads a_r = x[o, j + r Q, i], multiplies a_r by w_L^(r (j mod NS) L/(NS R)) (w_L = e^(-2 pi i/L),
// from a table computed in float64), does the R-point DFT (decimation in time over the prime factors of R, odd
// primes by their symmetric formula, constants as float64 literals) and writes y_r to position
// (j / NS) NS R + (j mod NS) + r NS. After the last pass the sequence is in natural order. Passes are forward
// transforms; an inverse transform conjugates on its first load and on its last store.
//
// The first pass may read the caller's input instead of a work buffer ('complex' with zero padding past lin,
// 'real', or 'hermitian': the C2R fill-in of a stored half spectrum, imaginary parts of DC and Nyquist dropped)
// and may multiply by the Bluestein chirp; the last pass may store the result ('complex' or 'real', cropped to
// lout, scaled, columns 1..double doubled), or multiply by the Bluestein filter B and conjugate (so that the
// second run computes the inverse transform), or undo the chirp and store. Bluestein (sizes with a prime factor
// above 31): a forward run of M points (first load x_m c_m, last store conj(A_k B_k)), then a second run
// (last store X_k = c_k conj(V_k)), with c_m = e^(-i pi m^2/n) and B the M-point DFT of the conjugate chirp / M.
//
// Sizes are runtime parameters, so a handful of pipelines per radix (see FftPassSpec) serve every length and op;
// index divisions by runtime divisors use an f32 reciprocal with an exact integer correction.
//
// Grid: one invocation per butterfly (o, j, i) in row-major order (i fastest, so that neighbouring lanes touch
// neighbouring memory in column passes), 64 per workgroup, 2-D past 65535 groups. On lavapipe this beat
// 8 x 8 and 64 x 1 workgroups over (i, (o, j)) for column passes and matches them for row passes.
//
// Bindings: P, dst (vec2, or f32 for a pass that stores real numbers), src (vec2; a real input is read as f32
// element q = component q & 1 of vec2 q >> 1, so any offset works), tab (vec2: twiddles at 0, chirp at TC,
// filter at TB).
import { bindings, linearMain, paramLayout } from './common.js';
import { TRIG_WGSL } from './trig.js';

/** Input kinds of a first pass that reads real or Hermitian-half input (FFT_PASS `load`). */
export const FFT_LOAD = { complex: 1, real: 2, hermitian: 3 } as const;

/**
 * What a pass pipeline is compiled for: the radix, whether it twiddles (every pass but the first of a run), its
 * load (a work buffer; the caller's complex input; or the caller's real or Hermitian-half input, the kind a
 * parameter), whether it multiplies by the Bluestein chirp on load or on store, and its store (a work buffer, a
 * work buffer times conj(B) for Bluestein, or the result, complex or real). Sizes and conjugation are
 * parameters, so that a few pipelines per radix serve every length and both directions (shader compilation on a
 * CPU adapter costs about a second per pipeline cold). The complex load has its own pipelines: deciding the
 * input kind at run time made c2c transforms 20-40% slower on lavapipe.
 */
export interface FftPassSpec {
  R: number;
  twiddle: boolean;
  load: 'buf' | 'complex' | 'realOrHermitian';
  chirpIn: boolean;
  store: 'buf' | 'mulB' | 'complex' | 'real';
  chirpOut: boolean;
}

/** Parameters of a pass. */
export const FFT_PASS = paramLayout({
  outer: 'u32', inner: 'u32', srcOff: 'u32', lin: 'u32', lout: 'u32', scale: 'f32', double: 'u32', L: 'u32', Q: 'u32', NS: 'u32', n: 'u32',
  TC: 'u32', TB: 'u32', invQ: 'f32', invInner: 'f32', invNS: 'f32', twStride: 'u32', signIn: 'f32', signOut: 'f32', load: 'u32',
});
/** complexFromParts: [size] elements, offsets of re and im */
export const COMPLEX_PARTS = paramLayout({ size: 'u32', reOff: 'u32', imOff: 'u32' });
/** polar and its VJP: [size] elements, magnitudes repeat every magSize elements; gOff in vec2 units */
export const POLAR = paramLayout({ size: 'u32', magOff: 'u32', phaseOff: 'u32', magSize: 'u32', gOff: 'u32' });

export const FFT_WG = 64;

/** Whether the pass reads the table (twiddles, chirp or filter); it is bound only then. */
export function fftPassUsesTable(s: FftPassSpec): boolean {
  return s.twiddle || s.chirpIn || s.chirpOut || s.store === 'mulB';
}

export function fftPassKey(s: FftPassSpec): string {
  return `fft:${s.R}:${s.twiddle ? 't' : ''}:${s.load}${s.chirpIn ? '*c' : ''}:${s.store}${s.chirpOut ? '*c' : ''}`;
}

const lit = (v: number) => {
  const s = Math.abs(v) < 1e-300 ? '0.0' : v.toPrecision(17);
  return `(${s.includes('.') || s.includes('e') ? s : `${s}.0`})`;
};

/**
 * WGSL statements for an R-point forward DFT of the vec2 values `a` in registers; returns the names of the
 * outputs. Radix 2 and 4 butterflies, the symmetric formula for odd primes, and for composite R a decimation in
 * time over its smallest prime factor p: p DFTs of R/p points on the stride-p subsequences, twiddles w_R^(r k1),
 * then R/p DFTs of p points. All constants are float64 literals.
 */
export function dftCodelet(a: string[], prefix: string): { lines: string[]; out: string[] } {
  let id = 0;
  const fresh = () => `${prefix}${id++}`;
  const lines: string[] = [];
  const rec = (x: string[]): string[] => {
    const R = x.length;
    if (R === 1) return x;
    if (R === 2) {
      const [u, v] = [fresh(), fresh()];
      lines.push(`let ${u} = ${x[0]} + ${x[1]};`, `let ${v} = ${x[0]} - ${x[1]};`);
      return [u, v];
    }
    if (R === 4) {
      const [t0, t1, t2, t3] = [fresh(), fresh(), fresh(), fresh()];
      lines.push(`let ${t0} = ${x[0]} + ${x[2]};`, `let ${t1} = ${x[0]} - ${x[2]};`, `let ${t2} = ${x[1]} + ${x[3]};`, `let ${t3} = ${x[1]} - ${x[3]};`);
      const y = [fresh(), fresh(), fresh(), fresh()];
      lines.push(`let ${y[0]} = ${t0} + ${t2};`, `let ${y[2]} = ${t0} - ${t2};`,
        `let ${y[1]} = ${t1} + vec2<f32>(${t3}.y, -${t3}.x);`, `let ${y[3]} = ${t1} - vec2<f32>(${t3}.y, -${t3}.x);`);
      return y;
    }
    const p = smallestFactor(R);
    if (p === R) return oddPrime(x, fresh, lines);
    const m = R / p;
    const subs = Array.from({ length: p }, (_, r) => rec(x.filter((_, i) => i % p === r)));
    const y: string[] = new Array(R);
    for (let k1 = 0; k1 < m; k1++) {
      const t = subs.map((S, r) => {
        const e = twiddled(S[k1], r * k1, R);
        if (e === S[k1]) return e;
        const v = fresh();
        lines.push(`let ${v} = ${e};`);
        return v;
      });
      rec(t).forEach((v, k2) => { y[k1 + m * k2] = v; });
    }
    return y;
  };
  const out = rec(a);
  return { lines, out };
}

export function smallestFactor(n: number): number {
  for (let p = 2; p * p <= n; p++) if (n % p === 0) return p;
  return n;
}

/** e^(-2 pi i k / R) * z as a WGSL expression, exact for the multiples of pi/4. */
function twiddled(z: string, k: number, R: number): string {
  const kk = ((k % R) + R) % R;
  if (kk === 0) return z;
  if (4 * kk === R) return `vec2<f32>(${z}.y, -${z}.x)`;
  if (2 * kk === R) return `-${z}`;
  if (4 * kk === 3 * R) return `vec2<f32>(-${z}.y, ${z}.x)`;
  const h = Math.SQRT1_2;
  if (8 * kk === R) return `(vec2<f32>(${z}.x + ${z}.y, ${z}.y - ${z}.x) * ${lit(h)})`;
  if (8 * kk === 3 * R) return `(vec2<f32>(${z}.y - ${z}.x, -${z}.x - ${z}.y) * ${lit(h)})`;
  const t = (-2 * Math.PI * kk) / R;
  return `cm(${z}, vec2<f32>(${lit(Math.cos(t))}, ${lit(Math.sin(t))}))`;
}

/** y_k = a_0 + sum_m (a_m + a_{R-m}) cos(2 pi m k/R) - i (a_m - a_{R-m}) sin(2 pi m k/R), m = 1..(R-1)/2 */
function oddPrime(a: string[], fresh: () => string, lines: string[]): string[] {
  const R = a.length, h = (R - 1) / 2;
  const s: string[] = [], d: string[] = [];
  for (let m = 1; m <= h; m++) {
    const [u, v] = [fresh(), fresh()];
    lines.push(`let ${u} = ${a[m]} + ${a[R - m]};`, `let ${v} = ${a[m]} - ${a[R - m]};`);
    s.push(u); d.push(v);
  }
  const out: string[] = new Array(R);
  out[0] = fresh();
  lines.push(`let ${out[0]} = ${[a[0], ...s].join(' + ')};`);
  for (let k = 1; k <= h; k++) {
    const th = (m: number) => (2 * Math.PI * ((m * k) % R)) / R;
    const [re, im] = [fresh(), fresh()];
    lines.push(`let ${re} = ${a[0]} + ${s.map((v, q) => `${v} * ${lit(Math.cos(th(q + 1)))}`).join(' + ')};`);
    lines.push(`let ${im} = ${d.map((v, q) => `${v} * ${lit(Math.sin(th(q + 1)))}`).join(' + ')};`);
    out[k] = fresh();
    out[R - k] = fresh();
    lines.push(`let ${out[k]} = ${re} + vec2<f32>(${im}.y, -${im}.x);`, `let ${out[R - k]} = ${re} - vec2<f32>(${im}.y, -${im}.x);`);
  }
  return out;
}

const p = (k: Parameters<typeof FFT_PASS.get>[0]) => FFT_PASS.get(k);

/**
 * Element m of the pass's input sequence at (o, i): a work buffer, the caller's complex input (zero past lin),
 * or its real or Hermitian-half input (kind `load`, computed without branches so that R inlined copies stay
 * cheap to compile); conjugated for an inverse transform, times the Bluestein chirp where compiled in.
 */
function loadFn(s: FftPassSpec): string {
  if (s.load === 'buf') return `fn load(o: u32, m: u32, i: u32) -> vec2<f32> { return src[(o * ${p('L')} + m) * ${p('inner')} + i]; }`;
  const chirp = s.chirpIn ? `\n  v = cm(v, tab[${p('TC')} + min(m, ${p('n')} - 1u)]);` : '';
  if (s.load === 'complex') {
    return `fn load(o: u32, m: u32, i: u32) -> vec2<f32> {
  var v = vec2<f32>(0.0, 0.0);
  if (m < ${p('lin')}) { v = src[${p('srcOff')} + (o * ${p('lin')} + m) * ${p('inner')} + i]; }
  v.y = v.y * ${p('signIn')};${chirp}
  return v;
}`;
  }
  return `fn load(o: u32, m: u32, i: u32) -> vec2<f32> {
  let n = ${p('n')};
  let lin = ${p('lin')};
  let herm = ${p('load')} == ${FFT_LOAD.hermitian}u;
  let up = herm && 2u * m > n;
  let k = select(m, n - m, up);
  let ok = k < lin && m < n;
  let q = ${p('srcOff')} + (o * lin + select(0u, k, ok)) * ${p('inner')} + i;
  // a real input is f32 element q: component q & 1 of vec2 q >> 1 (any offset)
  let w = src[select(q >> 1u, q, herm)];
  let re = select(select(w.x, w.y, (q & 1u) == 1u), w.x, herm);
  let keepIm = herm && k != 0u && 2u * k != n;
  let im = select(0.0, w.y, keepIm) * select(1.0, -1.0, up) * ${p('signIn')};
  var v = select(vec2<f32>(0.0, 0.0), vec2<f32>(re, im), ok);${chirp}
  return v;
}`;
}

/** Stores output k of the pass at (o, i), by store class. */
function storeFn(s: FftPassSpec): string {
  const at = `(o * ${p('L')} + k) * ${p('inner')} + i`;
  if (s.store === 'buf') return `fn store(o: u32, k: u32, i: u32, v: vec2<f32>) { dst[${at}] = v; }`;
  if (s.store === 'mulB') {
    return `fn store(o: u32, k: u32, i: u32, v0: vec2<f32>) {
  let v = cm(v0, tab[${p('TB')} + k]);
  dst[${at}] = vec2<f32>(v.x, -v.y);
}`;
  }
  return `fn store(o: u32, k: u32, i: u32, v0: vec2<f32>) {
  if (k >= ${p('lout')}) { return; }
  var v = ${s.chirpOut ? `cm(tab[${p('TC')} + k], vec2<f32>(v0.x, -v0.y))` : 'v0'};
  v = v * ${p('scale')};
  v.y = v.y * ${p('signOut')};
  v = v * select(1.0, 2.0, k >= 1u && k <= ${p('double')});
  dst[(o * ${p('lout')} + k) * ${p('inner')} + i] = v${s.store === 'real' ? '.x' : ''};
}`;
}

export function fftPassWGSL(s: FftPassSpec): string {
  const { R } = s;
  const decl = bindings(
    [{ name: 'dst', type: s.store === 'real' ? 'f32' : 'vec2<f32>', access: 'read_write' }],
    [{ name: 'src', type: 'vec2<f32>', access: 'read' }, ...(fftPassUsesTable(s) ? [{ name: 'tab', type: 'vec2<f32>', access: 'read' as const }] : [])],
  );
  const a = Array.from({ length: R }, (_, r) => `a${r}`);
  const cd = dftCodelet(a, 'y');
  const body = [
    `let Q = ${p('Q')};`,
    ...a.map((x, r) => `${s.twiddle && r > 0 ? 'var' : 'let'} ${x} = load(o, j + ${r}u * Q, i);`),
    ...(s.twiddle ? [
      `let NS = ${p('NS')};`,
      `let jq = udiv(j, NS, ${p('invNS')});`,
      'let jm = j - jq * NS;',
      `let tw = jm * ${p('twStride')};`,
      ...a.slice(1).map((x, r) => `${x} = cm(${x}, tab[${r + 1}u * tw]);`),
      `let kb = jq * NS * ${R}u + jm;`,
    ] : [`let kb = j * ${R}u;`]),
    ...cd.lines,
    ...cd.out.map((y, r) => `store(o, kb + ${r}u${s.twiddle ? ' * NS' : ''}, i, ${y});`),
  ];
  return `// fft pass: radix ${R}${s.twiddle ? ', twiddles' : ''}, load ${s.load}, store ${s.store}
${decl}

fn cm(a: vec2<f32>, b: vec2<f32>) -> vec2<f32> { return vec2<f32>(a.x * b.x - a.y * b.y, a.x * b.y + a.y * b.x); }

// floor(a / d) for a < 2^28, from inv = f32(1 / d): an estimate, one correction step, then an exact fix-up
fn udiv(a: u32, d: u32, inv: f32) -> u32 {
  var q = u32(f32(a) * inv);
  let r = bitcast<i32>(a - q * d);
  q = u32(max(i32(q) + i32(floor(f32(r) * inv)), 0));
  if (q * d > a) { q = q - 1u; }
  if ((q + 1u) * d <= a) { q = q + 1u; }
  return q;
}

${loadFn(s)}

${storeFn(s)}

@compute @workgroup_size(${FFT_WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = gid.x + gid.y * nwg.x * ${FFT_WG}u;
  let inner = ${p('inner')};
  if (t >= ${p('outer')} * ${p('Q')} * inner) { return; }
  let u = udiv(t, inner, ${p('invInner')});
  let i = t - u * inner;
  let o = udiv(u, ${p('Q')}, ${p('invQ')});
  let j = u - o * ${p('Q')};
  ${body.join('\n  ')}
}
`;
}

// ---------------------------------------------------------------------------------------------------------
// Elementwise complex kernels, one complex element per invocation, 256 per workgroup, 2-D grid past 65535
// groups. Params: COMPLEX_PARTS, POLAR.

/** out[e] = (re[e], im[e]), a missing part 0. Bindings: out (vec2), then re and/or im (f32). */
export function complexFromPartsWGSL(hasRe: boolean, hasIm: boolean): string {
  const C = COMPLEX_PARTS;
  const ins = [...(hasRe ? [{ name: 're', type: 'f32', access: 'read' as const }] : []), ...(hasIm ? [{ name: 'im', type: 'f32', access: 'read' as const }] : [])];
  return `${bindings([{ name: 'out', type: 'vec2<f32>', access: 'read_write' }], ins)}
${linearMain(256)}
  if (i >= ${C.get('size')}) { return; }
  out[i] = vec2<f32>(${hasRe ? `re[${C.get('reOff')} + i]` : '0.0'}, ${hasIm ? `im[${C.get('imOff')} + i]` : '0.0'});
}
`;
}

/** out[e] = mag[e % magSize] (cos phase[e], sin phase[e]). Params: POLAR. */
export function polarWGSL(): string {
  const L = POLAR;
  return `${TRIG_WGSL}${bindings([{ name: 'out', type: 'vec2<f32>', access: 'read_write' }], [{ name: 'mag', type: 'f32', access: 'read' }, { name: 'phase', type: 'f32', access: 'read' }])}
${linearMain(256)}
  if (i >= ${L.get('size')}) { return; }
  let m = mag[${L.get('magOff')} + i % ${L.get('magSize')}];
  let sc = sincos_(phase[${L.get('phaseOff')} + i]);
  out[i] = m * vec2<f32>(sc.y, sc.x);
}
`;
}

/**
 * VJP of polar: dphase[e] = mag (g_im cos - g_re sin), dmag[e] = g_re cos + g_im sin (when wanted).
 * Params: POLAR. Bindings: dphase, (dmag), mag, phase, g.
 */
export function polarBackwardWGSL(wantMag: boolean): string {
  const L = POLAR;
  return `${TRIG_WGSL}${bindings([{ name: 'dphase', type: 'f32', access: 'read_write' }, ...(wantMag ? [{ name: 'dmag', type: 'f32', access: 'read_write' as const }] : [])],
    [{ name: 'mag', type: 'f32', access: 'read' }, { name: 'phase', type: 'f32', access: 'read' }, { name: 'g', type: 'vec2<f32>', access: 'read' }])}
${linearMain(256)}
  if (i >= ${L.get('size')}) { return; }
  let sc = sincos_(phase[${L.get('phaseOff')} + i]);
  let c = sc.y;
  let s = sc.x;
  let g = g[${L.get('gOff')} + i];
  dphase[i] = mag[${L.get('magOff')} + i % ${L.get('magSize')}] * (g.y * c - g.x * s);${wantMag ? `
  dmag[i] = g.x * c + g.y * s;` : ''}
}
`;
}
