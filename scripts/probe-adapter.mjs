// Prints the WebGPU adapter Dawn finds in Node, or exits 1 when there is none.
// Used by scripts/setup.sh to decide whether lavapipe must be installed.
import { create, globals } from 'webgpu';
Object.assign(globalThis, globals);
process.env.XDG_RUNTIME_DIR ??= '/tmp';
let gpu = create([]);
const adapter = await gpu.requestAdapter();
if (!adapter) { console.error('no WebGPU adapter'); process.exit(1); }
const i = adapter.info;
console.log(`${i.description || i.device || 'unknown'} (vendor ${i.vendor || '?'}, ${i.architecture || '?'})`);
gpu = null;
process.exit(0);
