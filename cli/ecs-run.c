/*
 * ecs-run: run one task in a container through libecs and behave like the
 * process that ran: its stdout and stderr on ours, its exit status as ours.
 */
#include <config.h>

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include <ecs/ecs.h>

/* Exit statuses of our own, the ones `timeout` and `docker run` use. */
#define EXIT_TIMEDOUT 124
#define EXIT_ECS 125

#define STDIN_MAX (64u * 1024u * 1024u)

static ecs_cancel *cancel_token;
static volatile sig_atomic_t caught_signal;

static void usage(FILE *f)
{
	fputs("Usage: ecs-run [OPTIONS] IMAGE CMD [ARG...]\n"
	      "Run CMD in a new container from IMAGE through libecs, copy its stdout and\n"
	      "stderr byte for byte to ours, delete the container and exit with its status.\n"
	      "\n"
	      "Options:\n"
	      "  -H, --host ENDPOINT     engine: unix:///path, http://host:port or https://host:port\n"
	      "                          (default: $ECS_ENGINE, else $DOCKER_HOST, else\n"
	      "                          " ECS_ENGINE_DEFAULT_ENDPOINT ")\n"
	      "      --tlscacert FILE    CA certificate for an https engine\n"
	      "      --tlscert FILE      client certificate for an https engine\n"
	      "      --tlskey FILE       client key for an https engine\n"
	      "  -t, --timeout SECONDS   kill the task after SECONDS (decimals allowed; default 60)\n"
	      "Sandbox (defaults: libecs's profile; LIMIT 'unlimited' lifts that limit):\n"
	      "  -m, --memory BYTES      memory limit, no swap; k, m, g suffixes (default 512m)\n"
	      "      --cpus N            CPU limit, e.g. 0.5 (default 1)\n"
	      "      --pids N            process limit (default 256)\n"
	      "      --nofile N          open-file limit (default 1024)\n"
	      "      --tmp-size BYTES    size of the tmpfs on /tmp (default 64m)\n"
	      "      --tmpfs PATH        another tmpfs of --tmp-size (repeatable)\n"
	      "      --writable-root     a writable root filesystem (default read-only)\n"
	      "      --cap-add CAP       give a capability back after dropping all (repeatable)\n"
	      "      --user UID[:GID]    run as this user (default the image's)\n"
	      "      --runtime NAME      engine runtime, e.g. runsc (default the engine's)\n"
	      "      --network MODE      network mode (default none)\n"
	      "  -e, --env KEY=VALUE     environment variable (repeatable)\n"
	      "  -i, --stdin             read all of our stdin and feed it to the task\n"
	      "      --pull POLICY       always, if-not-present (default) or never\n"
	      "      --creds FILE        registry credentials, a JSON file:\n"
	      "                          {\"username\": ..., \"password\": ..., \"email\": ...}\n"
	      "      --output-cap BYTES  bytes kept per stream (default 1m); k, m, g suffixes\n"
	      "  -v, --verbose           ids, phase timings and truncation notes on stderr\n"
	      "      --version           print the version and exit\n"
	      "  -h, --help              print this help and exit\n"
	      "\n"
	      "Exit status: the task's own exit status (127 when CMD does not exist in\n"
	      "the image, 137 when it was killed); 124 when it ran past --timeout and was\n"
	      "killed; 125 when ecs-run or the engine failed (a line\n"
	      "\"ecs-run: PHASE: MESSAGE\" on stderr says why); 130/143 when interrupted\n"
	      "by SIGINT/SIGTERM (the container is killed and deleted).\n"
	      "\n"
	      "Example:\n"
	      "  ecs-run ecs/busybox:latest sh -c 'echo out; echo err >&2; exit 3'\n",
	      f);
}

static void on_signal(int sig)
{
	if (caught_signal == 0)
		caught_signal = sig;
	ecs_cancel_trigger(cancel_token);
}

static int die(const char *phase, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int die(const char *phase, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "ecs-run: %s: ", phase);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_ECS;
}

/* "64m" -> 67108864. Refuses negatives, junk and overflow. */
static int parse_size(const char *s, int64_t *out)
{
	char *end;
	unsigned long long v, mult = 1;

	if (s[0] == '-' || s[0] == '\0')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s)
		return -1;
	switch (*end) {
	case '\0': break;
	case 'k': case 'K': mult = 1024ULL; end++; break;
	case 'm': case 'M': mult = 1024ULL * 1024; end++; break;
	case 'g': case 'G': mult = 1024ULL * 1024 * 1024; end++; break;
	default: return -1;
	}
	if (*end == 'b' || *end == 'B')
		end++;
	if (*end != '\0' || v > (unsigned long long)INT64_MAX / mult)
		return -1;
	*out = (int64_t)(v * mult);
	return 0;
}

