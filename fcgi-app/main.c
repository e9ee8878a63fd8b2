/*
 * main.c - ecs-fcgi: start-up, the worker pool, signals and shutdown.
 *
 * spawn-fcgi hands us the listening socket as file descriptor 0. Each worker
 * thread owns an ecs_engine and a cancel token and loops on FCGX_Accept_r;
 * a task holds its worker while the container runs, so the pool size
 * (max_concurrent_executing_http_requests) is the number of concurrent tasks.
 * One ecs_reaper is shared: containers are handed to it after the response
 * is finished, and its timer sweeps orphans.
 *
 * SIGTERM/SIGINT: the handler only writes to a pipe. The main thread then
 * stops the accept loops, gives running tasks shutdown_grace seconds, cancels
 * what still runs (libecs kills those containers and hands them to the
 * reaper), frees the reaper (which drains its queue) and exits 0.
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

#include "conf.h"
#include "handlers.h"
#include "log.h"
#include "metrics.h"

typedef struct {
	pthread_t thread;
	int index;
	int started;
	int exited;             /* under pool_lock */
	int busy;               /* under pool_lock */
	ecs_engine *engine;
	ecs_cancel *cancel;
	handler_ctx ctx;
} worker;

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pool_cond = PTHREAD_COND_INITIALIZER;
static volatile sig_atomic_t stopping;
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

static int fcgx_read(void *ctx, char *buf, int n)
{
	FCGX_Stream *in = ctx;
	int got = FCGX_GetStr(buf, n, in);

	if (got < n && FCGX_GetError(in) != 0)
		return -1;
	return got;
}

static void set_busy(worker *w, int busy)
{
	pthread_mutex_lock(&pool_lock);
	w->busy = busy;
	pthread_cond_broadcast(&pool_cond);
	pthread_mutex_unlock(&pool_lock);
	metrics_workers_busy_add(busy ? 1 : -1);
}

static void serve(worker *w, FCGX_Request *fr)
{
	request req;
	response resp;
	handler_info info;
	char head[1024];
	char scratch[4096];
	int n, drained = 0;

	response_init(&resp);
	if (request_init(&req, fr->envp, fcgx_read, fr->in) != 0) {
		response_set_error(&resp, 500, "INTERNAL_ERROR", "out of memory", "");
		memset(&info, 0, sizeof(info));
	} else {
		handler_handle(&resp, &info, &w->ctx, &req);
	}
	/* Read what is left of a body we refused, up to a bound, so a client
	 * still writing it sees our answer rather than a reset. */
	while (drained < (1 << 20) && (n = FCGX_GetStr(scratch, sizeof(scratch), fr->in)) > 0)
		drained += n;
	n = response_head(head, sizeof(head), &resp);
	if (n > 0) {
		FCGX_PutStr(head, n, fr->out);
		if (resp.body_len > 0)
			FCGX_PutStr(resp.body, (int)resp.body_len, fr->out);
	}
	/* Finish first, then log: the client has its answer before we spend
	 * anything more on it (the container is already with the reaper). */
	FCGX_Finish_r(fr);
	if (req.path != NULL) {
		handler_finish(&info, &req, &resp);
		request_clear(&req);
	}
	response_clear(&resp);
}

