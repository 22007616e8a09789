// The RFC 4180 CSV reader: quoting, line breaks, and errors that name the line.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { FormatError } from '../../src/errors.js';
import { csvColumn, formatCsv, parseCsv } from '../../src/io/csv.js';

const test = suite('io/csv');
const enc = (s: string) => new TextEncoder().encode(s);

function throwsWith(fn: () => unknown, ...parts: string[]): void {
  try { fn(); } catch (e) {
    assert.instance(e, FormatError);
    for (const p of parts) assert.ok((e as Error).message.includes(p), `"${(e as Error).message}" lacks "${p}"`);
    return;
  }
  assert.unreachable('no error');
}

test('plain, CRLF, LF, lone CR, BOM, trailing newline, blank lines', () => {
  for (const nl of ['\n', '\r\n', '\r']) {
    const t = parseCsv(enc(`\ufeffa,b,c${nl}1,2,3${nl}${nl}4,,6${nl}`), 'x.csv');
    assert.equal(t.header, ['a', 'b', 'c']);
    assert.equal(t.rows, [['1', '2', '3'], ['4', '', '6']]);
    assert.equal(t.lines, [2, 4]);
  }
  assert.equal(parseCsv(enc('a,b\n1,')).rows, [['1', '']], 'a trailing delimiter at the end of the text is an empty field');
});

test('quoted fields hold delimiters, doubled quotes and line breaks; later line numbers count them', () => {
  const t = parseCsv(enc('id,text\r\n1,"a, ""b""\r\nc"\r\n2,""\r\n3,x\r\n'), 'q.csv');
  assert.equal(t.rows, [['1', 'a, "b"\r\nc'], ['2', ''], ['3', 'x']]);
  assert.equal(t.lines, [2, 4, 5]);
  assert.equal(parseCsv(enc('a\n""\n')).rows, [['']], 'a quoted empty field is a record, not a blank line');
  assert.equal(parseCsv(enc('a;b\n1;"2;3"\n'), 'semi.csv', { delimiter: ';' }).rows, [['1', '2;3']]);
});

test('errors name the file and the line', () => {
  throwsWith(() => parseCsv(enc('a,b\n1,2\n3,"4\n5\n'), 'u.csv'), 'u.csv', 'line 3', 'never closed');
  throwsWith(() => parseCsv(enc('a,b\n1,2\n3,4"x\n'), 'q.csv'), 'q.csv', 'line 3', 'quote inside unquoted field 2');
  throwsWith(() => parseCsv(enc('a,b\n"1"x,2\n'), 't.csv'), 'line 2', 'after the closing quote');
  throwsWith(() => parseCsv(enc('a,b\n1,2\n3\n'), 'n.csv'), 'line 3', '1 field(s)', 'has 2');
  throwsWith(() => parseCsv(enc('a,b\n"x\ny",2\n1,2,3\n'), 'm.csv'), 'line 4', '3 field(s)');
  throwsWith(() => parseCsv(enc(''), 'e.csv'), 'e.csv', 'empty');
  throwsWith(() => parseCsv(new Uint8Array([0x61, 0x0a, 0xff, 0xfe]), 'b.csv'), 'b.csv', 'UTF-8');
  const t = parseCsv(enc('a, b ,a\n1,2,3\n'), 'c.csv');
  assert.is(csvColumn(t, 'b', 'c.csv'), 1);
  throwsWith(() => csvColumn(t, 'a', 'c.csv'), "column 'a' appears 2 times");
  throwsWith(() => csvColumn(t, 'z', 'c.csv'), "no column 'z'", "'a', ' b ', 'a'");
});

test('formatCsv quotes what needs quoting and reads back exactly', () => {
  const rows = [[1, 'a,b', 'say "hi"'], [0.1 + 0.2, ' pad', 'two\nlines'], [null, true, '']];
  const text = formatCsv(['n', 'x', 'y'], rows);
  assert.is(text.split('\r\n')[1], '1,"a,b","say ""hi"""');
  const t = parseCsv(new TextEncoder().encode(text), 'round.csv');
  assert.equal(t.rows, [['1', 'a,b', 'say "hi"'], ['0.30000000000000004', ' pad', 'two\nlines'], ['', 'true', '']]);
});

test.run();
