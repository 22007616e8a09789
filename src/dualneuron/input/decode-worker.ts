// Worker thread: decodes image files (or tar members) and runs the input pipeline (CPU only), so the GPU never waits on JPEG.
import { parentPort, workerData } from 'node:worker_threads';
import { readImageRef } from './tar-images.js';
import { imageToInput, type InputPipeline } from './pipeline.js';

const pipe = workerData as InputPipeline;

parentPort!.on('message', (msg: { id: number; path: string }) => {
  try {
    const x = imageToInput(pipe, readImageRef(msg.path));
    parentPort!.postMessage({ id: msg.id, data: x }, [x.buffer as ArrayBuffer]);
  } catch (e) {
    parentPort!.postMessage({ id: msg.id, error: (e as Error).message });
  }
});
