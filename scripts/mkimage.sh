#!/bin/bash
# mkimage.sh [NAME:TAG] - build the local test image (default ecs/busybox:latest)
# from Debian's busybox-static, without any network: one static binary,
# a symlink per applet, a minimal /etc and /tmp, fed to `docker import`.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$(readlink -f "$0")")/lib.sh"

name=${1:-ecs/busybox:latest}
busybox=/bin/busybox

[ -x "$busybox" ] || die "$busybox missing (apt-get install busybox-static)"
# A dynamically linked busybox (package busybox) would not run in an empty image.
if ldd "$busybox" >/dev/null 2>&1; then
	die "$busybox is dynamically linked: install busybox-static"
fi

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

mkdir -p "$dir/bin" "$dir/etc" "$dir/tmp" "$dir/root"
chmod 1777 "$dir/tmp"
cp "$busybox" "$dir/bin/busybox"
# Every applet this busybox has (sh echo cat sleep head yes true false printf
# env tr wc dd seq ls kill id ...), so tests can use whatever they need.
for applet in $("$busybox" --list); do
	[ "$applet" = busybox ] || ln -s busybox "$dir/bin/$applet"
done
for applet in sh echo cat sleep head yes true false printf env tr wc dd seq ls kill id; do
	[ -L "$dir/bin/$applet" ] || die "busybox lacks applet $applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$dir/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$dir/etc/group"

log "importing $name"
tar -C "$dir" --numeric-owner --owner=0 --group=0 -c . |
	"$DOCKER" import --change 'ENV PATH=/bin' --change 'CMD ["sh"]' - "$name" >/dev/null
"$DOCKER" run --rm --network none "$name" echo "image $name works"
