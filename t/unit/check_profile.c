/*
 * Unit tests of the sandbox profile: defaults, validation bounds, merge
 * (only ever tighter), the stable key, and the mapping onto a create body.
 */
#include <config.h>

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include <ecs/ecs.h>
#include "json_util.h"
#include "profile_private.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static ecs_sandbox_profile dflt(void)
{
	ecs_sandbox_profile p = ECS_SANDBOX_PROFILE_INIT;

	return p;
}

/* Field by field: the struct has padding that memcmp would read. */
static void assert_same(const ecs_sandbox_profile *a, const ecs_sandbox_profile *b)
{
	ck_assert_uint_eq(a->version, b->version);
	ck_assert_ptr_eq(a->cap_add, b->cap_add);
	ck_assert_uint_eq(a->cap_add_len, b->cap_add_len);
	ck_assert_int_eq(a->writable_root, b->writable_root);
	ck_assert_int_eq(a->tmp_size, b->tmp_size);
	ck_assert_ptr_eq(a->tmpfs, b->tmpfs);
	ck_assert_uint_eq(a->tmpfs_len, b->tmpfs_len);
	ck_assert_int_eq(a->pids, b->pids);
	ck_assert_int_eq(a->memory, b->memory);
	ck_assert_int_eq(a->nano_cpus, b->nano_cpus);
	ck_assert_int_eq(a->nofile, b->nofile);
	ck_assert_str_eq(a->network, b->network);
	ck_assert_ptr_eq(a->user, b->user);
	ck_assert_ptr_eq(a->runtime, b->runtime);
}

START_TEST(test_profile_defaults_are_safe)
{
	ecs_sandbox_profile p, q = ECS_SANDBOX_PROFILE_INIT;
	char why[128];

	memset(&p, 0xa5, sizeof(p));
	ck_assert_int_eq(ecs_sandbox_profile_init(&p, ECS_SANDBOX_PROFILE_VERSION), ECS_OK);
	ck_assert_int_eq(ecs_sandbox_profile_init(NULL, ECS_SANDBOX_PROFILE_VERSION), ECS_EINVAL);
	assert_same(&p, &q);
	ck_assert_uint_eq(p.version, ECS_SANDBOX_PROFILE_VERSION);
	ck_assert_int_eq(p.pids, 256);
	ck_assert_int_eq(p.memory, 512LL << 20);
	ck_assert_int_eq(p.nano_cpus, 1000000000LL);
	ck_assert_int_eq(p.nofile, 1024);
	ck_assert_int_eq(p.tmp_size, 64LL << 20);
	ck_assert_int_eq(p.writable_root, 0);
	ck_assert_uint_eq(p.cap_add_len, 0);
	ck_assert_str_eq(p.network, "none");
	ck_assert_ptr_null(p.user);
	ck_assert_ptr_null(p.runtime);
	ck_assert_int_eq(ecs_sandbox_profile_validate(&p, why, sizeof(why)), 0);
	ck_assert_str_eq(why, "");
}
END_TEST

/* One field set to one value must be refused, with the field named. */
#define REFUSED(field, value, words) do { \
		ecs_sandbox_profile p_ = dflt(); \
		char why_[256]; \
		p_.field = value; \
		ck_assert_int_eq(ecs_sandbox_profile_validate(&p_, why_, sizeof(why_)), ECS_EINVAL); \
		ck_assert_msg(strstr(why_, words) != NULL, "'%s' lacks '%s'", why_, words); \
	} while (0)
#define ACCEPTED(field, value) do { \
		ecs_sandbox_profile p_ = dflt(); \
		char why_[256]; \
		p_.field = value; \
		ck_assert_msg(ecs_sandbox_profile_validate(&p_, why_, sizeof(why_)) == 0, "refused: %s", why_); \
	} while (0)

