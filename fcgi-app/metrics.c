/* metrics.c - Prometheus counters, gauges and histograms. */
#include <config.h>

#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "process_stats.h"

/* Seconds; a task is a container's whole life, so the range is wide. */
static const double buckets[] = { 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300 };
#define NBUCKETS (sizeof(buckets) / sizeof(buckets[0]))

typedef struct {
	uint64_t counts[NBUCKETS]; /* cumulative at render time, per-bucket here */
	uint64_t count;
	double sum;
} histogram;

static const int statuses[] = { 200, 201, 400, 401, 403, 404, 405, 413, 415, 429, 499, 500, 502, 503, 504 };
#define NSTATUS (sizeof(statuses) / sizeof(statuses[0]))

static const char *const phases[] = { "pull", "create", "start", "run", "logs" };
#define NPHASES (sizeof(phases) / sizeof(phases[0]))

/* ecs_error codes -1..-12, by -code. */
#define NERRORS 13

static struct {
	uint64_t requests[ROUTE_COUNT][NSTATUS + 1]; /* last column: any other status */
	histogram task;
	histogram phase[NPHASES];
	uint64_t tasks_timed_out;
	uint64_t tasks_nonzero_exit;
	uint64_t engine_errors[NERRORS];
	int64_t in_flight;
	int64_t busy;
	int64_t queued;
	uint64_t swept_at_startup;
} m;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

void metrics_reset(void)
{
	pthread_mutex_lock(&lock);
	memset(&m, 0, sizeof(m));
	pthread_mutex_unlock(&lock);
}

void metrics_count_request(route_id route, int status)
{
	size_t i;

	if ((int)route < 0 || route >= ROUTE_COUNT)
		route = ROUTE_NONE;
	for (i = 0; i < NSTATUS; i++)
		if (statuses[i] == status)
			break;
	pthread_mutex_lock(&lock);
	m.requests[route][i]++;
	pthread_mutex_unlock(&lock);
}

static void observe(histogram *h, double seconds)
{
	size_t i;

	for (i = 0; i < NBUCKETS; i++) {
		if (seconds <= buckets[i]) {
			h->counts[i]++;
			break;
		}
	}
	h->count++;
	h->sum += seconds;
}

void metrics_observe_task(const ecs_task_timings *t, int timed_out, int exit_code)
{
	const double ms[NPHASES] = { t->pull, t->create, t->start, t->run, t->logs };
	size_t i;

	pthread_mutex_lock(&lock);
	observe(&m.task, t->total / 1000.0);
	for (i = 0; i < NPHASES; i++)
		if (ms[i] > 0)
			observe(&m.phase[i], ms[i] / 1000.0);
	if (timed_out)
		m.tasks_timed_out++;
	if (exit_code != 0)
		m.tasks_nonzero_exit++;
	pthread_mutex_unlock(&lock);
}

void metrics_engine_error(int code)
{
	if (code >= 0 || -code >= NERRORS)
		code = ECS_ERROR;
	pthread_mutex_lock(&lock);
	m.engine_errors[-code]++;
	pthread_mutex_unlock(&lock);
}

void metrics_swept_add(size_t n)
{
	pthread_mutex_lock(&lock);
	m.swept_at_startup += n;
	pthread_mutex_unlock(&lock);
}

void metrics_tasks_in_flight_add(int delta)
{
	pthread_mutex_lock(&lock);
	m.in_flight += delta;
	pthread_mutex_unlock(&lock);
}

void metrics_workers_busy_add(int delta)
{
	pthread_mutex_lock(&lock);
	m.busy += delta;
	pthread_mutex_unlock(&lock);
}

void metrics_tasks_queued_add(int delta)
{
	pthread_mutex_lock(&lock);
	m.queued += delta;
	pthread_mutex_unlock(&lock);
}

int metrics_workers_busy(void)
{
	int v;

	pthread_mutex_lock(&lock);
	v = (int)m.busy;
	pthread_mutex_unlock(&lock);
	return v;
}

