// Training twins on recorded responses: the library behind `dualneuron train` and `dualneuron evaluate`.
export { poissonLoss, mseLoss, lossFunction, type LossKind, type LossReduction } from './loss.js';
export { clipGradNorm } from './clip.js';
export { PlateauLr, EarlyStopping, type PlateauOptions, type EarlyStoppingOptions } from './schedule.js';
export { epochOrder, batchesOf } from './shuffle.js';
export { prepareTrainingData, meanResponses, type TrainingData } from './data.js';
export { perNeuronCorrelation, meanCorrelation } from './correlation.js';
export { stacked2dArchitecture, buildTwinModel, trainableParameters, type TwinArchitecture } from './architecture.js';
export { DEFAULT_TRAIN, type TrainOptions } from './options.js';
export { trainStep, trainMember, memberSeed, type MemberResult } from './trainer.js';
export { trainTwin, type TrainRun } from './run.js';
export { readManifest, isTwinFolder, TWIN_FORMAT, type TwinManifest } from './manifest.js';
export { loadTrainedTwin, TrainedTwin } from './trained-twin.js';
export { evaluateTwin, type Evaluation, type EvalSplit } from './evaluate.js';
export { finetuneArchitecture, buildFinetuneModel, loadCoreInit, applyCoreInit, finetuneParameters, FINETUNE_ARCHITECTURES, type FinetuneArchitecture, type CoreSource } from './finetune.js';
