// Cloud mode as an agent uses it, through the official openai client: the
// fields clawbot does not implement itself (tools, tool_choice,
// response_format, reasoning_effort, ...) and the messages (tool calls and
// tool results) reach the upstream exactly as the client sent them, and
// what the upstream answers (tool calls, reasoning, finish reasons) comes
// back, streamed and not. The upstream here is a small OpenAI-compatible
// server that records every request and answers from a script.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';
import { run, startServer, stopServer } from '../js/clawbot_server.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '..', '..');
const CLAWBOT_BIN = path.resolve(process.env.CLAWBOT_BIN || path.join(REPO, 'build', 'clawbot'));
const KEY = 'sk-agent-test-key-0123456789';
const MODEL = 'agent-model';

const WEATHER_TOOL = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'The weather in a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false },
    strict: true,
  },
};

// The upstream's answers, streamed as OpenAI streams them.
function chunk(delta, finish = null, extra = {}) {
  return `data: ${JSON.stringify({ id: 'up-1', object: 'chat.completion.chunk', created: 0, model: MODEL,
    choices: [{ index: 0, delta, finish_reason: finish, ...extra }] })}\n\n`;
}

// A tool call whose arguments arrive in pieces, as real upstreams send them.
const TOOL_CALL_STREAM = [
  chunk({ role: 'assistant', content: null, tool_calls: [{ index: 0, id: 'call_abc', type: 'function', function: { name: 'get_weather', arguments: '' } }] }),
  chunk({ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] }),
  chunk({ tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] }),
  chunk({}, 'tool_calls'),
];

// After the tool's result: some reasoning, then the answer.
const ANSWER_STREAM = [
  chunk({ role: 'assistant', reasoning_content: 'The tool said sunny. ' }),
  chunk({ reasoning_content: 'Say so.' }),
  chunk({ content: 'It is sunny ' }, null, { logprobs: { content: [{ token: 'It', logprob: -0.25, bytes: [73, 116], top_logprobs: [] }] } }),
  chunk({ content: 'in Paris.' }),
  chunk({}, 'stop'),
];