typedef struct {
	char *buf;
	size_t len, cap;
	int oom;
} sbuf;

static void put(sbuf *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(sbuf *s, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (s->oom)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(s->buf + s->len, s->cap - s->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			s->oom = 1;
			return;
		}
		if ((size_t)n < s->cap - s->len) {
			s->len += (size_t)n;
			return;
		}
		{
			size_t ncap = (s->cap + (size_t)n + 1) * 2;
			char *nb = realloc(s->buf, ncap);

			if (nb == NULL) {
				s->oom = 1;
				return;
			}
			s->buf = nb;
			s->cap = ncap;
		}
	}
}

static void put_histogram(sbuf *s, const char *name, const char *labels, const histogram *h)
{
	uint64_t cum = 0;
	size_t i;
	const char *sep = labels[0] ? "," : "";

	for (i = 0; i < NBUCKETS; i++) {
		cum += h->counts[i];
		put(s, "%s_bucket{%s%sle=\"%g\"} %llu\n", name, labels, sep, buckets[i], (unsigned long long)cum);
	}
	put(s, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, labels, sep, (unsigned long long)h->count);
	if (labels[0]) {
		put(s, "%s_sum{%s} %.6f\n", name, labels, h->sum);
		put(s, "%s_count{%s} %llu\n", name, labels, (unsigned long long)h->count);
	} else {
		put(s, "%s_sum %.6f\n", name, h->sum);
		put(s, "%s_count %llu\n", name, (unsigned long long)h->count);
	}
}

/* How the reaper keeps up: its threads, what they are doing, how long a container waits to go. */
static void put_reaper_pool(sbuf *s, const ecs_reaper_stats *rs)
{
	put(s, "# HELP ecs_reaper_workers Reaper threads deleting containers.\n# TYPE ecs_reaper_workers gauge\n");
	put(s, "ecs_reaper_workers %llu\n", (unsigned long long)rs->workers);
	put(s, "# HELP ecs_reaper_deleting Deletions running now.\n# TYPE ecs_reaper_deleting gauge\n");
	put(s, "ecs_reaper_deleting %llu\n", (unsigned long long)rs->deleting);
	put(s, "# HELP ecs_reaper_queue_depth_max The most containers ever waiting for deletion at once.\n");
	put(s, "# TYPE ecs_reaper_queue_depth_max gauge\n");
	put(s, "ecs_reaper_queue_depth_max %llu\n", (unsigned long long)rs->queued_max);
	put(s, "# HELP ecs_reaper_delete_latency_seconds From hand-over to the reaper until the container is gone.\n");
	put(s, "# TYPE ecs_reaper_delete_latency_seconds summary\n");
	put(s, "ecs_reaper_delete_latency_seconds_sum %.6f\n", rs->latency_ms_sum / 1000.0);
	put(s, "ecs_reaper_delete_latency_seconds_count %llu\n", (unsigned long long)rs->deleted);
	put(s, "# HELP ecs_reaper_delete_latency_seconds_max The longest delete latency seen.\n");
	put(s, "# TYPE ecs_reaper_delete_latency_seconds_max gauge\n");
	put(s, "ecs_reaper_delete_latency_seconds_max %.6f\n", rs->latency_ms_max / 1000.0);
}

/* One gauge with its HELP and TYPE lines. */
static void put_gauge(sbuf *s, const char *name, const char *help, long long value)
{
	put(s, "# HELP %s %s\n# TYPE %s gauge\n%s %lld\n", name, help, name, name, value);
}

