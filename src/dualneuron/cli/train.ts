// `dualneuron train DATA --arch stacked2d --out DIR`: a twin of recorded neurons (README "Training twins").
import { Command, Option } from 'commander';
import { join } from 'node:path';
import { InputError } from '../../errors.js';
import { init } from '../../tensor/index.js';
import { loadRecorded } from '../recorded/load.js';
import { openOutputFolder } from '../output-folder.js';
import { finishRecord, startRecord } from '../run-record.js';
import { stacked2dArchitecture, type TwinArchitecture } from '../train/architecture.js';
import { FINETUNE_ARCHITECTURES, FINETUNE_DEFAULTS, checkCoreTwin, fileSource, finetuneArchitecture, loadCoreInit, twinSource, type CoreInit, type FinetuneArchName } from '../train/finetune.js';
import { CONVNEXTV2_PRESETS } from '../../models/convnextv2.js';
import { isTwinId } from '../../models/twins/registry.js';
import { DEFAULT_TRAIN, trainOptionsRecord, type TrainOptions } from '../train/options.js';
import { trainTwin } from '../train/run.js';
import { parseFloatStrict, parseIntStrict, parseSeed } from './parse.js';

interface Opts {
  out: string; arch: string; images?: string; missingRows: 'nan' | 'zero'; responseUnit: 'spike_count' | 'rate';
  epochs: string; batch: string; lr: string; seed: string; members: string; validation: string; test: string;
  loss: 'poisson' | 'mse'; lossReduction: 'sum' | 'mean'; scaleLoss: boolean; clip: string; patience: string; decaySteps: string;
  decayFactor: string; minLr: string; tolerance: string; hiddenChannels: string; layers: string; inputKern: string; hiddenKern: string;
  gammaInput: string; gammaHidden: string; featureReg?: string; imageSize?: string; coreFrom?: string; coreMember: string; coreWeights?: string;
  truncate?: string; convnextSize: string; freezeCore?: boolean; coreLr?: string; weightsDir?: string; readout: 'pyramid' | 'gaussian'; gaussType: 'isotropic' | 'uncorrelated' | 'full'; overwrite?: boolean;
}

export function parseImageSize(v: string): [number, number] {
  const m = /^([0-9]+)x([0-9]+)$/.exec(v);
  if (!m) throw new InputError(`--image-size must be HxW in pixels (e.g. 60x96), got '${v}'`);
  const h = parseIntStrict('--image-size height', m[1]!, { min: 8, max: 1024 }), w = parseIntStrict('--image-size width', m[2]!, { min: 8, max: 1024 });
  return [h, w];
}

function positive(name: string, v: string): number {
  const x = parseFloatStrict(name, v);
  if (!(x > 0)) throw new InputError(`${name} must be > 0, got '${v}'`);
  return x;
}

function fraction(name: string, v: string): number {
  const x = parseFloatStrict(name, v);
  if (!(x >= 0 && x < 1)) throw new InputError(`${name} must be a fraction in [0, 1), got '${v}'`);
  return x;
}

