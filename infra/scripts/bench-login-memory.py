#!/usr/bin/env python3
"""Peak memory of the local gateway under a burst of sign-ins (issue 10).

Starts the gateway binary given as first argument on a free loopback port with a
fresh data directory, activates the platform admin through the dev outbox, then
runs CONCURRENCY threads signing in for DURATION seconds (each sign-in verifies one
Argon2id hash, 19 MiB of working memory). Prints the number of sign-ins, their
median and p99 time, and the gateway's peak resident memory (VmHWM), with the goal
(under 256 MiB for 64 concurrent sign-ins for 30 s). A benchmark, not a test: it
prints figures; exit status 1 only when the goal is missed.

Environment: EP_BENCH_CONCURRENCY (64), EP_BENCH_SECONDS (30).
"""

import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

GOAL_MIB = 256
PASSWORD = "Granit-Sauvage-2026!"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(url, method, path, body=None, origin=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url + path, data=data, method=method)
    req.add_header("Accept", "application/json")
    if body is not None:
        req.add_header("Content-Type", "application/json")
    if origin:
        req.add_header("Origin", origin)
    try:
        with urllib.request.urlopen(req, timeout=120) as res:
            return res.status, res.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def rss_kib(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def main():
    binary = sys.argv[1]
    concurrency = int(os.environ.get("EP_BENCH_CONCURRENCY", "64"))
    seconds = float(os.environ.get("EP_BENCH_SECONDS", "30"))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    data = tempfile.mkdtemp(prefix="ep-bench-login-")
    env = dict(os.environ, EP_LISTEN=f"127.0.0.1:{port}", EP_DATA_DIR=data,
               EP_ADMIN_EMAIL="admin@bench.example.org", RUST_LOG="warn")
    gw = subprocess.Popen([binary], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 60
        while True:
            try:
                if call(url, "GET", "/api/health")[0] == 200:
                    break
            except OSError:
                pass
            if time.time() > deadline:
                sys.exit("the gateway did not answer within 60 s")
            time.sleep(0.1)
        mails = json.loads(call(url, "GET", "/_dev/outbox.json")[1])
        text = next(m["text"] for m in mails if "jeton=" in (m.get("text") or ""))
        token = urllib.parse.unquote(re.search(r"#jeton=([^\s<>\"]+)", text).group(1))
        ident = re.search(r"Votre identifiant\s*:\s*(\S+)", text).group(1).rstrip(".,;")
        status, body = call(url, "POST", "/api/auth/activate", {"token": token, "password": PASSWORD}, origin=url)
        if status != 204:
            sys.exit(f"activation: {status} {body[:200]}")
        base = rss_kib(gw.pid, "VmRSS")
        times, errors, statuses = [], [], {}
        stop = time.time() + seconds
        lock = threading.Lock()

        def worker():
            while time.time() < stop:
                t = time.perf_counter()
                status, _ = call(url, "POST", "/api/auth/login",
                                 {"identifiant": ident, "password": PASSWORD}, origin=url)
                with lock:
                    (times if status == 200 else errors).append(time.perf_counter() - t)
                    statuses[status] = statuses.get(status, 0) + 1

        most_threads = [0]

        def sampler():
            while time.time() < stop:
                most_threads[0] = max(most_threads[0], len(os.listdir(f"/proc/{gw.pid}/task")))
                time.sleep(0.2)

        threads = [threading.Thread(target=worker) for _ in range(concurrency)]
        threads.append(threading.Thread(target=sampler))
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        peak = rss_kib(gw.pid, "VmHWM")
        anon, file_ = rss_kib(gw.pid, "RssAnon"), rss_kib(gw.pid, "RssFile")
        cores = os.cpu_count()
        print(f"sign-in burst: {concurrency} concurrent for {seconds:.0f} s, {cores} cores")
        print(f"  sign-ins: {len(times)} answered 200, {len(errors)} other {statuses}")
        if times:
            ts = sorted(times)
            p99 = ts[min(len(ts) - 1, int(len(ts) * 0.99))]
            print(f"  time: median {statistics.median(ts) * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms")
        print(f"  memory: {base / 1024:.0f} MiB before, peak {peak / 1024:.0f} MiB (goal < {GOAL_MIB} MiB); "
              f"at most {most_threads[0]} threads; after the burst {anon / 1024:.0f} MiB anonymous, "
              f"{file_ / 1024:.0f} MiB file-backed")
        return 0 if peak / 1024 < GOAL_MIB and times else 1
    finally:
        gw.terminate()
        gw.wait(timeout=30)
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
