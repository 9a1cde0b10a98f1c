#!/usr/bin/env python3
"""Monthly AWS cost of a national deployment, from the benchmark's figures.

Reads the JSON written by bench-lambdas.sh (per function: cold start and warm time of
one invocation, measured) and combines it with the store calls of each kind of API
call (the counts `tests/api/round_trips.rs` bounds and the README's « shape of a
function » describes), the deployment's volumes and the public AWS list prices of
eu-west-3 (Paris), arm64. Prints the cost per 1,000 API calls and per month, by
service. Every assumption is a named constant below; change one and run again.

Usage: cost-model.py [BENCH_JSON] (default target/bench-lambdas.json)
"""
import json
import sys

# ---- Prices: eu-west-3 (Europe, Paris), on-demand list prices in USD, as known on
# 2026-12-07 from the public pricing pages (aws.amazon.com/<service>/pricing); they
# could not be fetched again from the build machine: check them before relying on
# the figure. First tier only, no free tier, no savings plan.
PRICES_DATE = "2026-12-07"
LAMBDA_GB_SECOND_ARM = 0.0000133334   # arm64, per GB-second
LAMBDA_PER_REQUEST = 0.20 / 1e6       # per invocation
APIGW_HTTP_PER_REQUEST = 1.11 / 1e6   # HTTP API, first 300 million a month
DDB_PER_WRU = 0.7625 / 1e6            # on-demand write request unit (1 KB)
DDB_PER_RRU = 0.1525 / 1e6            # on-demand read request unit (4 KB strong, 2x eventual)
DDB_STORAGE_GB_MONTH = 0.2975         # Standard table class, per GB-month
S3_STORAGE_GB_MONTH = 0.024           # Standard
S3_PER_PUT = 0.0053 / 1000            # PUT, COPY, POST, LIST
S3_PER_GET = 0.00042 / 1000           # GET and others
SES_PER_EMAIL = 0.10 / 1000           # outbound email
LOGS_PER_GB = 0.53                    # CloudWatch Logs ingestion

# ---- The national deployment (the figures).
PARTNERS = 15_000
ACCOUNTS = 400_000
REQUESTS_PER_YEAR = 2_000_000
PEAK_CALLS_PER_S = 50

# ---- Usage assumptions (per month unless stated).
SIGNINS_PER_ACCOUNT = 2.0             # an account signs in twice a month
CALLS_PER_SESSION = 8                 # pages and checks of a session besides request work
CALLS_PER_REQUEST = 24                # partner: options, 3 checks, submit, 2 views, history;
                                      # caisse: queue, view, take, reply, close; uploads, downloads
ATTACHMENTS_PER_REQUEST = 1.2
ATTACHMENT_MB = 0.8
EMAILS_PER_REQUEST = 3                # submitted, answered, closed
COLD_SHARE = 0.02                     # share of invocations that start an execution environment
STORE_LATENCY_MS = 6.0                # one DynamoDB call from Lambda in the region
ARGON2_MS = 250.0                     # one Argon2id (19 MiB, t=2) on a 256 MB Lambda (~1/7 vCPU)
LOG_BYTES_PER_CALL = 600

# Memory of each function (template.yaml).
MEMORY_MB = {"ep-auth": 256, "ep-accounts": 256, "ep-requests": 256,
             "ep-attachments": 512, "ep-maintenance": 256}

