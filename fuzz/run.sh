#!/bin/sh
# Build the libecs fuzzers with clang and libFuzzer and run each for a while.
#   fuzz/run.sh [SECONDS]     (default 10 per fuzzer)
# FUZZ_JOBS (default: the number of CPUs, at most 4) fuzzers build and run
# side by side, each on its own core for its full SECONDS: the same work per
# fuzzer as one after another, in a fraction of the wall time.
# Builds straight from lib/*.c (no autotools) into a temporary directory,
# seeds each fuzzer with a small corpus written here, and exits non-zero if
# any fuzzer finds a crash, leak or sanitizer error. On failure the temporary
# directory is kept so the crashing input can be replayed:
#   $WORK/fuzz_NAME $WORK/crash-*
set -eu

duration=${1:-10}
case $duration in
	''|*[!0-9]*) echo "usage: $0 [SECONDS]" >&2; exit 2 ;;
esac

root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/ecs-fuzz.XXXXXX")
keep=0
cleanup() {
	if [ $keep -eq 0 ]; then rm -rf "$work"; else echo "fuzz: kept $work"; fi
}
trap cleanup EXIT
# An interrupted run stops its lanes (below) and their fuzzers too.
lanes=
stop_lanes() {
	for pid in $lanes; do
		pkill -TERM -P "$pid" 2>/dev/null || true
		kill -TERM "$pid" 2>/dev/null || true
	done
}
trap 'stop_lanes; exit 130' INT TERM

CC=${CC:-clang}
CFLAGS="-g -O1 -std=gnu11 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
-fno-omit-frame-pointer -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
-I$root/lib/include -I$root/lib -I$root/agent"
JSONC=$(pkg-config --cflags --libs json-c)
CURL=$(pkg-config --cflags --libs libcurl)
CRYPTO=$(pkg-config --cflags --libs libcrypto)

# build NAME: fuzz_NAME from its source and the lib sources and libraries it
# needs. ecs-fcgi's and ecs-agent's sources include <config.h>, which only
# autotools writes; an empty one ($work/config.h) is enough for them.
build() {
	name=fuzz_$1
	# shellcheck disable=SC2086 # pkg-config flags, one per word
	case $1 in
	demux) set -- "$root/lib/demux.c" "$root/lib/common.c" $CURL ;;
	image_ref) set -- "$root/lib/image_ref.c" ;;
	json) set -- "$root/lib/json_util.c" $JSONC -lm ;;
	agent_proto) set -- "$root/agent/proto.c" ;;
	# PUT's and GET's tar streams
	agent_tar) set -- "$root/agent/tar.c" "$root/agent/proto.c" ;;
	# ecs-fcgi's image patterns
	image_match) set -- -I"$work" -I"$root/fcgi-app" "$root/fcgi-app/image_match.c" "$root/lib/image_ref.c" ;;
	# ecs-agent's resolution of the task's user from the image's passwd and group files
	agent_user) set -- -I"$work" "$root/agent/user.c" ;;
	# ecs-fcgi's parsers of caller bytes
	strict) set -- -I"$work" -I"$root/fcgi-app" "$root/fcgi-app/text.c" "$root/fcgi-app/json_strict.c" $JSONC ;;
	# live output: the Accept header ecs-fcgi reads, the NDJSON answer ecs-run reads
	ndjson) set -- -I"$work" -I"$root/fcgi-app" -I"$root/cli" "$root/fcgi-app/ndjson.c" "$root/fcgi-app/base64.c" \
		"$root/cli/remote_answer.c" $JSONC -lcrypto ;;
	# ecs-fcgi's task body, files and artifacts included, and its paths against the sandbox
	task_body) set -- -D_GNU_SOURCE -I"$work" -I"$root/fcgi-app" "$root/fcgi-app/task_body.c" \
		"$root/fcgi-app/task_files.c" "$root/fcgi-app/task_labels.c" "$root/fcgi-app/base64.c" "$root/fcgi-app/json_strict.c" \
		"$root/fcgi-app/value.c" "$root/fcgi-app/text.c" "$root/lib/image_ref.c" "$root/lib/profile.c" \
		"$root/lib/ids.c" "$root/lib/json_util.c" "$root/lib/common.c" "$root/lib/engine.c" \
		-I"$root/agent" "$root/lib/task_paths.c" "$root/agent/tar.c" $JSONC $CURL $CRYPTO -lm ;;
	# Prefer and Idempotency-Key (issue 18)
	task_headers) set -- -I"$work" -I"$root/fcgi-app" "$root/fcgi-app/task_headers.c" $CRYPTO ;;
	# callback_allow entries and callback URLs judged against them (no DNS)
	callback_url) set -- -I"$work" -I"$root/fcgi-app" "$root/fcgi-app/callback_url.c" "$root/fcgi-app/callback_conf.c" \
		"$root/fcgi-app/conf_key.c" "$root/fcgi-app/value.c" "$root/fcgi-app/text.c" $CURL ;;
	esac
	# shellcheck disable=SC2086 # CFLAGS, one per word
	$CC $CFLAGS -o "$work/$name" "$root/fuzz/$name.c" "$@"
}
: >"$work/config.h"

