#!/usr/bin/env python3
"""Warm pool benchmark (bench/pool.sh starts the stack): cold vs pooled vs the
bare engine vs `docker run`, interleaved in one run, one client, then a burst
of 8 at once. Through nginx + TLS on a kept-alive connection (one per client
thread). Measures; asserts nothing. Prints markdown tables: the paths (p50,
p90, against the bare engine), a pooled task's phases (its answer's
`timings`) and the bursts, with the load average at the start and the end.
The bare engine runs the cold task's container (the same confinement); each
cold and bare measurement waits until the pool has refilled and ecs's reaper
is idle, so that neither measures the other's leftovers."""
import base64, http.client, json, os, socket, statistics, subprocess, sys, threading, time

import loadgen
import stack_env

ENV, host, port, ctx, auth = stack_env.load(sys.argv[1])
N = int(sys.argv[2]) if len(sys.argv) > 2 else 20
IMAGE = os.environ.get("ECS_BENCH_IMAGE", "ecs/busybox:latest")
POOLED = json.dumps({"docker_image": IMAGE, "cmd": ["echo", "hello", "world"], "network": "none"})
# another sandbox profile (a pids limit of its own): a key with no pool, so cold
COLD = json.dumps({"docker_image": IMAGE, "cmd": ["echo", "hello", "world"], "network": "none", "limits": {"pids": 99}})


def load():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


class Client:
    def __init__(self):
        self.c = http.client.HTTPSConnection(host, port, context=ctx)

    def task(self, body):
        """(ms, pooled, None) or, for any other answer than the task's output, (ms, False, what it was)."""
        t = time.perf_counter()
        self.c.request("POST", "/v1.1/tasks", body, {"Content-Type": "application/json", **auth})
        r = self.c.getresponse()
        raw = r.read()
        ms = (time.perf_counter() - t) * 1000
        try:
            doc = json.loads(raw)
        except ValueError:
            return ms, False, "HTTP %d, not JSON: %r" % (r.status, raw[:200])
        if r.status != 201 or base64.b64decode(doc.get("stdout", "")) != b"hello world\n":
            return ms, False, "HTTP %d %s: %s" % (r.status, doc.get("code", ""), doc.get("message", doc))
        self.timings = dict(doc.get("timings", {}), client=ms)
        return ms, doc.get("pooled"), None

    def task_ok(self, body):
        ms, pooled, err = self.task(body)
        if err:
            sys.exit("bench/pool.py: a task failed: " + err)
        return ms, pooled


class Unix(http.client.HTTPConnection):
    def __init__(self):
        super().__init__("docker")

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.connect("/var/run/docker.sock")


# The cold task's container as the engine sees it: ecs's default confinement (loadgen.CONFINEMENT) with the
# body's pids limit, and the engine's own log driver for the output the sequence reads back.
BARE_CONFIG, _offline_hc = loadgen.offline(loadgen.default_hosts())
BARE_HOST_CONFIG = dict(loadgen.CONFINEMENT, PidsLimit=99, LogConfig={"Type": "local"}, **_offline_hc)


def bare(u):
    """The engine's own create + attach-less start + wait + logs (delete excluded), with the cold task's config."""
    def call(m, p, b=None):
        u.request(m, p, b, {"Content-Type": "application/json"} if b else {})
        r = u.getresponse()
        return r.status, r.read()
    t = time.perf_counter()
    st, b = call("POST", "/v1.41/containers/create", json.dumps(dict(BARE_CONFIG, **{
        "Image": IMAGE, "Cmd": ["echo", "hello", "world"], "Labels": {"ecs.bench": "pool"},
        "HostConfig": BARE_HOST_CONFIG})))
    cid = json.loads(b)["Id"]
    call("POST", "/v1.41/containers/%s/start" % cid)
    call("POST", "/v1.41/containers/%s/wait" % cid)
    call("GET", "/v1.41/containers/%s/logs?stdout=1&stderr=1" % cid)
    ms = (time.perf_counter() - t) * 1000
    call("DELETE", "/v1.41/containers/%s?force=1" % cid)
    return ms


def docker_run():
    t = time.perf_counter()
    subprocess.run(["docker", "run", "--rm", "--network", "none", IMAGE, "echo", "hello", "world"], check=True,
                   stdout=subprocess.DEVNULL)
    return (time.perf_counter() - t) * 1000


def wait_warm(cl, want):
    """Readiness: _metrics says the pool holds @want warm containers."""
    for _ in range(600):
        cl.c.request("GET", "/v1.1/_metrics", headers=auth)
        text = cl.c.getresponse().read().decode()
        for line in text.splitlines():
            if line.startswith("ecs_pool_containers ") and int(line.split()[1]) >= want:
                return
        time.sleep(0.05)
    sys.exit("the pool never held %d warm containers" % want)


