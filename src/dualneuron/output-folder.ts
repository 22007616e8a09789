// Opening an output folder for writing, before any work: the folder must be (or become) a writable folder, and
// only one command may write it at a time. A lock file (.dualneuron.lock: pid, host, start time, command) is
// created with O_EXCL and removed when the process ends (normally, by an error, or by SIGINT/SIGTERM). A lock
// left by a dead process on this host is stale and taken over; one held by a live process, or from another
// host, refuses the second writer. Holding the lock, temporary files left by an interrupted writer
// (`<name>.tmp-<pid>-<hex>`, see io/atomic.ts) are removed.
import { closeSync, existsSync, linkSync, openSync, readFileSync, readdirSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { InputError } from '../errors.js';
import { ensureDir, TEMP_NAME, writeError } from '../io/atomic.js';

export const LOCK_NAME = '.dualneuron.lock';

interface LockInfo { pid: number; host: string; startedAt: string; command: string }

export interface OutputLock {
  /** the folder written */
  dir: string;
  /** the lock file */
  lockPath: string;
  /** drops this holder's claim; the file goes when the last holder in this process releases it */
  release(): void;
}

interface Held { info: LockInfo; count: number }
const held = new Map<string, Held>();

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

/**
 * Opens `dir` (the value of `option`, for messages) for writing by `command`: refuses a file, creates the
 * folder, writes and removes a probe file, takes the lock and removes stale temporary files. Reentrant within a
 * process (demo and the synthesis it runs share one lock).
 */
export function openOutputFolder(dir: string, command: string, o: { option?: string; log?: (s: string) => void } = {}): OutputLock {
  const d = resolve(dir);
  const log = o.log ?? ((s: string) => console.error(s));
  const option = o.option ?? '--out';
  if (existsSync(d) && !statSync(d).isDirectory()) throw new InputError(`${option} ${dir} is a file; give a folder`);
  const lock = lockFolder(d, LOCK_NAME, command, option, log);
  if (lock.fresh) removeStaleTemps(d, log);
  return lock.handle;
}

/**
 * Opens the folder of an output file (`embed --out E.npy`, `axis --out a.npy`, `predict --out y.npy`): checks it
 * is writable and locks that one output (`.<name>.dualneuron.lock` beside it), so other outputs in the same
 * folder can be written at the same time.
 */
export function openOutputFile(file: string, command: string, o: { option?: string; log?: (s: string) => void } = {}): OutputLock {
  const f = resolve(file);
  const option = o.option ?? '--out';
  if (existsSync(f) && statSync(f).isDirectory()) throw new InputError(`${option} ${file} is a folder; give a file name`);
  const d = dirname(f);
  if (existsSync(d) && !statSync(d).isDirectory()) throw new InputError(`${option} ${file}: ${d} is a file, not a folder`);
  return lockFolder(d, `.${basename(f)}${LOCK_NAME}`, command, option, o.log ?? ((s: string) => console.error(s))).handle;
}

function lockFolder(d: string, name: string, command: string, option: string, log: (s: string) => void): { handle: OutputLock; fresh: boolean } {
  const lockPath = join(d, name);
  const mine = held.get(lockPath);
  if (mine) {
    mine.count++;
    return { handle: handleFor(d, lockPath), fresh: false };
  }
  try {
    ensureDir(d);
  } catch (err) {
    throw err instanceof InputError ? new InputError(`${option}: ${err.message}`) : err;
  }
  probeWritable(d, option);
  const info: LockInfo = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString(), command };
  acquire(lockPath, info, option, log);
  held.set(lockPath, { info, count: 1 });
  installReleaseHandlers();
  return { handle: handleFor(d, lockPath), fresh: true };
}

function handleFor(dir: string, lockPath: string): OutputLock {
  let released = false;
  return {
    dir, lockPath,
    release() {
      if (released) return;
      released = true;
      const h = held.get(lockPath);
      if (h && --h.count === 0) { held.delete(lockPath); removeIfOurs(lockPath, h.info); }
    },
  };
}

