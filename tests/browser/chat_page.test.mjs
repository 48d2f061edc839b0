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
import { run, startServer, startService, stopServer, stopService } from '../js/clawbot_server.mjs';

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
// The two suites (local and cloud) may run at once: screenshots of each get their own names.
const SCREENSHOT_SUFFIX = process.env.CLAWBOT_TEST_PROVIDER === 'openai' ? '-cloud' : '';

// ---- Markdown fixtures --------------------------------------------------------
//
// stories260K never writes Markdown, so the renderer (web/markdown.js, the
// page's window.clawbotMarkdown.render) is tested in the page on these, and
// a canned answer is streamed into the real chat UI.

// [Markdown, the HTML the page's renderer serializes to].
const MARKDOWN_CASES = [
  ['# Title', '<h1>Title</h1>'],
  ['### Closed ###', '<h3>Closed</h3>'],
  ['Setext\n===', '<h1>Setext</h1>'],
  ['#hashtag', '<p>#hashtag</p>'],
  ['a **b** *c* _d_ ~~e~~ `f`',
    '<p>a <strong>b</strong> <em>c</em> <em>d</em> <del>e</del> <code>f</code></p>'],
  ['***both*** **a *b* c**', '<p><em><strong>both</strong></em> <strong>a <em>b</em> c</strong></p>'],
  ['snake_case_name 2*3*4', '<p>snake_case_name 2<em>3</em>4</p>'],
  ['\\*not em\\* `` a ` b ``', '<p>*not em* <code>a ` b</code></p>'],
  ['line one\nline two\n\nnext paragraph', '<p>line one<br>line two</p><p>next paragraph</p>'],
  ['- a\n- b\n  - c\n- d', '<ul><li>a</li><li>b<ul><li>c</li></ul></li><li>d</li></ul>'],
  ['1. one\n2. two\n   1. inner', '<ol><li>one</li><li>two<ol><li>inner</li></ol></li></ol>'],
  ['1. step\n  - detail', '<ol><li>step<ul><li>detail</li></ul></li></ol>'],
  ['3. three\n4. four', '<ol start="3"><li>three</li><li>four</li></ol>'],
  ['- a\n\n- b', '<ul><li><p>a</p></li><li><p>b</p></li></ul>'],
  ['> quoted\n> > nested', '<blockquote><p>quoted</p><blockquote><p>nested</p></blockquote></blockquote>'],
  ['x\n\n---\n\n* * *', '<p>x</p><hr><hr>'],
  ['| Name | Qty |\n|:-----|----:|\n| *a* | 1 |\n| b \\| c | 2 | extra |',
    '<div class="table-scroll"><table><thead><tr><th class="align-left">Name</th><th class="align-right">Qty</th>'
    + '</tr></thead><tbody><tr><td class="align-left"><em>a</em></td><td class="align-right">1</td></tr>'
    + '<tr><td class="align-left">b | c</td><td class="align-right">2</td></tr></tbody></table></div>'],
  ['[docs](https://example.com/a?b=1&c=2 "The title")',
    '<p><a href="https://example.com/a?b=1&amp;c=2" rel="noopener noreferrer" target="_blank" title="The title">'
    + 'docs</a></p>'],
  ['[**bold** link](http://example.com) [mail](mailto:a@example.com)',
    '<p><a href="http://example.com/" rel="noopener noreferrer" target="_blank"><strong>bold</strong> link</a> '
    + '<a href="mailto:a@example.com" rel="noopener noreferrer" target="_blank">mail</a></p>'],
  ['<https://example.com> and (see https://example.com/x_(y).)',
    '<p><a href="https://example.com/" rel="noopener noreferrer" target="_blank">https://example.com</a> and '
    + '(see <a href="https://example.com/x_(y)" rel="noopener noreferrer" target="_blank">'
    + 'https://example.com/x_(y)</a>.)</p>'],
  ['on http://localhost:8080/x?q=1, then', '<p>on <a href="http://localhost:8080/x?q=1" rel="noopener noreferrer" '
    + 'target="_blank">http://localhost:8080/x?q=1</a>, then</p>'],
  ['![a picture](https://example.com/p.png)',
    '<p><a href="https://example.com/p.png" rel="noopener noreferrer" target="_blank">a picture</a></p>'],
  ['<b>raw</b> &amp; <!-- c -->', '<p>&lt;b&gt;raw&lt;/b&gt; &amp;amp; &lt;!-- c --&gt;</p>'],
];

// Model output that tries to become markup, script or a dangerous link.
const HOSTILE_MARKDOWN = [
  '<img src=x onerror=alert(1)>',
  '<script>alert(2)</script>',
  '<a href="javascript:alert(3)">html link</a>',
  '<iframe src="/"></iframe><style>body{display:none}</style><svg onload=alert(4)>',
  '[x](javascript:alert(1))',
  '[y](JaVaScRiPt:alert(5))',
  '[z](data:text/html;base64,PHNjcmlwdD5hbGVydCg2KTwvc2NyaXB0Pg==)',
  '[v](vbscript:msgbox(7))',
  '[e](<javascript:alert(9)>) [s]( javascript:alert(8) )',
  '[r](/relative) [h](#top)',
  '![i](javascript:alert(10)) ![d](data:image/svg+xml;base64,PHN2Zz4=)',
  '<javascript:alert(11)>',
  '[q](https://example.com/"onmouseover="alert(12))',
  '```html\n<script>alert(13)</script>\n```',
  '`<img src=x onerror=alert(14)>`',
  '| <b>x</b> |\n|---|\n| <img src=x> |',
  '**<script>alert(15)</script>**',
].join('\n\n');

// Inputs that make naive Markdown parsers backtrack, recurse or nest without end.
const N = 20_000;
const PATHOLOGICAL_MARKDOWN = {
  stars: '*'.repeat(N) + 'a',
  openers: '*a '.repeat(N),
  strongOpeners: '**a'.repeat(N),
  nestedEmphasis: '*a '.repeat(N / 2) + ' b*'.repeat(N / 2),
  mixedEmphasis: '*a _b '.repeat(N / 4) + ' c_ d*'.repeat(N / 4),
  tildes: '~~a'.repeat(N),
  brackets: '['.repeat(N) + 'x' + ']'.repeat(N),
  linkOpeners: '[a]('.repeat(N / 2),
  linkTitles: '[a](b "'.repeat(N / 4),
  linkParentheses: '[a](' + '('.repeat(N),
  images: '![x]('.repeat(N / 4),
  nestedLinks: '[a '.repeat(N / 4) + '](http://x.y)'.repeat(N / 4),
  backticks: Array.from({ length: 3000 }, (_, k) => '`'.repeat((k % 50) + 1)).join('a'),
  angles: '<'.repeat(N) + 'a',
  longAutolinks: ('<' + 'a'.repeat(3000)).repeat(20),
  emails: '<a@b.'.repeat(N / 4),
  urlParentheses: 'http://' + 'a('.repeat(N),
  backslashes: '\\'.repeat(N),
  quotes: '>'.repeat(N) + ' x',
  quotedLists: '> - '.repeat(N / 4) + 'x',
  listMarkers: '- '.repeat(N / 2) + 'x',
  deepList: Array.from({ length: 400 }, (_, k) => ' '.repeat(k * 2) + '- item').join('\n'),
  fences: '```\n'.repeat(N / 2),
  headings: '# '.repeat(N),
  wideTable: '| a '.repeat(2000) + '|\n' + '|-'.repeat(2000) + '|\n' + '| x |\n'.repeat(2000),
  tableRows: '| a | b |\n|---|---|\n' + '| 1 | 2 |\n'.repeat(N / 4),
  lines: 'a\n'.repeat(N * 2),
};

