// A progress bar for long work, on stderr: count/total, rate and ETA. On a terminal it redraws one line; in
// logs (not a TTY) it prints a line every few seconds. Silent when DUALNEURON_QUIET=1.
import { config } from '../config.js';

export interface ProgressOptions {
  total?: number; unit?: string; label?: string; stream?: NodeJS.WriteStream; everySeconds?: number;
  /** work already done before this process (a resumed run): counted in the bar, not in the rate */
  resumedAt?: number;
}

export class Progress {
  private done = 0;
  private readonly start = performance.now();
  private lastPrint = 0;
  private readonly tty: boolean;
  private readonly quiet = config().quiet;
  private finished = false;

  constructor(private readonly opts: ProgressOptions = {}) {
    this.tty = Boolean((opts.stream ?? process.stderr).isTTY);
  }

  get count(): number { return this.done; }

  /** Advance by n (default 1); `note` replaces the label suffix (e.g. the current file). */
  tick(n = 1, note?: string): void {
    this.done += n;
    this.render(false, note);
  }

  set(done: number, note?: string): void {
    this.done = done;
    this.render(false, note);
  }

  finish(note?: string): void {
    if (this.finished) return;
    this.finished = true;
    this.render(true, note);
  }

  private render(final: boolean, note?: string): void {
    if (this.quiet) return;
    const now = performance.now();
    const every = this.tty ? 100 : (this.opts.everySeconds ?? 5) * 1000;
    if (!final && now - this.lastPrint < every) return;
    this.lastPrint = now;
    const s = (now - this.start) / 1000;
    const rate = (this.done - (this.opts.resumedAt ?? 0)) / Math.max(s, 1e-9);
    const unit = this.opts.unit ?? 'items';
    const total = this.opts.total;
    let line = `${this.opts.label ? `${this.opts.label} ` : ''}`;
    if (total) {
      const frac = Math.min(1, this.done / total);
      const width = 24;
      const filled = Math.round(frac * width);
      line += `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${fmtCount(this.done, unit)}/${fmtCount(total, unit)} ${(100 * frac).toFixed(0)}%`;
      const eta = rate > 0 ? (total - this.done) / rate : Infinity;
      line += ` ${fmtRate(rate, unit)} ${final ? `in ${fmtTime(s)}` : `ETA ${fmtTime(eta)}`}`;
    } else {
      line += `${fmtCount(this.done, unit)} ${fmtRate(rate, unit)} ${fmtTime(s)}`;
    }
    if (note) line += ` ${note}`;
    const stream = this.opts.stream ?? process.stderr;
    if (this.tty) stream.write(`\r\x1b[2K${line}${final ? '\n' : ''}`);
    else stream.write(`${line}\n`);
  }
}

function fmtCount(n: number, unit: string): string {
  if (unit === 'B') return n >= 2 ** 20 ? `${(n / 2 ** 20).toFixed(1)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(0)} KiB` : `${n} B`;
  return `${n}`;
}

function fmtRate(r: number, unit: string): string {
  if (unit === 'B') return `${fmtCount(r, 'B')}/s`;
  return `${r >= 100 ? r.toFixed(0) : r >= 10 ? r.toFixed(1) : r.toFixed(2)} ${unit}/s`;
}

export function fmtTime(s: number): string {
  if (!Number.isFinite(s)) return '--:--';
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = Math.floor(s % 60);
  return h ? `${h}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}` : `${m}:${String(sec).padStart(2, '0')}`;
}
