#!/bin/bash
# bench/soak.sh — a bounded soak: DURATION seconds of fixed-concurrency load
# on an isolated stack of its own, good and bad requests mixed, every answer
# checked, the responder's account (/v1.1/_metrics) checked against the
# client's, the responder's RSS and open fds sampled over time (their
# slopes reported per minute and per 1,000 requests, with a verdict line:
# flat or GROWING), and no container of its instance left at the end.
#
# It starts scripts/stack.sh with ECS_RUN in a mktemp -d directory, its own
# loopback port, no redirect or health listener, nginx's rate and connection
# limits raised (the limiter is not what is soaked), pull_policy = never and
# default_network = none (tasks run with network none; an unknown image is a
# 404 without any registry). bench/soak.py drives the load and samples
# /proc/PID of ecs-fcgi; see it for the request mix. The report (JSON) goes
# to stdout, with a summary on stderr.
#
# Exit 0 when the soak held: no unexpected answer, _metrics agrees with what
# the client saw, no container of this responder instance is left (30 s for
# the reaper), and ecs-fcgi is the process that started. RSS and fds are
# reported, not judged (a 60 s run is too short to tell a slope from noise;
# compare idle_before and idle_after, and the slopes of longer runs).
# `./bootstrap test soak` runs it for 60 s at concurrency 4.
#
# Usage: bench/soak.sh [DURATION [CONCURRENCY]]   (root or a docker-group user, after ./bootstrap up)
# Environment (optional):
#   SOAK_DURATION=60  SOAK_CONCURRENCY=4  (the arguments win)
#   SOAK_SAMPLE=2        seconds between RSS/fd samples
#   SOAK_BIG_BYTES=1048576  SOAK_BIG_EVERY=2   a task writing that much stdout
#                        once every N cycles of the request mix (0: never)
#   SOAK_BIG_BURST=20    first, that many such tasks (CONCURRENCY at once), with
#                        the idle RSS before and after them (0: none)
#   SOAK_PORT=<a free loopback port, chosen when unset>
#   SOAK_JSON=FILE       also write the report there
#   SOAK_CONFIG_EXTRA    lines added to the stack's [ecs] section (e.g.
#                        "max_concurrent_executing_http_requests = 8")
#   ECS_TEST_IMAGE=ecs/busybox:latest   ECS_BUILD=<repo>/build
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/leftovers.sh
. "$ROOT/scripts/leftovers.sh"
DURATION=${1:-${SOAK_DURATION:-60}}
CONCURRENCY=${2:-${SOAK_CONCURRENCY:-4}}
IMAGE=${ECS_TEST_IMAGE:-ecs/busybox:latest}
DOCKER=${DOCKER:-/usr/bin/docker}
case $DURATION$CONCURRENCY in *[!0-9]*) echo "soak: DURATION and CONCURRENCY are whole numbers" >&2; exit 2 ;; esac

