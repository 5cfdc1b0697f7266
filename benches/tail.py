#!/usr/bin/env python3
"""`sse tail` over loopback beside `curl -sN`, in one run: python3 benches/tail.py

Needs a release build (`cargo build --release`), curl and GNU time (/usr/bin/time).
The emitter is a separate process so that its timing never waits on this one.

(a) is `cargo bench --bench parser`. This script measures:
(b) throughput: 1,000,000 events of 100 bytes, `curl -sN URL -o /dev/null` against
    `sse tail URL --json --no-reconnect > /dev/null`, 9 runs of each alternating,
    the ratio of the medians; then the same with the body sent chunked, as most
    servers send it;
(c) latency: one event every 10 ms carrying its send time; the delay from the
    emitter's write to the line arriving on each client's stdout, p50 and p99
    (medians of three alternating runs);
(d) one data line of 8 MiB and of 64 MiB (limit raised): time and peak memory, and
    peak memory for 10,000 against 1,000,000 events (flat in stream length).
"""

import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# SSE_BIN=path/to/sse measures another build (an older commit's, for a before/after).
SSE = os.environ.get("SSE_BIN") or os.path.join(ROOT, "target", "release", "sse")
RUNS = 9
HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n"
CHUNKED_HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nTransfer-Encoding: chunked\r\n\r\n"
CHUNK = 16 * 1024


def make_stream(path, events):
    with open(path, "wb") as f:
        for i in range(events):
            head = ('id: %d\ndata: {"seq":%d,"msg":"' % (i, i)).encode()
            f.write(head + b"x" * (100 - len(head) - 4) + b'"}\n\n')


def make_line(path, size):
    with open(path, "wb") as f:
        f.write(b"data: ")
        block = b"x" * (1 << 20)
        for _ in range(size >> 20):
            f.write(block)
        f.write(b"\n\n")


def emit(mode, arg, port_file):
    """Runs in a child process: serve `mode` to every connection, forever."""
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    with open(port_file, "w") as f:
        f.write(str(listener.getsockname()[1]))
    while True:
        conn, _ = listener.accept()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn.recv(65536)
        try:
            conn.sendall(CHUNKED_HEAD if mode == "chunked" else HEAD)
            if mode == "chunked":
                # What most servers send: the body in chunks (16 KiB here), then the last.
                with open(arg, "rb") as f:
                    while True:
                        piece = f.read(CHUNK)
                        if not piece:
                            break
                        conn.sendall(b"%x\r\n%s\r\n" % (len(piece), piece))
                conn.sendall(b"0\r\n\r\n")
            elif mode == "file":
                with open(arg, "rb") as f:
                    conn.sendfile(f)
            elif mode == "tick":
                for i in range(int(arg)):
                    conn.sendall(b"data: %d\n\n" % time.time_ns())
                    time.sleep(0.01)
        except OSError:
            pass
        conn.close()


class Emitter:
    def __init__(self, mode, arg):
        fd, self.port_file = tempfile.mkstemp()
        os.close(fd)
        os.unlink(self.port_file)
        self.proc = subprocess.Popen([sys.executable, __file__, "emit", mode, str(arg), self.port_file])
        while not os.path.exists(self.port_file) or not open(self.port_file).read():
            time.sleep(0.01)
        self.url = "http://127.0.0.1:%s/events" % open(self.port_file).read()

    def close(self):
        self.proc.kill()
        self.proc.wait()
        os.unlink(self.port_file)


def timed(cmd, stdout=subprocess.DEVNULL):
    """(seconds, peak RSS in KiB) of a command: wall time to the microsecond around GNU
    time, which reports the peak of the command alone (a child forked from Python would
    count Python's own pages)."""
    start = time.perf_counter()
    out = subprocess.run(["/usr/bin/time", "-f", "%M"] + cmd, stdout=stdout, stderr=subprocess.PIPE)
    seconds = time.perf_counter() - start
    if out.returncode != 0:
        sys.exit("%s exited with %d" % (" ".join(cmd), out.returncode))
    return seconds, int(out.stderr.decode().strip().splitlines()[-1])


def best(cmd, runs=5):
    results = [timed(cmd) for _ in range(runs)]
    return min(r[0] for r in results), max(r[1] for r in results)


def latency(cmd, parse, events):
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, bufsize=0)
    delays = []
    for raw in iter(proc.stdout.readline, b""):
        now = time.time_ns()
        sent = parse(raw)
        if sent is not None:
            delays.append((now - sent) / 1e6)
        if len(delays) == events:
            break
    proc.kill()
    proc.wait()
    delays.sort()
    return statistics.median(delays), delays[int(len(delays) * 0.99) - 1]


