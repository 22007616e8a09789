// `weights import` on a folder that also holds unrelated files: a .zip that is not a zip archive is skipped with a
// one-line note (it used to fail the whole command with exit 1 after the twins had been imported).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FormatError } from '../../../src/errors.js';
import { importDreamsim } from '../../../src/models/weights/dreamsim-weights.js';
import { cli } from '../../helpers/cli.js';
import { requireUpstream, withUpstream } from '../../helpers/upstream.js';

const test = suite('models/weights/import');

const tmp = mkdtempSync(join(tmpdir(), 'dn-import-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

test('a non-zip notes.zip in the folder is skipped with a note; a non-zip given directly is still an error', () => {
  const dir = join(tmp, 'loose');
  mkdirSync(dir, { recursive: true });
  const notes = join(dir, 'notes.zip');
  writeFileSync(notes, 'meeting notes, not an archive\n');
  const lines: string[] = [];
  const r = importDreamsim([dir], join(tmp, 'home1'), { log: (s) => lines.push(s) });
  assert.equal(r.stored, []);
  const notesLines = lines.filter((l) => l.includes('notes.zip'));
  assert.is(notesLines.length, 1, lines.join('\n'));
  assert.match(notesLines[0]!, /^note: skipping .*notes\.zip: .*not a zip archive/);
  assert.throws(() => importDreamsim([notes], join(tmp, 'home2')), (e: Error) => e instanceof FormatError && e.message.includes(notes));
});

withUpstream(test)('weights import of upstream twins beside a non-zip notes.zip exits 0 and says it skipped the file', () => {
  const up = requireUpstream();
  const src = join(tmp, 'src');
  mkdirSync(join(src, 'V1GrayTaskDriven'), { recursive: true });
  for (const f of readdirSync(join(up, 'V1GrayTaskDriven'))) copyFileSync(join(up, 'V1GrayTaskDriven', f), join(src, 'V1GrayTaskDriven', f));
  writeFileSync(join(src, 'notes.zip'), 'not a zip\n');
  const home = join(tmp, 'home3');
  const r = cli(['weights', 'import', src, '--weights-dir', home]);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stderr, /imported 7 files/);
  assert.match(r.stderr, /note: skipping .*notes\.zip/);
  assert.not.match(r.stderr, /unexpected error/);
});

test.run();
