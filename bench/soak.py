#!/usr/bin/env python3
"""soak.py - the client and the sampler of bench/soak.sh (standard library only).

CONCURRENCY threads send a fixed cycle of requests through nginx over HTTPS
(client certificate, BASIC credentials when given, a new TLS connection per
request, loopback only) until DURATION seconds have passed; those in flight
then finish, each bounded by its own timeout. The cycle mixes good tasks
(echo, exit codes, stdout+stderr, binary output, stdin, a task that times
out, a large output) with bad requests (invalid JSON, an unknown property,
an image name without a tag, an image that is not there, a wrong method, an
unknown path) and the quick endpoints. Every answer is checked against what
its kind expects (status, JSON error document, decoded output); anything
else is an unexpected error.

With --big-burst N, N tasks writing --big-bytes of stdout run first
(CONCURRENCY at once) and the responder's idle RSS is taken before and
after them: memory must come back after large outputs.

Meanwhile a sampler reads the responder's RSS and open fds (/proc/PID) every
SAMPLE seconds. Before the load and after it (once the responder is idle:
no busy worker, nothing queued, the reaper's queue empty) it takes the
idle samples, and the per-endpoint, per-status counters of /v1.1/_metrics,
whose difference must equal what the client counted.

Prints one JSON object (the report) on stdout; exits 1 when anything
unexpected happened (an unexpected answer, a _metrics mismatch), 0 otherwise.

  soak.py --endpoint URL --ca F --cert F --key F [--user U:P] --image I
          --pid PID --duration S --concurrency N [--sample S]
          [--big-bytes N] [--big-every K] [--big-burst N] [--request-timeout S]
"""
import argparse
import base64
import http.client
import json
import os
import re
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import loadgen  # noqa: E402 (bench/loadgen.py, beside this file)

METRIC_RE = re.compile(r'^ecs_http_requests_total\{endpoint="([^"]+)",status="([^"]+)"\} (\d+)$')


def proc_sample(pid):
    """(rss_kib, open_fds) of a process, or None when it is gone."""
    try:
        with open("/proc/%d/status" % pid) as f:
            rss = next(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))
        fds = len(os.listdir("/proc/%d/fd" % pid))
    except (OSError, StopIteration, ValueError):
        return None
    return rss, fds


def slope(points):
    """Least-squares slope of (x, y) points, in y per unit of x; None below 2 points."""
    n = len(points)
    if n < 2:
        return None
    mx = sum(p[0] for p in points) / n
    my = sum(p[1] for p in points) / n
    sxx = sum((p[0] - mx) ** 2 for p in points)
    if sxx == 0:
        return None
    return sum((p[0] - mx) * (p[1] - my) for p in points) / sxx


class Client(loadgen.EcsClient):
    """loadgen's client (loopback only, certificate, BASIC), for any request."""

    def request(self, method, path, body=None, ctype="application/json"):
        """(status, headers dict (lower-case names), body bytes); status 0 on a transport error."""
        h = dict(self.headers)
        if body is None:
            h.pop("Content-Type", None)
        else:
            h["Content-Type"] = ctype
        c = http.client.HTTPSConnection(self.host, self.port, context=self.ctx, timeout=self.timeout)
        try:
            c.request(method, path, body=body, headers=h)
            r = c.getresponse()
            data = r.read()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, data
        except (OSError, http.client.HTTPException) as e:
            return 0, {}, str(e).encode()
        finally:
            c.close()

    def metrics(self):
        """{(endpoint, status): count} from /v1.1/_metrics, and the gauges as {name: value}."""
        st, _, data = self.request("GET", "/v1.1/_metrics")
        if st != 200:
            raise RuntimeError("GET /v1.1/_metrics: HTTP %d" % st)
        counts, gauges = {}, {}
        for line in data.decode().splitlines():
            m = METRIC_RE.match(line)
            if m:
                counts[(m.group(1), m.group(2))] = int(m.group(3))
            elif line and not line.startswith("#") and "{" not in line:
                k, _, v = line.partition(" ")
                try:
                    gauges[k] = float(v)
                except ValueError:
                    pass
        return counts, gauges


