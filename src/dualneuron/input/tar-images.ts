// WebDataset-style .tar shards as image sources. Members are grouped into samples by WebDataset key (the member
// path up to the first '.' of its last component; consecutive members with one key form one sample, as WebDataset
// reads them); a sample's image is its jpg, else jpeg, else png member (extensions compared case-insensitively),
// and samples without one are passed over. Each image becomes one reference string
//
//   <tar path>::<data offset>:<size>:<member name>
//
// which images.txt records, so Python reads the image back with open(tar, 'rb').seek(offset); read(size). A
// member whose header is damaged keeps its slot as
//
//   <tar path>::damaged@<header offset>:<member name>
//
// and reading it fails (screening skips it by name, as any unreadable file), so the indices of the images after
// it do not shift. Only headers are read to list a shard; image data is read one member at a time.
import { FormatError, InputError } from '../../errors.js';
import { fileSource, type ByteSource } from '../../io/byte-source.js';
import { walkTar } from '../../io/tar.js';
import { decodeImage, readImage, type RawImage } from '../../io/image/index.js';

const IMAGE_EXT_PRIORITY = ['jpg', 'jpeg', 'png'];

/** WebDataset key and extension of a member path: 'a/b/x.seg.png' -> ['a/b/x', 'seg.png']. */
export function webdatasetKey(name: string): [string, string] {
  const slash = name.lastIndexOf('/');
  const dot = name.indexOf('.', slash + 1);
  return dot < 0 ? [name, ''] : [name.slice(0, dot), name.slice(dot + 1)];
}

export const isTarPath = (p: string) => p.toLowerCase().endsWith('.tar');

/**
 * The image references of one .tar shard, in archive order, appended to `out`; `warn` hears every damaged member
 * by name. Returns how many samples had no image.
 */
export function listTarImages(tarPath: string, out: string[], warn: (s: string) => void): { samples: number; withoutImage: number } {
  let src: ByteSource;
  try { src = fileSource(tarPath); } catch (e) { throw new InputError(`${tarPath}: cannot open the tar shard (${(e as Error).message})`); }
  let key: string | null = null;
  let best: { rank: number; ref: string } | null = null;
  let samples = 0, withoutImage = 0;
  const flush = () => {
    if (key === null) return;
    samples++;
    if (best) out.push(best.ref); else withoutImage++;
    key = null; best = null;
  };
  try {
    for (const item of walkTar(src, tarPath)) {
      const [k, ext] = webdatasetKey(item.name);
      if (k !== key) { flush(); key = k; }
      const rank = IMAGE_EXT_PRIORITY.indexOf(ext.toLowerCase());
      if (item.kind === 'damaged') warn(`skipping tar member ${item.name} of ${tarPath}: ${item.reason}`);
      if (rank < 0 || (best && best.rank <= rank)) continue;
      best = { rank, ref: item.kind === 'file' ? `${tarPath}::${item.offset}:${item.size}:${item.name}` : `${tarPath}::damaged@${item.headerOffset}:${item.name}` };
    }
    flush();
  } catch (e) {
    if (e instanceof FormatError) throw new InputError(`${e.message}; the shard cannot be listed past this point (rewrite it, or leave it out)`);
    throw e;
  } finally {
    src.close();
  }
  return { samples, withoutImage };
}

export type TarRef = { tar: string; member: string } & ({ offset: number; size: number } | { damagedAt: number });

/** The parts of a tar member reference, or null for a plain file path. */
export function parseTarRef(ref: string): TarRef | null {
  const m = /^(.*?\.tar)::(?:([0-9]+):([0-9]+)|damaged@([0-9]+)):(.*)$/is.exec(ref);
  if (!m) return null;
  if (m[4] !== undefined) return { tar: m[1]!, member: m[5]!, damagedAt: Number(m[4]) };
  return { tar: m[1]!, member: m[5]!, offset: Number(m[2]), size: Number(m[3]) };
}

// shards stay open between reads (a worker reads many members of one shard in a row)
const open = new Map<string, ByteSource>();
const MAX_OPEN = 8;

function sourceOf(tar: string): ByteSource {
  let s = open.get(tar);
  if (!s) {
    if (open.size >= MAX_OPEN) { const [k, v] = open.entries().next().value!; v.close(); open.delete(k); }
    s = fileSource(tar);
    open.set(tar, s);
  }
  return s;
}

/** An image from a file path or a tar member reference (see the top of this file). */
export function readImageRef(ref: string): RawImage {
  const t = parseTarRef(ref);
  if (!t) return readImage(ref);
  const name = `${t.tar}: member ${t.member}`;
  if ('damagedAt' in t) throw new InputError(`${name}: its tar header (at byte ${t.damagedAt}) is damaged (bad checksum); the member was skipped`);
  let src: ByteSource;
  try { src = sourceOf(t.tar); } catch (e) { throw new InputError(`${t.tar}: cannot open the tar shard (${(e as Error).message})`); }
  if (t.offset + t.size > src.size) throw new InputError(`${name}: bytes ${t.offset}..${t.offset + t.size} lie past the end of the shard (${src.size} bytes); was it rewritten after listing?`);
  return decodeImage(src.read(t.offset, t.size), name);
}
