// The parts of a three-node clawbot cluster for the cluster test, all real and
// all on loopback: redis-server (AOF fsynced on every write), `clawbot serve`
// nodes sharing it, and nginx running deploy/nginx/clawbot.conf with only its
// upstream addresses and listen port rewritten. Every process started here is
// killed when the test process exits, however it exits.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { startServer } from '../js/clawbot_server.mjs';

// ---------------------------------------------------------------- processes

const children = new Set();  // { child, exitSignal }
const tempDirs = new Set();

function track(child, exitSignal = 'SIGKILL') {
  const entry = { child, exitSignal };
  children.add(entry);
  child.once('exit', () => children.delete(entry));
  return child;
}

function killAllNow() {
  for (const { child, exitSignal } of children) {
    try { child.kill(exitSignal); } catch { /* already gone */ }
  }
  children.clear();
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

// Whatever ends this process (a failed assertion, a timeout's signal), nothing
// it started outlives it. nginx gets SIGTERM so that its master stops its
// workers; the rest SIGKILL.
process.on('exit', killAllNow);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(signal, () => { killAllNow(); process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGHUP' ? 1 : 15)); });
}

export function trackTempDir(dir) {
  tempDirs.add(dir);
  return dir;
}

export function alive(child) {
  return child && child.exitCode === null && child.signalCode === null;
}

export async function stopProcess(child, signal = 'SIGTERM', graceMs = 10_000) {
  if (!alive(child)) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

// A program from PATH or the sbin directories (nginx lives in /usr/sbin,
// which a non-root PATH may lack); null when it is not installed.
export function findProgram(name) {
  const dirs = [...(process.env.PATH || '').split(':'), '/usr/local/sbin', '/usr/sbin', '/sbin', '/usr/bin'];
  for (const dir of dirs) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch { /* next */ }
  }
  return null;
}

export function requireProgram(name, pkg) {
  const found = findProgram(name);
  if (!found) throw new Error(`${name} is not installed: apt-get install ${pkg} (scripts/test.sh installs it)`);
  return found;
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(what, timeoutMs, probe) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await probe();
    if (result) return result;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(50);
  }
}

// ---------------------------------------------------------------- redis

// One command over RESP on a fresh connection; resolves with the first reply
// line ("+PONG", "-LOADING ...", "$5" ...) and the raw text, or null when the
// connection fails.
export function redisCommand(port, args, timeoutMs = 2000) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let data = '';
    const done = (value) => { socket.destroy(); clearTimeout(timer); resolve(value); };
    const timer = setTimeout(() => done(null), timeoutMs);
    socket.on('connect', () => {
      socket.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`);
    });
    socket.on('data', (chunk) => {
      data += chunk.toString('utf8');
      // Enough for what the test asks: simple replies, errors, and small
      // arrays of bulk strings (CONFIG GET) that arrive in one piece.
      if (/^[+\-:]/.test(data) && data.endsWith('\r\n')) return done(data.trim());
      if (/^\*\d+\r\n/.test(data) && data.split('\r\n').length >= 1 + 2 * Number(/^\*(\d+)/.exec(data)[1])) return done(data);
    });
    socket.on('error', () => done(null));
  });
}

export class Redis {
  constructor(dir) {
    this.binary = requireProgram('redis-server', 'redis-server');
    this.dir = dir;
    this.port = 0;
    this.child = null;
    this.log = [];
  }

  get url() { return `redis://127.0.0.1:${this.port}/0`; }

  async start() {
    for (let attempt = 0; attempt < 5; ++attempt) {
      if (!this.port || attempt > 0) this.port = await freePort();
      if (await this.launch()) return;
    }
    throw new Error(`redis-server did not start:\n${this.log.join('')}`);
  }

  // Same port and directory: Redis replays its append-only file.
  async restart() {
    if (!(await this.launch())) throw new Error(`redis-server did not restart:\n${this.log.join('').slice(-3000)}`);
  }

  async launch() {
    // The durability clawbot's acknowledgements rely on: every write is in the
    // AOF and fsynced before Redis answers it. No RDB snapshots.
    const child = spawn(this.binary, ['--port', String(this.port), '--bind', '127.0.0.1', '--appendonly', 'yes',
      '--appendfsync', 'always', '--save', '', '--dir', this.dir, '--daemonize', 'no', '--protected-mode', 'yes'],
    { stdio: ['ignore', 'pipe', 'pipe'] });
    track(child);
    child.stdout.on('data', (c) => this.log.push(c.toString()));
    child.stderr.on('data', (c) => this.log.push(c.toString()));
    this.child = child;
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (!alive(child)) return false;  // e.g. the port was taken meanwhile
      const reply = await redisCommand(this.port, ['PING'], 500);
      if (reply === '+PONG') return true;
      await sleep(50);
    }
    await stopProcess(child, 'SIGKILL');
    return false;
  }

  // As a crash: nothing beyond what was fsynced survives.
  async kill() { await stopProcess(this.child, 'SIGKILL'); }
}

// ---------------------------------------------------------------- clawbot nodes

export class Node {
  constructor(index, bin, args) {
    this.index = index;
    this.bin = bin;
    this.args = args;
    this.log = [];
    this.child = null;
    this.url = null;
    this.port = 0;
  }

  get addr() { return `127.0.0.1:${this.port}`; }

  async start() {
    const server = startServer(this.bin, this.args, this.log);
    this.child = track(server.child);
    this.url = await server.url;
    this.port = Number(new URL(this.url).port);
  }

  // SIGTERM (clawbot drains, then exits); how it exited.
  async stop() {
    await stopProcess(this.child);
    return { code: this.child?.exitCode ?? null, signal: this.child?.signalCode ?? null };
  }
}

// ---------------------------------------------------------------- nginx

// deploy/nginx/clawbot.conf with the example upstream servers replaced by
// `nodes` (their parameters kept), the listen port by `listenPort`, and, for
// `roundRobin`, the hash line removed. Throws when the file no longer has the
// shape this relies on, so the test cannot silently run another config.
export function rewriteNginxConf(text, { nodes, listenPort, roundRobin = false }) {
  const serverLine = /^([ \t]*)server[ \t]+10\.0\.0\.\d+:18789\b([^;\n]*);[^\n]*\n/gm;
  const servers = [...text.matchAll(serverLine)];
  if (servers.length !== 3) throw new Error(`expected 3 example 'server 10.0.0.x:18789' lines, found ${servers.length}`);
  const [indent, params] = [servers[0][1], servers[0][2]];
  let out = text.replace(serverLine, (match, ind, p, offset) => (offset === servers[0].index
    ? nodes.map((n) => `${indent}server ${n}${params};\n`).join('')
    : ''));
  const listen = /^([ \t]*)listen[ \t]+18789;/gm;
  if ((out.match(listen) || []).length !== 1) throw new Error("expected one 'listen 18789;' line");
  out = out.replace(listen, `$1listen 127.0.0.1:${listenPort};`);
  const hash = /^[ \t]*hash[ \t]+\$clawbot_affinity[ \t]+consistent;[^\n]*\n/gm;
  if ((out.match(hash) || []).length !== 1) throw new Error("expected one 'hash $clawbot_affinity consistent;' line");
  if (roundRobin) out = out.replace(hash, '');
  return out;
}

// One nginx instance in its own prefix directory, with a wrapper nginx.conf
// that supplies what an http-context include needs around it: pid and temp
// paths of its own, one worker, and an access log (JSON lines) naming, for
// every request, the node(s) it was passed to.
export class Nginx {
  constructor(dir, confText, name) {
    this.binary = requireProgram('nginx', 'nginx');
    this.dir = dir;
    this.name = name;
    this.confText = confText;
    this.port = 0;
    this.child = null;
    this.output = [];
  }

  get url() { return `http://127.0.0.1:${this.port}`; }
  get accessLogPath() { return path.join(this.dir, 'access.log'); }
  get errorLogPath() { return path.join(this.dir, 'error.log'); }

  writeConfig(nodes) {
    fs.mkdirSync(path.join(this.dir, 'tmp'), { recursive: true });
    // nginx's workers run as an unprivileged user when the test is root;
    // they must reach their temp directories.
    fs.chmodSync(this.dir, 0o755);
    fs.chmodSync(path.join(this.dir, 'tmp'), 0o755);
    const include = path.join(this.dir, 'clawbot.conf');
    fs.writeFileSync(include, rewriteNginxConf(this.confText, { nodes, listenPort: this.port, roundRobin: this.name === 'round-robin' }));
    const t = (p) => path.join(this.dir, 'tmp', p);
    fs.writeFileSync(path.join(this.dir, 'nginx.conf'), `# written by tests/cluster/cluster_env.mjs
worker_processes 1;
pid ${path.join(this.dir, 'nginx.pid')};
error_log ${this.errorLogPath} info;
events { worker_connections 1024; }
http {
    client_body_temp_path ${t('client_body')};
    proxy_temp_path ${t('proxy')};
    fastcgi_temp_path ${t('fastcgi')};
    uwsgi_temp_path ${t('uwsgi')};
    scgi_temp_path ${t('scgi')};
    log_format cluster escape=json '{"t":"$msec","id":"$http_x_test_request","method":"$request_method",'
        '"uri":"$request_uri","status":"$status","upstream":"$upstream_addr",'
        '"upstream_status":"$upstream_status","conversation":"$http_x_conversation_id"}';
    access_log ${this.accessLogPath} cluster;
    include ${include};
}
`);
  }

  async start(nodes) {
    for (let attempt = 0; attempt < 5; ++attempt) {
      this.port = await freePort();
      this.writeConfig(nodes);
      const conf = path.join(this.dir, 'nginx.conf');
      const test = spawnSync(this.binary, ['-t', '-p', this.dir, '-c', conf, '-e', this.errorLogPath], { encoding: 'utf8' });
      if (test.status !== 0) throw new Error(`nginx -t refused the config:\n${test.stdout}${test.stderr}`);
      const child = spawn(this.binary, ['-p', this.dir, '-c', conf, '-e', this.errorLogPath, '-g', 'daemon off;'],
        { stdio: ['ignore', 'pipe', 'pipe'] });
      track(child, 'SIGTERM');
      child.stdout.on('data', (c) => this.output.push(c.toString()));
      child.stderr.on('data', (c) => this.output.push(c.toString()));
      this.child = child;
      const listening = await waitFor(`nginx (${this.name}) listening`, 10_000, async () => {
        if (!alive(child)) return 'exited';
        return (await canConnect(this.port)) ? 'up' : null;
      });
      if (listening === 'up') return;
    }
    throw new Error(`nginx (${this.name}) did not start:\n${this.output.join('')}\n${this.errorLog()}`);
  }

  async stop() { await stopProcess(this.child, 'SIGTERM'); }

  errorLog() {
    try { return fs.readFileSync(this.errorLogPath, 'utf8'); } catch { return ''; }
  }

  // The access log so far, as objects; `upstreams` lists the nodes tried in order.
  accessLog() {
    let text = '';
    try { text = fs.readFileSync(this.accessLogPath, 'utf8'); } catch { return []; }
    return text.split('\n').filter(Boolean).map((line) => {
      const entry = JSON.parse(line);
      entry.upstreams = entry.upstream.split(',').map((s) => s.trim()).filter(Boolean);
      entry.upstreamStatuses = entry.upstream_status.split(',').map((s) => s.trim()).filter(Boolean);
      return entry;
    });
  }
}

function canConnect(port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}
