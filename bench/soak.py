#!/usr/bin/env python3
"""Soak test (not in CI): runs the real clawbot for N minutes under mixed
traffic, floods and abrupt client kills, and reports the server's RSS,
threads, open fds and the error count over time.

Traffic, all on loopback, each loop bounded in rate and stopped at the end:
  chat       authenticated chats, half streamed, some continuing a conversation
  history    conversation listing and reads
  kill       streams whose client vanishes mid-answer (socket closed, no FIN wait)
  unauth     POSTs announcing a 1 MiB body with no token (must be refused at the header)
  junk       made-up methods, smuggling attempts, oversized headers
  silent     connections that send nothing (must be closed by the request-line timeout)
An "error" is a request whose answer is not one of the statuses its kind
expects (a 5xx, a hang, a reset), or a /healthz probe that fails.

usage: bench/soak.py [--minutes N] [--binary build/clawbot] [--model M] [--out bench/out/soak.csv]
"""
import argparse, json, os, random, socket, subprocess, sys, tempfile, threading, time

def rss_threads_fds(pid):
    rss = threads = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"): rss = int(line.split()[1]) * 1024
            if line.startswith("Threads:"): threads = int(line.split()[1])
    return rss, threads, len(os.listdir(f"/proc/{pid}/fd"))

class Soak:
    def __init__(self, port, token, stop_at):
        self.port, self.token, self.stop_at = port, token, stop_at
        self.lock = threading.Lock()
        self.counts, self.errors = {}, {}
        self.conversations = []

    def note(self, kind, ok, detail=""):
        with self.lock:
            self.counts[kind] = self.counts.get(kind, 0) + 1
            if not ok:
                self.errors[kind] = self.errors.get(kind, 0) + 1
                if self.errors[kind] <= 3: print(f"  error in {kind}: {detail}", file=sys.stderr)

    def request(self, raw, timeout=60.0, read=True):
        s = socket.create_connection(("127.0.0.1", self.port), timeout=timeout)
        try:
            s.sendall(raw)
            if not read: return s
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk: break
                data += chunk
            return data
        finally:
            if read: s.close()

    def http(self, method, path, body=None, token=True, timeout=60.0):
        head = f"{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        if token: head += f"Authorization: Bearer {self.token}\r\n"
        payload = json.dumps(body).encode() if body is not None else b""
        if body is not None: head += f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n"
        data = self.request(head.encode() + b"\r\n" + payload, timeout)
        status = int(data[9:12]) if data.startswith(b"HTTP/1.1 ") else 0
        return status, data

    def loop(self, kind, pause, body):
        while time.time() < self.stop_at:
            try:
                body()
            except Exception as e:  # a reset or a hang where an answer was due
                self.note(kind, False, repr(e))
            time.sleep(pause)

    def chat(self):
        req = {"query": random.choice(["Once upon a time", "Tell me about a cat", "Why is the sky blue?"]),
               "max_tokens": random.randint(8, 48), "stream": random.random() < 0.5}
        if self.conversations and random.random() < 0.5: req["conversation_id"] = random.choice(self.conversations)
        status, data = self.http("POST", "/api/v1/chat", req)
        self.note("chat", status in (200, 429), status)
        if status == 200 and not req["stream"]:
            cid = json.loads(data.split(b"\r\n\r\n", 1)[1])["conversation_id"]
            with self.lock:
                self.conversations.append(cid)
                del self.conversations[:-50]

    def history(self):
        status, _ = self.http("GET", "/api/v1/conversations?limit=20")
        self.note("history", status == 200, status)

    def kill(self):
        body = json.dumps({"query": "Once upon a time", "max_tokens": 200, "stream": True}).encode()
        raw = (f"POST /api/v1/chat HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {self.token}\r\n"
               f"Content-Length: {len(body)}\r\n\r\n").encode() + body
        s = self.request(raw, read=False)
        s.recv(256)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")  # RST on close
        s.close()
        self.note("kill", True)

    def unauth(self):
        data = self.request(b"POST /api/v1/chat HTTP/1.1\r\nHost: x\r\nContent-Length: 1048576\r\n\r\n", timeout=5)
        self.note("unauth", data.startswith(b"HTTP/1.1 401"), data[:40])

    def junk(self):
        raw = random.choice([b"BREW /x HTTP/1.1\r\nHost: x\r\n\r\n",
                             b"POST /api/v1/chat HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\nGET / HTTP/1.1\r\n\r\n",
                             b"GET / HTTP/1.1\r\nHost: x\r\nX: " + b"a" * 20000 + b"\r\n\r\n",
                             b"GET /\x00 HTTP/1.1\r\n\r\n"])
        data = self.request(raw, timeout=5)
        self.note("junk", data[9:12] in (b"400", b"401", b"431", b"501"), data[:40])

    def silent(self):
        socks = [socket.create_connection(("127.0.0.1", self.port)) for _ in range(20)]
        time.sleep(3)
        for s in socks: s.close()
        self.note("silent", True)

    def probe(self):
        status, _ = self.http("GET", "/healthz", token=False, timeout=5)
        self.note("probe", status == 200, status)

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=10)
    ap.add_argument("--binary", default="build/clawbot")
    ap.add_argument("--model", default="../shared/models/stories260K.gguf")
    ap.add_argument("--out", default="bench/out/soak.csv")
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="clawbot-soak-")
    init = subprocess.run([args.binary, "init", "--config", f"{work}/c.env", "--data-dir", f"{work}/data"],
                          capture_output=True, text=True, check=True)
    token = next(w for w in (init.stdout + init.stderr).split() if w.startswith("cb_"))
    server = subprocess.Popen([args.binary, "serve", "--config", f"{work}/c.env", "--model-path", args.model,
                               "--port", "0", "--request-line-timeout-s", "2", "--log-file", f"{work}/log"],
                              stderr=subprocess.PIPE, text=True)
    port = None
    for line in server.stderr:
        if "listening on" in line:
            port = int(line.rsplit(":", 1)[1]); break
    threading.Thread(target=lambda: server.stderr.read(), daemon=True).start()
    stop_at = time.time() + args.minutes * 60
    soak = Soak(port, token, stop_at)
    plan = [("chat", 0.0, soak.chat)] * 4 + [("history", 0.5, soak.history), ("kill", 1.0, soak.kill),
            ("unauth", 0.05, soak.unauth), ("junk", 0.05, soak.junk), ("silent", 1.0, soak.silent),
            ("probe", 1.0, soak.probe)]
    threads = [threading.Thread(target=soak.loop, args=p, daemon=True) for p in plan]
    for t in threads: t.start()
    os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
    start = time.time()
    with open(args.out, "w") as out:
        out.write("seconds,rss_mb,threads,fds,requests,errors\n")
        while time.time() < stop_at + 1:
            rss, nthreads, fds = rss_threads_fds(server.pid)
            with soak.lock:
                requests, errors = sum(soak.counts.values()), sum(soak.errors.values())
            row = f"{time.time() - start:.0f},{rss / 2**20:.1f},{nthreads},{fds},{requests},{errors}"
            out.write(row + "\n"); out.flush(); print(row)
            time.sleep(10)
    for t in threads: t.join(timeout=90)
    server.terminate(); server.wait(timeout=60)
    print("counts:", soak.counts)
    print("errors:", soak.errors or "none")
    print("server exit:", server.returncode)

if __name__ == "__main__":
    main()
