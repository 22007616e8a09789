// The trial table as a structured NumPy array (np.save of a record array or of
// df.to_records(index=False)): fields trial_id, neuron_id, image_id, spike_count in any order, numeric
// (integers or floats) or, for the ids, fixed-width strings ('U'/'S'). Other fields are ignored.
import { InputError } from '../../errors.js';
import { parseNpyHeader, type NpyField } from '../../io/npy.js';
import { TABLE_COLUMNS, type TrialColumns } from './trial-table.js';

function reader(f: NpyField, bytes: Uint8Array, file: string): (row: number, rec: number) => number | string {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const m = /^([<>|=]?)([a-zA-Z])(\d+)$/.exec(f.descr)!;
  const le = m[1] !== '>', kind = m[2]!, n = Number(m[3]);
  const at = (rec: number) => rec + f.offset;
  if (kind === 'f' && n === 8) return (_r, rec) => dv.getFloat64(at(rec), le);
  if (kind === 'f' && n === 4) return (_r, rec) => dv.getFloat32(at(rec), le);
  if (kind === 'i' && n === 8) return (_r, rec) => Number(dv.getBigInt64(at(rec), le));
  if (kind === 'u' && n === 8) return (_r, rec) => Number(dv.getBigUint64(at(rec), le));
  if (kind === 'i' && n === 4) return (_r, rec) => dv.getInt32(at(rec), le);
  if (kind === 'u' && n === 4) return (_r, rec) => dv.getUint32(at(rec), le);
  if (kind === 'i' && n === 2) return (_r, rec) => dv.getInt16(at(rec), le);
  if (kind === 'u' && n === 2) return (_r, rec) => dv.getUint16(at(rec), le);
  if (kind === 'i' && n === 1) return (_r, rec) => dv.getInt8(at(rec));
  if (kind === 'u' && n === 1) return (_r, rec) => dv.getUint8(at(rec));
  if (kind === 'S') return (_r, rec) => new TextDecoder('latin1').decode(bytes.subarray(at(rec), at(rec) + n)).replace(/\0+$/, '');
  if (kind === 'U') {
    return (_r, rec) => {
      let s = '';
      for (let k = 0; k < n; k++) {
        const cp = dv.getUint32(at(rec) + 4 * k, le);
        if (cp === 0) break;
        s += String.fromCodePoint(cp);
      }
      return s;
    };
  }
  throw new InputError(`${file}: field '${f.name}' has dtype '${f.descr}', which the trial table cannot hold; use integers, floats or strings`);
}

export function trialColumnsFromNpy(bytes: Uint8Array, file: string): TrialColumns {
  const h = parseNpyHeader(bytes, file, { structured: true });
  if (!h.fields) {
    throw new InputError(`${file}: a plain ${h.descr} array of shape (${h.shape.join(', ')}); a trial table .npy is a structured array with fields ` +
      `${TABLE_COLUMNS.join(', ')} (np.save(path, df.to_records(index=False))); a responses matrix is (R, I, N) or (I, N) float32`);
  }
  if (h.shape.length !== 1) throw new InputError(`${file}: a trial table is one record per row (1-D), got shape (${h.shape.join(', ')})`);
  const recSize = h.fields.reduce((s, f) => s + f.size, 0), rows = h.shape[0]!;
  if (bytes.length - h.dataOffset < rows * recSize) throw new InputError(`${file}: truncated: ${rows} records of ${recSize} bytes need ${rows * recSize} bytes, the file has ${bytes.length - h.dataOffset}`);
  const field = (name: string) => {
    const f = h.fields!.find((x) => x.name === name);
    if (!f) throw new InputError(`${file}: no field '${name}' (the record has ${h.fields!.map((x) => `'${x.name}'`).join(', ')})`);
    return reader(f, bytes, file);
  };
  const [rt, rn, ri, rs] = TABLE_COLUMNS.map(field) as ((row: number, rec: number) => number | string)[];
  const at = (k: number) => `row ${k}`;
  const cols: TrialColumns = { trial: [], neuron: [], image: [], count: [], at };
  const id = (v: number | string, col: string, k: number): string => {
    if (typeof v === 'string') {
      if (v.trim() === '') throw new InputError(`${file}: ${at(k)}: ${col} is empty`);
      return /^-?[0-9]+$/.test(v.trim()) ? BigInt(v.trim()).toString() : v.trim();
    }
    if (!Number.isFinite(v) || !Number.isInteger(v)) throw new InputError(`${file}: ${at(k)}: ${col} is ${v}; numeric ids must be integers`);
    return BigInt(v).toString();
  };
  for (let k = 0; k < rows; k++) {
    const rec = h.dataOffset + k * recSize;
    cols.trial.push(id(rt!(k, rec), 'trial_id', k));
    cols.neuron.push(id(rn!(k, rec), 'neuron_id', k));
    cols.image.push(id(ri!(k, rec), 'image_id', k));
    const v = rs!(k, rec);
    if (typeof v === 'string') throw new InputError(`${file}: field spike_count holds strings; it must be numeric`);
    if (Number.isNaN(v)) throw new InputError(`${file}: ${at(k)}: spike_count is NaN; every row needs a spike count (drop rows that were not recorded)`);
    cols.count.push(v);
  }
  return cols;
}
