// clawbot chat page. Plain browser JavaScript, no dependencies.
//
// Everything the user or the model wrote reaches the page through
// textContent / Text nodes only, never through HTML parsing, so a reply that
// contains markup is shown as the characters it is. An assistant's answer is
// Markdown: markdown.js (loaded first) turns it into DOM nodes the same way.
'use strict';

(() => {
  const TOKEN_KEY = 'clawbot.token';
  const SETTINGS_PREFIX = 'clawbot.settings.';  // + conversation id: { temperature, max_tokens }
  const API = '/api/v1';
  const SEARCH_DELAY_MS = 250;
  // What a stored or streamed answer's finish_reason shows: [marker, explanation].
  const FINISH_MARKERS = {
    cancelled: ['Stopped', 'The answer was stopped before it was complete.'],
    error: ['Failed', 'The answer failed before it was complete.'],
    length: ['Cut off', 'The answer reached the token limit and was cut off.'],
    content_filter: ['Withheld', 'The rest of the answer was withheld by the provider.'],
  };
  // The renderer from markdown.js; should it be missing, answers show as plain text.
  const markdown = window.clawbotMarkdown || null;

  const $ = (id) => document.getElementById(id);
  const ui = {
    sidebar: $('sidebar'),
    sidebarToggle: $('sidebar-toggle'),
    signout: $('signout-button'),
    newConversation: $('new-conversation'),
    list: $('conversation-list'),
    listEmpty: $('conversation-list-empty'),
    loadMore: $('load-more'),
    search: $('conversation-search'),
    chatTitle: $('chat-title'),
    settingsButton: $('settings-button'),
    settingsDialog: $('settings-dialog'),
    settingsForm: $('settings-form'),
    settingsScope: $('settings-scope'),
    settingsError: $('settings-error'),
    settingsSystem: $('settings-system'),
    settingsTemperature: $('settings-temperature'),
    settingsMaxTokens: $('settings-max-tokens'),
    settingsSave: $('settings-save'),
    settingsCancel: $('settings-cancel'),
    messages: $('messages'),
    emptyState: $('empty-state'),
    status: $('status'),
    composer: $('composer'),
    input: $('message-input'),
    send: $('send-button'),
    stop: $('stop-button'),
    tokenDialog: $('token-dialog'),
    tokenForm: $('token-form'),
    tokenInput: $('token-input'),
    tokenError: $('token-error'),
    tokenCancel: $('token-cancel'),
  };

  const state = {
    token: null,
    conversations: [],       // as listed by the server, newest first
    nextCursor: null,
    query: '',               // the search the list shows; '' for all
    listSeq: 0,              // discards answers to superseded list loads
    searchTimer: null,
    renaming: null,          // { id, value, error, busy } while a title is edited
    currentId: null,         // null: a new conversation, not yet created
    currentSystem: '',       // the open conversation's system prompt, as stored
    pending: { system: '', temperature: null, max_tokens: null },  // settings of a new conversation
    loadSeq: 0,              // discards answers to superseded loads
    streaming: null,         // { controller } while a reply is streaming
    busy: false,             // while messages are being deleted for a resend
    modelName: null,         // the loaded model, from GET /v1/models or a "done" event
    modelPromise: null,
    statusTimer: null,
  };

  // localStorage may be unavailable (private mode, disabled): settings then
  // live as long as the page.
  const memorySettings = new Map();

  // ---- token storage (localStorage may be unavailable; fall back to memory)

  const tokenStore = {
    get() {
      try { return window.localStorage.getItem(TOKEN_KEY); } catch { return state.token; }
    },
    set(value) {
      state.token = value;
      try { window.localStorage.setItem(TOKEN_KEY, value); } catch { /* memory only */ }
    },
    clear() {
      state.token = null;
      try { window.localStorage.removeItem(TOKEN_KEY); } catch { /* memory only */ }
    },
  };

  // ---- API -------------------------------------------------------------------

  class ApiError extends Error {
    constructor(status, code, message, retryAfter) {
      super(message);
      this.status = status;          // 0 for a network failure
      this.code = code;
      this.retryAfter = retryAfter;  // seconds, or null
    }
  }

  function parseRetryAfter(value) {
    if (!value) return null;
    const trimmed = value.trim();
    if (/^\d+$/.test(trimmed)) return Number(trimmed);
    const when = Date.parse(trimmed);
    if (Number.isNaN(when)) return null;
    return Math.max(0, Math.ceil((when - Date.now()) / 1000));
  }

  async function errorFromResponse(res) {
    let code = `http_${res.status}`;
    let message = res.statusText || `HTTP ${res.status}`;
    try {
      const body = await res.json();
      if (body && body.error) {
        if (typeof body.error.code === 'string') code = body.error.code;
        if (typeof body.error.message === 'string') message = body.error.message;
      }
    } catch { /* not JSON; keep the status line */ }
    return new ApiError(res.status, code, message, parseRetryAfter(res.headers.get('Retry-After')));
  }

  function networkError(err) {
    return new ApiError(0, 'network_error', err && err.message ? err.message : String(err), null);
  }

  function authHeaders(extra) {
    return Object.assign({ Authorization: `Bearer ${state.token}` }, extra || {});
  }

  // path: below /api/v1, or an absolute /v1/... (the OpenAI routes).
  async function apiFetch(method, path, options = {}) {
    let res;
    try {
      res = await fetch(path.startsWith('/v1/') ? path : API + path, {
        method,
        headers: authHeaders(options.headers),
        body: options.body,
        cache: 'no-store',
        credentials: 'omit',
        signal: options.signal,
      });
    } catch (err) {
      if (err && err.name === 'AbortError') throw err;
      throw networkError(err);
    }
    if (!res.ok) throw await errorFromResponse(res);
    return res;
  }

  // body: an object sent as JSON, or undefined.
  async function apiJson(method, path, body) {
    const headers = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await apiFetch(method, path, {
      headers, body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (res.status === 204) return null;
    return res.json();
  }

  // ---- Server-Sent Events over fetch ------------------------------------------

  // Feeds decoded text in, calls onEvent(type, data) per complete event.
  // Follows the SSE rules: "field: value" lines, one optional space after the
  // colon, ":" comment lines ignored, a blank line ends the event, several
  // data lines join with "\n", and CR, LF or CRLF all end a line.
  function createSseParser(onEvent) {
    let buffer = '';
    let type = '';
    let data = [];

    function dispatch() {
      if (data.length) onEvent(type || 'message', data.join('\n'));
      type = '';
      data = [];
    }

    function line(text) {
      if (text === '') { dispatch(); return; }
      if (text[0] === ':') return;
      const colon = text.indexOf(':');
      const field = colon < 0 ? text : text.slice(0, colon);
      let value = colon < 0 ? '' : text.slice(colon + 1);
      if (value[0] === ' ') value = value.slice(1);
      if (field === 'event') type = value;
      else if (field === 'data') data.push(value);
    }

    return {
      push(text) {
        buffer += text;
        const eol = /\r\n|\r|\n/g;
        let start = 0;
        let match;
        while ((match = eol.exec(buffer)) !== null) {
          // A lone CR at the very end may be the first half of a CRLF.
          if (match[0] === '\r' && match.index === buffer.length - 1) break;
          line(buffer.slice(start, match.index));
          start = eol.lastIndex;
        }
        buffer = buffer.slice(start);
      },
      end() {
        if (buffer !== '') line(buffer.replace(/\r$/, ''));
        buffer = '';
        dispatch();
      },
    };
  }

  // Reads until the body ends or onEvent returns true (a final event), so a
  // connection left open after "done" does not keep the reply spinning.
  async function readEventStream(res, onEvent) {
    const reader = res.body.getReader();
    // stream: true keeps a multi-byte character (Chinese, emoji) that is split
    // across two network chunks together.
    const decoder = new TextDecoder('utf-8');
    let finished = false;
    const parser = createSseParser((type, data) => {
      if (!finished && onEvent(type, data) === true) finished = true;
    });
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      parser.push(decoder.decode(value, { stream: true }));
      if (finished) {
        reader.cancel().catch(() => {});
        return;
      }
    }
    parser.push(decoder.decode());
    parser.end();
  }

  // ---- status line -----------------------------------------------------------

  function clearStatus() {
    if (state.statusTimer) clearInterval(state.statusTimer);
    state.statusTimer = null;
    ui.status.hidden = true;
    ui.status.textContent = '';
    delete ui.status.dataset.kind;
    delete ui.status.dataset.code;
  }

  function showStatus(text, kind = 'error', code = '') {
    clearStatus();
    ui.status.textContent = text;
    ui.status.dataset.kind = kind;
    if (code) ui.status.dataset.code = code;
    ui.status.hidden = false;
  }

  function describeError(err) {
    if (!(err instanceof ApiError)) return `Something went wrong: ${err && err.message ? err.message : err}`;
    switch (err.status) {
      case 0: return 'Network error: the server could not be reached. Check your connection and try again.';
      case 401: return 'Your access token was not accepted. Please enter it again.';
      case 403: return `Not allowed: ${err.message}`;
      case 404: return `Not found: ${err.message}`;
      case 413: return `The message is too large: ${err.message}`;
      case 400: return `The request was refused: ${err.message}`;
      case 503:
        // Waiting never fixes this one: say what does.
        if (err.code === 'no_model') {
          return 'No model is loaded, so the service cannot answer. Whoever runs it must start it with a GGUF model: '
            + 'clawbot serve --model-path MODEL.gguf (or MODEL_PATH=... in its config file).';
        }
        return err.retryAfter != null
          ? `The service is unavailable (${err.message}). Try again in ${err.retryAfter} s.`
          : `The service is unavailable (${err.message}). Try again later.`;
      default: return `Error ${err.status}: ${err.message}`;
    }
  }

  // Shows err plainly; returns nothing. 401 also asks for the token again.
  function reportError(err) {
    if (err instanceof ApiError && err.status === 401) {
      tokenStore.clear();  // a rejected token is of no use after a reload either
      showStatus(describeError(err), 'error', 'unauthorized');
      askForToken('The token was not accepted (401). Enter a valid access token.');
      return;
    }
    if (err instanceof ApiError && err.status === 429) {
      showBusy(err.retryAfter);
      return;
    }
    showStatus(describeError(err), 'error', err instanceof ApiError ? err.code : '');
  }

  function showBusy(seconds) {
    if (seconds == null) {
      showStatus('The server is busy, retry in a moment.', 'info', 'rate_limited');
      return;
    }
    let left = seconds;
    const render = () => {
      ui.status.textContent = left > 0
        ? `The server is busy, retry in ${left} s.`
        : 'The server is busy. You can retry now.';
    };
    showStatus('', 'info', 'rate_limited');
    render();
    state.statusTimer = setInterval(() => {
      left -= 1;
      render();
      if (left <= 0) { clearInterval(state.statusTimer); state.statusTimer = null; }
    }, 1000);
  }

  // ---- token dialog ------------------------------------------------------------

  function askForToken(reason) {
    ui.tokenError.textContent = reason || '';
    ui.tokenError.hidden = !reason;
    ui.tokenInput.value = '';
    ui.tokenCancel.hidden = !state.token;
    if (!ui.tokenDialog.open) ui.tokenDialog.showModal();
    ui.tokenInput.focus();
  }

  ui.tokenForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const token = ui.tokenInput.value.trim();
    if (!token) {
      ui.tokenError.textContent = 'Enter a token.';
      ui.tokenError.hidden = false;
      ui.tokenInput.focus();
      return;
    }
    tokenStore.set(token);
    ui.tokenDialog.close();
    clearStatus();
    refreshConversations().then((ok) => {
      if (ok && state.currentId) openConversation(state.currentId);
    });
    ui.input.focus();
  });

  ui.tokenCancel.addEventListener('click', () => {
    if (state.token) ui.tokenDialog.close();
  });

  // Escape closes the dialog only when there is a token to fall back on.
  ui.tokenDialog.addEventListener('cancel', (event) => {
    if (!state.token) event.preventDefault();
  });

  ui.signout.addEventListener('click', () => {
    tokenStore.clear();
    state.conversations = [];
    state.nextCursor = null;
    state.renaming = null;
    state.modelName = null;
    state.modelPromise = null;
    renderConversationList();
    startNewConversation();
    clearStatus();
    askForToken('');
  });

  // ---- small helpers -----------------------------------------------------------

  const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

  function button(className, text, testid, label) {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = className;
    b.textContent = text;
    if (testid) b.dataset.testid = testid;
    if (label) b.setAttribute('aria-label', label);
    return b;
  }

  function conversationPath(id) {
    return `/conversations/${encodeURIComponent(id)}`;
  }

  // ---- per-conversation settings (temperature, max tokens) in localStorage -------

  // Only values the server accepts; anything else is left to its default.
  function cleanSettings(value) {
    const out = {};
    if (!value || typeof value !== 'object') return out;
    const t = value.temperature;
    if (typeof t === 'number' && Number.isFinite(t) && t >= 0 && t <= 2) out.temperature = t;
    const m = value.max_tokens;
    if (Number.isInteger(m) && m >= 1) out.max_tokens = m;
    return out;
  }

  function loadSettings(id) {
    if (!id) return {};
    try {
      const text = window.localStorage.getItem(SETTINGS_PREFIX + id);
      return text === null ? {} : cleanSettings(JSON.parse(text));
    } catch {
      return cleanSettings(memorySettings.get(id));
    }
  }

  function saveSettings(id, value) {
    const clean = cleanSettings(value);
    memorySettings.set(id, clean);
    try {
      if (Object.keys(clean).length) window.localStorage.setItem(SETTINGS_PREFIX + id, JSON.stringify(clean));
      else window.localStorage.removeItem(SETTINGS_PREFIX + id);
    } catch { /* memory only */ }
  }

  function forgetSettings(id) {
    memorySettings.delete(id);
    try { window.localStorage.removeItem(SETTINGS_PREFIX + id); } catch { /* memory only */ }
  }

  // ---- the model's name, for the line under each answer ---------------------------

  // Resolves to the loaded model's name, or null; asks the server once.
  function ensureModelName() {
    if (state.modelName) return Promise.resolve(state.modelName);
    if (!state.modelPromise) {
      state.modelPromise = apiJson('GET', '/v1/models').then((body) => {
        const first = body && Array.isArray(body.data) ? body.data[0] : null;
        if (first && typeof first.id === 'string' && first.id && !state.modelName) state.modelName = first.id;
        return state.modelName;
      }, () => {
        state.modelPromise = null;  // ask again next time
        return null;
      });
    }
    return state.modelPromise;
  }

  // ---- conversation list -------------------------------------------------------

  const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });
  const timeFormat = new Intl.DateTimeFormat(undefined, { timeStyle: 'short' });

  function formatWhen(ms) {
    if (typeof ms !== 'number' || !Number.isFinite(ms)) return '';
    const when = new Date(ms);
    const now = new Date();
    return when.toDateString() === now.toDateString() ? timeFormat.format(when) : dateFormat.format(when);
  }

  function titleOf(conversation) {
    const title = conversation && typeof conversation.title === 'string' ? conversation.title.trim() : '';
    return title || 'Untitled conversation';
  }

  function renderListEntry(conversation) {
    const li = document.createElement('li');
    li.className = 'conversation-entry';
    li.dataset.testid = 'conversation-item';
    li.dataset.conversationId = conversation.id;
    const current = conversation.id === state.currentId;
    li.classList.toggle('is-current', current);

    const open = document.createElement('button');
    open.type = 'button';
    open.className = 'conversation-open';
    open.dataset.testid = 'conversation-open';
    if (current) open.setAttribute('aria-current', 'true');
    const title = document.createElement('span');
    title.className = 'conversation-title';
    title.dataset.testid = 'conversation-title';
    title.textContent = titleOf(conversation);
    const date = document.createElement('span');
    date.className = 'conversation-date';
    date.textContent = formatWhen(conversation.updated_at_ms ?? conversation.created_at_ms);
    open.append(title, date);
    open.addEventListener('click', () => {
      closeSidebar();
      openConversation(conversation.id);
    });

    const rename = button('conversation-action conversation-rename', '\u270e', 'conversation-rename',
      `Rename conversation: ${titleOf(conversation)}`);
    rename.title = 'Rename';
    rename.addEventListener('click', () => startRename(conversation));

    const remove = button('conversation-action conversation-delete', '\u00d7', 'conversation-delete',
      `Delete conversation: ${titleOf(conversation)}`);
    remove.title = 'Delete conversation';
    remove.addEventListener('click', () => deleteConversation(conversation));

    li.append(open, rename, remove);
    return li;
  }

  // The entry being renamed: a small form. Enter saves, Escape cancels.
  function renderRenameEntry(conversation) {
    const r = state.renaming;
    const li = document.createElement('li');
    li.className = 'conversation-entry is-renaming';
    li.dataset.testid = 'conversation-item';
    li.dataset.conversationId = conversation.id;
    li.classList.toggle('is-current', conversation.id === state.currentId);

    const form = document.createElement('form');
    form.className = 'conversation-rename-form';
    form.dataset.testid = 'conversation-rename-form';
    form.noValidate = true;
    const input = document.createElement('input');
    input.type = 'text';
    input.className = 'conversation-rename-input';
    input.dataset.testid = 'conversation-rename-input';
    input.autocomplete = 'off';
    input.setAttribute('aria-label', `New title for: ${titleOf(conversation)}`);
    input.value = r.value;
    input.disabled = r.busy;
    const errorId = `rename-error-${conversation.id}`;
    input.addEventListener('input', () => { state.renaming.value = input.value; });
    input.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') {
        event.preventDefault();
        event.stopPropagation();  // the drawer stays open
        cancelRename();
      }
    });
    const save = button('conversation-action conversation-rename-save', '\u2713', 'conversation-rename-save', 'Save title');
    save.type = 'submit';
    save.disabled = r.busy;
    const cancel = button('conversation-action conversation-rename-cancel', '\u2715', 'conversation-rename-cancel',
      'Cancel renaming');
    cancel.addEventListener('click', cancelRename);
    const row = document.createElement('div');
    row.className = 'conversation-rename-row';
    row.append(input, save, cancel);
    form.append(row);
    if (r.error) {
      const error = document.createElement('p');
      error.className = 'conversation-rename-error';
      error.id = errorId;
      error.dataset.testid = 'conversation-rename-error';
      error.setAttribute('role', 'alert');
      error.textContent = r.error;
      form.append(error);
      input.setAttribute('aria-invalid', 'true');
      input.setAttribute('aria-describedby', errorId);
    }
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      saveRename();
    });
    li.append(form);
    return li;
  }

  function renderConversationList() {
    const focused = document.activeElement;
    const keepRenameFocus = focused instanceof HTMLElement && focused.classList.contains('conversation-rename-input');
    const renamingId = state.renaming ? state.renaming.id : null;
    const items = state.conversations.map((conversation) => (conversation.id === renamingId
      ? renderRenameEntry(conversation) : renderListEntry(conversation)));
    ui.list.replaceChildren(...items);
    if (renamingId && !state.conversations.some((c) => c.id === renamingId)) state.renaming = null;
    if (keepRenameFocus) focusRenameInput();
    ui.listEmpty.textContent = state.query
      ? `No conversation matches \u201c${state.query}\u201d.`
      : 'No conversations yet.';
    ui.listEmpty.hidden = state.conversations.length > 0 || !state.token;
    ui.loadMore.hidden = !state.nextCursor;
  }

  function entryOf(id) {
    for (const li of ui.list.children) if (li.dataset.conversationId === id) return li;
    return null;
  }

  function focusRenameInput() {
    const input = state.renaming && entryOf(state.renaming.id)?.querySelector('.conversation-rename-input');
    if (input && !input.disabled) input.focus();
  }

  function startRename(conversation) {
    state.renaming = { id: conversation.id, value: titleOf(conversation), error: '', busy: false };
    renderConversationList();
    const input = entryOf(conversation.id)?.querySelector('.conversation-rename-input');
    if (input) { input.focus(); input.select(); }
  }

  function cancelRename() {
    const id = state.renaming ? state.renaming.id : null;
    state.renaming = null;
    renderConversationList();
    entryOf(id)?.querySelector('.conversation-rename')?.focus();
  }

  async function saveRename() {
    const r = state.renaming;
    if (!r || r.busy) return;
    r.busy = true;
    r.error = '';
    renderConversationList();
    let renamed = null;
    try {
      renamed = await apiJson('PATCH', conversationPath(r.id), { title: r.value });
    } catch (err) {
      if (state.renaming !== r) return;
      r.busy = false;
      if (err instanceof ApiError && err.status === 401) {
        state.renaming = null;
        renderConversationList();
        reportError(err);
        return;
      }
      r.error = err instanceof ApiError && err.status === 400
        ? `Not renamed: ${err.message}` : `Not renamed. ${describeError(err)}`;
      renderConversationList();
      focusRenameInput();
      return;
    }
    if (state.renaming !== r) return;
    state.renaming = null;
    state.conversations = state.conversations.map((c) => (c.id === r.id && renamed && renamed.id === r.id
      ? Object.assign({}, c, renamed) : c));
    renderConversationList();
    if (state.currentId === r.id) {
      const listed = state.conversations.find((c) => c.id === r.id);
      if (listed) setChatTitle(titleOf(listed));
    }
    entryOf(r.id)?.querySelector('.conversation-open')?.focus();
  }

  function conversationsPath(cursor) {
    const params = new URLSearchParams();
    if (state.query) params.set('q', state.query);
    if (cursor) params.set('cursor', cursor);
    const query = params.toString();
    return query ? `/conversations?${query}` : '/conversations';
  }

  // Reloads the first page (of the search, if there is one); returns true on success.
  async function refreshConversations() {
    if (!state.token) return false;
    const seq = ++state.listSeq;
    try {
      const body = await apiJson('GET', conversationsPath(null));
      if (seq !== state.listSeq) return true;  // a newer load (another search) answers instead
      state.conversations = Array.isArray(body && body.conversations) ? body.conversations : [];
      state.nextCursor = body && typeof body.next_cursor === 'string' ? body.next_cursor : null;
      renderConversationList();
      ui.list.removeAttribute('aria-busy');
      return true;
    } catch (err) {
      if (seq !== state.listSeq) return false;
      ui.list.removeAttribute('aria-busy');
      reportError(err);
      return false;
    }
  }

  ui.loadMore.addEventListener('click', async () => {
    if (!state.nextCursor) return;
    const seq = state.listSeq;
    ui.loadMore.disabled = true;
    try {
      const body = await apiJson('GET', conversationsPath(state.nextCursor));
      if (seq !== state.listSeq) return;
      const known = new Set(state.conversations.map((c) => c.id));
      const more = (Array.isArray(body && body.conversations) ? body.conversations : [])
        .filter((c) => !known.has(c.id));
      state.conversations = state.conversations.concat(more);
      state.nextCursor = body && typeof body.next_cursor === 'string' ? body.next_cursor : null;
      renderConversationList();
    } catch (err) {
      reportError(err);
    } finally {
      ui.loadMore.disabled = false;
    }
  });

  // ---- search: the server searches titles and messages; typing is debounced ----

  function runSearch() {
    if (state.searchTimer) clearTimeout(state.searchTimer);
    state.searchTimer = null;
    const query = ui.search.value.trim();
    if (query === state.query) return;
    state.query = query;
    ui.list.setAttribute('aria-busy', 'true');
    refreshConversations();
  }

  ui.search.addEventListener('input', () => {
    if (state.searchTimer) clearTimeout(state.searchTimer);
    // Cleared: show everything at once; typing: wait for a pause.
    if (ui.search.value.trim() === '') runSearch();
    else state.searchTimer = setTimeout(runSearch, SEARCH_DELAY_MS);
  });

  ui.search.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') {
      event.preventDefault();
      runSearch();
    } else if (event.key === 'Escape' && ui.search.value !== '') {
      event.preventDefault();
      event.stopPropagation();  // clears the search; a second Escape closes the drawer
      ui.search.value = '';
      runSearch();
    }
  });

  async function deleteConversation(conversation) {
    if (!window.confirm(`Delete "${titleOf(conversation)}"? This cannot be undone.`)) return;
    try {
      await apiFetch('DELETE', conversationPath(conversation.id));
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 404)) { reportError(err); return; }
    }
    forgetSettings(conversation.id);
    state.conversations = state.conversations.filter((c) => c.id !== conversation.id);
    if (state.currentId === conversation.id) startNewConversation();
    renderConversationList();
  }

  // ---- messages ----------------------------------------------------------------

  // article -> { article, content, source, ... } for every message shown.
  const messageOf = new WeakMap();

  function updateEmptyState() {
    const empty = ui.messages.childElementCount === 0;
    ui.emptyState.hidden = !empty;
  }

  function isNearBottom() {
    const m = ui.messages;
    return m.scrollHeight - m.scrollTop - m.clientHeight < 80;
  }

  function scrollToBottom() {
    ui.messages.scrollTop = ui.messages.scrollHeight;
  }

  // Builds a message element. A user's text goes in as a Text node; an
  // assistant's is rendered from Markdown to DOM nodes. Never as HTML.
  // The message keeps its source text, which grows while a reply streams.
  function createMessage(role, text, id) {
    const article = document.createElement('article');
    article.className = 'message';
    article.dataset.role = role;
    article.dataset.testid = `message-${role}`;
    if (id) article.dataset.messageId = id;

    const label = document.createElement('span');
    label.className = 'message-role';
    label.textContent = role === 'user' ? 'You' : role === 'assistant' ? 'Assistant' : role;

    const content = document.createElement('div');
    content.className = 'message-content';
    content.dataset.testid = 'message-content';
    const markdownRendered = role === 'assistant' && markdown !== null;
    if (markdownRendered) content.classList.add('markdown');

    const actions = document.createElement('div');
    actions.className = 'message-actions';
    if (role === 'user') {
      const edit = button('message-action', 'Edit', 'message-edit', 'Edit and resend this message');
      edit.addEventListener('click', () => startEdit(article));
      actions.append(edit);
    } else if (role === 'assistant') {
      const again = button('message-action', '\u21bb Regenerate', 'message-regenerate', 'Regenerate this answer');
      again.addEventListener('click', () => regenerate());
      actions.append(again);
    }

    article.append(label, content, actions);
    const message = { article, content, actions, source: text || '', markdownRendered, frame: 0, reasoning: null };
    messageOf.set(article, message);
    renderMessage(message);
    return message;
  }

  function renderMessage(message) {
    if (message.frame) cancelAnimationFrame(message.frame);
    message.frame = 0;
    if (message.markdownRendered) message.content.replaceChildren(markdown.render(message.source));
    else message.content.textContent = message.source;  // one Text node
  }

  // Renders now, keeping the view at the bottom if the reader was there.
  function renderFollowing(message) {
    const follow = isNearBottom();
    renderMessage(message);
    if (follow) scrollToBottom();
  }

  // Deltas arrive faster than the screen repaints, and each render redoes
  // the whole answer: render at most once per frame.
  function scheduleRender(message) {
    if (message.frame) return;
    message.frame = requestAnimationFrame(() => {
      message.frame = 0;
      renderFollowing(message);
    });
  }

  // A reasoning model's thinking, shown folded above its answer (as text).
  function appendReasoning(message, text) {
    if (!message.reasoning) {
      const details = document.createElement('details');
      details.className = 'message-reasoning';
      details.dataset.testid = 'message-reasoning';
      const summary = document.createElement('summary');
      summary.textContent = 'Thinking';
      const body = document.createElement('div');
      body.className = 'message-reasoning-text';
      details.append(summary, body);
      message.content.before(details);
      message.reasoning = { details, body, text: '' };
    }
    message.reasoning.text += text;
    message.reasoning.body.textContent = message.reasoning.text;
  }

  function appendMessage(role, text, id) {
    const message = createMessage(role, text, id);
    ui.messages.append(message.article);
    updateEmptyState();
    return message;
  }

  // A note under the message, before its buttons.
  function setNote(message, className, text) {
    let note = message.article.querySelector(`:scope > .${className}`);
    if (!note) {
      note = document.createElement('span');
      note.className = className;
      message.actions.before(note);
    }
    note.textContent = text;
    return note;
  }

  function removeNote(message, className) {
    message.article.querySelector(`:scope > .${className}`)?.remove();
  }

  // How the answer ended, shown on it: "Stopped", "Failed", "Cut off".
  function setFinish(message, reason) {
    const article = message.article;
    if (typeof reason === 'string' && reason) article.dataset.finishReason = reason;
    else delete article.dataset.finishReason;
    article.classList.toggle('is-failed', reason === 'error');
    article.classList.toggle('is-incomplete', reason in FINISH_MARKERS);
    const marker = FINISH_MARKERS[reason];
    if (!marker) { removeNote(message, 'message-marker'); return; }
    const note = setNote(message, 'message-marker', marker[0]);
    note.dataset.testid = 'message-marker';
    note.dataset.finish = reason;
    note.title = marker[1];
  }

  // "model · N tokens (prompt P)", from a done event or a stored message.
  function metaText(model, usage) {
    const parts = [];
    if (typeof model === 'string' && model) parts.push(model);
    if (usage && Number.isFinite(usage.completion_tokens) && (usage.completion_tokens > 0 || usage.prompt_tokens > 0)) {
      let tokens = `${usage.completion_tokens} tokens`;
      if (Number.isFinite(usage.prompt_tokens) && usage.prompt_tokens > 0) {
        tokens += Number.isFinite(usage.cached_tokens) && usage.cached_tokens > 0
          ? ` (prompt ${usage.prompt_tokens}, ${usage.cached_tokens} cached)`
          : ` (prompt ${usage.prompt_tokens})`;
      }
      parts.push(tokens);
    }
    return parts.join(' \u00b7 ');
  }

  function setMeta(message, model, usage) {
    const text = metaText(model, usage);
    if (!text) { removeNote(message, 'message-meta'); return; }
    setNote(message, 'message-meta', text).dataset.testid = 'message-meta';
  }

  function messageArticles() {
    return [...ui.messages.children].filter((el) => el.classList.contains('message'));
  }

  // Edit buttons on questions, Regenerate on the last answer; none while busy.
  function updateMessageActions() {
    const articles = messageArticles();
    const idle = !state.streaming && !state.busy;
    const last = articles[articles.length - 1];
    for (const article of articles) {
      const message = messageOf.get(article);
      if (!message) continue;
      const editing = article.classList.contains('is-editing');
      const isLastAnswer = article === last && article.dataset.role === 'assistant';
      const show = article.dataset.role === 'user' ? !editing : isLastAnswer;
      message.actions.hidden = !show || article.classList.contains('is-streaming');
      for (const b of message.actions.querySelectorAll('button')) b.disabled = !idle;
    }
  }

  function setChatTitle(text) {
    ui.chatTitle.textContent = text;
    document.title = text === 'New conversation' ? 'clawbot' : `${text} \u00b7 clawbot`;
  }

  function rememberCurrent() {
    const hash = state.currentId ? `#c=${encodeURIComponent(state.currentId)}` : '';
    history.replaceState(null, '', `${location.pathname}${location.search}${hash}`);
  }

  function currentFromLocation() {
    const match = /^#c=(.+)$/.exec(location.hash);
    if (!match) return null;
    try { return decodeURIComponent(match[1]); } catch { return null; }
  }

  function markCurrentInList() {
    for (const li of ui.list.children) {
      const current = li.dataset.conversationId === state.currentId;
      li.classList.toggle('is-current', current);
      const open = li.querySelector('.conversation-open');
      if (!open) continue;
      if (current) open.setAttribute('aria-current', 'true');
      else open.removeAttribute('aria-current');
    }
  }

  function startNewConversation() {
    state.loadSeq += 1;
    ui.settingsButton.disabled = false;
    if (state.currentId !== null) state.pending = { system: '', temperature: null, max_tokens: null };
    state.currentId = null;
    state.currentSystem = '';
    ui.messages.replaceChildren();
    updateEmptyState();
    setChatTitle('New conversation');
    markCurrentInList();
    rememberCurrent();
  }

  // Shows a conversation's stored messages, with how each answer ended and
  // its model and token counts.
  function renderStoredMessages(messages) {
    const model = state.modelName;
    ui.messages.replaceChildren(...messages.map((m) => {
      const message = createMessage(m.role, m.content, m.id);
      if (m.role === 'assistant') {
        setFinish(message, m.finish_reason);
        // usage: {prompt_tokens, completion_tokens, cached_tokens}, or those fields on the message itself.
        const usage = m.usage && typeof m.usage === 'object' ? m.usage : m;
        setMeta(message, typeof m.model === 'string' && m.model ? m.model : model, usage);
      }
      return message.article;
    }));
    updateEmptyState();
    updateMessageActions();
  }

  // Returns true once the conversation is shown.
  async function openConversation(id) {
    const seq = ++state.loadSeq;
    state.currentId = id;
    state.currentSystem = '';
    state.pending = { system: '', temperature: null, max_tokens: null };
    markCurrentInList();
    rememberCurrent();
    const known = state.conversations.find((c) => c.id === id);
    setChatTitle(known ? titleOf(known) : 'Loading\u2026');
    ui.messages.replaceChildren();
    ui.messages.setAttribute('aria-busy', 'true');
    ui.settingsButton.disabled = true;  // until its system prompt is known
    updateEmptyState();
    try {
      const [body] = await Promise.all([apiJson('GET', conversationPath(id)), ensureModelName()]);
      if (seq !== state.loadSeq) return false;
      setChatTitle(titleOf(body));
      state.currentSystem = body && typeof body.system === 'string' ? body.system : '';
      renderStoredMessages(Array.isArray(body && body.messages) ? body.messages : []);
      scrollToBottom();
      clearStatus();
      return true;
    } catch (err) {
      if (seq !== state.loadSeq) return false;
      if (err instanceof ApiError && err.status === 404) {
        startNewConversation();
        showStatus('That conversation no longer exists.', 'error', 'not_found');
      } else {
        reportError(err);
      }
      return false;
    } finally {
      if (seq === state.loadSeq) {
        ui.messages.removeAttribute('aria-busy');
        ui.settingsButton.disabled = false;
      }
    }
  }

  // ---- settings panel ----------------------------------------------------------------

  function formatNumber(value) {
    return value === null || value === undefined ? '' : String(value);
  }

  function openSettings() {
    const id = state.currentId;
    const local = id ? loadSettings(id) : cleanSettings(state.pending);
    ui.settingsSystem.value = id ? state.currentSystem : state.pending.system;
    ui.settingsTemperature.value = formatNumber(local.temperature);
    ui.settingsMaxTokens.value = formatNumber(local.max_tokens);
    ui.settingsScope.textContent = id
      ? 'For this conversation only. Leave a field empty for the server\u2019s default.'
      : 'For the new conversation you are about to start. Leave a field empty for the server\u2019s default.';
    ui.settingsError.hidden = true;
    ui.settingsError.textContent = '';
    ui.settingsSave.disabled = false;
    ui.settingsDialog.dataset.conversationId = id || '';
    if (!ui.settingsDialog.open) ui.settingsDialog.showModal();
    ui.settingsSystem.focus();
  }

  function settingsError(text, field) {
    ui.settingsError.textContent = text;
    ui.settingsError.hidden = false;
    if (field) field.focus();
  }

  // The numbers typed, or an error message naming the field.
  function readNumberSettings() {
    const t = ui.settingsTemperature;
    const m = ui.settingsMaxTokens;
    const out = { temperature: null, max_tokens: null };
    if (t.validity.badInput) return { error: 'Temperature must be a number from 0 to 2.', field: t };
    if (t.value.trim() !== '') {
      const value = Number(t.value);
      if (!Number.isFinite(value) || value < 0 || value > 2) {
        return { error: 'Temperature must be a number from 0 to 2.', field: t };
      }
      out.temperature = value;
    }
    if (m.validity.badInput) return { error: 'Max tokens must be a whole number of at least 1.', field: m };
    if (m.value.trim() !== '') {
      const value = Number(m.value);
      if (!Number.isInteger(value) || value < 1) {
        return { error: 'Max tokens must be a whole number of at least 1.', field: m };
      }
      out.max_tokens = value;
    }
    return out;
  }

  ui.settingsButton.addEventListener('click', openSettings);
  ui.settingsCancel.addEventListener('click', () => ui.settingsDialog.close());
  ui.settingsDialog.addEventListener('close', () => ui.settingsButton.focus());

  ui.settingsForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    ui.settingsError.hidden = true;
    const numbers = readNumberSettings();
    if (numbers.error) { settingsError(numbers.error, numbers.field); return; }
    const system = ui.settingsSystem.value;
    const id = ui.settingsDialog.dataset.conversationId || null;
    if (id !== state.currentId) { ui.settingsDialog.close(); return; }  // the conversation changed meanwhile
    if (!id) {
      // A new conversation: the system prompt goes with its creation.
      state.pending = { system, temperature: numbers.temperature, max_tokens: numbers.max_tokens };
      ui.settingsDialog.close();
      return;
    }
    if (system !== state.currentSystem) {
      ui.settingsSave.disabled = true;
      try {
        await apiJson('PATCH', conversationPath(id), { system });
      } catch (err) {
        ui.settingsSave.disabled = false;
        if (err instanceof ApiError && err.status === 401) { ui.settingsDialog.close(); reportError(err); return; }
        settingsError(`The system prompt was not saved. ${describeError(err)}`, ui.settingsSystem);
        return;
      }
      ui.settingsSave.disabled = false;
      if (state.currentId === id) state.currentSystem = system;
    }
    saveSettings(id, numbers);
    ui.settingsDialog.close();
  });

  // ---- sending -------------------------------------------------------------------

  function setStreaming(streaming) {
    ui.send.disabled = !!streaming;
    ui.send.hidden = !!streaming;
    ui.stop.hidden = !streaming;
    updateMessageActions();
  }

  // A new chat is created before its first question, so every turn, the
  // first included, carries X-Conversation-Id: behind nginx, all of them
  // reach the node that keeps the conversation's KV cache. The settings
  // chosen for it go with it: the system prompt to the server, the rest
  // to this browser under the new id.
  async function createConversation(text) {
    const pending = state.pending;
    const body = { title: text };
    if (pending.system) body.system = pending.system;
    const created = await apiJson('POST', '/conversations', body);
    const id = created && typeof created.id === 'string' ? created.id : null;
    if (id) {
      saveSettings(id, pending);
      if (state.pending === pending) state.pending = { system: '', temperature: null, max_tokens: null };
    }
    return { id, system: pending.system };
  }

  function abortError() {
    return new DOMException('The answer was stopped.', 'AbortError');
  }

  async function sendMessage(text) {
    if (state.streaming || state.busy || !state.token) return;
    clearStatus();
    let conversationId = state.currentId;
    const seq = state.loadSeq;
    const user = appendMessage('user', text);
    const assistant = appendMessage('assistant', '');
    assistant.article.classList.add('is-streaming');
    assistant.article.setAttribute('aria-busy', 'true');
    scrollToBottom();

    const controller = new AbortController();
    state.streaming = { controller };
    setStreaming(true);

    const body = { query: text, stream: true };
    const headers = { 'Content-Type': 'application/json', Accept: 'text/event-stream' };

    let done = null;
    let streamError = null;
    let errorEvent = null;      // the payload of an "error" event
    let sent = false;           // the question reached the server (or may have)
    let streamStarted = false;  // the server answered 200 and began the stream
    try {
      if (!conversationId) {
        const created = await createConversation(text);
        conversationId = created.id;
        if (conversationId && seq === state.loadSeq) {
          state.currentId = conversationId;
          state.currentSystem = created.system;
          rememberCurrent();
        }
      }
      if (conversationId) {
        body.conversation_id = conversationId;
        headers['X-Conversation-Id'] = conversationId;
        Object.assign(body, loadSettings(conversationId));
      } else {
        Object.assign(body, cleanSettings(state.pending));
      }
      if (controller.signal.aborted) throw abortError();
      sent = true;
      const res = await apiFetch('POST', '/chat', {
        headers, body: JSON.stringify(body), signal: controller.signal,
      });
      streamStarted = true;
      const type = res.headers.get('Content-Type') || '';
      if (type.includes('text/event-stream')) {
        await readEventStream(res, (event, data) => {
          let payload;
          try { payload = JSON.parse(data); } catch { return false; }
          if (event === 'delta' && payload && typeof payload.text === 'string') {
            assistant.source += payload.text;
            scheduleRender(assistant);
          } else if (event === 'reasoning' && payload && typeof payload.text === 'string') {
            appendReasoning(assistant, payload.text);
          } else if (event === 'done') {
            done = payload || {};
            return true;
          } else if (event === 'error') {
            errorEvent = payload || {};
            const e = errorEvent.error || {};
            streamError = new ApiError(200, e.code || 'stream_error', e.message || 'The reply failed.', null);
            return true;
          }
          return false;
        });
      } else {
        done = await res.json();  // a server that answered without streaming
      }
    } catch (err) {
      streamError = err;
    } finally {
      state.streaming = null;
      assistant.article.classList.remove('is-streaming');
      assistant.article.removeAttribute('aria-busy');
      renderFollowing(assistant);  // whatever arrived since the last frame
      setStreaming(false);
    }

    const adopt = (id) => {
      if (id && state.currentId !== id && seq === state.loadSeq) {
        state.currentId = id;
        rememberCurrent();
      }
    };

    // A done event means the reply is stored, whatever happened after it.
    if (done) {
      if (typeof done.answer === 'string' && done.answer !== assistant.source) {
        assistant.source = done.answer;
        renderFollowing(assistant);
      }
      if (typeof done.reasoning === 'string' && done.reasoning && !assistant.reasoning) {
        appendReasoning(assistant, done.reasoning);
      }
      if (done.message_id) assistant.article.dataset.messageId = done.message_id;
      if (typeof done.model === 'string' && done.model) state.modelName = done.model;
      setFinish(assistant, done.finish_reason);
      setMeta(assistant, done.model, done.usage);
      if (!assistant.source) setNote(assistant, 'message-error', 'The model returned an empty reply.');
      const newId = done.conversation_id || conversationId;
      adopt(newId);
      await refreshConversations();
      if (state.currentId === newId) {
        const listed = state.conversations.find((c) => c.id === newId);
        if (listed) setChatTitle(titleOf(listed));
      }
      updateMessageActions();
      return;
    }

    const aborted = controller.signal.aborted || (!!streamError && streamError.name === 'AbortError');
    const err = streamError || new ApiError(200, 'incomplete', 'The reply ended before it was complete.', null);

    if (aborted && sent) {
      // Stopped: the server keeps the question and the answer so far
      // ("cancelled"), and so does the page, marked.
      setFinish(assistant, 'cancelled');
    } else if (!aborted && streamStarted) {
      // Failed mid-answer: the server keeps it ("error"), and names it.
      if (errorEvent && typeof errorEvent.message_id === 'string') {
        assistant.article.dataset.messageId = errorEvent.message_id;
      }
      if (errorEvent) adopt(errorEvent.conversation_id);
      setFinish(assistant, 'error');
      if (err instanceof ApiError && err.status === 200) showStatus(`The reply failed: ${err.message}`, 'error', err.code);
      else reportError(err);
    } else {
      // Nothing was stored: give the text back for a retry.
      assistant.article.remove();
      user.article.classList.add('is-failed');
      user.article.dataset.stored = 'false';
      setNote(user, 'message-error', aborted ? 'Stopped.' : 'No reply.');
      if (!aborted) {
        if (!ui.input.value) ui.input.value = text;
        reportError(err);
      }
    }
    updateEmptyState();
    updateMessageActions();
    scrollToBottom();
    if (conversationId) await refreshConversations();
  }

  ui.stop.addEventListener('click', () => {
    if (state.streaming) state.streaming.controller.abort();
  });

  ui.composer.addEventListener('submit', (event) => {
    event.preventDefault();
    const text = ui.input.value;
    if (!text.trim() || state.streaming || state.busy) return;
    if (!state.token) { askForToken(''); return; }
    ui.input.value = '';
    sendMessage(text);
    ui.input.focus();
  });

  function isSendKey(event) {
    // isComposing: Enter that confirms an IME candidate (Chinese, Japanese)
    // must not send the message.
    return event.key === 'Enter' && !event.shiftKey && !event.isComposing && event.keyCode !== 229;
  }

  ui.input.addEventListener('keydown', (event) => {
    if (isSendKey(event)) {
      event.preventDefault();
      ui.composer.requestSubmit();
    }
  });

  // ---- regenerate and edit: delete from a question on, then ask again ------------

  // The messages shown that the server keeps (a question whose request
  // failed before it reached the model is not stored).
  function storedArticles() {
    return messageArticles().filter((a) => a.dataset.stored !== 'false');
  }

  // Gives every stored message shown its server id (an answer that was
  // stopped or a question learns it only from the stored conversation).
  // False when what is shown is not what is stored.
  async function syncMessageIds(id, seq) {
    for (let attempt = 0; attempt < 8; attempt += 1) {
      const body = await apiJson('GET', conversationPath(id));
      if (seq !== state.loadSeq) return false;
      const stored = Array.isArray(body && body.messages) ? body.messages : [];
      const shown = storedArticles();
      if (stored.length === shown.length && stored.every((m, i) => m.role === shown[i].dataset.role)) {
        stored.forEach((m, i) => { shown[i].dataset.messageId = m.id; });
        return true;
      }
      // A stopped answer is stored a moment after the stop.
      if (stored.length > shown.length) return false;
      await sleep(250);
    }
    return false;
  }

  // Deletes `article` and everything after it, here and on the server, then
  // sends `text` as the next question.
  async function resendFrom(article, text) {
    const id = state.currentId;
    if (state.streaming || state.busy || !id || !text.trim()) return;
    const seq = state.loadSeq;
    clearStatus();
    state.busy = true;
    updateMessageActions();
    let ok = false;
    try {
      const all = messageArticles();
      const tail = all.slice(all.indexOf(article));
      const first = tail.find((a) => a.dataset.stored !== 'false');
      if (first) {
        if (storedArticles().some((a) => !a.dataset.messageId) && !await syncMessageIds(id, seq)) {
          if (seq !== state.loadSeq) return;
          await openConversation(id);
          showStatus('The conversation has changed on the server and was reloaded. Try again.', 'error', 'out_of_sync');
          return;
        }
        try {
          await apiJson('DELETE', `${conversationPath(id)}/messages/${encodeURIComponent(first.dataset.messageId)}`);
        } catch (err) {
          if (seq !== state.loadSeq) return;
          if (err instanceof ApiError && err.status === 404) {
            await openConversation(id);
            showStatus(`The message could not be deleted: ${err.message}. The conversation was reloaded.`,
              'error', err.code);
          } else {
            reportError(err);
          }
          return;
        }
      }
      if (seq !== state.loadSeq) return;
      for (const a of tail) a.remove();
      ok = true;
    } catch (err) {
      if (seq === state.loadSeq) reportError(err);
    } finally {
      state.busy = false;
      updateMessageActions();
    }
    if (ok) {
      await sendMessage(text);
      ui.input.focus();
    }
  }

  function regenerate() {
    const question = messageArticles().filter((a) => a.dataset.role === 'user').pop();
    const message = question && messageOf.get(question);
    if (message) resendFrom(question, message.source);
  }

  // The question becomes a text box: Enter (or Save) resends it, Escape cancels.
  function startEdit(article) {
    const message = messageOf.get(article);
    if (!message || state.streaming || state.busy || article.classList.contains('is-editing')) return;
    article.classList.add('is-editing');
    const form = document.createElement('form');
    form.className = 'message-edit';
    form.dataset.testid = 'message-edit-form';
    form.noValidate = true;
    const box = document.createElement('textarea');
    box.className = 'message-edit-input';
    box.dataset.testid = 'message-edit-input';
    box.rows = 3;
    box.value = message.source;
    box.setAttribute('aria-label', 'Edit your message; Enter resends it, Escape cancels');
    const row = document.createElement('div');
    row.className = 'message-edit-actions';
    const cancel = button('ghost-button', 'Cancel', 'message-edit-cancel');
    const save = button('primary-button', 'Save & resend', 'message-edit-save');
    save.type = 'submit';
    row.append(cancel, save);
    form.append(box, row);
    message.content.hidden = true;
    message.content.after(form);
    updateMessageActions();

    const close = () => {
      form.remove();
      message.content.hidden = false;
      article.classList.remove('is-editing');
      updateMessageActions();
    };
    cancel.addEventListener('click', () => {
      close();
      message.actions.querySelector('button')?.focus();
    });
    box.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') {
        event.preventDefault();
        event.stopPropagation();
        cancel.click();
      } else if (isSendKey(event)) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const text = box.value;
      if (!text.trim() || state.streaming || state.busy) return;
      close();
      resendFrom(article, text);
    });
    box.focus();
    box.setSelectionRange(box.value.length, box.value.length);
  }

  ui.newConversation.addEventListener('click', () => {
    closeSidebar();
    clearStatus();
    startNewConversation();
    ui.input.focus();
  });

  // ---- narrow-screen drawer --------------------------------------------------------

  function closeSidebar() {
    ui.sidebar.classList.remove('is-open');
    ui.sidebarToggle.setAttribute('aria-expanded', 'false');
  }

  ui.sidebarToggle.addEventListener('click', () => {
    const open = !ui.sidebar.classList.contains('is-open');
    ui.sidebar.classList.toggle('is-open', open);
    ui.sidebarToggle.setAttribute('aria-expanded', String(open));
    if (open) ui.newConversation.focus();
  });

  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && ui.sidebar.classList.contains('is-open') && !event.defaultPrevented) {
      closeSidebar();
      ui.sidebarToggle.focus();
    }
  });

  // ---- start -----------------------------------------------------------------------

  async function start() {
    if (markdown) markdown.enableCopyButtons(ui.messages);
    updateEmptyState();
    setStreaming(false);
    state.token = tokenStore.get();
    const wanted = currentFromLocation();
    if (!state.token) {
      renderConversationList();
      if (wanted) state.currentId = wanted;
      askForToken('');
      return;
    }
    const ok = await refreshConversations();
    if (ok && wanted) openConversation(wanted);
    ui.input.focus();
  }

  start();
})();
