# shellcheck shell=bash
# t/fault/lib.sh — sourced by every t/fault/test_*.sh (not a test itself).
#
# Fault tests kill and stop a Docker engine, so they never touch the shared
# one: each test starts a private dockerd of its own (own --data-root,
# --exec-root, --pidfile, socket, containerd namespaces and cgroup parent,
# --bridge=none and no iptables; under `unshare --mount --net` with private mounts
# over /run/containerd and /run/docker, whose paths dockerd and its shims
# hard-code), loads the test image into it (docker save | docker load), and
# puts a stack of its own in front (scripts/stack.sh: ecs-fcgi + nginx on
# 127.0.0.1:$FAULT_PORT, ECS_RUN in the test's temporary directory). A trap
# tears all of it down. Everything is bounded: waits poll with a limit, curl
# has --max-time. Needs root, dockerd, the shared engine (for the image) and
# a build; skipped (exit 77) otherwise. Runs alone: t/fault/test_X.sh.
#
# FAULT_PORT: the stack's HTTPS port (default 8553; the redirect and health
# listeners are off).

set -u
FAULT_REPO=$(cd "$(dirname "$0")/../.." && pwd)
FAULT_NAME=$(basename "$0" .sh)
FAULT_PORT=${FAULT_PORT:-8553}
DOCKER=${DOCKER:-/usr/bin/docker}
IMAGE=${ECS_TEST_IMAGE:-ecs/busybox:latest}
STACK=$FAULT_REPO/scripts/stack.sh
# shellcheck source=scripts/leftovers.sh
. "$FAULT_REPO/scripts/leftovers.sh"
# say, ok, not_ok, check, wait_for, jbody (t/lib/test.sh)
TEST_T=$FAULT_REPO/t
TEST_NAME=$FAULT_NAME
# shellcheck source=t/lib/test.sh
. "$TEST_T/lib/test.sh"

skip_all() { say "skip - $*"; exit 77; }
finish() {
    echo "$FAULT_NAME: $TEST_PASSED passed, $TEST_FAILED failed"
    [ "$TEST_FAILED" -eq 0 ] || { say "--- ecs-fcgi log (tail)"; tail -n 25 "$RUN/ecs-fcgi.log" 2>/dev/null; }
    [ "$TEST_FAILED" -eq 0 ]
    exit $?
}

[ "$(id -u)" = 0 ] || skip_all "needs root (a private dockerd)"
for tool in dockerd unshare curl jq; do
    command -v "$tool" >/dev/null 2>&1 || skip_all "$tool is not installed"
done
[ -x "$FAULT_REPO/build/fcgi-app/ecs-fcgi" ] || skip_all "no build (build/fcgi-app/ecs-fcgi)"
"$DOCKER" image inspect "$IMAGE" >/dev/null 2>&1 || skip_all "$IMAGE is not on the shared engine"

T=$(mktemp -d /tmp/ecs-fault.XXXXXX)
RUN=$T/run
ENG=$T/engine
SOCK=$ENG/docker.sock
ENGINE_PID=
CLIENT_PIDS=

engine_pid() { cat "$ENG/dockerd.pid" 2>/dev/null; }
edocker() { "$DOCKER" -H "unix://$SOCK" "$@"; }
engine_ping() { [ "$(curl -s --max-time 2 --unix-socket "$SOCK" http://d/_ping 2>/dev/null)" = OK ]; }

