// Starting and stopping the real `clawbot` binary for the JavaScript tests
// (the browser test and the official openai client test).
import { spawn, execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const START_TIMEOUT_MS = 60_000;

export function run(file, args, timeoutMs) {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: timeoutMs }, (err, stdout, stderr) => {
      if (err) {
        reject(new Error(`${path.basename(file)} ${args.join(' ')} failed: ${err.message}\n${stdout}${stderr}`));
      } else {
        resolve(`${stdout}\n${stderr}`);
      }
    });
  });
}

// Starts `BIN serve --port 0 ...` (args include "serve") and resolves with
// its base URL once it prints "listening on http://127.0.0.1:PORT"; `env`
// is added to the environment.
export function startServer(bin, args, log, env = {}) {
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  const url = new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(
      () => reject(new Error(`server did not print its address in ${START_TIMEOUT_MS} ms:\n${seen}`)),
      START_TIMEOUT_MS);
    const onData = (chunk) => {
      const text = chunk.toString('utf8');
      log.push(text);
      seen += text;
      const match = /listening on (http:\/\/127\.0\.0\.1:(\d+))/.exec(seen);
      if (match) { clearTimeout(timer); resolve(match[1]); }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', (err) => { clearTimeout(timer); reject(err); });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`server exited early (code ${code}, signal ${signal}):\n${seen}`));
    });
  });
  return { child, url };
}

export async function stopServer(child) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}


// Starts the service under test: `serve` with `args` (which name the model
// with --model-path). With CLAWBOT_TEST_PROVIDER=openai the same tests run
// against cloud mode: a second clawbot in local mode with that model becomes
// the upstream, and the server under test answers through it
// (PROVIDER=openai), so every answer must come back unchanged.
export async function startService(bin, args, log) {
  if (process.env.CLAWBOT_TEST_PROVIDER !== 'openai') {
    const server = startServer(bin, args, log);
    return { child: server.child, url: server.url, upstream: null };
  }
  const at = args.indexOf('--model-path');
  if (at < 0) throw new Error('startService: cloud mode needs --model-path in args for its upstream');
  const model = args[at + 1];
  const upstreamDir = fs.mkdtempSync(path.join(os.tmpdir(), 'clawbot-upstream-'));
  const upstreamConfig = path.join(upstreamDir, 'config.env');
  const init = await run(bin, ['init', '--config', upstreamConfig, '--data-dir', path.join(upstreamDir, 'data')], 30_000);
  const key = /cb_[A-Za-z0-9_-]{20,}/.exec(init);
  if (!key) throw new Error(`no token from the upstream's init:\n${init}`);
  const upstreamLog = [];
  const upstream = startServer(bin, ['serve', '--config', upstreamConfig, '--model-path', model, '--port', '0',
    '--ctx-size', '1024'], upstreamLog);
  const upstreamUrl = await upstream.url;
  const cloudArgs = [...args.slice(0, at), ...args.slice(at + 2), '--provider', 'openai',
    '--upstream-url', `${upstreamUrl}/v1`, '--upstream-model', path.basename(model, '.gguf')];
  // The key travels in the environment, as in a systemd unit's config: never in argv.
  const server = startServer(bin, cloudArgs, log, { API_KEY: key[0] });
  upstream.child.once('exit', () => fs.rmSync(upstreamDir, { recursive: true, force: true }));
  const url = await server.url;
  if (!log.join('').includes('cloud mode: answers come from')) throw new Error(`not in cloud mode:\n${log.join('')}`);
  return { child: server.child, url, upstream: upstream.child };
}

export async function stopService(service) {
  if (!service) return;
  await stopServer(service.child);
  await stopServer(service.upstream);
}
