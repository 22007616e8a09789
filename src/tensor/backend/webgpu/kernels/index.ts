// Registers every WebGPU kernel family (see ../../registry.ts). One import per family.
export {};
import './pool.js';
import './norm.js';
import './image.js';
import './sampling.js';
import './conv.js';
import './fft.js';
