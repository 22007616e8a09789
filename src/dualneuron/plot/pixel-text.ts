// Text drawn straight into 8-bit raster images (for PNG montages, where SVG text is not available): a 3 x 5 pixel
// font of digits, lowercase letters (g drawn capital-like: a 3 x 5 cell cannot tell a lowercase g from 9) and a
// few signs, scaled by an integer factor. Unknown characters draw as blanks.

/** Each glyph: 5 rows of 3 columns, '#' set. */
const GLYPHS: Record<string, string> = {
  '0': '###|#.#|#.#|#.#|###', '1': '.#.|##.|.#.|.#.|###', '2': '###|..#|###|#..|###', '3': '###|..#|.##|..#|###',
  '4': '#.#|#.#|###|..#|..#', '5': '###|#..|###|..#|###', '6': '###|#..|###|#.#|###', '7': '###|..#|..#|.#.|.#.',
  '8': '###|#.#|###|#.#|###', '9': '###|#.#|###|..#|###', '.': '...|...|...|...|.#.', '-': '...|...|###|...|...',
  '+': '...|.#.|###|.#.|...', ':': '...|.#.|...|.#.|...', '/': '..#|..#|.#.|#..|#..', '=': '...|###|...|###|...',
  a: '...|.##|#.#|#.#|.##', b: '#..|##.|#.#|#.#|##.', c: '...|.##|#..|#..|.##', d: '..#|.##|#.#|#.#|.##',
  e: '...|.#.|###|#..|.##', f: '.##|#..|##.|#..|#..', g: '###|#..|#.#|#.#|###', h: '#..|##.|#.#|#.#|#.#',
  i: '.#.|...|.#.|.#.|.#.', j: '..#|...|..#|#.#|.#.', k: '#..|#.#|##.|##.|#.#', l: '##.|.#.|.#.|.#.|###',
  m: '...|###|###|#.#|#.#', n: '...|##.|#.#|#.#|#.#', o: '...|.#.|#.#|#.#|.#.', p: '...|##.|#.#|##.|#..',
  q: '...|.##|#.#|.##|..#', r: '...|#.#|##.|#..|#..', s: '...|.##|##.|..#|##.', t: '.#.|###|.#.|.#.|.##',
  u: '...|#.#|#.#|#.#|.##', v: '...|#.#|#.#|#.#|.#.', w: '...|#.#|#.#|###|###', x: '...|#.#|.#.|.#.|#.#',
  y: '...|#.#|#.#|.#.|#..', z: '...|###|.#.|#..|###', ' ': '...|...|...|...|...', _: '...|...|...|...|###',
};

export const GLYPH_W = 3, GLYPH_H = 5;

/** Width in pixels of `text` at `scale` (one blank column between characters). */
export function textWidth(text: string, scale: number): number {
  return text.length === 0 ? 0 : (text.length * (GLYPH_W + 1) - 1) * scale;
}

/**
 * Draws `text` into an HWC uint8 image (width x height, `channels` samples a pixel) with its top-left corner at
 * (x, y), every set pixel `color` (one value per channel); pixels outside the image are clipped.
 */
export function drawText(img: { width: number; height: number; channels: number; data: Uint8Array }, x: number, y: number, text: string, scale: number, color: number[]): void {
  const { width, height, channels, data } = img;
  [...text.toLowerCase()].forEach((ch, i) => {
    const rows = (GLYPHS[ch] ?? GLYPHS[' ']).split('|');
    const gx = x + i * (GLYPH_W + 1) * scale;
    for (let r = 0; r < GLYPH_H; r++) {
      for (let c = 0; c < GLYPH_W; c++) {
        if (rows[r][c] !== '#') continue;
        for (let dy = 0; dy < scale; dy++) {
          for (let dx = 0; dx < scale; dx++) {
            const px = gx + c * scale + dx, py = y + r * scale + dy;
            if (px < 0 || py < 0 || px >= width || py >= height) continue;
            for (let k = 0; k < channels; k++) data[(py * width + px) * channels + k] = color[k % color.length];
          }
        }
      }
    }
  });
}
