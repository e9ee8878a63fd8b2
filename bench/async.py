#!/usr/bin/env python3
"""Async benchmark, one batch (bench/async.sh starts the stack and runs it
once per store and mode, interleaved): N tasks (busybox `echo`, the warm
pool's key) from C client threads, each on a kept-alive TLS connection.

  async.py ENV_FILE submit N C TAG  POST with `Prefer: respond-async`:
      each submission's latency (the 202), on a stack that runs none of
      them (async_workers = 0): what intake and the store cost
  async.py ENV_FILE async N C TAG   the same, then the queue's drain: from
      the first task's createdAt to the last one's finishedAt, as the store
      recorded them (labels {"bench": TAG} select the batch)
  async.py ENV_FILE sync N C TAG    the same tasks answered synchronously:
      from the first request sent to the last answer in
  async.py ENV_FILE warm N C TAG    wait (bounded) until the stack's pool
      holds N warm containers, before a batch

Prints one JSON line: {"mode", "n", "c", "ok", "failed", "wall_s",
"rate" (tasks/s: submitted, drained or answered), "p50_ms", "p99_ms",
"max_ms" (the client's), "server_p50_ms", "server_p99_ms" (the same
POSTs as ecs-fcgi's log timed them: without nginx, TLS and this client)}.
Measures; the only thing it asserts is that every task succeeded."""
import datetime, http.client, json, os, re, statistics, sys, threading, time, urllib.parse

import stack_env

ENV, host, port, ctx, auth = stack_env.load(sys.argv[1])
MODE, N, C, TAG = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
IMAGE = ENV.get("ECS_BENCH_IMAGE", "ecs/busybox:latest")
BODY = json.dumps({"docker_image": IMAGE, "cmd": ["echo", "hello", "world"], "network": "none",
                   "labels": {"bench": TAG}})
DRAIN_TIMEOUT_S = 600


def conn():
    c = http.client.HTTPSConnection(host, port, context=ctx, timeout=120)
    c.connect()  # the TLS handshake before the clock starts
    return c


def call(c, method, path, body=None, headers=None):
    c.request(method, path, body, {"Content-Type": "application/json", **auth, **(headers or {})})
    r = c.getresponse()
    return r.status, r.read()


def percentile(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))]


def ms_of(stamp):
    """RFC 3339 UTC with milliseconds ("2026-12-07T10:21:35.123Z") to ms since the epoch."""
    d = datetime.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)
    return d.timestamp() * 1000.0


def batch(want):
    """C threads share N requests; each returns (latencies ms, failures)."""
    lat, bad, lock = [], [], threading.Lock()
    left = [N]
    headers = {"Prefer": "respond-async"} if MODE in ("submit", "async") else {}
    clients = [conn() for _ in range(C)]

    def worker(c):
        while True:
            with lock:
                if left[0] == 0:
                    return
                left[0] -= 1
            t = time.perf_counter()
            try:
                st, raw = call(c, "POST", "/v1.1/tasks", BODY, headers)
            except (OSError, http.client.HTTPException) as e:
                st, raw = 0, str(e).encode()
                c = conn()
            ms = (time.perf_counter() - t) * 1000
            with lock:
                if st == want:
                    lat.append(ms)
                else:
                    bad.append("HTTP %d %s" % (st, raw[:200]))

    threads = [threading.Thread(target=worker, args=(c,)) for c in clients]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return lat, bad, time.perf_counter() - t0


def listing(c, status, limit):
    q = urllib.parse.urlencode({"label": "bench=" + TAG, "limit": limit, **({"status": status} if status else {})})
    st, raw = call(c, "GET", "/v1.1/tasks?" + q)
    if st != 200:
        sys.exit("bench/async.py: GET /v1.1/tasks answered %d: %r" % (st, raw[:200]))
    return json.loads(raw)["tasks"]


def drain(c):
    """Wait (bounded) until nothing of the batch is queued or running; the batch's documents."""
    end = time.time() + DRAIN_TIMEOUT_S
    while listing(c, "queued", 1) or listing(c, "running", 1):
        if time.time() > end:
            sys.exit("bench/async.py: the queue did not drain in %d s" % DRAIN_TIMEOUT_S)
        time.sleep(0.2)
    docs = []
    while True:  # pages of at most 1000, by the cursor
        st, raw = call(c, "GET", "/v1.1/tasks?" + urllib.parse.urlencode(
            {"label": "bench=" + TAG, "limit": 1000, **({"before": nxt} if docs else {})}))
        page = json.loads(raw)
        docs += page["tasks"]
        nxt = page.get("next")
        if not nxt:
            return docs


def wait_warm(c):
    """Readiness: _metrics says the pool holds N warm containers."""
    end = time.time() + 120
    while time.time() < end:
        st, raw = call(c, "GET", "/v1.1/_metrics")
        for line in raw.decode().splitlines():
            if line.startswith("ecs_pool_containers ") and float(line.split()[1]) >= N:
                return
        time.sleep(0.1)
    sys.exit("bench/async.py: the pool never held %d warm containers" % N)


if MODE == "warm":
    wait_warm(conn())
    sys.exit(0)
if MODE == "submit":
    lat, bad, wall = batch(202)
    rate = len(lat) / wall
elif MODE == "async":
    lat, bad, _ = batch(202)
    docs = drain(conn())
    done = [d for d in docs if d["status"] == "succeeded"]
    if len(done) != len(lat):
        bad.append("%d of %d submitted tasks succeeded: %s" % (
            len(done), len(lat), sorted({d["status"] for d in docs})))
    span_s = (max(ms_of(d["finishedAt"]) for d in done) - min(ms_of(d["createdAt"]) for d in done)) / 1000 \
        if done else float("nan")
    rate = len(done) / span_s if done else 0.0
    wall = span_s
else:
    lat, bad, wall = batch(201)
    rate = len(lat) / wall
def server_side():
    """The batch's POSTs as ecs-fcgi timed them (its log, beside ENV_FILE): p50 and p99 ms, without
    nginx, TLS and this client."""
    log = os.path.join(os.path.dirname(os.path.abspath(sys.argv[1])), "ecs-fcgi.log")
    want = 'labels="bench=%s"' % TAG
    ms = [float(m.group(1)) for line in open(log, errors="replace") if "method=POST" in line and want in line
          for m in [re.search(r" duration_ms=([0-9.]+)", line)] if m]
    return (round(statistics.median(ms), 2), round(percentile(ms, 99), 2)) if ms else (None, None)


srv50, srv99 = server_side()
for why in bad[:5]:
    print("bench/async.py: %s: %s" % (MODE, why), file=sys.stderr)
print(json.dumps({"mode": MODE, "n": N, "c": C, "ok": len(lat), "failed": len(bad), "wall_s": round(wall, 3),
                  "rate": round(rate, 2), "p50_ms": round(statistics.median(lat), 2) if lat else None,
                  "p99_ms": round(percentile(lat, 99), 2) if lat else None,
                  "max_ms": round(max(lat), 2) if lat else None, "server_p50_ms": srv50, "server_p99_ms": srv99}))
sys.exit(1 if bad else 0)
