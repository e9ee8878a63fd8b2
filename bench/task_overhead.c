/*
 * task_overhead: what does ecs_task_run add on top of the bare engine calls?
 *
 * In one run, on one engine, alternating so drift hits both alike, it times
 * N sequential `echo hello world` tasks (network none) four ways:
 *   bare       create, start, wait, logs            (low-level libecs calls)
 *   bare+del   the same followed by delete
 *   task       ecs_task_run with a reaper           (delete deferred: what a caller waits for)
 *   task+del   ecs_task_run without a reaper        (delete before returning)
 * and prints p50/p95 of each, the ratios task/bare and task+del/bare+del, the
 * paired per-iteration differences (less sensitive to a busy machine) and the
 * runner's own extra calls (image inspect, container inspect).
 * Results are printed, never asserted. Uses only the public API.
 *
 * Build and run: bench/cbench.sh [BUILD_DIR] [-n N] [-e ENDPOINT] [-i IMAGE] [-a AGENT]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ecs/ecs.h>
#include "container_private.h"
#include "ids.h"

#include "stats.h"

static const char *const cmd[] = { "echo", "hello", "world" };

static int die(const char *what, int rc, ecs_engine *e)
{
	fprintf(stderr, "task_overhead: %s: %s: %s\n", what, ecs_error_name(rc), e ? ecs_engine_errmsg(e) : "");
	exit(1);
}

/* The bare sequence; returns ms until the output is in hand (delete not included). */
static double bare(ecs_engine *e, const char *image, int with_delete, double *total)
{
	ecs_container_spec cs = ECS_CONTAINER_SPEC_INIT;
	ecs_buffer out = { 0 }, err = { 0 };
	char task_id[33];
	char *id = NULL;
	double t0 = now_ms(), t;
	int code = -1, rc;

	ecs_id_generate(task_id, sizeof(task_id));
	cs.run.image = image;
	cs.run.cmd = cmd;
	cs.run.cmd_len = 3;
	cs.task_id = task_id;
	if ((rc = ecs_container_create(&id, e, &cs)) != 0)
		die("create", rc, e);
	if ((rc = ecs_container_start(e, id)) != 0)
		die("start", rc, e);
	if ((rc = ecs_container_wait(&code, e, id, 60000, NULL)) != 0)
		die("wait", rc, e);
	if ((rc = ecs_container_logs(&out, &err, e, id, 1 << 20, 1 << 20)) != 0)
		die("logs", rc, e);
	t = now_ms() - t0;
	if (code != 0 || out.len != 12)
		die("unexpected output", ECS_ERROR, NULL);
	ecs_buffer_clear(&out);
	ecs_buffer_clear(&err);
	if (with_delete && (rc = ecs_container_delete(e, id)) != 0)
		die("delete", rc, e);
	*total = now_ms() - t0;
	if (!with_delete && (rc = ecs_container_delete(e, id)) != 0)
		die("delete", rc, e);
	free(id);
	return t;
}

/* Medians of the runner's own phases, to see where any overhead goes. */
static double *ph_pull, *ph_logs;
static size_t ph_n;

static double task(ecs_engine *e, ecs_reaper *reaper, const char *image)
{
	ecs_task_spec spec = ECS_TASK_SPEC_INIT;
	ecs_task_result r = ECS_TASK_RESULT_INIT;
	double t0 = now_ms(), t;
	int rc;

	spec.run.image = image;
	spec.run.cmd = cmd;
	spec.run.cmd_len = 3;
	rc = ecs_task_run(&r, e, reaper, &spec);
	t = now_ms() - t0;
	if (rc != 0)
		die(ecs_task_phase_name(r.error_phase) ? ecs_task_phase_name(r.error_phase) : "task", rc, e);
	if (r.exit_code != 0 || r.out.len != 12)
		die("unexpected output", ECS_ERROR, NULL);
	if (ph_pull != NULL) {
		ph_pull[ph_n] = r.timings.pull;
		ph_logs[ph_n] = r.timings.logs;
		ph_n++;
	}
	ecs_task_result_clear(&r);
	return t;
}

static void report(const char *name, double *v, size_t n, double *p50, double *p95)
{
	qsort(v, n, sizeof(*v), cmp_double);
	*p50 = pct(v, n, 50);
	*p95 = pct(v, n, 95);
	printf("%-10s p50 %8.1f ms   p95 %8.1f ms   min %8.1f   max %8.1f\n", name, *p50, *p95, v[0], v[n - 1]);
}

