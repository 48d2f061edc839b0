// Three clawbot nodes on one real Redis behind a real nginx running
// deploy/nginx/clawbot.conf, all on loopback:
//   a. a conversation started through nginx continues on each other node
//      directly, with its full history;
//   c. a token revoked once is refused by every node within 3 s, directly and through nginx;
//   f. nginx's body limit is clawbot's, and nginx's own errors are JSON;
//   d. conversation affinity: follow-up turns through nginx reuse their KV
//      cache (>= 90% must), against a round-robin nginx in the same run
//      (reported, not asserted), and requests without the header spread over
//      all nodes;
//   b. kill -9 of a node under load: only requests that reached it may fail,
//      every acknowledged message is in Redis byte for byte, and its
//      conversations go on elsewhere with their history;
//   e. Redis down: 503 through nginx in under 2 s; Redis back: the same nodes
//      answer again and every earlier acknowledged message is still there;
//   z. the nodes left exit cleanly on SIGTERM (under ASan: no report).
// They run in this order: b and e break the cluster for what follows.
//
//   CLAWBOT_BIN=../../build/clawbot CLAWBOT_SHARED_DIR=../../../shared \
//     node --test --test-concurrency=1 cluster_test.mjs
// Needs redis-server and nginx (Debian packages redis-server, nginx).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from '../js/clawbot_server.mjs';
import { Nginx, Node, Redis, alive, redisCommand, requireProgram, sleep, trackTempDir } from './cluster_env.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '..', '..');
const CLAWBOT_BIN = path.resolve(process.env.CLAWBOT_BIN || path.join(REPO, 'build', 'clawbot'));
const SHARED_DIR = path.resolve(process.env.CLAWBOT_SHARED_DIR || path.join(REPO, '..', 'shared'));
const MODEL = path.join(SHARED_DIR, 'models', 'stories260K.gguf');
const NGINX_CONF = path.join(REPO, 'deploy', 'nginx', 'clawbot.conf');

const MAX_TOKENS = 8;  // short answers: the test is about routing and state, not text
const AFFINITY_CONVERSATIONS = 12;
const AFFINITY_TURNS = 4;
const KILL_CLIENTS = 6;
const KILL_TURNS = 6;
// The engine's KV block size. Only full blocks are reused, and a
// conversation's first block is the chat template plus the first token of
// its first question, which other conversations can share (a real prefix
// hit, but not this conversation's history). More than one block cached
// proves the node kept this conversation's own blocks.
const BLOCK_TOKENS = 16;

let tmp;
let redis;
let nodes = [];
let nginx;    // deploy/nginx/clawbot.conf: hash on X-Conversation-Id
let rrNginx;  // the same file without its hash line: round-robin
let admin;
let config;
let anyFailed = false;
const acknowledged = [];  // every 200 from /api/v1/chat: { conversation, messageId, query, answer }
let requestSeq = 0;

// Remembers that a test failed, so that `after` prints the processes' logs.
const step = (fn) => async (t) => {
  try {
    await fn(t);
  } catch (err) {
    anyFailed = true;
    throw err;
  }
};