char *metrics_render(size_t *len, const ecs_reaper_stats *rs, int workers)
{
	sbuf s = { NULL, 0, 0, 0 };
	size_t r, i;
	char labels[64];
	static const char *const error_names[NERRORS] = { "ok", "error", "nomem", "invalid", "not_found",
		"unauthorized", "unavailable", "engine", "timeout", "protocol", "version", "canceled", "too_big" };

	s.cap = 8192;
	s.buf = malloc(s.cap);
	if (s.buf == NULL)
		return NULL;
	s.buf[0] = '\0';
	pthread_mutex_lock(&lock);
	put(&s, "# HELP ecs_build_info The ecs version serving the API.\n# TYPE ecs_build_info gauge\n");
	put(&s, "ecs_build_info{version=\"%s\"} 1\n", PACKAGE_VERSION);

	put(&s, "# HELP ecs_http_requests_total Requests answered, by endpoint and status.\n");
	put(&s, "# TYPE ecs_http_requests_total counter\n");
	for (r = 0; r < ROUTE_COUNT; r++) {
		for (i = 0; i <= NSTATUS; i++) {
			if (m.requests[r][i] == 0)
				continue;
			if (i < NSTATUS)
				put(&s, "ecs_http_requests_total{endpoint=\"%s\",status=\"%d\"} %llu\n",
						router_name((route_id)r), statuses[i], (unsigned long long)m.requests[r][i]);
			else
				put(&s, "ecs_http_requests_total{endpoint=\"%s\",status=\"other\"} %llu\n",
						router_name((route_id)r), (unsigned long long)m.requests[r][i]);
		}
	}

	put(&s, "# HELP ecs_task_duration_seconds Time from the start of a task to its output, pull included.\n");
	put(&s, "# TYPE ecs_task_duration_seconds histogram\n");
	put_histogram(&s, "ecs_task_duration_seconds", "", &m.task);
	put(&s, "# HELP ecs_task_phase_duration_seconds Time spent in each phase of a task.\n");
	put(&s, "# TYPE ecs_task_phase_duration_seconds histogram\n");
	for (i = 0; i < NPHASES; i++) {
		snprintf(labels, sizeof(labels), "phase=\"%s\"", phases[i]);
		put_histogram(&s, "ecs_task_phase_duration_seconds", labels, &m.phase[i]);
	}
	put(&s, "# HELP ecs_tasks_timed_out_total Tasks killed at their timeout.\n# TYPE ecs_tasks_timed_out_total counter\n");
	put(&s, "ecs_tasks_timed_out_total %llu\n", (unsigned long long)m.tasks_timed_out);
	put(&s, "# HELP ecs_tasks_nonzero_exit_total Tasks whose command exited non-zero.\n# TYPE ecs_tasks_nonzero_exit_total counter\n");
	put(&s, "ecs_tasks_nonzero_exit_total %llu\n", (unsigned long long)m.tasks_nonzero_exit);
	put(&s, "# HELP ecs_tasks_in_flight Tasks running now.\n# TYPE ecs_tasks_in_flight gauge\n");
	put(&s, "ecs_tasks_in_flight %lld\n", (long long)m.in_flight);
	put(&s, "# HELP ecs_workers Task workers at most (max_concurrent_executing_http_requests).\n# TYPE ecs_workers gauge\n");
	put(&s, "ecs_workers %d\n", workers);
	put(&s, "# HELP ecs_tasks_queued Tasks admitted and waiting for a task worker.\n# TYPE ecs_tasks_queued gauge\n");
	put(&s, "ecs_tasks_queued %lld\n", (long long)m.queued);
	put(&s, "# HELP ecs_workers_busy Task workers handling a request now.\n# TYPE ecs_workers_busy gauge\n");
	put(&s, "ecs_workers_busy %lld\n", (long long)m.busy);
	put(&s, "# HELP ecs_engine_errors_total Failed calls to the Docker engine, by kind.\n");
	put(&s, "# TYPE ecs_engine_errors_total counter\n");
	for (i = 1; i < NERRORS; i++)
		if (m.engine_errors[i] != 0)
			put(&s, "ecs_engine_errors_total{kind=\"%s\"} %llu\n", error_names[i],
					(unsigned long long)m.engine_errors[i]);
	{
		uint64_t swept = m.swept_at_startup + (rs ? rs->swept : 0);

		put(&s, "# HELP ecs_orphans_swept_total Orphaned containers deleted by sweeps (start-up and timer).\n");
		put(&s, "# TYPE ecs_orphans_swept_total counter\n");
		put(&s, "ecs_orphans_swept_total %llu\n", (unsigned long long)swept);
	}
	pthread_mutex_unlock(&lock);

	{
		process_stats ps;

		process_stats_read(&ps);
		put_gauge(&s, "ecs_process_resident_memory_bytes",
			  "Resident memory of ecs-fcgi (VmRSS, shared library pages included).", ps.rss_bytes);
		put_gauge(&s, "ecs_process_threads", "Threads of ecs-fcgi (task workers start as tasks need them).",
			  ps.threads);
		put_gauge(&s, "ecs_process_open_fds", "Open file descriptors of ecs-fcgi.", ps.open_fds);
	}

	if (rs != NULL) {
		put(&s, "# HELP ecs_reaper_queue_depth Containers waiting for deletion.\n# TYPE ecs_reaper_queue_depth gauge\n");
		put(&s, "ecs_reaper_queue_depth %llu\n", (unsigned long long)rs->queued);
		put(&s, "# HELP ecs_containers_deleted_total Containers deleted after their task.\n# TYPE ecs_containers_deleted_total counter\n");
		put(&s, "ecs_containers_deleted_total %llu\n", (unsigned long long)rs->deleted);
		put(&s, "# HELP ecs_container_deletions_failed_total Containers given up on after retries (a sweep finds them later).\n");
		put(&s, "# TYPE ecs_container_deletions_failed_total counter\n");
		put(&s, "ecs_container_deletions_failed_total %llu\n", (unsigned long long)rs->failed);
		put(&s, "# HELP ecs_container_deletion_retries_total Deletion attempts that failed and were retried.\n");
		put(&s, "# TYPE ecs_container_deletion_retries_total counter\n");
		put(&s, "ecs_container_deletion_retries_total %llu\n", (unsigned long long)rs->retries);
		put(&s, "# HELP ecs_sweeps_total Sweeps run.\n# TYPE ecs_sweeps_total counter\n");
		put(&s, "ecs_sweeps_total %llu\n", (unsigned long long)rs->sweeps);
		put_reaper_pool(&s, rs);
	}
	if (s.oom) {
		free(s.buf);
		return NULL;
	}
	*len = s.len;
	return s.buf;
}

