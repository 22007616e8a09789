// sin and cos accurate to a few ulp (relative) for |x| up to about 1e5, on every adapter. WGSL only promises an
// absolute error of 2^-11 on [-pi, pi] for its built-ins, and real drivers use it: NVIDIA's sin(1e-7) is 0.
// Method (as Cephes sinf/cosf): reduce x by k * pi/2 with pi/2 split into three parts (Cody-Waite; the products
// k * P1 and k * P2 are exact for |k| < 2^12 or so), then minimax polynomials on [-pi/4, pi/4] picked by k mod 4.
// Beyond |x| = 1e5 the reduction loses accuracy and the built-ins are used.
export const TRIG_WGSL = `
fn sincos_(x: f32) -> vec2<f32> {
  if (abs(x) > 1.0e5) { return vec2<f32>(sin(x), cos(x)); }
  let k = round(x * 0.6366197723675814);
  let r = ((x - k * 1.5703125) - k * 4.837512969970703125e-4) - k * 7.549789954891882e-8;
  let z = r * r;
  let s = r + r * z * (-1.6666654611e-1 + z * (8.3321608736e-3 + z * -1.9515295891e-4));
  let c = 1.0 - 0.5 * z + z * z * (4.166664568298827e-2 + z * (-1.388731625493765e-3 + z * 2.443315711809948e-5));
  let q = i32(k) & 3;
  if (q == 0) { return vec2<f32>(s, c); }
  if (q == 1) { return vec2<f32>(c, -s); }
  if (q == 2) { return vec2<f32>(-s, -c); }
  return vec2<f32>(-c, s);
}
fn sin_(x: f32) -> f32 { return sincos_(x).x; }
fn cos_(x: f32) -> f32 { return sincos_(x).y; }
`;