/** Creating the folder succeeded; prove that files can be written in it before any work is done. */
function probeWritable(d: string, option: string): void {
  const probe = join(d, `.dualneuron-probe-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    const fd = openSync(probe, 'wx');
    try { writeSync(fd, 'probe'); } finally { closeSync(fd); }
    unlinkSync(probe);
  } catch (err) {
    try { unlinkSync(probe); } catch { /* never created */ }
    const e = writeError(err, d, 5);
    if (e instanceof InputError) throw new InputError(`${option}: ${e.message}`);
    throw e;
  }
}

function readLock(path: string): LockInfo | null {
  try {
    const v = JSON.parse(readFileSync(path, 'utf8')) as LockInfo;
    return Number.isInteger(v.pid) && typeof v.host === 'string' ? v : null;
  } catch { return null; }
}

const sameLock = (a: LockInfo | null, b: LockInfo | null) => !!a && !!b && a.pid === b.pid && a.host === b.host && a.startedAt === b.startedAt;

function acquire(lockPath: string, info: LockInfo, option: string, log: (s: string) => void): void {
  for (let attempt = 0; attempt < 5; attempt++) {
    let fd: number;
    try {
      fd = openSync(lockPath, 'wx', 0o644);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw writeError(err, lockPath);
      const other = readLock(lockPath);
      if (other && other.host === hostname() && !isAlive(other.pid)) {
        log(`note: taking over a stale lock ${lockPath} (process ${other.pid}, '${other.command}' started ${other.startedAt}, is no longer running)`);
        takeOver(lockPath, other);
        continue;
      }
      if (!other && !existsSync(lockPath)) continue; // released meanwhile
      throw refusal(lockPath, other, option);
    }
    try { writeSync(fd, JSON.stringify(info) + '\n'); } finally { closeSync(fd); }
    return;
  }
  throw new InputError(`could not take the lock ${lockPath}: other processes keep taking it; is another dualneuron command writing ${dirname(lockPath)}?`);
}

/**
 * Moves a stale lock aside and deletes it, unless another process took it over between our read and the move;
 * then its (live) lock is put back. The retry loop in acquire() then competes with O_EXCL as usual.
 */
function takeOver(lockPath: string, stale: LockInfo): void {
  const aside = `${lockPath}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
  try { renameSync(lockPath, aside); } catch { return; }
  if (sameLock(readLock(aside), stale)) { unlinkSync(aside); return; }
  try { linkSync(aside, lockPath); } catch { /* a third process holds it now */ }
  unlinkSync(aside);
}

function refusal(lockPath: string, other: LockInfo | null, option: string): InputError {
  const dir = dirname(lockPath);
  if (!other) return new InputError(`${option} ${dir} is locked by ${lockPath}, which cannot be read. If no other dualneuron command is writing there, delete that file and rerun.`);
  const who = `process ${other.pid} on ${other.host} ('${other.command}', started ${other.startedAt})`;
  if (other.host !== hostname()) {
    return new InputError(`${option} ${dir} is being written by ${who}. Wait for it to finish, or choose another --out. If that run is gone (the lock is from another host, so it cannot be checked from here), delete ${lockPath} and rerun.`);
  }
  return new InputError(`${option} ${dir} is being written by ${who}. Wait for it to finish, or choose another --out.`);
}

function removeIfOurs(lockPath: string, info: LockInfo): void {
  if (sameLock(readLock(lockPath), info)) {
    try { unlinkSync(lockPath); } catch { /* already gone */ }
  }
}

function releaseAll(): void {
  for (const [p, h] of held) removeIfOurs(p, h.info);
  held.clear();
}

let handlersInstalled = false;
/** Locks go with the process: at exit, and on SIGINT/SIGTERM (then the signal is re-raised, so the exit status still says how it ended). */
function installReleaseHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', releaseAll);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = () => {
      releaseAll();
      process.removeListener(sig, onSignal);
      process.kill(process.pid, sig);
    };
    process.on(sig, onSignal);
  }
}

/** Lets the event loop run between long synchronous steps, so SIGINT/SIGTERM are handled (and locks released) promptly. */
export const yieldToSignals = () => new Promise<void>((res) => setImmediate(res));

/**
 * Removes `<name>.tmp-<pid>-<hex>` files of processes that are no longer running, in the folder and its
 * subfolders down to the depth our outputs use (neuron/seed/pole), so a folder given as --out by mistake is not
 * walked in full.
 */
export function removeStaleTemps(dir: string, log: (s: string) => void, maxDepth = 4): string[] {
  const removed: string[] = [];
  const walk = (d: string, depth: number) => {
    let entries;
    try { entries = readdirSync(d, { withFileTypes: true }); } catch { return; }
    for (const e of entries) {
      const p = join(d, e.name);
      if (e.isDirectory()) { if (depth < maxDepth) walk(p, depth + 1); }
      else if (e.isFile()) {
        const m = TEMP_NAME.exec(e.name);
        if (m && Number(m[1]) !== process.pid && !isAlive(Number(m[1]))) {
          try { unlinkSync(p); removed.push(p); } catch { /* gone meanwhile */ }
        }
      }
    }
  };
  walk(dir, 0);
  if (removed.length) log(`removed ${removed.length} temporary file${removed.length > 1 ? 's' : ''} left by an interrupted run in ${dir}: ${removed.slice(0, 3).map((p) => p.slice(dir.length + 1)).join(', ')}${removed.length > 3 ? ', ...' : ''}`);
  return removed;
}
