#!/usr/bin/env python3
"""mem.py - ecs-fcgi's memory and threads, idle after start and idle after N
tasks (bench/mem.sh starts the stack). Measures; asserts nothing.

  mem.py ECS_ENV PID [TASKS [CONCURRENCY [FLOOR_PROGRAM]]]

FLOOR_PROGRAM, when given, is bench/lib_floor.c built: the same libraries
loaded and initialised by a program that does nothing else. It is started
after ecs-fcgi's samples (while it runs, the pages it shares with ecs-fcgi
would make ecs-fcgi's private memory look smaller) and shown beside them;
its PSS and private memory are left out, being shared with ecs-fcgi then.

Idle: no busy worker, nothing queued, the reaper's queue empty, and the warm
pool as full as it was at start (_metrics). The tasks are busybox `echo hello
world` through nginx + TLS (loadgen.py's client). Prints a markdown table
(KiB; procmem.py says what each row is) and a last line `mem-json {...}`."""
import json
import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import loadgen  # noqa: E402
import procmem  # noqa: E402
import stack_env  # noqa: E402


class Args:
    pass


def gauges(c):
    _, h, ctx, auth = c
    import http.client
    k = http.client.HTTPSConnection(h[0], h[1], context=ctx)
    k.request("GET", "/v1.1/_metrics", headers=auth)
    out = {}
    for line in k.getresponse().read().decode().splitlines():
        p = line.split()
        if len(p) == 2 and not line.startswith("#") and "{" not in p[0]:
            try:
                out[p[0]] = float(p[1])
            except ValueError:
                pass
    k.close()
    return out


def wait_idle(c, pool_min, limit=60):
    end = time.monotonic() + limit
    while time.monotonic() < end:
        g = gauges(c)
        if (g.get("ecs_workers_busy", 1) == 0 and g.get("ecs_tasks_queued", 1) == 0
                and g.get("ecs_reaper_queue_depth", 0) == 0 and g.get("ecs_reaper_deleting", 0) == 0
                and g.get("ecs_pool_containers", 0) >= pool_min):
            return
        time.sleep(0.2)


def same_env(pid, names=("GNUTLS_NO_IMPLICIT_INIT", "OPENSSL_CONF")):
    """Our environment with what of @names process @pid has: what its libraries read as they load."""
    env = dict(os.environ)
    try:
        with open("/proc/%d/environ" % pid, "rb") as f:
            theirs = dict(v.split(b"=", 1) for v in f.read().split(b"\0") if b"=" in v)
    except OSError:
        return env
    for n in names:
        env.pop(n, None)
        if n.encode() in theirs:
            env[n] = theirs[n.encode()].decode()
    return env


def floor_sample(program, pid):
    """procmem.sample() of @program once it says "ready", without the figures its sharing with ecs-fcgi skews;
    started with ecs-fcgi's (@pid) environment for the libraries (same_env)."""
    p = subprocess.Popen([program], stdout=subprocess.PIPE, text=True, env=same_env(pid))
    try:
        if p.stdout.readline().strip() != "ready":
            return None
        out = procmem.sample(p.pid)
    finally:
        p.terminate()
        p.wait(timeout=10)
    for k in ("pss", "uss"):
        out[k] = None
    return out


def main():
    env, host, port, ctx, auth = stack_env.load(sys.argv[1])
    pid = int(sys.argv[2])
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 100
    conc = int(sys.argv[4]) if len(sys.argv) > 4 else 4
    c = (env, (host, port), ctx, auth)
    # the pool at start: wait until it stops growing (bounded), then idle
    last, still = -1, 0
    for _ in range(150):
        p = gauges(c).get("ecs_pool_containers", 0)
        still = still + 1 if p == last else 0
        last = p
        if still >= 5:
            break
        time.sleep(0.2)
    pool = last
    wait_idle(c, pool)
    idle = procmem.sample(pid)
    a = Args()
    a.endpoint, a.ca, a.cert, a.key = env["ECS_ENDPOINT"], env["ECS_CA_CERT"], env["ECS_CLIENT_CERT"], env["ECS_CLIENT_KEY"]
    a.user = "%s:%s" % (env["ECS_KEY"], env.get("ECS_SECRET", "")) if env.get("ECS_KEY") else ""
    a.image = os.environ.get("ECS_BENCH_IMAGE", "ecs/busybox:latest")
    a.request_timeout = 60.0
    client = loadgen.EcsClient(a)
    left, ok, lock = [n], [0], threading.Lock()

    def worker():
        while True:
            with lock:
                if left[0] == 0:
                    return
                left[0] -= 1
            try:
                _, good = client.one()
            except OSError:
                good = False
            with lock:
                ok[0] += good

    ts = [threading.Thread(target=worker) for _ in range(conc)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    wait_idle(c, pool)
    after = procmem.sample(pid)
    floor = floor_sample(sys.argv[5], pid) if len(sys.argv) > 5 else None
    rows = ("rss", "pss", "uss", "anon", "file", "heap", "arenas", "stacks", "anon_other", "libraries",
            "program", "threads", "fds")
    print("| ecs-fcgi (KiB; threads, fds) | idle after start | idle after %d tasks (%d ok, %d at once) "
          "| its libraries' floor (bench/lib_floor.c) |" % (n, ok[0], conc))
    print("| --- | --- | --- | --- |")
    for k in rows:
        fk = floor.get(k) if floor else None
        print("| %s | %s | %s | %s |" % (k, idle.get(k) if idle else "-", after.get(k) if after else "-",
                                         "-" if fk is None else fk))
    print("mem-json " + json.dumps({"idle": idle, "after": after, "floor": floor, "tasks": n, "ok": ok[0],
                                    "pool": pool}))


if __name__ == "__main__":
    main()
