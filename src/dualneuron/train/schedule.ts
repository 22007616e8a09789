// The learning-rate schedule and early stopping of neuralpredictors' standard_trainer, as plain host state (so a
// checkpoint holds them as JSON and a resumed run continues exactly):
//
// PlateauLr = torch.optim.lr_scheduler.ReduceLROnPlateau(mode 'max', threshold_mode 'abs', cooldown 0): after
// each epoch, step(metric): the metric improves when metric > best + threshold (best starts at -Infinity); else
// a bad epoch is counted; when the bad epochs exceed `patience` the rate becomes max(lr * factor, minLr) (changed
// only when that lowers it by more than 1e-8) and the count restarts.
//
// EarlyStopping = neuralpredictors.training.early_stopping (interval 1, maximize): the objective (validation
// correlation) is computed before training and after every epoch; an epoch whose objective is below
// best - tolerance counts against `patience`, any other becomes the new best (its weights are kept). When the
// count reaches `patience` (or maxEpochs is reached) a "decay step" ends: with decaySteps > 1 the best weights are
// restored and training goes on (the schedule has lowered the rate meanwhile), until decaySteps steps are over.
// At the end the best weights are restored. A non-finite objective stops training.

export interface PlateauOptions { factor: number; patience: number; threshold: number; minLr: number }
export interface PlateauState { lr: number; best: number | null; badEpochs: number; reductions: number }

export class PlateauLr {
  state: PlateauState;
  constructor(readonly o: PlateauOptions, lr: number, state?: PlateauState) {
    this.state = state ? { ...state } : { lr, best: null, badEpochs: 0, reductions: 0 };
  }
  get lr(): number { return this.state.lr; }
  /** one epoch's metric; returns true when the rate was lowered */
  step(metric: number): boolean {
    const s = this.state;
    if (s.best === null || metric > s.best + this.o.threshold) { s.best = metric; s.badEpochs = 0; } else s.badEpochs++;
    if (s.badEpochs > this.o.patience) {
      s.badEpochs = 0;
      const next = Math.max(s.lr * this.o.factor, this.o.minLr);
      if (s.lr - next > 1e-8) { s.lr = next; s.reductions++; return true; }
    }
    return false;
  }
}

export interface EarlyStoppingOptions { patience: number; maxEpochs: number; decaySteps: number; tolerance: number }
export interface EarlyStoppingState {
  epoch: number; repeat: number; patienceCounter: number; best: number; bestEpoch: number; last: number;
  stopped: null | 'patience' | 'max-epochs' | 'not-finite';
}

export type EarlyStoppingAction = 'train' | 'restore-best' | 'stop';

export class EarlyStopping {
  state: EarlyStoppingState;
  constructor(readonly o: EarlyStoppingOptions, initialObjective: number, state?: EarlyStoppingState) {
    this.state = state ? { ...state } : { epoch: 0, repeat: 0, patienceCounter: 0, best: initialObjective, bestEpoch: 0, last: initialObjective, stopped: null };
  }

  /** what the loop does next: train one more epoch, restore the best weights (end of a decay step), or stop */
  next(): EarlyStoppingAction {
    const s = this.state;
    if (s.stopped) return 'stop';
    if (!Number.isFinite(s.last)) { s.stopped = 'not-finite'; return 'stop'; }
    if (s.patienceCounter < this.o.patience && s.epoch < this.o.maxEpochs) return 'train';
    s.repeat++;
    s.patienceCounter = 0;
    if (s.epoch >= this.o.maxEpochs) { s.stopped = 'max-epochs'; return 'stop'; }
    if (s.repeat >= this.o.decaySteps) { s.stopped = 'patience'; return 'stop'; }
    return 'restore-best';
  }

  /** the objective after an epoch; true when it is the new best (keep these weights) */
  report(objective: number): boolean {
    const s = this.state;
    s.epoch++;
    s.last = objective;
    if (!Number.isFinite(objective)) return false;
    if (objective < s.best - this.o.tolerance) { s.patienceCounter++; return false; }
    s.best = objective; s.bestEpoch = s.epoch; s.patienceCounter = 0;
    return true;
  }
}
