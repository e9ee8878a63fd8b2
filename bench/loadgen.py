#!/usr/bin/env python3
"""loadgen.py - closed-loop load generator for bench/load.sh (standard library only).

Two targets, same task (busybox `echo hello world`, no network), same
concurrency, same bounds:

  ecs     POST /v1.1/tasks through nginx over HTTPS with the client
          certificate (and BASIC credentials when given); a new TLS
          connection per request, like a curl per task. Latency: request
          sent -> 201 body read. The container is deleted by ecs' reaper
          after the answer.
  engine  the bare Docker Engine API on its unix socket (HTTP/1.1):
          POST /containers/create (the confinement of ecs's default
          profile, CONFINEMENT below, offline as ecs creates it:
          NetworkDisabled and ecs's hosts file, offline(); the engine's
          own LogConfig local for the output), POST start, POST wait, GET logs. Latency:
          create sent -> logs read. Delete is handed to a reaper thread,
          as ecs does, so it costs the engine but not the latency.

N workers each take the next request number until COUNT are sent or the
level's time limit has passed (then no new request is started; those in
flight finish, each bounded by its own timeout). Prints one JSON object:
level, sent, ok, errors, statuses, wall seconds, tasks/s, p50/p95/p99 ms,
and the machine's CPU over the level per task answered ("cpu_ms": all of
it, from /proc/stat; "cpu_by": the share of the engine's processes, of
ecs's (nginx, ecs-fcgi) and of this client, from /proc/PID/stat of the
processes alive at the end; "rest" is the containers, their shims, runc and
the kernel). On 2 cores the tasks are CPU-bound at 8 clients, so
tasks/s follows the CPU each task costs: this says whose it is.

  loadgen.py ecs    --endpoint URL --ca F --cert F --key F [--user U:P]
                    --image I --concurrency N --count C --time-limit S
  loadgen.py engine --socket /var/run/docker.sock --image I [--hosts F|none]
                    --concurrency N --count C --time-limit S --label K=V
  loadgen.py churn  (as engine): the pool's refill ceiling - each request a
                    container of the same confinement created, started and
                    deleted by force; run it at pool_refill_concurrency
"""
import argparse
import base64
import http.client
import json
import os
import queue
import socket
import ssl
import sys
import threading
import time
import urllib.parse

# Process names to the group their CPU is reported under (cpu_by); the rest is "rest".
CPU_GROUPS = {"dockerd": "engine", "containerd": "engine", "ecs-fcgi": "ecs", "nginx": "ecs"}
# ecs's default sandbox profile as the engine sees it (lib/profile.c's defaults, the
# HostConfig of ecs's own create), so the engine runs the same confined container:
# without it the engine's reference skips the tmpfs, the cgroup limits and the
# read-only root that every ecs task pays for.
CONFINEMENT = {
    "NetworkMode": "none", "SecurityOpt": ["no-new-privileges"],
    "CapDrop": ["ALL"], "CapAdd": ["CAP_SETUID", "CAP_SETGID", "CAP_SETPCAP", "CAP_KILL"],
    "ReadonlyRootfs": True, "Tmpfs": {"/tmp": "rw,exec,nosuid,nodev,size=67108864"},
    "PidsLimit": 256, "Memory": 536870912, "MemorySwap": 536870912, "NanoCpus": 1000000000,
    "Ulimits": [{"Name": "nofile", "Soft": 1024, "Hard": 1024}],
}
CMD = ["echo", "hello world"]


def default_hosts():
    """The hosts file ecs mounts beside its agent (agent/Makefile.am), in $ECS_BUILD or ../build; None if absent."""
    build = os.environ.get("ECS_BUILD") or os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "build")
    path = os.path.realpath(os.path.join(build, "agent", "hosts"))
    return path if os.path.isfile(path) else None


def offline(hosts):
    """(Config keys, HostConfig keys) of a container without a network as ecs creates it (lib/container.c,
    offline_config): NetworkDisabled, and @hosts at /etc/hosts. Without @hosts: nothing, NetworkMode "none"
    alone, as `docker run --network none` (the engine's libnetwork sandbox and its prestart hook)."""
    if not hosts:
        return {}, {}
    return {"NetworkDisabled": True}, {"Mounts": [{"Type": "bind", "Source": hosts, "Target": "/etc/hosts",
                                                    "ReadOnly": True}]}
EXPECT = b"hello world\n"


