// Cloud mode over TLS, as real providers speak it: an https upstream with a
// certificate made for this test, trusted through SSL_CERT_FILE (which
// OpenSSL reads in place of the system CA store). The official openai
// client talks to clawbot; clawbot talks TLS to the upstream. A certificate
// for another host name, or one nobody trusts, must be refused.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';
import { run, startServer, stopServer } from '../js/clawbot_server.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '..', '..');
const CLAWBOT_BIN = path.resolve(process.env.CLAWBOT_BIN || path.join(REPO, 'build', 'clawbot'));
const KEY = 'sk-tls-test-key-0123456789';

// A self-signed certificate (its own CA) for `name`.
function makeCertificate(dir, name) {
  const key = path.join(dir, `${name}.key`);
  const cert = path.join(dir, `${name}.pem`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2',
    '-subj', `/CN=${name}`, '-addext', `subjectAltName=DNS:${name}`], { stdio: 'ignore' });
  return { key: fs.readFileSync(key), cert: fs.readFileSync(cert), certFile: cert };
}

// An OpenAI-compatible upstream that streams a fixed answer to the right key.
function startUpstream(tls, seen) {
  const server = https.createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    let body = '';
    req.on('data', (chunk) => { body += chunk; });
    req.on('end', () => {
      seen.push({ method: req.method, url: req.url, auth: req.headers.authorization, body });
      if (req.headers.authorization !== `Bearer ${KEY}`) {
        res.writeHead(401, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ error: { message: 'bad key' } }));
        return;
      }
      res.writeHead(200, { 'Content-Type': 'text/event-stream' });
      const chunk = (delta, finish) => `data: ${JSON.stringify({ id: 'x', object: 'chat.completion.chunk', created: 0,
        model: 'tls-model', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
      res.write(chunk({ role: 'assistant', content: '' }, null));
      res.write(chunk({ content: 'Hello ' }, null));
      res.write(chunk({ content: 'over TLS' }, null));
      res.write(chunk({}, 'stop'));
      res.end('data: [DONE]\n\n');
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

describe('cloud mode over TLS', () => {
  let tmp;
  const servers = [];
  const clawbots = [];
  const seen = [];
  let goodTls;
  let otherTls;
  let goodPort;
  let otherPort;

  async function startClawbot(name, url, env) {
    const dir = path.join(tmp, name);
    const config = path.join(dir, 'config.env');
    const init = await run(CLAWBOT_BIN, ['init', '--config', config, '--data-dir', path.join(dir, 'data')], 30_000);
    const token = /cb_[A-Za-z0-9_-]{20,}/.exec(init)[0];
    const log = [];
    const server = startServer(CLAWBOT_BIN, ['serve', '--config', config, '--port', '0', '--provider', 'openai',
      '--upstream-url', url, '--upstream-model', 'tls-model', '--upstream-retries', '0'], log,
    { API_KEY: KEY, ...env });
    clawbots.push(server.child);
    const base = await server.url;
    return { client: new OpenAI({ apiKey: token, baseURL: `${base}/v1`, maxRetries: 0, timeout: 30_000 }), log };
  }

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'clawbot-tls-'));
    goodTls = makeCertificate(tmp, 'localhost');
    otherTls = makeCertificate(tmp, 'other.example');
    const good = await startUpstream(goodTls, seen);
    const other = await startUpstream(otherTls, seen);
    servers.push(good, other);
    goodPort = good.address().port;
    otherPort = other.address().port;
  });

  after(async () => {
    for (const child of clawbots) await stopServer(child);
    for (const server of servers) server.close();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('streams an answer from an https upstream whose certificate it trusts', async () => {
    const { client, log } = await startClawbot('good', `https://localhost:${goodPort}/v1`, { SSL_CERT_FILE: goodTls.certFile });
    const stream = await client.chat.completions.create({
      model: 'tls-model', messages: [{ role: 'user', content: 'hi' }], stream: true,
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    assert.equal(text, 'Hello over TLS');
    const request = seen.at(-1);
    assert.equal(request.url, '/v1/chat/completions');
    assert.equal(JSON.parse(request.body).model, 'tls-model');
    assert.ok(!log.join('').includes(KEY), 'the key reached the log');
  });

  it('refuses a certificate made for another host name', async () => {
    // Trusted (it is in SSL_CERT_FILE) but names other.example, not localhost.
    const before = seen.length;
    const { client, log } = await startClawbot('wrong-name', `https://localhost:${otherPort}/v1`,
      { SSL_CERT_FILE: otherTls.certFile });
    await assert.rejects(client.chat.completions.create({ model: 'tls-model', messages: [{ role: 'user', content: 'hi' }] }),
      (err) => err.status === 502 && /could not connect/.test(err.message) && /certificate/.test(err.message));
    assert.equal(seen.length, before, 'the request went out over an unverified connection');
    assert.ok(!log.join('').includes(KEY));
  });

  it('refuses a certificate nobody trusts', async () => {
    const before = seen.length;
    const { client } = await startClawbot('untrusted', `https://localhost:${goodPort}/v1`,
      { SSL_CERT_FILE: otherTls.certFile });
    await assert.rejects(client.chat.completions.create({ model: 'tls-model', messages: [{ role: 'user', content: 'hi' }] }),
      (err) => err.status === 502);
    assert.equal(seen.length, before);
  });
});
