#!/usr/bin/env python3
"""`sse tail --json` over HTTP/2 beside HTTP/1.1 and curl, in one run:
python3 benches/http2.py

Needs a release build (`cargo build --release`), node (the h2 fixture of the e2e
tests, tests/e2e/fixtures/h2/server.js, run with HTTP/1.1 allowed too), curl built with
nghttp2 (Debian's is) and openssl for a throwaway certificate.

One server, one stream of 1,000,000 events of 100 bytes (100 MB) over TLS on loopback,
read to the end by each client in turn, 7 rounds alternating:
  curl -sk --http1.1 / curl -sk --http2           (-o /dev/null)
  sse tail -k --json --http1.1 / sse tail -k --json  (h2 by ALPN; > /dev/null)
The table gives the median time of each and the ratios in the same run: sse over h2
against curl over h2 (the reference for the job), and sse's h2 against its HTTP/1.1.
"""

import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SSE = os.environ.get("SSE_BIN") or os.path.join(ROOT, "target", "release", "sse")
FIXTURE = os.path.join(ROOT, "tests", "e2e", "fixtures", "h2", "server.js")
EVENTS = int(os.environ.get("EVENTS", "1000000"))
ROUNDS = 7


def timed(cmd):
    start = time.perf_counter()
    out = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    seconds = time.perf_counter() - start
    if out.returncode != 0:
        sys.exit("%s exited with %d: %s" % (" ".join(cmd), out.returncode, out.stderr.decode()))
    return seconds


def main():
    if not os.path.exists(SSE):
        sys.exit("no release build: cargo build --release")
    tmp = tempfile.mkdtemp(prefix="sse-h2-bench-")
    cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost"],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    server = subprocess.Popen(["node", FIXTURE, "both", cert, key], stdout=subprocess.PIPE)
    line = server.stdout.readline().decode()
    port = int(line.split()[-1])
    url = "https://localhost:%d/bulk?n=%d" % (port, EVENTS)
    clients = {
        "curl --http1.1": ["curl", "-sk", "--http1.1", url, "-o", "/dev/null"],
        "curl --http2": ["curl", "-sk", "--http2", url, "-o", "/dev/null"],
        "sse --http1.1": [SSE, "tail", "-k", "--http1.1", "--json", "--no-reconnect", url],
        "sse (h2)": [SSE, "tail", "-k", "--json", "--no-reconnect", url],
    }
    times = {name: [] for name in clients}
    try:
        for _ in range(ROUNDS):
            for name, cmd in clients.items():
                times[name].append(timed(cmd))
    finally:
        server.kill()
    mb = EVENTS * 100 / 1e6
    print("machine: %d cores; %d events, %.0f MB over TLS on loopback, median of %d rounds"
          % (os.cpu_count(), EVENTS, mb, ROUNDS))
    med = {name: statistics.median(t) for name, t in times.items()}
    for name, m in med.items():
        print("  %-16s %7.3f s  %7.1f MB/s  (best %.3f s)" % (name, m, mb / m, min(times[name])))
    print("  sse h2 / curl h2 time:        %.2fx" % (med["sse (h2)"] / med["curl --http2"]))
    print("  sse h2 / sse HTTP/1.1 time:   %.2fx" % (med["sse (h2)"] / med["sse --http1.1"]))
    print("  curl h2 / curl HTTP/1.1 time: %.2fx" % (med["curl --http2"] / med["curl --http1.1"]))


if __name__ == "__main__":
    main()
