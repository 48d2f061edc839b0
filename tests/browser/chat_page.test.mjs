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

  it('loaded nothing from elsewhere and broke no CSP rule', () => {
    assert.deepEqual(pageProblems, []);
  });
});
