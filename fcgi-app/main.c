/*
 * main.c - ecs-fcgi: start-up, the worker pool, signals and shutdown.
 *
 * spawn-fcgi hands us the listening socket as file descriptor 0; workers.c
 * accepts on it (acceptor threads for quick requests, a pool of
 * max_concurrent_executing_http_requests task workers for containers).
 * One ecs_reaper is shared: containers are handed to it after the response
 * is finished, and its timer sweeps orphans.
 *
 * SIGTERM/SIGINT: the handler only writes to a pipe. The main thread then
 * stops accepting, gives queued and running tasks what is left of
 * shutdown_grace, cancels what still runs (libecs kills those containers,
 * pulls included, and hands them to the reaper), lets the reaper drain its
 * queue within the rest of the grace (what it cannot delete by then is left
 * to the next start-up sweep, and logged) and exits 0.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>
#include <ecs/ecs.h>

#include "admission.h"
#include "async_runner.h"
#include "callback.h"
#include "clock.h"
#include "ids.h"
#include "conf.h"
#include "engine_watch.h"
#include "log.h"
#include "memory.h"
#include "sandbox.h"
#include "metrics.h"
#include "workers.h"
#include "session_keeper.h"
#include "store.h"
#include "task_record.h"
#include "warm.h"

static int signal_pipe[2] = { -1, -1 };

static void on_term(int sig)
{
	int saved = errno;
	char c = (char)sig;

	if (write(signal_pipe[1], &c, 1) < 0) {
		/* The pipe is full: a signal is already pending. */
	}
	errno = saved;
}

/* SIGUSR1 only interrupts a worker's accept(2); see stop_workers(). */
static void on_wake(int sig)
{
	(void)sig;
}

static void libecs_log(ecs_log_level level, const char *message, void *userdata)
{
	static const log_level map[] = { LOG_LEVEL_ERROR, LOG_LEVEL_WARNING, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };

	(void)userdata;
	log_msg(level <= ECS_LOG_DEBUG ? map[level] : LOG_LEVEL_DEBUG, "libecs", "%s", message);
}

/* The reaper's share of shutdown_grace, in milliseconds. */
static unsigned int drain_ms(unsigned int grace_s)
{
	return grace_s >= 4 ? grace_s * 250u : 1000u;
}

/* This node in the store: node_name, else "<hostname>:<config path>" (a restart with the same file is the same node). */
static void node_name(char *buf, size_t size, const config *cfg)
{
	char host[256] = "localhost";

	if (cfg->store.node != NULL) {
		snprintf(buf, size, "%s", cfg->store.node);
		return;
	}
	if (gethostname(host, sizeof(host) - 1) != 0)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	snprintf(buf, size, "%s:%s", host, cfg->path ? cfg->path : "built-in defaults");
}

/*
 * The store, and this node's previous life reclaimed before anything runs:
 * what it left running is INTERRUPTED (its containers belong to the dead
 * instance; the start-up sweep removed them). A store that cannot be
 * opened leaves the node serving synchronous tasks, logged, its health red.
 */
static store *open_store(const config *cfg)
{
	char node[256], err[512], rid[65] = "startup";
	store *st = NULL;
	store_task *list = NULL;
	long n;

	node_name(node, sizeof(node), cfg);
	if (store_open(&st, &cfg->store, node, err, sizeof(err)) != 0) {
		log_msg(LOG_LEVEL_ERROR, "startup", "cannot open the task store: %s; async tasks, idempotency keys "
			"and polling answer 503 STORE_UNAVAILABLE", err);
		return NULL;
	}
	(void)ecs_id_generate(rid, sizeof(rid));
	n = store_reclaim(st, 1, task_interrupted_restart, rid, &list, err, sizeof(err));
	if (n < 0)
		log_msg(LOG_LEVEL_ERROR, "startup", "cannot reclaim this node's interrupted tasks: %s", err);
	for (long i = 0; i < n; i++)
		log_msg(LOG_LEVEL_WARNING, "startup", "task %s INTERRUPTED: it was running when node '%s' stopped "
			"(request_id %s)", list[i].id, node, rid);
	if (n > 0)
		store_tasks_free(list, (size_t)n);
	log_msg(LOG_LEVEL_INFO, "startup", "task store open (%s), node '%s'",
		store_kind(st) == STORE_DB_POSTGRESQL ? "postgresql" : "sqlite", node);
	return st;
}

