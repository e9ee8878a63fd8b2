#!/usr/bin/env python3
"""swarm_floor.py - the Swarm floor: one task as a service on a Swarm manager,
by the engine API alone (no ecs code), with per-phase times. Standard library only.

What ecs's Swarm backend does for `echo hello world`, done as directly as the
API allows: POST /services/create (one replica, restart condition none, the
`local` log driver, the given network), GET /tasks?filters={"service":[ID]}
every --poll-ms until the task is terminal, GET /tasks/ID/logs, then DELETE
/services/ID (off the latency, as ecs's reaper does). Latency: create sent ->
logs read. Phases, in ms from the create sent: created (the answer), scheduled
(the task has a node), running (state running or later), exited (terminal),
logs (read); removed is the DELETE's own time. The phase times are as fine as
the poll.

  swarm_floor.py --socket SOCK --image IMAGE_ID --network NAME|none|bridge
                 --count N [--poll-ms 10] [--label k=v] [--time-limit S]
                 [--spec FILE]

With --spec (the Spec of a service ecs made, from `docker service inspect`)
the task template is that one (image, profile, network, log driver: the same
config), with the command and labels above: the floor for the same service.

Prints one JSON object: sent, ok, errors, p50/p95 of the latency and p50 of
each phase. Removes every service it made, whatever happens.
"""
import argparse
import json
import os
import sys
import time
import urllib.parse

sys.dont_write_bytecode = True  # no __pycache__ in the tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from loadgen import CMD, EXPECT, UnixHTTPConnection, demux, pct  # noqa: E402 (beside this file)


def call(conn, method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    hdrs = {"Content-Type": "application/json"} if data is not None else {}
    conn.request(method, path, body=data, headers=hdrs)
    r = conn.getresponse()
    return r.status, r.read()


TERMINAL = {"complete", "failed", "rejected", "shutdown", "orphaned", "remove"}
RUNNING = {"running"} | TERMINAL


def one(args, conn, n):
    spec = {
        "Name": "ecs-floor-%d-%d" % (int(time.time() * 1000), n),
        "Labels": dict(args.label),
        "TaskTemplate": {
            "ContainerSpec": {"Image": args.image, "Command": CMD, "Labels": dict(args.label)},
            "RestartPolicy": {"Condition": "none"},
            "LogDriver": {"Name": "local", "Options": {"max-size": "10m", "max-file": "1", "compress": "false"}},
        },
        "Mode": {"Replicated": {"Replicas": 1}},
        "EndpointSpec": {"Mode": "dnsrr"},
    }
    if args.network not in ("", "default"):
        spec["TaskTemplate"]["Networks"] = [{"Target": args.network}]
    if args.spec is not None:
        # The spec of a service ecs made: the same image, profile, network and log driver.
        spec["TaskTemplate"] = json.loads(json.dumps(args.spec["TaskTemplate"]))
        spec["TaskTemplate"]["ContainerSpec"].update({"Command": CMD, "Labels": dict(args.label)})
        spec["TaskTemplate"]["ContainerSpec"].pop("Args", None)
        spec["Mode"] = args.spec.get("Mode", spec["Mode"])
        spec["EndpointSpec"] = args.spec.get("EndpointSpec", spec["EndpointSpec"])
    ph = {}
    t0 = time.monotonic()
    ms = lambda: (time.monotonic() - t0) * 1000.0
    st, raw = call(conn, "POST", "/services/create", spec)
    ph["created"] = ms()
    if st != 201:
        raise RuntimeError("create: %d %s" % (st, raw[:200]))
    sid = json.loads(raw)["ID"]
    try:
        filt = urllib.parse.quote(json.dumps({"service": [sid]}))
        task = None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            st, raw = call(conn, "GET", "/tasks?filters=" + filt)
            tasks = json.loads(raw) if st == 200 else []
            if tasks:
                task = max(tasks, key=lambda t: t.get("Version", {}).get("Index", 0))
                state = task["Status"]["State"]
                if task.get("NodeID") and "scheduled" not in ph:
                    ph["scheduled"] = ms()
                if state in RUNNING and "running" not in ph:
                    ph["running"] = ms()
                if state in TERMINAL:
                    ph["exited"] = ms()
                    break
            time.sleep(args.poll_ms / 1000.0)
        if "exited" not in ph:
            raise RuntimeError("task not done in 60 s")
        st, raw = call(conn, "GET", "/tasks/%s/logs?stdout=1&stderr=1&follow=0" % task["ID"])
        ph["logs"] = ms()
        if st != 200 or demux(raw)[0] != EXPECT:
            raise RuntimeError("logs: %d %r" % (st, raw[:100]))
    finally:
        t1 = time.monotonic()
        call(conn, "DELETE", "/services/" + sid)
        ph["removed"] = (time.monotonic() - t1) * 1000.0
    return ph


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--socket", required=True)
    ap.add_argument("--image", required=True)
    ap.add_argument("--network", default="")
    ap.add_argument("--count", type=int, default=10)
    ap.add_argument("--concurrency", type=int, choices=[1], default=1, help="one client only (loadgen.py's flag)")
    ap.add_argument("--time-limit", type=float, default=600, help="no task is started after this many seconds")
    ap.add_argument("--poll-ms", type=float, default=10)
    ap.add_argument("--spec", type=lambda f: json.load(open(f)),
                    help="a service's Spec (docker service inspect): its task template instead of the bare one")
    ap.add_argument("--label", action="append", default=[], type=lambda s: tuple(s.split("=", 1)))
    args = ap.parse_args()
    args.label.append(("ecs.bench", "swarm-floor"))
    conn = UnixHTTPConnection(args.socket, 30)
    phases, lat, errors = [], [], 0
    end = time.monotonic() + args.time_limit
    for n in range(args.count):
        if time.monotonic() >= end:
            break
        try:
            ph = one(args, conn, n)
            phases.append(ph)
            lat.append(ph["logs"])
        except Exception as e:  # noqa: BLE001 (counted, said, and the run goes on)
            errors += 1
            print("swarm_floor: %s" % e, file=sys.stderr)
            conn = UnixHTTPConnection(args.socket, 30)
    lat.sort()
    res = {"level": 1, "sent": len(lat) + errors, "ok": len(lat), "errors": errors,
           "p50_ms": pct(lat, 50), "p95_ms": pct(lat, 95)}
    for k in ("created", "scheduled", "running", "exited", "logs", "removed"):
        res["phase_p50_ms_" + k] = pct(sorted(p[k] for p in phases if k in p), 50)
    print(json.dumps(res))


if __name__ == "__main__":
    main()
