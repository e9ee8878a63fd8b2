# shellcheck shell=bash
# scripts/runner.sh: how ./bootstrap test runs its phases (sourced by
# ./bootstrap; starts nothing by itself).
#
# A phase is a file scripts/phases/NAME.sh that declares what it needs,
#   phase_needs NAME "root engine registry build"   (any of them, or "")
# and defines run_NAME, which runs its steps with run_phase (each step its
# own process, its own time limit, one result line). The dispatcher sets up
# the union of what the wanted phases need, once, then runs them in the
# order of PHASE_PLAN. A plan entry with a '|' is a group of lanes run side
# by side ("valgrind|fuzz redocly lint": one lane runs valgrind, another
# fuzz then redocly then lint); a lane's output goes to one log per step,
# printed whole when the step ends, so lanes never interleave their lines.
#
# Results are lines in $RESULTS_FILE (lanes are subshells: a variable would
# not come back), read by summary.

declare -A PHASE_NEEDS=()
# phase_needs NAME "NEED...": a phase file declares itself (scripts/phases/).
phase_needs() { PHASE_NEEDS[$1]=$2; }

RESULTS_FILE=${RESULTS_FILE:-$RUN/test-results}
PHASE_LOGS=$RUN/phase-logs

record() { # record STATUS NAME DETAIL
	printf '%-5s %-40s %s\n' "$1" "$2" "$3" >>"$RESULTS_FILE"
}

# say_whole FILE: print FILE in one piece (lanes take turns on the terminal).
say_whole() {
	(
		flock 8
		cat "$1"
	) 8>>"$PHASE_LOGS/.print-lock"
}

# STEP_NICE=N run_phase ...: the step at nice N. A step that only burns CPU
# (a compile, the package build) sits in a lane beside tests that wait on the
# engine and assert on time (a cancel within 10 s): at nice 10 it takes what
# they leave, and their timing stays near what it is alone.
#
# run_phase NAME SECONDS FUNCTION [ARGS...]: run FUNCTION in a fresh
# `bootstrap __phase` process with errexit, bounded by timeout(1) (which
# kills the whole process group: make, compilers, tests), and record the
# result. The phase runs in the background so that Ctrl-C here stops it at
# once. In a lane (IN_LANE=1) its output goes to a log of its own, printed
# whole at its end. Returns 0 (the bootstrap runs with errexit) and leaves
# the phase's status in PHASE_RC (0 passed); `passed` tests it.
PHASE_PID=
PHASE_RC=0
run_phase() {
	local name=$1 slug
	PHASE_RC=0
	mkdir -p "$PHASE_LOGS"
	slug=$(tr -c 'A-Za-z0-9_.-' '_' <<<"$name")
	STEP_LOG=$PHASE_LOGS/$slug.log
	if [ -z "${IN_LANE:-}" ]; then
		# Shown as it comes (run_step follows the log), and kept for the summary.
		STEP_FOLLOW=1 run_step "$@" || PHASE_RC=$?
	else
		run_step "$@" >"$STEP_LOG" 2>&1 || PHASE_RC=$?
		say_whole "$STEP_LOG"
	fi
	passed || record_failures "$name" "$STEP_LOG"
}

# record_failures NAME FILE: the first lines of a failed step's log that say
# what failed (a test's "not ok", a Check failure, a compiler error), under
# its FAIL line, so the summary (the end of a CI log) says why.
# A test's own words first (make's "Error 1" lines come before the
# test-suite log that holds them), make's and the compiler's otherwise.
record_failures() {
	local lines
	[ -s "$2" ] || return 0
	lines=$(grep -v '^==> ' "$2" | grep -E -m 3 'not ok|FAIL -|^FAIL [^ :]+:|:[FE]:|FAILED' ||
		grep -v '^==> ' "$2" | grep -E -m 3 'error:|Error [0-9]') || return 0
	cut -c 1-200 <<<"$lines" |
		awk -v step="$1" '{ sub(/^[[:space:]]*/, ""); print "      why (" step "): " $0 }' >>"$RESULTS_FILE" || true
}
passed() { [ "$PHASE_RC" = 0 ]; }
# phase_script PATH: run one test script as a step (what most phases do).
phase_script() { "$1"; }

