// The torchvision ImageNet classifiers as a command's --model (vgg16, vgg16_bn, resnet50, vit_b_16): the sibling
// of twin-source.ts's openTwin for networks whose outputs are 1000 ImageNet logits rather than neurons.
import type { Backend } from '../tensor/index.js';
import type { Module } from '../nn/module.js';
import type { RawImage } from '../io/image/index.js';
import { preprocessImage, toFloatCHW } from '../io/image/preprocess.js';
import { IMAGENET_PREPROCESSING, TORCHVISION, imagenetClasses, inputShapeOfVariant, type TorchvisionId } from '../models/torchvision/zoo.js';
import { loadTorchvision } from '../models/weights/torchvision-weights.js';

export interface OpenedClassifier {
  id: TorchvisionId;
  model: Module;
  /** 'tiny' only for the test variants a test imported */
  variant: 'full' | 'tiny';
  inputShape: [number, number, number];
  /** logits per image */
  outputs: number;
  /** class names in logit order (the ImageNet names for the published weights; class_<i> for a test variant) */
  classes: string[];
  weightsSha256: string;
  /** an image file -> the model's input, (3, 224, 224) float32, as torchvision's IMAGENET1K_V1 transforms make it */
  inputFromImage(img: RawImage): Float32Array;
  preprocessing: Record<string, unknown>;
  dispose(): void;
}

/** torchvision's ImageClassification: resize the short side to 256 (bilinear, antialiased as PIL), centre crop 224, /255, mean/std. */
export function imagenetInput(img: RawImage, size: number = IMAGENET_PREPROCESSING.crop): Float32Array {
  const resize = Math.round((size * IMAGENET_PREPROCESSING.resize) / IMAGENET_PREPROCESSING.crop);
  const x = toFloatCHW(preprocessImage(img, { shortSide: resize, crop: size, size: null, gray: false }).data as Uint8Array, 3);
  const n = size * size;
  for (let c = 0; c < 3; c++) {
    const m = IMAGENET_PREPROCESSING.mean[c], s = IMAGENET_PREPROCESSING.std[c];
    for (let i = 0; i < n; i++) x[c * n + i] = (x[c * n + i] - m) / s;
  }
  return x;
}

export function openClassifier(id: TorchvisionId, o: { weightsDir?: string; backend?: Backend } = {}): OpenedClassifier {
  const { model, variant, sha256 } = loadTorchvision(id, o);
  const inputShape = inputShapeOfVariant(id, variant);
  const outputs = variant === 'full' ? 1000 : 10;
  return {
    id, model, variant, inputShape, outputs,
    classes: variant === 'full' ? imagenetClasses() : Array.from({ length: outputs }, (_, i) => `class_${i}`),
    weightsSha256: sha256,
    inputFromImage: (img) => imagenetInput(img, inputShape[1]),
    preprocessing: { ...IMAGENET_PREPROCESSING, crop: inputShape[1], resize: Math.round((inputShape[1] * 256) / 224), weights: `${TORCHVISION[id].url} (IMAGENET1K_V1)` },
    dispose: () => model.dispose(),
  };
}

/** The k largest logits of each row: [{index, name, logit}] per image. */
export function topK(logits: Float32Array, outputs: number, classes: string[], k = 5): { index: number; name: string; logit: number }[][] {
  const B = logits.length / outputs;
  return Array.from({ length: B }, (_, b) => {
    const row = logits.subarray(b * outputs, (b + 1) * outputs);
    return [...row.keys()].sort((i, j) => row[j] - row[i]).slice(0, Math.min(k, outputs)).map((i) => ({ index: i, name: classes[i], logit: row[i] }));
  });
}
