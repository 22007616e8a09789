// dualneuron's Node entry point (package.json "exports", condition "node"): everything of src/index.ts plus the
// pieces that need Node's file system: the weights cache and reading/writing .npy and .safetensors files.
export * from './index.js';
export { loadTwin, type LoadTwinOptions } from './models/twins/load.js';
export { weightsHome, loadMask, loadPrior } from './models/weights/store.js';
export { readNpy, writeNpy } from './io/npy.js';
export { readSafetensors, writeSafetensors } from './io/safetensors.js';
