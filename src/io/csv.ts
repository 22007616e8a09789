// CSV (RFC 4180) from bytes: UTF-8 (a leading byte-order mark is dropped), records separated by CRLF or LF
// (a lone CR too), fields separated by a comma, a field in double quotes may hold commas, line breaks and doubled
// quotes (""). The first record is the header. Every error is a FormatError naming the source and the line
// (1-based, counted in physical lines, so a quoted line break moves later lines down as an editor shows them).
// Deliberately strict where a lenient reader would guess: a quote inside an unquoted field, text after a closing
// quote, an unterminated quote and a record with another number of fields than the header are errors.
import { FormatError } from '../errors.js';

export interface CsvTable {
  /** column names from the first record, as written (not trimmed) */
  header: string[];
  /** data records; each has header.length fields */
  rows: string[][];
  /** the line each data record starts on (1-based; the header is on line 1 unless blank lines precede it) */
  lines: number[];
}

export interface CsvOptions {
  /** field separator, one character (default ',') */
  delimiter?: string;
}

/** Parses CSV bytes; `source` (usually the path) is named in every error. */
export function parseCsv(bytes: Uint8Array, source = '<csv bytes>', o: CsvOptions = {}): CsvTable {
  const delim = o.delimiter ?? ',';
  if (delim.length !== 1 || delim === '"' || delim === '\n' || delim === '\r') {
    throw new FormatError(`CSV delimiter must be one character other than a quote or a line break, got ${JSON.stringify(delim)}`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new FormatError(`${source}: not valid UTF-8 text; save the table as UTF-8 CSV`);
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);

  const records: { fields: string[]; line: number }[] = [];
  let line = 1;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const startLine = line;
    const fields: string[] = [];
    const firstQuoted = text[i] === '"';
    // one record
    for (;;) {
      let field = '';
      if (text[i] === '"') {
        const quoteLine = line;
        i++;
        for (;;) {
          if (i >= n) throw new FormatError(`${source}: line ${quoteLine}: a quoted field is never closed (missing '"'); close it or double the quotes inside it ("")`);
          const c = text[i]!;
          if (c === '"') {
            if (text[i + 1] === '"') { field += '"'; i += 2; continue; }
            i++;
            break;
          }
          if (c === '\r') { line++; if (text[i + 1] === '\n') { field += '\r\n'; i += 2; continue; } }
          else if (c === '\n') line++;
          field += c;
          i++;
        }
        const after = text[i];
        if (after !== undefined && after !== delim && after !== '\n' && after !== '\r') {
          throw new FormatError(`${source}: line ${line}: text after the closing quote of field ${fields.length + 1} (${JSON.stringify(after)}); quote the whole field and double quotes inside it`);
        }
      } else {
        const from = i;
        while (i < n && text[i] !== delim && text[i] !== '\n' && text[i] !== '\r') {
          if (text[i] === '"') throw new FormatError(`${source}: line ${line}: a quote inside unquoted field ${fields.length + 1}; quote the whole field ("...") and double the quotes inside it`);
          i++;
        }
        field = text.slice(from, i);
      }
      fields.push(field);
      if (i < n && text[i] === delim) { i++; if (i >= n) { fields.push(''); break; } continue; }
      break;
    }
    // end of record: a line break or the end of the text
    if (text[i] === '\r') i += text[i + 1] === '\n' ? 2 : 1;
    else if (text[i] === '\n') i++;
    // a blank line (one empty unquoted field) is not a record
    if (!(fields.length === 1 && fields[0] === '' && !firstQuoted)) records.push({ fields, line: startLine });
    line++;
  }
  if (records.length === 0) throw new FormatError(`${source}: the file is empty; a CSV table needs a header line`);
  const header = records[0]!.fields;
  const rows: string[][] = [], lines: number[] = [];
  for (const r of records.slice(1)) {
    if (r.fields.length !== header.length) {
      throw new FormatError(`${source}: line ${r.line}: ${r.fields.length} field(s), the header (line ${records[0]!.line}) has ${header.length}; every row needs one value per column`);
    }
    rows.push(r.fields);
    lines.push(r.line);
  }
  return { header, rows, lines };
}

/** The index of column `name` in `t.header`; a FormatError listing the columns when it is missing or repeated. */
export function csvColumn(t: CsvTable, name: string, source: string): number {
  const idx = t.header.map((h, k) => (h.trim() === name ? k : -1)).filter((k) => k >= 0);
  if (idx.length === 0) throw new FormatError(`${source}: no column '${name}' (the header has ${t.header.map((h) => `'${h}'`).join(', ')})`);
  if (idx.length > 1) throw new FormatError(`${source}: column '${name}' appears ${idx.length} times in the header`);
  return idx[0]!;
}

/** One CSV field: quoted (with doubled quotes) when it holds the delimiter, a quote, a line break or edge spaces. */
export function csvField(v: string | number | boolean | null): string {
  if (v === null) return '';
  const s = String(v);
  return /[",\r\n]|^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** A CSV text (CRLF line ends, as RFC 4180) from a header and rows; numbers as their shortest exact decimal. */
export function formatCsv(header: readonly string[], rows: readonly (readonly (string | number | boolean | null)[])[]): string {
  return [header, ...rows].map((r) => r.map(csvField).join(',')).join('\r\n') + '\r\n';
}
