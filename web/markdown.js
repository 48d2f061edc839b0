// Markdown for the chat page: the CommonMark subset that chat answers use,
// turned into DOM nodes. app.js renders every assistant answer with
// window.clawbotMarkdown.render(); the browser test calls the same function.
//
// Model output is untrusted, so nothing here parses HTML: every piece of
// text becomes a Text node or an element made with document.createElement,
// raw HTML in an answer shows as the characters it is, and a link gets an
// href only when the URL parser reads it as http:, https: or mailto:
// (anything else, javascript: and data: included, stays plain text).
// Untrusted also means hostile: no regular expression here can backtrack,
// every scan is linear in the input (or bounded by a small constant), and
// nesting is capped, so a pathological answer costs time in proportion to
// its length, and the DOM it makes stays shallow.
//
// Supported: # and setext headings; paragraphs, where a newline is a line
// break (chat answers mean their newlines); **strong**, *em*, _em_,
// ~~strike~~ and `code`; fenced code blocks (``` or ~~~) with a language,
// a copy button and a little syntax colouring; bullet and ordered lists,
// nested by indentation; block quotes; thematic breaks; GFM pipe tables with
// alignment; [text](url "title") links, <url> autolinks and bare http(s)
// URLs; backslash escapes.
// Not supported: raw HTML (shown as text), reference links and footnotes,
// images (![alt](url) becomes a link, no request is made), indented code
// blocks (indented text is a paragraph), HTML entities (shown as written),
// task-list checkboxes.
'use strict';