int main(int argc, char **argv)
{
	ecs_engine_options eo = ECS_ENGINE_OPTIONS_INIT;
	ecs_reaper_options ro = ECS_REAPER_OPTIONS_INIT;
	const char *image = "ecs/busybox:latest";
	ecs_engine *e = NULL;
	ecs_reaper *reaper = NULL;
	size_t n = 20;
	double *b, *bd, *tk, *td, *d1, *d2, dummy;
	double b50, b95, bd50, bd95, t50, t95, td50, td95;
	int opt, rc;

	while ((opt = getopt(argc, argv, "n:e:i:a:")) != -1) {
		switch (opt) {
		case 'n': n = (size_t)strtoul(optarg, NULL, 10); break;
		case 'e': eo.endpoint = optarg; break;
		case 'i': image = optarg; break;
		case 'a': eo.agent_path = optarg; break;  /* a build's ecs-agent, when none is installed */
		default:
			fprintf(stderr, "usage: task_overhead [-n N] [-e ENDPOINT] [-i IMAGE] [-a AGENT]\n");
			return 2;
		}
	}
	if (n < 1)
		n = 1;
	b = calloc(n, sizeof(double));
	bd = calloc(n, sizeof(double));
	tk = calloc(n, sizeof(double));
	td = calloc(n, sizeof(double));
	d1 = calloc(n, sizeof(double));
	d2 = calloc(n, sizeof(double));
	ph_pull = calloc(2 * n + 2, sizeof(double));
	ph_logs = calloc(2 * n + 2, sizeof(double));
	if (!b || !bd || !tk || !td || !d1 || !d2 || !ph_pull || !ph_logs || ecs_global_init() != 0)
		return 1;
	if ((rc = ecs_engine_new(&e, &eo)) != 0)
		die("engine", rc, NULL);
	ro.engine = eo;
	if ((rc = ecs_reaper_new(&reaper, &ro)) != 0)
		die("reaper", rc, NULL);

	/* Warm up: API negotiation, the connection, the image in the page cache. */
	bare(e, image, 1, &dummy);
	task(e, NULL, image);
	for (size_t i = 0; i < n; i++) {
		b[i] = bare(e, image, 0, &dummy);
		bare(e, image, 1, &bd[i]);
		/* Let the reaper finish the previous deletion so it does not compete. */
		ecs_reaper_wait_idle(reaper, 30000);
		tk[i] = task(e, reaper, image);
		ecs_reaper_wait_idle(reaper, 30000);
		td[i] = task(e, NULL, image);
		/* Paired differences: neighbours in time share the machine's load. */
		d1[i] = tk[i] - b[i];
		d2[i] = td[i] - bd[i];
	}
	printf("task_overhead: %zu sequential `echo hello world` tasks each way, network none, image %s\n", n, image);
	report("bare", b, n, &b50, &b95);
	report("task", tk, n, &t50, &t95);
	report("bare+del", bd, n, &bd50, &bd95);
	report("task+del", td, n, &td50, &td95);
	printf("overhead   task - bare:         p50 %+7.1f ms  p95 %+7.1f ms   ratio p50 %.3f  p95 %.3f\n",
	       t50 - b50, t95 - b95, t50 / b50, t95 / b95);
	printf("overhead   task+del - bare+del: p50 %+7.1f ms  p95 %+7.1f ms   ratio p50 %.3f  p95 %.3f\n",
	       td50 - bd50, td95 - bd95, td50 / bd50, td95 / bd95);
	printf("deferred deletion saves (task+del - task): p50 %.1f ms\n", td50 - t50);
	qsort(d1, n, sizeof(double), cmp_double);
	qsort(d2, n, sizeof(double), cmp_double);
	printf("paired     task - bare:         p50 %+7.1f ms  p95 %+7.1f ms\n", pct(d1, n, 50), pct(d1, n, 95));
	printf("paired     task+del - bare+del: p50 %+7.1f ms  p95 %+7.1f ms\n", pct(d2, n, 50), pct(d2, n, 95));
	qsort(ph_pull, ph_n, sizeof(double), cmp_double);
	qsort(ph_logs, ph_n, sizeof(double), cmp_double);
	printf("runner's extra calls: image inspect (pull phase) p50 %.1f ms; logs+container inspect p50 %.1f ms\n",
	       pct(ph_pull, ph_n, 50), pct(ph_logs, ph_n, 50));
	ecs_reaper_free(reaper);
	ecs_engine_free(e);
	ecs_global_cleanup();
	free(b);
	free(bd);
	free(tk);
	free(td);
	free(d1);
	free(d2);
	free(ph_pull);
	free(ph_logs);
	return 0;
}