// One HTTP request; never throws. `id` goes out as X-Test-Request, which
// nginx's access log records beside the node(s) it passed the request to.
async function call(base, method, pathname, { token = admin, body, headers = {}, tag = 'x', timeoutMs = 60_000 } = {}) {
  const id = `${tag}-${++requestSeq}`;
  const started = Date.now();
  const h = { 'X-Test-Request': id, ...headers };
  if (token) h.Authorization = `Bearer ${token}`;
  if (body !== undefined) h['Content-Type'] = 'application/json';
  try {
    const res = await fetch(base + pathname, {
      method, headers: h, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    let json = null;
    try { json = JSON.parse(text); } catch { /* not JSON */ }
    return { id, status: res.status, json, text, started, ended: Date.now() };
  } catch (err) {
    return { id, status: 0, json: null, text: String(err), started, ended: Date.now() };
  }
}

async function createConversation(base, title, tag) {
  return call(base, 'POST', '/api/v1/conversations', { body: { title }, tag });
}

// A turn as the chat page and API clients send it: the id in the body and,
// for the proxy, in X-Conversation-Id (unless `header` is false).
async function chat(base, { query, conversation, header = true, token = admin, tag = 'chat' }) {
  const body = { query, max_tokens: MAX_TOKENS, temperature: 0 };
  const headers = {};
  if (conversation) {
    body.conversation_id = conversation;
    if (header) headers['X-Conversation-Id'] = conversation;
  }
  const r = await call(base, 'POST', '/api/v1/chat', { token, body, headers, tag });
  if (r.status === 200 && r.json?.message_id) {
    acknowledged.push({ conversation: r.json.conversation_id, messageId: r.json.message_id, query, answer: r.json.answer });
  }
  return r;
}

// A name the tiny model's tokenizer splits into one token per letter, at the
// start of the first question: past the first block (see BLOCK_TOKENS) no two
// conversations share a KV block.
function uniqueName(label, i) {
  const letters = 'bcdfghjklmnpqrstvwxz';
  let s = '';
  for (let k = 0; k < 6; ++k) s += letters[Math.floor(Math.random() * letters.length)];
  return `${s[0].toUpperCase()}${s.slice(1)}${label}${i}`;
}
const question = (name, turn) => (turn === 1
  ? `${name} found a little red ball in the garden.`
  : `What did ${name} do next, part ${turn}?`);

function fmtShare(hits, total) {
  return `${hits}/${total} (${total ? Math.round((100 * hits) / total) : 0}%)`;
}

function countBy(items, key) {
  const counts = new Map();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) || 0) + 1);
  return counts;
}

const lastUpstream = (entry) => entry?.upstreams.at(-1);

// nginx's access log by X-Test-Request, once it holds every one of `ids`:
// nginx writes a line after the response has gone out, so a client can read
// the response before its line exists.
async function logEntries(proxy, ids) {
  const deadline = Date.now() + 5000;
  for (;;) {
    const log = new Map(proxy.accessLog().map((e) => [e.id, e]));
    if (ids.every((id) => log.has(id)) || Date.now() > deadline) return log;
    await sleep(20);
  }
}

// Every acknowledged exchange of `conversations` is stored byte for byte, in
// order: the assistant message with the acknowledged id holds the answer, and
// the user message right before it the question.
async function assertAcknowledgedStored(base, conversations, via) {
  for (const conversation of conversations) {
    const acks = acknowledged.filter((a) => a.conversation === conversation);
    const got = await call(base, 'GET', `/api/v1/conversations/${conversation}`, { tag: 'history' });
    assert.equal(got.status, 200, `GET ${conversation} via ${via}: ${got.text}`);
    const messages = got.json.messages;
    let previous = -1;
    for (const a of acks) {
      const at = messages.findIndex((m) => m.id === a.messageId);
      assert.ok(at > previous, `acknowledged message ${a.messageId} of ${conversation} missing or out of order via ${via}:\n${got.text}`);
      assert.equal(messages[at].role, 'assistant');
      assert.equal(messages[at].content, a.answer, `answer of ${a.messageId} changed`);
      assert.equal(messages[at - 1]?.role, 'user');
      assert.equal(messages[at - 1].content, a.query, `question before ${a.messageId} changed`);
      previous = at;
    }
  }
}

// N conversations at once, each created first and then asked `turns`
// questions in a row with X-Conversation-Id, as the chat page does.
async function conversationWorkload(base, { label, count, turns }) {
  return Promise.all(Array.from({ length: count }, async (_, i) => {
    const name = uniqueName(label, i);
    const created = await createConversation(base, name, `${label}-create`);
    assert.equal(created.status, 201, `create through ${base}: ${created.text}`);
    const conversation = created.json.id;
    const results = [];
    for (let turn = 1; turn <= turns; ++turn) {
      // Users do not type in lockstep; without this, round-robin would send
      // every turn of a conversation to the same node whenever `count` is a
      // multiple of the number of nodes.
      await sleep(Math.random() * 30);
      const r = await chat(base, { query: question(name, turn), conversation, tag: `${label}-turn${turn}` });
      assert.equal(r.status, 200, `turn ${turn} of ${conversation} through ${base}: ${r.text}`);
      results.push({ turn, id: r.id, usage: r.json.usage });
    }
    return { conversation, createId: created.id, turns: results };
  }));
}