# ---- What one API call of each kind costs in store operations: reads in RRU, writes
# in WRU. A GET: the session check (session and account, 2 strong GetItem), then at
# most 3 calls (round_trips.rs): a page query (~8 RRU: 50 items of ~600 B, strong)
# and the names beside it (BatchGetItem, eventually consistent: half). The session's
# last-seen stamp is written at most once a minute (one UpdateItem, 1 WRU, no longer a
# transaction). A write: the session check, what the use case loads (~2 RRU), then one
# transaction of ~4 items (the record, the audit event, the pending email, a counter:
# 2 WRU each), then the email's state after sending (one UpdateItem).
KINDS = {
    #            function         share  rru   wru   store calls  extra ms
    "read":     ("ep-requests",   0.62, 11.0, 0.3, 4.0, 0.0),
    "write":    ("ep-requests",   0.22, 4.0, 9.0, 4.0, 0.0),
    "signin":   ("ep-auth",       0.06, 5.0, 7.0, 4.0, ARGON2_MS),
    "accounts": ("ep-accounts",   0.06, 8.0, 3.0, 4.0, 0.0),
    "upload":   ("ep-attachments", 0.04, 4.0, 5.0, 4.0, 0.0),
}


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "target/bench-lambdas.json"
    bench = json.load(open(path))
    funcs = {f["function"]: f for f in bench["functions"]}

    requests_month = REQUESTS_PER_YEAR / 12
    calls = (ACCOUNTS * SIGNINS_PER_ACCOUNT * CALLS_PER_SESSION
             + requests_month * CALLS_PER_REQUEST)
    mean_ms = 0.0
    per_call = {"Lambda": 0.0, "API Gateway": APIGW_HTTP_PER_REQUEST, "DynamoDB": 0.0,
                "CloudWatch Logs": LOG_BYTES_PER_CALL / 1e9 * LOGS_PER_GB}
    for kind, (fn, share, rru, wru, store_calls, extra_ms) in KINDS.items():
        f = funcs[fn]
        ms = f["warm_ms"] + store_calls * STORE_LATENCY_MS + extra_ms + COLD_SHARE * f["cold_ms"]
        mean_ms += share * ms
        gb_s = MEMORY_MB[fn] / 1024 * ms / 1000
        per_call["Lambda"] += share * (gb_s * LAMBDA_GB_SECOND_ARM + LAMBDA_PER_REQUEST)
        per_call["DynamoDB"] += share * (rru * DDB_PER_RRU + wru * DDB_PER_WRU)
    assert abs(sum(k[1] for k in KINDS.values()) - 1) < 1e-9, "kind shares must add up to 1"

    monthly = {k: v * calls for k, v in per_call.items()}
    # Beside the API calls: emails, attachments, storage, the scheduled function.
    att = requests_month * ATTACHMENTS_PER_REQUEST
    monthly["SES"] = (requests_month * EMAILS_PER_REQUEST + ACCOUNTS * 0.05) * SES_PER_EMAIL
    kept_gb = att * 12 * ATTACHMENT_MB / 1024      # kept 12 months with their requests
    monthly["S3"] = kept_gb * S3_STORAGE_GB_MONTH + att * (S3_PER_PUT + 2 * S3_PER_GET)
    items_gb = (ACCOUNTS * 3 + PARTNERS * 20 + REQUESTS_PER_YEAR * 12) * 1.0 / 1024 / 1024
    monthly["DynamoDB storage"] = items_gb * DDB_STORAGE_GB_MONTH
    m = funcs["ep-maintenance"]
    runs = 30 * 24 * 4                              # every 15 minutes
    monthly["Lambda"] += runs * (MEMORY_MB["ep-maintenance"] / 1024 * (m["cold_ms"] + 2000) / 1000
                                 * LAMBDA_GB_SECOND_ARM + LAMBDA_PER_REQUEST)

    print(f"Prices: eu-west-3, arm64, on-demand, list prices of {PRICES_DATE} (USD)")
    print(f"Volumes: {PARTNERS:,} partners, {ACCOUNTS:,} accounts, {REQUESTS_PER_YEAR:,} requests a year,"
          f" peak {PEAK_CALLS_PER_S} calls/s")
    print(f"API calls a month: {calls:,.0f} (mean {calls / 30 / 86400:.1f}/s); mean billed duration"
          f" {mean_ms:.1f} ms, so about {PEAK_CALLS_PER_S * mean_ms / 1000:.1f} concurrent"
          f" executions at the peak")
    print("Measured (bench): " + ", ".join(
        f"{n} cold {f['cold_ms']} ms warm {f['warm_ms']} ms" for n, f in funcs.items()))
    print()
    print(f"{'service':<18} {'per 1,000 calls':>16} {'per month':>12}")
    for k in ["Lambda", "API Gateway", "DynamoDB", "CloudWatch Logs"]:
        print(f"{k:<18} {per_call[k] * 1000:>16.5f} {monthly[k]:>12.2f}")
    for k in ["SES", "S3", "DynamoDB storage"]:
        print(f"{k:<18} {'':>16} {monthly[k]:>12.2f}")
    total_call = sum(per_call.values()) * 1000
    total = sum(monthly.values())
    print(f"{'total':<18} {total_call:>16.5f} {total:>12.2f}")
    print(f"(per 1,000 API calls: the API calls alone; per month: everything, "
          f"{total * 12:,.0f} USD a year)")


if __name__ == "__main__":
    main()
