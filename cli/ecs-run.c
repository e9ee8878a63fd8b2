/*
 * ecs-run: run one task in a container through libecs and behave like the
 * process that ran: its stdout and stderr on ours, its exit status as ours.
 * With --endpoint the task goes to a running ecs service instead (remote.h).
 */
#include <config.h>

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include <ecs/ecs.h>

#include "args.h"
#include "remote.h"

static ecs_cancel *cancel_token;
static volatile sig_atomic_t caught_signal;

/* Options that only a local engine takes: refused with --endpoint. */
#define LOCAL_ONLY_MAX 16

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
	      "Through a running ecs service instead of an engine (output appears as the\n"
	      "task writes it):\n"
	      "      --endpoint URL      the service, e.g. https://ecs.example:8443\n"
	      "      --cacert FILE       its CA certificate (default $ECS_CA_CERT)\n"
	      "      --cert FILE         our client certificate (default $ECS_CLIENT_CERT)\n"
	      "      --key FILE          its key (default $ECS_CLIENT_KEY); BASIC credentials\n"
	      "                          from $ECS_KEY and $ECS_SECRET when set\n"
	      "      --file LOCAL:PATH   write the local file at PATH in the container first\n"
	      "                          (repeatable)\n"
	      "      --artifact PATH     fetch PATH (a file or a directory) after the exit into\n"
	      "                          the artifact directory, by base name (repeatable)\n"
	      "      --artifact-dir DIR  where artifacts go (default the current directory)\n"
	      "  -v, --verbose           ids, phase timings and truncation notes on stderr\n"
	      "      --version           print the version and exit\n"
	      "  -h, --help              print this help and exit\n"
	      "\n"
	      "Exit status: the task's own exit status (127 when CMD does not exist in\n"
	      "the image, 137 when it was killed); 124 when it ran past --timeout and was\n"
	      "killed; 125 when ecs-run, the engine or the service failed or refused\n"
	      "it (a line \"ecs-run: PHASE: MESSAGE\" on stderr says why); 130/143 when\n"
	      "interrupted by SIGINT/SIGTERM (the container is killed and deleted; with\n"
	      "--endpoint the service cancels the task).\n"
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

/* SIGINT and SIGTERM stop the task (on_signal); a closed stdout must not kill us before it is stopped. */
static void catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
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

/* The profile's limits as the service's body takes them; "unlimited" is the service's to decide. */
static int remote_limits(remote_task *rt, const ecs_sandbox_profile *p)
{
	if (p->memory == ECS_SANDBOX_UNLIMITED || p->nano_cpus == ECS_SANDBOX_UNLIMITED || p->pids == ECS_SANDBOX_UNLIMITED)
		return cli_fail("options", "'unlimited' is a local engine's limit: with --endpoint the service sets its caps");
	rt->memory = p->memory;
	rt->cpus = p->nano_cpus > 0 ? (double)p->nano_cpus / 1e9 : 0;
	rt->pids = p->pids;
	rt->network = p->network;
	rt->user = p->user;
	rt->runtime = p->runtime;
	return 0;
}

/* An ECS_* variable of run/ecs.env, or NULL when unset or empty. */
static const char *env_or_null(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && v[0] != '\0' ? v : NULL;
}

