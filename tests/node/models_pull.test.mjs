// `clawbot pull` and `clawbot models` against a local HTTP server this test
// starts (never the internet): a whole download, one whose connection drops
// mid-file and resumes with Range, a run resumed from an earlier .partial
// file, a redirect, a hf: name through HF_ENDPOINT with HF_TOKEN, a wrong
// checksum, a body that is not GGUF and a 404 (nothing is left behind by a
// failure); then list, show, serve --model NAME and rm.
//
//   CLAWBOT_BIN=../../build/clawbot CLAWBOT_SHARED_DIR=../../../shared node --test models_pull.test.mjs
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer, stopServer } from '../js/clawbot_server.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '..', '..');
const CLAWBOT_BIN = path.resolve(process.env.CLAWBOT_BIN || path.join(REPO, 'build', 'clawbot'));
const SHARED_DIR = path.resolve(process.env.CLAWBOT_SHARED_DIR || path.join(REPO, '..', 'shared'));
const MODEL = fs.readFileSync(path.join(SHARED_DIR, 'models', 'stories260K.gguf'));
const SHA = crypto.createHash('sha256').update(MODEL).digest('hex');

// Exit code, stdout and stderr of one clawbot run.
function clawbot(args, env = {}) {
  return new Promise((resolve) => {
    execFile(CLAWBOT_BIN, args, { timeout: 60_000, env: { ...process.env, ...env } }, (err, stdout, stderr) => {
      resolve({ code: err ? (err.code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('clawbot pull and models', () => {
  let tmp;
  let server;
  let base;
  const requests = [];
  let dropped = false;

  // Serves MODEL with Range support; /drop/ cuts the first response short.
  function serveModel(req, res, { drop = false } = {}) {
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const start = range ? Number(range[1]) : 0;
    if (start >= MODEL.length) {
      res.writeHead(416, { 'Content-Range': `bytes */${MODEL.length}` });
      res.end();
      return;
    }
    const headers = { 'Content-Length': MODEL.length - start, 'Accept-Ranges': 'bytes' };
    if (range) headers['Content-Range'] = `bytes ${start}-${MODEL.length - 1}/${MODEL.length}`;
    res.writeHead(range ? 206 : 200, headers);
    if (drop && !dropped) {
      dropped = true;
      res.write(MODEL.subarray(start, start + Math.floor(MODEL.length / 3)), () => res.socket.destroy());
      return;
    }
    res.end(MODEL.subarray(start));
  }

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'clawbot-pull-'));
    server = http.createServer((req, res) => {
      requests.push({ url: req.url, range: req.headers.range ?? null, authorization: req.headers.authorization ?? null });
      if (req.url === '/m/stories260K.gguf' || req.url === '/org/tiny/resolve/main/stories260K.gguf') return serveModel(req, res);
      if (req.url === '/drop/stories260K.gguf') return serveModel(req, res, { drop: true });
      if (req.url === '/moved.gguf') {
        res.writeHead(302, { Location: '/m/stories260K.gguf?signature=abc' });
        return res.end();
      }
      if (req.url === '/m/stories260K.gguf?signature=abc') return serveModel(req, res);
      if (req.url === '/notgguf.gguf') {
        res.writeHead(200, { 'Content-Length': 17 });
        return res.end('hello, not a model');
      }
      res.writeHead(404);
      res.end('no such file');
    });
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${server.address().port}`;
  });

  after(async () => {
    await new Promise((resolve) => server.close(resolve));
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  const dir = (name) => path.join(tmp, name);
  const sameBytes = (file) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex') === SHA;

  it('downloads a model, checks its checksum, and refuses to overwrite it', async () => {
    const models = dir('plain');
    const r = await clawbot(['pull', `${base}/m/stories260K.gguf`, '--sha256', SHA.toUpperCase(), '--models-dir', models]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(sameBytes(path.join(models, 'stories260K.gguf')));
    assert.match(r.stdout, new RegExp(`sha256 ${SHA}`));
    assert.match(r.stdout, /clawbot serve --model stories260K/);
    assert.deepEqual(fs.readdirSync(models), ['stories260K.gguf']);
    const again = await clawbot(['pull', `${base}/m/stories260K.gguf`, '--models-dir', models]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already exists .*--force/);
  });

  it('resumes with Range after the connection drops mid-file', async () => {
    const models = dir('drop');
    const before = requests.length;
    const r = await clawbot(['pull', `${base}/drop/stories260K.gguf`, '--models-dir', models]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /resuming/);
    assert.ok(sameBytes(path.join(models, 'stories260K.gguf')));
    const mine = requests.slice(before);
    assert.equal(mine[0].range, null);
    assert.match(mine[mine.length - 1].range ?? '', /^bytes=[1-9]\d*-$/, JSON.stringify(mine));
  });

  it('resumes a .partial file an earlier run left', async () => {
    const models = dir('partial');
    fs.mkdirSync(models);
    fs.writeFileSync(path.join(models, 'stories260K.gguf.partial'), MODEL.subarray(0, 1000));
    const before = requests.length;
    const r = await clawbot(['pull', `${base}/m/stories260K.gguf`, '--models-dir', models]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(requests[before].range, 'bytes=1000-');
    assert.ok(sameBytes(path.join(models, 'stories260K.gguf')));
    assert.ok(!fs.existsSync(path.join(models, 'stories260K.gguf.partial')));
  });

  it('follows a redirect, and resolves hf: names through HF_ENDPOINT with HF_TOKEN', async () => {
    const moved = await clawbot(['pull', `${base}/moved.gguf`, '--name', 'tiny', '--models-dir', dir('moved')]);
    assert.equal(moved.code, 0, moved.stderr);
    assert.ok(sameBytes(path.join(dir('moved'), 'tiny.gguf')));
    const before = requests.length;
    const hf = await clawbot(['pull', 'hf:org/tiny/stories260K.gguf', '--models-dir', dir('hf')],
      { HF_ENDPOINT: base, HF_TOKEN: 'hf_secret_token' });
    assert.equal(hf.code, 0, hf.stderr);
    assert.equal(requests[before].url, '/org/tiny/resolve/main/stories260K.gguf');
    assert.equal(requests[before].authorization, 'Bearer hf_secret_token');
    assert.ok(sameBytes(path.join(dir('hf'), 'stories260K.gguf')));
  });

  it('leaves nothing behind when the checksum, the body or the URL is wrong', async () => {
    const cases = [
      { args: [`${base}/m/stories260K.gguf`, '--sha256', '0'.repeat(64)], error: /SHA-256 is [0-9a-f]{64}, not the expected 0{64}/ },
      { args: [`${base}/notgguf.gguf`], error: /not a usable GGUF model/ },
      { args: [`${base}/missing.gguf`], error: /HTTP 404/ },
      { args: ['ftp://example.com/x.gguf'], error: /neither an http\(s\) URL nor hf:/ },
      { args: [`${base}/m/stories260K.gguf`, '--sha256', 'xyz'], error: /64 hexadecimal digits/ },
    ];
    for (const [i, c] of cases.entries()) {
      const models = dir(`bad${i}`);
      const r = await clawbot(['pull', ...c.args, '--models-dir', models]);
      assert.equal(r.code, 1, `${c.args}: ${r.stdout}`);
      assert.match(r.stderr, c.error);
      assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
      const left = fs.existsSync(models) ? fs.readdirSync(models) : [];
      assert.deepEqual(left, [], `${c.args}: left ${left}`);
    }
  });

  it('lists, shows, serves by name and removes models', async () => {
    const models = dir('plain');
    const list = await clawbot(['models', 'list', '--models-dir', models, '--model-path', 'stories260K']);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^NAME\s+SIZE\s+ARCH\s+QUANT\s+IN USE$/m);
    assert.match(list.stdout, /^stories260K\s+\S+ \S+\s+llama\s+F32\s+yes/m);
    const show = await clawbot(['models', 'show', 'stories260K', '--models-dir', models]);
    assert.equal(show.code, 0, show.stderr);
    assert.match(show.stdout, /architecture\s+llama/);
    const missing = await clawbot(['models', 'show', 'nope', '--models-dir', models]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no model named 'nope'/);

    const log = [];
    const served = startServer(CLAWBOT_BIN, ['serve', '--model', 'stories260K', '--models-dir', models, '--port', '0',
      '--data-dir', dir('data')], log);
    try {
      const url = await served.url;
      const health = await fetch(`${url}/readyz`);
      assert.equal(health.status, 200, log.join(''));
    } finally {
      await stopServer(served.child);
    }

    const rm = await clawbot(['models', 'rm', 'stories260K', '--models-dir', models]);
    assert.equal(rm.code, 0, rm.stderr);
    assert.deepEqual(fs.readdirSync(models), []);
    const empty = await clawbot(['models', 'list', '--models-dir', models]);
    assert.match(empty.stdout, /No models in .*clawbot pull/);
  });
});