static void *worker_main(void *arg)
{
	worker *w = arg;
	FCGX_Request fr;

	if (FCGX_InitRequest(&fr, 0, 0) != 0) {
		log_msg(LOG_LEVEL_ERROR, "worker", "worker %d: FCGX_InitRequest failed", w->index);
		goto out;
	}
	while (!stopping) {
		int rc = FCGX_Accept_r(&fr);

		if (rc < 0) {
			if (stopping)
				break;
			log_msg(LOG_LEVEL_ERROR, "worker", "worker %d: accept failed (%d); retrying", w->index, rc);
			sleep(1);
			continue;
		}
		set_busy(w, 1);
		serve(w, &fr);
		set_busy(w, 0);
	}
	FCGX_Free(&fr, 0);
out:
	pthread_mutex_lock(&pool_lock);
	w->exited = 1;
	pthread_cond_broadcast(&pool_cond);
	pthread_mutex_unlock(&pool_lock);
	return NULL;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Wake idle workers out of accept(2) until every one has left its loop.
 * Repeated, because a worker may be between its check of `stopping` and
 * accept(2) when the first wake-up arrives. */
static void wait_workers(worker *ws, int n, double deadline, int cancel_at_deadline)
{
	int i, left, idle, cancelled = 0, closed = 0;

	for (;;) {
		left = idle = 0;
		pthread_mutex_lock(&pool_lock);
		for (i = 0; i < n; i++) {
			if (!ws[i].started || ws[i].exited)
				continue;
			left++;
			if (!ws[i].busy) {
				idle++;
				pthread_kill(ws[i].thread, SIGUSR1);
			}
		}
		pthread_mutex_unlock(&pool_lock);
		/* Once no worker can be in accept(2) (a busy one never returns
		 * to it), close the listening socket: connections still in its
		 * backlog are refused now rather than left waiting for us. */
		if (idle == 0 && !closed) {
			close(0);
			closed = 1;
			log_msg(LOG_LEVEL_INFO, "shutdown", "stopped accepting; %d task(s) still running", left);
		}
		if (left == 0)
			return;
		if (cancel_at_deadline && !cancelled && now_s() >= deadline) {
			log_msg(LOG_LEVEL_WARNING, "shutdown", "grace period over: cancelling %d running task(s)", left);
			for (i = 0; i < n; i++)
				ecs_cancel_trigger(ws[i].cancel);
			cancelled = 1;
		}
		usleep(50 * 1000);
	}
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
	int check_only = 0, c, i, rc = 1;
	config *cfg = NULL;
	ecs_engine_options eopts = ECS_ENGINE_OPTIONS_INIT;
	ecs_reaper_options ropts = ECS_REAPER_OPTIONS_INIT;
	ecs_engine *main_engine = NULL;
	ecs_reaper *reaper = NULL;
	cred_cache *creds = NULL;
	worker *ws = NULL;
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
		printf("%s: OK\n", cfg->path ? cfg->path : "built-in defaults");
		config_free(cfg);
		return 0;
	}
	log_set_level(cfg->log_level);
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

	if (ecs_engine_new(&main_engine, &eopts) != 0) {
		log_msg(LOG_LEVEL_ERROR, "startup", "bad engine endpoint '%s'", cfg->endpoint);
		goto out;
	}
	/* What a previous crash left behind goes now, before we add to it. */
	{
		ecs_sweep_options so = ECS_SWEEP_OPTIONS_INIT;
		int src;

		so.min_age_s = cfg->sweep_min_age_s;
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
	ropts.drain_timeout_ms = 30000;
	if (ecs_reaper_new(&reaper, &ropts) != 0) {
		log_msg(LOG_LEVEL_ERROR, "startup", "cannot start the reaper");
		goto out;
	}

	creds = cred_cache_new(CRED_CACHE_SIZE, CRED_CACHE_TTL_S);
	ws = calloc((size_t)cfg->workers, sizeof(*ws));
	if (ws == NULL || creds == NULL)
		goto out;
	for (i = 0; i < cfg->workers; i++) {
		worker *w = &ws[i];

		w->index = i;
		if (ecs_engine_new(&w->engine, &eopts) != 0 || ecs_cancel_new(&w->cancel) != 0) {
			log_msg(LOG_LEVEL_ERROR, "startup", "out of memory making worker %d", i);
			goto stop;
		}
		w->ctx.cfg = cfg;
		w->ctx.engine = w->engine;
		w->ctx.reaper = reaper;
		w->ctx.cancel = w->cancel;
		w->ctx.workers = cfg->workers;
		w->ctx.creds = creds;
		if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
			log_msg(LOG_LEVEL_ERROR, "startup", "cannot start worker %d", i);
			goto stop;
		}
		w->started = 1;
	}
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
	stopping = 1;
	FCGX_ShutdownPending();
	if (ws != NULL) {
		wait_workers(ws, cfg->workers, now_s() + cfg->shutdown_grace_s, 1);
		for (i = 0; i < cfg->workers; i++) {
			if (ws[i].started)
				pthread_join(ws[i].thread, NULL);
			ecs_engine_free(ws[i].engine);
			ecs_cancel_free(ws[i].cancel);
		}
	}
out:
	ecs_reaper_free(reaper);  /* drains its queue */
	cred_cache_free(creds);
	free(ws);
	ecs_engine_free(main_engine);
	if (rc == 0)
		log_msg(LOG_LEVEL_INFO, "shutdown", "stopped");
	config_free(cfg);
	ecs_global_cleanup();
	return rc;
}
