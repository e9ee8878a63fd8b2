# t/fcgi/lib.sh - helpers for the ecs-fcgi integration tests.
# shellcheck shell=sh disable=SC2034,SC2119,SC2120
#
# Each test sources this, writes a config, starts its own ecs-fcgi under
# spawn-fcgi on a socket in its own mktemp -d directory, talks to it with
# cgi-fcgi (libfcgi-bin: FastCGI params come from the environment, the body
# from stdin), and cleans up with a trap. Readiness is polled, never slept.
#
# Environment: ECS_FCGI (the built binary; set by t/Makefile.am),
# DOCKER_SOCK (default /var/run/docker.sock), ECS_TEST_POOL (1: pooled mode,
# below).
# Exit 77 (skipped) when spawn-fcgi, cgi-fcgi, jq or the engine is missing.
#
# Pooled mode (ECS_TEST_POOL=1, bootstrap's pooled phase): the same scripts
# through a warm pool. write_config gives the responder a [pool "IMAGE"]
# section: the [ecs] profile, the key of every task that asks for no limits,
# network, user or runtime of its own (task_json's "network": "none" is the
# default_network, so the same key). Each task request first waits until a
# warm container is there (polled on _metrics), and a 201 must say "pooled":
# true: a miss would silently test the cold path again. A request whose key
# has no pool (limits of its own, another image) goes through unpooled.

set -u

ECS_FCGI=${ECS_FCGI:-$(cd "$(dirname "$0")/../.." && pwd)/fcgi-app/ecs-fcgi}
DOCKER_SOCK=${DOCKER_SOCK:-/var/run/docker.sock}
IMAGE=ecs/busybox:latest
TEST_NAME=$(basename "$0" .sh)
# wait_for, jbody, strict_json_body (t/lib/test.sh; skip below is ours: exit 77)
TEST_T=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=t/lib/test.sh
. "$TEST_T/lib/test.sh"

skip() { echo "SKIP $TEST_NAME: $*"; exit 77; }
fail() {
	echo "FAIL $TEST_NAME: $*"
	if [ -n "${T:-}" ] && [ -f "$T/server.log" ]; then
		echo "--- server log"; tail -n 30 "$T/server.log"
	fi
	exit 1
}
pass() { echo "PASS $TEST_NAME"; exit 0; }

for tool in spawn-fcgi cgi-fcgi jq curl base64 python3; do
	command -v "$tool" >/dev/null 2>&1 || skip "$tool is not installed"
done
[ -x "$ECS_FCGI" ] || skip "no ecs-fcgi at $ECS_FCGI"

docker_api() { curl -sS --max-time 10 --unix-socket "$DOCKER_SOCK" "http://docker$1"; }
docker_api /_ping >/dev/null 2>&1 || skip "no Docker engine at $DOCKER_SOCK"
docker_api "/images/$IMAGE/json" 2>/dev/null | jq -e .Id >/dev/null 2>&1 || skip "image $IMAGE is missing"

POOLED=
POOL_MISS_OK=
POOL_SIZE=2
AGENT=$(cd "$(dirname "$ECS_FCGI")/.." && pwd)/agent/ecs-agent
# every task container's entrypoint, cold and pooled alike
[ -x "$AGENT" ] || skip "no built ecs-agent at $AGENT"
[ "${ECS_TEST_POOL:-}" != 1 ] || POOLED=1

T=$(mktemp -d "${TMPDIR:-/tmp}/ecs-fcgi-it.XXXXXX")
SOCK=$T/sock
SERVER_PID=

# running PID: alive and not a zombie (kill -0 succeeds on an unreaped child).
running() { [ -r "/proc/$1/stat" ] && ! grep -q '^[0-9]* (.*) Z' "/proc/$1/stat"; }

