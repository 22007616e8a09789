// Worker thread: decodes image files and runs the input pipeline (CPU only), so the GPU never waits on JPEG.
import { parentPort, workerData } from 'node:worker_threads';
import { readImage } from '../../io/image/index.js';
import { imageToInput, type InputPipeline } from './pipeline.js';

const pipe = workerData as InputPipeline;

parentPort!.on('message', (msg: { id: number; path: string }) => {
  try {
    const x = imageToInput(pipe, readImage(msg.path));
    parentPort!.postMessage({ id: msg.id, data: x }, [x.buffer as ArrayBuffer]);
  } catch (e) {
    parentPort!.postMessage({ id: msg.id, error: (e as Error).message });
  }
});