// The canned answer streamed into the chat, in deltas that cut through
// fences, tables and emphasis.
const MARKDOWN_ANSWER = [
  '## Plan',
  '',
  'Here is **the plan** with `inline code` and a [link](https://example.com/docs).',
  '',
  '1. First step',
  '2. Second step',
  '   - a detail',
  '',
  '| Tool | Use |',
  '| --- | --- |',
  '| cmake | build |',
  '',
  '```js',
  'const answer = 42; // the answer',
  'console.log("hi");',
  '```',
  '',
  '```sh',
  'echo done',
  '```',
  '',
  '> Inert: <img src=x onerror=alert(1)> and [bad](javascript:alert(1))',
].join('\n');
const ANSWER_JS_CODE = 'const answer = 42; // the answer\nconsole.log("hi");';

// The sizes every feature of issue 15 is tried at.
const SIZES = [['desktop', { width: 1280, height: 800 }], ['phone', { width: 390, height: 844 }]];
const DEFAULT_VIEWPORT = { width: 1100, height: 720 };

function sseEvent(type, payload) {
  return `event: ${type}\ndata: ${JSON.stringify(payload)}\n\n`;
}

function deltasOf(text, size) {
  const events = [];
  for (let at = 0; at < text.length; at += size) events.push(sseEvent('delta', { text: text.slice(at, at + size) }));
  return events.join('');
}

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

  // Any request to the server as the admin: { status, body }.
  async function apiCall(method, route, body) {
    const res = await fetch(base + route, {
      method,
      headers: { Authorization: `Bearer ${adminToken}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  }

  async function createConversation(title, questions = []) {
    const created = await apiCall('POST', '/api/v1/conversations', { title });
    assert.equal(created.status, 201, `POST /api/v1/conversations: ${JSON.stringify(created.body)}`);
    for (const query of questions) {
      const answered = await apiCall('POST', '/api/v1/chat',
        { query, conversation_id: created.body.id, max_tokens: 4 });
      assert.equal(answered.status, 200, `POST /api/v1/chat: ${JSON.stringify(answered.body)}`);
    }
    return created.body;
  }

  const listEntry = (id) => page.locator(`[data-testid="conversation-item"][data-conversation-id="${id}"]`);

  // On a phone the list is a drawer: opens it (a no-op at desktop width).
  async function showSidebar() {
    const toggle = page.getByTestId('sidebar-toggle');
    if (await toggle.isVisible() && await toggle.getAttribute('aria-expanded') !== 'true') {
      await toggle.click();
      await page.locator('#sidebar.is-open').waitFor({ state: 'visible' });
    }
  }

  async function waitForMessagesLoaded(count) {
    await page.waitForFunction((n) => !document.getElementById('messages').hasAttribute('aria-busy')
      && document.querySelectorAll('#messages > .message').length === n, count);
  }

  // Loads the page afresh with conversation `id` open.
  async function openById(id, messageCount) {
    await page.goto(`${base}/#c=${encodeURIComponent(id)}`);
    await page.reload();
    await page.getByTestId('conversation-list').locator('[data-testid="conversation-item"]').first()
      .waitFor({ state: 'attached' });
    if (messageCount !== undefined) await waitForMessagesLoaded(messageCount);
  }

  async function newConversation() {
    await showSidebar();
    await page.getByTestId('new-conversation').click();
    await page.getByTestId('empty-state').waitFor({ state: 'visible' });
  }

  // Sets the settings panel's fields (undefined: leave as is) and saves.
  async function saveSettings({ system, temperature, maxTokens }) {
    await page.getByTestId('settings-button').click();
    const dialog = page.getByTestId('settings-dialog');
    await dialog.waitFor({ state: 'visible' });
    if (system !== undefined) await page.getByTestId('settings-system').fill(system);
    if (temperature !== undefined) await page.getByTestId('settings-temperature').fill(temperature);
    if (maxTokens !== undefined) await page.getByTestId('settings-max-tokens').fill(maxTokens);
    await page.getByTestId('settings-save').click();
    await dialog.waitFor({ state: 'hidden' });
  }

  // A screenshot under out/, once nothing is wider than the screen.
  async function screenshot(name) {
    const overflow = await page.evaluate(() => ({
      page: document.documentElement.scrollWidth, viewport: window.innerWidth,
    }));
    assert.ok(overflow.page <= overflow.viewport, `${name}: the page is wider than the screen: ${JSON.stringify(overflow)}`);
    const file = path.join(OUT_DIR, `${name}${SCREENSHOT_SUFFIX}.png`);
    await page.screenshot({ path: file });
    console.log(`screenshot: ${file}`);
  }

  const isFocused = (locator) => locator.evaluate((el) => el === document.activeElement);

  // The page's own Markdown renderer, run in the page.
  function renderedHtml(markdown) {
    return page.evaluate((source) => {
      const box = document.createElement('div');
      box.append(window.clawbotMarkdown.render(source));
      return box.innerHTML;  // read back to compare, never assigned
    }, markdown);
  }

  function renderedText(markdown) {
    return page.evaluate((source) => window.clawbotMarkdown.render(source).textContent, markdown);
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

    for (const [file, type] of [['app.js', /javascript/], ['markdown.js', /javascript/], ['style.css', /^text\/css/]]) {
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

    // What the page showed is what the server stored, rendered as Markdown.
    const stored = await api(`/api/v1/conversations/${encodeURIComponent(conversationId)}`);
    const roles = stored.messages.map((m) => m.role);
    assert.deepEqual(roles, ['user', 'assistant']);
    assert.equal(stored.messages[0].content, CHINESE_QUERY);
    assert.equal(firstAnswer, await renderedText(stored.messages[1].content));
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

  it('renders Markdown as DOM nodes: headings, emphasis, lists, tables, links', async () => {
    for (const [markdown, html] of MARKDOWN_CASES) {
      assert.equal(await renderedHtml(markdown), html, `rendering ${JSON.stringify(markdown)}`);
    }
  });

  it('renders fenced code blocks with a copy button and coloured tokens', async () => {
    const blocks = await page.evaluate(() => {
      const box = document.createElement('div');
      box.append(window.clawbotMarkdown.render([
        'Intro', '', '```python', 'def add(a, b):', '    return a + 2  # sum', '```', '',
        '~~~', 'plain <b>text</b>', '~~~', '',
        '```js', 'const s = "x"; /* c */ let n = 0x1F;', '```', '',
        '```cpp', '#include <vector>', 'constexpr int k = 3; // c', '```', '',
        '```rust', 'fn main() { let s = "r"; }', '```', '',
        '```go', 'func f() error { return nil }', '```', '',
        '```bash', 'if [ -n "$x" ]; then echo $#; fi # done', '```', '',
        '```json', '{"a": [1, true, null]}', '```', '',
        '```make', 'all:', '\tcc -o x x.c', '```', '',
        '```', 'unclosed while streaming',
      ].join('\n')));
      const texts = (code, kind) => [...code.querySelectorAll(`.tok-${kind}`)].map((t) => t.textContent);
      return [...box.querySelectorAll('.code-block')].map((block) => {
        const code = block.querySelector('pre > code');
        return {
          language: block.querySelector('.code-language').textContent,
          button: block.querySelector('button.code-copy').textContent,
          buttonType: block.querySelector('button.code-copy').type,
          code: code.textContent,
          keyword: texts(code, 'keyword'),
          string: texts(code, 'string'),
          comment: texts(code, 'comment'),
          number: texts(code, 'number'),
        };
      });
    });
    assert.equal(blocks.length, 10);
    for (const block of blocks) {
      assert.equal(block.button, 'Copy');
      assert.equal(block.buttonType, 'button');
    }
    assert.deepEqual(blocks[0], {
      language: 'python', button: 'Copy', buttonType: 'button',
      code: 'def add(a, b):\n    return a + 2  # sum',
      keyword: ['def', 'return'], string: [], comment: ['# sum'], number: ['2'],
    });
    assert.equal(blocks[1].language, 'code');
    assert.equal(blocks[1].code, 'plain <b>text</b>');
    assert.deepEqual(blocks[1].keyword, []);
    assert.deepEqual([blocks[2].keyword, blocks[2].string, blocks[2].comment, blocks[2].number],
      [['const', 'let'], ['"x"'], ['/* c */'], ['0x1F']]);
    assert.deepEqual([blocks[3].keyword, blocks[3].comment], [['#include', 'constexpr', 'int'], ['// c']]);
    assert.deepEqual([blocks[4].keyword, blocks[4].string], [['fn', 'let'], ['"r"']]);
    assert.deepEqual(blocks[5].keyword, ['func', 'return', 'nil']);
    assert.deepEqual([blocks[6].keyword, blocks[6].string, blocks[6].comment],
      [['if', 'then', 'echo', 'fi'], ['"$x"'], ['# done']]);
    assert.deepEqual([blocks[7].keyword, blocks[7].string, blocks[7].number],
      [['true', 'null'], ['"a"'], ['1']]);
    assert.equal(blocks[8].code, 'all:\n\tcc -o x x.c', 'a tab in code became spaces');
    assert.equal(blocks[9].code, 'unclosed while streaming');
  });

  it('keeps hostile Markdown inert: raw HTML is text, only http(s) and mailto links', async () => {
    const result = await page.evaluate((source) => {
      const box = document.createElement('div');
      box.className = 'markdown';
      box.append(window.clawbotMarkdown.render(source));
      document.body.append(box);  // live in the document, where markup would load and run
      const attributes = [...box.querySelectorAll('*')].flatMap((el) => [...el.attributes].map((a) => a.name));
      return {
        forbidden: [...box.querySelectorAll('img,script,iframe,style,svg,math,object,embed,form,input,base,meta,link')]
          .map((el) => el.tagName),
        attributes: [...new Set(attributes)].sort(),
        links: [...box.querySelectorAll('a')].map((a) => ({
          href: a.getAttribute('href'), rel: a.rel, target: a.target, text: a.textContent,
        })),
        text: box.textContent,
        codeBlocks: box.querySelectorAll('.code-block').length,
      };
    }, HOSTILE_MARKDOWN);
    assert.deepEqual(result.forbidden, []);
    assert.deepEqual(result.attributes, ['aria-label', 'class', 'data-language', 'href', 'rel', 'target', 'type']);
    // The one safe link: its quotes percent-encoded by the URL parser, no attribute injected.
    assert.deepEqual(result.links, [{
      href: 'https://example.com/%22onmouseover=%22alert(12)', rel: 'noopener noreferrer', target: '_blank', text: 'q',
    }]);
    for (const inert of ['<img src=x onerror=alert(1)>', '<script>alert(2)</script>',
      '<a href="javascript:alert(3)">html link</a>', '<svg onload=alert(4)>', '[x](javascript:alert(1))',
      '[y](JaVaScRiPt:alert(5))', '[z](data:text/html;base64,', '[v](vbscript:msgbox(7))', '[r](/relative)',
      '![i](javascript:alert(10))', '<javascript:alert(11)>', '<script>alert(13)</script>',
      '<img src=x onerror=alert(14)>', '<b>x</b>', '<script>alert(15)</script>']) {
      assert.ok(result.text.includes(inert), `not shown as text: ${inert}`);
    }
    assert.equal(result.codeBlocks, 1);
    await page.waitForTimeout(300);  // time for anything that would load or run
    await page.evaluate(() => document.querySelectorAll('body > .markdown').forEach((el) => el.remove()));
    assert.deepEqual(dialogs, [], 'the page raised a dialog');

    // And the page's scripts never hand a string to an HTML parser.
    for (const file of ['app.js', 'markdown.js']) {
      const source = fs.readFileSync(path.join(REPO, 'web', file), 'utf8');
      assert.ok(!/\.innerHTML|\.outerHTML|insertAdjacentHTML|document\.write|DOMParser|createContextualFragment/
        .test(source), `web/${file} parses HTML`);
    }
  });

  it('renders pathological Markdown in linear time with bounded nesting', async () => {
    const results = await page.evaluate((inputs) => Object.entries(inputs).map(([name, source]) => {
      const started = performance.now();
      const box = document.createElement('div');
      box.append(window.clawbotMarkdown.render(source));
      const ms = performance.now() - started;
      let depth = 0;
      const walk = (node, level) => {
        depth = Math.max(depth, level);
        for (const child of node.children) walk(child, level + 1);
      };
      walk(box, 0);
      return { name, ms, depth, length: source.length };
    }), PATHOLOGICAL_MARKDOWN);
    for (const { name, ms, depth, length } of results) {
      // A backtracking or quadratic parser takes seconds to minutes on these;
      // a linear one a few milliseconds per 10,000 characters.
      assert.ok(ms < 3000, `${name} (${length} characters) took ${Math.round(ms)} ms`);
      assert.ok(depth <= 40, `${name} nested ${depth} elements deep`);
    }
  });

  it('shows a streamed Markdown answer in the chat, with copy buttons that copy', async () => {
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
    await page.getByTestId('new-conversation').click();
    // The chat endpoint answers with a canned stream: the model cannot write Markdown.
    await page.route(`${base}/api/v1/chat`, async (route) => {
      const request = route.request().postDataJSON();
      const done = {
        conversation_id: request.conversation_id, message_id: 'msg_markdown_test', answer: MARKDOWN_ANSWER,
        model: 'canned-markdown', finish_reason: 'stop', usage: { prompt_tokens: 5, completion_tokens: 99 },
      };
      await route.fulfill({
        status: 200,
        headers: { 'Content-Type': 'text/event-stream; charset=utf-8' },
        body: deltasOf(MARKDOWN_ANSWER, 7) + sseEvent('done', done),
      });
    });
    const question = '**not bold**: a user message stays `plain` <b>text</b>';
    try {
      await send(question);
    } finally {
      await page.unroute(`${base}/api/v1/chat`);
    }

    const userContent = userMessages().last().getByTestId('message-content');
    assert.equal(await userContent.textContent(), question);
    assert.equal(await userContent.locator('*').count(), 0, 'the user message was rendered as Markdown');

    const answer = assistantMessages().last();
    const content = answer.getByTestId('message-content');
    assert.equal(await answer.getAttribute('data-message-id'), 'msg_markdown_test');
    assert.equal(await content.locator('h2').textContent(), 'Plan');
    assert.equal(await content.locator('p strong').first().textContent(), 'the plan');
    assert.equal(await content.locator('p > code').textContent(), 'inline code');
    assert.deepEqual(await content.locator('ol > li').evaluateAll((items) => items.map((li) => li.firstChild.data)),
      ['First step', 'Second step']);
    assert.equal(await content.locator('ol > li > ul > li').textContent(), 'a detail');
    assert.deepEqual(await content.locator('table th').allTextContents(), ['Tool', 'Use']);
    assert.deepEqual(await content.locator('table td').allTextContents(), ['cmake', 'build']);
    const link = content.locator('a');
    assert.equal(await link.count(), 1);
    assert.equal(await link.getAttribute('href'), 'https://example.com/docs');
    assert.equal(await link.getAttribute('target'), '_blank');
    assert.equal(await link.getAttribute('rel'), 'noopener noreferrer');
    assert.equal(await content.locator('blockquote').textContent(),
      'Inert: <img src=x onerror=alert(1)> and [bad](javascript:alert(1))');
    assert.equal(await page.locator('img').count(), 0, 'an <img> exists on the page');
    const blocks = content.locator('.code-block');
    assert.equal(await blocks.count(), 2);
    assert.equal(await blocks.nth(0).locator('code').textContent(), ANSWER_JS_CODE);
    assert.equal(await blocks.nth(0).locator('.code-language').textContent(), 'js');
    assert.ok(await blocks.nth(0).locator('.tok-keyword').count() > 0, 'no keyword colouring');

    // Copy through the Clipboard API.
    await page.evaluate(() => navigator.clipboard.writeText('before'));
    const copy = blocks.nth(0).getByRole('button', { name: 'Copy js code' });
    await copy.click();
    await page.waitForFunction((button) => button.textContent === 'Copied', await copy.elementHandle());
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), ANSWER_JS_CODE);

    // Without the Clipboard API the code is selected (and copied the old way where that works).
    await page.evaluate(() => {
      navigator.clipboard.writeText = () => Promise.reject(new Error('refused for the test'));
    });
    try {
      const fallback = blocks.nth(1).locator('.code-copy');
      await fallback.click();
      await page.waitForFunction((button) => button.dataset.state === 'copied' || button.dataset.state === 'selected',
        await fallback.elementHandle());
      assert.match(await fallback.textContent(), /^(Copied|Selected — press Ctrl\+C)$/);
      assert.equal(await page.evaluate(() => window.getSelection().toString()), 'echo done');
    } finally {
      await page.evaluate(() => { delete navigator.clipboard.writeText; });
    }
    assert.deepEqual(dialogs, [], 'the page raised a dialog');

    // Screenshots at desktop and phone sizes; on a phone nothing may widen the page.
    await page.evaluate(() => window.getSelection().removeAllRanges());
    for (const [name, size] of [['desktop', { width: 1280, height: 800 }], ['phone', { width: 390, height: 844 }]]) {
      await page.setViewportSize(size);
      await answer.scrollIntoViewIfNeeded();
      const overflow = await page.evaluate(() => {
        const widest = Math.max(...[...document.querySelectorAll('.message')].map((m) => m.getBoundingClientRect().right));
        return { page: document.documentElement.scrollWidth, widest, viewport: window.innerWidth };
      });
      assert.ok(overflow.page <= overflow.viewport && overflow.widest <= overflow.viewport,
        `${name}: the page is wider than the screen: ${JSON.stringify(overflow)}`);
      const file = path.join(OUT_DIR, `markdown-${name}${SCREENSHOT_SUFFIX}.png`);
      await page.screenshot({ path: file });
      console.log(`screenshot: ${file}`);
    }
    await page.setViewportSize({ width: 1100, height: 720 });
  });

  it('renders Markdown while the answer is still streaming', async () => {
    await page.getByTestId('new-conversation').click();
    // A fetch that hands the page a stream the test writes to, piece by piece.
    await page.evaluate(() => {
      const realFetch = window.fetch;
      window.fetch = (input, init) => {
        const url = typeof input === 'string' ? input : input.url;
        if (!url.endsWith('/api/v1/chat')) return realFetch(input, init);
        window.fetch = realFetch;
        const body = new ReadableStream({ start(controller) { window.testChatStream = controller; } });
        return Promise.resolve(new Response(body, { headers: { 'Content-Type': 'text/event-stream' } }));
      };
    });
    const write = (text) => page.evaluate((chunk) => window.testChatStream.enqueue(new TextEncoder().encode(chunk)), text);
    const streaming = () => messagesArea().locator('[data-testid="message-assistant"].is-streaming');

    await page.getByTestId('message-input').fill('Stream some Markdown');
    await page.getByTestId('message-input').press('Enter');
    await page.waitForFunction(() => window.testChatStream);
    await write(sseEvent('delta', { text: 'Intro **bold' }));
    await page.waitForFunction(() => /Intro \*\*bold/.test(
      document.querySelector('#messages .is-streaming .message-content')?.textContent || ''));

    await write(sseEvent('delta', { text: '** text\n\n```py\nprint(1)\n' }));
    await streaming().locator('.code-block code').filter({ hasText: 'print(1)' }).waitFor();
    assert.equal(await streaming().locator('strong').textContent(), 'bold');

    await write(sseEvent('delta', { text: '```\n\n- a\n- b' }) + sseEvent('done', { message_id: 'msg_stream_test' }));
    // The page stops reading at "done" and may have cancelled the stream already.
    await page.evaluate(() => { try { window.testChatStream.close(); } catch { /* cancelled */ } });
    await waitForReplyFinished();
    const content = assistantMessages().last().getByTestId('message-content');
    assert.equal(await content.locator('.code-block code').textContent(), 'print(1)');
    assert.deepEqual(await content.locator('ul > li').allTextContents(), ['a', 'b']);
    assert.equal(await content.locator('p').first().textContent(), 'Intro bold text');
    assert.ok(await page.getByTestId('status').isHidden(), 'an error is shown');
  });

  // ---- issue 15: rename, search, settings, kept answers, regenerate, edit ----

  it('renames a conversation from the list: Enter saves, Escape cancels, a refused title shows why', async () => {
    for (const [name, size] of SIZES) {
      await page.setViewportSize(size);
      const original = `Rename me ${name}`;
      const created = await createConversation(original);
      await openById(created.id, 0);
      await showSidebar();
      const item = listEntry(created.id);
      const renameButton = item.getByTestId('conversation-rename');
      const input = item.getByTestId('conversation-rename-input');
      const patches = [];
      const onRequest = (req) => { if (req.method() === 'PATCH') patches.push(req.postDataJSON()); };
      page.on('request', onRequest);
      try {
        // Escape cancels: nothing is sent, and the drawer of a phone stays open.
        await renameButton.click();
        assert.equal(await input.inputValue(), original);
        assert.ok(await isFocused(input), 'the title box has no focus');
        await input.fill('Not this one');
        await input.press('Escape');
        await input.waitFor({ state: 'detached' });
        assert.equal(await item.getByTestId('conversation-title').textContent(), original);
        assert.ok(await isFocused(renameButton), 'focus did not return to the rename button');
        assert.ok(await page.getByTestId('new-conversation').isVisible(), 'Escape closed the list');

        // Refused titles: the server's 400 is shown and the editing goes on.
        await renameButton.press('Enter');  // the keyboard opens it too
        for (const bad of ['   ', 'x'.repeat(201)]) {
          await input.fill(bad);
          const response = page.waitForResponse((res) => res.request().method() === 'PATCH');
          await input.press('Enter');
          assert.equal((await response).status(), 400, `PATCH with ${JSON.stringify(bad.slice(0, 10))}`);
          const error = item.getByTestId('conversation-rename-error');
          await error.waitFor({ state: 'visible' });
          assert.match(await error.textContent(), /title/i);
          assert.equal(await error.getAttribute('role'), 'alert');
          assert.equal(await input.getAttribute('aria-invalid'), 'true');
          assert.ok(await isFocused(input), 'the title box lost focus after an error');
        }
        await screenshot(`rename-error-${name}`);

        // Enter saves: the list, the heading and the server agree.
        const title = `Renamed 改名 <b>${name}</b>`;
        await input.fill(title);
        const response = page.waitForResponse((res) => res.request().method() === 'PATCH');
        await input.press('Enter');
        const res = await response;
        assert.equal(res.status(), 200);
        assert.ok(res.url().endsWith(`/api/v1/conversations/${created.id}`), res.url());
        const answer = await res.json();
        assert.equal(answer.id, created.id);
        assert.equal(answer.title, title);
        await input.waitFor({ state: 'detached' });
        assert.equal(await item.getByTestId('conversation-title').textContent(), title);
        assert.equal(await page.getByTestId('chat-title').textContent(), title);
        assert.equal((await api(`/api/v1/conversations/${created.id}`)).title, title);
        assert.equal(await page.locator('#sidebar b').count(), 0, 'a title became markup');
        await screenshot(`rename-${name}`);
        assert.deepEqual(patches, [{ title: '   ' }, { title: 'x'.repeat(201) }, { title }]);
      } finally {
        page.off('request', onRequest);
      }
    }
    await page.setViewportSize(DEFAULT_VIEWPORT);
  });

  it('searches conversations on the server as one types, debounced; clearing shows all again', async () => {
    const word = `Quokka${Date.now() % 1_000_000}`;
    const byTitle = await createConversation(`Searchable ${word.slice(6)} kiwi`);
    const byMessage = await createConversation('Plain title', [`the word ${word} lives here`]);
    const shownIds = () => page.getByTestId('conversation-item')
      .evaluateAll((items) => items.map((li) => li.dataset.conversationId));
    const waitForIds = (ids) => page.waitForFunction((wanted) => {
      const items = [...document.querySelectorAll('[data-testid="conversation-item"]')];
      return !document.getElementById('conversation-list').hasAttribute('aria-busy')
        && JSON.stringify(items.map((li) => li.dataset.conversationId)) === JSON.stringify(wanted);
    }, ids);
    for (const [name, size] of SIZES) {
      await page.setViewportSize(size);
      await page.goto(`${base}/`);
      await page.reload();
      await showSidebar();
      await listEntry(byMessage.id).waitFor({ state: 'visible' });
      const everything = await shownIds();
      assert.ok(everything.includes(byTitle.id) && everything.length > 2, 'the list is not complete');
      const search = page.getByTestId('conversation-search');
      const searches = [];
      const onRequest = (req) => {
        const url = new URL(req.url());
        if (url.pathname === '/api/v1/conversations' && req.method() === 'GET') searches.push(url.searchParams.get('q'));
      };
      page.on('request', onRequest);
      try {
        // A word in a message, in other case: one request for the whole word.
        await search.click();
        await search.pressSequentially(word.toUpperCase(), { delay: 25 });
        await waitForIds([byMessage.id]);
        assert.ok(searches.length >= 1 && searches.length < word.length / 2,
          `not debounced: ${searches.length} requests for ${word.length} characters`);
        assert.equal(searches[searches.length - 1], word.toUpperCase());
        await screenshot(`search-${name}`);

        // A title, with a space in it.
        await search.fill(`searchable ${word.slice(6)}`);
        await waitForIds([byTitle.id]);
        assert.equal(searches[searches.length - 1], `searchable ${word.slice(6)}`);

        // No match: said so.
        await search.fill(`${word}-nowhere`);
        await waitForIds([]);
        const empty = page.getByTestId('conversation-list-empty');
        await empty.waitFor({ state: 'visible' });
        assert.match(await empty.textContent(), /No conversation matches/);

        // Escape clears it (and only a second Escape closes a phone's drawer).
        await search.press('Escape');
        await waitForIds(everything);
        assert.equal(await search.inputValue(), '');
        assert.equal(searches[searches.length - 1], null, 'the cleared search still sent q');
        assert.ok(await page.getByTestId('new-conversation').isVisible(), 'Escape closed the list');

        // Emptying the box by hand shows all too.
        await search.fill(word);
        await waitForIds([byMessage.id]);
        await search.fill('');
        await waitForIds(everything);
        assert.ok(await empty.isHidden());
      } finally {
        page.off('request', onRequest);
      }
    }
    await page.setViewportSize(DEFAULT_VIEWPORT);
  });

  it('sends a new conversation with its settings: system prompt to the server, temperature and max tokens with each question', async () => {
    for (const [name, size] of SIZES) {
      await page.setViewportSize(size);
      await page.goto(`${base}/`);
      await page.reload();
      await newConversation();
      const system = `You are a terse pirate (${name}).`;

      // The keyboard opens the panel; the fields start empty (the server's defaults).
      await page.getByTestId('settings-button').focus();
      await page.keyboard.press('Enter');
      const dialog = page.getByTestId('settings-dialog');
      await dialog.waitFor({ state: 'visible' });
      assert.match(await page.getByTestId('settings-scope').textContent(), /new conversation/);
      for (const field of ['settings-system', 'settings-temperature', 'settings-max-tokens']) {
        assert.equal(await page.getByTestId(field).inputValue(), '', `${field} is not empty`);
      }
      // A temperature out of range is refused, and nothing is kept.
      await page.getByTestId('settings-temperature').fill('3');
      await page.getByTestId('settings-save').click();
      const error = page.getByTestId('settings-error');
      await error.waitFor({ state: 'visible' });
      assert.match(await error.textContent(), /Temperature/);
      assert.ok(await dialog.isVisible());
      await page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'hidden' });
      assert.ok(await isFocused(page.getByTestId('settings-button')), 'focus did not return to the settings button');

      await page.getByTestId('settings-button').click();
      assert.equal(await page.getByTestId('settings-temperature').inputValue(), '', 'a refused temperature was kept');
      await page.getByTestId('settings-system').fill(system);
      await page.getByTestId('settings-temperature').fill('0.3');
      await page.getByTestId('settings-max-tokens').fill('12');
      const box = await dialog.boundingBox();
      assert.ok(box.x >= 0 && box.x + box.width <= size.width, `${name}: the panel is wider than the screen`);
      await screenshot(`settings-${name}`);
      await page.getByTestId('settings-max-tokens').press('Enter');  // Enter saves
      await dialog.waitFor({ state: 'hidden' });

      const createRequest = page.waitForRequest((req) => req.method() === 'POST'
        && new URL(req.url()).pathname === '/api/v1/conversations');
      const { body } = await send('Hello there');
      assert.deepEqual((await createRequest).postDataJSON(), { title: 'Hello there', system });
      const id = body.conversation_id;
      assert.deepEqual(body, { query: 'Hello there', conversation_id: id, stream: true, temperature: 0.3, max_tokens: 12 });
      assert.equal((await api(`/api/v1/conversations/${id}`)).system, system);
      assert.deepEqual(await page.evaluate((key) => JSON.parse(localStorage.getItem(key)), `clawbot.settings.${id}`),
        { temperature: 0.3, max_tokens: 12 });

      // 12 tokens: the answer is cut off, and says so.
      const answer = assistantMessages().last();
      assert.equal(await answer.getByTestId('message-marker').textContent(), 'Cut off');
      assert.match(await answer.getByTestId('message-meta').textContent(), /\b12 tokens\b/);

      // After a reload the panel shows this conversation's settings.
      await page.reload();
      await waitForMessagesLoaded(2);
      await page.getByTestId('settings-button').click();
      assert.equal(await page.getByTestId('settings-system').inputValue(), system);
      assert.equal(await page.getByTestId('settings-temperature').inputValue(), '0.3');
      assert.equal(await page.getByTestId('settings-max-tokens').inputValue(), '12');
      assert.match(await page.getByTestId('settings-scope').textContent(), /this conversation only/);
      // Emptied fields go back to the server's defaults.
      await page.getByTestId('settings-temperature').fill('');
      await page.getByTestId('settings-max-tokens').fill('8');
      await page.getByTestId('settings-save').click();
      await dialog.waitFor({ state: 'hidden' });
      const next = await send('And then?');
      assert.deepEqual(next.body, { query: 'And then?', conversation_id: id, stream: true, max_tokens: 8 });

      // Another conversation has its own (none).
      await newConversation();
      await page.getByTestId('settings-button').click();
      assert.equal(await page.getByTestId('settings-system').inputValue(), '');
      assert.equal(await page.getByTestId('settings-max-tokens').inputValue(), '');
      await page.getByTestId('settings-cancel').click();
      await dialog.waitFor({ state: 'hidden' });
    }
    await page.setViewportSize(DEFAULT_VIEWPORT);
  });

  it('changes the system prompt of an existing conversation on the server', async () => {
    for (const [name, size] of SIZES) {
      await page.setViewportSize(size);
      const created = await createConversation(`System prompt ${name}`);
      await openById(created.id, 0);
      const patch = page.waitForRequest((req) => req.method() === 'PATCH');
      const response = page.waitForResponse((res) => res.request().method() === 'PATCH');
      await page.getByTestId('settings-button').click();
      await page.getByTestId('settings-system').fill(`Answer in one line (${name}).`);
      await page.getByTestId('settings-save').click();
      assert.deepEqual((await patch).postDataJSON(), { system: `Answer in one line (${name}).` });
      const res = await response;
      const error = page.getByTestId('settings-error');
      if (res.status() !== 200) {
        await error.waitFor({ state: 'visible' });  // a refusal is shown, and the panel stays
        await page.getByTestId('settings-cancel').click();
        assert.fail(`PATCH {"system"} answered ${res.status()}: ${await res.text()}`);
      }
      await page.getByTestId('settings-dialog').waitFor({ state: 'hidden' });
      assert.equal((await api(`/api/v1/conversations/${created.id}`)).system, `Answer in one line (${name}).`);
      await page.reload();
      await waitForMessagesLoaded(0);
      await page.getByTestId('settings-button').click();
      assert.equal(await page.getByTestId('settings-system').inputValue(), `Answer in one line (${name}).`);
      await page.getByTestId('settings-cancel').click();
    }
    await page.setViewportSize(DEFAULT_VIEWPORT);
  });

  it('marks answers that were stopped, failed or cut off, as they happen and when loaded', async () => {
    const markers = () => assistantMessages().evaluateAll((all) => all.map((a) => {
      const marker = a.querySelector('[data-testid="message-marker"]');
      return marker ? [marker.dataset.finish, marker.textContent] : null;
    }));
    for (const [name, size] of SIZES) {
      await page.setViewportSize(size);
      await page.goto(`${base}/`);
      await page.reload();
      await newConversation();

      // Stopped: a canned answer that waits, then the Stop button.
      await page.evaluate(() => {
        const realFetch = window.fetch;
        window.fetch = (input, init) => {
          const url = typeof input === 'string' ? input : input.url;
          if (!url.endsWith('/api/v1/chat')) return realFetch(input, init);
          window.fetch = realFetch;
          const body = new ReadableStream({
            start(controller) {
              window.testChatStream = controller;
              init.signal.addEventListener('abort', () => {
                controller.error(new DOMException('The user aborted a request.', 'AbortError'));
              });
            },
          });
          return Promise.resolve(new Response(body, { headers: { 'Content-Type': 'text/event-stream' } }));
        };
      });
      await page.getByTestId('message-input').fill('Tell me a long story');
      await page.getByTestId('message-input').press('Enter');
      await page.waitForFunction(() => window.testChatStream);
      await page.evaluate((chunk) => window.testChatStream.enqueue(new TextEncoder().encode(chunk)),
        sseEvent('delta', { text: 'Once upon a **time** there' }));
      await page.waitForFunction(() => /Once upon a time there/.test(
        document.querySelector('#messages .is-streaming .message-content')?.textContent || ''));
      await page.getByTestId('stop-button').click();
      await waitForReplyFinished();
      const stopped = assistantMessages().last();
      await stopped.getByTestId('message-marker').waitFor({ state: 'visible' });
      assert.equal(await stopped.getByTestId('message-marker').textContent(), 'Stopped');
      assert.equal(await stopped.getAttribute('data-finish-reason'), 'cancelled');
      assert.equal(await stopped.getByTestId('message-content').textContent(), 'Once upon a time there');
      assert.ok(await page.getByTestId('status').isHidden(), 'stopping showed an error');
      assert.ok(await page.getByTestId('send-button').isVisible());
      assert.ok(await page.getByTestId('stop-button').isHidden());
      assert.ok(await stopped.getByTestId('message-regenerate').isVisible(), 'no Regenerate on the stopped answer');
      await page.evaluate(() => { delete window.testChatStream; });

      // Failed mid-answer: the error event names the stored exchange.
      await page.route(`${base}/api/v1/chat`, async (route) => {
        const request = route.request().postDataJSON();
        await route.fulfill({
          status: 200,
          headers: { 'Content-Type': 'text/event-stream; charset=utf-8' },
          body: sseEvent('delta', { text: 'Half an ans' }) + sseEvent('error', {
            error: { message: 'the upstream went away', type: 'server_error', param: null, code: 'upstream_error' },
            conversation_id: request.conversation_id, message_id: 'msg_failed_test',
          }),
        });
      });
      try {
        await send('Fail, please');
      } finally {
        await page.unroute(`${base}/api/v1/chat`);
      }
      const failed = assistantMessages().last();
      assert.equal(await failed.getByTestId('message-marker').textContent(), 'Failed');
      assert.equal(await failed.getAttribute('data-message-id'), 'msg_failed_test');
      assert.equal(await failed.getByTestId('message-content').textContent(), 'Half an ans');
      const status = page.getByTestId('status');
      await status.waitFor({ state: 'visible' });
      assert.match(await status.textContent(), /the upstream went away/);

      // Cut off at max_tokens.
      await page.route(`${base}/api/v1/chat`, async (route) => {
        const request = route.request().postDataJSON();
        await route.fulfill({
          status: 200,
          headers: { 'Content-Type': 'text/event-stream; charset=utf-8' },
          body: sseEvent('delta', { text: 'A short' }) + sseEvent('done', {
            conversation_id: request.conversation_id, message_id: 'msg_length_test', answer: 'A short',
            model: 'canned', finish_reason: 'length', usage: { prompt_tokens: 9, completion_tokens: 2 },
          }),
        });
      });
      try {
        await send('Be brief');
      } finally {
        await page.unroute(`${base}/api/v1/chat`);
      }
      assert.ok(await page.getByTestId('status').isHidden(), 'an error is still shown');
      assert.deepEqual(await markers(), [['cancelled', 'Stopped'], ['error', 'Failed'], ['length', 'Cut off']]);
      assert.equal(await assistantMessages().last().getByTestId('message-meta').textContent(),
        'canned \u00b7 2 tokens (prompt 9)');
      await screenshot(`markers-live-${name}`);

      // Loaded: each stored finish_reason, and none for "stop".
      const canned = 'conv_canned_markers';
      const stored = (id, role, content, finish) => Object.assign(
        { id, role, content, created_at_ms: 1 }, finish ? { finish_reason: finish } : {});
      await page.route(`${base}/api/v1/conversations/${canned}`, (route) => route.fulfill({
        status: 200,
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          id: canned, title: 'Canned markers', created_at_ms: 1, updated_at_ms: 2, system: '',
          messages: [
            stored('msg_1', 'user', 'One'), stored('msg_2', 'assistant', 'Stopped here', 'cancelled'),
            stored('msg_3', 'user', 'Two'), stored('msg_4', 'assistant', 'Failed here', 'error'),
            stored('msg_5', 'user', 'Three'), stored('msg_6', 'assistant', 'Cut off here', 'length'),
            stored('msg_7', 'user', 'Four'), Object.assign(stored('msg_8', 'assistant', 'Complete.', 'stop'),
              { usage: { prompt_tokens: 7, completion_tokens: 3, cached_tokens: 0 } }),
          ],
        }),
      }));
      try {
        await openById(canned, 8);
      } finally {
        await page.unroute(`${base}/api/v1/conversations/${canned}`);
      }
      assert.deepEqual(await markers(), [['cancelled', 'Stopped'], ['error', 'Failed'], ['length', 'Cut off'], null]);
      // A stored answer's usage and the loaded model make the line under it.
      assert.equal(await assistantMessages().last().getByTestId('message-meta').textContent(),
        `${(await api('/v1/models')).data[0].id} \u00b7 3 tokens (prompt 7)`);
      await screenshot(`markers-loaded-${name}`);
    }
    await page.goto(`${base}/`);
    await page.setViewportSize(DEFAULT_VIEWPORT);
  });

  it('keeps a real answer that was stopped, marked, over a reload', async () => {
    for (const [name, size] of SIZES) {
      await page.setViewportSize(size);
      let id = null;
      let stored = null;
      // stories260K writes fast: Stop is clicked from inside the page at the
      // first word. Should the answer still finish first, try again.
      for (let attempt = 1; attempt <= 4 && !stored; attempt += 1) {
        await page.goto(`${base}/`);
        await page.reload();
        await newConversation();
        await saveSettings({ maxTokens: '1000', temperature: '1' });
        await page.evaluate(() => {
          const observer = new MutationObserver(() => {
            const streaming = document.querySelector('#messages .is-streaming .message-content');
            if (streaming && streaming.textContent.length > 0) {
              observer.disconnect();
              document.getElementById('stop-button').click();
            }
          });
          observer.observe(document.getElementById('messages'), { subtree: true, childList: true, characterData: true });
        });
        const response = page.waitForResponse((res) => new URL(res.url()).pathname === '/api/v1/chat');
        await page.getByTestId('message-input').fill('Tell me a very long story');
        await page.getByTestId('message-input').press('Enter');
        await response;
        await waitForReplyFinished();
        id = await page.evaluate(() => decodeURIComponent(location.hash.slice(3)));
        const finish = await assistantMessages().last().getAttribute('data-finish-reason');
        if (finish !== 'cancelled') continue;  // finished before the stop
        assert.equal(await assistantMessages().last().getByTestId('message-marker').textContent(), 'Stopped');
        // The server stores a stopped answer a moment after it notices the close.
        for (let waited = 0; waited < 10_000 && !stored; waited += 100) {
          const conversation = await api(`/api/v1/conversations/${encodeURIComponent(id)}`);
          if (conversation.messages.length === 2) stored = conversation.messages;
          else await new Promise((resolve) => { setTimeout(resolve, 100); });
        }
        assert.ok(stored, 'the stopped exchange was not stored');
      }
      assert.ok(stored, 'every answer finished before Stop took effect');
      assert.deepEqual(stored.map((m) => m.role), ['user', 'assistant']);
      assert.equal(stored[1].finish_reason, 'cancelled');

      await page.reload();
      await waitForMessagesLoaded(2);
      const answer = assistantMessages().last();
      assert.equal(await answer.getByTestId('message-marker').textContent(), 'Stopped');
      assert.equal(await answer.getAttribute('data-message-id'), stored[1].id);
      assert.equal(await answer.getByTestId('message-content').textContent(), await renderedText(stored[1].content));
      assert.equal(await userMessages().last().getByTestId('message-content').textContent(), 'Tell me a very long story');
      await screenshot(`stopped-${name}`);
    }
    await page.setViewportSize(DEFAULT_VIEWPORT);
  });

  it('regenerates the last answer and edits and resends a question', async () => {
    const texts = (locator) => locator.evaluateAll((all) => all.map(
      (a) => a.querySelector('[data-testid="message-content"]').textContent));
    for (const [name, size] of SIZES) {
      await page.setViewportSize(size);
      await page.goto(`${base}/`);
      await page.reload();
      await newConversation();
      await saveSettings({ maxTokens: '16' });
      const first = await send('Tell me about a cat');
      const id = first.body.conversation_id;
      await send('And a dog?');
      assert.equal(await page.getByTestId('message-regenerate').count(), 2);
      const regenerate = page.locator('[data-testid="message-regenerate"]:visible');
      assert.equal(await regenerate.count(), 1, 'Regenerate is not on the last answer only');
      assert.equal(await page.locator('[data-testid="message-edit"]:visible').count(), 2);
      const before = (await api(`/api/v1/conversations/${id}`)).messages;
      assert.deepEqual(before.map((m) => m.role), ['user', 'assistant', 'user', 'assistant']);

      // Regenerate: delete from the last question on, ask it again.
      const deleted = page.waitForResponse((res) => res.request().method() === 'DELETE');
      const chat = page.waitForRequest((req) => new URL(req.url()).pathname === '/api/v1/chat');
      await assistantMessages().last().getByTestId('message-regenerate').click();
      const deleteResponse = await deleted;
      assert.equal(new URL(deleteResponse.url()).pathname, `/api/v1/conversations/${id}/messages/${before[2].id}`);
      assert.equal(deleteResponse.status(), 200, `DELETE answered ${deleteResponse.status()}`);
      assert.deepEqual(await deleteResponse.json(), { deleted: 2 });
      assert.deepEqual((await chat).postDataJSON(),
        { query: 'And a dog?', conversation_id: id, stream: true, max_tokens: 16 });
      await page.waitForFunction(() => document.querySelectorAll('#messages > .message').length === 4
        && !document.querySelector('#messages .is-streaming'));
      await waitForReplyFinished();
      const after = (await api(`/api/v1/conversations/${id}`)).messages;
      assert.deepEqual(after.map((m) => m.role), ['user', 'assistant', 'user', 'assistant']);
      assert.deepEqual(after.slice(0, 2).map((m) => m.id), before.slice(0, 2).map((m) => m.id));
      assert.notEqual(after[3].id, before[3].id);
      assert.equal(after[2].content, 'And a dog?');
      assert.equal(await assistantMessages().last().getAttribute('data-message-id'), after[3].id);
      assert.deepEqual(await texts(userMessages()), ['Tell me about a cat', 'And a dog?']);
      await screenshot(`regenerate-${name}`);

      // Edit: Escape cancels and sends nothing.
      const deletes = [];
      const onRequest = (req) => { if (req.method() === 'DELETE') deletes.push(req.url()); };
      page.on('request', onRequest);
      const firstQuestion = userMessages().first();
      await firstQuestion.getByTestId('message-edit').click();
      const box = firstQuestion.getByTestId('message-edit-input');
      assert.equal(await box.inputValue(), 'Tell me about a cat');
      assert.ok(await isFocused(box));
      await box.fill('Never sent');
      await box.press('Escape');
      await box.waitFor({ state: 'detached' });
      assert.equal(await firstQuestion.getByTestId('message-content').textContent(), 'Tell me about a cat');
      assert.ok(await isFocused(firstQuestion.getByTestId('message-edit')));
      page.off('request', onRequest);
      assert.deepEqual(deletes, []);

      // Edit and resend: everything from that question on is replaced.
      await firstQuestion.getByTestId('message-edit').press('Enter');
      await box.fill('Tell me about a fox');
      await screenshot(`edit-${name}`);
      const deleted2 = page.waitForResponse((res) => res.request().method() === 'DELETE');
      const chat2 = page.waitForRequest((req) => new URL(req.url()).pathname === '/api/v1/chat');
      await box.press('Enter');
      const deleteResponse2 = await deleted2;
      assert.equal(new URL(deleteResponse2.url()).pathname, `/api/v1/conversations/${id}/messages/${after[0].id}`);
      assert.deepEqual(await deleteResponse2.json(), { deleted: 4 });
      assert.equal((await chat2).postDataJSON().query, 'Tell me about a fox');
      await page.waitForFunction(() => document.querySelectorAll('#messages > .message').length === 2
        && !document.querySelector('#messages .is-streaming'));
      const edited = (await api(`/api/v1/conversations/${id}`)).messages;
      assert.deepEqual(edited.map((m) => [m.role, m.role === 'user' ? m.content : '']),
        [['user', 'Tell me about a fox'], ['assistant', '']]);
      assert.deepEqual(await texts(userMessages()), ['Tell me about a fox']);
      assert.equal(await assistantMessages().count(), 1);
      assert.ok(await page.getByTestId('status').isHidden(), 'an error is shown');
    }
    await page.setViewportSize(DEFAULT_VIEWPORT);
  });

  it('shows a reasoning model\'s thinking folded above its answer, as text', async () => {
    await newConversation();
    await page.route(`${base}/api/v1/chat`, async (route) => {
      const request = route.request().postDataJSON();
      await route.fulfill({
        status: 200,
        headers: { 'Content-Type': 'text/event-stream; charset=utf-8' },
        body: sseEvent('reasoning', { text: 'The user wants **two** things; ' })
          + sseEvent('reasoning', { text: '<img src=x onerror=alert(1)>' })
          + deltasOf('The **answer**.', 4)
          + sseEvent('done', {
            conversation_id: request.conversation_id, message_id: 'msg_reasoning_test', answer: 'The **answer**.',
            model: 'canned-reasoner', finish_reason: 'stop', usage: { prompt_tokens: 3, completion_tokens: 5 },
            reasoning: 'The user wants **two** things; <img src=x onerror=alert(1)>',
          }),
      });
    });
    try {
      await send('Think first');
    } finally {
      await page.unroute(`${base}/api/v1/chat`);
    }
    const answer = assistantMessages().last();
    const thinking = answer.getByTestId('message-reasoning');
    assert.equal(await thinking.evaluate((el) => el.open), false, 'the thinking is not folded');
    assert.equal(await thinking.locator('summary').textContent(), 'Thinking');
    assert.equal(await thinking.locator('.message-reasoning-text').textContent(),
      'The user wants **two** things; <img src=x onerror=alert(1)>');
    assert.equal(await thinking.locator('*:not(summary, .message-reasoning-text)').count(), 0);
    assert.equal(await answer.getByTestId('message-content').textContent(), 'The answer.');
    assert.equal(await answer.getByTestId('message-marker').count(), 0, 'a finished answer is marked');
    await thinking.locator('summary').click();
    assert.equal(await thinking.evaluate((el) => el.open), true);
    assert.equal(await page.locator('img').count(), 0);
    assert.deepEqual(dialogs, [], 'the page raised a dialog');
  });

  it('keeps the model name and token counts under each answer over a reload', async () => {
    const models = await api('/v1/models');
    const model = models.data[0].id;
    for (const [name, size] of SIZES) {
      await page.setViewportSize(size);
      await page.goto(`${base}/`);
      await page.reload();
      await newConversation();
      await saveSettings({ maxTokens: '20' });
      await send('Count the stars');
      const meta = await assistantMessages().last().getByTestId('message-meta').textContent();
      assert.ok(meta.startsWith(`${model} \u00b7 20 tokens (prompt `), `the line under the answer: ${meta}`);
      await page.reload();
      await waitForMessagesLoaded(2);
      const metaAfter = assistantMessages().last().getByTestId('message-meta');
      await metaAfter.waitFor({ state: 'visible' });
      assert.equal(await metaAfter.textContent(), meta, 'the line under the answer changed over a reload');
      await screenshot(`footer-${name}`);
    }
    await page.setViewportSize(DEFAULT_VIEWPORT);
  });

  it('loaded nothing from elsewhere and broke no CSP rule', () => {
    assert.deepEqual(pageProblems, []);
  });
});

