// download(url, sink): a local HTTP server serves a fixture file; the oracle is the file's own bytes (and its
// sha256 by node:crypto). Both sinks, HTTP errors, no network, and a body cut short (no file left behind).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WeightsError } from '../../../src/errors.js';
import { download, fileSink, memorySink } from '../../../src/models/weights/download.js';
import { Progress } from '../../../src/util/progress.js';
import { fixture } from '../../helpers/fixtures.js';

const test = suite('models/weights/download');

const body = readFileSync(fixture('io', 'deflate.zip'));
const HINT = 'copy the files by hand';

/** Serves `body` at /file, a 404 elsewhere, and at /cut a response that promises more bytes than it sends. */
async function serve(): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    if (req.url === '/file') { res.setHeader('content-length', String(body.length)); res.end(body); return; }
    if (req.url === '/cut') {
      res.setHeader('content-length', String(body.length * 4));
      res.write(body, () => res.destroy());
      return;
    }
    res.statusCode = 404;
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}` };
}

async function rejects(p: Promise<unknown>): Promise<Error> {
  try { await p; } catch (e) { return e as Error; }
  throw new Error('expected the download to fail');
}

test('memorySink returns the served bytes and ticks the progress bar by every byte', async () => {
  const { server, url } = await serve();
  try {
    const progress = new Progress({ total: body.length, unit: 'B' });
    const got = await download(`${url}/file`, memorySink(), { progress, ifOffline: HINT });
    assert.equal(Buffer.from(got), body);
    assert.is(progress.count, body.length);
  } finally { server.close(); }
});

test('fileSink writes the served bytes to the destination (folder created) and leaves no partial file', async () => {
  const { server, url } = await serve();
  const dir = mkdtempSync(join(tmpdir(), 'dn-dl-'));
  try {
    const dst = join(dir, 'sub', 'f.zip');
    const got = await download(`${url}/file`, fileSink(dst), { ifOffline: HINT });
    assert.equal(readFileSync(dst), body);
    assert.is(got.size, body.length);
    assert.is(got.sha256, createHash('sha256').update(body).digest('hex'));
    assert.equal(readdirSync(join(dir, 'sub')), ['f.zip']);
  } finally { server.close(); rmSync(dir, { recursive: true, force: true }); }
});

test('HTTP errors, no network and a body cut short are WeightsErrors; no file is left under the destination', async () => {
  const { server, url } = await serve();
  const dir = mkdtempSync(join(tmpdir(), 'dn-dl-'));
  try {
    const dst = join(dir, 'f.zip');
    const e404 = await rejects(download(`${url}/missing`, fileSink(dst), { ifOffline: HINT }));
    assert.ok(e404 instanceof WeightsError && e404.message.includes(`${url}/missing`) && e404.message.includes('HTTP 404'), e404.message);
    const off = await rejects(download('http://127.0.0.1:1/file', memorySink(), { ifOffline: HINT }));
    assert.ok(off instanceof WeightsError && /Are you offline\?/.test(off.message) && off.message.includes(HINT), off.message);
    const cut = await rejects(download(`${url}/cut`, fileSink(dst), { ifOffline: HINT }));
    assert.ok(cut instanceof WeightsError && cut.message.includes(`${url}/cut`) && /broke off/.test(cut.message), cut.message);
    assert.not.ok(existsSync(dst), 'no file under the destination');
    assert.equal(readdirSync(dir), [], 'the partial file is removed');
  } finally { server.close(); rmSync(dir, { recursive: true, force: true }); }
});

test.run();
