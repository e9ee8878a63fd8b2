#!/bin/bash
# The lint phase: the real tools over what we wrote for them.
#  - cloud-init schema --config-file (Debian's cloud-init) on every
#    cloud-config example: each fenced block of docs/ and packaging/ whose
#    first line is #cloud-config, and each such file;
#  - shellcheck (Debian's) on every shell script of ours: *.sh, and every
#    tracked file with a sh/bash shebang (bootstrap, .ci/run, nginx-conf/render,
#    the maintainer scripts); .shellcheckrc holds the repository-wide
#    exceptions, each with its reason, the rest are inline;
#  - docs/man/check.sh: mandoc -T lint and docs/man/quoting.py.
# Every tool runs on everything, then the phase fails if any found anything.
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TMP=$(mktemp -d /tmp/ecs-lint.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
cd "$ROOT" || exit 1
fail=0

# ---- cloud-init ----------------------------------------------------------------
n=0
while IFS= read -r -d '' f; do
	# Fenced blocks (```yaml ... ```) that start with #cloud-config, one file each.
	awk -v out="$TMP/cc" -v src="$f" '
		/^```/ { if (inblk) { inblk = 0; if (cc) close(file) } else { inblk = 1; first = 1; cc = 0 } next }
		inblk && first { first = 0; if ($0 ~ /^#cloud-config[ \t]*$/) { cc = 1; file = sprintf("%s.%d", out, ++k); gsub(/[\/.]/, "_", src); print src > (file ".src") } }
		inblk && cc { print > file }
	' "$f"
	if head -n1 "$f" | grep -q '^#cloud-config'; then
		cp "$f" "$TMP/cc.file$((++n))"
		echo "$f" >"$TMP/cc.file$n.src"
	fi
done < <(git ls-files -z docs packaging)
found=0
for c in "$TMP"/cc.*; do
	case $c in *.src) continue ;; esac
	found=$((found + 1))
	if ! out=$(cloud-init schema --config-file "$c" 2>&1); then
		echo "cloud-init schema: $(cat "$c.src"): $out" >&2
		fail=1
	fi
done
if [ "$found" = 0 ]; then
	echo "test_lint: no cloud-config example found (docs/operations.md has one)" >&2
	fail=1
else
	echo "cloud-init schema: $found cloud-config example(s) valid or reported"
fi

# ---- shellcheck ----------------------------------------------------------------
git ls-files -z | while IFS= read -r -d '' f; do
	[ -f "$f" ] || continue
	case $f in
	*.sh) printf '%s\0' "$f" ;;
	*) head -n1 "$f" | grep -qE '^#!(/usr)?/bin/(env +)?(ba|da)?sh\b' && printf '%s\0' "$f" ;;
	esac
done >"$TMP/scripts"
count=$(tr -cd '\0' <"$TMP/scripts" | wc -c)
if ! xargs -0 shellcheck -x -f gcc <"$TMP/scripts" >"$TMP/sc.out" 2>&1; then
	cat "$TMP/sc.out" >&2
	echo "shellcheck: $(wc -l <"$TMP/sc.out") finding(s) in $(cut -d: -f1 "$TMP/sc.out" | sort -u | wc -l) of $count scripts" >&2
	fail=1
else
	echo "shellcheck: $count scripts clean"
fi

# ---- man pages -----------------------------------------------------------------
docs/man/check.sh || fail=1

exit "$fail"
