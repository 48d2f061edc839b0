// `clawbot chat` driven through its standard input: a local model with the
// slash commands, a running clawbot through --url, and Ctrl-C (SIGINT)
// stopping an answer from a server that would stream forever while the
// program carries on to the next question.
//
//   CLAWBOT_BIN=../../build/clawbot CLAWBOT_SHARED_DIR=../../../shared node --test terminal_chat.test.mjs
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { run, startServer, stopServer } from '../js/clawbot_server.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '..', '..');
const CLAWBOT_BIN = path.resolve(process.env.CLAWBOT_BIN || path.join(REPO, 'build', 'clawbot'));
const SHARED_DIR = path.resolve(process.env.CLAWBOT_SHARED_DIR || path.join(REPO, '..', 'shared'));
const MODEL = path.join(SHARED_DIR, 'models', 'stories260K.gguf');

// Runs `clawbot chat ARGS`, feeding `lines`; resolves with its exit code and output.
function chat(args, lines) {
  return new Promise((resolve, reject) => {
    const child = spawn(CLAWBOT_BIN, ['chat', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`chat hung:\n${out}\n${err}`)); }, 60_000);
    child.on('exit', (code) => { clearTimeout(timer); resolve({ code, out, err }); });
    child.stdin.end(lines.map((l) => `${l}\n`).join(''));
  });
}

describe('clawbot chat', () => {
  let tmp;
  before(() => { tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'clawbot-chat-')); });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('chats with a local model, with /system, /reset and unknown commands', async () => {
    const r = await chat(['--model', MODEL, '--max-tokens', '12', '--temperature', '0'],
      ['Once upon a time', '/system Be brief.', '/nope', 'Hello', '/reset', '/exit']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^Chatting with stories260K\./);
    assert.match(r.out, /\(system prompt set; the conversation starts over\)/);
    assert.match(r.out, /unknown command \/nope/);
    assert.match(r.out, /\(the conversation starts over\)/);
    // Two answers, each cut at 12 tokens: text between the prompts.
    const answers = r.out.split('> ').filter((s) => s.includes('(cut off at --max-tokens)'));
    assert.equal(answers.length, 2, r.out);
    for (const a of answers) assert.ok(a.replace('(cut off at --max-tokens)', '').trim().length > 0, a);
    const missing = await chat(['--model', path.join(tmp, 'none.gguf')], []);
    assert.equal(missing.code, 1);
    assert.equal(missing.err.trim().split('\n').length, 1, missing.err);
  });

  it('chats with a running clawbot through --url and its token', async () => {
    const config = path.join(tmp, 'config.env');
    const init = await run(CLAWBOT_BIN, ['init', '--config', config, '--data-dir', path.join(tmp, 'data')], 30_000);
    const token = /cb_[A-Za-z0-9_-]{20,}/.exec(init)[0];
    const log = [];
    const server = startServer(CLAWBOT_BIN, ['serve', '--config', config, '--model-path', MODEL, '--port', '0'], log);
    try {
      const url = await server.url;
      const r = await chat(['--url', url, '--token', token, '--max-tokens', '8'], ['Once upon a time', '/exit']);
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /Chatting with .* at http:\/\/127\.0\.0\.1/);
      assert.match(r.out, /\(cut off at --max-tokens\)/);
      const refused = await chat(['--url', url, '--token', 'cb_wrong', '--max-tokens', '8'], ['Hi', '/exit']);
      assert.equal(refused.code, 0);
      assert.match(refused.err, /API key|401/);
    } finally {
      await stopServer(server.child);
    }
  });

  it('stops an answer on Ctrl-C and goes on to the next question', async () => {
    // An OpenAI-compatible server that streams a word every 50 ms, forever.
    let requests = 0;
    let lastAuthorization = null;
    const upstream = http.createServer((req, res) => {
      requests += 1;
      lastAuthorization = req.headers.authorization;
      req.resume();
      res.writeHead(200, { 'Content-Type': 'text/event-stream' });
      const timer = setInterval(() => {
        res.write(`data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: 'word ' }, finish_reason: null }] })}\n\n`);
      }, 50);
      res.on('close', () => clearInterval(timer));
    });
    await new Promise((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${upstream.address().port}`;
    const child = spawn(CLAWBOT_BIN, ['chat', '--url', base, '--token', 'sk-test'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    try {
      child.stdin.write('Tell me everything\n');
      await waitFor(() => (out.match(/word /g) ?? []).length >= 3, () => out);
      child.kill('SIGINT');
      await waitFor(() => out.includes('(stopped)'), () => out);
      child.stdin.write('/exit\n');
      const code = await exited;
      assert.equal(code, 0, out);
      assert.equal(requests, 1);
      assert.equal(lastAuthorization, 'Bearer sk-test');
    } finally {
      child.kill('SIGKILL');
      await new Promise((resolve) => upstream.close(resolve));
    }
  });
});

async function waitFor(condition, describe, ms = 20_000) {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting; output so far:\n${describe()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