/* A profile limit: a positive number (a size when @size), or "unlimited". */
static int parse_limit(const char *s, int64_t *out, int size)
{
	int64_t v;

	if (strcmp(s, "unlimited") == 0) {
		*out = ECS_SANDBOX_UNLIMITED;
		return 0;
	}
	if (parse_size(s, &v) != 0 || v == 0 || (!size && strpbrk(s, "kKmMgG") != NULL))
		return -1;
	*out = v;
	return 0;
}

static int parse_double(const char *s, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	return (errno != 0 || end == s || *end != '\0' || !(*out > 0)) ? -1 : 0;
}

/* Everything from @f, up to STDIN_MAX bytes. */
static int read_all(FILE *f, unsigned char **data, size_t *len)
{
	size_t cap = 65536, n = 0;
	unsigned char *buf = malloc(cap);

	if (buf == NULL)
		return -1;
	for (;;) {
		size_t got;

		if (n == cap) {
			unsigned char *nb;

			if (cap >= STDIN_MAX) {
				free(buf);
				errno = EFBIG;
				return -1;
			}
			nb = realloc(buf, cap * 2);
			if (nb == NULL) {
				free(buf);
				return -1;
			}
			buf = nb;
			cap *= 2;
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0) {
			if (ferror(f)) {
				free(buf);
				return -1;
			}
			break;
		}
	}
	*data = buf;
	*len = n;
	return 0;
}

/* The credentials file: a JSON object with username, password, optional email and serveraddress. */
struct creds {
	json_object *root;
	ecs_registry_auth auth;
};