log() { echo "soak: $*" >&2; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ecs-soak.XXXXXX")
INSTANCE=
ours() { [ -z "$INSTANCE" ] || "$DOCKER" ps -aq --filter "label=ecs.instance=$INSTANCE" 2>/dev/null; }
# ours, but for the idle warm containers of its pools (those are meant to be there)
left_over() { [ -z "$INSTANCE" ] || ecs_leftovers "$DOCKER" -- "label=ecs.instance=$INSTANCE"; }
cleanup() {
    ECS_RUN=$WORK/run "$ROOT/scripts/stack.sh" stop >/dev/null 2>&1 || true
    ids=$(ours || true)
    # shellcheck disable=SC2086 # one id per word
    [ -z "$ids" ] || "$DOCKER" rm -f $ids >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port=${SOAK_PORT:-$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
base=${ECS_CONFIG:-$ROOT/packaging/ecs.conf}
[ -f "$base" ] || base=/dev/null
awk -v extra="${SOAK_CONFIG_EXTRA:-}" '
    function ours() { print "pull_policy = never"; print "default_network = none"; if (extra != "") print extra; done = 1 }
    /^[ \t]*(pull_policy|default_network)[ \t]*=/ { next }
    { print }
    /^[ \t]*\[ecs\][ \t]*$/ && !done { ours() }
    END { if (!done) { print "[ecs]"; ours() } }' "$base" >"$WORK/ecs.conf"

export ECS_RUN="$WORK/run" ECS_CONFIG="$WORK/ecs.conf"
export ECS_HTTPS_LISTEN="127.0.0.1:$port" ECS_REDIRECT_LISTEN='' ECS_HEALTH_LISTEN=''
export ECS_NGINX_CLIENT_RATE=10000r/s ECS_NGINX_CLIENT_BURST=10000 ECS_NGINX_CLIENT_CONN=1000
export ECS_NGINX_IP_RATE=10000r/s ECS_NGINX_IP_BURST=10000 ECS_NGINX_IP_CONN=1000
"$ROOT/scripts/stack.sh" start 2>"$WORK/stack.log" || { cat "$WORK/stack.log" >&2; exit 1; }
# shellcheck source=/dev/null
. "$ECS_RUN/ecs.env"
pid=$(cat "$ECS_RUN/ecs-fcgi.pid")
INSTANCE=$(sed -n 's/.*msg="instance \([^ ]*\) .*/\1/p' "$ECS_RUN/ecs-fcgi.log" | tail -n 1)
[ -n "$INSTANCE" ] || { log "no instance id in $ECS_RUN/ecs-fcgi.log"; exit 1; }
log "stack up on $ECS_ENDPOINT, ecs-fcgi $pid, instance $INSTANCE; ${DURATION}s at concurrency $CONCURRENCY"

rc=0
python3 "$ROOT/bench/soak.py" --endpoint "$ECS_ENDPOINT" --ca "$ECS_CA_CERT" \
    --cert "$ECS_CLIENT_CERT" --key "$ECS_CLIENT_KEY" ${ECS_KEY:+--user "$ECS_KEY:$ECS_SECRET"} \
    --image "$IMAGE" --pid "$pid" --duration "$DURATION" --concurrency "$CONCURRENCY" \
    --sample "${SOAK_SAMPLE:-2}" --big-bytes "${SOAK_BIG_BYTES:-1048576}" --big-every "${SOAK_BIG_EVERY:-2}" \
    --big-burst "${SOAK_BIG_BURST:-20}" \
    >"$WORK/report.json" || rc=1
cat "$WORK/report.json"
[ -z "${SOAK_JSON:-}" ] || cp "$WORK/report.json" "$SOAK_JSON"

python3 - "$WORK/report.json" <<'EOF' >&2 || rc=1
import json, sys
r = json.load(open(sys.argv[1]))
m, f, b = r["rss_kib"], r["fds"], r["big_burst"]
print("soak: %d requests in %.0f s at concurrency %d (%.1f/s): %d unexpected, %d _metrics mismatches"
      % (r["requests"], r["duration_s"], r["concurrency"], r["requests_per_s"] or 0, r["unexpected"],
         len(r["metrics_mismatches"])))
print("soak: sent %s" % ", ".join("%s %d" % kv for kv in r["sent"].items()))
if b["tasks"]:
    print("soak: ecs-fcgi RSS (KiB): idle %s -> after %d tasks of %d bytes stdout: %s (fds %s -> %s)"
          % (m["idle_before"], b["tasks"], b["bytes"], b["rss_kib_after"], f["idle_before"], b["fds_after"]))
print("soak: ecs-fcgi RSS (KiB): idle %s -> under load %s .. %s (max %s, slope %+.1f KiB/min) -> idle %s"
      % (m["idle_before"], m["first"], m["last"], m["max"], m["slope_kib_per_min"], m["idle_after"]))
print("soak: ecs-fcgi open fds: idle %s -> under load %s .. %s (max %s, slope %+.2f/min) -> idle %s"
      % (f["idle_before"], f["first"], f["last"], f["max"], f["slope_per_min"], f["idle_after"]))
# The verdict on growth (reported, not judged: a short run's slope is mostly noise). Flat: under
# FLAT_KIB of RSS and FLAT_FDS fds per 1,000 requests under load. Idle after against idle before is
# shown, not judged: task workers started by the load live on until they retire (workers.h).
FLAT_KIB, FLAT_FDS = 64, 1
rs, fs = m["slope_kib_per_1000_requests"], f["slope_per_1000_requests"]
grew = (m["idle_after"] or 0) - (m["idle_before"] or 0)
# Fewer requests than 1,000 extrapolate a slope per 1,000 from too little: no verdict then.
if r["requests"] < 1000:
    verdict = "too short to tell (fewer than 1,000 requests)"
else:
    verdict = "flat" if rs < FLAT_KIB and fs < FLAT_FDS else "GROWING"
print("soak: verdict: %s over %d requests: RSS %+.1f KiB and fds %+.2f per 1,000 requests, idle %+d KiB "
      "(flat: growing under %d KiB and %d fd per 1,000)" % (verdict, r["requests"], rs, fs, grew, FLAT_KIB, FLAT_FDS))
for line in r["unexpected_first"] + r["metrics_mismatches"]:
    print("soak:   " + line)
EOF

# Nothing of this instance left (the reaper deletes after answering).
i=0
while [ -n "$(left_over)" ] && [ $i -lt 150 ]; do i=$((i + 1)); sleep 0.2; done
left=$(left_over | wc -l)
if [ "$left" -ne 0 ]; then
    log "FAIL: $left container(s) of instance $INSTANCE left after 30 s"
    rc=1
else
    log "no container of instance $INSTANCE left"
fi
if [ "$(cat "$ECS_RUN/ecs-fcgi.pid" 2>/dev/null)" != "$pid" ] || ! kill -0 "$pid" 2>/dev/null; then
    log "FAIL: ecs-fcgi $pid is not running any more"
    rc=1
fi
if [ $rc -eq 0 ]; then log "passed"; else log "FAILED"; fi
exit $rc