START_TEST(test_profile_validate_bounds)
{
	/* 0 is never a limit; the sentinel is. */
	REFUSED(pids, 0, "pids: 0 is not a limit");
	REFUSED(memory, 0, "memory");
	REFUSED(nano_cpus, 0, "nano_cpus");
	REFUSED(nofile, 0, "nofile");
	REFUSED(tmp_size, 0, "tmp_size");
	ACCEPTED(pids, ECS_SANDBOX_UNLIMITED);
	ACCEPTED(memory, ECS_SANDBOX_UNLIMITED);
	ACCEPTED(nano_cpus, ECS_SANDBOX_UNLIMITED);
	ACCEPTED(nofile, ECS_SANDBOX_UNLIMITED);
	ACCEPTED(tmp_size, ECS_SANDBOX_UNLIMITED);
	REFUSED(pids, -2, "pids");
	/* What the kernel refuses at start must be refused here. */
	REFUSED(pids, INT64_C(9223372036854775806), "pids");
	REFUSED(pids, ECS_SANDBOX_PIDS_MAX + 1, "pids");
	ACCEPTED(pids, ECS_SANDBOX_PIDS_MAX);
	ACCEPTED(pids, ECS_SANDBOX_PIDS_MIN);
	/* The container's init and the task: one pid leaves the task none. */
	REFUSED(pids, 1, "pids: 1 is outside 2..");
	REFUSED(memory, ECS_SANDBOX_MEMORY_MIN - 1, "memory");
	ACCEPTED(memory, ECS_SANDBOX_MEMORY_MIN);
	REFUSED(memory, ECS_SANDBOX_MEMORY_MAX + 1, "memory");
	REFUSED(nano_cpus, ECS_SANDBOX_NANO_CPUS_MIN - 1, "nano_cpus");
	REFUSED(nano_cpus, ECS_SANDBOX_NANO_CPUS_MAX + 1, "nano_cpus");
	REFUSED(nofile, ECS_SANDBOX_NOFILE_MAX + 1, "nofile");
	ACCEPTED(nofile, ECS_SANDBOX_NOFILE_MAX);
	REFUSED(nofile, ECS_SANDBOX_NOFILE_MIN - 1, "nofile");
	REFUSED(tmp_size, 4095, "tmp_size");
	REFUSED(tmp_size, ECS_SANDBOX_TMP_SIZE_MAX + 1, "tmp_size");
	REFUSED(version, 2, "version");
	REFUSED(version, 0, "version");
	REFUSED(writable_root, 2, "writable_root");
}
END_TEST

START_TEST(test_profile_validate_names)
{
	static const char *const good_caps[] = { "NET_BIND_SERVICE", "cap_kill", "CAP_SYS_PTRACE" };
	static const char *const bad_caps[] = { "NET_BIND_SERVICE", "CAP_EVERYTHING" };
	static const char *const all[] = { "ALL" };
	static const char *const null_cap[] = { NULL };
	static const char *const good_paths[] = { "/var/cache", "/run/app" };
	static const char *const bad_paths[][1] = {
		{ "relative" }, { "/" }, { "/tmp" }, { "/a/" }, { "/a//b" }, { "/a/../b" }, { "/a/." }, { "/a/.." },
		{ "/proc" }, { "/proc/x" }, { "/sys" }, { "/dev/shm" }, { "/a,b" }, { "/a:ro" }, { "/a b" },
	};
	static const char *const twice[] = { "/x", "/x" };
	ecs_sandbox_profile p = dflt();
	char why[256];

	p.cap_add = good_caps;
	p.cap_add_len = N(good_caps);
	ck_assert_int_eq(ecs_sandbox_profile_validate(&p, why, sizeof(why)), 0);
	p.cap_add = bad_caps;
	p.cap_add_len = N(bad_caps);
	ck_assert_int_eq(ecs_sandbox_profile_validate(&p, why, sizeof(why)), ECS_EINVAL);
	ck_assert_ptr_nonnull(strstr(why, "CAP_EVERYTHING"));
	p.cap_add = all;
	p.cap_add_len = 1;
	ck_assert_int_eq(ecs_sandbox_profile_validate(&p, why, sizeof(why)), ECS_EINVAL);
	p.cap_add = null_cap;
	ck_assert_int_eq(ecs_sandbox_profile_validate(&p, why, sizeof(why)), ECS_EINVAL);
	p.cap_add = NULL;
	ck_assert_int_eq(ecs_sandbox_profile_validate(&p, why, sizeof(why)), ECS_EINVAL);
	p.cap_add_len = 0;

	p.tmpfs = good_paths;
	p.tmpfs_len = N(good_paths);
	ck_assert_int_eq(ecs_sandbox_profile_validate(&p, why, sizeof(why)), 0);
	for (size_t i = 0; i < N(bad_paths); i++) {
		p.tmpfs = bad_paths[i];
		p.tmpfs_len = 1;
		ck_assert_msg(ecs_sandbox_profile_validate(&p, why, sizeof(why)) == ECS_EINVAL, "accepted %s",
			      bad_paths[i][0]);
		ck_assert_ptr_nonnull(strstr(why, "tmpfs"));
	}
	p.tmpfs = twice;
	p.tmpfs_len = 2;
	ck_assert_int_eq(ecs_sandbox_profile_validate(&p, why, sizeof(why)), ECS_EINVAL);
	ck_assert_ptr_nonnull(strstr(why, "twice"));
	p.tmpfs = NULL;
	p.tmpfs_len = 0;

	ACCEPTED(network, "bridge");
	ACCEPTED(network, "my-net.1");
	REFUSED(network, NULL, "network");
	REFUSED(network, "", "network");
	REFUSED(network, "host", "host");
	REFUSED(network, "container:abc", "network");
	REFUSED(network, "a b", "network");
	ACCEPTED(user, "65534:65534");
	ACCEPTED(user, "nobody");
	ACCEPTED(user, "1000");
	REFUSED(user, "", "user");
	REFUSED(user, ":1", "user");
	REFUSED(user, "1:", "user");
	REFUSED(user, "1:2:3", "user");
	REFUSED(user, "a b", "user");
	/* The engine refuses ids above 2^31-1 at start; (uid_t)-1 is no uid. */
	ACCEPTED(user, "2147483647:2147483647");
	REFUSED(user, "4294967295", "0..2147483647");
	REFUSED(user, "99999999999", "0..2147483647");
	REFUSED(user, "nobody:2147483648", "0..2147483647");
	ACCEPTED(runtime, "runsc");
	REFUSED(runtime, "", "runtime");
	REFUSED(runtime, "../x", "runtime");
	/* NULL why and 0 length are allowed. */
	p.network = "";
	ck_assert_int_eq(ecs_sandbox_profile_validate(&p, NULL, 0), ECS_EINVAL);
	ck_assert_int_eq(ecs_sandbox_profile_validate(NULL, why, sizeof(why)), ECS_EINVAL);
}
END_TEST