# ---- seed corpora, written here so nothing is downloaded
seed() { # seed DIR NAME PRINTF-FORMAT
	mkdir -p "$work/seed_$1"
	# shellcheck disable=SC2059 # the seed is a printf format: its escapes make its bytes
	printf "$3" >"$work/seed_$1/$2"
}
# demux: 2-byte caps, chunk seed, then frames [stream 0 0 0 size32be] payload
seed demux one '\000\100\000\100\007\001\000\000\000\000\000\000\006hello\n'
seed demux both '\001\000\001\000\003\001\000\000\000\000\000\000\003out\002\000\000\000\000\000\000\003err\000\000\000\000\000\000\000\002in'
seed demux empty '\000\020\000\020\001\001\000\000\000\000\000\000\000\002\000\000\000\000\000\000\000'
seed demux capped '\000\002\000\001\011\001\000\000\000\000\000\000\010abcdefgh\002\000\000\000\000\000\000\002xy'
seed demux binary '\377\377\377\377\005\002\000\000\000\000\000\000\004\377\376\000\001'
seed demux cut '\000\100\000\100\002\001\000\000\000\000\000\000\011abc'
seed image_ref tag 'busybox:latest'
seed image_ref host '127.0.0.1:5000/ecs/busybox:1.36'
seed image_ref localhost 'localhost/x:1'
seed image_ref digest 'a/b:t@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef'
seed image_ref seps 'registry.example.com/a.b_c__d-e---f/g:v1.2-rc_3'
# issue 22: what the engine resolves as an image id, and names that only look like one
seed image_ref id_prefix 'sha256:2'
seed image_ref id_short 'sha256:2d6b7388b761'
seed image_ref id_full 'sha256:2d6b7388b7612c05bcb1d9a07e1282c791bb791813e79a671be32e0b47cf36f9'
seed image_ref id_bare '2d6b7388b7612c05bcb1d9a07e1282c791bb791813e79a671be32e0b47cf36f9'
seed image_ref id_long 'sha256:2d6b7388b7612c05bcb1d9a07e1282c791bb791813e79a671be32e0b47cf36f900'
seed image_ref id_upper 'sha256:2D6B'
seed image_ref id_sha512 'sha512:2d6b7388b7612c05bcb1d9a07e1282c791bb791813e79a671be32e0b47cf36f92d6b7388b7612c05bcb1d9a07e1282c791bb791813e79a671be32e0b47cf36f9'
seed image_ref hex_repo '2d6b7388b7612c05bcb1d9a07e1282c791bb791813e79a671be32e0b47cf36f9:latest'
seed image_ref hex_repo_digest '2d6b7388b7612c05bcb1d9a07e1282c791bb791813e79a671be32e0b47cf36f9@sha256:2d6b7388b7612c05bcb1d9a07e1282c791bb791813e79a671be32e0b47cf36f9'
seed image_ref alg_repo 'library/sha256:2'
seed image_ref upper_host 'Docker.io/ecs/busybox:latest'
seed image_ref index_host 'index.docker.io/sha256:2'
seed image_ref name_digest '127.0.0.1:5000/ecs/private-busybox@sha256:2d6b7388b7612c05bcb1d9a07e1282c791bb791813e79a671be32e0b47cf36f9'
seed image_ref other_alg 'ecs/busybox:latest@foo:2d6b7388b7612c05bcb1d9a07e1282c7'
seed image_ref upper_first 'Foo/bar:1'
seed json version '{"Version":"20.10.24+dfsg1","ApiVersion":"1.41","MinAPIVersion":"1.12","Experimental":false}\n'
seed json inspect '{"Id":"abc","Created":"2024-01-02T03:04:05.123456789Z","State":{"Status":"exited","Running":false,"ExitCode":137,"OOMKilled":true},"Config":{"Labels":{"ecs.task-id":"t1"}}}'
seed json error '{"message":"No such container: abc"}'
seed json pull '{"errorDetail":{"message":"unauthorized"},"error":"unauthorized"}'
seed json misc '[1,-2.5e3,true,null,"caf\303\251 \\u00e9\\n"]'
seed json nulkey '{"Id\\u0000x":"abc","State":{"ExitCode\\u0000":1},"message":"a\\u0000b"}'
seed json time '2024-01-02T04:04:05.5+01:00'
seed image_match attack 'python:*\npython:5000/evil/x:1'
seed image_match host '*.example.com/ci/*:v?\nr1.example.com/ci/tool:v1'
seed image_match digest 'ecs/tool:1@sha256:*\necs/tool:1@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef'
seed image_match hub 'busybox:1\ndocker.io/library/busybox:1'
seed image_match port '127.0.0.1:*/ecs/*\n127.0.0.1:5000/ecs/private-busybox:1.0'
seed image_match longalg 'ecs/t0:o_@hvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvva5:72012346789abcdef0123564789abcdef0123456789abcdef0123456789abcdef'
# a 516-character reference, longer than the pattern bound was (found by fuzz_image_match)
seed image_match longref '113.00ecs/t0:o_@hvvvrtry-0.d1.doistk-1.doke127.te-bregistroistr-1.doke1.d1.doistk-1.doke127.te-bregistroistr-1.doke127.te-bregistr-1.dokvvvvvvvvv-1.doke12327.te-bregistr-1.doke123.0-0te-bu127.0.0.1s.r127.0-0te-bu127.0u127.0.0.1s.rvvvvvvvvvv-1.doke1230o.847.0.0.5giregistr-1.dokse123.0-0te-bu127.0.0.1s.r127.0-0te-bu127.0u127.0.0.1s.rvvvvvvvvvv-1.doke12327.te-bregistr-1.doke123.0-0te-bu127.0.0.1s.r127.0-0te-bu127.0u127.0.0.1s.rvvvvvvvvvv-1.doke1230o.847.0.0.5giregistr-1.dokstry-va5:234678456788abcdef01234567cedba9f'