def task(image, cmd, **extra):
    b = {"docker_image": image, "cmd": cmd, "network": "none"}
    b.update(extra)
    return json.dumps(b).encode()


def b64(data):
    return base64.b64decode(data)


def is_error(doc, status, code=None):
    return (isinstance(doc, dict) and doc.get("status") == status and isinstance(doc.get("code"), str)
            and (code is None or doc["code"] == code) and isinstance(doc.get("message"), str)
            and isinstance(doc.get("requestId"), str) and doc["requestId"] != "")


def kinds(a):
    """The cycle: (name, endpoint, method, path, body, check(status, headers, doc) -> bool)."""
    img = a.image
    big = a.big_bytes

    def done(doc, code=0):
        return isinstance(doc, dict) and doc.get("exitCode") == code and doc.get("timedOut") is False

    k = []

    def add(name, endpoint, method, path, body, check):
        k.append((name, endpoint, method, path, body, check))

    for i in range(4):
        add("echo", "tasks", "POST", "/v1.1/tasks", task(img, ["echo", "hello %d" % i]),
            lambda s, h, d, i=i: s == 201 and done(d) and b64(d["stdout"]) == b"hello %d\n" % i
            and d["stderr"] == "")
    add("exit", "tasks", "POST", "/v1.1/tasks", task(img, ["sh", "-c", "exit 7"]),
        lambda s, h, d: s == 201 and done(d, 7))
    add("outerr", "tasks", "POST", "/v1.1/tasks", task(img, ["sh", "-c", "echo out; echo err >&2"]),
        lambda s, h, d: s == 201 and done(d) and b64(d["stdout"]) == b"out\n" and b64(d["stderr"]) == b"err\n")
    add("binary", "tasks", "POST", "/v1.1/tasks", task(img, ["printf", "\\000\\001\\177\\200\\376\\377"]),
        lambda s, h, d: s == 201 and done(d) and d["stdout"] == "AAF/gP7/")
    add("stdin", "tasks", "POST", "/v1.1/tasks",
        task(img, ["wc", "-c"], stdin=base64.b64encode(b"x" * 3000).decode()),
        lambda s, h, d: s == 201 and done(d) and b64(d["stdout"]).strip() == b"3000")
    add("badjson", "tasks", "POST", "/v1.1/tasks", b'{"docker_image": "x:y", "cmd": [',
        lambda s, h, d: s == 400 and is_error(d, 400))
    add("unknownprop", "tasks", "POST", "/v1.1/tasks", task(img, ["true"], colour="blue"),
        lambda s, h, d: s == 400 and is_error(d, 400))
    add("notag", "tasks", "POST", "/v1.1/tasks", task("ecs/busybox", ["true"]),
        lambda s, h, d: s == 400 and is_error(d, 400))
    add("noimage", "tasks", "POST", "/v1.1/tasks", task("ecs/no-such-image-soak:1", ["true"]),
        lambda s, h, d: s == 404 and is_error(d, 404, "IMAGE_NOT_FOUND"))
    add("noop", "_noop", "GET", "/v1.1/_noop", None, lambda s, h, d: s == 200)
    add("health", "_health", "GET", "/v1.1/_health", None,
        lambda s, h, d: s == 200 and isinstance(d, dict) and d.get("status") == "green")
    add("version", "_version", "GET", "/v1.1/_version", None,
        lambda s, h, d: s == 200 and isinstance(d, dict) and isinstance(d.get("version"), str))
    add("method", "tasks", "PUT", "/v1.1/tasks", None, lambda s, h, d: s == 405 and is_error(d, 405))
    add("nopath", "other", "GET", "/v1.1/no-such-thing", None, lambda s, h, d: s == 404 and is_error(d, 404))
    # One task in 2 cycles times out (1 s, killed: 137); the big output comes every big_every cycles.
    timeout = ("timeout", "tasks", "POST", "/v1.1/tasks", task(img, ["sleep", "10"], timeout=1),
               lambda s, h, d: s == 201 and isinstance(d, dict) and d.get("timedOut") is True
               and d.get("exitCode") == 137)
    bigt = ("big", "tasks", "POST", "/v1.1/tasks",
            task(img, ["head", "-c", str(big), "/dev/zero"]),
            lambda s, h, d: s == 201 and done(d) and d.get("stdoutBytes") == big and len(b64(d["stdout"])) == big)
    return k, timeout, bigt


