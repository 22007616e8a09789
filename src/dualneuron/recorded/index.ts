// Recorded responses and images: loading (every layout), splits and preprocessing.
export * from './types.js';
export { loadRecorded, type LoadOptions } from './load.js';
export { readDataFolder, isDataFolder, DATASET_FORMAT } from './folder.js';
export { tableToRecorded, trialColumnsFromCsv, TABLE_COLUMNS, type MissingRows, type TrialColumns } from './trial-table.js';
export { trialColumnsFromNpy } from './table-npy.js';
export { matrixToRecorded } from './matrix.js';
export { imagesFor, imagesFromFolder, imagesFromNpy } from './images.js';
export { splitImages, type ImageSplit } from './split.js';
export { preprocessNotebook, preprocessForTwin, stackImage, NOTEBOOK_SIZE } from './preprocess.js';