# engine_start: (re)start the private dockerd and wait for its _ping.
engine_start() {
    mkdir -p "$ENG/root" "$ENG/exec" "$ENG/shadow/containerd" "$ENG/shadow/docker"
    [ -f "$ENG/daemon.json" ] || echo "{\"deprecated-key-path\": \"$ENG/key.json\"}" >"$ENG/daemon.json"
    # setsid: its own process group, so the test's signals and job control
    # never reach it; mount -n: no /run/mount entries on the host.
    # --net: a dockerd with --bridge=none deletes the interface docker0 of its
    # network namespace at start (moby removeDefaultBridgeInterface), which in
    # the host's namespace is the main engine's bridge.
    setsid unshare --mount --net --propagation private -- sh -c "
        mount -n --bind '$ENG/shadow/containerd' /run/containerd
        mount -n --bind '$ENG/shadow/docker' /run/docker
        exec dockerd --data-root '$ENG/root' --exec-root '$ENG/exec' --pidfile '$ENG/dockerd.pid' \
            -H 'unix://$SOCK' --config-file '$ENG/daemon.json' \
            --bridge=none --iptables=false --ip-masq=false --ip-forward=false \
            --containerd-namespace ecsfault$$ --containerd-plugins-namespace ecsfaultp$$ \
            --cgroup-parent /ecs-fault-$$" </dev/null >>"$ENG/dockerd.log" 2>&1 &
    ENGINE_PID=$!
    wait_for 60 engine_ping || { say "private dockerd did not answer"; tail -n 20 "$ENG/dockerd.log"; return 1; }
}

# engine_stop: SIGTERM, then SIGKILL, the private dockerd (and its containerd).
engine_stop() {
    pid=$(engine_pid)
    [ -n "$pid" ] || pid=$ENGINE_PID
    [ -n "$pid" ] || return 0
    kill -CONT "$pid" 2>/dev/null
    kill -TERM "$pid" 2>/dev/null
    wait_for 20 sh -c "! kill -0 $pid 2>/dev/null" || kill -KILL "$pid" 2>/dev/null
    # A dockerd killed with -9 leaves its containerd behind: stop it too.
    cpid=$(cat "$ENG/exec/containerd/containerd.pid" 2>/dev/null)
    if [ -n "$cpid" ] && kill -0 "$cpid" 2>/dev/null; then
        kill -TERM "$cpid" 2>/dev/null
        wait_for 10 sh -c "! kill -0 $cpid 2>/dev/null" || kill -KILL "$cpid" 2>/dev/null
    fi
    ENGINE_PID=
}