def main():
    if not os.path.exists(SSE):
        sys.exit("build first: cargo build --release")
    work = tempfile.mkdtemp(prefix="sse-bench-")
    print("machine: %d cores, %s" % (os.cpu_count(), os.uname().machine))

    stream = os.path.join(work, "stream.txt")
    make_stream(stream, 1_000_000)
    size = os.path.getsize(stream)
    e = Emitter("file", stream)
    # Alternating runs, so that both see the same machine (a shared one drifts).
    curl_runs, sse_runs = [], []
    for _ in range(RUNS):
        curl_runs.append(timed(["curl", "-sN", e.url, "-o", "/dev/null"]))
        sse_runs.append(timed([SSE, "tail", e.url, "--json", "--no-reconnect"]))
    e.close()
    curl_t = statistics.median(t for t, _ in curl_runs)
    sse_t = statistics.median(t for t, _ in sse_runs)
    sse_mem = max(m for _, m in sse_runs)
    print("(b) 1,000,000 events, %.0f MB over loopback, median of %d alternating runs:" % (size / 1e6, RUNS))
    print("    curl -sN                 %6.3f s  %7.0f MB/s  (best %.3f s)" % (curl_t, size / curl_t / 1e6, min(t for t, _ in curl_runs)))
    print("    sse tail --json          %6.3f s  %7.0f MB/s  (best %.3f s)  %5.2f M events/s  peak %d KiB" % (sse_t, size / sse_t / 1e6, min(t for t, _ in sse_runs), 1e6 / sse_t / 1e6, sse_mem))
    print("    sse tail / curl throughput ratio: 1/%.1f" % (sse_t / curl_t))
    e = Emitter("chunked", stream)
    curl_c, sse_c = [], []
    for _ in range(RUNS):
        curl_c.append(timed(["curl", "-sN", e.url, "-o", "/dev/null"])[0])
        sse_c.append(timed([SSE, "tail", e.url, "--json", "--no-reconnect"])[0])
    e.close()
    curl_t, sse_t = statistics.median(curl_c), statistics.median(sse_c)
    print("    the same body chunked (16 KiB chunks): curl %.3f s, sse tail --json %.3f s, ratio 1/%.1f" % (curl_t, sse_t, sse_t / curl_t))

    small = os.path.join(work, "small.txt")
    make_stream(small, 10_000)
    e = Emitter("file", small)
    _, small_mem = best([SSE, "tail", e.url, "--json", "--no-reconnect"])
    e.close()

    n = 500

    def from_curl(raw):
        return int(raw[6:]) if raw.startswith(b"data: ") else None

    def from_sse(raw):
        return int(json.loads(raw)["data"])

    # Three runs of each, alternating; the medians of their p50s and p99s.
    curl_l, sse_l = [], []
    for _ in range(3):
        e = Emitter("tick", n)
        curl_l.append(latency(["curl", "-sN", e.url], from_curl, n))
        sse_l.append(latency([SSE, "tail", e.url, "--json", "--no-reconnect"], from_sse, n))
        e.close()
    c50, c99 = (statistics.median(r[k] for r in curl_l) for k in (0, 1))
    s50, s99 = (statistics.median(r[k] for r in sse_l) for k in (0, 1))
    print("(c) latency, one event every 10 ms, %d events, write -> line on stdout, median of 3 runs:" % n)
    print("    curl -sN         p50 %6.3f ms  p99 %6.3f ms" % (c50, c99))
    print("    sse tail --json  p50 %6.3f ms  p99 %6.3f ms  (p99 %+.3f ms against curl)" % (s50, s99, s99 - c99))

    print("(d) one long data line:")
    for mib in (8, 64):
        line = os.path.join(work, "line%d.txt" % mib)
        make_line(line, mib << 20)
        e = Emitter("file", line)
        t, mem = timed([SSE, "tail", e.url, "--json", "--no-reconnect", "--max-event-size", "128MiB"])
        e.close()
        os.unlink(line)
        print("    %2d MiB: %6.3f s, peak %7d KiB = %.2fx the event" % (mib, t, mem, mem / (mib * 1024)))
    print("    peak memory, 10,000 events: %d KiB; 1,000,000 events: %d KiB" % (small_mem, sse_mem))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "emit":
        emit(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        main()