START_TEST(test_profile_merge_not_asked_inherits)
{
	static const char *const caps[] = { "NET_BIND_SERVICE" };
	static const char *const paths[] = { "/var/cache" };
	ecs_sandbox_profile allowed = dflt(), request, out;
	char why[256];

	memset(&request, 0, sizeof(request));
	request.version = ECS_SANDBOX_PROFILE_VERSION;
	allowed.cap_add = caps;
	allowed.cap_add_len = 1;
	allowed.tmpfs = paths;
	allowed.tmpfs_len = 1;
	allowed.writable_root = 1;
	allowed.network = "bridge";
	allowed.user = "65534";
	allowed.runtime = "runsc";
	ck_assert_int_eq(ecs_sandbox_profile_merge(&out, &allowed, &request, why, sizeof(why)), 0);
	assert_same(&out, &allowed);
}
END_TEST

START_TEST(test_profile_merge_only_tightens)
{
	static const char *const caps[] = { "NET_BIND_SERVICE", "KILL" };
	static const char *const one_cap[] = { "cap_kill" };
	static const char *const other_cap[] = { "NET_RAW" };
	static const char *const paths[] = { "/var/cache" };
	static const char *const other_path[] = { "/srv" };
	ecs_sandbox_profile allowed = dflt(), request, out;
	char why[256];

	memset(&request, 0, sizeof(request));
	request.version = ECS_SANDBOX_PROFILE_VERSION;

	/* Lower limits are granted; higher, or unlimited, are denied. */
	request.pids = 100;
	request.memory = 64 << 20;
	request.nano_cpus = 500000000;
	request.nofile = 64;
	request.tmp_size = 1 << 20;
	ck_assert_int_eq(ecs_sandbox_profile_merge(&out, &allowed, &request, why, sizeof(why)), 0);
	ck_assert_int_eq(out.pids, 100);
	ck_assert_int_eq(out.memory, 64 << 20);
	ck_assert_int_eq(out.nano_cpus, 500000000);
	ck_assert_int_eq(out.nofile, 64);
	ck_assert_int_eq(out.tmp_size, 1 << 20);
	request.pids = 257;
	ck_assert_int_eq(ecs_sandbox_profile_merge(&out, &allowed, &request, why, sizeof(why)), ECS_EDENIED);
	ck_assert_ptr_nonnull(strstr(why, "pids"));
	request.pids = ECS_SANDBOX_UNLIMITED;
	ck_assert_int_eq(ecs_sandbox_profile_merge(&out, &allowed, &request, why, sizeof(why)), ECS_EDENIED);
	ck_assert_ptr_nonnull(strstr(why, "unlimited"));
	request.pids = 0;
	request.memory = (512LL << 20) + 1;
	ck_assert_int_eq(ecs_sandbox_profile_merge(&out, &allowed, &request, why, sizeof(why)), ECS_EDENIED);
	ck_assert_ptr_nonnull(strstr(why, "memory"));
	request.memory = 0;
	/* Where the operator allows unlimited, anything goes, within the bounds. */
	allowed.pids = ECS_SANDBOX_UNLIMITED;
	request.pids = 100000;
	ck_assert_int_eq(ecs_sandbox_profile_merge(&out, &allowed, &request, why, sizeof(why)), 0);
	ck_assert_int_eq(out.pids, 100000);
	request.pids = ECS_SANDBOX_PIDS_MAX + 1;
	ck_assert_int_eq(ecs_sandbox_profile_merge(&out, &allowed, &request, why, sizeof(why)), ECS_EINVAL);
	request.pids = 0;

	/* Capabilities and tmpfs paths: a subset of the allowed list. */
	allowed.cap_add = caps;
	allowed.cap_add_len = 2;
	request.cap_add = one_cap;
	request.cap_add_len = 1;
	ck_assert_int_eq(ecs_sandbox_profile_merge(&out, &allowed, &request, why, sizeof(why)), 0);
	ck_assert_uint_eq(out.cap_add_len, 1);
	request.cap_add = other_cap;
	ck_assert_int_eq(ecs_sandbox_profile_merge(&out, &allowed, &request, why, sizeof(why)), ECS_EDENIED);
	ck_assert_ptr_nonnull(strstr(why, "NET_RAW"));
	request.cap_add = one_cap;
	request.cap_add_len = 0;
	ck_assert_int_eq(ecs_sandbox_profile_merge(&out, &allowed, &request, why, sizeof(why)), 0);
	ck_assert_uint_eq(out.cap_add_len, 0);
	request.cap_add = NULL;
	request.tmpfs = other_path;
	request.tmpfs_len = 1;
	ck_assert_int_eq(ecs_sandbox_profile_merge(&out, &allowed, &request, why, sizeof(why)), ECS_EDENIED);
	allowed.tmpfs = paths;
	allowed.tmpfs_len = 1;
	request.tmpfs = paths;
	ck_assert_int_eq(ecs_sandbox_profile_merge(&out, &allowed, &request, why, sizeof(why)), 0);
	request.tmpfs = NULL;
	request.tmpfs_len = 0;

	/* Root, network, user, runtime. */
	request.writable_root = 1;
	ck_assert_int_eq(ecs_sandbox_profile_merge(&out, &allowed, &request, why, sizeof(why)), ECS_EDENIED);
	ck_assert_ptr_nonnull(strstr(why, "writable_root"));
	allowed.writable_root = 1;
	ck_assert_int_eq(ecs_sandbox_profile_merge(&out, &allowed, &request, why, sizeof(why)), 0);
	ck_assert_int_eq(out.writable_root, 1);
	request.writable_root = 0;
	request.network = "bridge";
	ck_assert_int_eq(ecs_sandbox_profile_merge(&out, &allowed, &request, why, sizeof(why)), ECS_EDENIED);
	allowed.network = "bridge";
	ck_assert_int_eq(ecs_sandbox_profile_merge(&out, &allowed, &request, why, sizeof(why)), 0);
	request.network = "none";
	ck_assert_int_eq(ecs_sandbox_profile_merge(&out, &allowed, &request, why, sizeof(why)), 0);
	ck_assert_str_eq(out.network, "none");
	request.network = NULL;
	request.user = "1000:1000";
	ck_assert_int_eq(ecs_sandbox_profile_merge(&out, &allowed, &request, why, sizeof(why)), 0);
	ck_assert_str_eq(out.user, "1000:1000");
	allowed.user = "65534:65534";
	ck_assert_int_eq(ecs_sandbox_profile_merge(&out, &allowed, &request, why, sizeof(why)), ECS_EDENIED);
	request.user = "a b";
	allowed.user = NULL;
	ck_assert_int_eq(ecs_sandbox_profile_merge(&out, &allowed, &request, why, sizeof(why)), ECS_EINVAL);
	request.user = NULL;
	request.runtime = "runsc";
	ck_assert_int_eq(ecs_sandbox_profile_merge(&out, &allowed, &request, why, sizeof(why)), ECS_EDENIED);
	ck_assert_ptr_nonnull(strstr(why, "runtime"));
	allowed.runtime = "runsc";
	ck_assert_int_eq(ecs_sandbox_profile_merge(&out, &allowed, &request, why, sizeof(why)), 0);
	ck_assert_str_eq(out.runtime, "runsc");

	/* An invalid operator profile or request version is EINVAL, not a grant. */
	allowed.pids = 0;
	ck_assert_int_eq(ecs_sandbox_profile_merge(&out, &allowed, &request, why, sizeof(why)), ECS_EINVAL);
	allowed.pids = 256;
	request.version = 7;
	ck_assert_int_eq(ecs_sandbox_profile_merge(&out, &allowed, &request, why, sizeof(why)), ECS_EINVAL);
	ck_assert_int_eq(ecs_sandbox_profile_merge(NULL, &allowed, &request, why, sizeof(why)), ECS_EINVAL);
	ck_assert_int_eq(ecs_sandbox_profile_merge(&out, NULL, &request, NULL, 0), ECS_EINVAL);
}
END_TEST

