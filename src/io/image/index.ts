// Image I/O and PIL-exact preprocessing on the CPU (typed arrays only; no tensor dependency).
export { decodeImage, readImage } from './decode.js';
export { toL, toRGB, lumaPIL } from './convert.js';
export { bilinearCoeffs, centerCropPIL, nearestIndices, resizeBilinearPIL, resizeShortSide } from './resize.js';
export {
  DATASET_PRESETS, MODEL_PRESETS, preprocessImage, preprocessToUint8, toFloatCHW, type PreprocessOptions,
} from './preprocess.js';
export { encodePNG, writePNG, type PngImage } from './encode.js';
export { channelsOf, MAX_PIXELS, type ImageMode, type RawImage } from './types.js';
export { encodeAPNG, writeAPNG, type Frames } from './apng.js';
