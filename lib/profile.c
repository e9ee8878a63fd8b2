/*
 * libecs: the sandbox profile: defaults, validation, merge (operator ∩
 * request), a stable key, and the mapping onto a container's create body.
 * The mapping lives here, not in container.c, so another backend (a Swarm
 * service spec) maps the same struct in one more function beside it.
 */
#include <config.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>
#include <openssl/evp.h>

#include <ecs/ecs.h>
#include "engine_private.h"
#include "ids.h"
#include "json_util.h"
#include "profile_private.h"

/* The kernel's capability names (capability.h), as the engine spells them. */
static const char *const known_caps[] = {
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
	"CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
	"CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER",
	"CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT",
	"CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME",
	"CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL",
	"CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
	"CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
};

#define NCAPS (sizeof(known_caps) / sizeof(known_caps[0]))

/* Mount options of every tmpfs: build steps may exec from /tmp. */
#define TMPFS_OPTIONS "rw,exec,nosuid,nodev"

static int refuse(int code, char *why, size_t whylen, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int refuse(int code, char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (why != NULL && whylen > 0) {
		va_start(ap, fmt);
		vsnprintf(why, whylen, fmt, ap);
		va_end(ap);
	}
	return code;
}

/* The index of a capability in known_caps ("CAP_" optional, any case), or -1. */
static int cap_index(const char *name)
{
	if (strncasecmp(name, "CAP_", 4) == 0)
		name += 4;
	for (size_t i = 0; i < NCAPS; i++)
		if (strcasecmp(name, known_caps[i] + 4) == 0)
			return (int)i;
	return -1;
}

/* A user, group, network or runtime name: the id alphabet, not starting with '-' or '.'. */
static int name_ok(const char *s)
{
	return ecs_id_chars_ok(s, ECS_SANDBOX_MAX_NAME) && s[0] != '-' && s[0] != '.';
}

/* A part of user made only of digits is an id: within 0..ECS_SANDBOX_ID_MAX. */
static int id_ok(const char *s)
{
	int64_t v = 0;

	if (s[strspn(s, "0123456789")] != '\0')
		return 1;
	for (; *s; s++) {
		v = v * 10 + (*s - '0');
		if (v > ECS_SANDBOX_ID_MAX)
			return 0;
	}
	return 1;
}

/*
 * "user" or "user:group", each part a name (uids are names of digits).
 * Returns 1 when fine, 0 when malformed, -1 when an id is out of range.
 */
static int user_ok(const char *s)
{
	const char *colon = strchr(s, ':');
	char part[ECS_SANDBOX_MAX_NAME + 1];
	size_t n;

	if (strlen(s) > ECS_SANDBOX_MAX_NAME)
		return 0;
	if (colon == NULL)
		return name_ok(s) ? (id_ok(s) ? 1 : -1) : 0;
	n = (size_t)(colon - s);
	memcpy(part, s, n);
	part[n] = '\0';
	if (!name_ok(part) || !name_ok(colon + 1))
		return 0;
	return id_ok(part) && id_ok(colon + 1) ? 1 : -1;
}

/* Absolute, normalised (no "//", "/./", "/../", trailing "/"), not a kernel filesystem. */
static int tmpfs_path_ok(const char *p)
{
	static const char *const kernel[] = { "/proc", "/sys", "/dev" };
	size_t n = strlen(p);

	if (n < 2 || n > ECS_SANDBOX_MAX_PATH || p[0] != '/' || p[n - 1] == '/')
		return 0;
	if (strstr(p, "//") != NULL || strstr(p, "/./") != NULL || strstr(p, "/../") != NULL ||
	    strcmp(p + n - 2, "/.") == 0 || (n >= 3 && strcmp(p + n - 3, "/..") == 0))
		return 0;
	/* The engine's Tmpfs map takes options after the path; keep it to path characters. */
	for (const char *c = p; *c; c++)
		if (*c == ',' || *c == ':' || *c == ' ' || (unsigned char)*c < 0x20 || *c == 0x7f)
			return 0;
	for (size_t i = 0; i < sizeof(kernel) / sizeof(kernel[0]); i++) {
		size_t k = strlen(kernel[i]);

		if (strncmp(p, kernel[i], k) == 0 && (p[k] == '\0' || p[k] == '/'))
			return 0;
	}
	return 1;
}

static int limit_ok(int64_t v, int64_t min, int64_t max)
{
	return v == ECS_SANDBOX_UNLIMITED || (v >= min && v <= max);
}

static int check_limit(const char *field, int64_t v, int64_t min, int64_t max, char *why, size_t whylen)
{
	if (v == 0)
		return refuse(ECS_EINVAL, why, whylen, "%s: 0 is not a limit (use ECS_SANDBOX_UNLIMITED for none)",
			      field);
	if (!limit_ok(v, min, max))
		return refuse(ECS_EINVAL, why, whylen, "%s: %lld is outside %lld..%lld", field, (long long)v,
			      (long long)min, (long long)max);
	return 0;
}

int ecs_sandbox_profile_validate(const ecs_sandbox_profile *p, char *why, size_t whylen)
{
	int rc;

	if (why != NULL && whylen > 0)
		why[0] = '\0';
	if (p == NULL)
		return refuse(ECS_EINVAL, why, whylen, "no profile");
	if (p->version != ECS_SANDBOX_PROFILE_VERSION)
		return refuse(ECS_EINVAL, why, whylen, "profile version %u, expected %u", p->version,
			      ECS_SANDBOX_PROFILE_VERSION);
	if ((rc = check_limit("pids", p->pids, ECS_SANDBOX_PIDS_MIN, ECS_SANDBOX_PIDS_MAX, why, whylen)) != 0 ||
	    (rc = check_limit("memory", p->memory, ECS_SANDBOX_MEMORY_MIN, ECS_SANDBOX_MEMORY_MAX, why, whylen)) != 0 ||
	    (rc = check_limit("nano_cpus", p->nano_cpus, ECS_SANDBOX_NANO_CPUS_MIN, ECS_SANDBOX_NANO_CPUS_MAX,
			      why, whylen)) != 0 ||
	    (rc = check_limit("nofile", p->nofile, ECS_SANDBOX_NOFILE_MIN, ECS_SANDBOX_NOFILE_MAX, why, whylen)) != 0 ||
	    (rc = check_limit("tmp_size", p->tmp_size, ECS_SANDBOX_TMP_SIZE_MIN, ECS_SANDBOX_TMP_SIZE_MAX,
			      why, whylen)) != 0)
		return rc;
	if (p->writable_root != 0 && p->writable_root != 1)
		return refuse(ECS_EINVAL, why, whylen, "writable_root must be 0 or 1");
	if (p->cap_add_len > 0 && p->cap_add == NULL)
		return refuse(ECS_EINVAL, why, whylen, "cap_add_len without cap_add");
	if (p->cap_add_len > ECS_SANDBOX_MAX_CAPS)
		return refuse(ECS_EINVAL, why, whylen, "cap_add: more than %u capabilities", ECS_SANDBOX_MAX_CAPS);
	for (size_t i = 0; i < p->cap_add_len; i++) {
		if (p->cap_add[i] == NULL || cap_index(p->cap_add[i]) < 0)
			return refuse(ECS_EINVAL, why, whylen, "cap_add: unknown capability '%.64s'",
				      p->cap_add[i] ? p->cap_add[i] : "(null)");
	}
	if (p->tmpfs_len > 0 && p->tmpfs == NULL)
		return refuse(ECS_EINVAL, why, whylen, "tmpfs_len without tmpfs");
	if (p->tmpfs_len > ECS_SANDBOX_MAX_TMPFS)
		return refuse(ECS_EINVAL, why, whylen, "tmpfs: more than %u paths", ECS_SANDBOX_MAX_TMPFS);
	for (size_t i = 0; i < p->tmpfs_len; i++) {
		if (p->tmpfs[i] == NULL || !tmpfs_path_ok(p->tmpfs[i]))
			return refuse(ECS_EINVAL, why, whylen,
				      "tmpfs: '%.64s' is not a normalised absolute path outside /proc, /sys and /dev",
				      p->tmpfs[i] ? p->tmpfs[i] : "(null)");
		if (strcmp(p->tmpfs[i], "/tmp") == 0)
			return refuse(ECS_EINVAL, why, whylen, "tmpfs: /tmp is always mounted (size: tmp_size)");
		for (size_t j = 0; j < i; j++)
			if (strcmp(p->tmpfs[i], p->tmpfs[j]) == 0)
				return refuse(ECS_EINVAL, why, whylen, "tmpfs: '%.64s' listed twice", p->tmpfs[i]);
	}
	if (p->network == NULL || !name_ok(p->network))
		return refuse(ECS_EINVAL, why, whylen, "network: want a name of [A-Za-z0-9_.-], at most %u bytes",
			      ECS_SANDBOX_MAX_NAME);
	if (strcmp(p->network, "host") == 0)
		return refuse(ECS_EINVAL, why, whylen, "network: \"host\" is no sandbox");
	if (p->user != NULL && (rc = user_ok(p->user)) != 1)
		return rc == 0 ? refuse(ECS_EINVAL, why, whylen, "user: want uid[:gid] or name[:group]")
			       : refuse(ECS_EINVAL, why, whylen, "user: a uid or gid must be in 0..%lld",
					(long long)ECS_SANDBOX_ID_MAX);
	if (p->runtime != NULL && !name_ok(p->runtime))
		return refuse(ECS_EINVAL, why, whylen, "runtime: want a name of [A-Za-z0-9_.-], at most %u bytes",
			      ECS_SANDBOX_MAX_NAME);
	return 0;
}

/* A limit the request may only lower. */
static int merge_limit(int64_t *out, const char *field, int64_t allowed, int64_t asked, char *why, size_t whylen)
{
	if (asked == 0) {
		*out = allowed;
		return 0;
	}
	if (allowed != ECS_SANDBOX_UNLIMITED && (asked == ECS_SANDBOX_UNLIMITED || asked > allowed))
		return refuse(ECS_EDENIED, why, whylen, "%s: %s asked, at most %lld allowed", field,
			      asked == ECS_SANDBOX_UNLIMITED ? "unlimited" : "more", (long long)allowed);
	*out = asked;
	return 0;
}

static int in_caps(const char *cap, const char *const *list, size_t len)
{
	int k = cap_index(cap);

	for (size_t i = 0; i < len; i++)
		if (cap_index(list[i]) == k)
			return 1;
	return 0;
}

static int in_list(const char *s, const char *const *list, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (strcmp(s, list[i]) == 0)
			return 1;
	return 0;
}

int ecs_sandbox_profile_merge(ecs_sandbox_profile *out, const ecs_sandbox_profile *allowed,
		const ecs_sandbox_profile *request, char *why, size_t whylen)
{
	ecs_sandbox_profile r;
	int rc;

	if (why != NULL && whylen > 0)
		why[0] = '\0';
	if (out == NULL || request == NULL)
		return refuse(ECS_EINVAL, why, whylen, "no profile");
	rc = ecs_sandbox_profile_validate(allowed, why, whylen);
	if (rc != 0)
		return rc;
	if (request->version != ECS_SANDBOX_PROFILE_VERSION)
		return refuse(ECS_EINVAL, why, whylen, "request profile version %u, expected %u", request->version,
			      ECS_SANDBOX_PROFILE_VERSION);
	r = *allowed;
	if ((rc = merge_limit(&r.pids, "pids", allowed->pids, request->pids, why, whylen)) != 0 ||
	    (rc = merge_limit(&r.memory, "memory", allowed->memory, request->memory, why, whylen)) != 0 ||
	    (rc = merge_limit(&r.nano_cpus, "nano_cpus", allowed->nano_cpus, request->nano_cpus, why, whylen)) != 0 ||
	    (rc = merge_limit(&r.nofile, "nofile", allowed->nofile, request->nofile, why, whylen)) != 0 ||
	    (rc = merge_limit(&r.tmp_size, "tmp_size", allowed->tmp_size, request->tmp_size, why, whylen)) != 0)
		return rc;
	if (request->cap_add != NULL) {
		for (size_t i = 0; i < request->cap_add_len; i++)
			if (request->cap_add[i] == NULL || !in_caps(request->cap_add[i], allowed->cap_add,
								    allowed->cap_add_len))
				return refuse(ECS_EDENIED, why, whylen, "cap_add: '%.64s' is not allowed",
					      request->cap_add[i] ? request->cap_add[i] : "(null)");
		r.cap_add = request->cap_add;
		r.cap_add_len = request->cap_add_len;
	}
	if (request->tmpfs != NULL) {
		for (size_t i = 0; i < request->tmpfs_len; i++)
			if (request->tmpfs[i] == NULL || !in_list(request->tmpfs[i], allowed->tmpfs, allowed->tmpfs_len))
				return refuse(ECS_EDENIED, why, whylen, "tmpfs: '%.64s' is not allowed",
					      request->tmpfs[i] ? request->tmpfs[i] : "(null)");
		r.tmpfs = request->tmpfs;
		r.tmpfs_len = request->tmpfs_len;
	}
	if (request->writable_root && !allowed->writable_root)
		return refuse(ECS_EDENIED, why, whylen, "writable_root: not allowed");
	if (request->network != NULL) {
		if (strcmp(request->network, "none") != 0 && strcmp(request->network, allowed->network) != 0)
			return refuse(ECS_EDENIED, why, whylen, "network: \"%.64s\" is not allowed", request->network);
		r.network = request->network;
	}
	if (request->user != NULL) {
		if (allowed->user != NULL && strcmp(request->user, allowed->user) != 0)
			return refuse(ECS_EDENIED, why, whylen, "user: only \"%s\" is allowed", allowed->user);
		r.user = request->user;
	}
	if (request->runtime != NULL) {
		if (allowed->runtime == NULL || strcmp(request->runtime, allowed->runtime) != 0)
			return refuse(ECS_EDENIED, why, whylen, "runtime: \"%.64s\" is not allowed", request->runtime);
		r.runtime = request->runtime;
	}
	rc = ecs_sandbox_profile_validate(&r, why, whylen);
	if (rc != 0)
		return rc;
	*out = r;
	return 0;
}

/* ---- key */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/* Append printf-style to a growing string; -1 on ENOMEM. */
static int append(char **buf, size_t *len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int append(char **buf, size_t *len, const char *fmt, ...)
{
	va_list ap;
	char *more = NULL, *nb;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&more, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	nb = realloc(*buf, *len + (size_t)n + 1);
	if (nb == NULL) {
		free(more);
		return -1;
	}
	memcpy(nb + *len, more, (size_t)n + 1);
	*buf = nb;
	*len += (size_t)n;
	free(more);
	return 0;
}

int ecs_sandbox_profile_key(char *buf, size_t size, const ecs_sandbox_profile *p)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	int caps[ECS_SANDBOX_MAX_CAPS];
	const char *paths[ECS_SANDBOX_MAX_TMPFS];
	char *text = NULL;
	size_t len = 0;
	int rc = ECS_ENOMEM;

	if (buf == NULL || size < ECS_SANDBOX_KEY_SIZE || ecs_sandbox_profile_validate(p, NULL, 0) != 0)
		return ECS_EINVAL;
	for (size_t i = 0; i < p->cap_add_len; i++)
		caps[i] = cap_index(p->cap_add[i]);
	qsort(caps, p->cap_add_len, sizeof(caps[0]), cmp_int);
	for (size_t i = 0; i < p->tmpfs_len; i++)
		paths[i] = p->tmpfs[i];
	qsort(paths, p->tmpfs_len, sizeof(paths[0]), cmp_str);

	/* Every field, in a fixed order, each list entry length-free but unambiguous (no ',' in a name or path). */
	if (append(&text, &len, "v%u;pids=%lld;memory=%lld;nano_cpus=%lld;nofile=%lld;tmp_size=%lld;writable_root=%d;caps=",
		   p->version, (long long)p->pids, (long long)p->memory, (long long)p->nano_cpus, (long long)p->nofile,
		   (long long)p->tmp_size, p->writable_root) != 0)
		goto out;
	for (size_t i = 0; i < p->cap_add_len; i++)
		if ((i == 0 || caps[i] != caps[i - 1]) && append(&text, &len, "%s,", known_caps[caps[i]] + 4) != 0)
			goto out;
	if (append(&text, &len, ";tmpfs=") != 0)
		goto out;
	for (size_t i = 0; i < p->tmpfs_len; i++)
		if (append(&text, &len, "%s,", paths[i]) != 0)
			goto out;
	if (append(&text, &len, ";network=%s;user=%s;runtime=%s", p->network, p->user ? p->user : "",
		   p->runtime ? p->runtime : "") != 0)
		goto out;
	if (EVP_Digest(text, len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32) {
		rc = ECS_ERROR;
		goto out;
	}
	memcpy(buf, "v1-", 3);
	for (unsigned int i = 0; i < mdlen; i++) {
		buf[3 + 2 * i] = hex[md[i] >> 4];
		buf[3 + 2 * i + 1] = hex[md[i] & 0xf];
	}
	buf[3 + 2 * mdlen] = '\0';
	rc = 0;
out:
	free(text);
	return rc;
}

/* ---- mapping onto a container */

int ecs_profile_hides(const char *path, const char *working_dir)
{
	size_t n = strlen(path);

	if (working_dir == NULL || working_dir[0] == '\0')
		return 0;
	return strncmp(working_dir, path, n) == 0 && (working_dir[n] == '\0' || working_dir[n] == '/');
}

#define put ecs_json_put

static json_object *one_string(const char *s)
{
	return ecs_json_string_array(&s, 1);
}

static json_object *cap_array(const ecs_sandbox_profile *p)
{
	const char *names[ECS_SANDBOX_MAX_CAPS];

	for (size_t i = 0; i < p->cap_add_len; i++)
		names[i] = known_caps[cap_index(p->cap_add[i])];
	return ecs_json_string_array(names, p->cap_add_len);
}

/* 1 (and logged) when a tmpfs on @path would hide the image's WorkingDir: container and service alike skip it. */
static int tmpfs_skipped(const char *path, const ecs_profile_context *ctx)
{
	if (!ecs_profile_hides(path, ctx->working_dir))
		return 0;
	if (ctx->engine != NULL)
		ecs_engine_log(ctx->engine, ECS_LOG_WARN,
			       "task %s: tmpfs %s not mounted: it would hide the image's WorkingDir %s",
			       ctx->task_id ? ctx->task_id : "-", path, ctx->working_dir);
	return 1;
}

static int add_tmpfs(json_object *tmpfs, const char *path, const ecs_sandbox_profile *p,
		     const ecs_profile_context *ctx)
{
	char opts[96];

	if (tmpfs_skipped(path, ctx))
		return 0;
	if (p->tmp_size == ECS_SANDBOX_UNLIMITED)
		snprintf(opts, sizeof(opts), "%s", TMPFS_OPTIONS);
	else
		snprintf(opts, sizeof(opts), "%s,size=%lld", TMPFS_OPTIONS, (long long)p->tmp_size);
	return put(tmpfs, path, json_object_new_string(opts));
}

static json_object *nofile_ulimits(int64_t n)
{
	json_object *arr = json_object_new_array(), *u = json_object_new_object();

	if (arr == NULL || u == NULL)
		goto fail;
	if (put(u, "Name", json_object_new_string("nofile")) != 0 || put(u, "Soft", json_object_new_int64(n)) != 0 ||
	    put(u, "Hard", json_object_new_int64(n)) != 0)
		goto fail;
	if (json_object_array_add(arr, u) != 0)
		goto fail;
	return arr;
fail:
	json_object_put(u);
	json_object_put(arr);
	return NULL;
}

int ecs_profile_apply(json_object *config, json_object *host_config, const ecs_sandbox_profile *p,
		      const ecs_profile_context *ctx)
{
	json_object *tmpfs = NULL;

	if (put(host_config, "CapDrop", one_string("ALL")) != 0 || put(host_config, "CapAdd", cap_array(p)) != 0)
		goto fail;
	/* No seccomp option: the engine's default profile stays on. */
	if (put(host_config, "SecurityOpt", one_string("no-new-privileges")) != 0)
		goto fail;
	tmpfs = json_object_new_object();
	if (put(host_config, "ReadonlyRootfs", json_object_new_boolean(!p->writable_root)) != 0)
		goto fail;
	if (tmpfs == NULL || add_tmpfs(tmpfs, "/tmp", p, ctx) != 0)
		goto fail;
	for (size_t i = 0; i < p->tmpfs_len; i++)
		if (add_tmpfs(tmpfs, p->tmpfs[i], p, ctx) != 0)
			goto fail;
	if (put(host_config, "Tmpfs", tmpfs) != 0) {
		tmpfs = NULL;
		goto fail;
	}
	tmpfs = NULL;
	/* The engine reads a PidsLimit of -1 as unlimited, like ours. */
	if (put(host_config, "PidsLimit", json_object_new_int64(p->pids)) != 0)
		goto fail;
	/* MemorySwap is memory plus swap: equal to Memory means no swap at all. */
	if (p->memory != ECS_SANDBOX_UNLIMITED &&
	    (put(host_config, "Memory", json_object_new_int64(p->memory)) != 0 ||
	     put(host_config, "MemorySwap", json_object_new_int64(p->memory)) != 0))
		goto fail;
	if (p->nano_cpus != ECS_SANDBOX_UNLIMITED && put(host_config, "NanoCpus", json_object_new_int64(p->nano_cpus)) != 0)
		goto fail;
	if (p->nofile != ECS_SANDBOX_UNLIMITED && put(host_config, "Ulimits", nofile_ulimits(p->nofile)) != 0)
		goto fail;
	if (put(host_config, "Init", json_object_new_boolean(1)) != 0 ||
	    put(host_config, "NetworkMode", json_object_new_string(p->network)) != 0)
		goto fail;
	if (p->runtime != NULL && put(host_config, "Runtime", json_object_new_string(p->runtime)) != 0)
		goto fail;
	if (p->user != NULL && put(config, "User", json_object_new_string(p->user)) != 0)
		goto fail;
	return 0;
fail:
	json_object_put(tmpfs);
	return -1;
}

/* ---- the warm container's extra config (lib/pool.c, agent/PROTOCOL.md) */

/*
 * Capabilities a pooled task may hold: none of them reaches a process of
 * another uid or its /proc files (agent/creds.c keeps the same list).
 */
static const char *const pool_safe_caps[] = {
	"CAP_FSETID", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_SYS_CHROOT",
	"CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND",
};

/* What ecs-agent needs to leave root for a uid of its own and start the task as another (agent/creds.c). */
static const char *const agent_caps[] = { "CAP_SETUID", "CAP_SETGID", "CAP_SETPCAP", "CAP_KILL" };

int ecs_profile_poolable(const ecs_sandbox_profile *p)
{
	for (size_t i = 0; i < p->cap_add_len; i++)
		if (!in_caps(p->cap_add[i], pool_safe_caps, sizeof(pool_safe_caps) / sizeof(pool_safe_caps[0])))
			return 0;
	return 1;
}

int ecs_profile_apply_agent(json_object *config, json_object *host_config)
{
	json_object *add = NULL;

	/* the agent starts as root and moves itself to its own uid; the task gets the profile's user */
	if (put(config, "User", json_object_new_string("0:0")) != 0)
		return -1;
	if (!json_object_object_get_ex(host_config, "CapAdd", &add) || !json_object_is_type(add, json_type_array))
		return -1;
	for (size_t i = 0; i < sizeof(agent_caps) / sizeof(agent_caps[0]); i++) {
		json_object *s = json_object_new_string(agent_caps[i]);

		if (s == NULL || json_object_array_add(add, s) != 0) {
			json_object_put(s);
			return -1;
		}
	}
	return 0;
}

/* ---- mapping onto a Swarm service */

static json_object *tmpfs_mount(const char *path, const ecs_sandbox_profile *p)
{
	json_object *m = json_object_new_object(), *opts = json_object_new_object();

	if (m == NULL || opts == NULL)
		goto fail;
	if (p->tmp_size != ECS_SANDBOX_UNLIMITED && put(opts, "SizeBytes", json_object_new_int64(p->tmp_size)) != 0)
		goto fail;
	if (put(m, "Type", json_object_new_string("tmpfs")) != 0 || put(m, "Target", json_object_new_string(path)) != 0 ||
	    put(m, "ReadOnly", json_object_new_boolean(0)) != 0)
		goto fail;
	if (put(m, "TmpfsOptions", opts) != 0) {
		opts = NULL;
		goto fail;
	}
	return m;
fail:
	json_object_put(opts);
	json_object_put(m);
	return NULL;
}

static int add_tmpfs_mount(json_object *mounts, const char *path, const ecs_sandbox_profile *p,
			   const ecs_profile_context *ctx)
{
	json_object *m;

	if (tmpfs_skipped(path, ctx))
		return 0;
	m = tmpfs_mount(path, p);
	if (m == NULL || json_object_array_add(mounts, m) != 0) {
		json_object_put(m);
		return -1;
	}
	return 0;
}

static json_object *network_attachments(const char *target)
{
	json_object *arr = json_object_new_array(), *n = json_object_new_object();

	if (arr == NULL || n == NULL || put(n, "Target", json_object_new_string(target)) != 0 ||
	    json_object_array_add(arr, n) != 0) {
		json_object_put(n);
		json_object_put(arr);
		return NULL;
	}
	return arr;
}

int ecs_profile_apply_service(json_object *container_spec, json_object *task_template, const ecs_sandbox_profile *p,
			      const ecs_profile_context *ctx, const char *isolated_network)
{
	json_object *mounts = NULL, *resources = NULL, *limits = NULL;

	if (p->runtime != NULL)
		return -2;
	/* The same confinement as ecs_profile_apply(), in the service spec's words (API 1.41). */
	if (put(container_spec, "CapabilityDrop", one_string("ALL")) != 0 ||
	    put(container_spec, "CapabilityAdd", cap_array(p)) != 0 ||
	    put(container_spec, "ReadOnly", json_object_new_boolean(!p->writable_root)) != 0 ||
	    put(container_spec, "Init", json_object_new_boolean(1)) != 0)
		goto fail;
	if (p->nofile != ECS_SANDBOX_UNLIMITED && put(container_spec, "Ulimits", nofile_ulimits(p->nofile)) != 0)
		goto fail;
	if (p->user != NULL && put(container_spec, "User", json_object_new_string(p->user)) != 0)
		goto fail;
	mounts = json_object_new_array();
	if (mounts == NULL || add_tmpfs_mount(mounts, "/tmp", p, ctx) != 0)
		goto fail;
	for (size_t i = 0; i < p->tmpfs_len; i++)
		if (add_tmpfs_mount(mounts, p->tmpfs[i], p, ctx) != 0)
			goto fail;
	if (put(container_spec, "Mounts", mounts) != 0) {
		mounts = NULL;
		goto fail;
	}
	mounts = NULL;
	resources = json_object_new_object();
	limits = json_object_new_object();
	if (resources == NULL || limits == NULL)
		goto fail;
	if (p->pids != ECS_SANDBOX_UNLIMITED && put(limits, "Pids", json_object_new_int64(p->pids)) != 0)
		goto fail;
	if (p->memory != ECS_SANDBOX_UNLIMITED && put(limits, "MemoryBytes", json_object_new_int64(p->memory)) != 0)
		goto fail;
	if (p->nano_cpus != ECS_SANDBOX_UNLIMITED && put(limits, "NanoCPUs", json_object_new_int64(p->nano_cpus)) != 0)
		goto fail;
	if (put(resources, "Limits", limits) != 0) {
		limits = NULL;
		goto fail;
	}
	limits = NULL;
	if (put(task_template, "Resources", resources) != 0) {
		resources = NULL;
		goto fail;
	}
	resources = NULL;
	/* Swarm has no "none" network: "none" is an internal network of ecs's own (no route out). */
	if (put(task_template, "Networks",
		network_attachments(strcmp(p->network, "none") == 0 ? isolated_network : p->network)) != 0)
		goto fail;
	return 0;
fail:
	json_object_put(limits);
	json_object_put(resources);
	json_object_put(mounts);
	return -1;
}