START_TEST(test_profile_key_stable)
{
	static const char *const caps_a[] = { "NET_BIND_SERVICE", "KILL" };
	static const char *const caps_b[] = { "cap_kill", "CAP_NET_BIND_SERVICE" };
	static const char *const paths_a[] = { "/a", "/b" };
	static const char *const paths_b[] = { "/b", "/a" };
	ecs_sandbox_profile p = dflt(), q = dflt();
	char k1[ECS_SANDBOX_KEY_SIZE], k2[ECS_SANDBOX_KEY_SIZE];

	ck_assert_int_eq(ecs_sandbox_profile_key(k1, sizeof(k1), &p), 0);
	ck_assert_uint_eq(strlen(k1), ECS_SANDBOX_KEY_SIZE - 1);
	ck_assert_int_eq(strncmp(k1, "v1-", 3), 0);
	ck_assert_uint_eq(strspn(k1 + 3, "0123456789abcdef"), 64);
	/* Equal profiles, spelt differently, share the key. */
	p.cap_add = caps_a;
	p.cap_add_len = 2;
	q.cap_add = caps_b;
	q.cap_add_len = 2;
	p.tmpfs = paths_a;
	p.tmpfs_len = 2;
	q.tmpfs = paths_b;
	q.tmpfs_len = 2;
	ck_assert_int_eq(ecs_sandbox_profile_key(k1, sizeof(k1), &p), 0);
	ck_assert_int_eq(ecs_sandbox_profile_key(k2, sizeof(k2), &q), 0);
	ck_assert_str_eq(k1, k2);
	/* Any field changes it. */
#define DIFFERS(field, value) do { \
		ecs_sandbox_profile r_ = p; \
		r_.field = value; \
		ck_assert_int_eq(ecs_sandbox_profile_key(k2, sizeof(k2), &r_), 0); \
		ck_assert_str_ne(k1, k2); \
	} while (0)
	DIFFERS(pids, 255);
	DIFFERS(memory, 256 << 20);
	DIFFERS(nano_cpus, 500000000);
	DIFFERS(nofile, 1023);
	DIFFERS(tmp_size, 1 << 20);
	DIFFERS(writable_root, 1);
	DIFFERS(cap_add_len, 1);
	DIFFERS(tmpfs_len, 1);
	DIFFERS(network, "bridge");
	DIFFERS(user, "65534");
	DIFFERS(runtime, "runsc");
	DIFFERS(pids, ECS_SANDBOX_UNLIMITED);