char *metrics_render_engine_check(size_t *len, const engine_watch_state *st)
{
	sbuf s = { NULL, 0, 0, 0 };

	s.cap = 1024;
	s.buf = malloc(s.cap);
	if (s.buf == NULL)
		return NULL;
	s.buf[0] = '\0';
	if (st->enabled) {
		put(&s, "# HELP ecs_engine_check_up Whether the engine passed its last background check (what the quick "
				"health check and the load balancer's probe answer from).\n# TYPE ecs_engine_check_up gauge\n");
		put(&s, "ecs_engine_check_up %d\n", engine_watch_healthy(st));
		put(&s, "# HELP ecs_engine_check_age_seconds Seconds since the last background engine check finished.\n"
				"# TYPE ecs_engine_check_age_seconds gauge\n");
		put(&s, "ecs_engine_check_age_seconds %.3f\n", st->age_s);
		put(&s, "# HELP ecs_engine_checks_total Background engine checks finished.\n"
				"# TYPE ecs_engine_checks_total counter\n");
		put(&s, "ecs_engine_checks_total %llu\n", st->checks);
		put(&s, "# HELP ecs_engine_check_failures_total Background engine checks that failed.\n"
				"# TYPE ecs_engine_check_failures_total counter\n");
		put(&s, "ecs_engine_check_failures_total %llu\n", st->failures);
	}
	if (s.oom) {
		free(s.buf);
		return NULL;
	}
	*len = s.len;
	return s.buf;
}
