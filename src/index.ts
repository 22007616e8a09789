// dualneuron's public entry point, the same in every host (Node, Deno, browsers): the tensor library, the typed
// errors, the byte-based file formats and the twins (built from bytes or fetched from a weights folder URL) with
// predict. Nothing reachable from here imports a Node module or reads a bare `process`; Node-only pieces (the
// weights cache, file I/O) are added by the Node entry, src/node.ts.
export * from './tensor/index.js';
export * from './errors.js';
export { type HostArray, type HostDType } from './io/host-array.js';
export { parseNpy, encodeNpy } from './io/npy-format.js';
export { parseSafetensors, encodeSafetensors, type Safetensors } from './io/safetensors-format.js';
export { TWINS, TWIN_IDS, isTwinId, type TwinId, type TwinSpec } from './models/twins/registry.js';
export { TwinEnsemble, TwinMember } from './models/twins/twin.js';
export { type LoadedTwin, type TwinBuildOptions } from './models/twins/assemble.js';
export { loadTwinFromBytes, fetchTwin, WeightsUrl, memberPath, maskPath, sha256Hex, type FetchOptions } from './models/twins/load-bytes.js';
export { predict, type PredictOptions, type PredictResult, type PredictableTwin } from './dualneuron/predict.js';
// the science API on in-memory data: image decoding and the screening preprocessing, synthesis (MEIs/LEIs)
export { decodeImage } from './io/image/decode-bytes.js';
export { encodePNG, type PngImage } from './io/image/encode-png.js';
export { type RawImage } from './io/image/types.js';
export { makePipeline, imageToInput, scaleMask, type InputPipeline, type Preset } from './dualneuron/input/pipeline.js';
export { synthesize, type Objective, type RunSpec, type RunResult, type SynthesisOptions } from './dualneuron/synthesis/engine.js';
export { PixelParameterization, type Parameterization } from './dualneuron/synthesis/parameterization.js';
export { FourierParameterization } from './dualneuron/synthesis/fourier.js';
export { RECIPES, defaultRecipe, recipeOptions, type Recipe } from './dualneuron/synthesis/recipes.js';
export { runSeedOf, type Pole } from './dualneuron/synthesis/run-seed.js';
export { blend, toDisplay } from './dualneuron/synthesis/display.js';
export { browserWeightsCache, type WeightsByteCache } from './models/twins/weights-cache-web.js';
