# shellcheck shell=bash
# The .debs, built once for the phases that install them (e2e's
# t/e2e/test_packaging.sh, then systemd's t/ops/test_systemd.sh): one step,
# scripts/build-deb.sh --worktree --lintian, into $BUILD/debs/KEY, where KEY
# names the tracked files as they are on disk (what --worktree packs). A
# later phase, or a later run on the same tree, takes them from there instead
# of building them again (each build took about 100 s of the full run).
# Not a phase: a step of the phases that need the packages. Root only (only
# root installs them; the tests skip or fail without it anyway).

# debs_key: the git tree of the tracked files as they are on disk (built in
# a throw-away index: the tree's own index is left alone), so a commit of
# what was on disk builds nothing new; fails outside a git checkout (then
# nothing is cached).
debs_key() {
	local idx tree rc=0
	idx=$(mktemp "${TMPDIR:-/tmp}/ecs-debs-index.XXXXXX") || return 1
	tree=$(cd "$ECS_ROOT" && export GIT_INDEX_FILE="$idx" &&
		git read-tree HEAD && git add -u && git write-tree) || rc=1
	rm -f "$idx"
	[ "$rc" = 0 ] && echo "${tree:0:20}"
}

# phase_debs DIR: build the .debs into DIR, unless an earlier step did.
# Under a lock: two phases of one tree never build side by side.
phase_debs() {
	local dir=$1
	exec 8>"$BUILD/debs.lock"
	flock 8
	if [ -f "$dir/.complete" ]; then
		echo "already built for this tree: $dir"
		ls -1 "$dir"
		return 0
	fi
	# (keep only the packages of the current tree)
	rm -rf "$BUILD/debs"
	mkdir -p "$dir"
	# nocheck: the package build's own make check (the unit tests,
	# packaging/debian/rules) compiles every test program a third time, for
	# tests that san's unit lane and valgrind run from this same tree: 100
	# CPU-seconds of a machine that is saturated while it builds.
	DEB_BUILD_OPTIONS="parallel=2 nocheck" "$ECS_ROOT/scripts/build-deb.sh" --worktree --lintian "$dir" || return
	touch "$dir/.complete"
}

# run_debs: the step; on success ECS_DEBS_DIR (test_packaging) and
# ECS_TEST_DEBS (test_systemd) name the packages, else both build their own
# (and say why they failed).
run_debs() {
	local key
	[ "$(id -u)" = 0 ] || return 0
	key=$(debs_key) || key=untracked-$$
	# (nice: it runs beside tests that wait on the engine, scripts/runner.sh)
	STEP_NICE=10 run_phase "debs (scripts/build-deb.sh)" 900 phase_debs "$BUILD/debs/$key"
	if passed; then
		export ECS_DEBS_DIR=$BUILD/debs/$key ECS_TEST_DEBS=$BUILD/debs/$key
	fi
}
