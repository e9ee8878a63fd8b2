# shellcheck shell=bash
# Registering gVisor's runsc as a runtime of a Docker engine, for ./bootstrap
# (and t/unit/check_daemon_json.sh). Source it after scripts/lib.sh. Nothing here
# runs by itself.
#
# The engine learns its runtimes from daemon.json ("runtimes"), reread on
# SIGHUP: no restart, running containers untouched. We only ever add the
# runsc entry; every other key of an existing daemon.json is kept as it is.

RUNSC_PATH=${RUNSC_PATH:-/usr/bin/runsc}
# ptrace works everywhere; kvm is faster but needs /dev/kvm (see docs/operations.md).
RUNSC_PLATFORM=${RUNSC_PLATFORM:-ptrace}
DAEMON_JSON=${DAEMON_JSON:-/etc/docker/daemon.json}

# daemon_json_add_runsc FILE: make FILE's "runtimes" hold runsc, keeping every
# other key. An existing runsc entry is left as the operator wrote it. A FILE
# that is not a JSON object is refused (exit 1) and left untouched. The new
# content replaces FILE in one rename, with FILE's mode.
# Prints "added", "present" (already there, FILE untouched) or an error.
daemon_json_add_runsc() {
	local file=$1 tmp dir
	dir=$(dirname "$file")
	mkdir -p "$dir"
	if [ -s "$file" ]; then
		if ! jq -e 'type == "object"' "$file" >/dev/null 2>&1; then
			warn "$file is not a JSON object: not touching it"
			return 1
		fi
		if jq -e '.runtimes.runsc != null' "$file" >/dev/null; then
			echo present
			return 0
		fi
		if ! jq -e '(.runtimes // {}) | type == "object"' "$file" >/dev/null; then
			warn "$file: \"runtimes\" is not an object: not touching it"
			return 1
		fi
	fi
	tmp=$(mktemp "$dir/.daemon.json.XXXXXX")
	# shellcheck disable=SC2016 # jq's own $variables
	if ! { if [ -s "$file" ]; then cat "$file"; else echo '{}'; fi; } |
		jq --arg path "$RUNSC_PATH" --arg platform "--platform=$RUNSC_PLATFORM" \
			'.runtimes.runsc = {path: $path, runtimeArgs: [$platform, "--network=none"]}' >"$tmp"; then
		rm -f "$tmp"
		warn "could not write the runsc runtime into $file"
		return 1
	fi
	if [ -e "$file" ]; then
		chmod --reference="$file" "$tmp"
	else
		chmod 644 "$tmp"
	fi
	mv -f "$tmp" "$file"
	echo added
}

# engine_runtimes: the runtime names GET /info lists, one per line.
engine_runtimes() {
	local sock=${DOCKER_HOST:-unix:///var/run/docker.sock}
	curl -sf --max-time 5 --unix-socket "${sock#unix://}" http://x/info | jq -r '.Runtimes // {} | keys[]'
}

# engine_has_runtime NAME: the engine lists NAME among its runtimes.
engine_has_runtime() {
	engine_runtimes 2>/dev/null | grep -qx "$1"
}

# runsc_register PIDFILE: give the running engine the runsc runtime, when we
# may. PIDFILE is where this tree recorded the dockerd it started: only that
# engine is ours to reconfigure (daemon.json, SIGHUP); someone else's is left
# alone and we say so. Never fails the caller: without runsc, the tests that
# need it skip, saying why.
runsc_register() {
	local pidfile=$1 pid state
	if [ ! -x "$RUNSC_PATH" ]; then
		warn "no $RUNSC_PATH (Debian package runsc): the runsc tests will skip"
		return 0
	fi
	if engine_has_runtime runsc; then
		info "engine runtimes: $(engine_runtimes | tr '\n' ' ')"
		return 0
	fi
	# Ours only if the pid we recorded is the dockerd behind the socket
	# (dockerd writes its pid to /var/run/docker.pid).
	if ! pid_alive "$pidfile" dockerd ||
		{ [ -s /var/run/docker.pid ] && [ "$(cat /var/run/docker.pid)" != "$(cat "$pidfile")" ]; }; then
		warn "the engine was not started by this tree's bootstrap: runsc NOT registered," \
			"tests that need it will skip (register it by hand: docs/operations.md, \"gVisor\")"
		return 0
	fi
	pid=$(cat "$pidfile")
	state=$(daemon_json_add_runsc "$DAEMON_JSON") || {
		warn "runsc NOT registered; tests that need it will skip"
		return 0
	}
	log "registering runsc in $DAEMON_JSON ($state), SIGHUP to dockerd (pid $pid)"
	kill -HUP "$pid" || true
	if wait_for 30 engine_has_runtime runsc; then
		info "engine runtimes: $(engine_runtimes | tr '\n' ' ')"
	else
		warn "dockerd (pid $pid) did not take the runsc runtime after SIGHUP; its log says:"
		tail -n 5 "$(dirname "$pidfile")/dockerd.log" >&2 2>/dev/null || true
	fi
}

# runsc_prepare_start: before this tree starts dockerd itself, register
# runsc in daemon.json so the engine has it from the start.
runsc_prepare_start() {
	if [ ! -x "$RUNSC_PATH" ]; then
		warn "no $RUNSC_PATH (Debian package runsc): the runsc tests will skip"
		return 0
	fi
	local state
	if state=$(daemon_json_add_runsc "$DAEMON_JSON"); then
		info "runsc runtime in $DAEMON_JSON ($state)"
	else
		warn "runsc NOT registered; tests that need it will skip"
	fi
}
