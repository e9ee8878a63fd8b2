# shellcheck shell=bash
# Shell helpers shared by ./bootstrap, scripts/, bench/ and the tests in t/.
# Source it from bash:  . "$ECS_ROOT/scripts/lib.sh"
# Nothing here starts or stops anything by itself.

# The Debian CLI, never whatever else is first on PATH (/usr/local/bin/docker
# may be a different client version).
DOCKER=${DOCKER:-/usr/bin/docker}

log()  { printf '==> %s\n' "$*"; }
info() { printf '    %s\n' "$*"; }
warn() { printf '==> WARNING: %s\n' "$*" >&2; }
die()  { printf '==> ERROR: %s\n' "$*" >&2; exit 1; }

# ecs_idle_warm, ecs_leftovers: what "nothing left" means with warm pools.
# shellcheck source=scripts/leftovers.sh
. "$(dirname "${BASH_SOURCE[0]}")/leftovers.sh"

# wait_for SECONDS COMMAND [ARGS...] (poll instead of sleeping) and the
# rest of the test helpers: the one shell library of them, t/lib/test.sh.
TEST_T=${TEST_T:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../t" && pwd)}
# shellcheck source=t/lib/test.sh
. "$TEST_T/lib/test.sh"

# proc_gone PID: the process has exited (a zombie counts as gone: our init
# may be slow to reap it).
proc_gone() {
	local state
	# The state follows the last ')': the command name may hold spaces.
	state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 0
	[ -z "$state" ] || [ "$state" = Z ] || [ "$state" = X ]
}

# pid_alive PIDFILE NAME: the pid recorded in PIDFILE runs a program called
# NAME (guards against a recycled pid after a reboot or a crash).
pid_alive() {
	local pidfile=$1 name=$2 pid
	[ -s "$pidfile" ] || return 1
	pid=$(cat "$pidfile")
	! proc_gone "$pid" || return 1
	[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$name" ]
}

# start_daemon PIDFILE LOGFILE COMMAND [ARGS...]
# Runs COMMAND in the background in its own session (so a Ctrl-C or the end
# of the calling script does not take it down) and records its pid.
start_daemon() {
	local pidfile=$1 logfile=$2
	shift 2
	# fd 9 is the bootstrap lock: a daemon must not hold it.
	setsid "$@" >"$logfile" 2>&1 </dev/null 9>&- &
	echo $! >"$pidfile"
}

# stop_daemon PIDFILE NAME [SECONDS]
# Stops the process recorded in PIDFILE, if it is still NAME: SIGTERM, wait
# up to SECONDS (default 30), then SIGKILL. Removes the pidfile.
stop_daemon() {
	local pidfile=$1 name=$2 secs=${3:-30} pid
	if ! pid_alive "$pidfile" "$name"; then
		rm -f "$pidfile"
		return 0
	fi
	pid=$(cat "$pidfile")
	log "stopping $name (pid $pid)"
	kill -TERM "$pid" 2>/dev/null || true
	if ! wait_for "$secs" proc_gone "$pid"; then
		warn "$name (pid $pid) did not exit, sending SIGKILL"
		kill -KILL "$pid" 2>/dev/null || true
		wait_for 10 proc_gone "$pid" || warn "$name (pid $pid) still there after SIGKILL"
	fi
	rm -f "$pidfile"
}

# engine_ping: the Docker engine answers on its unix socket.
engine_ping() {
	local sock=${DOCKER_HOST:-unix:///var/run/docker.sock}
	[ "$(curl -s --max-time 2 --unix-socket "${sock#unix://}" http://x/_ping 2>/dev/null)" = OK ]
}

# ecs_containers: ids of every container ecs created (running or not).
ecs_containers() {
	"$DOCKER" ps -aq --filter label=ecs.managed=true
}

# wait_daemon SECONDS NAME PIDFILE LOGFILE COMMAND [ARGS...]
# Like wait_for, for a daemon we just started: polls COMMAND until it
# succeeds, but gives up at once (showing the end of LOGFILE) if the daemon
# has died, and after SECONDS otherwise.
wait_daemon() {
	local secs=$1 name=$2 pidfile=$3 logfile=$4 deadline
	shift 4
	deadline=$(( $(date +%s) + secs ))
	until "$@" >/dev/null 2>&1; do
		if ! pid_alive "$pidfile" "$name"; then
			warn "$name exited while starting; last lines of $logfile:"
			tail -n 20 "$logfile" >&2 || true
			return 1
		fi
		if [ "$(date +%s)" -ge "$deadline" ]; then
			warn "$name not ready after ${secs}s; last lines of $logfile:"
			tail -n 20 "$logfile" >&2 || true
			return 1
		fi
		sleep 0.2
	done
}
