#!/bin/bash
# Build the Debian packages (libecs5, libecs-dev, ecs-fcgi) from this tree.
#
#   scripts/build-deb.sh [--worktree] [--lintian] [OUTDIR]
#
# Exports the committed tree (git archive HEAD; --worktree takes the tracked
# files as they are on disk, uncommitted edits included) into a temporary
# directory, puts packaging/debian/ where dpkg-buildpackage expects it
# (./debian), runs `dpkg-buildpackage -us -uc -b` there and moves the .deb,
# .buildinfo and .changes files to OUTDIR (default: build-deb/ in the tree).
# Never builds inside the work tree. --lintian runs lintian on the result and
# fails on any error-level tag.
#
# Needs: node and npm for scripts/api-docs.sh (the API reference page), dpkg-dev, debhelper, fakeroot (not with Rules-Requires-Root: no) and
# the Build-Depends of packaging/debian/control (dpkg-checkbuilddeps names any
# that are missing).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
mode="head"
run_lintian=0
OUT=
while [ $# -gt 0 ]; do
	case $1 in
	--worktree) mode=worktree ;;
	--lintian) run_lintian=1 ;;
	-h|--help) sed -n '2,16p' "$0"; exit 0 ;;
	-*) echo "build-deb.sh: unknown option $1" >&2; exit 2 ;;
	*) OUT=$1 ;;
	esac
	shift
done
OUT=${OUT:-$ROOT/build-deb}

version=$(dpkg-parsechangelog -l "$ROOT/packaging/debian/changelog" -S Version)
WORK=$(mktemp -d /tmp/ecs-build-deb.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
SRC=$WORK/ecs-$version
mkdir -p "$SRC"

if git -C "$ROOT" rev-parse --git-dir >/dev/null 2>&1; then
	if [ "$mode" = head ]; then
		git -C "$ROOT" archive --format=tar HEAD | tar -x -C "$SRC"
	else
		# Tracked files as they are on disk; a tracked file deleted on disk is skipped.
		(cd "$ROOT" && git ls-files -z | while IFS= read -r -d '' f; do
			[ -e "$f" ] && printf '%s\0' "$f"; done | tar --null -T - -c) | tar -x -C "$SRC"
	fi
else
	# Not a git checkout (e.g. an unpacked release): copy it, minus build output.
	tar -C "$ROOT" --exclude=./build-deb --exclude=./run --exclude=./.git -c . | tar -x -C "$SRC"
fi

# The API reference page is built (Redocly CLI, from npm: not in Debian), not
# committed: build it here, into the exported tree, where ecs-fcgi.install
# takes it from.
"$ROOT/scripts/api-docs.sh" build "$SRC/docs/api"

rm -rf "$SRC/debian"
cp -a "$SRC/packaging/debian" "$SRC/debian"

echo "==> building ecs $version in $SRC"
(cd "$SRC" && dpkg-buildpackage -us -uc -b)

mkdir -p "$OUT"
rm -f "$OUT"/*.deb "$OUT"/*.buildinfo "$OUT"/*.changes
mv "$WORK"/*.deb "$WORK"/*.buildinfo "$WORK"/*.changes "$OUT"/
echo "==> packages in $OUT:"
ls -1 "$OUT"

if [ "$run_lintian" = 1 ]; then
	echo "==> lintian"
	# On the .debs themselves: lintian given a binary-only .changes checks little.
	lintian -EIL +pedantic "$OUT"/*.deb 2>&1 | grep -v '^running with root' | tee "$OUT/lintian.txt"
	if grep -q '^E: ' "$OUT/lintian.txt"; then
		echo "build-deb.sh: lintian reported errors" >&2
		exit 1
	fi
fi