# agent_proto: first byte & 3: 0 the agent's frames (answers), 1 its stdin (requests, chunks, cancel; & 4: answers done at once), 2-3 a body of kind byte 1
seed agent_proto exec '\005ECSA\002\001\000\000\000\000\000\050A\000\000\000\003sh\000A\000\000\000\003-c\000E\000\000\000\004X=1\000W\000\000\000\002/\000T\000\000\000\0035\000\020\000\000\000\000\000\000\002hi\020\000\000\000\000\000\000\000\021\000\000\000\000\000\000\000'
seed agent_proto sequence '\005ECSA\002\002\000\000\000\000\000\011P\000\000\000\004/tmp\000\020\000\000\000\000\000\000\001x\020\000\000\000\000\000\000\000ECSA\002\003\000\000\000\000\000\020P\000\000\000\004/tmp\000L\000\000\000\0021\000ECSA\002\004\000\000\000\000\000\000'
seed agent_proto v1 '\001ECSA\001\000\000\000\000\000\000\007A\000\000\000\002a\000'
seed agent_proto body_get '\002\003P\000\000\000\004/tmp\000L\000\000\000\00516777\000'
seed agent_proto frames '\000\003\000\000\000\000\000\000\010\002\000\000\000\000\000\000\007\001\000\000\000\000\000\000\003hi\n\002\000\000\000\000\000\000\002\377\376\005\000\000\000\000\000\000\014\001\005\000\000\000\000\000\211\000\000\000\011\006\000\000\000\000\000\000\003tar\005\000\000\000\000\000\000\014\000\010\000\000\000\000\000\000\000\000\000\000'
seed agent_proto message '\004\004\000\000\000\000\000\000\004note\005\000\000\000\000\000\000\014\002\000\000\000\000\000\000\002\000\000\000\000'
# agent_tar: a chunking byte, then a tar stream; GNU tar's own (its "./" names, a long name) and a pax one
mkdir -p "$work/seed_agent_tar" "$work/tarsrc/d/$(printf 'n%.0s' $(seq 120))"
printf 'x' >"$work/tarsrc/d/f"
printf 'y' >"$work/tarsrc/d/$(printf 'n%.0s' $(seq 120))/g"
{ printf '\007'; tar -C "$work/tarsrc" -cf - .; } >"$work/seed_agent_tar/gnu"
{ printf '\003'; tar --format=posix -C "$work/tarsrc" -cf - d; } >"$work/seed_agent_tar/pax"
rm -rf "$work/tarsrc"
# agent_user: spec NUL passwd NUL group
seed agent_user root '\000root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n\000root:x:0:\nstaff:x:50:nobody,root\nnogroup:x:65534:\n'
seed agent_user named 'nobody\000root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534::/home/n:/bin/false\n\000a:x:7:nobody\nb:x:8:x,nobody,y\n'
seed agent_user group '1000:staff\000  u:x:1000:1000:::\n\n\000staff:x:50:\n'
seed agent_user range '4294967295\000\000'
seed strict task '{"docker_image":"ecs/busybox:latest","cmd":["echo","caf\303\251 \\ud83d\\ude00"],"limits":{"pids":10}}'
seed strict dup '{"a":{"b":1,"b":[{"c":"x:y"}]},"\\u0061":2}'
seed strict surrogate '["\\ud800\\u0041","\\udc00"]'
seed strict nulkey '{"cmd\\u0000x":["true"],"timeout\\u0000":5,"\\u0000":{"pids\\u0000" :1},"v":"\\u0000"}'
seed strict bytes '\177{"k\300\257":"\355\240\200\364\220\200\200\303"}'

