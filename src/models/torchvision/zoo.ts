// The torchvision ImageNet classifiers upstream's twins/nets.py load_model serves (IMAGENET1K_V1 weights): how to
// build each (full size, or the small variants the tests compare with PyTorch), where torchvision publishes its
// weights, and the preprocessing its weight enums declare (resize the short side to 256 bilinear, centre crop 224,
// ImageNet mean and std).
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Backend } from '../../tensor/index.js';
import type { Module } from '../../nn/module.js';
import { WeightsError } from '../../errors.js';
import { resnet50 } from '../resnet.js';
import { VGG, VGG16, VGG16_BN, scaledVgg } from './vgg.js';
import { TorchvisionViT, VIT_B_16 } from './vit-b16.js';

export const TORCHVISION_IDS = ['vgg16', 'vgg16_bn', 'resnet50', 'vit_b_16'] as const;
export type TorchvisionId = (typeof TORCHVISION_IDS)[number];
export const isTorchvisionId = (s: string): s is TorchvisionId => (TORCHVISION_IDS as readonly string[]).includes(s);

/** 'full': the published network; 'tiny': the small variant of tools/golden/torchvision_models.py (10 classes) */
export type Variant = 'full' | 'tiny';

export interface TorchvisionSpec {
  id: TorchvisionId;
  /** torchvision's IMAGENET1K_V1 URL; the part of the file name after the last '-' is a prefix of its sha256 */
  url: string;
  /** (C, H, W) of the model's input */
  inputShape: [number, number, number];
  what: string;
}

const URL = 'https://download.pytorch.org/models/';
export const TORCHVISION: Record<TorchvisionId, TorchvisionSpec> = {
  vgg16: { id: 'vgg16', url: `${URL}vgg16-397923af.pth`, inputShape: [3, 224, 224], what: 'VGG16 (configuration D), 138M parameters' },
  vgg16_bn: { id: 'vgg16_bn', url: `${URL}vgg16_bn-6c64b313.pth`, inputShape: [3, 224, 224], what: 'VGG16 with batch normalisation, 138M parameters' },
  resnet50: { id: 'resnet50', url: `${URL}resnet50-0676ba61.pth`, inputShape: [3, 224, 224], what: 'ResNet-50 (v1.5), 25.6M parameters' },
  vit_b_16: { id: 'vit_b_16', url: `${URL}vit_b_16-c867db91.pth`, inputShape: [3, 224, 224], what: 'ViT-B/16, 86.6M parameters' },
};

/** torchvision's ImageClassification preset of the IMAGENET1K_V1 weights */
export const IMAGENET_PREPROCESSING = { resize: 256, crop: 224, interpolation: 'bilinear', mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] } as const;

/** The network of `id`, its parameters zero until a state dict is loaded; in eval mode. */
export function buildTorchvision(id: TorchvisionId, o: { variant?: Variant; backend?: Backend } = {}): Module {
  const tiny = o.variant === 'tiny', b = o.backend;
  switch (id) {
    case 'vgg16': return new VGG(tiny ? scaledVgg(VGG16, 32, { hidden: 64, numClasses: 10 }) : VGG16, b);
    case 'vgg16_bn': return new VGG(tiny ? scaledVgg(VGG16_BN, 32, { hidden: 64, numClasses: 10 }) : VGG16_BN, b);
    case 'resnet50': {
      if (tiny) throw new WeightsError('resnet50 has no tiny variant (torchvision fixes its widths); the tests use the full network');
      return resnet50({ backend: b }).eval();
    }
    case 'vit_b_16': return new TorchvisionViT(tiny ? { imageSize: 32, patchSize: 8, layers: 2, heads: 2, hidden: 16, mlp: 32, numClasses: 10 } : VIT_B_16, b);
  }
}

/** Input shape of a variant (the tiny ViT takes 32x32 images; the CNNs take any size, 224 as published). */
export const inputShapeOfVariant = (id: TorchvisionId, v: Variant): [number, number, number] => (v === 'tiny' && id === 'vit_b_16' ? [3, 32, 32] : TORCHVISION[id].inputShape);

/** Which model a state dict's keys are (null: none of them). */
export function detectTorchvision(keys: Iterable<string>): TorchvisionId | null {
  const k = new Set(keys);
  if (k.has('class_token') && k.has('encoder.pos_embedding')) return 'vit_b_16';
  if (k.has('layer1.0.conv1.weight') && k.has('fc.weight')) return 'resnet50';
  if (k.has('features.0.weight') && k.has('classifier.6.weight')) return k.has('features.1.running_mean') ? 'vgg16_bn' : 'vgg16';
  return null;
}

let classes: string[] | null = null;
/** The 1000 ImageNet class names in logit order (weights/imagenet-classes.json, from torchvision). */
export function imagenetClasses(): string[] {
  if (!classes) {
    const p = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../weights/imagenet-classes.json');
    const j = JSON.parse(readFileSync(p, 'utf8')) as { classes: string[] };
    if (!Array.isArray(j.classes) || j.classes.length !== 1000) throw new WeightsError(`${p} does not hold 1000 class names; the package is damaged, reinstall it`);
    classes = j.classes;
  }
  return classes;
}
