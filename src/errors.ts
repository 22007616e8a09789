// Typed errors shared by every layer. Each message says what was expected, what was found, and what to do.

export class DualNeuronError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Shapes that do not fit together (names both shapes). */
export class ShapeError extends DualNeuronError {}
/** Wrong element type for an op (says which was expected). */
export class DTypeError extends DualNeuronError {}
/** A tensor used after dispose() (names the op that used it). */
export class DisposedError extends DualNeuronError {}
/** WebGPU unavailable, kernel compilation or validation failure, device limits. */
export class DeviceError extends DualNeuronError {}
/** Weights missing, corrupt, or not matching the model (names file and key). */
export class WeightsError extends DualNeuronError {}
/** Bad user input: files, images, options (names the file or option). */
export class InputError extends DualNeuronError {}
/** A file in a format we read (npy, safetensors, pth, png, jpeg) that is malformed or unsupported. */
export class FormatError extends DualNeuronError {}