(() => {
  const MAX_BLOCK_DEPTH = 12;        // block quotes and lists inside each other
  const MAX_INLINE_DEPTH = 16;       // emphasis inside emphasis inside a link...
  const MAX_LINK_SCAN = 2048;        // characters a link's destination and title may span
  const MAX_TABLE_COLUMNS = 64;      // wider "tables" stay paragraphs
  const MAX_HIGHLIGHTED = 100_000;   // longer code is shown without colours
  const SAFE_PROTOCOLS = new Set(['http:', 'https:', 'mailto:']);
  const ASCII_PUNCTUATION = new Set('!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~');

  // ---- characters ------------------------------------------------------------

  // The edges of the text count as whitespace, as in CommonMark.
  const isSpace = (ch) => ch === undefined || /\s/.test(ch);
  const isPunctuation = (ch) => ch !== undefined && (ASCII_PUNCTUATION.has(ch) || /[\p{P}\p{S}]/u.test(ch));
  const isDigit = (ch) => ch >= '0' && ch <= '9';
  const isAsciiAlnum = (ch) => ch !== undefined && /[A-Za-z0-9]/.test(ch);

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  // ---- lines -----------------------------------------------------------------

  function leadingSpaces(line) {
    let n = 0;
    while (line.charCodeAt(n) === 32) n++;
    return n;
  }

  const isBlank = (line) => line.trim() === '';

  // Indentation decides nesting; a leading tab counts as four spaces. (The
  // lines of top-level code blocks are taken from the source as written,
  // so a Makefile keeps its tabs.)
  function expandLeadingTabs(line) {
    if (line[0] !== ' ' && line[0] !== '\t') return line;
    let i = 0;
    let indent = '';
    for (; line[i] === ' ' || line[i] === '\t'; i++) indent += line[i] === '\t' ? '    ' : ' ';
    return indent + line.slice(i);
  }

  function stripIndent(line, columns) {
    return line.slice(Math.min(columns, leadingSpaces(line)));
  }

  // ---- block recognisers -------------------------------------------------------

  // "```lang" or "~~~lang": { char, length, info, indent }, or null.
  function openingFence(line) {
    const indent = leadingSpaces(line);
    const char = line[indent];
    if (char !== '`' && char !== '~') return null;
    let end = indent;
    while (line[end] === char) end++;
    const length = end - indent;
    if (length < 3) return null;
    const info = line.slice(end).trim();
    if (char === '`' && info.includes('`')) return null;  // ```x``` is inline code
    return { char, length, info, indent };
  }

  function closesFence(line, fence) {
    const indent = leadingSpaces(line);
    let end = indent;
    while (line[end] === fence.char) end++;
    return end - indent >= fence.length && line.slice(end).trim() === '';
  }

  // "## Title ##": { level, text }, or null ("#hashtag" is not a heading).
  function atxHeading(line) {
    const indent = leadingSpaces(line);
    let end = indent;
    while (line[end] === '#') end++;
    const level = end - indent;
    if (level < 1 || level > 6) return null;
    if (end < line.length && line[end] !== ' ' && line[end] !== '\t') return null;
    let text = line.slice(end).trim();
    let close = text.length;
    while (close > 0 && text[close - 1] === '#') close--;
    if (close === 0) text = '';
    else if (close < text.length && (text[close - 1] === ' ' || text[close - 1] === '\t')) text = text.slice(0, close).trim();
    return { level, text };
  }

  // ***, --- or ___, spaces allowed between.
  function isThematicBreak(line) {
    const text = line.trim();
    const mark = text[0];
    if (mark !== '-' && mark !== '*' && mark !== '_') return false;
    let count = 0;
    for (const ch of text) {
      if (ch === mark) count++;
      else if (ch !== ' ' && ch !== '\t') return false;
    }
    return count >= 3;
  }

  // The ==== or ---- under a paragraph line. A lone "-" does not count, so a
  // list item that is still streaming in does not flash up as a heading.
  function setextLevel(line) {
    const text = line.trim();
    if (/^=+$/.test(text)) return 1;
    if (text.length >= 2 && /^-+$/.test(text)) return 2;
    return 0;
  }

  const isQuoteLine = (line) => line[leadingSpaces(line)] === '>';

  // "- ", "* ", "+ ", "1. " or "1) ": { indent, ordered, start, kind,
  // content (the column the item's text starts at), empty }, or null.
  function listMarker(line) {
    const indent = leadingSpaces(line);
    let p = indent;
    let ordered = false;
    let start = 1;
    let kind = line[p];
    if (kind === '-' || kind === '+' || kind === '*') {
      p++;
    } else {
      let q = p;
      while (q - p < 10 && isDigit(line[q])) q++;
      if (q === p || q - p > 9 || (line[q] !== '.' && line[q] !== ')')) return null;
      ordered = true;
      start = Number(line.slice(p, q));
      kind = line[q];
      p = q + 1;
    }
    if (p < line.length && line[p] !== ' ') return null;
    let spaces = 0;
    while (line[p + spaces] === ' ') spaces++;
    const empty = p + spaces >= line.length;
    const content = empty || spaces > 4 ? p + 1 : p + spaces;
    return { indent, ordered, start, kind, content, empty };
  }

  // Cells of a table row: outer pipes dropped, "\|" kept for the inline
  // parser, which makes it a literal pipe.
  function splitCells(line) {
    let text = line.trim();
    if (text.startsWith('|')) text = text.slice(1);
    if (text.endsWith('|') && !text.endsWith('\\|')) text = text.slice(0, -1);
    const cells = [];
    let from = 0;
    for (let k = 0; k < text.length; k++) {
      if (text[k] === '\\') k++;
      else if (text[k] === '|') {
        cells.push(text.slice(from, k).trim());
        from = k + 1;
      }
    }
    cells.push(text.slice(from).trim());
    return cells;
  }

  // "| :-- | :-: | --: |": the columns' alignments, or null.
  function delimiterRow(line) {
    if (!line.includes('|') || !line.includes('-')) return null;
    const cells = splitCells(line);
    if (cells.length > MAX_TABLE_COLUMNS) return null;
    const alignments = [];
    for (const cell of cells) {
      if (!/^:?-+:?$/.test(cell)) return null;
      const left = cell.startsWith(':');
      const right = cell.endsWith(':');
      alignments.push(left && right ? 'center' : right ? 'right' : left ? 'left' : '');
    }
    return alignments;
  }

  function isTableStart(lines, i) {
    if (i + 1 >= lines.length || !lines[i].includes('|')) return false;
    const alignments = delimiterRow(lines[i + 1]);
    return alignments !== null && splitCells(lines[i]).length === alignments.length;
  }

  // Whether line ends the paragraph above it. As in CommonMark, only a list
  // that starts at 1 does, so "in\n1984 ..." stays one paragraph.
  function interruptsParagraph(line, depth) {
    if (openingFence(line) || atxHeading(line) || isThematicBreak(line)) return true;
    if (depth >= MAX_BLOCK_DEPTH) return false;
    if (isQuoteLine(line)) return true;
    const marker = listMarker(line);
    return marker !== null && !marker.empty && (!marker.ordered || marker.start === 1);
  }

  // ---- blocks ----------------------------------------------------------------
  //
  // parseBlocks turns lines into a tree of plain objects:
  //   { type: 'heading', level, text }   { type: 'paragraph', text }
  //   { type: 'code', language, text }   { type: 'rule' }
  //   { type: 'quote', children }        { type: 'table', alignments, head, rows }
  //   { type: 'list', ordered, start, loose, items: [children...] }
  // Each parseX takes the index of its first line, pushes its block and
  // returns the index of the first line after it. sourceLines, at the top
  // level only, are the lines before their leading tabs were expanded.

  function parseBlocks(lines, depth, sourceLines = null) {
    const blocks = [];
    let i = 0;
    while (i < lines.length) {
      const line = lines[i];
      if (isBlank(line)) { i++; continue; }
      const fence = openingFence(line);
      const heading = fence ? null : atxHeading(line);
      if (fence) i = parseFencedCode(lines, i, fence, blocks, sourceLines);
      else if (heading) { blocks.push({ type: 'heading', ...heading }); i++; }
      else if (isThematicBreak(line)) { blocks.push({ type: 'rule' }); i++; }
      else if (depth < MAX_BLOCK_DEPTH && isQuoteLine(line)) i = parseQuote(lines, i, depth, blocks);
      else if (depth < MAX_BLOCK_DEPTH && listMarker(line)) i = parseList(lines, i, depth, blocks);
      else if (isTableStart(lines, i)) i = parseTable(lines, i, depth, blocks);
      else i = parseParagraph(lines, i, depth, blocks);
    }
    return blocks;
  }

  function parseParagraph(lines, i, depth, blocks) {
    const text = [lines[i].trim()];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const line = lines[j];
      if (isBlank(line)) break;
      const level = setextLevel(line);
      if (level) {
        blocks.push({ type: 'heading', level, text: text.join('\n') });
        return j + 1;
      }
      if (interruptsParagraph(line, depth) || isTableStart(lines, j)) break;
      text.push(line.trim());
    }
    blocks.push({ type: 'paragraph', text: text.join('\n') });
    return j;
  }

  // An unclosed fence runs to the end, so code that is still streaming in
  // already shows as code.
  function parseFencedCode(lines, i, fence, blocks, sourceLines) {
    const body = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      if (closesFence(lines[j], fence)) { j++; break; }
      body.push(stripIndent(sourceLines ? sourceLines[j] : lines[j], fence.indent));
    }
    const language = fence.info.split(/\s/)[0];
    blocks.push({ type: 'code', language, text: body.join('\n') });
    return j;
  }

  function parseQuote(lines, i, depth, blocks) {
    const inner = [];
    let j = i;
    for (; j < lines.length; j++) {
      const line = lines[j];
      if (isQuoteLine(line)) {
        let rest = line.slice(leadingSpaces(line) + 1);
        if (rest[0] === ' ') rest = rest.slice(1);
        inner.push(rest);
      } else if (!isBlank(line) && inner.length > 0 && !isBlank(inner[inner.length - 1])
                 && !interruptsParagraph(line, depth) && !listMarker(line)) {
        inner.push(line);  // a lazy continuation of the quoted paragraph
      } else {
        break;
      }
    }
    blocks.push({ type: 'quote', children: parseBlocks(inner, depth + 1) });
    return j;
  }

  function parseList(lines, i, depth, blocks) {
    const first = listMarker(lines[i]);
    const list = { type: 'list', ordered: first.ordered, start: first.start, loose: false, items: [] };
    // Another item of this list: the same kind of marker, left of the first
    // item's text (further right it would be inside the item).
    const isSibling = (line) => {
      if (isThematicBreak(line)) return false;
      const marker = listMarker(line);
      return marker !== null && marker.ordered === first.ordered && marker.kind === first.kind
        && marker.indent < first.content;
    };
    let j = i;
    while (j < lines.length) {
      if (isBlank(lines[j])) {
        let next = j;
        while (next < lines.length && isBlank(lines[next])) next++;
        if (next >= lines.length || !isSibling(lines[next])) break;
        list.loose = true;  // blank lines between items
        j = next;
      }
      if (!isSibling(lines[j])) break;
      const item = collectItem(lines, j, listMarker(lines[j]), depth);
      list.items.push(parseBlocks(item.lines, depth + 1));
      j = item.next;
    }
    blocks.push(list);
    return j;
  }

  // The lines of one list item, its marker and indentation removed. A line
  // belongs to it when indented to its text, when it is a list marker
  // indented further than this item's own (models indent sublists by two
  // spaces under "1. ", which CommonMark would not nest), or when it
  // lazily continues its last paragraph. Trailing blank lines are left out.
  function collectItem(lines, i, marker, depth) {
    const itemLines = [marker.empty ? '' : lines[i].slice(marker.content)];
    let next = i + 1;
    let afterBlank = false;
    for (let j = i + 1; j < lines.length; j++) {
      const line = lines[j];
      if (isBlank(line)) {
        itemLines.push('');
        afterBlank = true;
        continue;
      }
      const indent = leadingSpaces(line);
      const nestedMarker = indent > marker.indent && listMarker(line) !== null;
      if (indent >= marker.content || nestedMarker) {
        itemLines.push(stripIndent(line, marker.content));
      } else if (!afterBlank && !interruptsParagraph(line, depth) && !listMarker(line)) {
        itemLines.push(line.trim());
      } else {
        break;
      }
      afterBlank = false;
      next = j + 1;
    }
    itemLines.length = next - i;
    return { lines: itemLines, next };
  }

  function parseTable(lines, i, depth, blocks) {
    const alignments = delimiterRow(lines[i + 1]);
    const fit = (cells) => alignments.map((_, k) => cells[k] ?? '');
    const head = fit(splitCells(lines[i]));
    const rows = [];
    let j = i + 2;
    for (; j < lines.length; j++) {
      const line = lines[j];
      if (isBlank(line) || interruptsParagraph(line, depth)) break;
      rows.push(fit(splitCells(line)));
    }
    blocks.push({ type: 'table', alignments, head, rows });
    return j;
  }

  // ---- inline: tokens ----------------------------------------------------------
  //
  // A paragraph's text becomes a flat list of tokens:
  //   { kind: 'text', value }   { kind: 'code', value }   { kind: 'break' }
  //   { kind: 'link', href, title, children: tokens }
  //   { kind: 'delim', char, count, ... }  a run of * _ or ~ that may open
  //                                         or close emphasis
  // matchEmphasis then pairs the runs, and buildInline makes the DOM.

  // Where each "[" closes: one pass with a stack, so finding a link's end is
  // never a scan ahead from every bracket.
  function matchBrackets(text) {
    const closing = new Int32Array(text.length).fill(-1);
    const open = [];
    for (let k = 0; k < text.length; k++) {
      const ch = text[k];
      if (ch === '\\') k++;
      else if (ch === '[') open.push(k);
      else if (ch === ']' && open.length) closing[open.pop()] = k;
    }
    return closing;
  }

  // Finds the run of exactly n backticks that closes a code span. Runs are
  // indexed once by length and each length's cursor only moves forward, so
  // "`` ` `` ` ..." stays linear.
  function backtickRuns(text) {
    const startsByLength = new Map();
    for (let k = text.indexOf('`'); k >= 0; k = text.indexOf('`', k)) {
      let end = k;
      while (text[end] === '`') end++;
      const length = end - k;
      if (!startsByLength.has(length)) startsByLength.set(length, []);
      startsByLength.get(length).push(k);
      k = end;
    }
    const cursors = new Map();
    return {
      closer(from, length) {
        const starts = startsByLength.get(length);
        if (!starts) return -1;
        let c = cursors.get(length) || 0;
        while (c < starts.length && starts[c] < from) c++;
        cursors.set(length, c);
        return c < starts.length ? starts[c] : -1;
      },
    };
  }

  // The URL parser decides, as the browser will when the link is followed:
  // it lowercases the scheme and drops the tabs, newlines and leading
  // control characters that "java\tscript:" tricks rely on.
  function safeHref(raw) {
    if (!raw) return null;
    let url;
    try { url = new URL(raw); } catch { return null; }
    return SAFE_PROTOCOLS.has(url.protocol) ? url.href : null;
  }

  function skipLinkSpace(text, p, limit) {
    while (p < limit && (text[p] === ' ' || text[p] === '\t' || text[p] === '\n')) p++;
    return p;
  }

  // Reads `dest "title")` from just after "](": { destination, title, end }
  // or null. Bounded by MAX_LINK_SCAN characters.
  function parseLinkTarget(text, from) {
    const limit = Math.min(text.length, from + MAX_LINK_SCAN);
    let p = skipLinkSpace(text, from, limit);
    let destination = '';
    if (text[p] === '<') {
      p++;
      while (p < limit && text[p] !== '>' && text[p] !== '<' && text[p] !== '\n') {
        if (text[p] === '\\' && ASCII_PUNCTUATION.has(text[p + 1])) p++;
        destination += text[p++];
      }
      if (text[p] !== '>') return null;
      p++;
    } else {
      let depth = 0;
      while (p < limit && text[p] > ' ') {
        const ch = text[p];
        if (ch === '\\' && ASCII_PUNCTUATION.has(text[p + 1])) { destination += text[p + 1]; p += 2; continue; }
        if (ch === '(' && ++depth > 32) return null;
        if (ch === ')') {
          if (depth === 0) break;
          depth--;
        }
        destination += ch;
        p++;
      }
      if (depth !== 0) return null;
    }
    const afterDestination = p;
    p = skipLinkSpace(text, p, limit);
    let title = '';
    const quote = text[p];
    if (p > afterDestination && (quote === '"' || quote === "'" || quote === '(')) {
      const closer = quote === '(' ? ')' : quote;
      p++;
      while (p < limit && text[p] !== closer) {
        if (text[p] === '\\' && ASCII_PUNCTUATION.has(text[p + 1])) p++;
        title += text[p++];
      }
      if (p >= limit) return null;
      p = skipLinkSpace(text, p + 1, limit);
    }
    if (text[p] !== ')') return null;
    return { destination, title, end: p + 1 };
  }

  function looksLikeEmail(text) {
    const at = text.indexOf('@');
    return at > 0 && at === text.lastIndexOf('@') && text.indexOf('.', at) > at + 1
      && !text.endsWith('.') && !text.includes(':') && !text.includes('\\');
  }

  class InlineScanner {
    constructor(text, allowLinks) {
      this.text = text;
      this.allowLinks = allowLinks;        // false inside a link's text: links do not nest
      this.brackets = allowLinks ? matchBrackets(text) : null;
      this.backticks = backtickRuns(text);
      this.tokens = [];
      this.plainFrom = 0;                  // start of the plain text not yet emitted
    }

    scan() {
      const { text } = this;
      let i = 0;
      while (i < text.length) {
        const end = this.special(i);
        if (end > i) { this.plainFrom = end; i = end; } else i++;
      }
      this.emit(text.length, null);
      return this.tokens;
    }

    // Handles the construct at i and returns the index after it, or -1
    // when text[i] is plain text after all.
    special(i) {
      switch (this.text[i]) {
        case '\\': return this.escape(i);
        case '`': return this.codeSpan(i);
        case '*': case '_': case '~': return this.delimiterRun(i);
        case '[': return this.link(i, i);
        case '!': return this.text[i + 1] === '[' ? this.link(i + 1, i) : -1;
        case '<': return this.autolink(i);
        case '\n': return this.lineBreak(i);
        case 'h': case 'H': return this.bareUrl(i);
        default: return -1;
      }
    }

    // Emits the plain text before `at`, then token (if any).
    emit(at, token) {
      if (at > this.plainFrom) this.pushText(this.text.slice(this.plainFrom, at));
      this.plainFrom = at;
      if (!token) return;
      if (token.kind === 'text') this.pushText(token.value);
      else this.tokens.push(token);
    }

    pushText(value) {
      const last = this.tokens[this.tokens.length - 1];
      if (last && last.kind === 'text') last.value += value;
      else this.tokens.push({ kind: 'text', value });
    }

    escape(i) {
      const next = this.text[i + 1];
      if (next === '\n') { this.emit(i, null); return i + 1; }  // "\" at a line end: the break follows anyway
      if (!ASCII_PUNCTUATION.has(next)) return -1;
      this.emit(i, { kind: 'text', value: next });
      return i + 2;
    }

    codeSpan(i) {
      const { text } = this;
      let length = 0;
      while (text[i + length] === '`') length++;
      const close = this.backticks.closer(i + length, length);
      if (close < 0) {
        this.emit(i, { kind: 'text', value: '`'.repeat(length) });
        return i + length;
      }
      let value = text.slice(i + length, close).replace(/\n/g, ' ');
      if (value.length > 2 && value[0] === ' ' && value[value.length - 1] === ' ' && value.trim()) {
        value = value.slice(1, -1);
      }
      this.emit(i, { kind: 'code', value });
      return close + length;
    }

    // CommonMark's flanking rules decide whether a run may open or close;
    // "_" inside a word (snake_case) does neither.
    delimiterRun(i) {
      const { text } = this;
      const char = text[i];
      let end = i;
      while (text[end] === char) end++;
      if (char === '~' && end - i < 2) return -1;
      const before = text[i - 1];
      const after = text[end];
      const leftFlanking = !isSpace(after) && (!isPunctuation(after) || isSpace(before) || isPunctuation(before));
      const rightFlanking = !isSpace(before) && (!isPunctuation(before) || isSpace(after) || isPunctuation(after));
      let canOpen = leftFlanking;
      let canClose = rightFlanking;
      if (char === '_') {
        canOpen = leftFlanking && (!rightFlanking || isPunctuation(before));
        canClose = rightFlanking && (!leftFlanking || isPunctuation(after));
      }
      this.emit(i, {
        kind: 'delim', char, count: end - i, length: end - i, canOpen, canClose, opens: [], closes: [],
      });
      return end;
    }

    // [text](url) at bracket; for ![alt](url) start is the "!". An unsafe
    // URL leaves the whole construct as plain text.
    link(bracket, start) {
      if (!this.allowLinks) return -1;
      const { text } = this;
      const close = this.brackets[bracket];
      if (close < 0 || text[close + 1] !== '(') return -1;
      const target = parseLinkTarget(text, close + 2);
      if (!target) return -1;
      const href = safeHref(target.destination);
      if (!href) {
        this.emit(start, { kind: 'text', value: text.slice(start, target.end) });
        return target.end;
      }
      const children = inlineTokens(text.slice(bracket + 1, close), false);
      this.emit(start, { kind: 'link', href, title: target.title, children });
      return target.end;
    }

    // <https://...> or <name@example.com>.
    autolink(i) {
      if (!this.allowLinks) return -1;
      const { text } = this;
      const limit = Math.min(text.length, i + MAX_LINK_SCAN);
      let q = i + 1;
      while (q < limit && text[q] > ' ' && text[q] !== '>' && text[q] !== '<') q++;
      if (text[q] !== '>' || q === i + 1) return -1;
      const inside = text.slice(i + 1, q);
      const href = looksLikeEmail(inside) ? safeHref(`mailto:${inside}`)
        : /^[A-Za-z][A-Za-z0-9+.-]{1,31}:/.test(inside) ? safeHref(inside) : null;
      if (!href) return -1;
      this.emit(i, { kind: 'link', href, title: '', children: [{ kind: 'text', value: inside }] });
      return q + 1;
    }

    // A bare http(s) URL, without the punctuation that ends its sentence
    // or the ")" of a parenthesis around it.
    bareUrl(i) {
      if (!this.allowLinks || isAsciiAlnum(this.text[i - 1])) return -1;
      const { text } = this;
      const scheme = text.slice(i, i + 8).toLowerCase();
      if (!scheme.startsWith('http://') && !scheme.startsWith('https://')) return -1;
      const limit = Math.min(text.length, i + MAX_LINK_SCAN);
      let end = i;
      let opens = 0;
      let closes = 0;
      for (; end < limit && text[end] > ' ' && text[end] !== '<'; end++) {
        if (text[end] === '(') opens++;
        else if (text[end] === ')') closes++;
      }
      for (;;) {
        const last = text[end - 1];
        if ('.,:;!?\'"*_~'.includes(last)) end--;
        else if (last === ')' && closes > opens) { end--; closes--; }
        else break;
      }
      const url = text.slice(i, end);
      const href = safeHref(url);
      if (!href) return -1;
      this.emit(i, { kind: 'link', href, title: '', children: [{ kind: 'text', value: url }] });
      return end;
    }

    lineBreak(i) {
      this.emit(i, { kind: 'break' });
      let q = i + 1;
      while (this.text[q] === ' ') q++;
      return q;
    }
  }

  function inlineTokens(text, allowLinks) {
    const tokens = new InlineScanner(text, allowLinks).scan();
    matchEmphasis(tokens);
    return tokens;
  }

  // ---- inline: emphasis ----------------------------------------------------------
  //
  // CommonMark's delimiter algorithm: each closing run looks back for the
  // nearest run that can open with the same character; runs between a pair
  // are dropped, so pairs nest properly. The runs form a linked list, and a
  // failed search records how far down it looked (per character, "can also
  // open" and length mod 3), so no run is searched past twice for nothing.

  function matchEmphasis(tokens) {
    const runs = tokens.filter((t) => t.kind === 'delim');
    runs.forEach((run, k) => {
      run.index = k;
      run.prev = runs[k - 1] || null;
      run.next = runs[k + 1] || null;
    });
    const unlink = (run) => {
      if (run.prev) run.prev.next = run.next;
      if (run.next) run.next.prev = run.prev;
    };
    const searchedDownTo = new Map();
    for (let closer = runs[0]; closer; closer = closer.next) {
      if (!closer.canClose) continue;
      while (closer.count > 0) {
        const key = `${closer.char}${closer.canOpen}${closer.length % 3}`;
        const bottom = searchedDownTo.get(key) ?? -1;
        const opener = findOpener(closer, bottom);
        if (!opener) {
          searchedDownTo.set(key, closer.index - 1);
          break;
        }
        const used = closer.char === '~' || (opener.count >= 2 && closer.count >= 2) ? 2 : 1;
        const tag = closer.char === '~' ? 'del' : used === 2 ? 'strong' : 'em';
        opener.count -= used;
        closer.count -= used;
        opener.opens.push(tag);
        closer.closes.push(tag);
        opener.next = closer;  // drop the runs between the pair
        closer.prev = opener;
        if (opener.count === 0) unlink(opener);
      }
      if (closer.count === 0) unlink(closer);
    }
  }

  function findOpener(closer, bottom) {
    for (let run = closer.prev; run && run.index > bottom; run = run.prev) {
      if (run.char !== closer.char || !run.canOpen || run.count === 0) continue;
      if (run.char === '~') {
        if (run.count >= 2 && closer.count >= 2) return run;
        continue;
      }
      // The "multiple of 3" rule: in "*foo**bar*" the ** is not a closer
      // for the first *.
      const bothWays = run.canClose || closer.canOpen;
      if (bothWays && (run.length + closer.length) % 3 === 0 && (run.length % 3 !== 0 || closer.length % 3 !== 0)) {
        continue;
      }
      return run;
    }
    return null;
  }

  // ---- inline: DOM -----------------------------------------------------------------

  // Pairs nest, so a stack of open elements is enough. Past
  // MAX_INLINE_DEPTH no element is made and the text goes into the
  // deepest one. Adjacent text (a run left unpaired next to plain text)
  // becomes one Text node.
  function buildInline(tokens, parent, depth) {
    const stack = [parent];
    const top = () => stack[stack.length - 1];
    let text = '';
    const append = (node) => {
      if (text) top().append(text);
      text = '';
      if (node) top().append(node);
    };
    for (const token of tokens) {
      switch (token.kind) {
        case 'text': text += token.value; break;
        case 'code': append(element('code', null, token.value)); break;
        case 'break': append(document.createElement('br')); break;
        case 'link': append(buildLink(token, depth + stack.length)); break;
        case 'delim':
          if (token.closes.length) append(null);
          for (let k = 0; k < token.closes.length && stack.length > 1; k++) stack.pop();
          text += token.char.repeat(token.count);
          for (let k = token.opens.length - 1; k >= 0; k--) {
            append(null);
            if (depth + stack.length > MAX_INLINE_DEPTH) { stack.push(top()); continue; }
            const node = document.createElement(token.opens[k]);
            top().append(node);
            stack.push(node);
          }
          break;
        default: break;
      }
    }
    append(null);
  }

  function buildLink(token, depth) {
    const link = document.createElement('a');
    link.href = token.href;
    link.rel = 'noopener noreferrer';
    link.target = '_blank';
    if (token.title) link.title = token.title;
    buildInline(token.children, link, depth);
    if (!link.firstChild) link.append(token.href);
    return link;
  }

  function appendInline(parent, text) {
    buildInline(inlineTokens(text, true), parent, 0);
  }

  // ---- syntax colouring ------------------------------------------------------------
  //
  // A single forward scan that knows comments, strings, numbers and
  // keywords; enough to make code readable, not a parser.

  const C_KEYWORDS = 'auto break case char const continue default do double else enum extern float for goto if '
    + 'inline int long register restrict return short signed sizeof static struct switch typedef union unsigned '
    + 'void volatile while bool true false NULL';
  const CPP_KEYWORDS = `${C_KEYWORDS} alignas alignof catch class concept consteval constexpr constinit co_await `
    + 'co_return co_yield decltype delete explicit export final friend mutable namespace new noexcept nullptr '
    + 'operator override private protected public requires static_assert static_cast dynamic_cast '
    + 'reinterpret_cast const_cast template this thread_local throw try typeid typename using virtual';
  const JS_KEYWORDS = 'async await break case catch class const continue debugger default delete do else export '
    + 'extends false finally for from function if import in instanceof let new null of return static super switch '
    + 'this throw true try typeof undefined var void while with yield';
  const TS_KEYWORDS = `${JS_KEYWORDS} abstract any as boolean declare enum implements interface keyof namespace `
    + 'never number private protected public readonly string type unknown';

  const C_LIKE = { lineComment: '//', blockComment: ['/*', '*/'], quotes: '"\'' };
  const LANGUAGES = {
    c: { ...C_LIKE, keywords: C_KEYWORDS, directives: true },
    cpp: { ...C_LIKE, keywords: CPP_KEYWORDS, directives: true },
    js: { ...C_LIKE, keywords: JS_KEYWORDS, quotes: '"\'`' },
    ts: { ...C_LIKE, keywords: TS_KEYWORDS, quotes: '"\'`' },
    rust: {
      ...C_LIKE, quotes: '"',
      keywords: 'as async await break const continue crate dyn else enum extern false fn for if impl in let loop '
        + 'match mod move mut pub ref return self Self static struct super trait true type unsafe use where while '
        + 'Some None Ok Err',
    },
    go: {
      ...C_LIKE, quotes: '"\'`',
      keywords: 'break case chan const continue default defer else fallthrough for func go goto if import '
        + 'interface map package range return select struct switch type var true false nil iota',
    },
    python: {
      lineComment: '#', quotes: '"\'', tripleQuotes: true,
      keywords: 'False None True and as assert async await break class continue def del elif else except finally '
        + 'for from global if import in is lambda nonlocal not or pass raise return try while with yield',
    },
    sh: {
      lineComment: '#', quotes: '"\'', commentNeedsSpace: true,
      keywords: 'if then else elif fi for while until do done case esac function in return local export '
        + 'readonly declare unset shift exit break continue source alias set echo cd',
    },
    json: { quotes: '"', keywords: 'true false null' },
  };
  const ALIASES = {
    h: 'c', 'c++': 'cpp', cc: 'cpp', cxx: 'cpp', hpp: 'cpp', hh: 'cpp',
    javascript: 'js', jsx: 'js', mjs: 'js', cjs: 'js', node: 'js',
    typescript: 'ts', tsx: 'ts', rs: 'rust', golang: 'go', py: 'python', python3: 'python',
    bash: 'sh', shell: 'sh', zsh: 'sh', console: 'sh', shellscript: 'sh', jsonc: 'json',
  };
  for (const spec of Object.values(LANGUAGES)) spec.keywordSet = new Set(spec.keywords.split(' '));

  function languageSpec(name) {
    const key = String(name || '').toLowerCase();
    return LANGUAGES[ALIASES[key] || key] || null;
  }

  const isWordChar = (ch) => ch !== undefined && /[A-Za-z0-9_$]/.test(ch);

  function stringEnd(code, i, quote, multiline) {
    for (let k = i + 1; k < code.length; k++) {
      const ch = code[k];
      if (ch === '\\') k++;
      else if (ch === quote) return k + 1;
      else if (ch === '\n' && !multiline) return k;
    }
    return code.length;
  }

  // The kind and end of the token at i, or null for plain text.
  function codeToken(code, i, spec) {
    const ch = code[i];
    const prev = code[i - 1];
    if (spec.lineComment && code.startsWith(spec.lineComment, i) && !(spec.commentNeedsSpace && !isSpace(prev))) {
      const end = code.indexOf('\n', i);
      return { kind: 'comment', end: end < 0 ? code.length : end };
    }
    if (spec.blockComment && code.startsWith(spec.blockComment[0], i)) {
      const end = code.indexOf(spec.blockComment[1], i + 2);
      return { kind: 'comment', end: end < 0 ? code.length : end + 2 };
    }
    if (spec.quotes.includes(ch)) {
      if (spec.tripleQuotes && code.startsWith(ch.repeat(3), i)) {
        const end = code.indexOf(ch.repeat(3), i + 3);
        return { kind: 'string', end: end < 0 ? code.length : end + 3 };
      }
      return { kind: 'string', end: stringEnd(code, i, ch, ch === '`') };
    }
    if (isDigit(ch) && !isWordChar(prev)) {
      let end = i;
      while (end < code.length && (isWordChar(code[end]) || code[end] === '.')) end++;
      return { kind: 'number', end };
    }
    if (spec.directives && ch === '#') {
      let end = i + 1;
      while (isWordChar(code[end])) end++;
      return end > i + 1 ? { kind: 'keyword', end } : null;
    }
    if (isWordChar(ch) && !isWordChar(prev)) {
      let end = i;
      while (isWordChar(code[end])) end++;
      return { kind: spec.keywordSet.has(code.slice(i, end)) ? 'keyword' : null, end };
    }
    return null;
  }

  // Appends code to parent as text and <span class="tok-KIND"> nodes.
  function highlight(parent, code, language) {
    const spec = languageSpec(language);
    if (!spec || code.length > MAX_HIGHLIGHTED) {
      parent.append(code);
      return;
    }
    let plainFrom = 0;
    let i = 0;
    while (i < code.length) {
      const token = codeToken(code, i, spec);
      if (!token) { i++; continue; }
      if (token.kind) {
        if (i > plainFrom) parent.append(code.slice(plainFrom, i));
        parent.append(element('span', `tok-${token.kind}`, code.slice(i, token.end)));
        plainFrom = token.end;
      }
      i = Math.max(token.end, i + 1);
    }
    if (plainFrom < code.length) parent.append(code.slice(plainFrom));
  }

  // ---- blocks: DOM -------------------------------------------------------------------

  function buildCodeBlock(block) {
    const wrapper = element('div', 'code-block');
    const toolbar = element('div', 'code-toolbar');
    const language = block.language.slice(0, 40);
    toolbar.append(element('span', 'code-language', language || 'code'));
    const copy = element('button', 'code-copy', 'Copy');
    copy.type = 'button';
    copy.setAttribute('aria-label', language ? `Copy ${language} code` : 'Copy code');
    toolbar.append(copy);
    const pre = document.createElement('pre');
    const code = document.createElement('code');
    if (language) code.dataset.language = language;
    highlight(code, block.text, language);
    pre.append(code);
    wrapper.append(toolbar, pre);
    return wrapper;
  }

  function buildTable(block) {
    const scroller = element('div', 'table-scroll');
    const table = document.createElement('table');
    const row = (cells, tag) => {
      const tr = document.createElement('tr');
      cells.forEach((cell, k) => {
        const td = element(tag, block.alignments[k] ? `align-${block.alignments[k]}` : null);
        appendInline(td, cell);
        tr.append(td);
      });
      return tr;
    };
    const head = document.createElement('thead');
    head.append(row(block.head, 'th'));
    table.append(head);
    if (block.rows.length) {
      const body = document.createElement('tbody');
      for (const cells of block.rows) body.append(row(cells, 'td'));
      table.append(body);
    }
    scroller.append(table);
    return scroller;
  }

  // A tight list (no blank lines between items) shows an item's first
  // paragraph without <p>, so the items sit close together.
  function buildList(block) {
    const list = document.createElement(block.ordered ? 'ol' : 'ul');
    if (block.ordered && block.start !== 1) list.start = block.start;
    for (const children of block.items) {
      const item = document.createElement('li');
      let rest = children;
      if (!block.loose && children[0] && children[0].type === 'paragraph') {
        appendInline(item, children[0].text);
        rest = children.slice(1);
      }
      buildBlocks(rest, item);
      list.append(item);
    }
    return list;
  }

  function buildBlock(block) {
    switch (block.type) {
      case 'heading': {
        const heading = document.createElement(`h${block.level}`);
        appendInline(heading, block.text);
        return heading;
      }
      case 'paragraph': {
        const paragraph = document.createElement('p');
        appendInline(paragraph, block.text);
        return paragraph;
      }
      case 'rule': return document.createElement('hr');
      case 'code': return buildCodeBlock(block);
      case 'quote': {
        const quote = document.createElement('blockquote');
        buildBlocks(block.children, quote);
        return quote;
      }
      case 'list': return buildList(block);
      case 'table': return buildTable(block);
      default: return document.createTextNode('');
    }
  }

  function buildBlocks(blocks, parent) {
    for (const block of blocks) parent.append(buildBlock(block));
  }

  // Markdown text in, a DocumentFragment of plain DOM nodes out.
  function render(source) {
    const sourceLines = String(source ?? '').split(/\r\n|\r|\n/);
    const fragment = document.createDocumentFragment();
    buildBlocks(parseBlocks(sourceLines.map(expandLeadingTabs), 0, sourceLines), fragment);
    return fragment;
  }

  // ---- copy buttons ------------------------------------------------------------------

  function selectContents(node) {
    const selection = window.getSelection();
    if (!selection) return;
    const range = document.createRange();
    range.selectNodeContents(node);
    selection.removeAllRanges();
    selection.addRange(range);
  }

  // The Clipboard API needs a secure context (https, or localhost); over
  // plain http elsewhere, select the code and try the old copy command, and
  // failing that leave it selected for Ctrl+C.
  async function copyText(text, node) {
    if (navigator.clipboard && window.isSecureContext) {
      try {
        await navigator.clipboard.writeText(text);
        return 'copied';
      } catch { /* refused: fall back to the selection */ }
    }
    selectContents(node);
    try {
      if (document.execCommand('copy')) return 'copied';
    } catch { /* not supported */ }
    return 'selected';
  }

  const COPY_FEEDBACK = { copied: 'Copied', selected: 'Selected \u2014 press Ctrl+C' };
  const COPY_FEEDBACK_MS = 2000;

  async function copyCodeBlock(button) {
    const code = button.closest('.code-block')?.querySelector('code');
    if (!code) return;
    const result = await copyText(code.textContent, code);
    button.textContent = COPY_FEEDBACK[result];
    button.dataset.state = result;
    clearTimeout(button.copyResetTimer);
    button.copyResetTimer = setTimeout(() => {
      button.textContent = 'Copy';
      delete button.dataset.state;
    }, COPY_FEEDBACK_MS);
  }

  // One listener on the container serves every code block in it, those
  // rendered later included (answers are re-rendered as they stream).
  function enableCopyButtons(container) {
    container.addEventListener('click', (event) => {
      const button = event.target instanceof Element ? event.target.closest('.code-copy') : null;
      if (button && container.contains(button)) copyCodeBlock(button);
    });
  }

  window.clawbotMarkdown = Object.freeze({ render, enableCopyButtons });
})();
