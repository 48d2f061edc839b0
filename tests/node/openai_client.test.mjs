// The official `openai` npm client against the real clawbot server:
// /v1/models, a plain completion and a streamed one.
//
//   cd tests/node && npm ci
//   CLAWBOT_BIN=../../build/clawbot CLAWBOT_SHARED_DIR=../../../shared npm test
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';
import { run, startService, stopService } from '../js/clawbot_server.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '..', '..');
const CLAWBOT_BIN = path.resolve(process.env.CLAWBOT_BIN || path.join(REPO, 'build', 'clawbot'));
const SHARED_DIR = path.resolve(process.env.CLAWBOT_SHARED_DIR || path.join(REPO, '..', 'shared'));
const MODEL = path.join(SHARED_DIR, 'models', 'stories260K.gguf');

describe('openai npm client against clawbot', () => {
  let tmp;
  let server;
  const log = [];
  let client;

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'clawbot-openai-'));
    const config = path.join(tmp, 'config.env');
    const dataDir = path.join(tmp, 'data');
    const init = await run(CLAWBOT_BIN, ['init', '--config', config, '--data-dir', dataDir], 30_000);
    const token = /cb_[A-Za-z0-9_-]{20,}/.exec(init);
    assert.ok(token, `no token in the output of clawbot init:\n${init}`);
    server = await startService(CLAWBOT_BIN, ['serve', '--config', config, '--model-path', MODEL, '--port', '0', '--ctx-size', '512'], log);
    const base = await server.url;
    client = new OpenAI({ apiKey: token[0], baseURL: `${base}/v1`, maxRetries: 0, timeout: 60_000 });
  });

  after(async () => {
    await stopService(server);
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('lists the loaded model', async () => {
    const models = await client.models.list();
    const ids = models.data.map((m) => m.id);
    assert.deepEqual(ids, ['stories260K']);
  });

  it('answers a completion', async () => {
    const completion = await client.chat.completions.create({
      model: 'stories260K',
      messages: [{ role: 'system', content: 'You tell stories.' }, { role: 'user', content: 'Once upon a time' }],
      max_tokens: 12,
      temperature: 0,
    });
    assert.equal(completion.object, 'chat.completion');
    assert.equal(completion.choices.length, 1);
    assert.equal(completion.choices[0].message.role, 'assistant');
    assert.ok(completion.choices[0].message.content.length > 0);
    assert.ok(['stop', 'length'].includes(completion.choices[0].finish_reason));
    assert.equal(completion.usage.total_tokens, completion.usage.prompt_tokens + completion.usage.completion_tokens);
  });

  it('streams the same text it answers in one piece, with usage at the end', async () => {
    const request = {
      model: 'stories260K',
      messages: [{ role: 'user', content: '你好，讲一个故事' }],
      max_tokens: 16,
      temperature: 0,
    };
    const whole = await client.chat.completions.create(request);
    const stream = await client.chat.completions.create({ ...request, stream: true, stream_options: { include_usage: true } });
    let text = '';
    let finish = null;
    let usage = null;
    for await (const chunk of stream) {
      assert.equal(chunk.object, 'chat.completion.chunk');
      if (chunk.usage) usage = chunk.usage;
      for (const choice of chunk.choices) {
        text += choice.delta?.content ?? '';
        if (choice.finish_reason) finish = choice.finish_reason;
      }
    }
    assert.equal(text, whole.choices[0].message.content);
    assert.equal(finish, whole.choices[0].finish_reason);
    assert.ok(usage && usage.completion_tokens > 0, 'usage chunk missing');
  });

  it('surfaces API errors as the client expects', async () => {
    await assert.rejects(
      client.chat.completions.create({ model: 'stories260K', messages: [{ role: 'user', content: 'hi' }], n: 2 }),
      (err) => err.status === 400);
    const wrongKey = new OpenAI({ apiKey: 'cb_not_a_valid_token_at_all_xxxxxxxx', baseURL: client.baseURL, maxRetries: 0 });
    await assert.rejects(wrongKey.models.list(), (err) => err.status === 401);
  });
});