static const char *creds_member(json_object *root, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(root, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static int creds_load(struct creds *c, const char *path)
{
	memset(c, 0, sizeof(*c));
	c->root = json_object_from_file(path);
	if (c->root == NULL) {
		const char *why = json_util_get_last_err();
		size_t n = why ? strcspn(why, "\n") : 0;

		return die("creds", "%s: cannot read it as JSON (%.*s)", path, (int)n, why ? why : "");
	}
	if (!json_object_is_type(c->root, json_type_object))
		return die("creds", "%s: not a JSON object", path);
	c->auth.username = creds_member(c->root, "username");
	c->auth.password = creds_member(c->root, "password");
	c->auth.email = creds_member(c->root, "email");
	c->auth.server_address = creds_member(c->root, "serveraddress");
	if (c->auth.username == NULL || c->auth.password == NULL)
		return die("creds", "%s: needs string members \"username\" and \"password\"", path);
	return 0;
}

/* $DOCKER_HOST speaks tcp://; libecs wants http:// or https://. */
static char *endpoint_from_env(const char **ca, const char **cert, const char **key, char paths[3][PATH_MAX])
{
	const char *e = getenv("ECS_ENGINE");
	const char *tls, *dir;
	char *url;

	if (e != NULL && e[0] != '\0')
		return strdup(e);
	e = getenv("DOCKER_HOST");
	if (e == NULL || e[0] == '\0')
		return NULL;
	if (strncmp(e, "tcp://", 6) != 0)
		return strdup(e);
	tls = getenv("DOCKER_TLS_VERIFY");
	url = malloc(strlen(e) + 3);
	if (url == NULL)
		return NULL;
	if (tls != NULL && tls[0] != '\0' && strcmp(tls, "0") != 0) {
		sprintf(url, "https://%s", e + 6);
		dir = getenv("DOCKER_CERT_PATH");
		if (dir != NULL && dir[0] != '\0') {
			snprintf(paths[0], PATH_MAX, "%s/ca.pem", dir);
			snprintf(paths[1], PATH_MAX, "%s/cert.pem", dir);
			snprintf(paths[2], PATH_MAX, "%s/key.pem", dir);
			if (*ca == NULL)
				*ca = paths[0];
			if (*cert == NULL)
				*cert = paths[1];
			if (*key == NULL)
				*key = paths[2];
		}
	} else {
		sprintf(url, "http://%s", e + 6);
	}
	return url;
}

static void verbose_log(ecs_log_level level, const char *message, void *userdata)
{
	static const char *names[] = { "error", "warn", "info", "debug" };

	(void)userdata;
	fprintf(stderr, "ecs-run: [%s] %s\n", (unsigned)level < 4 ? names[level] : "?", message);
}

static int write_all(FILE *f, const ecs_buffer *b)
{
	if (b->len > 0 && fwrite(b->data, 1, b->len, f) != b->len)
		return -1;
	return fflush(f) == 0 ? 0 : -1;
}

enum {
	OPT_TLSCACERT = 256, OPT_TLSCERT, OPT_TLSKEY, OPT_CPUS, OPT_PIDS, OPT_NETWORK, OPT_PULL, OPT_CREDS,
	OPT_OUTPUT_CAP, OPT_VERSION, OPT_NOFILE, OPT_TMP_SIZE, OPT_TMPFS, OPT_WRITABLE_ROOT, OPT_CAP_ADD,
	OPT_USER, OPT_RUNTIME
};

static const struct option long_options[] = {
	{ "host", required_argument, NULL, 'H' },
	{ "tlscacert", required_argument, NULL, OPT_TLSCACERT },
	{ "tlscert", required_argument, NULL, OPT_TLSCERT },
	{ "tlskey", required_argument, NULL, OPT_TLSKEY },
	{ "timeout", required_argument, NULL, 't' },
	{ "memory", required_argument, NULL, 'm' },
	{ "cpus", required_argument, NULL, OPT_CPUS },
	{ "pids", required_argument, NULL, OPT_PIDS },
	{ "network", required_argument, NULL, OPT_NETWORK },
	{ "nofile", required_argument, NULL, OPT_NOFILE },
	{ "tmp-size", required_argument, NULL, OPT_TMP_SIZE },
	{ "tmpfs", required_argument, NULL, OPT_TMPFS },
	{ "writable-root", no_argument, NULL, OPT_WRITABLE_ROOT },
	{ "cap-add", required_argument, NULL, OPT_CAP_ADD },
	{ "user", required_argument, NULL, OPT_USER },
	{ "runtime", required_argument, NULL, OPT_RUNTIME },
	{ "env", required_argument, NULL, 'e' },
	{ "stdin", no_argument, NULL, 'i' },
	{ "pull", required_argument, NULL, OPT_PULL },
	{ "creds", required_argument, NULL, OPT_CREDS },
	{ "output-cap", required_argument, NULL, OPT_OUTPUT_CAP },
	{ "verbose", no_argument, NULL, 'v' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

int main(int argc, char **argv)
{
	ecs_engine_options eo = ECS_ENGINE_OPTIONS_INIT;
	ecs_task_spec spec = ECS_TASK_SPEC_INIT;
	ecs_sandbox_profile profile = ECS_SANDBOX_PROFILE_INIT;
	ecs_task_result result = ECS_TASK_RESULT_INIT;
	struct creds creds;
	struct sigaction sa;
	char cert_paths[3][PATH_MAX];
	const char **env = NULL, **caps = NULL, **tmpfs = NULL;
	size_t env_len = 0, caps_len = 0, tmpfs_len = 0;
	char why[256];
	const char *host = NULL, *creds_file = NULL;
	char *env_endpoint = NULL;
	unsigned char *stdin_data = NULL;
	size_t stdin_len = 0;
	int use_stdin = 0, verbose = 0, opt, status = EXIT_ECS, rc;
	ecs_engine *engine = NULL;
	int64_t v;
	double d;

	memset(&creds, 0, sizeof(creds));
	env = calloc((size_t)argc, sizeof(*env));
	caps = calloc((size_t)argc, sizeof(*caps));
	tmpfs = calloc((size_t)argc, sizeof(*tmpfs));
	if (env == NULL || caps == NULL || tmpfs == NULL) {
		status = die("setup", "out of memory");
		goto out;
	}

	/* '+' stops at the image: everything after it is the task's command. */
	while ((opt = getopt_long(argc, argv, "+H:t:m:e:ivh", long_options, NULL)) != -1) {
		switch (opt) {
		case 'H': host = optarg; break;
		case OPT_TLSCACERT: eo.ca_file = optarg; break;
		case OPT_TLSCERT: eo.cert_file = optarg; break;
		case OPT_TLSKEY: eo.key_file = optarg; break;
		case 't':
			if (parse_double(optarg, &d) != 0 || d * 1000.0 > (double)LONG_MAX) {
				status = die("options", "--timeout: want a positive number of seconds, got '%s'", optarg);
				goto out;
			}
			spec.timeout_ms = (long)(d * 1000.0 + 0.5);
			if (spec.timeout_ms < 1)
				spec.timeout_ms = 1;
			break;
		case 'm':
			if (parse_limit(optarg, &profile.memory, 1) != 0) {
				status = die("options", "--memory: want bytes with an optional k/m/g suffix, got '%s'", optarg);
				goto out;
			}
			break;
		case OPT_CPUS:
			if (strcmp(optarg, "unlimited") == 0) {
				profile.nano_cpus = ECS_SANDBOX_UNLIMITED;
			} else if (parse_double(optarg, &d) != 0 || d > 1024.0) {
				status = die("options", "--cpus: want a positive number, got '%s'", optarg);
				goto out;
			} else {
				profile.nano_cpus = (int64_t)(d * 1e9 + 0.5);
			}
			break;
		case OPT_PIDS:
		case OPT_NOFILE:
			if (parse_limit(optarg, opt == OPT_PIDS ? &profile.pids : &profile.nofile, 0) != 0) {
				status = die("options", "--%s: want a positive integer, got '%s'",
					     opt == OPT_PIDS ? "pids" : "nofile", optarg);
				goto out;
			}
			break;
		case OPT_TMP_SIZE:
			if (parse_limit(optarg, &profile.tmp_size, 1) != 0) {
				status = die("options", "--tmp-size: want bytes with an optional k/m/g suffix, got '%s'", optarg);
				goto out;
			}
			break;
		case OPT_TMPFS: tmpfs[tmpfs_len++] = optarg; break;
		case OPT_WRITABLE_ROOT: profile.writable_root = 1; break;
		case OPT_CAP_ADD: caps[caps_len++] = optarg; break;
		case OPT_USER: profile.user = optarg; break;
		case OPT_RUNTIME: profile.runtime = optarg; break;
		case OPT_NETWORK: profile.network = optarg; break;
		case 'e':
			if (strchr(optarg, '=') == NULL || optarg[0] == '=') {
				status = die("options", "--env: want KEY=VALUE, got '%s'", optarg);
				goto out;
			}
			env[env_len++] = optarg;
			break;
		case 'i': use_stdin = 1; break;
		case OPT_PULL:
			if (strcmp(optarg, "always") == 0)
				spec.pull_policy = ECS_PULL_ALWAYS;
			else if (strcmp(optarg, "if-not-present") == 0)
				spec.pull_policy = ECS_PULL_IF_NOT_PRESENT;
			else if (strcmp(optarg, "never") == 0)
				spec.pull_policy = ECS_PULL_NEVER;
			else {
				status = die("options", "--pull: want always, if-not-present or never, got '%s'", optarg);
				goto out;
			}
			break;
		case OPT_CREDS: creds_file = optarg; break;
		case OPT_OUTPUT_CAP:
			if (parse_size(optarg, &v) != 0 || v == 0 || (uint64_t)v > SIZE_MAX) {
				status = die("options", "--output-cap: want bytes with an optional k/m/g suffix, got '%s'", optarg);
				goto out;
			}
			spec.stdout_cap = spec.stderr_cap = (size_t)v;
			break;
		case 'v': verbose = 1; break;
		case OPT_VERSION:
			printf("ecs-run %s (libecs %s)\n", ECS_VERSION_STRING, ecs_version());
			status = 0;
			goto out;
		case 'h':
			usage(stdout);
			status = 0;
			goto out;
		default:
			fputs("Try 'ecs-run --help' for more information.\n", stderr);
			goto out;
		}
	}
	if (argc - optind < 2) {
		fputs("ecs-run: options: want IMAGE and CMD; try 'ecs-run --help'\n", stderr);
		goto out;
	}
	spec.run.image = argv[optind];
	spec.run.cmd = (const char *const *)&argv[optind + 1];
	spec.run.cmd_len = (size_t)(argc - optind - 1);
	spec.run.env = env;
	spec.run.env_len = env_len;
	profile.cap_add = caps;
	profile.cap_add_len = caps_len;
	profile.tmpfs = tmpfs;
	profile.tmpfs_len = tmpfs_len;
	if (ecs_sandbox_profile_validate(&profile, why, sizeof(why)) != 0) {
		status = die("options", "sandbox %s", why);
		goto out;
	}
	spec.profile = &profile;

	if (creds_file != NULL) {
		if ((status = creds_load(&creds, creds_file)) != 0)
			goto out;
		status = EXIT_ECS;
		spec.auth = &creds.auth;
	}
	if (use_stdin) {
		if (read_all(stdin, &stdin_data, &stdin_len) != 0) {
			status = die("stdin", "reading our stdin: %s", strerror(errno));
			goto out;
		}
		spec.stdin_data = stdin_data;
		spec.stdin_len = stdin_len;
	}

	if (host == NULL)
		host = env_endpoint = endpoint_from_env(&eo.ca_file, &eo.cert_file, &eo.key_file, cert_paths);
	eo.endpoint = host;
	/* the task container's PID 1 on the engine's host (NULL: the installed one) */
	eo.agent_path = getenv("ECS_AGENT") != NULL && getenv("ECS_AGENT")[0] != '\0' ? getenv("ECS_AGENT") : NULL;
	if (verbose)
		eo.log = verbose_log;

	if (ecs_global_init() != 0) {
		status = die("setup", "libcurl initialisation failed");
		goto out;
	}
	rc = ecs_engine_new(&engine, &eo);
	if (rc != 0) {
		status = die("engine", "%s: %s%s", host ? host : ECS_ENGINE_DEFAULT_ENDPOINT, ecs_strerror(rc),
			     rc == ECS_EINVAL ? " (want unix:///path.sock, http://host:port or https://host:port)" : "");
		goto cleanup;
	}
	if (ecs_cancel_new(&cancel_token) != 0) {
		status = die("setup", "out of memory");
		goto cleanup;
	}
	spec.cancel = cancel_token;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* A closed stdout must not kill us before the container is deleted. */
	signal(SIGPIPE, SIG_IGN);

	/* No reaper: ecs_task_run deletes the container before it returns. */
	rc = ecs_task_run(&result, engine, NULL, &spec);

	/* Ignore further signals: the container is already gone, let the output out. */
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	if (verbose) {
		fprintf(stderr, "ecs-run: task %s container %.12s image %s%s%s\n", result.task_id,
			result.container_id ? result.container_id : "-",
			result.image_id ? result.image_id : "-", result.repo_digest ? " " : "",
			result.repo_digest ? result.repo_digest : "");
		fprintf(stderr,
			"ecs-run: timings ms: pull %.1f create %.1f start %.1f run %.1f logs %.1f total %.1f\n",
			result.timings.pull, result.timings.create, result.timings.start, result.timings.run,
			result.timings.logs, result.timings.total);
	}
	if (rc == ECS_ECANCELED && ecs_cancel_is_triggered(cancel_token)) {
		fputs("ecs-run: interrupted; the container was killed and deleted\n", stderr);
		status = 128 + (caught_signal ? (int)caught_signal : SIGINT);
		goto cleanup;
	}
	if (rc != 0) {
		const char *phase = ecs_task_phase_name(result.error_phase);

		status = die(phase ? phase : "run", "%s (%s)",
			     result.error[0] ? result.error : ecs_strerror(rc), ecs_error_name(rc));
		goto cleanup;
	}
	if (write_all(stdout, &result.out) != 0 || write_all(stderr, &result.err) != 0) {
		status = die("output", "writing the task's output: %s", strerror(errno));
		goto cleanup;
	}
	if (verbose || result.out.truncated || result.err.truncated) {
		if (result.out.truncated)
			fprintf(stderr, "ecs-run: stdout truncated to %zu bytes (--output-cap)\n", result.out.len);
		if (result.err.truncated)
			fprintf(stderr, "ecs-run: stderr truncated to %zu bytes (--output-cap)\n", result.err.len);
	}
	if (verbose && result.oom_killed)
		fputs("ecs-run: the task was killed for running out of memory\n", stderr);
	if (result.timed_out) {
		if (verbose)
			fprintf(stderr, "ecs-run: the task ran past its timeout and was killed (exit %d)\n",
				result.exit_code);
		status = EXIT_TIMEDOUT;
	} else {
		status = result.exit_code >= 0 && result.exit_code <= 255 ? result.exit_code : EXIT_ECS;
	}
cleanup:
	ecs_task_result_clear(&result);
	ecs_engine_free(engine);
	ecs_cancel_free(cancel_token);
	cancel_token = NULL;
	ecs_global_cleanup();
out:
	json_object_put(creds.root);
	free(stdin_data);
	free(env_endpoint);
	free(env);
	free(caps);
	free(tmpfs);
	return status;
}