function startUpstream(seen) {
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      const parsed = JSON.parse(body);
      seen.push(parsed);
      const lastRole = parsed.messages.at(-1).role;
      const script = lastRole === 'tool' ? ANSWER_STREAM : TOOL_CALL_STREAM;
      res.writeHead(200, { 'Content-Type': 'text/event-stream' });
      for (const c of script) res.write(c);
      res.write(`data: ${JSON.stringify({ id: 'up-1', object: 'chat.completion.chunk', created: 0, model: MODEL, choices: [],
        usage: { prompt_tokens: 30, completion_tokens: 9, total_tokens: 39 } })}\n\n`);
      res.end('data: [DONE]\n\n');
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

describe('cloud mode forwards agent fields and passes back tool calls', () => {
  let tmp;
  let upstream;
  let clawbot;
  let client;
  const seen = [];
  const log = [];

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'clawbot-agent-'));
    upstream = await startUpstream(seen);
    const config = path.join(tmp, 'config.env');
    const init = await run(CLAWBOT_BIN, ['init', '--config', config, '--data-dir', path.join(tmp, 'data')], 30_000);
    const token = /cb_[A-Za-z0-9_-]{20,}/.exec(init)[0];
    const server = startServer(CLAWBOT_BIN, ['serve', '--config', config, '--port', '0', '--provider', 'openai',
      '--upstream-url', `http://127.0.0.1:${upstream.address().port}/v1`, '--upstream-model', MODEL,
      '--upstream-retries', '0'], log, { API_KEY: KEY });
    clawbot = server.child;
    client = new OpenAI({ apiKey: token, baseURL: `${await server.url}/v1`, maxRetries: 0, timeout: 30_000 });
  });

  after(async () => {
    await stopServer(clawbot);
    upstream?.close();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  const question = [{ role: 'system', content: 'Use tools.' }, { role: 'user', content: 'Weather in Paris?' }];
  const agentFields = {
    tools: [WEATHER_TOOL],
    tool_choice: { type: 'function', function: { name: 'get_weather' } },
    parallel_tool_calls: false,
    response_format: { type: 'json_schema', json_schema: { name: 'w', schema: { type: 'object' }, strict: true } },
    reasoning_effort: 'low',
    max_completion_tokens: 77,
    logit_bias: { 42: -5 },
    presence_penalty: 0.5,
    seed: 9,
    user: 'agent-7',
    logprobs: true,
    top_logprobs: 2,
  };

  it('sends every field as given and answers with the whole tool call', async () => {
    const before = seen.length;
    const r = await client.chat.completions.create({ model: MODEL, messages: question, ...agentFields });
    const sent = seen[before];
    assert.ok(sent, 'nothing reached the upstream');
    for (const [key, value] of Object.entries(agentFields)) assert.deepEqual(sent[key], value, key);
    assert.equal(sent.model, MODEL);
    assert.equal(sent.stream, true);
    assert.ok(!('max_tokens' in sent), 'max_completion_tokens became max_tokens');
    assert.deepEqual(sent.messages, question);

    const choice = r.choices[0];
    assert.equal(choice.finish_reason, 'tool_calls');
    assert.equal(choice.message.content, null);
    assert.deepEqual(choice.message.tool_calls,
      [{ id: 'call_abc', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }]);
    assert.equal(r.usage.completion_tokens, 9);
  });

  it('refuses a model name it does not serve before calling the upstream', async () => {
    const before = seen.length;
    await assert.rejects(client.chat.completions.create({ model: 'gpt-4o', messages: question }),
      (err) => err.status === 404 && err.code === 'model_not_found' && err.param === 'model');
    assert.equal(seen.length, before);
  });

  it('streams the tool call in pieces with its index and id', async () => {
    const stream = await client.chat.completions.create({ model: MODEL, messages: question, tools: [WEATHER_TOOL], stream: true });
    const calls = [];
    let finish = null;
    for await (const c of stream) {
      for (const choice of c.choices) {
        for (const piece of choice.delta?.tool_calls ?? []) {
          assert.equal(typeof piece.index, 'number');
          calls[piece.index] ??= { id: '', name: '', arguments: '' };
          if (piece.id) calls[piece.index].id = piece.id;
          calls[piece.index].name += piece.function?.name ?? '';
          calls[piece.index].arguments += piece.function?.arguments ?? '';
        }
        if (choice.finish_reason) finish = choice.finish_reason;
      }
    }
    assert.deepEqual(calls, [{ id: 'call_abc', name: 'get_weather', arguments: '{"city":"Paris"}' }]);
    assert.equal(finish, 'tool_calls');
  });

  it('takes the tool result back to the upstream and returns its reasoning apart from the answer', async () => {
    const messages = [...question,
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_abc', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
      { role: 'tool', tool_call_id: 'call_abc', content: '{"sky":"sunny"}' }];
    const before = seen.length;
    const r = await client.chat.completions.create({ model: MODEL, messages, tools: [WEATHER_TOOL], logprobs: true });
    assert.deepEqual(seen[before].messages, messages, 'the messages were not forwarded as given');
    const choice = r.choices[0];
    assert.equal(choice.message.content, 'It is sunny in Paris.');
    assert.equal(choice.message.reasoning_content, 'The tool said sunny. Say so.');
    assert.equal(choice.finish_reason, 'stop');
    assert.deepEqual(choice.logprobs.content.map((e) => [e.token, e.logprob]), [['It', -0.25]]);

    const stream = await client.chat.completions.create({ model: MODEL, messages, stream: true });
    let text = '';
    let reasoning = '';
    for await (const c of stream) {
      for (const ch of c.choices) {
        text += ch.delta?.content ?? '';
        reasoning += ch.delta?.reasoning_content ?? '';
      }
    }
    assert.equal(text, 'It is sunny in Paris.');
    assert.equal(reasoning, 'The tool said sunny. Say so.');
    assert.ok(!log.join('').includes(KEY), 'the key reached the log');
  });
});
