// The official `openai` npm client against the real clawbot server:
// /v1/models, a plain completion and a streamed one, log probabilities,
// logit_bias and penalties, and OpenAI's error objects. CMake runs it twice:
// on the local engine, and in cloud mode through an upstream clawbot (so
// every field is forwarded and every answer passed back).
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

  it('surfaces API errors as OpenAI error objects', async () => {
    await assert.rejects(
      client.chat.completions.create({ model: 'stories260K', messages: [{ role: 'user', content: 'hi' }], n: 2 }),
      (err) => err.status === 400 && err.type === 'invalid_request_error' && err.param === 'n' && /n = 1/.test(err.message));
    await assert.rejects(
      client.chat.completions.create({ model: 'stories260K', messages: [{ role: 'user', content: 'hi' }], presence_penalty: 2.5 }),
      (err) => err.status === 400 && err.type === 'invalid_request_error' && err.param === 'presence_penalty');
    const wrongKey = new OpenAI({ apiKey: 'cb_not_a_valid_token_at_all_xxxxxxxx', baseURL: client.baseURL, maxRetries: 0 });
    await assert.rejects(wrongKey.models.list(), (err) => err.status === 401 && err.type === 'authentication_error');
  });

  // Log probabilities of a greedy answer: one entry per generated token,
  // whose pieces spell the answer; the picked token is the most likely one.
  const checkLogprobs = (content, entries, top) => {
    assert.ok(entries.length > 0, 'no logprobs');
    assert.equal(entries.map((e) => e.token).join(''), content);
    for (const e of entries) {
      assert.ok(e.logprob <= 0, `logprob ${e.logprob} > 0`);
      assert.deepEqual(e.bytes, [...Buffer.from(e.token, 'utf8')]);
      assert.equal(e.top_logprobs.length, top);
      assert.equal(e.top_logprobs[0].token, e.token, 'greedy did not pick the most likely token');
      assert.ok(Math.abs(e.top_logprobs[0].logprob - e.logprob) < 1e-4);
      for (let i = 1; i < top; ++i) assert.ok(e.top_logprobs[i].logprob <= e.top_logprobs[i - 1].logprob, 'alternatives out of order');
    }
  };

  it('returns log probabilities, streamed and not', async () => {
    const request = {
      model: 'stories260K', messages: [{ role: 'user', content: 'Once upon a time' }],
      max_tokens: 10, temperature: 0, logprobs: true, top_logprobs: 3,
    };
    const whole = await client.chat.completions.create(request);
    const choice = whole.choices[0];
    checkLogprobs(choice.message.content, choice.logprobs.content, 3);
    assert.equal(choice.logprobs.content.length, whole.usage.completion_tokens);

    const stream = await client.chat.completions.create({ ...request, stream: true });
    let text = '';
    const entries = [];
    for await (const chunk of stream) {
      for (const c of chunk.choices) {
        text += c.delta?.content ?? '';
        entries.push(...(c.logprobs?.content ?? []));
      }
    }
    assert.equal(text, choice.message.content);
    assert.deepEqual(entries.map((e) => [e.token, e.logprob.toFixed(4)]), choice.logprobs.content.map((e) => [e.token, e.logprob.toFixed(4)]));

    const without = await client.chat.completions.create({ ...request, logprobs: undefined, top_logprobs: undefined });
    assert.equal(without.choices[0].logprobs, null);
  });

  it('applies logit_bias and penalties', async () => {
    const base = { model: 'stories260K', messages: [{ role: 'user', content: 'Once upon a time' }], max_tokens: 6, logprobs: true };
    // +100 all but forces a token: every generated token is that one, and
    // two different ids give two different tokens.
    const forced = async (id) => {
      const r = await client.chat.completions.create({ ...base, temperature: 1, logit_bias: { [id]: 100 } });
      const tokens = r.choices[0].logprobs.content.map((e) => e.token);
      assert.equal(tokens.length, 6);
      assert.equal(new Set(tokens).size, 1, `logit_bias +100 on ${id} gave ${JSON.stringify(tokens)}`);
      return tokens[0];
    };
    assert.notEqual(await forced(300), await forced(301));
    // A frequency penalty changes a greedy answer that repeats itself.
    const greedy = await client.chat.completions.create({ ...base, temperature: 0, max_tokens: 40, logprobs: undefined });
    const penalized = await client.chat.completions.create({ ...base, temperature: 0, max_tokens: 40, logprobs: undefined,
      frequency_penalty: 1.5 });
    assert.notEqual(penalized.choices[0].message.content, greedy.choices[0].message.content,
      'a frequency penalty of 1.5 left a 40-token greedy answer unchanged');
  });
  it('continues a bare prompt on /v1/completions, streamed and not, with legacy logprobs', async () => {
    const request = { model: 'stories260K', prompt: 'Once upon a time', max_tokens: 8, temperature: 0, logprobs: 2 };
    const whole = await client.completions.create(request);
    assert.equal(whole.object, 'text_completion');
    const choice = whole.choices[0];
    assert.ok(choice.text.length > 0);
    assert.ok(['stop', 'length'].includes(choice.finish_reason));
    assert.equal(choice.logprobs.tokens.join(''), choice.text);
    assert.equal(choice.logprobs.tokens.length, whole.usage.completion_tokens);
    for (let i = 0; i < choice.logprobs.tokens.length; ++i) {
      const top = choice.logprobs.top_logprobs[i];
      assert.equal(Object.keys(top).length, 2);
      assert.ok(Math.abs(top[choice.logprobs.tokens[i]] - choice.logprobs.token_logprobs[i]) < 1e-4, 'greedy picked a token not on top');
      assert.equal(choice.logprobs.text_offset[i], choice.logprobs.tokens.slice(0, i).join('').length);
    }
    // No chat template: the prompt is only the text (and BOS), a few tokens.
    assert.ok(whole.usage.prompt_tokens < 10, `prompt_tokens ${whole.usage.prompt_tokens}`);

    const stream = await client.completions.create({ ...request, logprobs: undefined, stream: true });
    let text = '';
    let finish = null;
    for await (const c of stream) {
      assert.equal(c.object, 'text_completion');
      text += c.choices[0]?.text ?? '';
      finish = c.choices[0]?.finish_reason ?? finish;
    }
    assert.equal(text, choice.text);
    assert.equal(finish, choice.finish_reason);
    await assert.rejects(client.completions.create({ model: 'stories260K', prompt: ['a', 'b'] }),
      (err) => err.status === 400 && err.param === 'prompt');
  });
  // A person: every answer under this schema must parse and validate.
  const PERSON = {
    type: 'object',
    properties: {
      name: { type: 'string', minLength: 1, maxLength: 12 },
      age: { type: 'integer', minimum: 0, maximum: 120 },
      pet: { enum: ['cat', 'dog', null] },
      tags: { type: 'array', items: { type: 'string', maxLength: 8 }, maxItems: 3 },
    },
    required: ['name', 'age', 'pet', 'tags'],
    additionalProperties: false,
  };
  const checkPerson = (text) => {
    const p = JSON.parse(text);
    assert.deepEqual(Object.keys(p), ['name', 'age', 'pet', 'tags'], text);
    assert.ok(typeof p.name === 'string' && p.name.length >= 1 && [...p.name].length <= 12, text);
    assert.ok(Number.isInteger(p.age) && p.age >= 0 && p.age <= 120, text);
    assert.ok(['cat', 'dog', null].includes(p.pet), text);
    assert.ok(Array.isArray(p.tags) && p.tags.length <= 3 && p.tags.every((t) => typeof t === 'string' && [...t].length <= 8), text);
  };

  it('answers under a JSON schema for any seed, streamed and not', async () => {
    const request = {
      model: 'stories260K', messages: [{ role: 'user', content: 'Describe a person.' }], max_tokens: 400, temperature: 1,
      response_format: { type: 'json_schema', json_schema: { name: 'person', schema: PERSON, strict: true } },
    };
    for (const seed of [1, 2, 3, 4, 5]) {
      const r = await client.chat.completions.create({ ...request, seed });
      assert.equal(r.choices[0].finish_reason, 'stop', `seed ${seed}: ${r.choices[0].message.content}`);
      checkPerson(r.choices[0].message.content);
    }
    const stream = await client.chat.completions.create({ ...request, seed: 6, stream: true });
    let text = '';
    for await (const c of stream) text += c.choices[0]?.delta?.content ?? '';
    checkPerson(text);

    // Any JSON object: its strings are unbounded, and this story model
    // writes stories in them until max_tokens ("length", the only way out).
    // What it writes is still held to the grammar: an object from the first
    // byte (left alone, it starts with a story), and JSON when it finishes.
    for (const seed of [7, 8, 9]) {
      const object = await client.chat.completions.create({ ...request, max_tokens: 60, seed, response_format: { type: 'json_object' } });
      const { finish_reason: finish, message } = object.choices[0];
      assert.ok(['stop', 'length'].includes(finish), finish);
      assert.match(message.content, /^\{(\s*"|\s*\})/, message.content);
      if (finish === 'stop') assert.equal(typeof JSON.parse(message.content), 'object');
    }

    await assert.rejects(client.chat.completions.create({
      ...request, response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'object', patternProperties: {} } } },
    }), (err) => err.status === 400 && /patternProperties/.test(err.message));
  });
  it('embeds inputs, as floats or base64 (cloud mode: the upstream\'s)', async () => {
    const request = { model: 'stories260K', input: ['Once upon a time', 'The cat sat on the mat.', 'Once upon a time'] };
    const r = await client.embeddings.create({ ...request, encoding_format: 'float' });
    assert.equal(r.object, 'list');
    assert.deepEqual(r.data.map((d) => d.index), [0, 1, 2]);
    const [a, b, again] = r.data.map((d) => d.embedding);
    const dot = (x, y) => x.reduce((sum, v, i) => sum + v * y[i], 0);
    assert.ok(a.length > 0 && b.length === a.length);
    assert.ok(Math.abs(dot(a, a) - 1) < 1e-4, 'not unit length');
    assert.ok(dot(a, again) > 0.9999, 'the same text embedded differently');
    assert.ok(dot(a, b) < dot(a, again), 'another text embedded the same');
    assert.ok(r.usage.prompt_tokens > 0 && r.usage.total_tokens === r.usage.prompt_tokens);
    // The client's default: base64 of little-endian float32, decoded by the client.
    const packed = await client.embeddings.create({ model: 'stories260K', input: 'Once upon a time' });
    const decoded = packed.data[0].embedding;
    assert.equal(decoded.length, a.length);
    for (let i = 0; i < a.length; ++i) assert.ok(Math.abs(decoded[i] - a[i]) < 1e-6);
    await assert.rejects(client.embeddings.create({ model: 'stories260K', input: [] }), (err) => err.status === 400 && err.param === 'input');
    await assert.rejects(client.embeddings.create({ model: 'stories260K', input: 'x', dimensions: 8 }),
      (err) => err.status === 400 && err.param === 'dimensions');
  });
});