#undef DIFFERS
	/* Refusals. */
	ck_assert_int_eq(ecs_sandbox_profile_key(k1, ECS_SANDBOX_KEY_SIZE - 1, &p), ECS_EINVAL);
	ck_assert_int_eq(ecs_sandbox_profile_key(NULL, sizeof(k1), &p), ECS_EINVAL);
	ck_assert_int_eq(ecs_sandbox_profile_key(k1, sizeof(k1), NULL), ECS_EINVAL);
	p.pids = 0;
	ck_assert_int_eq(ecs_sandbox_profile_key(k1, sizeof(k1), &p), ECS_EINVAL);
}
END_TEST

static const char *array_item(json_object *o, const char *key, size_t i)
{
	json_object *a = NULL;

	if (!json_object_object_get_ex(o, key, &a) || !json_object_is_type(a, json_type_array) ||
	    i >= json_object_array_length(a))
		return NULL;
	return json_object_get_string(json_object_array_get_idx(a, i));
}

START_TEST(test_profile_apply_defaults)
{
	ecs_sandbox_profile p = dflt();
	const ecs_profile_context ctx = { NULL, "t", "" };
	json_object *config = json_object_new_object(), *hc = json_object_new_object(), *u, *tmpfs;
	long long n = 0;
	int b = -1;

	ck_assert_int_eq(ecs_profile_apply(config, hc, &p, &ctx), 0);
	ck_assert_str_eq(array_item(hc, "CapDrop", 0), "ALL");
	ck_assert_ptr_null(array_item(hc, "CapAdd", 0));
	ck_assert_str_eq(array_item(hc, "SecurityOpt", 0), "no-new-privileges");
	ck_assert_ptr_null(array_item(hc, "SecurityOpt", 1));  /* no seccomp=unconfined, ever */
	ck_assert_int_eq(ecs_json_get_bool(hc, "ReadonlyRootfs", &b), 0);
	ck_assert_int_eq(b, 1);
	ck_assert_int_eq(ecs_json_get_bool(hc, "Init", &b), 0);
	ck_assert_int_eq(b, 1);
	tmpfs = ecs_json_get_object(hc, "Tmpfs");
	ck_assert_str_eq(ecs_json_get_string(tmpfs, "/tmp"), "rw,exec,nosuid,nodev,size=67108864");
	ck_assert_int_eq(json_object_object_length(tmpfs), 1);
	ck_assert_int_eq(ecs_json_get_int64(hc, "PidsLimit", &n), 0);
	ck_assert_int_eq(n, 256);
	ck_assert_int_eq(ecs_json_get_int64(hc, "Memory", &n), 0);
	ck_assert_int_eq(n, 512LL << 20);
	ck_assert_int_eq(ecs_json_get_int64(hc, "MemorySwap", &n), 0);
	ck_assert_int_eq(n, 512LL << 20);
	ck_assert_int_eq(ecs_json_get_int64(hc, "NanoCpus", &n), 0);
	ck_assert_int_eq(n, 1000000000LL);
	ck_assert_int_eq(json_object_object_get_ex(hc, "Ulimits", &u), 1);
	u = json_object_array_get_idx(u, 0);
	ck_assert_str_eq(ecs_json_get_string(u, "Name"), "nofile");
	ck_assert_int_eq(ecs_json_get_int64(u, "Soft", &n), 0);
	ck_assert_int_eq(n, 1024);
	ck_assert_int_eq(ecs_json_get_int64(u, "Hard", &n), 0);
	ck_assert_int_eq(n, 1024);
	ck_assert_str_eq(ecs_json_get_string(hc, "NetworkMode"), "none");
	ck_assert_ptr_null(ecs_json_get_string(hc, "Runtime"));
	ck_assert_ptr_null(ecs_json_get_string(config, "User"));
	json_object_put(config);
	json_object_put(hc);
}
END_TEST