cleanup() {
	if [ -n "$SERVER_PID" ]; then
		kill -TERM "$SERVER_PID" 2>/dev/null
		for _ in $(seq 1 150); do running "$SERVER_PID" || break; sleep 0.1; done
		kill -KILL "$SERVER_PID" 2>/dev/null
		wait "$SERVER_PID" 2>/dev/null
	fi
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# sessions_home: this test's sessions get a home of their own (session_home
# in the config: SESSION_HOME_KEY), so they are found, and removed on the
# way out whatever happened, by their ecs.session-home label; nothing of
# another responder's is touched (write_config gives each test an
# instance_dir of its own, too).
# docker_do METHOD PATH: an engine request.
docker_do() { curl -sS --max-time 10 --unix-socket "$DOCKER_SOCK" -X "$1" "http://docker$2"; }
sessions_home() {
	[ -x "$AGENT" ] || skip "no built ecs-agent at $AGENT"
	SESSION_HOME_KEY="session_home = $TEST_NAME-$$-$(basename "$T")"
	session_filter=$(printf '{"label":["ecs.session-home=%s"]}' \
		"$(printf '%s' "${SESSION_HOME_KEY#session_home = }" | sha256sum | cut -d' ' -f1)" | jq -sRr @uri)
	trap sessions_cleanup EXIT
}
session_containers() { docker_api "/containers/json?all=1&filters=$session_filter" | jq -r '.[].Id'; }
sessions_cleanup() {
	for id in $(session_containers); do docker_do DELETE "/containers/$id?force=1" >/dev/null 2>&1; done
	cleanup
}

# write_config [extra lines...]: a config for tests (auth none, and Docker
# Hub plus the test registry allowed, unless overridden).
write_config() {
	{
		echo "[ecs]"
		echo "log_level = info"
		echo "max_concurrent_executing_http_requests = 4"
		echo "default_network = none"
		echo "sweep_interval = 0"
		case " $* " in *" allowed_registries ="*) ;;
		*) echo "allowed_registries = docker.io ${ECS_TEST_REGISTRY:-127.0.0.1:5000}" ;;
		esac
		# Our own lock directory: in the host's default one, every other
		# responder on the machine (another test, another tree's stack)
		# would sweep this test's containers once it ends or is killed.
		case " $* " in *" instance_dir ="*) ;;
		*) echo "instance_dir = $T/instances" ;;
		esac
		# and our own task store (the default is the package's state directory)
		case " $* " in *" store_path ="*) ;;
		*) echo "store_path = $T/ecs.db" ;;
		esac
		pooled_config_ecs "$@"
		for line in "$@"; do echo "$line"; done
	} > "$T/ecs.conf"
	grep -q '^auth' "$T/ecs.conf" || echo "auth = none" >> "$T/ecs.conf"
	pooled_config_section "$@" >> "$T/ecs.conf"
}

# pooled_config_ecs ARGS / pooled_config_section ARGS: the agent this build
# made (every container's entrypoint) and, in pooled mode, the [ecs] keys and
# the [pool] section; in cold mode no warm pool (unless the test writes a
# pool of its own).
pooled_config_ecs() {
	case " $* " in *"[pool "* | *" pool_agent ="*) return 0 ;; esac
	echo "pool_agent = $AGENT"
	if [ -n "$POOLED" ]; then
		echo "pool_adaptive = no"
	else
		case " $* " in *" pool_budget ="* | *" pool_adaptive ="*) ;; *) echo "pool_budget = 0" ;; esac
	fi
}
pooled_config_section() {
	[ -n "$POOLED" ] || return 0
	case " $* " in *"[pool "* | *" pool_agent ="*) return 0 ;; esac
	printf '\n[pool "%s"]\nsize = %s\n' "$IMAGE" "$POOL_SIZE"
}