# ndjson: first byte even = an Accept header, odd = a streamed answer (second byte: chunk size)
seed ndjson accept '\000text/html, application/x-ndjson;q=0.5, */*;q=0'
seed ndjson answer '\001\007{"stream":"stdout","data":"YQo="}\n{"stream":"stderr","data":"/w=="}\n{"exitCode":0,"stdoutBytes":2,"artifacts":[{"path":"/tmp/a","content":"","size":0,"truncated":false}]}\n'
seed ndjson error '\001\000{"stream":"stdout","data":"eA=="}\n{"error":{"status":502,"code":"ENGINE_ERROR","message":"x","requestId":"r"}}\n'

names="demux image_ref image_match json agent_proto agent_tar agent_user strict ndjson task_body task_headers callback_url"
# callback_url: callback_allow, a newline, a task's callback URL (issue 18's attacks)
seed callback_url listed 'allowed.example, http://127.0.0.1:8615 [::1]:8616\nhttp://127.0.0.1:8615/hook'
seed callback_url userinfo 'allowed.example\nhttps://allowed.example@127.0.0.1/'
seed callback_url numeric 'http://127.0.0.1:80\nhttp://0x7f.1/'
seed callback_url zone '[fe80::1]\nhttps://[fe80::1%%25eth0]/'
seed callback_url dot 'HTTPS://Allowed.Example:8443,10.0.0.5\nhttps://ALLOWED.example.:8443/x?y#z'
seed callback_url mapped '127.0.0.1\nhttps://[::ffff:127.0.0.1]/'
# task_body: every member of the body, files and artifacts too (issue 17)
seed task_body files '{"docker_image":"ecs/busybox:latest","cmd":["sh","-c","cat /tmp/in"],"files":[{"path":"/tmp/in","content":"AAEC/w==","mode":493},{"path":"/work/a/b","mode":"0600"},{"path":"/data/x","content":""}],"artifacts":["/tmp","/work/out","/etc/passwd"]}'
seed task_body escape '{"docker_image":"a:1","cmd":["true"],"files":[{"path":"/tmp/../etc/x","content":"eA=="},{"path":"tmp//x"}],"artifacts":["/tmp/./x","/proc/self/mem","/tmp/a\\u0000b",""]}'
seed task_body everything '{"docker_image":"r.example:5000/a/b@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef","cmd":["x"],"creds":{"username":"u","password":"p","email":"e"},"timeout":5,"env":["A=1"],"stdin":"eA==","limits":{"memory":"64M","cpus":0.5,"pids":8},"network":"none","user":"65534:65534","runtime":"runsc","files":[],"artifacts":[]}'
seed task_body labels '{"docker_image":"a:1","cmd":["true"],"labels":{"batch":"b-7","a/b.c_d-e":"","x":"\\u00e9t\\u00e9"},"callback":{"url":"https://hook.example:8443/x?y=1"}}'
seed task_body badlabels '{"docker_image":"a:1","cmd":["true"],"labels":{"k\\u0000":"v","sp ace":"\\n","n":1},"callback":{"url":"","extra":1}}'
seed task_headers prefer 'handling=lenient; x="a,\\"respond-async", respond-async;q=1, wait=10'
seed task_headers key '8e03978e-40d5-43e8-bc93-6894a57f9324'
seed task_body modes '{"docker_image":"a:1","cmd":["true"],"files":[{"path":"/tmp/a","mode":"0777"},{"path":"/tmp/b","mode":511},{"path":"/tmp/c","mode":"8"},{"path":"/tmp/d","mode":-1},{"path":"/tmp/e","mode":1.5,"owner":0}]}'