def pct(sorted_ms, p):
    """Nearest-rank percentile."""
    if not sorted_ms:
        return None
    rank = max(1, min(len(sorted_ms), int(-(-p * len(sorted_ms) // 100))))
    return sorted_ms[rank - 1]


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout):
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        s.connect(self.unix_path)
        self.sock = s


def demux(raw):
    """The engine's multiplexed log stream -> (stdout, stderr)."""
    out, err, i = bytearray(), bytearray(), 0
    while i + 8 <= len(raw):
        kind, size = raw[i], int.from_bytes(raw[i + 4:i + 8], "big")
        chunk = raw[i + 8:i + 8 + size]
        (out if kind == 1 else err).extend(chunk)
        i += 8 + size
    return bytes(out), bytes(err)


class EcsClient:
    def __init__(self, a):
        u = urllib.parse.urlsplit(a.endpoint)
        if u.hostname not in ("127.0.0.1", "localhost", "::1"):
            sys.exit("loadgen: the endpoint must be on loopback")
        self.host, self.port = u.hostname, u.port or 443
        self.ctx = ssl.create_default_context(cafile=a.ca)
        self.ctx.check_hostname = False  # the demo cert names api.ecs.test
        self.ctx.load_cert_chain(a.cert, a.key)
        self.headers = {"Content-Type": "application/json"}
        if a.user:
            self.headers["Authorization"] = "Basic " + base64.b64encode(a.user.encode()).decode()
        self.body = json.dumps({"docker_image": a.image, "cmd": CMD, "network": "none"})
        self.timeout = a.request_timeout
        self.pooled = 0  # answers with "pooled": true (a warm container's)
        self.lock = threading.Lock()

    def one(self):
        """-> (status string, ok bool)."""
        c = http.client.HTTPSConnection(self.host, self.port, context=self.ctx, timeout=self.timeout)
        try:
            c.request("POST", "/v1.1/tasks", body=self.body, headers=self.headers)
            r = c.getresponse()
            data = r.read()
            ok = False
            if r.status == 201:
                d = json.loads(data)
                ok = d.get("exitCode") == 0 and base64.b64decode(d.get("stdout", "")) == EXPECT
                if d.get("pooled") is True:
                    with self.lock:
                        self.pooled += 1
            return str(r.status), ok
        finally:
            c.close()

    def close(self):
        pass


class EngineClient:
    cmd = CMD

    def __init__(self, a):
        self.sock, self.timeout = a.socket, a.request_timeout
        k, _, v = a.label.partition("=")
        config, host_config = offline(None if a.hosts == "none" else a.hosts)
        self.body = json.dumps(dict(config, **{
            "Image": a.image, "Cmd": self.cmd, "Env": [], "Labels": {k: v}, "Tty": False,
            "AttachStdin": False, "OpenStdin": False, "StdinOnce": False,
            "AttachStdout": False, "AttachStderr": False,
            "HostConfig": dict(CONFINEMENT, AutoRemove=False, LogConfig={"Type": "local", "Config": {
                "max-size": "10m", "max-file": "1", "compress": "false"}}, **host_config)}))
        self.reap = queue.Queue()
        self.reaper = threading.Thread(target=self._reaper, daemon=True)
        self.reaper.start()

    def call(self, method, path, body=None):
        c = UnixHTTPConnection(self.sock, self.timeout)
        try:
            c.request(method, path, body=body,
                      headers={"Content-Type": "application/json"} if body else {})
            r = c.getresponse()
            return r.status, r.read()
        finally:
            c.close()

    def _reaper(self):
        while True:
            cid = self.reap.get()
            if cid is None:
                return
            try:
                self.call("DELETE", "/containers/%s?force=1" % cid)
            except OSError:
                pass
            self.reap.task_done()

    def create_start(self):
        """(container id or None, status of start or "create-N")."""
        st, data = self.call("POST", "/containers/create", self.body)
        if st != 201:
            return None, "create-%d" % st
        cid = json.loads(data)["Id"]
        try:
            st, _ = self.call("POST", "/containers/%s/start" % cid)
        except (OSError, http.client.HTTPException):
            self.reap.put(cid)
            raise
        return cid, st

    def one(self):
        cid, st = self.create_start()
        if cid is None:
            return st, False
        try:
            if st != 204:
                return "start-%d" % st, False
            st, data = self.call("POST", "/containers/%s/wait" % cid)
            if st != 200:
                return "wait-%d" % st, False
            code = json.loads(data).get("StatusCode")
            st, data = self.call("GET", "/containers/%s/logs?stdout=1&stderr=1" % cid)
            if st != 200:
                return "logs-%d" % st, False
            out, _ = demux(data)
            return "ok", code == 0 and out == EXPECT
        finally:
            self.reap.put(cid)

    def close(self):
        self.reap.join()  # every container deleted before we report
        self.reap.put(None)


class ChurnClient(EngineClient):
    """The engine's side of a pool's refill, at the pool's concurrency: a container of the same confinement
    created, started (its process stays, as a warm agent does) and deleted by force, as a used one is."""
    cmd = ["sleep", "600"]

    def one(self):
        cid, st = self.create_start()
        if cid is None:
            return st, False
        gone, _ = self.call("DELETE", "/containers/%s?force=1" % cid)
        if st != 204:
            return "start-%d" % st, False
        return ("ok", True) if gone == 204 else ("delete-%d" % gone, False)


def cpu_sample():
    """(busy jiffies of the machine, {pid: (group, jiffies)} of every live process)."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    busy = sum(v) - v[3] - v[4]  # all but idle and iowait
    procs = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                st = f.read()
        except OSError:
            continue  # gone meanwhile
        name, fields = st[st.index("(") + 1:st.rindex(")")], st[st.rindex(")") + 2:].split()
        group = "client" if int(d) == os.getpid() else CPU_GROUPS.get(name, "rest")
        # utime and stime: a child's time is credited when it is reaped, not when spent
        procs[int(d)] = (group, sum(int(x) for x in fields[11:13]))
    return busy, procs


def cpu_per_task(before, after, tasks):
    """The CPU of the machine between two samples, ms per task, whole and by group."""
    hz = os.sysconf("SC_CLK_TCK")
    per = 1000.0 / hz / max(tasks, 1)
    by = {}
    for pid, (group, j) in after[1].items():
        by[group] = by.get(group, 0) + j - before[1].get(pid, (group, 0))[1]
    by["rest"] = (after[0] - before[0]) - sum(v for k, v in by.items() if k != "rest")
    return round((after[0] - before[0]) * per, 1), {k: round(v * per, 1) for k, v in sorted(by.items())}


def run(client, a):
    lock = threading.Lock()
    state = {"next": 0}
    results = []  # (latency ms, status, ok)
    cpu0 = cpu_sample()
    t0 = time.monotonic()
    deadline = t0 + a.time_limit

    def worker():
        while True:
            with lock:
                if state["next"] >= a.count or time.monotonic() >= deadline:
                    return
                state["next"] += 1
            s = time.monotonic()
            try:
                status, ok = client.one()
            except (OSError, ValueError, http.client.HTTPException) as e:
                status, ok = "exc-" + type(e).__name__, False
            ms = (time.monotonic() - s) * 1000.0
            with lock:
                results.append((ms, status, ok))

    threads = [threading.Thread(target=worker) for _ in range(a.concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - t0
    cpu1 = cpu_sample()
    t1 = time.monotonic()
    client.close()
    backlog = time.monotonic() - t1
    lat = sorted(r[0] for r in results if r[2])
    statuses = {}
    for r in results:
        statuses[r[1]] = statuses.get(r[1], 0) + 1
    ok = len(lat)
    cpu_ms, cpu_by = cpu_per_task(cpu0, cpu1, ok)
    return {
        "target": a.target, "level": a.concurrency, "sent": len(results), "ok": ok,
        "errors": len(results) - ok, "statuses": statuses, "wall_s": round(wall, 3),
        "tasks_per_s": round(ok / wall, 3) if wall > 0 else 0,
        "p50_ms": pct(lat, 50), "p95_ms": pct(lat, 95), "p99_ms": pct(lat, 99),
        "mean_ms": round(sum(lat) / ok, 1) if ok else None,
        "cpu_ms": cpu_ms, "cpu_by": cpu_by,
        "lat_ms": [round(v, 1) for v in lat],  # for load.sh to pool its rounds
        "backlog_s": round(backlog, 3),  # deletions still queued at the end (the engine's reaper thread)
        "pooled": getattr(client, "pooled", None),  # ecs: answers from a warm container
    }


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("target", choices=["ecs", "engine", "churn"])
    p.add_argument("--endpoint")
    p.add_argument("--ca")
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--user", default="")
    p.add_argument("--socket", default="/var/run/docker.sock")
    p.add_argument("--label", default="ecs.bench=load")
    p.add_argument("--hosts", default=default_hosts(),
                   help="ecs's hosts file: the engine runs the container offline as ecs does; "
                        "\"none\": NetworkMode none alone, as docker run --network none")
    p.add_argument("--image", default="ecs/busybox:latest")
    p.add_argument("--concurrency", type=int, default=1)
    p.add_argument("--count", type=int, default=40)
    p.add_argument("--time-limit", type=float, default=60.0)
    p.add_argument("--request-timeout", type=float, default=60.0)
    a = p.parse_args()
    if a.count < 1 or a.count > 10000 or a.concurrency < 1 or a.concurrency > 256:
        sys.exit("loadgen: count must be 1..10000 and concurrency 1..256")
    client = {"ecs": EcsClient, "engine": EngineClient, "churn": ChurnClient}[a.target](a)
    r = run(client, a)
    for k in ("p50_ms", "p95_ms", "p99_ms"):
        if r[k] is not None:
            r[k] = round(r[k], 1)
    print(json.dumps(r))


if __name__ == "__main__":
    main()
