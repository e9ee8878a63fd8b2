#!/bin/bash
# Lint the manual pages and check they cover the public API, so the pages
# cannot drift from lib/include/ecs/*.h:
#  - `mandoc -T lint -W warning` is silent on every page;
#  - every function declared ECS_EXTERN in a public header has a page
#    (its own, or a .so link to its module's page that names it in NAME);
#  - every page's cross-references to our own pages resolve;
#  - quoting.py: what lint lets through and a reader trips on (a literal
#    quote that closes a macro argument, parentheses that do not balance in
#    the rendered text, a Qq that swallowed its line, a .Dl mandoc wraps).
# Needs mandoc and python3. Exit 1 on any problem.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
fail=0

for page in "$HERE"/*.[0-9]; do
	if grep -q '^\.so ' "$page"; then
		target=$HERE/$(basename "$(sed -n 's/^\.so man[0-9]\///p' "$page")")
		if [ ! -f "$target" ]; then
			echo "check.sh: $(basename "$page"): .so to a missing page" >&2
			fail=1
		fi
		continue
	fi
	out=$(mandoc -T lint -W warning "$page" 2>&1) || true
	if [ -n "$out" ]; then
		echo "$out" >&2
		fail=1
	fi
done

# Public functions: "ECS_EXTERN <type> [*]ecs_name(".
funcs=$(sed -n 's/^ECS_EXTERN.*[ *]\(ecs_[a-z0-9_]*\)(.*/\1/p' "$ROOT"/lib/include/ecs/*.h | sort -u)
for fn in $funcs; do
	page=$HERE/$fn.3
	if [ ! -f "$page" ]; then
		echo "check.sh: $fn has no manual page (docs/man/$fn.3)" >&2
		fail=1
		continue
	fi
	target=$page
	if grep -q '^\.so ' "$page"; then
		target=$HERE/$(basename "$(sed -n 's/^\.so man[0-9]\///p' "$page")")
	fi
	if ! grep -qx "\.Nm $fn\( ,\)\{0,1\}" "$target"; then
		echo "check.sh: $(basename "$target") does not name $fn in NAME" >&2
		fail=1
	fi
done

# Cross-references to pages that look like ours must exist here.
grep -ho '^\.Xr [a-z_.-]* [0-9]' "$HERE"/*.[0-9] | sort -u | while read -r _ name sec; do
	case $name in
	ecs*|libecs) [ -f "$HERE/$name.$sec" ] || { echo "check.sh: .Xr $name $sec: no such page" >&2; exit 1; } ;;
	esac
done || fail=1

"$HERE/quoting.py" "$HERE"/*.[0-9] || fail=1

count=$(echo "$funcs" | wc -l)
if [ "$fail" = 0 ]; then
	echo "man pages: lint-clean, $count public functions documented"
fi
exit "$fail"
