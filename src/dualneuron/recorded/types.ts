// Recorded responses and their images in memory, whatever file layout they came from (a DATA folder, the Allen
// notebook's trial table, a bare responses matrix; see recorded/load.ts and the README section "Recorded data
// and oracle reliability").

/** Responses (R, I, N) in C order: repeat, image, neuron; NaN where a repeat was not recorded. */
export interface ResponseCube {
  repeats: number;
  images: number;
  neurons: number;
  data: Float64Array;
}

/** Images in data-set order: uint8, (I, H, W) gray or (I, H, W, 3) RGB, row-major. */
export interface ImageStack {
  count: number;
  height: number;
  width: number;
  channels: 1 | 3;
  data: Uint8Array;
}

export interface RecordedData {
  /** what was read (paths), for messages and run.json */
  source: string;
  /** which layout it came in */
  layout: 'folder' | 'trial-table' | 'matrix';
  neuronIds: string[];
  imageIds: string[];
  responses: ResponseCube;
  /** null when no images were given (the oracle does not need them) */
  images: ImageStack | null;
  responseUnit: 'spike_count' | 'rate';
  windowS: number | null;
  /** free text: what made the data */
  origin: string;
}

/** Index of (repeat, image, neuron) in a cube's data. */
export const cubeIndex = (c: ResponseCube, r: number, i: number, n: number): number => (r * c.images + i) * c.neurons + n;

/** One neuron's recorded values per image (NaN dropped), in image order. */
export function repeatGroups(c: ResponseCube, neuron: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < c.images; i++) {
    const g: number[] = [];
    for (let r = 0; r < c.repeats; r++) {
      const v = c.data[cubeIndex(c, r, i, neuron)]!;
      if (!Number.isNaN(v)) g.push(v);
    }
    out.push(g);
  }
  return out;
}
