#!/bin/sh
# bench/load.sh — load benchmark: ecs through nginx vs the bare Docker engine,
# at several concurrency levels, in one run on one engine. Measures, never
# asserts; not part of ./bootstrap test.
#
# It starts its own isolated stack (scripts/stack.sh with ECS_RUN in a
# mktemp -d directory, its own loopback port, no redirect or health
# listener, nginx's rate and connection limits raised so that the limiter is
# not what is measured), then for each level sends COUNT `echo hello world`
# tasks ("network": "none") with bench/loadgen.py:
#   ecs     POST /v1.1/tasks over HTTPS with the client certificate (and
#           BASIC credentials with ECS_BENCH_AUTH=client-cert+basic), a new
#           TLS connection per request;
#   engine  the bare Engine API on /var/run/docker.sock (create, start, wait,
#           logs, then delete off the clock, as ecs' reaper does), with the
#           confinement of ecs's default profile (loadgen.py CONFINEMENT),
#           from the same Python client
# (the two alternate which goes first, level by level), and prints tasks/s,
# p50/p95/p99 latency, errors and the machine's CPU per task (and whose:
# on 2 cores the level is CPU-bound, so tasks/s follows it) for both, and
# the ratios ecs/engine.
# Everything is bounded: COUNT requests per level and target, LEVEL_TIME
# seconds per level and target (no new request after it), REQUEST_TIMEOUT
# per request. The stack is stopped and the directory removed on exit; the
# engine containers carry a label of this run only and are all deleted.
#
# Usage: bench/load.sh            (as root or a docker-group user, after ./bootstrap up)
# Environment (optional):
#   LEVELS="1 4 8 16"  COUNT=40 (per round)  ROUNDS=1  LEVEL_TIME=60  REQUEST_TIMEOUT=60
#   ECS_TEST_IMAGE=ecs/busybox:latest   ECS_BUILD=<repo>/build
#   LOAD_PORT=<a free loopback port, chosen when unset>
#   LOAD_JSON=FILE     also write the per-level results, rounds pooled (JSON lines), there
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
LEVELS=${LEVELS:-1 4 8 16}
COUNT=${COUNT:-40}
ROUNDS=${ROUNDS:-1}
LEVEL_TIME=${LEVEL_TIME:-60}
REQUEST_TIMEOUT=${REQUEST_TIMEOUT:-60}
IMAGE=${ECS_TEST_IMAGE:-ecs/busybox:latest}
DOCKER=${DOCKER:-docker}

