#!/usr/bin/env python3
"""Sizes and cold starts of the Lambda binaries against the hello-world baseline.

Called by bench-lambdas.sh once the binaries are built. Runs the shared cold-start
harness (../shared/tools/coldstart/coldstart.py: a mock Lambda Runtime API, one event,
exec -> response) interleaved: each round starts the baseline then each function, so
that a slower moment of the machine hits both sides of a pair. Prints per function:
stripped size, median cold start, median of the paired ratios function/baseline, and
the warm time of one invocation (same process, events 2..n). With --json FILE, writes
the figures for cost-model.py.

Usage: bench-lambdas.py --harness coldstart.py --baseline BIN NAME=BIN... [-n 15]
"""
import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# Every function reads its configuration at init; these are the template's values
# (no variable is required, the defaults hold), plus a log level.
FUNCTION_ENV = {"EP_LOG_FORMAT": "json", "RUST_LOG": "info"}


def load_harness(path):
    spec = importlib.util.spec_from_file_location("coldstart", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def warm_ms(binary, event, n):
    """Serves `n` events to one process; returns the per-invocation times (ms) of
    events 2..n (event 1 is the cold one), time from the event handed over to the
    response received."""
    body = json.dumps(event).encode()
    state = {"served": 0, "t0": 0.0, "times": []}
    done = threading.Event()
    lock = threading.Lock()

    class H(BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_GET(self):
            with lock:
                if state["served"] >= n:
                    done.set()
                    time.sleep(30)
                    return
                state["served"] += 1
            self.send_response(200)
            self.send_header("Lambda-Runtime-Aws-Request-Id", str(uuid.uuid4()))
            self.send_header("Lambda-Runtime-Deadline-Ms", str(int(time.time() * 1000) + 30000))
            self.send_header("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:eu-west-3:123456789012:function:f")
            self.send_header("Lambda-Runtime-Trace-Id", "Root=1-0-0")
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            state["t0"] = time.perf_counter()
            self.wfile.write(body)

        def do_POST(self):
            t1 = time.perf_counter()
            k = int(self.headers.get("Content-Length", 0))
            self.rfile.read(k)
            state["times"].append((t1 - state["t0"]) * 1000)
            self.send_response(202)
            self.send_header("Content-Length", "0")
            self.end_headers()

    srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    env = dict(os.environ, AWS_LAMBDA_RUNTIME_API=f"127.0.0.1:{srv.server_port}",
               AWS_LAMBDA_FUNCTION_NAME="f", AWS_LAMBDA_FUNCTION_MEMORY_SIZE="128",
               AWS_LAMBDA_FUNCTION_VERSION="1", AWS_REGION="eu-west-3",
               AWS_ACCESS_KEY_ID="x", AWS_SECRET_ACCESS_KEY="x", **FUNCTION_ENV)
    p = subprocess.Popen([binary], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ok = done.wait(60)
    p.kill()
    p.wait()
    srv.shutdown()
    if not ok:
        raise SystemExit(f"{binary}: fewer than {n} invocations answered")
    return state["times"][1:]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--harness", required=True)
    ap.add_argument("--baseline", required=True)
    ap.add_argument("-n", type=int, default=15, help="rounds of paired cold starts")
    ap.add_argument("--warm", type=int, default=200, help="invocations of the warm run")
    ap.add_argument("--json")
    ap.add_argument("functions", nargs="+", metavar="NAME=BIN")
    a = ap.parse_args()
    h = load_harness(a.harness)
    event = h.DEFAULT_EVENT
    funcs = [tuple(f.split("=", 1)) for f in a.functions]
    for path in [a.baseline] + [b for _, b in funcs]:
        h.once(path, event, FUNCTION_ENV)  # page cache
    base, cold, ratios = [], {n: [] for n, _ in funcs}, {n: [] for n, _ in funcs}
    for _ in range(a.n):
        for name, path in funcs:
            tb, _ = h.once(a.baseline, event, FUNCTION_ENV)
            tf, resp = h.once(path, event, FUNCTION_ENV)
            # ep-maintenance answers an API Gateway event with an `UnknownEvent`
            # error: init and one invocation all the same, without reaching AWS.
            if not resp[0].endswith(("/response", "/error")):
                raise SystemExit(f"{name}: the runtime got {resp[0]}: {resp[1][:200]!r}")
            base.append(tb)
            cold[name].append(tf)
            ratios[name].append(tf / tb)
    rows = []
    bsize = os.path.getsize(a.baseline)
    bwarm = statistics.median(warm_ms(a.baseline, event, a.warm))
    print(f"{'binary':<16} {'stripped':>10} {'cold ms':>8} {'ratio':>6} {'warm ms':>8}")
    print(f"{'baseline-hello':<16} {bsize / 1e6:>8.2f} MB {statistics.median(base):>8.1f} {1.0:>6.2f} {bwarm:>8.3f}")
    for name, path in funcs:
        size = os.path.getsize(path)
        w = statistics.median(warm_ms(path, event, a.warm))
        r = statistics.median(ratios[name])
        c = statistics.median(cold[name])
        flag = "" if size <= 8_000_000 and r <= 1.5 else "  <-- over budget (8 MB, 1.5x)"
        print(f"{name:<16} {size / 1e6:>8.2f} MB {c:>8.1f} {r:>6.2f} {w:>8.3f}{flag}")
        rows.append({"function": name, "bytes": size, "cold_ms": round(c, 2),
                     "cold_ratio": round(r, 3), "warm_ms": round(w, 3)})
    print(f"(median of {a.n} paired rounds; warm: median of {a.warm - 1} invocations of one process)")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"baseline": {"bytes": bsize, "cold_ms": round(statistics.median(base), 2),
                                    "warm_ms": round(bwarm, 3)},
                       "rounds": a.n, "functions": rows}, f, indent=2)
            f.write("\n")


if __name__ == "__main__":
    main()