# pool_warm_count [NAME=VALUE...]: the responder's warm containers (all
# pools), from _metrics; the task request's identity params (REMOTE_USER,
# SSL_*) go along, for a config whose auth wants them.
pool_warm_count() {
	ids=
	for p in "$@"; do
		case $p in REMOTE_USER=* | SSL_*=* | HTTP_AUTHORIZATION=*) ids="$ids $p" ;; esac
	done
	# shellcheck disable=SC2086 # one word per param: they hold no spaces here
	printf '' | env -i PATH="$PATH" REQUEST_METHOD=GET REQUEST_URI=/v1.1/_metrics SCRIPT_NAME=/v1.1/_metrics \
		QUERY_STRING= SERVER_NAME=localhost SERVER_PORT=80 SERVER_PROTOCOL=HTTP/1.1 GATEWAY_INTERFACE=CGI/1.1 \
		$ids cgi-fcgi -bind -connect "$SOCK" 2>/dev/null | sed -n 's/^ecs_pool_containers \([0-9]*\).*/\1/p'
}

# pool_wait_warm [NAME=VALUE...]: until a warm container is there (up to
# 60 s: the first fill inspects the image, creates and starts the pool's
# containers).
pool_wait_warm() {
	for _ in $(seq 1 600); do
		[ "$(pool_warm_count "$@")" -ge 1 ] 2>/dev/null && return 0
		running "$SERVER_PID" || fail "ecs-fcgi exited while the pool filled"
		sleep 0.1
	done
	fail "no warm container after 60 s: $(grep -i pool "$T/server.log" | tail -n 5)"
}

# unpooled CMD...: a task request whose key has no pool (limits of its own,
# another image): it runs cold in either mode, so no "pooled" is asserted.
unpooled() {
	POOL_MISS_OK=1
	"$@"
	POOL_MISS_OK=
}

# start_server: spawn-fcgi -n execs ecs-fcgi, so $! is the responder itself.
start_server() {
	[ -f "$T/ecs.conf" ] || write_config
	# (7>&-: the private image's lock stays the test's, private_image_lock)
	spawn-fcgi -n -s "$SOCK" -- "$ECS_FCGI" --config "$T/ecs.conf" >>"$T/server.log" 2>&1 7>&- &
	SERVER_PID=$!
	for _ in $(seq 1 100); do
		grep -q 'event=startup' "$T/server.log" && break
		running "$SERVER_PID" || fail "ecs-fcgi exited at start-up"
		sleep 0.1
	done
	grep -q 'event=startup' "$T/server.log" || fail "ecs-fcgi did not start"
	wait_for 10 test -S "$SOCK" || fail "no socket"
}

# req METHOD URI [BODY] [NAME=VALUE...]: one request; sets STATUS, HEADERS
# (file) and BODY (file). Params beyond the CGI basics come as NAME=VALUE.
# With REQ_TIMEOUT=SECONDS set, a request not answered by then fails.
req() {
	method=$1 uri=$2 body=${3:-}
	shift 2; [ $# -gt 0 ] && shift
	out=$(mktemp "$T/resp.XXXXXX")  # unique even in parallel subshells
	path=${uri%%\?*}
	query=
	case $uri in *\?*) query=${uri#*\?} ;; esac
	is_task=
	case $method:$path in POST:/v1.1/tasks | POST:/v1.1/tasks/) is_task=1 ;; esac
	[ -z "$POOLED" ] || [ -z "$is_task" ] || [ -n "$POOL_MISS_OK" ] || pool_wait_warm "$@"
	printf '%s' "$body" | env -i PATH="$PATH" REQUEST_METHOD="$method" REQUEST_URI="$uri" \
		SCRIPT_NAME="$path" QUERY_STRING="$query" SERVER_NAME=localhost SERVER_PORT=80 \
		SERVER_PROTOCOL=HTTP/1.1 GATEWAY_INTERFACE=CGI/1.1 \
		CONTENT_LENGTH="${#body}" "$@" \
		${REQ_TIMEOUT:+timeout "$REQ_TIMEOUT"} cgi-fcgi -bind -connect "$SOCK" > "$out" 2>"$out.err" ||
		fail "cgi-fcgi failed or timed out${REQ_TIMEOUT:+ (${REQ_TIMEOUT} s)}: $(cat "$out.err")"
	HEADERS=$out.head
	BODY=$out.body
	awk 'BEGIN{h=1} h {sub(/\r$/, "")} h && /^$/ {h=0; next} h {print > "'"$HEADERS"'"; next} {print > "'"$BODY"'"}' "$out"
	touch "$BODY" "$HEADERS"
	STATUS=$(sed -n 's/^Status: \([0-9]*\).*/\1/p' "$HEADERS" | head -n 1)
	[ -n "$STATUS" ] || fail "no Status line in: $(cat "$out")"
	# Every error body must be strict UTF-8 JSON, whatever the test checks next
	# (an answer to HEAD has no body: the test checks that itself).
	case $method:$STATUS in
	HEAD:*) ;;
	*:[45][0-9][0-9])
		strict_json_body "$BODY" 2>"$out.strict" ||
			fail "the $STATUS body is not strict UTF-8 JSON: $(cat "$out.strict")" ;;
	esac
	if [ -n "$POOLED" ] && [ -n "$is_task" ] && [ -z "$POOL_MISS_OK" ] && [ "$STATUS" = 201 ]; then
		[ "$(jq -r .pooled < "$BODY")" = true ] || fail "ECS_TEST_POOL=1 but the task ran cold: $(cat "$BODY")"
	fi
}

