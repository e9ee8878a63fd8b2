# shellcheck shell=sh
# t/lib/test.sh: the one library of shell test helpers (POSIX sh: the
# t/fcgi scripts run under dash). Sourced by t/fcgi/lib.sh, t/e2e/lib.sh,
# t/fault/lib.sh, t/swarm/lib.sh (through scripts/lib.sh, like ./bootstrap,
# the bench scripts and t/ops) and the self-contained tests. Sourcing it
# starts nothing and defines no state but the counters below.
#
# Reporting, for tests that count their checks (t/e2e, t/fault, t/ops):
#   say TEXT          "NAME: TEXT" (NAME: $TEST_NAME, default the script's
#                     name without .sh)
#   ok / not_ok / skip TEXT   count a check (TEST_PASSED, TEST_FAILED,
#                     TEST_SKIPPED) and say it
#   check DESC COMMAND...     ok DESC when COMMAND succeeds, not_ok otherwise
# Waiting, for everyone:
#   wait_for SECONDS COMMAND...   poll COMMAND (its output discarded) every
#                     0.1 s until it succeeds (0), or fail (1) once SECONDS
#                     (by the clock, not by counting polls) have passed.
#                     Use it instead of a sleep: it returns as soon as the
#                     thing is ready. Say what timed out yourself:
#                     `wait_for 30 ready || fail "not ready after 30 s"`.
# Responses:
#   jbody FILTER      jq -r FILTER on the last response's body ($BODY)
#   strict_json_body FILE   FILE is strict UTF-8 JSON without duplicate
#                     keys (t/lib/strict_json.py); says why on stderr if not

TEST_NAME=${TEST_NAME:-$(basename "$0" .sh)}
TEST_PASSED=0
TEST_FAILED=0
TEST_SKIPPED=0

say() { printf '%s: %s\n' "$TEST_NAME" "$*"; }
ok() { TEST_PASSED=$((TEST_PASSED + 1)); say "ok - $*"; }
not_ok() { TEST_FAILED=$((TEST_FAILED + 1)); say "FAIL - $*"; }
skip() { TEST_SKIPPED=$((TEST_SKIPPED + 1)); say "skip - $*"; }
check() { # check DESC COMMAND...
	_check_d=$1
	shift
	if "$@"; then ok "$_check_d"; else not_ok "$_check_d"; fi
}

wait_for() { # wait_for SECONDS COMMAND...
	# (a deadline, not a count of polls: a slow COMMAND does not stretch it)
	_wait_end=$(($(date +%s) + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -le "$_wait_end" ] || return 1
		sleep 0.1
	done
}

jbody() { jq -r "$1" "$BODY" 2>/dev/null; }

# (its own directory holds strict_json.py; callers pass where t/ is)
# Debian's python3 when there is one: a python3 earlier in PATH may be a
# pyenv shim, about a second a call, and this runs for every error body.
TEST_PYTHON3=/usr/bin/python3
[ -x "$TEST_PYTHON3" ] || TEST_PYTHON3=python3
strict_json_body() { # strict_json_body FILE
	"$TEST_PYTHON3" "$TEST_T/lib/strict_json.py" "$1"
}