/* The queue's runners stop beside the workers, within the same grace: a thread of its own. */
typedef struct {
	async_runner *runner;
	double deadline;
} runner_stop;

static void *stop_runner(void *arg)
{
	runner_stop *rs = arg;

	async_runner_stop(rs->runner, rs->deadline);
	return NULL;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ecs-fcgi [--config PATH] [--check-config] [--version] [--help]\n"
		"\n"
		"The ecs FastCGI responder. Start it under spawn-fcgi, which passes the\n"
		"listening socket as file descriptor 0:\n"
		"  spawn-fcgi -n -s /run/ecs/ecs.sock -- ecs-fcgi --config /etc/ecs/ecs.conf\n"
		"\n"
		"  -c, --config PATH   configuration file (default %s; when that file\n"
		"                      is missing, built-in defaults are used)\n"
		"  -t, --check-config  check the configuration and exit (0 when valid)\n"
		"  -V, --version       print the version and exit\n"
		"  -h, --help          print this help and exit\n", CONFIG_DEFAULT_PATH);
}

static int load_config(config **cfg, const char *path)
{
	char err[512];

	if (path == NULL) {
		if (access(CONFIG_DEFAULT_PATH, F_OK) != 0 && errno == ENOENT) {
			*cfg = config_defaults();
			if (*cfg == NULL) {
				fprintf(stderr, "ecs-fcgi: out of memory\n");
				return -1;
			}
			log_msg(LOG_LEVEL_WARNING, "config", "%s does not exist: running with built-in defaults",
					CONFIG_DEFAULT_PATH);
			return 0;
		}
		path = CONFIG_DEFAULT_PATH;
	}
	if (config_load(cfg, path, err, sizeof(err)) != 0) {
		fprintf(stderr, "ecs-fcgi: %s\n", err);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, 't' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *config_path = NULL;
	int check_only = 0, c, rc = 1;
	config *cfg = NULL;
	ecs_engine_options eopts = ECS_ENGINE_OPTIONS_INIT;
	ecs_reaper_options ropts = ECS_REAPER_OPTIONS_INIT;
	ecs_engine *main_engine = NULL;
	ecs_reaper *reaper = NULL;
	cred_cache *creds = NULL;
	engine_watch *ew = NULL;
	ecs_pool *warm = NULL;
	handler_ctx shared;
	workers *pool = NULL;
	ecs_reaper_stats rs;
	double tasks_s;
	ecs_instance *instance = NULL;
	session_registry *sessions = NULL;
	admission *adm = NULL;
	session_keeper *keeper = NULL;
	store *tasks = NULL;
	async_runner *runner = NULL;
	callback_sender *callbacks = NULL;
	runner_stop rstop;
	pthread_t rstop_thread;
	int rstop_started = 0;
	char *home = NULL, *channel_dir = NULL;
	struct sigaction sa;
	sigset_t term, old;
	struct stat st;
	size_t swept = 0;

	while ((c = getopt_long(argc, argv, "c:tVh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config_path = optarg;
			break;
		case 't':
			check_only = 1;
			break;
		case 'V':
			printf("ecs-fcgi %s (libecs %s)\n", PACKAGE_VERSION, ecs_version());
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (load_config(&cfg, config_path) != 0)
		return 1;
	if (check_only) {
		/* Valid, but looser than the defaults: said, not refused. */
		(void)sandbox_warn_unlimited(cfg, stderr);
		printf("%s: OK\n", cfg->path ? cfg->path : "built-in defaults");
		config_free(cfg);
		return 0;
	}
	memory_setup();  /* before any thread: the allocator's knobs are process-wide */
	log_set_level(cfg->log_level);
	rc = sandbox_warn_unlimited(cfg, NULL);
	if (rc > 0)
		log_msg(LOG_LEVEL_WARNING, "config", "%d sandbox setting(s) looser than the defaults "
				"(unlimited or a writable root); ecs-fcgi --check-config lists them", rc);
	rc = 1;
	if (fstat(0, &st) != 0 || !S_ISSOCK(st.st_mode)) {
		log_msg(LOG_LEVEL_ERROR, "startup", "file descriptor 0 is not a listening socket: start ecs-fcgi under spawn-fcgi");
		config_free(cfg);
		return 1;
	}

	/* Signals: TERM/INT reach only this thread (blocked before any other
	 * thread exists, so they inherit the mask); USR1 wakes workers. */
	/* Non-blocking write end: a handler must never block on a full pipe. */
	if (pipe(signal_pipe) != 0 || fcntl(signal_pipe[1], F_SETFL, O_NONBLOCK) != 0) {
		log_msg(LOG_LEVEL_ERROR, "startup", "pipe: %s", strerror(errno));
		config_free(cfg);
		return 1;
	}
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = on_wake;  /* no SA_RESTART: accept(2) must return EINTR */
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigaddset(&term, SIGINT);
	pthread_sigmask(SIG_BLOCK, &term, &old);

	metrics_reset();
	if (ecs_global_init() != 0 || FCGX_Init() != 0) {
		log_msg(LOG_LEVEL_ERROR, "startup", "library initialisation failed");
		goto out;
	}
	eopts.endpoint = cfg->endpoint;
	eopts.ca_file = cfg->engine_ca_file;
	eopts.cert_file = cfg->engine_cert_file;
	eopts.key_file = cfg->engine_key_file;
	eopts.connect_timeout_ms = cfg->connect_timeout_ms;
	eopts.request_timeout_ms = cfg->request_timeout_ms;
	eopts.log = libecs_log;
	/* the entrypoint of every task container, cold and warm alike */
	eopts.agent_path = cfg->pool.agent;
	/*
	 * This process's lock, held until it exits however it exits: a sibling's
	 * sweep that can take it knows our containers have nobody left.
	 */
	if (ecs_instance_claim(&instance, cfg->instance_dir) != 0) {
		log_msg(LOG_LEVEL_ERROR, "startup", "cannot hold an instance lock in '%s': %s", cfg->instance_dir,
				strerror(errno));
		goto out;
	}
	eopts.instance = ecs_instance_id(instance);
	log_msg(LOG_LEVEL_INFO, "startup", "instance %s (lock in %s)", ecs_instance_id(instance), cfg->instance_dir);

	if (ecs_engine_new(&main_engine, &eopts) != 0) {
		log_msg(LOG_LEVEL_ERROR, "startup", "bad engine endpoint '%s'", cfg->endpoint);
		goto out;
	}
	/* What a previous crash left behind goes now, before we add to it. */
	{
		ecs_sweep_options so = ECS_SWEEP_OPTIONS_INIT;
		int src;

		so.min_age_s = cfg->sweep_min_age_s;
		so.instance_dir = cfg->instance_dir;
		src = ecs_sweep(&swept, main_engine, &so);
		if (src != 0)
			log_msg(LOG_LEVEL_WARNING, "sweep", "start-up sweep failed: %s: %s", ecs_strerror(src),
					ecs_engine_errmsg(main_engine));
		else
			log_msg(LOG_LEVEL_INFO, "sweep", "start-up sweep deleted %zu orphaned container(s)", swept);
		metrics_swept_add(swept);
	}
	ropts.engine = eopts;
	ropts.sweep_interval_s = cfg->sweep_interval_s;
	ropts.sweep_min_age_s = cfg->sweep_min_age_s;
	/* The last quarter of shutdown_grace (at least a second) is the reaper's,
	 * to drain its queue; the tasks get the rest (see the stop below). */
	ropts.drain_timeout_ms = drain_ms(cfg->shutdown_grace_s);
	ropts.instance_dir = cfg->instance_dir;
	if (ecs_reaper_new(&reaper, &ropts) != 0) {
		log_msg(LOG_LEVEL_ERROR, "startup", "cannot start the reaper");
		goto out;
	}

	/* The sweep above removed what a crashed instance's pool left; now our own. */
	channel_dir = warm_channel_dir(cfg, eopts.instance);
	if (warm_start(&warm, cfg, &eopts, reaper, channel_dir) != 0)
		goto out;
	creds = cred_cache_new(CRED_CACHE_SIZE, CRED_CACHE_TTL_S);
	if (creds == NULL)
		goto out;
	/* Before the workers: the probe's first answer is already the engine's. */
	if (cfg->engine_check_interval_s > 0 &&
	    engine_watch_start(&ew, &eopts, cfg->engine_check_interval_s) != 0) {
		log_msg(LOG_LEVEL_ERROR, "startup", "cannot start the background engine check");
		goto out;
	}
	/* Before the workers: an adopted session answers from the first request on. */
	/* By default the config file names the service: a restart with the same file is the same home. */
	if (cfg->sessions.home != NULL)
		home = strdup(cfg->sessions.home);
	else if (asprintf(&home, "ecs-fcgi:%s", cfg->path ? cfg->path : "built-in defaults") < 0)
		home = NULL;
	if (home == NULL || session_registry_new(&sessions) != 0) {
		log_msg(LOG_LEVEL_ERROR, "startup", "out of memory");
		goto out;
	}
	if (cfg->backend == ECS_TASK_BACKEND_LOCAL) {
		int n = session_keeper_adopt(sessions, main_engine, home);

		if (n > 0)
			log_msg(LOG_LEVEL_INFO, "startup", "adopted %d session(s) of home '%s'", n, home);
		if (session_keeper_start(&keeper, sessions, main_engine, reaper) != 0) {
			log_msg(LOG_LEVEL_ERROR, "startup", "cannot start the session expiry");
			goto out;
		}
	}
	memset(&shared, 0, sizeof(shared));
	if (admission_new(&adm) != 0) {
		log_msg(LOG_LEVEL_ERROR, "startup", "out of memory");
		goto out;
	}
	shared.admission = adm;
	shared.sessions = sessions;
	shared.session_home = home;
	shared.cfg = cfg;
	shared.reaper = reaper;
	shared.creds = creds;
	shared.engine_watch = ew;
	shared.pool = warm;
	shared.channel_dir = channel_dir;
	tasks = open_store(cfg);
	shared.store = tasks;
	if (tasks != NULL) {
		if (callback_sender_start(&callbacks, cfg, tasks) != 0)
			goto out;
		shared.callbacks = callbacks;
		if (async_runner_start(&runner, &shared, main_engine) != 0)
			goto out;
		shared.runner = runner;
	}
	if (workers_start(&pool, &shared, main_engine) != 0)
		goto stop;
	log_msg(LOG_LEVEL_INFO, "startup", "ecs-fcgi %s ready: %d workers, engine %s, auth %s, config %s",
			PACKAGE_VERSION, cfg->workers, cfg->endpoint, config_auth_name(cfg->auth),
			cfg->path ? cfg->path : "built-in defaults");

	pthread_sigmask(SIG_SETMASK, &old, NULL);
	for (;;) {
		struct pollfd pfd = { signal_pipe[0], POLLIN, 0 };
		char sig = 0;

		if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
			break;
		if ((pfd.revents & POLLIN) && read(signal_pipe[0], &sig, 1) == 1) {
			log_msg(LOG_LEVEL_INFO, "shutdown", "signal %d: stopping (grace %u s)", sig, cfg->shutdown_grace_s);
			break;
		}
	}
	rc = 0;
stop:
	tasks_s = (double)cfg->shutdown_grace_s - drain_ms(cfg->shutdown_grace_s) / 1000.0;
	rstop.runner = runner;
	rstop.deadline = ecs_clock_s() + (tasks_s > 0 ? tasks_s : 0);
	rstop_started = runner != NULL && pthread_create(&rstop_thread, NULL, stop_runner, &rstop) == 0;
	workers_stop(pool, rstop.deadline);
	if (rstop_started)
		pthread_join(rstop_thread, NULL);
	else
		async_runner_stop(runner, rstop.deadline);
	runner = NULL;
	if (reaper != NULL) {
		ecs_reaper_stats_get(&rs, reaper);
		log_msg(LOG_LEVEL_INFO, "shutdown", "draining %llu queued deletion(s) within %.1f s; any left "
				"are logged one by one and removed by the next start-up sweep",
				(unsigned long long)rs.queued, drain_ms(cfg->shutdown_grace_s) / 1000.0);
	}
out:
	async_runner_stop(runner, 0);  /* only when the start failed half-way: stopped above otherwise */
	callback_sender_stop(callbacks);  /* after the runners and workers, which wake it */
	store_close(tasks);
	admission_free(adm);  /* after the runners and workers, which count in it */
	engine_watch_stop(ew);  /* after the workers, which read it */
	session_keeper_stop(keeper);  /* sessions stay: a restart adopts them */
	ecs_pool_free(warm);  /* its warm containers go now; the reaper drains what it was handed */
	warm_channel_dir_remove(channel_dir);  /* after the pool and the workers, whose agents connect in it */
	ecs_reaper_free(reaper);  /* drains its queue */
	cred_cache_free(creds);
	ecs_engine_free(main_engine);
	ecs_instance_free(instance);  /* after the reaper: its drain still belongs to a live instance */
	session_registry_free(sessions);
	free(home);
	if (rc == 0)
		log_msg(LOG_LEVEL_INFO, "shutdown", "stopped");
	config_free(cfg);
	ecs_global_cleanup();
	return rc;
}