def settle(cl):
    """Readiness: the pool refilled and ecs's reaper idle, so that neither competes with the next measurement."""
    for _ in range(600):
        cl.c.request("GET", "/v1.1/_metrics", headers=auth)
        g = {}
        for line in cl.c.getresponse().read().decode().splitlines():
            f = line.split()
            if len(f) == 2 and not line.startswith("#"):
                g[f[0]] = f[1]
        if (float(g.get("ecs_pool_containers", 0)) >= 1 and float(g.get("ecs_reaper_queue_depth", 1)) == 0
                and float(g.get("ecs_reaper_deleting", 0)) == 0):
            return
        time.sleep(0.05)
    sys.exit("ecs never settled (pool refilled, reaper idle)")


def p50(v):
    return statistics.median(v)


def p90(v):
    return sorted(v)[min(len(v) - 1, int(round(0.9 * (len(v) - 1))))]


load_start = load()
cl, u = Client(), Unix()
phases = []  # the pooled tasks' timings
res = {"cold (ecs, TLS)": [], "pooled (ecs, TLS)": [], "bare engine sequence": [], "docker run --rm": []}
notpooled = 0
for i in range(N):
    wait_warm(cl, 1)
    ms, pooled = cl.task_ok(POOLED)
    res["pooled (ecs, TLS)"].append(ms)
    notpooled += not pooled
    if pooled:
        phases.append(cl.timings)
    settle(cl)  # the pooled task's refill and deletion done: they would weigh on what follows
    ms, pooled = cl.task_ok(COLD)
    res["cold (ecs, TLS)"].append(ms)
    settle(cl)
    res["bare engine sequence"].append(bare(u))
    res["docker run --rm"].append(docker_run())

burst = {}
for name, body in (("pooled", POOLED), ("cold", COLD)):
    if name == "pooled":
        wait_warm(cl, 8)
    clients = [Client() for _ in range(8)]
    for c in clients:  # TLS handshakes before the clock starts
        c.c.connect()
    out = [None] * 8
    threads = [threading.Thread(target=lambda k: out.__setitem__(k, clients[k].task(body)), args=(k,)) for k in range(8)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    failed = [o[2] for o in out if o[2]]
    for why in failed:
        print("bench/pool.py: burst %s: %s" % (name, why), file=sys.stderr)
    ok = [o for o in out if not o[2]]
    burst[name] = ((time.perf_counter() - t0) * 1000, [o[0] for o in ok] or [0.0], sum(1 for o in ok if o[1]),
                   len(failed))

bare50 = p50(res["bare engine sequence"])
print("load average at the start %s, at the end %s" % (load_start, load()))
print()
print("| path (busybox `echo hello world`, %d interleaved rounds) | p50 ms | p90 ms | min ms | max ms | p50 / bare engine |"
      % N)
print("| --- | --- | --- | --- | --- | --- |")
for k, v in res.items():
    print("| %s | %.1f | %.1f | %.1f | %.1f | %.4f |" % (k, p50(v), p90(v), min(v), max(v), p50(v) / bare50))
if phases:
    print()
    print("| a pooled task's phase (its answer's `timings`, %d tasks) | p50 ms | p90 ms |" % len(phases))
    print("| --- | --- | --- |")
    rows = [("pull (image lookup)", "pull"), ("acquire (take a warm container)", "acquire"),
            ("attach (stream to ecs-agent)", "attach"), ("run (command to exit record)", "run"),
            ("logs (after the exit)", "logs"), ("release (to deletion)", "release"), ("total in libecs", "total")]
    for name, key in rows:
        v = [t.get(key, 0.0) for t in phases]
        print("| %s | %.2f | %.2f |" % (name, p50(v), p90(v)))
    v = [t["client"] - t.get("total", 0.0) for t in phases]
    print("| outside libecs (TLS, nginx, FastCGI, ecs-fcgi) | %.2f | %.2f |" % (p50(v), p90(v)))
    v = [t["client"] for t in phases]
    print("| end to end (client) | %.2f | %.2f |" % (p50(v), p90(v)))
print()
print("| burst of 8 at once | wall ms | p50 ms | max ms | pooled | failed |")
print("| --- | --- | --- | --- | --- | --- |")
for k, (wall, v, n, nfailed) in burst.items():
    print("| %s | %.0f | %.1f | %.1f | %d of 8 | %d |" % (k, wall, p50(v), max(v), n, nfailed))
print()
print("single-client pooled requests that ran cold: %d of %d" % (notpooled, N))