// A server started without a model (a first run that skipped --model-path)
// answers 503 no_model; waiting never fixes that, so the page must say
// what does.
describe('chat page against a server without a model', () => {
  let tmp;
  let server;
  let context;
  const log = [];

  after(async () => {
    try {
      if (context) await context.close();
    } finally {
      if (server) await stopServer(server.child);
      if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('says that no model is loaded and how to start the service with one', async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'clawbot-browser-nomodel-'));
    const config = path.join(tmp, 'config.env');
    const init = await run(CLAWBOT_BIN, ['init', '--data-dir', path.join(tmp, 'data'), '--config', config], 30_000);
    const token = /cb_[A-Za-z0-9_-]{20,}/.exec(init)[0];
    server = startServer(CLAWBOT_BIN, ['serve', '--config', config, '--port', '0'], log);
    const base = await server.url;
    context = await chromium.launchPersistentContext(path.join(tmp, 'chromium-profile'), {
      executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport: { width: 1100, height: 720 },
    });
    const page = context.pages()[0] || await context.newPage();
    page.setDefaultTimeout(20_000);
    await page.goto(`${base}/`);
    await page.getByTestId('token-dialog').waitFor({ state: 'visible' });
    await page.getByTestId('token-input').fill(token);
    await page.getByTestId('token-submit').click();
    await page.getByTestId('token-dialog').waitFor({ state: 'hidden' });
    await page.getByTestId('message-input').fill('Hello?');
    await page.getByTestId('message-input').press('Enter');
    const status = page.getByTestId('status');
    await status.waitFor({ state: 'visible' });
    const text = await status.textContent();
    assert.match(text, /No model is loaded/);
    assert.match(text, /--model-path MODEL\.gguf/);
    assert.doesNotMatch(text, /Try again/);
    await page.screenshot({ path: path.join(OUT_DIR, `no-model${process.env.CLAWBOT_TEST_PROVIDER === 'openai' ? '-cloud' : ''}.png`) });
  });
});
