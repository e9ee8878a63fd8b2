# shellcheck shell=bash
# scripts/demo.sh: what `./bootstrap demo` shows once the stack is up (or,
# without one, through build/cli/ecs-run). Sourced by ./bootstrap after
# scripts/setup.sh; starts nothing by itself.

# demo_api ARGS...: curl to the stack with its credentials; fails on an HTTP error.
demo_api() {
	curl -sS --fail-with-body --cacert "$ECS_CA_CERT" --cert "$ECS_CLIENT_CERT" --key "$ECS_CLIENT_KEY" \
		${ECS_KEY:+--user "$ECS_KEY:${ECS_SECRET:-}"} "$@"
}

# demo_stack: one hello-world task through the HTTPS API, output decoded.
demo_stack() {
	local resp
	# shellcheck source=/dev/null
	. "$RUN/ecs.env"
	log "POST $ECS_ENDPOINT/v1.1/tasks: echo hello world"
	resp=$(demo_api -H 'Content-Type: application/json' \
		--data '{"docker_image": "'"$TEST_IMAGE"'", "cmd": ["echo", "hello", "world"]}' \
		"$ECS_ENDPOINT/v1.1/tasks") || die "the task failed: $resp"
	info "exitCode $(jq -r .exitCode <<<"$resp")"
	jq -r .stdout <<<"$resp" | base64 -d
	demo_pooled
	demo_session
}

# demo_pooled: the same task again once the warm pool has a container for it
# (the first task's miss gave its key an adaptive pool): its time and output.
demo_pooled() {
	local resp t
	for _ in $(seq 1 50); do
		resp=$(demo_api -H 'Content-Type: application/json' -w '\n%{time_total}' \
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

# demo_session: a sandbox that lives for several commands (issue 17): made
# once, a file put into it, two commands (the second sees what the first
# wrote), a file read out of it, then deleted.
demo_session() {
	local resp sid url
	log "POST $ECS_ENDPOINT/v1.1/sessions: a sandbox for several commands"
	resp=$(demo_api -H 'Content-Type: application/json' --data '{"docker_image": "'"$TEST_IMAGE"'", "idleTimeout": 60}' \
		"$ECS_ENDPOINT/v1.1/sessions") || die "no session: $resp"
	sid=$(jq -r .sessionId <<<"$resp")
	url=$ECS_ENDPOINT/v1.1/sessions/$sid
	info "session $sid, expires at $(jq -r .expiresAt <<<"$resp")"
	log "PUT /files/tmp/greeting.txt"
	printf 'hello from a file\n' | demo_api -X PUT -H 'Content-Type: application/octet-stream' --data-binary @- \
		"$url/files/tmp/greeting.txt" >/dev/null || die "the file did not go in"
	log "exec: cat /tmp/greeting.txt, and write /tmp/shout.txt"
	resp=$(demo_api -H 'Content-Type: application/json' \
		--data '{"cmd": ["sh", "-c", "cat /tmp/greeting.txt; tr a-z A-Z < /tmp/greeting.txt > /tmp/shout.txt"]}' \
		"$url/exec") || die "the exec failed: $resp"
	jq -r .stdout <<<"$resp" | base64 -d
	log "exec: a second command sees what the first wrote"
	resp=$(demo_api -H 'Content-Type: application/json' --data '{"cmd": ["wc", "-c", "/tmp/shout.txt"]}' \
		"$url/exec") || die "the exec failed: $resp"
	jq -r .stdout <<<"$resp" | base64 -d
	log "GET /files/tmp/shout.txt"
	demo_api "$url/files/tmp/shout.txt" || die "the file did not come out"
	demo_api -X DELETE "$url" >/dev/null || die "the session was not deleted"
	info "session $sid deleted"
}

# demo_cli: the same task through libecs directly, while there is no stack.
demo_cli() {
	log "running: ecs-run $TEST_IMAGE echo hello world"
	"$BUILD/cli/ecs-run" "$TEST_IMAGE" echo hello world
}

