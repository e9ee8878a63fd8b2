# shellcheck shell=bash
# The tests' view of ecs containers with warm pools: a pooled container's Cmd
# is ecs-agent whatever it runs, so what it runs is read from its processes;
# and a test that expects no ecs container while a responder runs must not
# count the warm containers of its pools. Functions only; source it from bash
# (scripts/lib.sh does, t/e2e/lib.sh, t/fault/lib.sh and bench/soak.sh too).
# DOCKER-COMMAND is the docker command line to use (docker, or a function
# such as the fault tests' edocker).

# ecs_processes DOCKER-COMMAND... ID: the command line of each process of
# container ID, one a line.
ecs_processes() {
	local id=${!#} n=$(($# - 1))
	"${@:1:$n}" top "$id" -o pid,args 2>/dev/null | awk 'NR > 1 { sub(/^ *[0-9]+ +/, ""); print }'
}

# ecs_marker_containers DOCKER-COMMAND... -- MARKER: ids of the running
# containers labelled ecs.managed=true with a process whose command line has
# MARKER.
ecs_marker_containers() {
	local cmd=() id
	while [ $# -gt 0 ] && [ "$1" != -- ]; do cmd+=("$1"); shift; done
	shift
	for id in $("${cmd[@]}" ps -q --no-trunc --filter label=ecs.managed=true --filter status=running 2>/dev/null); do
		ecs_processes "${cmd[@]}" "$id" | grep -qF -- "$1" && echo "$id"
	done | grep .
}

# ecs_idle_warm DOCKER-COMMAND... ID: ID is a warm pool container waiting for
# its task: running, labelled ecs.pool, its only process ecs-agent (with its arguments). Such
# containers belong to a live responder's pool, by design; a pooled container
# that served its task runs that task as a second process, or has exited.
ecs_idle_warm() {
	local id=${!#} n=$(($# - 1))
	case $("${@:1:$n}" inspect --format '{{.State.Running}} {{index .Config.Labels "ecs.pool"}}' "$id" 2>/dev/null) in
	"true "?*) ;;
	*) return 1 ;;
	esac
	# (the agent's own arguments, -u USER [-h], follow its name)
	[ "$(ecs_processes "$@" | awk '{ print $1 }')" = /.ecs/agent ]
}

# ecs_leftovers DOCKER-COMMAND... [-- FILTER...]: ids of the containers labelled
# ecs.managed=true (and every docker ps --filter FILTER) that are not idle warm
# pool containers: what a test that expects "nothing left" while a responder
# runs must find empty.
ecs_leftovers() {
	local cmd=() filters=(--filter label=ecs.managed=true) id
	while [ $# -gt 0 ] && [ "$1" != -- ]; do cmd+=("$1"); shift; done
	[ $# -eq 0 ] || { shift; for f in "$@"; do filters+=(--filter "$f"); done; }
	for id in $("${cmd[@]}" ps -aq --no-trunc "${filters[@]}" 2>/dev/null); do
		ecs_idle_warm "${cmd[@]}" "$id" || echo "$id"
	done
}
