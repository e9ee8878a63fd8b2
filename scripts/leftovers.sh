# shellcheck shell=bash
# "Nothing left" with warm pools: a test that expects no ecs container while a
# responder runs must not count the warm containers of its pools. Functions
# only; source it from bash (scripts/lib.sh does, t/fault/lib.sh and
# bench/soak.sh too).

# ecs_idle_warm DOCKER-COMMAND... ID: ID is a warm pool container waiting for
# its task: running, labelled ecs.pool, its only process ecs-agent. Such
# containers belong to a live responder's pool, by design; a pooled container
# that served its task runs that task as a second process, or has exited.
ecs_idle_warm() {
	local id=${!#} n=$(($# - 1))
	case $("${@:1:$n}" inspect --format '{{.State.Running}} {{index .Config.Labels "ecs.pool"}}' "$id" 2>/dev/null) in
	"true "?*) ;;
	*) return 1 ;;
	esac
	[ "$("${@:1:$n}" top "$id" -o pid,args 2>/dev/null |
		awk 'NR > 1 { n++; if ($2 != "/.ecs/agent") other = 1 } END { print (n == 1 && !other) ? 1 : 0 }')" = 1 ]
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
