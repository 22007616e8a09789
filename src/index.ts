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