log() { echo "load: $*" >&2; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ecs-load.XXXXXX")
LABEL=ecs.bench=load-$(basename "$WORK")
cleanup() {
    ECS_RUN=$WORK/run "$ROOT/scripts/stack.sh" stop >/dev/null 2>&1 || true
    ids=$($DOCKER ps -aq --filter "label=$LABEL" 2>/dev/null || true)
    # shellcheck disable=SC2086 # one id per word
    [ -z "$ids" ] || $DOCKER rm -f $ids >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port=${LOAD_PORT:-$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}

export ECS_RUN="$WORK/run"
# The client certificate alone, as bench/stack.sh: BASIC auth has nginx hash
# the secret on every request (6 ms of its CPU here), the operator's choice.
export ECS_AUTH="${ECS_BENCH_AUTH:-client-cert}"
export ECS_HTTPS_LISTEN="127.0.0.1:$port" ECS_REDIRECT_LISTEN='' ECS_HEALTH_LISTEN=''
# The limiter is not what is measured: far above what 16 clients can send.
export ECS_NGINX_CLIENT_RATE=10000r/s ECS_NGINX_CLIENT_BURST=10000 ECS_NGINX_CLIENT_CONN=1000
export ECS_NGINX_IP_RATE=10000r/s ECS_NGINX_IP_BURST=10000 ECS_NGINX_IP_CONN=1000
"$ROOT/scripts/stack.sh" start 2>"$WORK/stack.log" || { cat "$WORK/stack.log" >&2; exit 1; }
# shellcheck source=/dev/null
. "$ECS_RUN/ecs.env"
log "stack up on $ECS_ENDPOINT (run dir $ECS_RUN)"

ecs_gen() {
    python3 "$ROOT/bench/loadgen.py" ecs --endpoint "$ECS_ENDPOINT" --ca "$ECS_CA_CERT" \
        --cert "$ECS_CLIENT_CERT" --key "$ECS_CLIENT_KEY" ${ECS_KEY:+--user "$ECS_KEY:$ECS_SECRET"} \
        --image "$IMAGE" --request-timeout "$REQUEST_TIMEOUT" "$@"
}
engine_gen() {
    python3 "$ROOT/bench/loadgen.py" engine --label "$LABEL" --image "$IMAGE" \
        --request-timeout "$REQUEST_TIMEOUT" "$@"
}
# ecs deletes after answering: let its reaper drain before the next
# measurement so one level's deletions do not slow the next (polled, 60 s).
reaper_idle() {
    curl -s --max-time 5 --cacert "$ECS_CA_CERT" --cert "$ECS_CLIENT_CERT" --key "$ECS_CLIENT_KEY" \
        ${ECS_KEY:+--user "$ECS_KEY:$ECS_SECRET"} "$ECS_ENDPOINT/v1.1/_metrics" 2>/dev/null |
        grep -Eq '^ecs_reaper_queue_depth 0(\.0*)?$'
}
drain() {
    i=0
    until reaper_idle; do
        i=$((i + 1))
        [ $i -lt 300 ] || { log "ecs' reaper did not drain in 60 s"; return 0; }
        sleep 0.2
    done
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
log "load average before: $load_before; levels: $LEVELS; $COUNT tasks per level and target"
# Warm-up (not counted): the image inspect, the TLS session, the engine's caches.
ecs_gen --concurrency 2 --count 4 --time-limit 30 >/dev/null
engine_gen --concurrency 2 --count 4 --time-limit 30 >/dev/null
drain

out=$WORK/results.jsonl
: >"$out"
# ROUNDS rounds per level, the two targets alternating which goes first
# (round by round and level by level), so that a drift in the machine's load
# does not always hit the same one; the table pools the rounds.
first=ecs
for level in $LEVELS; do
    round=1
    while [ "$round" -le "$ROUNDS" ]; do
        for target in "$first" "$([ "$first" = ecs ] && echo engine || echo ecs)"; do
            log "level $level, round $round/$ROUNDS: $target (load average $(cut -d' ' -f1 /proc/loadavg))"
            if [ "$target" = ecs ]; then
                ecs_gen --concurrency "$level" --count "$COUNT" --time-limit "$LEVEL_TIME" >>"$out"
                drain
            else
                engine_gen --concurrency "$level" --count "$COUNT" --time-limit "$LEVEL_TIME" >>"$out"
            fi
        done
        first=$([ "$first" = ecs ] && echo engine || echo ecs)
        round=$((round + 1))
    done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

python3 - "$out" "${LOAD_JSON:-}" <<'EOF'
import json, sys
runs = [json.loads(l) for l in open(sys.argv[1])]
def pct(v, p):
    return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))] if v else None
# the rounds of a (target, level), pooled: tasks over the time they took, latencies and CPU of them all
by = {}
for r in runs:
    by.setdefault((r["target"], r["level"]), []).append(r)
