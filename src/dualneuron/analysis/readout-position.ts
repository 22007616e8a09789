// Where a twin's Gaussian readout reads each neuron, in input pixels. The readout samples the core's feature map
// at mu in [-1, 1]^2 (grid_sample, align_corners=True: -1 and 1 are the centres of the first and last feature
// cells), so the feature cell is j = (mu + 1) / 2 * (size - 1), and cell j's centre in the input is
// stride * j + offset (column and row alike), from the core's strided layers (pixel centres at integers):
//   ConvNeXt-V2 atto to stage 1 (V1): 4x4 stride-4 patches (cell k covers pixels 4k..4k+3, centre 4k + 1.5), then
//     the stage-1 2x2 stride-2 downsampling (centre 2j + 0.5 patches): 8 j + 3.5; the 7x7 depthwise convolutions
//     in between are centred and shift nothing.
//   ResNet-50 to layer3.0 (V4): conv1 7x7/2 pad 3 (2i), max pool 3x3/2 pad 1, layer2 and layer3 3x3/2 pad 1
//     convolutions (torchvision's stride in the 3x3): 16 j.
// Eval mode reads mu clamped to [-1, 1]; a centred twin reads mu = 0.
import type { TwinEnsemble } from '../../models/twins/twin.js';
import type { TwinSpec } from '../../models/twins/registry.js';

export const CORE_GEOMETRY: Record<TwinSpec['core'], { stride: number; offset: number }> = {
  'convnextv2-atto-stage1': { stride: 8, offset: 3.5 },
  'resnet50-layer3.0': { stride: 16, offset: 0 },
};

/** A readout coordinate mu (grid units) to an input pixel coordinate along an axis of `cells` feature cells. */
export function muToPixel(spec: TwinSpec, mu: number, cells: number): number {
  const g = CORE_GEOMETRY[spec.core];
  const m = Math.min(1, Math.max(-1, mu));
  return g.stride * ((m + 1) / 2) * (cells - 1) + g.offset;
}

export interface ReadoutPosition {
  /** column and row, pixels: the mean over members */
  x: number; y: number;
  /** per member (column, row) */
  members: [number, number][];
  /** largest distance of a member's position from the mean, pixels */
  spread: number;
}

/** Each neuron's readout position (mean of the members'), as the model reads it now (centred or learned). */
export async function readoutPositions(model: TwinEnsemble, neurons: number[]): Promise<ReadoutPosition[]> {
  const spec = model.spec, [, Hf, Wf] = spec.coreShape;
  const perMember: Float64Array[] = [];
  for (const m of model.members) {
    // _mu (1, N, 1, 2): (x, y) per neuron, grid_sample's order (x along the width)
    perMember.push(m.centered ? new Float64Array(spec.neurons * 2) : Float64Array.from(await m.readout.stateDict().get('_mu')!.data()));
  }
  return neurons.map((n) => {
    const members = perMember.map((mu) => [muToPixel(spec, mu[2 * n], Wf), muToPixel(spec, mu[2 * n + 1], Hf)] as [number, number]);
    const x = members.reduce((s, p) => s + p[0], 0) / members.length, y = members.reduce((s, p) => s + p[1], 0) / members.length;
    return { x, y, members, spread: Math.max(...members.map((p) => Math.hypot(p[0] - x, p[1] - y))) };
  });
}
