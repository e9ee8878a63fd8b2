#!/bin/bash
# daemon_json_add_runsc (scripts/runsc.sh): registering runsc in an engine's
# daemon.json adds exactly the runsc runtime and keeps everything else; a file
# it cannot read as a JSON object is left byte for byte as it was.
set -euo pipefail
ROOT=$(cd "${srcdir:-.}/.." && pwd)
. "$ROOT/scripts/lib.sh"
. "$ROOT/scripts/runsc.sh"

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
# (ok, not_ok, check: t/lib/test.sh, through scripts/lib.sh)

runsc_entry='{"path":"/usr/bin/runsc","runtimeArgs":["--platform=ptrace","--network=none"]}'

# No file yet: one is made, holding only the runtime, readable by all.
f=$dir/etc/docker/daemon.json
out=$(RUNSC_PLATFORM=ptrace daemon_json_add_runsc "$f")
check "missing file: says added ($out)" [ "$out" = added ]
check "missing file: runsc entry" [ "$(jq -c .runtimes.runsc "$f")" = "$runsc_entry" ]
check "missing file: nothing else" [ "$(jq -c 'keys' "$f")" = '["runtimes"]' ]
check "missing file: mode 644" [ "$(stat -c %a "$f")" = 644 ]

# An operator's file: every other key and runtime kept, mode kept.
f=$dir/other.json
cat >"$f" <<'EOF'
{
  "log-level": "warn",
  "insecure-registries": ["10.0.0.1:5000"],
  "runtimes": {"kata": {"path": "/opt/kata/bin/kata-runtime", "runtimeArgs": ["--x"]}},
  "default-ulimits": {"nofile": {"Name": "nofile", "Hard": 64000, "Soft": 64000}}
}
EOF
chmod 600 "$f"
before=$(jq -S . "$f")
out=$(RUNSC_PLATFORM=ptrace daemon_json_add_runsc "$f")
check "other keys: says added ($out)" [ "$out" = added ]
check "other keys: all kept" [ "$(jq -S 'del(.runtimes.runsc)' "$f")" = "$before" ]
check "other keys: runsc entry" [ "$(jq -c .runtimes.runsc "$f")" = "$runsc_entry" ]
check "other keys: mode 600 kept" [ "$(stat -c %a "$f")" = 600 ]

# The platform is the operator's choice.
f=$dir/kvm.json
echo '{}' >"$f"
RUNSC_PLATFORM=kvm daemon_json_add_runsc "$f" >/dev/null
check "kvm platform" [ "$(jq -c .runtimes.runsc.runtimeArgs "$f")" = '["--platform=kvm","--network=none"]' ]

# A runsc the operator registered already: the file is not rewritten.
f=$dir/present.json
printf '{"runtimes": {"runsc": {"path": "/usr/local/bin/runsc", "runtimeArgs": ["--platform=kvm"]}}}\n' >"$f"
sum=$(sha256sum <"$f")
out=$(daemon_json_add_runsc "$f")
check "present: says present ($out)" [ "$out" = present ]
check "present: file unchanged" [ "$(sha256sum <"$f")" = "$sum" ]

# Files we must not touch: not JSON, not an object, runtimes not an object.
for content in '{"log-level": "warn",' '["runtimes"]' '{"runtimes": ["runsc"]}'; do
	f=$dir/bad.json
	printf '%s\n' "$content" >"$f"
	sum=$(sha256sum <"$f")
	if daemon_json_add_runsc "$f" >/dev/null 2>&1; then
		not_ok "accepted $content"
	else
		ok "refused $content"
	fi
	check "left untouched: $content" [ "$(sha256sum <"$f")" = "$sum" ]
done
check "no temporary file left" [ -z "$(find "$dir" -name '.daemon.json.*')" ]

echo "$TEST_PASSED passed, $TEST_FAILED failed"
[ "$TEST_FAILED" -eq 0 ]
