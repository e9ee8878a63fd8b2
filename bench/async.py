#!/usr/bin/env python3
"""Async benchmark, one batch (bench/async.sh starts the stack and runs it
once per store and mode, interleaved): N tasks (busybox `echo`, the warm
pool's key) from C clients, each on a kept-alive TLS connection: the load is
bench/async_client.c (ECS_BENCH_CLIENT, compiled by bench/async.sh), a
libcurl multi loop in C, so that the client's own CPU stays small beside
ecs-fcgi's on a loaded machine; polls and listings are this script's.

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
POSTs as ecs-fcgi's log timed them: without nginx, TLS and this client),
"cpu_ms_per_request" (submit: the CPU time ecs-fcgi, nginx's workers and
the client spent per submission, which a loaded machine changes much less
than it changes the latency)}.
Measures; the only thing it asserts is that every task succeeded."""
import datetime, http.client, json, os, re, statistics, subprocess, sys, time, urllib.parse

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


def cpu_s():
    """CPU seconds (user + system) used so far by the stack beside ENV_FILE: ecs-fcgi, and nginx's
    workers (the master's children). A figure the machine's load does not change much, unlike the
    latency: what one request costs each process."""
    run = os.path.dirname(os.path.abspath(sys.argv[1]))
    tick = os.sysconf("SC_CLK_TCK")

    def of(pid):
        try:
            f = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
            return (int(f[11]) + int(f[12])) / tick
        except (OSError, IndexError, ValueError):
            return 0.0

    fcgi = int(open(os.path.join(run, "ecs-fcgi.pid")).read())
    master = int(open(os.path.join(run, "nginx", "nginx.pid")).read())
    kids = [int(p) for p in open("/proc/%d/task/%d/children" % (master, master)).read().split()]
    return {"ecs_fcgi": of(fcgi), "nginx": sum(of(k) for k in kids)}


def batch(want):
    """N requests from C clients (bench/async_client.c, compiled by bench/async.sh: ECS_BENCH_CLIENT):
    (latencies ms, failures, wall seconds)."""
    headers = ["Prefer: respond-async"] if MODE in ("submit", "async") else []
    env = dict(os.environ, **{k: v for k, v in ENV.items() if k.startswith("ECS_")})
    out = subprocess.run([os.environ["ECS_BENCH_CLIENT"], ENV["ECS_ENDPOINT"] + "/v1.1/tasks", str(N), str(C),
                          str(want), BODY] + headers, env=env, stdout=subprocess.PIPE, check=True).stdout
    r = json.loads(out)
    CPU["client"] = r["cpu_s"]
    return r["ms"], r["bad"] + ["..."] * max(0, r["failed"] - len(r["bad"])), r["wall_s"]


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
CPU = {}
if MODE == "submit":
    before = cpu_s()
    lat, bad, wall = batch(202)
    rate = len(lat) / wall
    CPU.update({k: v - before[k] for k, v in cpu_s().items()})
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
                  "max_ms": round(max(lat), 2) if lat else None, "server_p50_ms": srv50, "server_p99_ms": srv99,
                  "cpu_ms_per_request": {k: round(1000.0 * v / max(1, len(lat)), 3) for k, v in CPU.items()}
                  if MODE == "submit" else None}))
sys.exit(1 if bad else 0)