START_TEST(test_profile_apply_unlimited_and_options)
{
	static const char *const caps[] = { "net_bind_service" };
	static const char *const paths[] = { "/app", "/var/cache", "/work/out" };
	ecs_sandbox_profile p = dflt();
	/* The image works in /work/out: a tmpfs on /work/out (or /work) would hide it. */
	const ecs_profile_context ctx = { NULL, "t", "/work/out" };
	json_object *config = json_object_new_object(), *hc = json_object_new_object(), *tmpfs;
	long long n = 0;
	int b = -1;

	p.pids = p.memory = p.nano_cpus = p.nofile = p.tmp_size = ECS_SANDBOX_UNLIMITED;
	p.cap_add = caps;
	p.cap_add_len = 1;
	p.tmpfs = paths;
	p.tmpfs_len = N(paths);
	p.writable_root = 1;
	p.network = "bridge";
	p.user = "65534:65534";
	p.runtime = "runsc";
	ck_assert_int_eq(ecs_profile_apply(config, hc, &p, &ctx), 0);
	ck_assert_str_eq(array_item(hc, "CapAdd", 0), "CAP_NET_BIND_SERVICE");
	ck_assert_int_eq(ecs_json_get_bool(hc, "ReadonlyRootfs", &b), 0);
	ck_assert_int_eq(b, 0);
	tmpfs = ecs_json_get_object(hc, "Tmpfs");
	ck_assert_str_eq(ecs_json_get_string(tmpfs, "/tmp"), "rw,exec,nosuid,nodev");
	ck_assert_str_eq(ecs_json_get_string(tmpfs, "/app"), "rw,exec,nosuid,nodev");
	ck_assert_str_eq(ecs_json_get_string(tmpfs, "/var/cache"), "rw,exec,nosuid,nodev");
	ck_assert_ptr_null(ecs_json_get_string(tmpfs, "/work/out"));
	ck_assert_int_eq(ecs_json_get_int64(hc, "PidsLimit", &n), 0);
	ck_assert_int_eq(n, -1);
	ck_assert_int_eq(ecs_json_get_int64(hc, "Memory", &n), -1);
	ck_assert_int_eq(ecs_json_get_int64(hc, "MemorySwap", &n), -1);
	ck_assert_int_eq(ecs_json_get_int64(hc, "NanoCpus", &n), -1);
	ck_assert_int_eq(json_object_object_get_ex(hc, "Ulimits", NULL), 0);
	ck_assert_str_eq(ecs_json_get_string(hc, "NetworkMode"), "bridge");
	ck_assert_str_eq(ecs_json_get_string(hc, "Runtime"), "runsc");
	ck_assert_str_eq(ecs_json_get_string(config, "User"), "65534:65534");
	json_object_put(config);
	json_object_put(hc);
}
END_TEST