enum {
	OPT_TLSCACERT = 256, OPT_TLSCERT, OPT_TLSKEY, OPT_CPUS, OPT_PIDS, OPT_NETWORK, OPT_PULL, OPT_CREDS,
	OPT_OUTPUT_CAP, OPT_VERSION, OPT_NOFILE, OPT_TMP_SIZE, OPT_TMPFS, OPT_WRITABLE_ROOT, OPT_CAP_ADD,
	OPT_USER, OPT_RUNTIME, OPT_ENDPOINT, OPT_CACERT, OPT_CERT, OPT_KEY, OPT_FILE, OPT_ARTIFACT,
	OPT_ARTIFACT_DIR
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
	{ "endpoint", required_argument, NULL, OPT_ENDPOINT },
	{ "cacert", required_argument, NULL, OPT_CACERT },
	{ "cert", required_argument, NULL, OPT_CERT },
	{ "key", required_argument, NULL, OPT_KEY },
	{ "file", required_argument, NULL, OPT_FILE },
	{ "artifact", required_argument, NULL, OPT_ARTIFACT },
	{ "artifact-dir", required_argument, NULL, OPT_ARTIFACT_DIR },
	{ "verbose", no_argument, NULL, 'v' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

/* The long name of option @opt, for messages. */
static const char *option_name(int opt)
{
	for (const struct option *o = long_options; o->name != NULL; o++)
		if (o->val == opt)
			return o->name;
	return "?";
}

int main(int argc, char **argv)
{
	ecs_engine_options eo = ECS_ENGINE_OPTIONS_INIT;
	ecs_task_spec spec = ECS_TASK_SPEC_INIT;
	ecs_sandbox_profile profile = ECS_SANDBOX_PROFILE_INIT;
	ecs_task_result result = ECS_TASK_RESULT_INIT;
	args_creds creds;
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
	remote_task rt;
	remote_file *files = NULL;
	const char **artifacts = NULL;
	const char *local_only[LOCAL_ONLY_MAX];
	size_t n_local_only = 0;

	memset(&creds, 0, sizeof(creds));
	memset(&rt, 0, sizeof(rt));
	env = calloc((size_t)argc, sizeof(*env));
	caps = calloc((size_t)argc, sizeof(*caps));
	tmpfs = calloc((size_t)argc, sizeof(*tmpfs));
	files = calloc((size_t)argc, sizeof(*files));
	artifacts = calloc((size_t)argc, sizeof(*artifacts));
	if (env == NULL || caps == NULL || tmpfs == NULL || files == NULL || artifacts == NULL) {
		status = cli_fail("setup", "out of memory");
		goto out;
	}

	/* '+' stops at the image: everything after it is the task's command. */
	while ((opt = getopt_long(argc, argv, "+H:t:m:e:ivh", long_options, NULL)) != -1) {
		switch (opt) {
		case 'H': case OPT_TLSCACERT: case OPT_TLSCERT: case OPT_TLSKEY: case OPT_NOFILE: case OPT_TMP_SIZE:
		case OPT_TMPFS: case OPT_WRITABLE_ROOT: case OPT_CAP_ADD: case OPT_PULL: case OPT_OUTPUT_CAP:
			if (n_local_only < LOCAL_ONLY_MAX)
				local_only[n_local_only++] = option_name(opt);
			break;
		default:
			break;
		}
		switch (opt) {
		case 'H': host = optarg; break;
		case OPT_TLSCACERT: eo.ca_file = optarg; break;
		case OPT_TLSCERT: eo.cert_file = optarg; break;
		case OPT_TLSKEY: eo.key_file = optarg; break;
		case 't':
			if (args_parse_double(optarg, &d) != 0 || d * 1000.0 > (double)LONG_MAX) {
				status = cli_fail("options", "--timeout: want a positive number of seconds, got '%s'", optarg);
				goto out;
			}
			spec.timeout_ms = (long)(d * 1000.0 + 0.5);
			if (spec.timeout_ms < 1)
				spec.timeout_ms = 1;
			break;
		case 'm':
			if (args_parse_limit(optarg, &profile.memory, 1) != 0) {
				status = cli_fail("options", "--memory: want bytes with an optional k/m/g suffix, got '%s'", optarg);
				goto out;
			}
			break;
		case OPT_CPUS:
			if (strcmp(optarg, "unlimited") == 0) {
				profile.nano_cpus = ECS_SANDBOX_UNLIMITED;
			} else if (args_parse_double(optarg, &d) != 0 || d > 1024.0) {
				status = cli_fail("options", "--cpus: want a positive number, got '%s'", optarg);
				goto out;
			} else {
				profile.nano_cpus = (int64_t)(d * 1e9 + 0.5);
			}
			break;
		case OPT_PIDS:
		case OPT_NOFILE:
			if (args_parse_limit(optarg, opt == OPT_PIDS ? &profile.pids : &profile.nofile, 0) != 0) {
				status = cli_fail("options", "--%s: want a positive integer, got '%s'",
					     opt == OPT_PIDS ? "pids" : "nofile", optarg);
				goto out;
			}
			break;
		case OPT_TMP_SIZE:
			if (args_parse_limit(optarg, &profile.tmp_size, 1) != 0) {
				status = cli_fail("options", "--tmp-size: want bytes with an optional k/m/g suffix, got '%s'", optarg);
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
				status = cli_fail("options", "--env: want KEY=VALUE, got '%s'", optarg);
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
				status = cli_fail("options", "--pull: want always, if-not-present or never, got '%s'", optarg);
				goto out;
			}
			break;
		case OPT_CREDS: creds_file = optarg; break;
		case OPT_OUTPUT_CAP:
			if (args_parse_size(optarg, &v) != 0 || v == 0 || (uint64_t)v > SIZE_MAX) {
				status = cli_fail("options", "--output-cap: want bytes with an optional k/m/g suffix, got '%s'", optarg);
				goto out;
			}
			spec.stdout_cap = spec.stderr_cap = (size_t)v;
			break;
		case OPT_ENDPOINT: rt.endpoint = optarg; break;
		case OPT_CACERT: rt.cacert = optarg; break;
		case OPT_CERT: rt.cert = optarg; break;
		case OPT_KEY: rt.key = optarg; break;
		case OPT_FILE:
			if (args_parse_file(optarg, &files[rt.files_len]) != 0) {
				status = cli_fail("options", "--file: want LOCAL:PATH with PATH absolute, got '%s'", optarg);
				goto out;
			}
			rt.files_len++;
			break;
		case OPT_ARTIFACT: artifacts[rt.artifacts_len++] = optarg; break;
		case OPT_ARTIFACT_DIR: rt.artifact_dir = optarg; break;
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
		status = cli_fail("options", "sandbox %s", why);
		goto out;
	}
	spec.profile = &profile;

	if (creds_file != NULL) {
		if ((status = args_creds_load(&creds, creds_file)) != 0)
			goto out;
		status = EXIT_ECS;
		spec.auth = &creds.auth;
	}
	if (use_stdin) {
		if (args_read_all(stdin, &stdin_data, &stdin_len) != 0) {
			status = cli_fail("stdin", "reading our stdin: %s", strerror(errno));
			goto out;
		}
		spec.stdin_data = stdin_data;
		spec.stdin_len = stdin_len;
	}

	if (rt.endpoint == NULL && (rt.files_len > 0 || rt.artifacts_len > 0 || rt.artifact_dir != NULL || rt.cacert != NULL ||
				    rt.cert != NULL || rt.key != NULL)) {
		status = cli_fail("options", "--file, --artifact, --artifact-dir, --cacert, --cert and --key need --endpoint");
		goto out;
	}
	if (rt.endpoint != NULL) {
		if (n_local_only > 0) {
			status = cli_fail("options", "--%s is for a local engine; the service at --endpoint decides that itself",
				     local_only[0]);
			goto out;
		}
		if ((status = remote_limits(&rt, &profile)) != 0)
			goto out;
		rt.cacert = rt.cacert ? rt.cacert : env_or_null("ECS_CA_CERT");
		rt.cert = rt.cert ? rt.cert : env_or_null("ECS_CLIENT_CERT");
		rt.key = rt.key ? rt.key : env_or_null("ECS_CLIENT_KEY");
		rt.basic_user = env_or_null("ECS_KEY");
		rt.basic_secret = env_or_null("ECS_SECRET");
		rt.image = spec.run.image;
		rt.cmd = spec.run.cmd;
		rt.cmd_len = spec.run.cmd_len;
		rt.env = env;
		rt.env_len = env_len;
		rt.stdin_data = stdin_data;
		rt.stdin_len = stdin_len;
		rt.has_stdin = use_stdin;
		/* the service counts whole seconds: never less than asked */
		rt.timeout_s = spec.timeout_ms > 0 ? (spec.timeout_ms + 999) / 1000 : 0;
		rt.creds_user = creds.auth.username;
		rt.creds_password = creds.auth.password;
		rt.creds_email = creds.auth.email;
		rt.files = files;
		rt.artifacts = artifacts;
		rt.verbose = verbose;
		if (ecs_global_init() != 0) {
			status = cli_fail("setup", "libcurl initialisation failed");
			goto out;
		}
		catch_signals();
		status = remote_run(&rt, &caught_signal);
		ecs_global_cleanup();
		goto out;
	}

	if (host == NULL)
		host = env_endpoint = endpoint_from_env(&eo.ca_file, &eo.cert_file, &eo.key_file, cert_paths);
	eo.endpoint = host;
	/* the task container's PID 1 on the engine's host (NULL: the installed one) */
	eo.agent_path = getenv("ECS_AGENT") != NULL && getenv("ECS_AGENT")[0] != '\0' ? getenv("ECS_AGENT") : NULL;
	if (verbose)
		eo.log = verbose_log;

	if (ecs_global_init() != 0) {
		status = cli_fail("setup", "libcurl initialisation failed");
		goto out;
	}
	rc = ecs_engine_new(&engine, &eo);
	if (rc != 0) {
		status = cli_fail("engine", "%s: %s%s", host ? host : ECS_ENGINE_DEFAULT_ENDPOINT, ecs_strerror(rc),
			     rc == ECS_EINVAL ? " (want unix:///path.sock, http://host:port or https://host:port)" : "");
		goto cleanup;
	}
	if (ecs_cancel_new(&cancel_token) != 0) {
		status = cli_fail("setup", "out of memory");
		goto cleanup;
	}
	spec.cancel = cancel_token;
	catch_signals();

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

		status = cli_fail(phase ? phase : "run", "%s (%s)",
			     result.error[0] ? result.error : ecs_strerror(rc), ecs_error_name(rc));
		goto cleanup;
	}
	if (write_all(stdout, &result.out) != 0 || write_all(stderr, &result.err) != 0) {
		status = cli_fail("output", "writing the task's output: %s", strerror(errno));
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
	for (size_t i = 0; files != NULL && i < rt.files_len; i++)
		free((char *)files[i].local);
	free(files);
	free(artifacts);
	free(stdin_data);
	free(env_endpoint);
	free(env);
	free(caps);
	free(tmpfs);
	return status;
}
