// Starting and stopping the real `clawbot` binary for the JavaScript tests
// (the browser test and the official openai client test).
import { spawn, execFile } from 'node:child_process';
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
// its base URL once it prints "listening on http://127.0.0.1:PORT".
export function startServer(bin, args, log) {
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
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