/* The same profile onto a Swarm service spec: the same confinement, in its words. */
START_TEST(test_profile_apply_service_defaults)
{
	ecs_sandbox_profile p = dflt();
	const ecs_profile_context ctx = { NULL, "t", "" };
	json_object *cs = json_object_new_object(), *tt = json_object_new_object(), *m, *lim, *u;
	long long n = 0;
	int b = -1;

	ck_assert_int_eq(ecs_profile_apply_service(cs, tt, &p, &ctx, "isolated-net"), 0);
	ck_assert_str_eq(array_item(cs, "CapabilityDrop", 0), "ALL");
	ck_assert_ptr_null(array_item(cs, "CapabilityAdd", 0));
	ck_assert_int_eq(ecs_json_get_bool(cs, "ReadOnly", &b), 0);
	ck_assert_int_eq(b, 1);
	ck_assert_int_eq(ecs_json_get_bool(cs, "Init", &b), 0);
	ck_assert_int_eq(b, 1);
	ck_assert_int_eq(json_object_object_get_ex(cs, "Mounts", &m), 1);
	ck_assert_int_eq(json_object_array_length(m), 1);
	m = json_object_array_get_idx(m, 0);
	ck_assert_str_eq(ecs_json_get_string(m, "Type"), "tmpfs");
	ck_assert_str_eq(ecs_json_get_string(m, "Target"), "/tmp");
	ck_assert_int_eq(ecs_json_get_int64(ecs_json_get_object(m, "TmpfsOptions"), "SizeBytes", &n), 0);
	ck_assert_int_eq(n, 64LL << 20);
	ck_assert_int_eq(json_object_object_get_ex(cs, "Ulimits", &u), 1);
	u = json_object_array_get_idx(u, 0);
	ck_assert_str_eq(ecs_json_get_string(u, "Name"), "nofile");
	ck_assert_int_eq(ecs_json_get_int64(u, "Hard", &n), 0);
	ck_assert_int_eq(n, 1024);
	lim = ecs_json_get_object(ecs_json_get_object(tt, "Resources"), "Limits");
	ck_assert_int_eq(ecs_json_get_int64(lim, "Pids", &n), 0);
	ck_assert_int_eq(n, 256);
	ck_assert_int_eq(ecs_json_get_int64(lim, "MemoryBytes", &n), 0);
	ck_assert_int_eq(n, 512LL << 20);
	ck_assert_int_eq(ecs_json_get_int64(lim, "NanoCPUs", &n), 0);
	ck_assert_int_eq(n, 1000000000LL);
	/* Swarm has no "none": the isolated network stands in for it. */
	ck_assert_int_eq(json_object_object_get_ex(tt, "Networks", &m), 1);
	ck_assert_str_eq(ecs_json_get_string(json_object_array_get_idx(m, 0), "Target"), "isolated-net");
	ck_assert_ptr_null(ecs_json_get_string(cs, "User"));
	json_object_put(cs);
	json_object_put(tt);
}
END_TEST

