#!/bin/bash
# libecs exports only ecs_* symbols, every public prototype is exported, and
# the Debian symbols file lists exactly what is exported (so an addition
# cannot land without it).
set -eu
# shellcheck disable=SC2012 # libtool names the file, no blanks in it
so=$(ls ../lib/.libs/libecs.so.* 2>/dev/null | head -n 1)
[ -n "$so" ] || { echo "libecs.so not built"; exit 1; }
syms=$(nm -D --defined-only "$so" | awk '$2 ~ /^[TDBRVW]$/ {sub(/@.*/, "", $3); print $3}')
bad=$(echo "$syms" | grep -v '^ecs_' || true)
if [ -n "$bad" ]; then echo "exported symbols outside ecs_*:"; echo "$bad"; exit 1; fi
missing=0
# shellcheck disable=SC2013 # function names, one per word
for f in $(grep -ho '^ECS_EXTERN [^(]*(' "${srcdir:-.}"/../lib/include/ecs/*.h | sed 's/.*[ *]\(ecs_[a-z0-9_]*\)(/\1/'); do
	echo "$syms" | grep -qx "$f" || { echo "not exported: $f"; missing=1; }
done
[ $missing -eq 0 ] || exit 1
symfile="${srcdir:-.}"/../packaging/debian/libecs5.symbols
listed=$(sed -n 's/^ \(ecs_[a-z0-9_]*\)@LIBECS_5 .*/\1/p' "$symfile" | sort)
diffs=$(diff <(echo "$syms" | sort) <(echo "$listed") || true)
if [ -n "$diffs" ]; then
	echo "exports (<) and packaging/debian/libecs5.symbols (>) differ:"; echo "$diffs"; exit 1
fi
echo "1 passed, 0 failed"
