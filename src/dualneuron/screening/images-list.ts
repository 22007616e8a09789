// images.txt and skipped.txt: one line per image, tab-separated fields (index, path[, reason]). File names may
// hold tabs, newlines or backslashes, so every field is escaped: backslash as \\, tab as \t, newline as \n,
// carriage return as \r (as in PostgreSQL's COPY text format). Lines without any of these read as before.

export function escapeField(s: string): string {
  return s.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'));
}

export function unescapeField(s: string): string {
  return s.replace(/\\(.)/g, (_m, c: string) => (c === 't' ? '\t' : c === 'n' ? '\n' : c === 'r' ? '\r' : c));
}

/** Lines of escaped, tab-separated fields, each ended by a newline. */
export function formatRows(rows: (string | number)[][]): string {
  return rows.map((r) => r.map((f) => escapeField(String(f))).join('\t') + '\n').join('');
}

/** The rows of a file written by formatRows (empty lines are skipped). */
export function parseRows(text: string): string[][] {
  return text.split('\n').filter((l) => l.length > 0).map((l) => l.split('\t').map(unescapeField));
}

/** images.txt: image index -> path. */
export function parseImagesTxt(text: string): Map<number, string> {
  return new Map(parseRows(text).map(([i, p]) => [Number(i), p] as [number, string]));
}