describe('three clawbot nodes, one Redis, nginx in front', () => {
  before(step(async () => {
    // Missing tools fail the suite with the package to install; never a skip.
    requireProgram('redis-server', 'redis-server');
    requireProgram('nginx', 'nginx');
    assert.ok(fs.existsSync(CLAWBOT_BIN), `no clawbot binary at ${CLAWBOT_BIN} (set CLAWBOT_BIN)`);
    assert.ok(fs.existsSync(MODEL), `no model at ${MODEL} (set CLAWBOT_SHARED_DIR)`);
    const t0 = Date.now();
    tmp = trackTempDir(fs.mkdtempSync(path.join(os.tmpdir(), 'clawbot-cluster-')));
    for (const dir of ['redis', 'nginx', 'nginx-rr', 'data']) fs.mkdirSync(path.join(tmp, dir));

    redis = new Redis(path.join(tmp, 'redis'));
    await redis.start();
    // What the store's acknowledgements rely on.
    assert.match(await redisCommand(redis.port, ['CONFIG', 'GET', 'appendfsync']), /always/);

    config = path.join(tmp, 'node.env');
    const init = await run(CLAWBOT_BIN, ['init', '--config', config, '--data-dir', path.join(tmp, 'data'), '--store', redis.url], 30_000);
    admin = /cb_[A-Za-z0-9_-]{20,}/.exec(init)?.[0];
    assert.ok(admin, `no token in the output of clawbot init:\n${init}`);

    // One thread each: three nodes share two cores. A context that holds
    // the longest conversation here (8 turns, ~600 tokens of this tokenizer).
    nodes = [0, 1, 2].map((i) => new Node(i, CLAWBOT_BIN, ['serve', '--config', config, '--store', redis.url,
      '--model-path', MODEL, '--port', '0', '--ctx-size', '1024', '--threads', '1']));
    await Promise.all(nodes.map((n) => n.start()));

    const confText = fs.readFileSync(NGINX_CONF, 'utf8');
    nginx = new Nginx(path.join(tmp, 'nginx'), confText, 'affinity');
    rrNginx = new Nginx(path.join(tmp, 'nginx-rr'), confText, 'round-robin');
    await Promise.all([nginx.start(nodes.map((n) => n.addr)), rrNginx.start(nodes.map((n) => n.addr))]);
    for (const n of nodes) {
      const ready = await call(n.url, 'GET', '/readyz', { token: null, tag: 'ready' });
      assert.equal(ready.status, 200, `node ${n.index} not ready: ${ready.text}`);
    }
    console.log(`cluster: redis :${redis.port}, nodes ${nodes.map((n) => n.addr).join(' ')}, `
      + `nginx :${nginx.port} (affinity) :${rrNginx.port} (round-robin), up in ${Date.now() - t0} ms`);
  }));

  after(async () => {
    if (anyFailed) {
      for (const n of nodes) {
        // The cause of a 5xx is logged as an error, often long before the
        // log's last lines.
        const errors = n.log.join('').split('\n').filter((line) => /"level":"(error|warn)"/.test(line));
        console.log(`--- node ${n.index} (${n.addr}) errors and warnings (${errors.length}), last 20:\n${errors.slice(-20).join('\n')}`);
        console.log(`--- node ${n.index} (${n.addr}) log, last lines:\n${n.log.join('').slice(-3000)}`);
      }
      for (const proxy of [nginx, rrNginx]) if (proxy) console.log(`--- nginx ${proxy.name} error log:\n${proxy.errorLog().slice(-3000)}`);
      if (redis) console.log(`--- redis log:\n${redis.log.join('').slice(-2000)}`);
    }
    await Promise.all([nginx?.stop(), rrNginx?.stop()]);
    await Promise.all(nodes.map((n) => n.stop()));
    await redis?.kill();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('a. continues a conversation started through nginx on each other node, with its full history', { timeout: 60_000 }, step(async () => {
    const name = uniqueName('a', 0);
    const created = await createConversation(nginx.url, name, 'a-create');
    assert.equal(created.status, 201, created.text);
    const conversation = created.json.id;
    const first = await chat(nginx.url, { query: question(name, 1), conversation, tag: 'a-turn1' });
    assert.equal(first.status, 200, first.text);
    const home = lastUpstream((await logEntries(nginx, [first.id])).get(first.id));
    assert.ok(nodes.some((n) => n.addr === home), `nginx log names no node for ${first.id}: ${home}`);

    const asked = [[question(name, 1), first.json.answer]];
    let prompt = first.json.usage.prompt_tokens;
    for (const node of nodes.filter((n) => n.addr !== home)) {
      const query = question(name, asked.length + 1);
      const r = await chat(node.url, { query, conversation, tag: 'a-direct' });
      assert.equal(r.status, 200, `follow-up on node ${node.index}: ${r.text}`);
      assert.equal(r.json.conversation_id, conversation);
      // The other node read the history from Redis: a longer prompt, and
      // nothing of this conversation in its cache.
      assert.ok(r.json.usage.prompt_tokens > prompt, `prompt ${r.json.usage.prompt_tokens} after ${prompt}: history not read`);
      assert.ok(r.json.usage.cached_tokens <= BLOCK_TOKENS, `a node that never saw the conversation reported ${r.json.usage.cached_tokens} cached tokens`);
      prompt = r.json.usage.prompt_tokens;
      asked.push([query, r.json.answer]);

      const history = await call(node.url, 'GET', `/api/v1/conversations/${conversation}`, { tag: 'a-history' });
      assert.equal(history.status, 200, history.text);
      assert.deepEqual(history.json.messages.map((m) => [m.role, m.content]),
        asked.flatMap(([q, answer]) => [['user', q], ['assistant', answer]]));
    }
    assert.equal(asked.length, 3);
  }));

  it('c. refuses a revoked token on every node, directly and through nginx', { timeout: 60_000 }, step(async () => {
    const storeArgs = ['--config', config, '--store', redis.url];
    const created = await run(CLAWBOT_BIN, ['token', 'create', '--name', 'revoke-me', ...storeArgs], 30_000);
    const token = /cb_[A-Za-z0-9_-]{20,}/.exec(created)?.[0];
    const tokenId = /Access token (\S+) \(/.exec(created)?.[1];
    assert.ok(token && tokenId, created);
    const everywhere = [...nodes.map((n) => [`node ${n.index}`, n.url]), ['nginx', nginx.url], ['nginx', nginx.url], ['nginx', nginx.url]];
    for (const [where, base] of everywhere) {
      const r = await call(base, 'GET', '/api/v1/conversations', { token, tag: 'c-before' });
      assert.equal(r.status, 200, `${where} before the revocation: ${r.text}`);
    }
    await run(CLAWBOT_BIN, ['token', 'revoke', tokenId, ...storeArgs], 30_000);
    // Each node reloads its tokens from Redis every second: within 3 s every
    // node (and every nginx upstream) refuses the token.
    const revokedAt = Date.now();
    for (const [where, base] of everywhere) {
      let r = await call(base, 'GET', '/api/v1/conversations', { token, tag: 'c-after' });
      while (r.status !== 401 && Date.now() - revokedAt < 3000) {
        await sleep(20);
        r = await call(base, 'GET', '/api/v1/conversations', { token, tag: 'c-after' });
      }
      assert.equal(r.status, 401, `${where} after the revocation: ${r.text}`);
      const c = await chat(base, { query: 'Still here?', token, tag: 'c-after-chat' });
      assert.equal(c.status, 401, `${where} chat after the revocation: ${c.text}`);
    }
    const still = await call(nginx.url, 'GET', '/api/v1/conversations', { tag: 'c-admin' });
    assert.equal(still.status, 200, `the other token stopped working: ${still.text}`);
  }));

  it('f. nginx refuses a body over 1 MiB as a node would, and answers its own errors in JSON', { timeout: 60_000 }, step(async () => {
    const post = async (bytes) => {
      const started = Date.now();
      const res = await fetch(`${nginx.url}/api/v1/chat`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${admin}`, 'Content-Type': 'application/json' },
        body: Buffer.alloc(bytes, 0x20),  // JSON white space: a valid size, an invalid document
        signal: AbortSignal.timeout(30_000),
      });
      const text = await res.text();
      return { status: res.status, type: res.headers.get('content-type'), text, ms: Date.now() - started };
    };
    const limit = 1024 * 1024;  // clawbot's MAX_BODY_BYTES default
    const atLimit = await post(limit);
    assert.equal(atLimit.status, 400, `a body of exactly 1 MiB must reach a node (which finds no JSON in it): ${atLimit.text}`);
    const over = await post(limit + 1);
    assert.equal(over.status, 413, over.text);
    assert.match(over.type, /^application\/json/);
    assert.equal(JSON.parse(over.text).error.code, 'payload_too_large');
  }));

  it('d. with affinity, follow-up turns come from the KV cache; without it, mostly not; new conversations spread', { timeout: 120_000 }, step(async () => {
    const share = (results) => {
      const followUps = results.flatMap((c) => c.turns.filter((t) => t.turn >= 2));
      const sum = (key) => followUps.reduce((total, t) => total + t.usage[key], 0);
      return {
        hits: followUps.filter((t) => t.usage.cached_tokens > BLOCK_TOKENS).length,
        anyCached: followUps.filter((t) => t.usage.cached_tokens > 0).length,
        total: followUps.length,
        tokenShare: Math.round((100 * sum('cached_tokens')) / sum('prompt_tokens')),
      };
    };
    const describeShare = (x) => `${fmtShare(x.hits, x.total)} follow-ups from their cache `
      + `(${x.anyCached} with cached_tokens > 0; ${x.tokenShare}% of prompt tokens cached)`;
    const withAffinity = await conversationWorkload(nginx.url, { label: 'daff', count: AFFINITY_CONVERSATIONS, turns: AFFINITY_TURNS });
    const roundRobin = await conversationWorkload(rrNginx.url, { label: 'drr', count: AFFINITY_CONVERSATIONS, turns: AFFINITY_TURNS });
    const aff = share(withAffinity);
    const rr = share(roundRobin);
    console.log(`affinity: ${describeShare(aff)}; round-robin: ${describeShare(rr)}`);

    // The measure is sound: a conversation's first turn shares at most its
    // first block with other conversations, even on a node that served many.
    const firstTurns = [...withAffinity, ...roundRobin].map((c) => c.turns[0]);
    assert.deepEqual(firstTurns.filter((t) => t.usage.cached_tokens > BLOCK_TOKENS), [], 'first turns reported cached tokens');

    // Every turn of a conversation went to one node through the hashing nginx.
    const log = await logEntries(nginx, withAffinity.flatMap((c) => [c.createId, ...c.turns.map((t) => t.id)]));
    for (const c of withAffinity) {
      const homes = new Set(c.turns.map((t) => lastUpstream(log.get(t.id))));
      assert.equal(homes.size, 1, `turns of ${c.conversation} went to ${[...homes].join(', ')}`);
    }
    assert.ok(aff.hits / aff.total >= 0.9, `affinity: only ${describeShare(aff)}`);

    // New conversations spread: creates (no header yet) go round-robin, and so
    // do first questions sent without any conversation id (nginx's hash on an
    // empty key falls back to round-robin); first turns with their new id
    // spread by the hash.
    const plain = [];
    for (let i = 0; i < AFFINITY_CONVERSATIONS; ++i) {
      const r = await chat(nginx.url, { query: `${uniqueName('dnew', i)} went to the sea.`, tag: 'd-noid' });
      assert.equal(r.status, 200, r.text);
      plain.push(r.id);
    }
    const after = await logEntries(nginx, plain);
    const spread = (ids) => countBy(ids, (id) => lastUpstream(after.get(id)));
    const describeSpread = (m) => nodes.map((n) => m.get(n.addr) || 0).join('/');
    const creates = spread(withAffinity.map((c) => c.createId));
    const noId = spread(plain);
    const firsts = spread(withAffinity.map((c) => c.turns[0].id));
    console.log(`spread over nodes ${nodes.map((n) => n.index).join('/')}: creates ${describeSpread(creates)}, `
      + `first questions without an id ${describeSpread(noId)}, first turns with their id ${describeSpread(firsts)}`);
    for (const n of nodes) {
      assert.ok((creates.get(n.addr) || 0) >= 2, `creates did not spread: ${describeSpread(creates)}`);
      assert.ok((noId.get(n.addr) || 0) >= 2, `requests without X-Conversation-Id did not spread: ${describeSpread(noId)}`);
    }
    assert.ok(firsts.size > 1, `every new conversation hashed to one node: ${describeSpread(firsts)}`);
  }));

  it('b. kill -9 of a node under load loses no acknowledged message and fails only what reached it', { timeout: 120_000 }, step(async () => {
    const requests = [];  // every chat request of this workload
    const conversations = [];
    let acks = 0;
    let killAt = null;
    let victim = null;
    let victimConversations = [];
    const homeAtKill = new Map();

    // Called after every acknowledgement; JavaScript runs it to completion,
    // so exactly one call kills, at a moment when the other clients' turns
    // are in flight.
    const maybeKill = () => {
      if (killAt !== null || acks < 2 * KILL_CLIENTS) return;
      for (const e of nginx.accessLog()) {
        if (e.id.startsWith('b-turn') && e.status === '200') homeAtKill.set(e.conversation, lastUpstream(e));
      }
      const load = countBy([...homeAtKill.values()], (addr) => addr);
      const [addr] = [...load.entries()].sort((x, y) => y[1] - x[1])[0];
      victim = nodes.find((n) => n.addr === addr);
      victimConversations = [...homeAtKill].filter(([, a]) => a === addr).map(([c]) => c);
      killAt = Date.now();
      victim.child.kill('SIGKILL');
    };

    await Promise.all(Array.from({ length: KILL_CLIENTS }, async (_, i) => {
      const name = uniqueName('b', i);
      const created = await createConversation(nginx.url, name, 'b-create');
      requests.push({ ...created, turn: 0 });
      if (created.status !== 201) return;
      const conversation = created.json.id;
      conversations.push(conversation);
      for (let turn = 1; turn <= KILL_TURNS; ++turn) {
        const r = await chat(nginx.url, { query: question(name, turn), conversation, tag: `b-turn${turn}` });
        requests.push({ ...r, turn, conversation });
        if (r.status === 200) {
          ++acks;
          maybeKill();
        }
      }
    }));
    assert.ok(victim, `the node was never killed (${acks} acknowledged turns)`);
    await new Promise((resolve) => (alive(victim.child) ? victim.child.once('exit', resolve) : resolve()));
    const survivors = nodes.filter((n) => n !== victim);

    // Only requests that nginx had passed to the killed node when it died may
    // have failed (a POST it received is never replayed). A request whose
    // connection to the dead node failed must have gone on to another node.
    let log = await logEntries(nginx, requests.map((r) => r.id));
    const failures = requests.filter((r) => r.status !== 200 && r.status !== 201);
    for (const f of failures) {
      const entry = log.get(f.id);
      const reachedVictim = lastUpstream(entry) === victim.addr;
      const inFlightAtKill = f.started <= killAt + 500 && f.ended >= killAt;
      assert.ok(reachedVictim && inFlightAtKill,
        `request ${f.id} failed (${f.status}: ${f.text.slice(0, 200)}) although it ${reachedVictim ? 'started after the kill' : 'never reached the killed node'}; `
        + `nginx: ${JSON.stringify(entry)}; kill at +${killAt - f.started} ms from its start`);
      // nginx's own 502, in clawbot's error shape (deploy/nginx/clawbot.conf's error_page).
      assert.equal(f.status, 502, f.text);
      assert.equal(f.json?.error?.code, 'node_failed', f.text);
    }

    // New requests through nginx succeed: a new conversation, and requests
    // without an id, which round-robin would also send to the dead node.
    const fresh = uniqueName('bnew', 0);
    const created = await createConversation(nginx.url, fresh, 'b-after-create');
    assert.equal(created.status, 201, created.text);
    for (let turn = 1; turn <= 2; ++turn) {
      const r = await chat(nginx.url, { query: question(fresh, turn), conversation: created.json.id, tag: 'b-after' });
      assert.equal(r.status, 200, `new conversation after the kill, turn ${turn}: ${r.text}`);
    }
    const plain = [];
    for (let i = 0; i < 6; ++i) {
      const r = await chat(nginx.url, { query: `${uniqueName('bplain', i)} sang a song.`, tag: 'b-after-noid' });
      assert.equal(r.status, 200, `request without an id after the kill: ${r.text}`);
      plain.push(r.id);
    }

    // A refused connect is retried on another node, POST included. After the
    // kill, nginx skips the dead node for fail_timeout once it has failed
    // max_fails times (in-flight failures count), then tries it again: the
    // next turn of a conversation that hashes to it must still succeed.
    log = await logEntries(nginx, plain);
    const failTimeoutS = Number(/fail_timeout=(\d+)s/.exec(nginx.confText)?.[1]);
    assert.ok(failTimeoutS > 0 && failTimeoutS <= 30, `fail_timeout=${failTimeoutS}s`);
    const lastTouch = Math.max(...[...log.values()].filter((e) => e.upstreams.includes(victim.addr)).map((e) => 1000 * Number(e.t)));
    await sleep(Math.max(0, lastTouch + 1000 * failTimeoutS + 1500 - Date.now()));  // nginx counts in whole seconds
    const probes = [];
    for (const conversation of victimConversations) {
      const r = await chat(nginx.url, { query: 'And how did it end?', conversation, tag: 'b-probe' });
      assert.equal(r.status, 200, `turn of ${conversation} after the dead node's fail_timeout: ${r.text}`);
      probes.push(r.id);
      requests.push({ ...r, conversation });
    }
    log = await logEntries(nginx, probes);
    const retriedProbes = probes.filter((id) => log.get(id).upstreams[0] === victim.addr && log.get(id).upstreams.length > 1);
    assert.ok(retriedProbes.length >= 1, `nginx did not try the dead node again: ${JSON.stringify(probes.map((id) => log.get(id)))}`);
    const retried = [...log.values()].filter((e) => e.upstreams.length > 1 && e.upstreams[0] === victim.addr && /^2/.test(e.status));

    // The conversations that lived on the killed node went on elsewhere
    // (during the load, and with the probes above), with their whole history
    // in the prompt.
    assert.ok(victimConversations.length >= 1, 'no conversation lived on the killed node');
    let cold = 0;
    for (const conversation of victimConversations) {
      const mine = requests.filter((r) => r.conversation === conversation && r.status === 200);
      const beforeKill = mine.filter((r) => r.started < killAt);
      const afterKill = mine.filter((r) => r.started > killAt);
      assert.ok(beforeKill.length >= 1 && afterKill.length >= 1,
        `conversation ${conversation}: ${beforeKill.length} answers before the kill, ${afterKill.length} after`);
      for (const r of afterKill) {
        const where = lastUpstream(log.get(r.id));
        assert.ok(survivors.some((n) => n.addr === where), `${r.id} answered by ${where}`);
      }
      const longest = Math.max(...beforeKill.map((r) => r.json.usage.prompt_tokens));
      assert.ok(afterKill[0].json.usage.prompt_tokens > longest,
        `conversation ${conversation}: the first answer after the kill did not see the history`);
      if (afterKill[0].json.usage.cached_tokens <= BLOCK_TOKENS) ++cold;
    }

    // Every acknowledged message is in Redis, byte for byte, read through a survivor.
    await assertAcknowledgedStored(survivors[0].url, conversations, `node ${survivors[0].index}`);

    console.log(`kill -9 of node ${victim.index} after ${2 * KILL_CLIENTS} acknowledged turns: `
      + `${failures.length} of ${requests.length} requests failed (all in flight on it); `
      + `${victimConversations.length} of ${KILL_CLIENTS} conversations lived on it and went on elsewhere `
      + `(${cold} with a cold cache for their first turn there); `
      + `${retried.length} requests retried on another node after a refused connect`);
  }));

  it('e. Redis down: 503 in under 2 s through nginx; Redis back: the same nodes answer, with every acknowledged message', { timeout: 90_000 }, step(async () => {
    const live = nodes.filter((n) => alive(n.child));
    const pids = live.map((n) => n.child.pid);
    // The last message acknowledged before Redis crashes.
    const name = uniqueName('e', 0);
    const created = await createConversation(nginx.url, name, 'e-create');
    assert.equal(created.status, 201, created.text);
    const conversation = created.json.id;
    const last = await chat(nginx.url, { query: question(name, 1), conversation, tag: 'e-before' });
    assert.equal(last.status, 200, last.text);
    await redis.kill();

    for (const [what, request] of [
      ['a turn of an existing conversation', () => chat(nginx.url, { query: 'Are you there?', conversation, tag: 'e-down' })],
      ['a new conversation', () => createConversation(nginx.url, 'during the outage', 'e-down-create')],
      ['a first question', () => chat(nginx.url, { query: 'Hello?', tag: 'e-down-noid' })],
    ]) {
      const r = await request();
      assert.equal(r.status, 503, `${what} with Redis down: ${r.text}`);
      assert.equal(r.json?.error?.code, 'store_unavailable', r.text);
      assert.ok(r.ended - r.started < 2000, `${what} took ${r.ended - r.started} ms with Redis down`);
    }
    for (const n of live) {
      const r = await call(n.url, 'GET', '/readyz', { token: null, tag: 'e-ready' });
      assert.equal(r.status, 503, `node ${n.index} /readyz with Redis down: ${r.text}`);
    }

    const downAt = Date.now();
    await redis.restart();
    for (const n of live) {
      let ready = null;
      for (let i = 0; i < 200 && ready?.status !== 200; ++i) {
        if (i) await sleep(50);
        ready = await call(n.url, 'GET', '/readyz', { token: null, tag: 'e-ready' });
      }
      assert.equal(ready.status, 200, `node ${n.index} did not reconnect to Redis: ${ready.text}`);
    }
    const again = await chat(nginx.url, { query: 'Welcome back.', conversation, tag: 'e-back' });
    assert.equal(again.status, 200, again.text);
    console.log(`redis restarted: nodes ready and answering again ${Date.now() - downAt} ms after the restart began`);
    assert.deepEqual(live.map((n) => n.child.pid), pids);
    assert.ok(live.every((n) => alive(n.child)), 'a node exited while Redis was down');

    // Everything acknowledged in this run, read back through nginx.
    const all = [...new Set(acknowledged.map((a) => a.conversation))];
    await assertAcknowledgedStored(nginx.url, all, 'nginx');
    console.log(`after the Redis restart: all ${acknowledged.length} acknowledged messages of ${all.length} conversations present`);
  }));

  it('z. the nodes still running exit cleanly on SIGTERM, and no node logged a sanitizer report', { timeout: 60_000 }, step(async () => {
    const live = nodes.filter((n) => alive(n.child));
    assert.equal(live.length, 2);
    for (const n of live) {
      const exit = await n.stop();
      assert.deepEqual(exit, { code: 0, signal: null }, `node ${n.index} exit; log:\n${n.log.join('').slice(-3000)}`);
    }
    // Under the sanitizer build (ctest --preset asan) a report ends up in the
    // node's stderr, at exit at the latest (leaks).
    for (const n of nodes) {
      const log = n.log.join('');
      assert.doesNotMatch(log, /AddressSanitizer|LeakSanitizer|runtime error:/, `node ${n.index}:\n${log.slice(-5000)}`);
    }
  }));
});
