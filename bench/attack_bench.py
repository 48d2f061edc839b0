#!/usr/bin/env python3
"""The red team's measurements from issue 10, against the real binary on
loopback (not in CI; figures go in notes, never in tests):

  unauth   RSS before and after N connections that announce a 1 MiB body
           without a token and try to send it
  methods  60,000 requests with made-up methods: RSS growth, /metrics size
           and render time
  prompts  /healthz latency (median, max over 200 probes) while six 800 KB
           prompts are being prepared
  flood    /healthz success while one client holds every connection it may
           (probes from another loopback address) and while many addresses
           hold every ordinary slot (probes use the reserved ones)

usage: bench/attack_bench.py [--binary build/clawbot] [--model M] [which ...]
"""
import argparse, json, os, socket, statistics, subprocess, sys, tempfile, threading, time

def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"): return int(line.split()[1]) / 1024
    return 0

class Server:
    def __init__(self, binary, model, extra):
        self.dir = tempfile.mkdtemp(prefix="clawbot-bench-")
        out = subprocess.run([binary, "init", "--config", f"{self.dir}/c.env", "--data-dir", f"{self.dir}/data"],
                             capture_output=True, text=True, check=True)
        self.token = next(w for w in (out.stdout + out.stderr).split() if w.startswith("cb_"))
        self.proc = subprocess.Popen([binary, "serve", "--config", f"{self.dir}/c.env", "--model-path", model,
                                      "--port", "0", "--log-file", f"{self.dir}/log", *extra],
                                     stderr=subprocess.PIPE, text=True)
        for line in self.proc.stderr:
            if "listening on" in line:
                self.port = int(line.rsplit(":", 1)[1]); break
        threading.Thread(target=self.proc.stderr.read, daemon=True).start()

    def stop(self):
        self.proc.terminate(); self.proc.wait(timeout=60)

    def get(self, path, source="127.0.0.1", timeout=5, auth=True):
        s = socket.socket(); s.settimeout(timeout); s.bind((source, 0)); s.connect(("127.0.0.1", self.port))
        head = f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        if auth: head += f"Authorization: Bearer {self.token}\r\n"
        s.sendall((head + "\r\n").encode())
        data = b""
        while True:
            b = s.recv(1 << 20)
            if not b: break
            data += b
        s.close()
        return data

def unauth(binary, model, counts=(300, 1000)):
    import resource
    resource.setrlimit(resource.RLIMIT_NOFILE, (4096, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
    for n in counts:
        srv = Server(binary, model, ["--connection-limit-exempt", "127.0.0.1"])
        time.sleep(0.5)
        before = rss_mb(srv.proc.pid)
        socks, refused = [], 0
        chunk = b"x" * 65536
        for _ in range(n):
            s = socket.create_connection(("127.0.0.1", srv.port)); s.setblocking(False)
            s.send(b"POST /api/v1/chat HTTP/1.1\r\nHost: x\r\nContent-Length: 1048576\r\n\r\n")
            socks.append(s)
        for s in socks:  # push as much of the body as the socket takes
            try:
                for _ in range(16): s.send(chunk)
            except (BlockingIOError, BrokenPipeError, ConnectionResetError):
                refused += 1
        time.sleep(1)
        peak = rss_mb(srv.proc.pid)
        print(f"unauth {n} connections: RSS {before:.0f} -> {peak:.0f} MB; {refused} could not send their whole body")
        for s in socks: s.close()
        srv.stop()

def methods(binary, model, n=60000):
    srv = Server(binary, model, [])
    before = rss_mb(srv.proc.pid)
    def worker(lo, hi):
        for i in range(lo, hi):
            s = socket.create_connection(("127.0.0.1", srv.port))
            s.sendall(f"M{i:06d}X /healthz HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            s.recv(4096); s.close()
    threads = [threading.Thread(target=worker, args=(k * n // 4, (k + 1) * n // 4)) for k in range(4)]
    for t in threads: t.start()
    for t in threads: t.join()
    t0 = time.time(); body = srv.get("/metrics"); took = time.time() - t0
    print(f"methods {n}: RSS {before:.0f} -> {rss_mb(srv.proc.pid):.0f} MB; /metrics {len(body) / 1024:.1f} KiB in {took * 1000:.1f} ms")
    srv.stop()

def prompts(binary, model):
    srv = Server(binary, model, ["--ctx-size", "256", "--max-body-bytes", "2000000"])
    big = json.dumps({"query": "Once upon a time " * 47000, "max_tokens": 1}).encode()  # ~800 KB
    def post():
        s = socket.create_connection(("127.0.0.1", srv.port))
        s.sendall(f"POST /api/v1/chat HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {srv.token}\r\nConnection: close\r\n"
                  f"Content-Length: {len(big)}\r\n\r\n".encode() + big)
        while s.recv(65536): pass
        s.close()
    def probes():
        lat = []
        for _ in range(200):
            t0 = time.time(); srv.get("/healthz", auth=False); lat.append((time.time() - t0) * 1000); time.sleep(0.01)
        return lat
    idle = probes()
    stop = threading.Event()
    def keep_posting():  # six prompts in flight for the whole probe run
        while not stop.is_set(): post()
    posters = [threading.Thread(target=keep_posting) for _ in range(6)]
    for t in posters: t.start()
    busy = probes()
    stop.set()
    for t in posters: t.join()
    print(f"prompts: /healthz idle median {statistics.median(idle):.2f} ms max {max(idle):.1f}; "
          f"with six 800 KB prompts median {statistics.median(busy):.2f} ms max {max(busy):.1f} ms")
    srv.stop()

def flood(binary, model):
    srv = Server(binary, model, ["--max-connections", "400", "--reserved-ops-connections", "16"])
    held = []
    for _ in range(300):  # one client, past its cap of 256
        try: held.append(socket.create_connection(("127.0.0.1", srv.port)))
        except OSError: break
    ok = sum(srv.get("/healthz", source="127.0.0.2").startswith(b"HTTP/1.1 200") for _ in range(15))
    print(f"flood one client (300 silent connections): /healthz from another address {ok}/15")
    for s in held: s.close()
    time.sleep(0.5)
    held = []
    for i in range(384):  # every ordinary slot, from 48 addresses
        s = socket.socket(); s.bind((f"127.0.1.{i % 48 + 1}", 0)); s.connect(("127.0.0.1", srv.port)); held.append(s)
    time.sleep(0.3)
    ok = sum(srv.get("/healthz", source="127.0.0.1").startswith(b"HTTP/1.1 200") for _ in range(15))
    ok_metrics = sum(srv.get("/metrics", source="127.0.0.1").startswith(b"HTTP/1.1 200") for _ in range(15))
    print(f"flood 48 addresses (384 silent connections, every ordinary slot): /healthz {ok}/15, /metrics {ok_metrics}/15")
    for s in held: s.close()
    srv.stop()

if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default="build/clawbot")
    ap.add_argument("--model", default="../shared/models/stories260K.gguf")
    ap.add_argument("which", nargs="*", default=["unauth", "methods", "prompts", "flood"])
    a = ap.parse_args()
    for w in a.which: globals()[w](a.binary, a.model)