# engine_shims_stop: the containerd shims of the private engine's containers
# (their -address names $ENG). A shim whose containerd died with a dockerd
# killed -9 is not taken back by the next containerd: it stays, 13 MB each,
# after its container is gone, unless stopped here.
engine_shims_stop() {
    local p
    for p in $(pgrep -f "containerd-shim.* -address $ENG/" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
}

cleanup() {
    for p in $CLIENT_PIDS; do kill -KILL "$p" 2>/dev/null; done
    ECS_RUN=$RUN "$STACK" stop >/dev/null 2>&1
    if engine_ping; then
        ids=$(edocker ps -aq 2>/dev/null)
        # shellcheck disable=SC2086 # one id per word
        [ -z "$ids" ] || edocker rm -f $ids >/dev/null 2>&1
    fi
    engine_stop
    engine_shims_stop
    rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# fault_setup [ecs.conf lines...]: the private engine with the test image,
# and a stack on it whose [ecs] section gets the given lines.
fault_setup() {
    engine_start || exit 1
    "$DOCKER" save "$IMAGE" | edocker load >/dev/null || { say "cannot load $IMAGE"; exit 1; }
    {
        echo "[ecs]"
        echo "docker_remote_api = unix://$SOCK"
        echo "pull_policy = never"
        echo "default_network = none"
        for l in "$@"; do echo "$l"; done
    } >"$T/ecs.conf"
    if ! ECS_RUN=$RUN ECS_CONFIG=$T/ecs.conf ECS_HTTPS_LISTEN=127.0.0.1:$FAULT_PORT \
         ECS_REDIRECT_LISTEN='' ECS_HEALTH_LISTEN='' \
         ECS_NGINX_CLIENT_RATE=10000r/s ECS_NGINX_CLIENT_BURST=10000 ECS_NGINX_CLIENT_CONN=1000 \
         ECS_NGINX_IP_RATE=10000r/s ECS_NGINX_IP_BURST=10000 ECS_NGINX_IP_CONN=1000 \
         "$STACK" start >"$T/stack.log" 2>&1; then
        say "the stack did not start"; cat "$T/stack.log"; tail -n 20 "$RUN/ecs-fcgi.log" 2>/dev/null; exit 1
    fi
    # shellcheck source=/dev/null
    . "$RUN/ecs.env"
    ECS_KEY=${ECS_KEY:-} ECS_SECRET=${ECS_SECRET:-}
}

# api PATH [curl args...]: one authenticated request; STATUS, $T/body, $T/headers.
# (BODY, for jbody, follows T: a client loop runs with a T of its own.)
api() {
    p=$1; shift
    BODY=$T/body
    STATUS=$(curl -sS -o "$T/body" -D "$T/headers" -w '%{http_code}' --max-time "${MAX_TIME:-60}" \
        --cacert "$ECS_CA_CERT" --cert "${CERT:-$ECS_CLIENT_CERT}" --key "${KEY:-$ECS_CLIENT_KEY}" \
        ${ECS_KEY:+--user "$ECS_KEY:$ECS_SECRET"} "$@" "$ECS_ENDPOINT$p" 2>"$T/curl.err") || STATUS=000
}
# bg_api NAME PATH [curl args...]: api in the background, in a directory of
# its own ($T/bg/NAME: status, body, headers), so clients running at once
# never share a file. Its pid is BG_PID (and in CLIENT_PIDS, for the cleanup).
bg_api() {
    bg_name=$1; shift
    mkdir -p "$T/bg/$bg_name"
    bg_run "$T/bg/$bg_name" "$@" &
    BG_PID=$!
    CLIENT_PIDS="$CLIENT_PIDS $BG_PID"
}
bg_run() { local T=$1; shift; api "$@"; echo "$STATUS" >"$T/status"; }
# bg_result NAME: that client's answer becomes the last one (STATUS, $T/body).
bg_result() {
    STATUS=$(cat "$T/bg/$1/status" 2>/dev/null) || STATUS=000
    BODY=$T/body
    cp "$T/bg/$1/body" "$T/body" 2>/dev/null || : >"$T/body"
    cp "$T/bg/$1/curl.err" "$T/curl.err" 2>/dev/null || : >"$T/curl.err"
}
task_body() { # task_body ARG...: a task body running ARG... on the test image
    printf '%s\n' "$@" | jq -R . | jq -cs --arg img "$IMAGE" '{docker_image: $img, cmd: ., network: "none"}'
}
post_task() { api /v1.1/tasks -H 'Content-Type: application/json' --data-binary "$(task_body "$@")"; }
# bg_task NAME ARG...: post_task in the background, as bg_api.
bg_task() { bg_n=$1; shift; bg_api "$bg_n" /v1.1/tasks -H 'Content-Type: application/json' --data-binary "$(task_body "$@")"; }
# is_json_error STATUS...: the last answer is an ecs JSON error with one of these statuses.
is_json_error() {
    for s in "$@"; do
        [ "$STATUS" = "$s" ] && jq -e --argjson s "$s" '.status == $s and (.code | type == "string") and
            (.message | type == "string") and (.requestId | length > 0)' "$T/body" >/dev/null 2>&1 && return 0
    done
    say "  answer: HTTP $STATUS $(head -c 300 "$T/body" 2>/dev/null) $(cat "$T/curl.err" 2>/dev/null)"
    return 1
}
# ecs containers on the private engine (all of them are this test's), but for idle warm ones
ecs_left() { ecs_leftovers edocker; }
no_ecs_left() { engine_ping && [ -z "$(ecs_left)" ]; }
running_marker() { ecs_marker_containers edocker -- "$1"; } # a running task container with a process whose command line has TEXT
health_is() { # health_is green|red: the comprehensive check says so
    MAX_TIME=20 api '/v1.1/_health?quick=false'
    [ "$(jbody .status)" = "$1" ]
}