# post_task JSON [NAME=VALUE...]: POST /v1.1/tasks with a JSON content type.
post_task() {
	b=$1; shift
	req POST /v1.1/tasks "$b" CONTENT_TYPE=application/json "$@"
}

expect_status() { [ "$STATUS" = "$1" ] || fail "status $STATUS, want $1: $(cat "$BODY")"; }
expect_json() {
	got=$(jbody "$1") || fail "body is not JSON: $(cat "$BODY")"
	[ "$got" = "$2" ] || fail "$1 is '$got', want '$2' in $(cat "$BODY")"
}
expect_header() { grep -qiF -x "$1: $2" "$HEADERS" || fail "no header '$1: $2' in $(cat "$HEADERS")"; }
b64() { jbody "$1" | base64 -d; }

# expect_error STATUS CODE: the error document, whole.
expect_error() {
	expect_status "$1"
	expect_header Content-Type 'application/json; charset=utf-8'
	expect_json .status "$1"
	expect_json .code "$2"
	[ "$(jbody '.message | length')" -gt 0 ] || fail "empty message"
	[ "$(jbody '.requestId | length')" -gt 0 ] || fail "empty requestId"
	[ "$(jbody 'keys | length')" = 4 ] || fail "extra fields in the error document: $(cat "$BODY")"
}

# container_ids: every container the server's log says it ran.
container_ids() { sed -n 's/.* container_id=\([0-9a-f]\{12,\}\).*/\1/p' "$T/server.log"; }
# marker_containers MARKER: ids of the running ecs containers one of whose
# processes (the engine's top) has MARKER in its command line. A container's
# own command is ecs-agent, cold or pooled, whatever its task.
marker_containers() {
	list=$(docker_api '/containers/json?filters=%7B%22label%22%3A%5B%22ecs.managed%3Dtrue%22%5D%7D') || return 1
	for id in $(printf '%s' "$list" | jq -r '.[].Id'); do
		docker_api "/containers/$id/top" 2>/dev/null |
			jq -e --arg m "$1" '[.Processes[]? | .[-1] | contains($m)] | any' >/dev/null 2>&1 && echo "$id"
	done | grep .
}
# orphan_task LOCKDIR: a running task whose ecs-fcgi is killed -9 (the
# server must be up): sets ORPHAN, the task's container (checked still
# running), and ORPHAN_INSTANCE, its dead instance (its lock file checked
# in LOCKDIR).
orphan_task() {
	_marker="sleep 43.$$"
	post_task "$(task_json sh -c "$_marker")" > "$T/client.out" 2>&1 &
	_client=$!
	wait_for 10 marker_containers "$_marker" || fail "the task's container never ran"
	ORPHAN=$(marker_containers "$_marker")
	ORPHAN_INSTANCE=$(docker_api "/containers/$ORPHAN/json" | jq -r '.Config.Labels["ecs.instance"]')
	[ -f "$1/$ORPHAN_INSTANCE.lock" ] || fail "no lock file for instance '$ORPHAN_INSTANCE' in $1: $(ls "$1")"
	kill -KILL "$SERVER_PID"
	wait "$SERVER_PID" 2>/dev/null
	SERVER_PID=
	wait $_client
	[ "$(docker_api "/containers/$ORPHAN/json" | jq -r .State.Running)" = true ] || fail "the orphan should still run"
}
container_gone() { [ "$(docker_api "/containers/$1/json" | jq -r '.message // "exists"')" != exists ]; }

