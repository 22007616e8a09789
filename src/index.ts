// dualneuron's public entry point: the tensor library and the typed errors. Models, I/O and the science
// workflows have their own entry points under src/.
export * from './tensor/index.js';
export * from './errors.js';
