// The DualNeuron digital twins: what each one is, where its upstream files are, and how screening feeds it.
// Behaviour follows enigma-brain/dualneuron (twins/nets.py, screening/run.py) with its mask bug fixed: each
// twin screens through its own aperture (upstream always loaded the V4 mask). V4 gray has no mask of its own
// upstream; it uses the V4 color aperture (same 100x100 geometry).

export type TwinId = 'v1' | 'v4' | 'v4g';

export interface TwinSpec {
  id: TwinId;
  /** upstream class and folder name */
  name: 'V1GrayTaskDriven' | 'V4ColorTaskDriven' | 'V4GrayTaskDriven';
  area: 'V1' | 'V4';
  neurons: number;
  /** model-space input (C, H, W) */
  inputShape: [number, number, number];
  /** upstream checkpoint file names in member order (members are numbered 1..K as upstream) */
  members: string[];
  core: 'convnextv2-atto-stage1' | 'resnet50-layer3.0';
  /** channels and spatial size of the core output */
  coreShape: [number, number, number];
  /** nonlinearity after the final BatchNorm */
  finalNonlinearity: 'gelu' | 'relu';
  /** upstream prefix of the core's backbone keys in the checkpoints */
  backbonePrefix: string;
  /** the twin whose mask.npy is this twin's aperture */
  maskFrom: 'V1GrayTaskDriven' | 'V4ColorTaskDriven';
  /** screening preprocessing (upstream screening/run.py), with each twin's own crop/size/norm */
  screening: { crop: number; size: number; norm: number; gray: boolean };
}

export const TWINS: Record<TwinId, TwinSpec> = {
  v1: {
    id: 'v1', name: 'V1GrayTaskDriven', area: 'V1', neurons: 458, inputShape: [1, 93, 93],
    members: [1, 2, 3, 4, 5].map((i) => `v1_convnext_${i}.pth.tar`),
    core: 'convnextv2-atto-stage1', coreShape: [80, 11, 11], finalNonlinearity: 'gelu',
    backbonePrefix: 'core.features.backbone.model.', maskFrom: 'V1GrayTaskDriven',
    screening: { crop: 167, size: 93, norm: 12, gray: true },
  },
  v4: {
    id: 'v4', name: 'V4ColorTaskDriven', area: 'V4', neurons: 394, inputShape: [3, 100, 100],
    members: ['33bd3a8c2c7dd6916c98ba7ad557eade', '44370def81b37c0588e260d6284610fe', 'a1e5fa8957a5e802b51d70c31c87b62b',
      'ad6a12061d8a8ba02d04dd7b142ebc71', 'c0f9f75fd8743c363df3f32dfbf88a7f'].map((h) => `${h}.pth.tar`),
    core: 'resnet50-layer3.0', coreShape: [1024, 7, 7], finalNonlinearity: 'relu',
    backbonePrefix: 'core.features.TaskDriven.', maskFrom: 'V4ColorTaskDriven',
    screening: { crop: 236, size: 100, norm: 40, gray: false },
  },
  v4g: {
    id: 'v4g', name: 'V4GrayTaskDriven', area: 'V4', neurons: 1244, inputShape: [1, 100, 100],
    members: Array.from({ length: 10 }, (_, i) => `task_driven_ensemble_model_${String(i + 1).padStart(2, '0')}.pth.tar`),
    core: 'resnet50-layer3.0', coreShape: [1024, 7, 7], finalNonlinearity: 'relu',
    backbonePrefix: 'core.features.TaskDriven.', maskFrom: 'V4ColorTaskDriven',
    screening: { crop: 236, size: 100, norm: 40, gray: true },
  },
};

export const TWIN_IDS = Object.keys(TWINS) as TwinId[];

export function isTwinId(s: string): s is TwinId {
  return (TWIN_IDS as string[]).includes(s);
}
