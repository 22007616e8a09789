// SIGINT/SIGTERM during an evolution run: finish the generation's forward pass, write a checkpoint, then end the
// way the signal asks. The output folder's lock handlers (output-folder.ts) release the lock and re-raise the
// signal at once; while the run holds this guard they are set aside and only a flag is raised, and they are put
// back (and the signal re-raised) after the checkpoint, so the lock is released as usual and the exit status
// still says which signal ended the process.
const SIGNALS = ['SIGINT', 'SIGTERM'] as const;
type Sig = (typeof SIGNALS)[number];

export class SignalCheckpoint {
  private received: Sig | null = null;
  private readonly saved = new Map<Sig, ((...a: unknown[]) => void)[]>();
  private readonly mine = new Map<Sig, () => void>();
  private active = true;

  constructor() {
    for (const sig of SIGNALS) {
      const others = process.listeners(sig) as ((...a: unknown[]) => void)[];
      this.saved.set(sig, others);
      for (const l of others) process.removeListener(sig, l);
      const onSignal = () => { this.received ??= sig; };
      this.mine.set(sig, onSignal);
      process.on(sig, onSignal);
    }
  }

  /** the signal received since the guard was set, if any */
  get signal(): Sig | null { return this.received; }

  /** puts the other handlers back; with `reraise`, sends the received signal again so that they (or the default) end the process */
  release(reraise = false): void {
    if (!this.active) return;
    this.active = false;
    for (const sig of SIGNALS) {
      process.removeListener(sig, this.mine.get(sig)!);
      for (const l of this.saved.get(sig)!) process.on(sig, l);
    }
    if (reraise && this.received) process.kill(process.pid, this.received);
  }
}
