# shellcheck shell=bash
# scripts/demo.sh: what `./bootstrap demo` shows once the stack is up (or,
# without one, through build/cli/ecs-run). Sourced by ./bootstrap after
# scripts/setup.sh; starts nothing by itself.

# demo_stack: one hello-world task through the HTTPS API, output decoded.
demo_stack() {
	local resp
	# shellcheck source=/dev/null
	. "$RUN/ecs.env"
	log "POST $ECS_ENDPOINT/v1.1/tasks: echo hello world"
	resp=$(curl -sS --fail-with-body --cacert "$ECS_CA_CERT" \
		--cert "$ECS_CLIENT_CERT" --key "$ECS_CLIENT_KEY" \
		${ECS_KEY:+--user "$ECS_KEY:${ECS_SECRET:-}"} \
		-H 'Content-Type: application/json' \
		--data '{"docker_image": "'"$TEST_IMAGE"'", "cmd": ["echo", "hello", "world"]}' \
		"$ECS_ENDPOINT/v1.1/tasks") || die "the task failed: $resp"
	info "exitCode $(jq -r .exitCode <<<"$resp")"
	jq -r .stdout <<<"$resp" | base64 -d
	demo_pooled
}

# demo_pooled: the same task again once the warm pool has a container for it
# (the first task's miss gave its key an adaptive pool): its time and output.
demo_pooled() {
	local resp t
	for _ in $(seq 1 50); do
		resp=$(curl -sS --fail-with-body --cacert "$ECS_CA_CERT" \
			--cert "$ECS_CLIENT_CERT" --key "$ECS_CLIENT_KEY" \
			${ECS_KEY:+--user "$ECS_KEY:${ECS_SECRET:-}"} \
			-H 'Content-Type: application/json' -w '\n%{time_total}' \
			--data '{"docker_image": "'"$TEST_IMAGE"'", "cmd": ["echo", "hello", "world"]}' \
			"$ECS_ENDPOINT/v1.1/tasks") || die "the task failed: $resp"
		t=$(tail -n 1 <<<"$resp")
		resp=$(head -n -1 <<<"$resp")
		if [ "$(jq -r .pooled <<<"$resp")" = true ]; then
			info "pooled: a warm container answered in $(awk -v t="$t" 'BEGIN { printf "%.1f", t * 1000 }') ms end to end (new TLS connection included; task $(jq -r .timings.total <<<"$resp") ms)"
			jq -r .stdout <<<"$resp" | base64 -d
			return 0
		fi
		sleep 0.2
	done
	info "no pooled run (the warm pool is off or cannot start ecs-agent: see run/ecs-fcgi.log)"
}

# demo_cli: the same task through libecs directly, while there is no stack.
demo_cli() {
	log "running: ecs-run $TEST_IMAGE echo hello world"
	"$BUILD/cli/ecs-run" "$TEST_IMAGE" echo hello world
}