export function registerTrain(program: Command): void {
  program.command('train')
    .description('train a twin on recorded responses (the Allen notebook\'s Stacked2d CNN, or a pretrained ConvNeXtV2 / ResNet-50 core with a new Gaussian readout, as the DualNeuron twins); writes member_<k>.safetensors and twin.json')
    .argument('<DATA>', 'a DATA folder, a trial table (.csv or structured .npy) or a responses matrix (.npy) (README "Recorded data and oracle reliability")')
    .requiredOption('--out <dir>', 'output folder: member_<k>.safetensors, twin.json, train.json, checkpoints/, run.json')
    .addOption(new Option('--arch <name>', 'stacked2d (the notebook\'s CNN, trained from scratch); convnext-finetune (the V1 twin\'s ConvNeXtV2-atto cut at stage 1, fine-tuned); resnet-finetune (the V4 twins\' ResNet-50 cut after layer3.0)').choices(['stacked2d', ...FINETUNE_ARCHITECTURES]).default('stacked2d'))
    .option('--images <path>', 'images for a trial table or matrix: a folder of <image_id>.png/.jpg, or images.npy')
    .addOption(new Option('--missing-rows <how>', 'trial tables: a (trial, neuron) pair without a row is not recorded (nan) or 0 spikes (zero)').choices(['nan', 'zero']).default('nan'))
    .addOption(new Option('--response-unit <unit>', 'responses matrices: spike_count or rate').choices(['spike_count', 'rate']).default('spike_count'))
    .option('--image-size <HxW>', 'model input size; images are made gray, resized as the notebook and z-scored (default 60x96; convnext-finetune 93x93 and resnet-finetune 100x100, the twins\' sizes)')
    .option('--epochs <n>', 'most epochs (early stopping usually ends sooner)', String(DEFAULT_TRAIN.maxEpochs))
    .option('--batch <b>', 'images per batch', String(DEFAULT_TRAIN.batch))
    .option('--lr <x>', 'initial learning rate (Adam)', String(DEFAULT_TRAIN.lr))
    .option('--seed <s>', 'seed of the split, initialisation and shuffling (0..2^64-1)', '0')
    .option('--members <k>', 'ensemble members, each from its own seed', '1')
    .option('--validation <f>', 'fraction of images for validation (early stopping)', '0.1')
    .option('--test <f>', 'fraction of images held out for testing', '0.1')
    .addOption(new Option('--loss <kind>', 'Poisson loss (neuralpredictors\' PoissonLoss) or squared error').choices(['poisson', 'mse']).default('poisson'))
    .addOption(new Option('--loss-reduction <how>', 'sum (standard_trainer) or mean over the batch').choices(['sum', 'mean']).default('sum'))
    .option('--no-scale-loss', 'do not multiply the loss by sqrt(training images / batch)')
    .option('--clip <norm>', 'clip gradients to this global L2 norm (0: off)', String(DEFAULT_TRAIN.clip))
    .option('--patience <n>', 'epochs without improvement before the learning rate drops / a decay step ends', String(DEFAULT_TRAIN.patience))
    .option('--decay-steps <n>', 'learning-rate decay steps of early stopping', String(DEFAULT_TRAIN.decaySteps))
    .option('--decay-factor <x>', 'learning-rate factor on a plateau', String(DEFAULT_TRAIN.decayFactor))
    .option('--min-lr <x>', 'lowest learning rate', String(DEFAULT_TRAIN.minLr))
    .option('--tolerance <x>', 'change of validation correlation that counts (absolute)', String(DEFAULT_TRAIN.tolerance))
    .option('--hidden-channels <n>', 'core channels (notebook: 64)', '64')
    .option('--layers <n>', 'core layers (notebook: 3)', '3')
    .option('--input-kern <n>', 'input kernel size (notebook: 4)', '4')
    .option('--hidden-kern <n>', 'hidden kernel size (notebook: 3)', '3')
    .option('--gamma-input <x>', 'weight of the Laplace penalty of the input kernels (notebook: 0.1)', '0.1')
    .option('--gamma-hidden <x>', 'weight of the group sparsity of the hidden kernels (notebook: 0.1)', '0.1')
    .addOption(new Option('--readout <kind>', 'stacked2d: pyramid (the notebook\'s SpatialTransformerPyramid2d) or gaussian (FullGaussian2d, positions sampled in training, as the DualNeuron twins); the fine-tuning architectures always use gaussian').choices(['pyramid', 'gaussian']).default('pyramid'))
    .addOption(new Option('--gauss-type <type>', 'gaussian readout: the shape of sigma').choices(['isotropic', 'uncorrelated', 'full']).default('isotropic'))
    .option('--feature-reg <x>', 'weight of the readout features\' L1 norm (default 1; convnext-finetune 10 and resnet-finetune 3, the twins\' gamma_readout)')
    .option('--core-from <twin>', 'fine-tuning: start the core from an installed twin\'s core (backbone and OutBatchNorm): v1 (convnext-finetune, the default) or v4g / v4 (resnet-finetune, default v4g)')
    .option('--core-member <k>', 'fine-tuning: the member of --core-from whose core is taken', '1')
    .option('--core-weights <file>', 'fine-tuning: start the backbone from a state dict instead (.safetensors or .pth): Hugging Face ConvNextV2 keys (embeddings.*, encoder.stages.*; \'convnextv2.\' prefix allowed) or torchvision ResNet-50 keys (conv1.*, layer1.0.*)')
    .option('--truncate <module>', 'fine-tuning: convnext-finetune cuts at this HF module (default encoder.stages.1.layers.0); resnet-finetune after this module (default layer3.0)')
    .addOption(new Option('--convnext-size <size>', 'convnext-finetune with --core-weights: the ConvNeXtV2 size').choices(Object.keys(CONVNEXTV2_PRESETS)).default('atto'))
    .option('--freeze-core', 'fine-tuning: keep the backbone\'s weights fixed (OutBatchNorm and the readout still learn); default: the whole core is fine-tuned, as the V1 and V4 gray twins were')
    .option('--core-lr <x>', 'fine-tuning: initial learning rate of the backbone (default: --lr); it decays with the plateau schedule in the same ratio')
    .option('--weights-dir <dir>', 'weights cache holding the --core-from twin (default: $DUALNEURON_HOME or ~/.cache/dualneuron)')
    .option('--overwrite', 'start afresh in a folder holding a run made with other settings')
    .action(async (data: string, o: Opts) => {
      const finetune = (FINETUNE_ARCHITECTURES as readonly string[]).includes(o.arch) ? o.arch as FinetuneArchName : null;
      if (!finetune && o.arch !== 'stacked2d') throw new InputError(`--arch must be stacked2d, ${FINETUNE_ARCHITECTURES.join(' or ')}, got '${o.arch}'`);
      const size = o.imageSize ? parseImageSize(o.imageSize) : finetune ? FINETUNE_DEFAULTS[finetune].size : [60, 96] as [number, number];
      const options: TrainOptions = {
        maxEpochs: parseIntStrict('--epochs', o.epochs, { min: 1, max: 100000 }), batch: parseIntStrict('--batch', o.batch, { min: 1, max: 4096 }),
        lr: positive('--lr', o.lr), seed: parseSeed('--seed', o.seed), loss: o.loss, lossReduction: o.lossReduction, scaleLoss: o.scaleLoss,
        clip: parseFloatStrict('--clip', o.clip), patience: parseIntStrict('--patience', o.patience, { min: 1 }),
        decaySteps: parseIntStrict('--decay-steps', o.decaySteps, { min: 1, max: 100 }), decayFactor: positive('--decay-factor', o.decayFactor),
        minLr: parseFloatStrict('--min-lr', o.minLr), tolerance: parseFloatStrict('--tolerance', o.tolerance),
      };
      if (options.clip < 0) throw new InputError(`--clip must be >= 0 (0: off), got '${o.clip}'`);
      if (!(options.decayFactor < 1)) throw new InputError(`--decay-factor must lie in (0, 1), got '${o.decayFactor}'`);
      const members = parseIntStrict('--members', o.members, { min: 1, max: 100 });
      const featureReg = o.featureReg === undefined ? undefined : parseFloatStrict('--feature-reg', o.featureReg);
      let arch: TwinArchitecture;
      let coreInit: CoreInit | undefined;
      if (finetune) {
        if (o.coreFrom && o.coreWeights) throw new InputError('--core-from and --core-weights exclude each other: the core starts from a twin or from a file');
        const twin = o.coreFrom ?? FINETUNE_DEFAULTS[finetune].twin;
        if (!o.coreWeights && !isTwinId(twin)) throw new InputError(`--core-from must be v1, v4 or v4g, got '${twin}'`);
        if (!o.coreWeights) checkCoreTwin(finetune, twin as 'v1' | 'v4' | 'v4g');
        const source = o.coreWeights ? fileSource(o.coreWeights) : twinSource(twin as 'v1' | 'v4' | 'v4g', parseIntStrict('--core-member', o.coreMember, { min: 1, max: 100 }), o.weightsDir);
        arch = finetuneArchitecture(finetune, {
          neurons: 0, size, source, truncate: o.truncate, convnextSize: o.coreWeights ? o.convnextSize : undefined, freezeCore: o.freezeCore,
          coreLr: o.coreLr === undefined ? null : positive('--core-lr', o.coreLr), gaussType: o.gaussType, featureRegWeight: featureReg,
        });
        coreInit = loadCoreInit(arch, o.weightsDir);
      } else {
        if (o.coreFrom || o.coreWeights || o.freezeCore || o.coreLr || o.truncate) throw new InputError('--core-from, --core-weights, --truncate, --freeze-core and --core-lr are for --arch convnext-finetune or resnet-finetune');
        arch = stacked2dArchitecture(0, size, {
          hiddenChannels: parseIntStrict('--hidden-channels', o.hiddenChannels, { min: 1, max: 1024 }), layers: parseIntStrict('--layers', o.layers, { min: 1, max: 32 }),
          inputKern: parseIntStrict('--input-kern', o.inputKern, { min: 1, max: 31 }), hiddenKern: parseIntStrict('--hidden-kern', o.hiddenKern, { min: 1, max: 31 }),
          gammaInput: parseFloatStrict('--gamma-input', o.gammaInput), gammaHidden: parseFloatStrict('--gamma-hidden', o.gammaHidden),
        }, o.readout === 'gaussian'
          ? { kind: 'gaussian', gaussType: o.gaussType, featureRegWeight: featureReg ?? 1 }
          : { featureRegWeight: featureReg ?? 1 });
      }
      const validation = fraction('--validation', o.validation), test = fraction('--test', o.test);
      const rec = loadRecorded(data, { images: o.images, missingRows: o.missingRows, responseUnit: o.responseUnit });
      arch.neurons = rec.responses.neurons;
      const lock = openOutputFolder(o.out, 'train');
      try {
        const backend = await init('webgpu');
        const record = startRecord('train', { data, ...o }, backend.describe());
        console.error(`data: ${data} (${rec.layout}): ${rec.responses.neurons} neurons, ${rec.responses.images} images, up to ${rec.responses.repeats} repeats`);
        const manifest = await trainTwin({ rec, arch, size, options, members, validation, test, out: o.out, backend, overwrite: o.overwrite, coreInit, command: `dualneuron ${process.argv.slice(2).join(' ')}` });
        finishRecord(record, join(o.out, 'run.json'), { training: trainOptionsRecord(options), members: manifest.members.map((m) => ({ file: m.file, sha256: m.sha256, seed: m.seed, epochs: m.epochs })), correlation: { validation: manifest.correlation.validation, test: manifest.correlation.test } });
        console.error(`wrote ${join(o.out, 'twin.json')} and ${manifest.members.map((m) => m.file).join(', ')}; use it as --model ${o.out}`);
      } finally {
        lock.release();
      }
    });
}
