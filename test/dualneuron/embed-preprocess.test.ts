// The DreamSim input pipeline against upstream's transforms run with PIL, torchvision and OpenCV
// (tools/golden/embed_preprocess.py): rows 100-107 and per-channel sums, and the aperture resized by cv2.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { readNpy } from '../../src/io/npy.js';
import { readImage } from '../../src/io/image/index.js';
import { embedMask, imageToEmbedInput, makeEmbedPipeline } from '../../src/dualneuron/dream/preprocess.js';
import { fixture } from '../helpers/fixtures.js';
import { requireUpstream, withUpstream } from '../helpers/upstream.js';

const test = suite('embedding preprocessing vs upstream (PIL, torchvision, OpenCV)');

const cases: [string, string, 'v1' | 'v4', boolean, 'rendered' | 'imagenet'][] = [
  ['rgb_v1', 'jpg_rgb420_300x200.jpg', 'v1', false, 'rendered'],
  ['gray_v4', 'jpg_rgb420_300x200.jpg', 'v4', true, 'rendered'],
  ['imagenet_v4', 'jpg_rgb420p_151x87.jpg', 'v4', false, 'imagenet'],
  ['graypng_v4', 'gray4_150x90.png', 'v4', false, 'rendered'],
];

withUpstream(test)('masks resized as cv2.INTER_LINEAR, images as upstream', () => {
  const up = requireUpstream();
  const masks = { v1: readNpy(join(up, 'V1GrayTaskDriven', 'mask.npy')), v4: readNpy(join(up, 'V4ColorTaskDriven', 'mask.npy')) };
  for (const area of ['v1', 'v4'] as const) {
    const m = embedMask(masks[area], 224);
    const want = readNpy(fixture('embed', `mask_${area}_rows.npy`)).data as Float32Array;
    let e = 0;
    for (let r = 0; r < 14; r++) for (let x = 0; x < 224; x++) e = Math.max(e, Math.abs(m[r * 16 * 224 + x] - want[r * 224 + x]));
    assert.ok(e < 1e-6, `${area} mask differs by ${e}`);
  }
  for (const [name, file, area, gray, preset] of cases) {
    const p = makeEmbedPipeline({ mask: masks[area], gray, preset });
    const x = imageToEmbedInput(p, readImage(fixture('images', 'inputs', file)));
    const rows = readNpy(fixture('embed', `${name}_rows.npy`)).data as Float32Array;
    let e = 0;
    for (let c = 0; c < 3; c++) for (let r = 0; r < 8; r++) for (let i = 0; i < 224; i++) e = Math.max(e, Math.abs(x[(c * 224 + 100 + r) * 224 + i] - rows[(c * 8 + r) * 224 + i]));
    const sums = readNpy(fixture('embed', `${name}_sums.npy`)).data as Float64Array;
    let se = 0;
    for (let c = 0; c < 3; c++) {
      let s = 0, q = 0;
      for (let i = 0; i < 224 * 224; i++) { const v = x[c * 224 * 224 + i]; s += v; q += v * v; }
      se = Math.max(se, Math.abs(s - sums[c]) / Math.abs(sums[c]), Math.abs(q - sums[3 + c]) / Math.abs(sums[3 + c]));
    }
    console.log(`    ${name}: max |diff| in rows ${e.toExponential(1)}, sums relative ${se.toExponential(1)}`);
    assert.ok(e < 1e-5 && se < 1e-5, `${name}: rows ${e}, sums ${se}`);
  }
});

test.run();