pooled = {}
for key, rs in by.items():
    ok, wall = sum(r["ok"] for r in rs), sum(r["wall_s"] for r in rs)
    lat = sorted(v for r in rs for v in r["lat_ms"])
    statuses = {}
    for r in rs:
        for k, v in r["statuses"].items():
            statuses[k] = statuses.get(k, 0) + v
    cpu_by = {}
    for r in rs:
        for k, v in r["cpu_by"].items():
            cpu_by[k] = cpu_by.get(k, 0) + v * r["ok"]
    pooled[key] = {
        "target": key[0], "level": key[1], "rounds": len(rs), "sent": sum(r["sent"] for r in rs), "ok": ok,
        "errors": sum(r["errors"] for r in rs), "statuses": statuses, "wall_s": round(wall, 3),
        "tasks_per_s": round(ok / wall, 3) if wall > 0 else 0,
        "p50_ms": pct(lat, 50), "p95_ms": pct(lat, 95), "p99_ms": pct(lat, 99),
        "mean_ms": round(sum(lat) / len(lat), 1) if lat else None,
        "cpu_ms": round(sum(r["cpu_ms"] * r["ok"] for r in rs) / ok, 1) if ok else None,
        "cpu_by": {k: round(v / ok, 1) for k, v in cpu_by.items()} if ok else {},
        "round_tasks_per_s": [r["tasks_per_s"] for r in rs],
        "pooled": sum(r["pooled"] for r in rs) if all(r.get("pooled") is not None for r in rs) else None,
    }
for lv in {k[1] for k in pooled}:
    e, b = by.get(("ecs", lv), []), by.get(("engine", lv), [])
    ratios = sorted(x["tasks_per_s"] / y["tasks_per_s"] for x, y in zip(e, b) if y["tasks_per_s"])
    if ("ecs", lv) in pooled and ratios:
        pooled[("ecs", lv)]["round_ratios"] = [round(x, 2) for x in ratios]
if sys.argv[2]:
    with open(sys.argv[2], "w") as out:
        for r in pooled.values():
            out.write(json.dumps(r) + "\n")
def f(v, fmt="%.0f"):
    return "-" if v is None else fmt % v
print("%-6s %-7s %5s %4s %7s %7s %7s %7s %6s  %s" % ("level", "target", "sent", "err", "tasks/s", "p50ms", "p95ms",
      "p99ms", "mean", "CPU ms/task (engine daemons, ecs, rest)"))
for (t, lv), r in sorted(pooled.items(), key=lambda kv: (kv[0][1], kv[0][0] != "ecs")):
    c = r["cpu_by"]
    print("%-6d %-7s %5d %4d %7.2f %7s %7s %7s %6s  %s (%s, %s, %s)" % (lv, t, r["sent"], r["errors"], r["tasks_per_s"],
          f(r["p50_ms"]), f(r["p95_ms"]), f(r["p99_ms"]), f(r["mean_ms"]), f(r["cpu_ms"]),
          f(c.get("engine")), f(c.get("ecs")), f(c.get("rest"))))
    if r["errors"]:
        print("       %s statuses: %s" % (t, r["statuses"]))
print()
print("ecs vs bare engine (ratio ecs/engine of the pooled rounds, then each round's; overhead = ecs - engine)")
print("%-6s %8s %-24s %6s %14s %14s" % ("level", "tasks/s", "  rounds", "p50", "p50 overhead", "p95 overhead"))
for lv in sorted({k[1] for k in pooled}):
    e, b = pooled.get(("ecs", lv)), pooled.get(("engine", lv))
    if not e or not b or not e["p50_ms"] or not b["p50_ms"]:
        continue
    print("%-6d %8s %-24s %6s %14s %14s" % (lv,
          "%.2f" % (e["tasks_per_s"] / b["tasks_per_s"]) if b["tasks_per_s"] else "-",
          "  " + " ".join("%.2f" % x for x in e.get("round_ratios", [])),
          "%.2f" % (e["p50_ms"] / b["p50_ms"]),
          "%+.0f ms" % (e["p50_ms"] - b["p50_ms"]),
          "%+.0f ms" % (e["p95_ms"] - b["p95_ms"])))
EOF
echo
echo "date: $(date -u '+%Y-%m-%d %H:%M UTC'); cpus: $(nproc); load average before: $load_before, after: $load_after"
echo "ecs: $ECS_ENDPOINT (nginx + ecs-fcgi from ${ECS_BUILD:-$ROOT/build}), HTTPS + $ECS_AUTH, new TLS connection per task"
echo "engine: Engine API on /var/run/docker.sock from bench/loadgen.py (create, start, wait, logs; delete off the clock)"