# Where a step's time goes: its own CPU (user+sys of the step's process tree,
# from this shell's reaped children, which the step is: `times` runs in this
# process, so no subshell may call it) and how busy the whole machine was
# over it (/proc/stat). With 2 cores, a step that leaves the machine mostly
# idle can run beside another; one that saturates it gains nothing in a lane.
# children_cpu_ms VAR: VAR = user+sys of this shell's reaped children so
# far, in ms (never inside $(...): that subshell has no children of its own).
children_cpu_ms() {
	local f=$PHASE_LOGS/.times.$BASHPID
	times >"$f"
	printf -v "$1" '%s' "$(awk 'NR == 2 { t = 0; for (i = 1; i <= 2; i++) { split($i, a, "m"); t += a[1] * 60 + a[2] } printf "%d\n", t * 1000 }' "$f")"
	rm -f "$f"
}
# machine_ticks: "BUSY TOTAL" jiffies of all CPUs since boot (idle and iowait
# are not busy).
machine_ticks() {
	awk '$1 == "cpu" { t = 0; for (i = 2; i <= NF; i++) t += $i; print t - $5 - $6, t; exit }' /proc/stat
}
# step_usage CPU0_MS CPU1_MS "BUSY0 TOTAL0": "cpu Ns, machine N% busy".
step_usage() {
	local b0 t0 b1 t1
	read -r b0 t0 <<<"$3"
	read -r b1 t1 < <(machine_ticks)
	printf 'cpu %ds, machine %d%% busy' $((($2 - $1 + 500) / 1000)) $((t1 > t0 ? 100 * (b1 - b0) / (t1 - t0) : 0))
}
run_step() {
	local name=$1 secs=$2 t0 rc=0 dt follow="" cpu0 cpu1 ticks0 usage
	shift 2
	log "[$name] start"
	mkdir -p "$PHASE_LOGS"
	children_cpu_ms cpu0
	ticks0=$(machine_ticks)
	t0=$(date +%s)
	if [ -n "${STEP_FOLLOW:-}" ]; then
		# A file, never a pipe: a daemon the step starts (a fixture's
		# engines) keeps its output open after the step, and would hold
		# a pipe's reader, and this run, for ever. tail follows the file
		# until the step's process is gone (after its last lines).
		: >"$STEP_LOG"
		timeout -k 10 "$secs" nice -n "${STEP_NICE:-0}" "$ECS_ROOT/bootstrap" __phase "$@" 9>&- >>"$STEP_LOG" 2>&1 &
		PHASE_PID=$!
		tail -n +1 -f --pid="$PHASE_PID" "$STEP_LOG" 2>/dev/null &
		follow=$!
	else
		timeout -k 10 "$secs" nice -n "${STEP_NICE:-0}" "$ECS_ROOT/bootstrap" __phase "$@" 9>&- &
		PHASE_PID=$!
	fi
	wait "$PHASE_PID" || rc=$?
	[ -z "$follow" ] || wait "$follow" || true
	PHASE_PID=
	dt=$(($(date +%s) - t0))
	children_cpu_ms cpu1
	usage=$(step_usage "$cpu0" "$cpu1" "$ticks0")
	if [ $rc -eq 0 ]; then
		record PASS "$name" "$(printf '%-6s %s' "${dt}s" "$usage")"
		log "[$name] passed (${dt}s, $usage)"
	elif [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
		record FAIL "$name" "${dt}s, $usage, timed out after ${secs}s"
		log "[$name] FAILED: timed out after ${secs}s ($usage)"
	else
		record FAIL "$name" "${dt}s, $usage, exit $rc"
		log "[$name] FAILED (exit $rc, ${dt}s, $usage)"
	fi
	return $rc
}

skip_phase() { # skip_phase NAME REASON
	record SKIP "$1" "$2"
	log "[$1] skipped: $2"
}

# wanted NAME: NAME is one of the phases asked for.
wanted() { [[ " $WANTED " == *" $1 "* ]]; }

# needs_of PHASES...: the union of what they need, one word each.
needs_of() {
	local p n all=" "
	for p in "$@"; do
		for n in ${PHASE_NEEDS[$p]}; do
			[[ $all == *" $n "* ]] || all="$all$n "
		done
	done
	echo "$all"
}

# run_plan_entry ENTRY: one entry of PHASE_PLAN, its wanted phases only. A
# word PHASE.PART is one part of a phase (run_PHASE_PART), so that a phase's
# parts can sit in different entries (san.build beside phases that wait).
run_plan_entry() {
	local lane lanes=() p keep kept=()
	IFS='|' read -r -a lanes <<<"$1"
	for lane in "${lanes[@]}"; do
		keep=
		for p in $lane; do
			! wanted "${p%%.*}" || keep="$keep run_${p//./_}"
		done
		[ -z "$keep" ] || kept+=("$keep")
	done
	[ ${#kept[@]} -eq 0 ] || run_lanes "${kept[@]}"
}

# run_lanes LANE...: each LANE a list of functions, called in order; the
# lanes side by side (one alone runs here), unless ECS_TEST_SERIAL=1 (for
# measuring what running side by side wins).
LANE_PIDS=
run_lanes() {
	local lane f pid pids=()
	if [ $# -le 1 ] || [ "${ECS_TEST_SERIAL:-}" = 1 ]; then
		for lane in "$@"; do
			for f in $lane; do "$f"; done
		done
		return 0
	fi
	mkdir -p "$PHASE_LOGS"
	log "side by side:$(printf ' [%s ]' "${@//run_/}") (each step's output whole when it ends)"
	for lane in "$@"; do
		(
			IN_LANE=1
			# (a lane's subshell forwards a stop to the step it runs)
			trap '[ -z "$PHASE_PID" ] || kill -TERM "$PHASE_PID" 2>/dev/null; exit 130' INT TERM
			for f in $lane; do "$f"; done
		) &
		pids+=($!)
	done
	# shellcheck disable=SC2034 # (./bootstrap's on_signal stops them)
	LANE_PIDS=${pids[*]}
	for pid in "${pids[@]}"; do wait "$pid" || true; done
	# shellcheck disable=SC2034
	LANE_PIDS=
}

# run_cpu "BUSY0 TOTAL0": what the whole machine's CPUs did since then
# (every process: the engine's work for the tests' containers too), in
# CPU-seconds, and that divided by the cores: the shortest the run could
# have been with the same work and no idle moment. When the wall time is
# near that floor, only less work makes the suite shorter, not more lanes.
run_cpu() {
	local b0 t0 b1 t1 hz cores
	read -r b0 t0 <<<"$1"
	read -r b1 t1 < <(machine_ticks)
	hz=$(getconf CLK_TCK) cores=$(nproc)
	printf 'machine CPU %d s on %d cores: floor %d s, %d%% busy' $(((b1 - b0) / hz)) "$cores" \
		$(((b1 - b0) / hz / cores)) $((t1 > t0 ? 100 * (b1 - b0) / (t1 - t0) : 0))
}

# summary T0: one line per phase, then "N passed, N failed" alone as the
# last line; exits non-zero when anything failed.
summary() {
	local passed failed
	passed=$(grep -c '^PASS ' "$RESULTS_FILE" || true)
	failed=$(grep -c '^FAIL ' "$RESULTS_FILE" || true)
	log "summary ($(($(date +%s) - $1))s, load $(cut -d' ' -f1-3 /proc/loadavg)${RUN_TICKS0:+; $(run_cpu "$RUN_TICKS0")}):"
	sed 's/^/    /' "$RESULTS_FILE"
	printf '%d passed, %d failed\n' "$passed" "$failed"
	if [ "$failed" -ne 0 ]; then exit 1; fi
	exit 0
}
