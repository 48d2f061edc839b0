// clawbot chat page. Plain browser JavaScript, no dependencies.
//
// Everything the user or the model wrote reaches the page through
// textContent / Text nodes only, never through HTML parsing, so a reply that
// contains markup is shown as the characters it is. An assistant's answer is
// Markdown: markdown.js (loaded first) turns it into DOM nodes the same way.
'use strict';

(() => {
  const TOKEN_KEY = 'clawbot.token';
  const API = '/api/v1';
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
    chatTitle: $('chat-title'),
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
    currentId: null,         // null: a new conversation, not yet created
    loadSeq: 0,              // discards answers to superseded loads
    streaming: null,         // { controller } while a reply is streaming
    statusTimer: null,
  };

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

  async function apiFetch(method, path, options = {}) {
    let res;
    try {
      res = await fetch(API + path, {
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

  async function apiJson(method, path) {
    const res = await apiFetch(method, path, { headers: { Accept: 'application/json' } });
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
    refreshConversations().then(() => {
      if (state.currentId) openConversation(state.currentId);
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
    renderConversationList();
    startNewConversation();
    clearStatus();
    askForToken('');
  });

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

  function renderConversationList() {
    const items = state.conversations.map((conversation) => {
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
      title.textContent = titleOf(conversation);
      const date = document.createElement('span');
      date.className = 'conversation-date';
      date.textContent = formatWhen(conversation.updated_at_ms ?? conversation.created_at_ms);
      open.append(title, date);
      open.addEventListener('click', () => {
        closeSidebar();
        openConversation(conversation.id);
      });

      const remove = document.createElement('button');
      remove.type = 'button';
      remove.className = 'conversation-delete';
      remove.dataset.testid = 'conversation-delete';
      remove.setAttribute('aria-label', `Delete conversation: ${titleOf(conversation)}`);
      remove.title = 'Delete conversation';
      remove.textContent = '\u00d7';
      remove.addEventListener('click', () => deleteConversation(conversation));

      li.append(open, remove);
      return li;
    });
    ui.list.replaceChildren(...items);
    ui.listEmpty.hidden = state.conversations.length > 0 || !state.token;
    ui.loadMore.hidden = !state.nextCursor;
  }

  function conversationsPath(cursor) {
    return cursor ? `/conversations?cursor=${encodeURIComponent(cursor)}` : '/conversations';
  }

  // Reloads the first page; returns true on success.
  async function refreshConversations() {
    if (!state.token) return false;
    try {
      const body = await apiJson('GET', conversationsPath(null));
      state.conversations = Array.isArray(body && body.conversations) ? body.conversations : [];
      state.nextCursor = body && typeof body.next_cursor === 'string' ? body.next_cursor : null;
      renderConversationList();
      return true;
    } catch (err) {
      reportError(err);
      return false;
    }
  }

  ui.loadMore.addEventListener('click', async () => {
    if (!state.nextCursor) return;
    ui.loadMore.disabled = true;
    try {
      const body = await apiJson('GET', conversationsPath(state.nextCursor));
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

  async function deleteConversation(conversation) {
    if (!window.confirm(`Delete "${titleOf(conversation)}"? This cannot be undone.`)) return;
    try {
      await apiFetch('DELETE', `/conversations/${encodeURIComponent(conversation.id)}`);
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 404)) { reportError(err); return; }
    }
    state.conversations = state.conversations.filter((c) => c.id !== conversation.id);
    if (state.currentId === conversation.id) startNewConversation();
    renderConversationList();
  }

  // ---- messages ----------------------------------------------------------------

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

    article.append(label, content);
    const message = { article, content, source: text || '', markdownRendered, frame: 0 };
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

  function appendMessage(role, text, id) {
    const message = createMessage(role, text, id);
    ui.messages.append(message.article);
    updateEmptyState();
    return message;
  }

  function setNote(message, className, text) {
    let note = message.article.querySelector(`.${className}`);
    if (!note) {
      note = document.createElement('span');
      note.className = className;
      message.article.append(note);
    }
    note.textContent = text;
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
      if (current) open.setAttribute('aria-current', 'true');
      else open.removeAttribute('aria-current');
    }
  }

  function startNewConversation() {
    state.loadSeq += 1;
    state.currentId = null;
    ui.messages.replaceChildren();
    updateEmptyState();
    setChatTitle('New conversation');
    markCurrentInList();
    rememberCurrent();
  }

  async function openConversation(id) {
    const seq = ++state.loadSeq;
    state.currentId = id;
    markCurrentInList();
    rememberCurrent();
    const known = state.conversations.find((c) => c.id === id);
    setChatTitle(known ? titleOf(known) : 'Loading\u2026');
    ui.messages.replaceChildren();
    ui.messages.setAttribute('aria-busy', 'true');
    updateEmptyState();
    try {
      const body = await apiJson('GET', `/conversations/${encodeURIComponent(id)}`);
      if (seq !== state.loadSeq) return;
      setChatTitle(titleOf(body));
      const messages = Array.isArray(body && body.messages) ? body.messages : [];
      ui.messages.replaceChildren(...messages.map((m) => createMessage(m.role, m.content, m.id).article));
      updateEmptyState();
      scrollToBottom();
      clearStatus();
    } catch (err) {
      if (seq !== state.loadSeq) return;
      if (err instanceof ApiError && err.status === 404) {
        startNewConversation();
        showStatus('That conversation no longer exists.', 'error', 'not_found');
      } else {
        reportError(err);
      }
    } finally {
      if (seq === state.loadSeq) ui.messages.removeAttribute('aria-busy');
    }
  }

  // ---- sending -------------------------------------------------------------------

  function setStreaming(streaming) {
    ui.send.disabled = !!streaming;
    ui.send.hidden = !!streaming;
    ui.stop.hidden = !streaming;
  }

  // A new chat is created before its first question, so every turn, the
  // first included, carries X-Conversation-Id: behind nginx, all of them
  // reach the node that keeps the conversation's KV cache.
  async function createConversation(text) {
    const res = await apiFetch('POST', '/conversations', {
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ title: text }),
    });
    const created = await res.json();
    return created && typeof created.id === 'string' ? created.id : null;
  }

  async function sendMessage(text) {
    if (state.streaming || !state.token) return;
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
    let received = false;
    try {
      if (!conversationId) {
        conversationId = await createConversation(text);
        if (conversationId && seq === state.loadSeq) {
          state.currentId = conversationId;
          rememberCurrent();
        }
      }
      if (conversationId) {
        body.conversation_id = conversationId;
        headers['X-Conversation-Id'] = conversationId;
      }
      const res = await apiFetch('POST', '/chat', {
        headers, body: JSON.stringify(body), signal: controller.signal,
      });
      const type = res.headers.get('Content-Type') || '';
      if (type.includes('text/event-stream')) {
        await readEventStream(res, (event, data) => {
          let payload;
          try { payload = JSON.parse(data); } catch { return false; }
          if (event === 'delta' && payload && typeof payload.text === 'string') {
            assistant.source += payload.text;
            received = true;
            scheduleRender(assistant);
          } else if (event === 'done') {
            done = payload;
            return true;
          } else if (event === 'error') {
            const e = payload && payload.error ? payload.error : {};
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
      setStreaming(false);
      assistant.article.classList.remove('is-streaming');
      assistant.article.removeAttribute('aria-busy');
      renderFollowing(assistant);  // whatever arrived since the last frame
    }

    // A done event means the reply is stored, whatever happened after it.
    if (done) {
      if (typeof done.answer === 'string' && done.answer !== assistant.source) {
        assistant.source = done.answer;
        renderFollowing(assistant);
      }
      if (done.message_id) assistant.article.dataset.messageId = done.message_id;
      const meta = [];
      if (done.model) meta.push(done.model);
      if (done.usage && Number.isFinite(done.usage.completion_tokens)) {
        meta.push(`${done.usage.completion_tokens} tokens`);
      }
      if (meta.length) setNote(assistant, 'message-meta', meta.join(' \u00b7 '));
      if (!assistant.source) setNote(assistant, 'message-meta', 'The model returned an empty reply.');
      const newId = done.conversation_id || conversationId;
      if (state.currentId !== newId && newId && seq === state.loadSeq) {
        state.currentId = newId;
        rememberCurrent();
      }
      await refreshConversations();
      if (state.currentId === newId) {
        const listed = state.conversations.find((c) => c.id === newId);
        if (listed) setChatTitle(titleOf(listed));
      }
      return;
    }

    // Failed or stopped: keep what arrived, say why, and when nothing arrived
    // give the text back for a retry.
    const aborted = !!streamError && streamError.name === 'AbortError';
    const err = streamError || new ApiError(200, 'incomplete', 'The reply ended before it was complete.', null);
    const failedMidStream = err instanceof ApiError && err.status === 200;  // HTTP was fine, the stream was not
    if (received) {
      if (!aborted) assistant.article.classList.add('is-failed');
      setNote(assistant, 'message-error', aborted ? 'Stopped.' : `The reply failed: ${err.message}`);
    } else {
      assistant.article.remove();
      user.article.classList.add('is-failed');
      setNote(user, 'message-error', aborted ? 'Stopped.' : 'No reply.');
      if (!aborted && !ui.input.value) ui.input.value = text;
    }
    if (!aborted) {
      if (failedMidStream) showStatus(`The reply failed: ${err.message}`, 'error', err.code);
      else reportError(err);
    }
    updateEmptyState();
    scrollToBottom();
  }

  ui.stop.addEventListener('click', () => {
    if (state.streaming) state.streaming.controller.abort();
  });

  ui.composer.addEventListener('submit', (event) => {
    event.preventDefault();
    const text = ui.input.value;
    if (!text.trim() || state.streaming) return;
    if (!state.token) { askForToken(''); return; }
    ui.input.value = '';
    sendMessage(text);
    ui.input.focus();
  });

  ui.input.addEventListener('keydown', (event) => {
    // isComposing: Enter that confirms an IME candidate (Chinese, Japanese)
    // must not send the message.
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
      event.preventDefault();
      ui.composer.requestSubmit();
    }
  });

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
    if (event.key === 'Escape' && ui.sidebar.classList.contains('is-open')) {
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