# stop_server: SIGTERM and wait; sets SERVER_RC.
stop_server() {
	kill -TERM "$SERVER_PID"
	SERVER_RC=
	for _ in $(seq 1 600); do
		running "$SERVER_PID" || break
		sleep 0.1
	done
	running "$SERVER_PID" && fail "ecs-fcgi still running 60 s after SIGTERM"
	wait "$SERVER_PID"
	SERVER_RC=$?
	SERVER_PID=
}

task_json() {
	# task_json ARG...: {"docker_image": IMAGE, "cmd": [ARG...], "network": "none"}
	# (one argument per line: jq would take "-c" in --args for its own option)
	printf '%s\n' "$@" | jq -R . | jq -cs --arg img "$IMAGE" '{docker_image: $img, cmd: ., network: "none"}'
}

# need_registry: skip unless ./bootstrap's test registry is described (run/test.env).
need_registry() {
	# shellcheck disable=SC2015 # both are tests
	[ -n "${ECS_TEST_REGISTRY:-}" ] && [ -n "${ECS_TEST_PRIVATE_IMAGE:-}" ] ||
		skip "ECS_TEST_REGISTRY/ECS_TEST_PRIVATE_IMAGE not set (run under ./bootstrap test)"
}

# private_image_lock: the private test image is this test's until it ends
# (fd 7): the libecs tests (it_lock_private_image(), the same file) pull and
# remove it, and may run beside the responder's scripts.
private_image_lock() {
	exec 7>"${TMPDIR:-/tmp}/ecs-it-private-image.lock"
	flock 7
}
# private_image_tracked: the private test image is removed again on exit
# (after the server's containers are gone) when it was not in the engine's
# cache at the start; sets the EXIT trap (cleanup included). For the tests
# that pull it. Takes private_image_lock.
private_image_tracked() {
	private_image_lock
	private_enc=$(printf '%s' "$ECS_TEST_PRIVATE_IMAGE" | jq -sRr @uri)
	private_was_present=0
	private_image_present && private_was_present=1
	trap 'private_image_forget; cleanup' EXIT
}
# private_image_present: the private test image is in the engine's cache.
private_image_present() { docker_api "/images/$private_enc/json" 2>/dev/null | jq -e .Id >/dev/null 2>&1; }
private_image_forget() {
	[ "$private_was_present" = 1 ] && return 0
	for c in $(container_ids); do wait_for 10 container_gone "$c"; done
	curl -sS --max-time 30 --unix-socket "$DOCKER_SOCK" -X DELETE "http://docker/images/$private_enc" >/dev/null 2>&1
}

# creds_json IMAGE PASSWORD ARG...: a task body with registry credentials.
creds_json() {
	img=$1 pw=$2; shift 2
	printf '%s\n' "$@" | jq -R . | jq -cs --arg img "$img" --arg u "$ECS_TEST_REGISTRY_USER" --arg p "$pw" \
		'{docker_image: $img, cmd: ., network: "none", creds: {username: $u, password: $p, email: "ci@example.com"}}'
}
