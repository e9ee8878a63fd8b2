#!/usr/bin/env python3
"""Session benchmark (bench/session.sh starts the stack): an exec in a live
session vs a pooled task vs a cold task vs `docker exec` into a running
container, interleaved in one run, one client on a kept-alive TLS
connection through nginx. Ratios are against `docker exec` of the same run
(the engine's exec: create, start, inspect). Measures; asserts nothing but
that every answer is the command's output. Prints a markdown table; the
session and the container it started are removed on every path."""
import base64, http.client, json, os, statistics, subprocess, sys, time

import stack_env

ENV, host, port, ctx, AUTH = stack_env.load(sys.argv[1])
N = int(sys.argv[2]) if len(sys.argv) > 2 else 20
IMAGE = os.environ.get("ECS_BENCH_IMAGE", "ecs/busybox:latest")
DOCKER = os.environ.get("DOCKER", "/usr/bin/docker")
CMD = ["echo", "hello", "world"]
OUT = b"hello world\n"
HEADERS = dict(AUTH, **{"Content-Type": "application/json"})
POOLED = json.dumps({"docker_image": IMAGE, "cmd": CMD, "network": "none"})
# another sandbox profile (a pids limit of its own): a key with no pool, so cold
COLD = json.dumps({"docker_image": IMAGE, "cmd": CMD, "network": "none", "limits": {"pids": 99}})
EXEC = json.dumps({"cmd": CMD})
conn = http.client.HTTPSConnection(host, port, context=ctx)


def call(method, path, body=None):
    """(ms, status, document) of one request on the kept-alive connection."""
    t = time.perf_counter()
    conn.request(method, path, body, HEADERS)
    r = conn.getresponse()
    raw = r.read()
    ms = (time.perf_counter() - t) * 1000
    try:
        return ms, r.status, json.loads(raw) if raw else {}
    except ValueError:
        sys.exit("bench/session.py: %s %s: HTTP %d, not JSON: %r" % (method, path, r.status, raw[:200]))


def ran(method, path, body):
    """ms of a request whose answer must be a 201 with the command's output."""
    ms, st, doc = call(method, path, body)
    if st != 201 or base64.b64decode(doc.get("stdout", "")) != OUT:
        sys.exit("bench/session.py: %s %s: HTTP %d %s" % (method, path, st, doc))
    return ms, doc


def wait_warm():
    """Readiness: _metrics says the pool holds a warm container."""
    for _ in range(600):
        conn.request("GET", "/v1.1/_metrics", headers=HEADERS)
        for line in conn.getresponse().read().decode().splitlines():
            if line.startswith("ecs_pool_containers ") and float(line.split()[1]) >= 1:
                return
        time.sleep(0.05)
    sys.exit("bench/session.py: the pool never held a warm container")


def docker_exec(cid):
    t = time.perf_counter()
    out = subprocess.run([DOCKER, "exec", cid] + CMD, check=True, stdout=subprocess.PIPE).stdout
    if out != OUT:
        sys.exit("bench/session.py: docker exec printed %r" % out)
    return (time.perf_counter() - t) * 1000


session, cid = None, None
try:
    ms, st, doc = call("POST", "/v1.1/sessions", json.dumps({"docker_image": IMAGE, "network": "none"}))
    if st != 201:
        sys.exit("bench/session.py: session create: HTTP %d %s" % (st, doc))
    session = doc["sessionId"]
    cid = subprocess.run([DOCKER, "run", "-d", "--rm", "--network", "none", "--label", "ecs.bench=session",
                          IMAGE, "sleep", "3600"], check=True, stdout=subprocess.PIPE).stdout.decode().strip()
    res = {"exec in a live session (ecs, TLS)": [], "pooled task (ecs, TLS)": [], "cold task (ecs, TLS)": [],
           "docker exec into a running container": []}
    notpooled = 0
    for i in range(N):
        res["exec in a live session (ecs, TLS)"].append(ran("POST", "/v1.1/sessions/%s/exec" % session, EXEC)[0])
        wait_warm()
        ms, doc = ran("POST", "/v1.1/tasks", POOLED)
        res["pooled task (ecs, TLS)"].append(ms)
        notpooled += not doc.get("pooled")
        res["cold task (ecs, TLS)"].append(ran("POST", "/v1.1/tasks", COLD)[0])
        res["docker exec into a running container"].append(docker_exec(cid))
    base = statistics.median(res["docker exec into a running container"])
    print("| path (busybox `echo hello world`, %d interleaved rounds) | p50 ms | min ms | max ms | p50 / docker exec |"
          % N)
    print("| --- | --- | --- | --- | --- |")
    for k, v in res.items():
        print("| %s | %.1f | %.1f | %.1f | %.3f |" % (k, statistics.median(v), min(v), max(v),
                                                    statistics.median(v) / base))
    print()
    print("pooled requests that ran cold: %d of %d" % (notpooled, N))
finally:
    if session is not None:
        call("DELETE", "/v1.1/sessions/%s" % session)
    if cid:
        subprocess.run([DOCKER, "rm", "-f", cid], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
