// Browser test of the chat page: the real clawbot binary, headless Debian
// Chromium driven by playwright-core.
//
//   cd tests/browser && npm ci
//   CLAWBOT_BIN=../../build/clawbot CLAWBOT_SHARED_DIR=../../../shared npm test
//
// CLAWBOT_BIN defaults to build/clawbot and CLAWBOT_SHARED_DIR to ../shared,
// both relative to the repository root; CHROMIUM_PATH to /usr/bin/chromium.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { run, startService, stopService } from '../js/clawbot_server.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '..', '..');
const CLAWBOT_BIN = path.resolve(process.env.CLAWBOT_BIN || path.join(REPO, 'build', 'clawbot'));
const SHARED_DIR = path.resolve(process.env.CLAWBOT_SHARED_DIR || path.join(REPO, '..', 'shared'));
const MODEL = path.join(SHARED_DIR, 'models', 'stories260K.gguf');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const OUT_DIR = path.join(HERE, 'out');

const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic',
];
const REPLY_TIMEOUT_MS = 90_000;

const CHINESE_QUERY = '你好，讲一个故事';
const HTML_QUERY = '<img src=x onerror=alert(1)>';

// ---- the test ---------------------------------------------------------------

describe('chat page against the real server', () => {
  let tmp;
  let server;
  const serverLog = [];
  let base;
  let adminToken;
  let context;
  let page;
  const pageProblems = [];   // uncaught errors, CSP refusals, foreign requests
  const dialogs = [];        // any alert/confirm the page raised
  let conversationId;
  let firstAnswer;

  before(async () => {
    assert.ok(fs.existsSync(CLAWBOT_BIN), `CLAWBOT_BIN not found: ${CLAWBOT_BIN}`);
    assert.ok(fs.existsSync(MODEL), `model not found: ${MODEL}`);
    assert.ok(fs.existsSync(CHROMIUM), `chromium not found: ${CHROMIUM} (apt-get install chromium)`);
    fs.mkdirSync(OUT_DIR, { recursive: true });
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'clawbot-browser-'));
    const dataDir = path.join(tmp, 'data');
    const config = path.join(tmp, 'config.env');

    const initOutput = await run(CLAWBOT_BIN, ['init', '--data-dir', dataDir, '--config', config], 30_000);
    const token = /cb_[A-Za-z0-9_-]{20,}/.exec(initOutput);
    assert.ok(token, `no admin token in the output of clawbot init:\n${initOutput}`);
    adminToken = token[0];

    server = await startService(CLAWBOT_BIN, ['serve', '--config', config, '--model-path', MODEL,
      '--port', '0', '--data-dir', dataDir], serverLog);
    base = await server.url;

    context = await chromium.launchPersistentContext(path.join(tmp, 'chromium-profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1100, height: 720 },
      locale: 'zh-CN',
    });
    page = context.pages()[0] || await context.newPage();
    page.setDefaultTimeout(20_000);
    page.on('pageerror', (err) => pageProblems.push(`page error: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error' && /Content Security Policy|Refused to/i.test(msg.text())) {
        pageProblems.push(`CSP: ${msg.text()}`);
      }
    });
    page.on('request', (req) => {
      const url = req.url();
      if (!url.startsWith(`${base}/`) && !url.startsWith('data:')) pageProblems.push(`foreign request: ${url}`);
    });
    page.on('dialog', (dialog) => { dialogs.push(dialog.message()); dialog.dismiss().catch(() => {}); });
  });

  after(async () => {
    try {
      if (context) await context.close();
    } finally {
      await stopService(server);
      fs.mkdirSync(OUT_DIR, { recursive: true });
      fs.writeFileSync(path.join(OUT_DIR, 'server.log'), serverLog.join(''));
      if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  // Kill the server even if the runner is interrupted.
  process.on('exit', () => {
    if (server && server.child.exitCode === null) server.child.kill('SIGKILL');
    if (server && server.upstream && server.upstream.exitCode === null) server.upstream.kill('SIGKILL');
  });

  async function api(route) {
    const res = await fetch(base + route, { headers: { Authorization: `Bearer ${adminToken}` } });
    assert.equal(res.status, 200, `GET ${route}`);
    return res.json();
  }

  const messagesArea = () => page.getByTestId('messages');
  const assistantMessages = () => messagesArea().locator('[data-testid="message-assistant"]');
  const userMessages = () => messagesArea().locator('[data-testid="message-user"]');

  async function waitForReplyFinished() {
    await page.waitForFunction(() => {
      const all = document.querySelectorAll('#messages [data-testid="message-assistant"]');
      const last = all[all.length - 1];
      return last && !last.classList.contains('is-streaming');
    }, null, { timeout: REPLY_TIMEOUT_MS });
  }

  // Sends text with Enter and returns the /api/v1/chat exchange.
  async function send(text) {
    const responsePromise = page.waitForResponse(
      (res) => res.url() === `${base}/api/v1/chat` && res.request().method() === 'POST',
      { timeout: REPLY_TIMEOUT_MS });
    await page.getByTestId('message-input').fill(text);
    await page.getByTestId('message-input').press('Enter');
    const response = await responsePromise;
    await waitForReplyFinished();
    const request = response.request();
    return { request, response, headers: await request.allHeaders(), body: request.postDataJSON() };
  }

  it('serves the page from the binary with a strict Content-Security-Policy', async () => {
    const res = await fetch(`${base}/`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') || '', /^text\/html/);
    const csp = res.headers.get('content-security-policy') || '';
    for (const directive of ["default-src 'none'", "script-src 'self'", "style-src 'self'",
      "connect-src 'self'", "frame-ancestors 'none'"]) {
      assert.ok(csp.includes(directive), `CSP lacks ${directive}: ${csp}`);
    }
    assert.ok(!/unsafe-inline|unsafe-eval/.test(csp), `CSP allows inline code: ${csp}`);
    const html = await res.text();
    assert.ok(!/<script(?![^>]*\ssrc=)[^>]*>/i.test(html), 'inline <script> in the page');
    assert.ok(!/\sstyle=|\son[a-z]+=/i.test(html), 'inline style or event handler attribute in the page');
    assert.ok(!/https?:\/\//i.test(html.replace(/http:\/\/www\.w3\.org\/[^"]*/g, '')), 'external URL in the page');

    for (const [file, type] of [['app.js', /javascript/], ['style.css', /^text\/css/]]) {
      const asset = await fetch(`${base}/${file}`);
      assert.equal(asset.status, 200, `/${file}`);
      assert.match(asset.headers.get('content-type') || '', type, `/${file} content type`);
    }
  });

  it('asks for the access token once and keeps it', async () => {
    await page.goto(`${base}/`);
    const dialog = page.getByTestId('token-dialog');
    await dialog.waitFor({ state: 'visible' });
    await page.getByTestId('token-input').fill(adminToken);
    await page.getByTestId('token-submit').click();
    await dialog.waitFor({ state: 'hidden' });
    assert.equal(await page.evaluate(() => localStorage.getItem('clawbot.token')), adminToken);
    await page.getByTestId('status').waitFor({ state: 'hidden' });
  });

  it('streams the answer to a Chinese message and lists the new conversation', async () => {
    const { response, headers, body } = await send(CHINESE_QUERY);
    assert.equal(response.status(), 200, 'POST /api/v1/chat status');
    assert.match(response.headers()['content-type'] || '', /^text\/event-stream/);
    assert.equal(headers.authorization, `Bearer ${adminToken}`);
    // A new chat is created first, so even its first question carries the
    // id a proxy routes by.
    assert.match(String(body.conversation_id), /^conv_/, 'the first question names its new conversation');
    assert.equal(headers['x-conversation-id'], body.conversation_id);
    assert.deepEqual(body, { query: CHINESE_QUERY, conversation_id: body.conversation_id, stream: true });

    const sent = userMessages().last().getByTestId('message-content');
    assert.equal(await sent.textContent(), CHINESE_QUERY);

    const reply = assistantMessages().last();
    firstAnswer = await reply.getByTestId('message-content').textContent();
    assert.ok(firstAnswer.length > 0, 'the assistant message is empty');
    assert.equal(await reply.evaluate((el) => el.classList.contains('is-failed')), false,
      `the reply failed: ${await reply.textContent()}`);
    assert.ok(await page.getByTestId('status').isHidden(), 'an error is shown');

    // The body was a stream of deltas and a done event. (Chromium hands the
    // body of a charset-less text/event-stream back decoded as Latin-1, so
    // only its ASCII parts are read here.)
    const sse = await response.body().then((b) => b.toString('latin1'), () => null);
    if (sse !== null) {
      assert.match(sse, /^event: ?delta$/m);
      assert.match(sse, /^event: ?done$/m);
      const id = /"conversation_id"\s*:\s*"([^"]+)"/.exec(sse);
      assert.ok(id, 'no conversation_id in the done event');
      conversationId = id[1];
    }

    const item = page.getByTestId('conversation-item').first();
    await item.waitFor({ state: 'visible' });
    const listedId = await item.getAttribute('data-conversation-id');
    if (conversationId) assert.equal(listedId, conversationId);
    conversationId = listedId;
    assert.equal(await item.getAttribute('class').then((c) => c.includes('is-current')), true);

    // What the page showed is what the server stored, character for character.
    const stored = await api(`/api/v1/conversations/${encodeURIComponent(conversationId)}`);
    const roles = stored.messages.map((m) => m.role);
    assert.deepEqual(roles, ['user', 'assistant']);
    assert.equal(stored.messages[0].content, CHINESE_QUERY);
    assert.equal(firstAnswer, stored.messages[1].content);
  });

  it('keeps the token over a reload and reopens the conversation from the list', async () => {
    await page.reload();
    await page.getByTestId('conversation-list')
      .locator(`[data-conversation-id="${conversationId}"]`).waitFor({ state: 'visible' });
    assert.ok(await page.getByTestId('token-dialog').isHidden(), 'asked for the token again after a reload');

    await page.getByTestId('new-conversation').click();
    assert.equal(await userMessages().count(), 0);
    await page.getByTestId('empty-state').waitFor({ state: 'visible' });

    await page.locator(`[data-conversation-id="${conversationId}"] [data-testid="conversation-open"]`).click();
    await userMessages().first().waitFor({ state: 'visible' });
    assert.equal(await userMessages().first().getByTestId('message-content').textContent(), CHINESE_QUERY);
    await assistantMessages().first().waitFor({ state: 'visible' });
    assert.equal(await assistantMessages().first().getByTestId('message-content').textContent(), firstAnswer);
  });

  it('shows HTML in a message as text and continues the conversation with its id', async () => {
    const { response, headers, body } = await send(HTML_QUERY);
    assert.equal(headers['x-conversation-id'], conversationId);
    assert.deepEqual(body, { query: HTML_QUERY, conversation_id: conversationId, stream: true });

    assert.equal(await userMessages().last().getByTestId('message-content').textContent(), HTML_QUERY);
    assert.equal(await messagesArea().locator('img').count(), 0, 'an <img> was created from message text');
    assert.equal(await page.locator('img').count(), 0, 'an <img> exists on the page');
    assert.deepEqual(dialogs, [], 'the page raised a dialog');

    // The second turn carries the first as history; the context of
    // stories260K is small, so an honest context_length_exceeded is accepted.
    if (response.status() !== 200) {
      assert.equal(response.status(), 400, 'POST /api/v1/chat status');
      const error = JSON.parse((await response.body()).toString('utf8'));
      assert.equal(error.error.code, 'context_length_exceeded');
      const status = page.getByTestId('status');
      await status.waitFor({ state: 'visible' });
      assert.match(await status.textContent(), /\S/);
    } else {
      const reply = await assistantMessages().last().getByTestId('message-content').textContent();
      assert.ok(reply.length > 0, 'the second reply is empty');
    }

    await page.screenshot({ path: path.join(OUT_DIR, 'chat.png') });
  });

  it('asks for the token again when the server answers 401', async () => {
    await page.getByTestId('signout-button').click();
    await page.getByTestId('token-dialog').waitFor({ state: 'visible' });
    assert.equal(await page.evaluate(() => localStorage.getItem('clawbot.token')), null);
    assert.equal(await page.getByTestId('conversation-item').count(), 0);

    await page.getByTestId('token-input').fill('cb_not_a_real_token_0123456789abcdef');
    await page.getByTestId('token-submit').click();
    const error = page.getByTestId('token-error');
    await error.waitFor({ state: 'visible' });
    assert.match(await error.textContent(), /401/);

    await page.getByTestId('token-input').fill(adminToken);
    await page.getByTestId('token-submit').click();
    await page.getByTestId('token-dialog').waitFor({ state: 'hidden' });
    await page.locator(`[data-conversation-id="${conversationId}"]`).waitFor({ state: 'visible' });
  });

  it('loaded nothing from elsewhere and broke no CSP rule', () => {
    assert.deepEqual(pageProblems, []);
  });
});