jobs=${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 1)}
case $jobs in ''|*[!0-9]*|0) jobs=1 ;; esac
[ "$jobs" -le 4 ] || jobs=4

# fuzz NAME: build fuzz_NAME and run it for $duration seconds; its log and
# its verdict (fuzz_NAME.rc: build failed, run failed or ok) stay in $work.
fuzz() {
	if ! build "$1" >"$work/fuzz_$1.log" 2>&1; then
		echo build >"$work/fuzz_$1.rc"
		return
	fi
	mkdir -p "$work/corpus_$1"
	if (cd "$work" && "./fuzz_$1" -max_total_time="$duration" -timeout=10 -rss_limit_mb=2048 \
			-max_len=4096 -print_final_stats=1 -artifact_prefix="$work/" \
			"corpus_$1" "seed_$1" >>"$work/fuzz_$1.log" 2>&1); then
		echo ok >"$work/fuzz_$1.rc"
	else
		echo run >"$work/fuzz_$1.rc"
	fi
}

# $jobs lanes, each taking every $jobs-th fuzzer in turn.
# shellcheck disable=SC2086 # count the names
echo "fuzz: $(echo $names | wc -w) fuzzers for ${duration}s each, $jobs at a time"
lanes=
lane=0
while [ $lane -lt "$jobs" ]; do
	(
		i=0
		for name in $names; do
			[ $((i % jobs)) -ne $lane ] || fuzz "$name"
			i=$((i + 1))
		done
	) &
	lanes="$lanes $!"
	lane=$((lane + 1))
done
# shellcheck disable=SC2086 # the lanes' pids, one per word
wait $lanes || true

failed=0
for name in $names; do
	rc=$(cat "$work/fuzz_$name.rc" 2>/dev/null || echo lost)
	case $rc in
	ok)
		printf 'fuzz: fuzz_%s: ' "$name"
		grep -E '^stat::number_of_executed_units|^stat::new_units_added' "$work/fuzz_$name.log" | tr '\n' ' '
		echo ;;
	build)
		echo "fuzz: fuzz_$name did not build"
		cat "$work/fuzz_$name.log"
		failed=1 ;;
	*)
		echo "fuzz: fuzz_$name FAILED; log: $work/fuzz_$name.log"
		tail -n 40 "$work/fuzz_$name.log"
		failed=1 ;;
	esac
done

if [ $failed -ne 0 ]; then
	keep=1
	exit 1
fi
echo "fuzz: all fuzzers ran ${duration}s without a finding"