START_TEST(test_profile_apply_service_options_and_refusal)
{
	static const char *const caps[] = { "net_bind_service" };
	static const char *const paths[] = { "/work", "/var/cache" };
	ecs_sandbox_profile p = dflt();
	const ecs_profile_context ctx = { NULL, "t", "/work/src" };
	json_object *cs = json_object_new_object(), *tt = json_object_new_object(), *m, *lim;

	p.cap_add = caps;
	p.cap_add_len = 1;
	p.tmpfs = paths;
	p.tmpfs_len = 2;
	p.tmp_size = ECS_SANDBOX_UNLIMITED;
	p.memory = ECS_SANDBOX_UNLIMITED;
	p.network = "bridge";
	p.user = "1000:1000";
	ck_assert_int_eq(ecs_profile_apply_service(cs, tt, &p, &ctx, "isolated-net"), 0);
	ck_assert_str_eq(array_item(cs, "CapabilityAdd", 0), "CAP_NET_BIND_SERVICE");
	ck_assert_str_eq(ecs_json_get_string(cs, "User"), "1000:1000");
	/* /work would hide the WorkingDir: skipped, as for a container. */
	ck_assert_int_eq(json_object_object_get_ex(cs, "Mounts", &m), 1);
	ck_assert_int_eq(json_object_array_length(m), 2);
	ck_assert_str_eq(ecs_json_get_string(json_object_array_get_idx(m, 1), "Target"), "/var/cache");
	/* tmp_size unlimited: no SizeBytes (the kernel's default size). */
	ck_assert_int_eq(json_object_object_get_ex(ecs_json_get_object(json_object_array_get_idx(m, 1), "TmpfsOptions"),
						   "SizeBytes", NULL), 0);
	lim = ecs_json_get_object(ecs_json_get_object(tt, "Resources"), "Limits");
	ck_assert_int_eq(json_object_object_get_ex(lim, "MemoryBytes", NULL), 0);
	ck_assert_int_eq(json_object_object_get_ex(tt, "Networks", &m), 1);
	ck_assert_str_eq(ecs_json_get_string(json_object_array_get_idx(m, 0), "Target"), "bridge");
	json_object_put(cs);
	json_object_put(tt);

	/* A service cannot choose its runtime. */
	p.runtime = "runsc";
	cs = json_object_new_object();
	tt = json_object_new_object();
	ck_assert_int_eq(ecs_profile_apply_service(cs, tt, &p, &ctx, "isolated-net"), -2);
	json_object_put(cs);
	json_object_put(tt);
}
END_TEST

START_TEST(test_profile_hides_working_dir)
{
	ck_assert_int_eq(ecs_profile_hides("/tmp", "/tmp"), 1);
	ck_assert_int_eq(ecs_profile_hides("/tmp", "/tmp/build"), 1);
	ck_assert_int_eq(ecs_profile_hides("/tmp", "/tmpx"), 0);
	ck_assert_int_eq(ecs_profile_hides("/tmp/build", "/tmp"), 0);
	ck_assert_int_eq(ecs_profile_hides("/tmp", ""), 0);
	ck_assert_int_eq(ecs_profile_hides("/tmp", NULL), 0);
}
END_TEST

static Suite *profile_suite(void)
{
	Suite *s = suite_create("profile");
	TCase *tc = tcase_create("profile");

	tcase_add_test(tc, test_profile_defaults_are_safe);
	tcase_add_test(tc, test_profile_validate_bounds);
	tcase_add_test(tc, test_profile_validate_names);
	tcase_add_test(tc, test_profile_merge_not_asked_inherits);
	tcase_add_test(tc, test_profile_merge_only_tightens);
	tcase_add_test(tc, test_profile_key_stable);
	tcase_add_test(tc, test_profile_apply_defaults);
	tcase_add_test(tc, test_profile_apply_unlimited_and_options);
	tcase_add_test(tc, test_profile_hides_working_dir);
	tcase_add_test(tc, test_profile_apply_service_defaults);
	tcase_add_test(tc, test_profile_apply_service_options_and_refusal);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(profile_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