class Soak:
    def __init__(self, a):
        self.a = a
        self.client = Client(a)
        self.cycle, self.timeout_kind, self.big_kind = kinds(a)
        self.lock = threading.Lock()
        self.n = 0
        self.sent = {}          # kind -> count
        self.seen = {}          # (endpoint, status) -> count
        self.unexpected = []    # first few
        self.n_unexpected = 0
        self.samples = []       # (t, rss_kib, fds, requests answered by then)
        self.done = 0           # requests answered
        self.stop_sampling = threading.Event()

    def next_kind(self):
        with self.lock:
            i = self.n
            self.n += 1
        c, pos = divmod(i, len(self.cycle) + 2)
        if pos == len(self.cycle):
            return self.timeout_kind if c % 2 == 0 else self.cycle[0]
        if pos == len(self.cycle) + 1:
            return self.big_kind if self.a.big_every > 0 and c % self.a.big_every == 0 else self.cycle[1]
        return self.cycle[pos]

    def worker(self, deadline):
        while time.monotonic() < deadline:
            self.check_one(self.next_kind())

    def sampler(self, t0):
        while True:
            s = proc_sample(self.a.pid)
            if s is not None:
                with self.lock:
                    done = self.done
                self.samples.append((time.monotonic() - t0, s[0], s[1], done))
            if self.stop_sampling.wait(self.a.sample):
                return

    def idle(self, limit=60):
        """Wait (bounded) until the responder is idle, then sample it: (rss_kib, fds, gauges)."""
        end = time.monotonic() + limit
        while True:
            _, g = self.client.metrics()
            if (g.get("ecs_workers_busy", 1) == 0 and g.get("ecs_tasks_queued", 1) == 0
                    and g.get("ecs_reaper_queue_depth", 0) == 0 and g.get("ecs_reaper_deleting", 0) == 0):
                break
            if time.monotonic() > end:
                break
            time.sleep(0.2)
        s = proc_sample(self.a.pid) or (None, None)
        return s[0], s[1], g

    def check_one(self, kind):
        name, endpoint, method, path, body, check = kind
        st, hdrs, data = self.client.request(method, path, body)
        try:
            doc = json.loads(data) if data else None
        except ValueError:
            doc = None
        try:
            good = check(st, hdrs, doc)
        except (KeyError, TypeError, ValueError):
            good = False
        with self.lock:
            self.done += 1
            self.sent[name] = self.sent.get(name, 0) + 1
            if endpoint is not None:
                self.seen[(endpoint, str(st))] = self.seen.get((endpoint, str(st)), 0) + 1
            if not good:
                self.n_unexpected += 1
                if len(self.unexpected) < 10:
                    self.unexpected.append("%s: HTTP %d %s" % (name, st, data[:200].decode("utf-8", "replace")))

    def burst(self, n):
        """n large-output tasks, CONCURRENCY at once (before the timed load)."""
        left = [n]

        def one():
            while True:
                with self.lock:
                    if left[0] == 0:
                        return
                    left[0] -= 1
                self.check_one(self.big_kind)

        threads = [threading.Thread(target=one) for _ in range(self.a.concurrency)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    def run(self):
        a = self.a
        before, _ = self.client.metrics()
        rss0, fds0, _ = self.idle()
        rss_b = fds_b = None
        if a.big_burst > 0:
            self.burst(a.big_burst)
            rss_b, fds_b, _ = self.idle()
        t0 = time.monotonic()
        with self.lock:
            self.done = 0  # the burst's are not the timed load's
        samp = threading.Thread(target=self.sampler, args=(t0,), daemon=True)
        samp.start()
        deadline = t0 + a.duration
        threads = [threading.Thread(target=self.worker, args=(deadline,)) for _ in range(a.concurrency)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.monotonic() - t0
        self.stop_sampling.set()
        samp.join()
        rss1, fds1, gauges = self.idle()
        after, _ = self.client.metrics()
        mismatches = []
        keys = {k for k in list(before) + list(after) + list(self.seen) if k[0] != "_metrics"}
        for k in sorted(keys):
            d = after.get(k, 0) - before.get(k, 0)
            if d != self.seen.get(k, 0):
                mismatches.append("%s %s: _metrics +%d, client saw %d" % (k[0], k[1], d, self.seen.get(k, 0)))
        pts = self.samples
        total = sum(self.sent.values())
        rep = {
            "duration_s": round(wall, 1), "concurrency": a.concurrency,
            "requests": total, "requests_per_s": round(total / wall, 2) if wall else None,
            "sent": dict(sorted(self.sent.items())),
            "statuses": {"%s %s" % k: v for k, v in sorted(self.seen.items())},
            "unexpected": self.n_unexpected, "unexpected_first": self.unexpected,
            "metrics_mismatches": mismatches,
            "big_burst": {"tasks": a.big_burst, "bytes": a.big_bytes, "rss_kib_after": rss_b, "fds_after": fds_b},
            "rss_kib": {"idle_before": rss0, "idle_after": rss1,
                        "first": pts[0][1] if pts else None, "last": pts[-1][1] if pts else None,
                        "max": max(p[1] for p in pts) if pts else None,
                        "slope_kib_per_min": round(slope([(p[0] / 60, p[1]) for p in pts]) or 0, 1),
                        "slope_kib_per_1000_requests": round(slope([(p[3] / 1000, p[1]) for p in pts]) or 0, 1)},
            "fds": {"idle_before": fds0, "idle_after": fds1,
                    "first": pts[0][2] if pts else None, "last": pts[-1][2] if pts else None,
                    "max": max(p[2] for p in pts) if pts else None,
                    "slope_per_min": round(slope([(p[0] / 60, p[2]) for p in pts]) or 0, 2),
                    "slope_per_1000_requests": round(slope([(p[3] / 1000, p[2]) for p in pts]) or 0, 2)},
            "samples": len(pts),
            "idle_gauges": {k: gauges.get(k) for k in ("ecs_workers", "ecs_workers_busy", "ecs_tasks_queued",
                                                        "ecs_reaper_queue_depth", "ecs_reaper_deleting")},
        }
        return rep


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--endpoint", required=True)
    p.add_argument("--ca", required=True)
    p.add_argument("--cert", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--user")
    p.add_argument("--image", required=True)
    p.add_argument("--pid", type=int, required=True)
    p.add_argument("--duration", type=float, required=True)
    p.add_argument("--concurrency", type=int, required=True)
    p.add_argument("--sample", type=float, default=2.0)
    p.add_argument("--big-bytes", type=int, default=1 << 20)
    p.add_argument("--big-every", type=int, default=2)
    p.add_argument("--big-burst", type=int, default=0)
    p.add_argument("--request-timeout", type=float, default=60.0)
    a = p.parse_args()
    s = Soak(a)
    rep = s.run()
    json.dump(rep, sys.stdout, indent=1)
    sys.stdout.write("\n")
    sys.exit(1 if rep["unexpected"] or rep["metrics_mismatches"] else 0)


if __name__ == "__main__":
    main()
