/*
 * runtime_cost: what does a sandbox runtime (gVisor's runsc) cost a cold task
 * compared with runc?
 *
 * In one run, on one engine, it runs N sequential `echo hello world` tasks
 * (network none, the default sandbox profile otherwise) through ecs_task_run
 * with a reaper (a new container each; deletion deferred, so what a caller
 * waits for) under each runtime, alternating which goes first per iteration
 * so the machine's drift hits both alike. It prints p50/p95 of the whole
 * call and of each phase per runtime, the ratio of the p50s and the paired
 * per-iteration differences. Results are printed, never asserted. Uses only
 * the public API.
 *
 * With -r loosest, the comparison is instead the default profile (runc)
 * against the loosest profile libecs allows (runc, writable root, every
 * limit unlimited): what the sandbox's confinement itself costs.
 *
 * Build and run: BENCH=runtime_cost bench/cbench.sh [BUILD_DIR] [-n N] [-e ENDPOINT] [-i IMAGE] [-r RUNTIME|loosest]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ecs/ecs.h>

#include "stats.h"

static const char *const cmd[] = { "echo", "hello", "world" };

/* -r loosest: not a runtime, the loosest profile under runc. */
#define LOOSEST "loosest"

enum { TOTAL, CREATE, START, RUN, LOGS, NPHASES };
static const char *const phase_names[NPHASES] = { "total", "create", "start", "run", "logs" };

typedef struct {
	const char *runtime;
	double *v[NPHASES];
} series;

static void die(const char *what, int rc, ecs_engine *e, const char *detail)
{
	fprintf(stderr, "runtime_cost: %s: %s: %s\n", what, ecs_error_name(rc),
		detail ? detail : e ? ecs_engine_errmsg(e) : "");
	exit(1);
}

/* One task under @runtime; its timings go to @s at @i (when @s is not NULL). */
static void task(ecs_engine *e, ecs_reaper *reaper, const char *image, const char *runtime, series *s, size_t i)
{
	ecs_sandbox_profile profile = ECS_SANDBOX_PROFILE_INIT;
	ecs_task_spec spec = ECS_TASK_SPEC_INIT;
	ecs_task_result r = ECS_TASK_RESULT_INIT;
	double t0 = now_ms(), t;
	int rc;

	if (strcmp(runtime, LOOSEST) == 0) {
		profile.writable_root = 1;
		profile.pids = profile.memory = profile.nano_cpus = profile.nofile = ECS_SANDBOX_UNLIMITED;
		profile.tmp_size = ECS_SANDBOX_UNLIMITED;
	} else {
		profile.runtime = runtime;
	}
	spec.run.image = image;
	spec.run.cmd = cmd;
	spec.run.cmd_len = 3;
	spec.profile = &profile;
	rc = ecs_task_run(&r, e, reaper, &spec);
	t = now_ms() - t0;
	if (rc != 0)
		die(ecs_task_phase_name(r.error_phase) ? ecs_task_phase_name(r.error_phase) : "task", rc, e, r.error);
	if (r.exit_code != 0 || r.out.len != 12)
		die("unexpected output", ECS_ERROR, NULL, (const char *)r.err.data);
	if (s != NULL) {
		s->v[TOTAL][i] = t;
		s->v[CREATE][i] = r.timings.create;
		s->v[START][i] = r.timings.start;
		s->v[RUN][i] = r.timings.run;
		s->v[LOGS][i] = r.timings.logs;
	}
	ecs_task_result_clear(&r);
}

static double report(const series *s, size_t n)
{
	double p50_total = 0;

	printf("%s:\n", s->runtime);
	for (int p = 0; p < NPHASES; p++) {
		double *v = s->v[p];

		qsort(v, n, sizeof(*v), cmp_double);
		printf("  %-7s p50 %8.1f ms   p95 %8.1f ms   min %8.1f   max %8.1f\n", phase_names[p],
		       pct(v, n, 50), pct(v, n, 95), v[0], v[n - 1]);
		if (p == TOTAL)
			p50_total = pct(v, n, 50);
	}
	return p50_total;
}

static void series_alloc(series *s, const char *runtime, size_t n)
{
	s->runtime = runtime;
	for (int p = 0; p < NPHASES; p++)
		if ((s->v[p] = calloc(n, sizeof(double))) == NULL)
			die("calloc", ECS_ENOMEM, NULL, NULL);
}

static void series_free(series *s)
{
	for (int p = 0; p < NPHASES; p++)
		free(s->v[p]);
}

int main(int argc, char **argv)
{
	ecs_engine_options eo = ECS_ENGINE_OPTIONS_INIT;
	ecs_reaper_options ro = ECS_REAPER_OPTIONS_INIT;
	ecs_engine_runtimes rts;
	const char *image = "ecs/busybox:latest", *sandbox = "runsc";
	ecs_engine *e = NULL;
	ecs_reaper *reaper = NULL;
	series base, other;
	double *diff, b50, o50;
	size_t n = 20;
	int opt, rc;

	while ((opt = getopt(argc, argv, "n:e:i:r:")) != -1) {
		switch (opt) {
		case 'n': n = (size_t)strtoul(optarg, NULL, 10); break;
		case 'e': eo.endpoint = optarg; break;
		case 'i': image = optarg; break;
		case 'r': sandbox = optarg; break;
		default:
			fprintf(stderr, "usage: runtime_cost [-n N] [-e ENDPOINT] [-i IMAGE] [-r RUNTIME (default runsc) | loosest]\n");
			return 2;
		}
	}
	if (n < 1)
		n = 1;
	if (ecs_global_init() != 0)
		return 1;
	if ((rc = ecs_engine_new(&e, &eo)) != 0)
		die("engine", rc, NULL, NULL);
	if ((rc = ecs_engine_runtimes_get(&rts, e)) != 0)
		die("runtimes", rc, e, NULL);
	if (!ecs_engine_runtimes_has(&rts, "runc") ||
	    (strcmp(sandbox, LOOSEST) != 0 && !ecs_engine_runtimes_has(&rts, sandbox))) {
		fprintf(stderr, "runtime_cost: the engine lacks runc or %s (register it: docs/operations.md)\n", sandbox);
		return 2;
	}
	ecs_engine_runtimes_clear(&rts);
	ro.engine = eo;
	if ((rc = ecs_reaper_new(&reaper, &ro)) != 0)
		die("reaper", rc, NULL, NULL);
	series_alloc(&base, "runc", n);
	series_alloc(&other, sandbox, n);
	if ((diff = calloc(n, sizeof(double))) == NULL)
		die("calloc", ECS_ENOMEM, NULL, NULL);

	/* Warm up both: API negotiation, the connection, the image and runsc in the page cache. */
	task(e, NULL, image, "runc", NULL, 0);
	task(e, NULL, image, sandbox, NULL, 0);
	for (size_t i = 0; i < n; i++) {
		int runc_first = i % 2 == 0;

		for (int k = 0; k < 2; k++) {
			/* Let the reaper finish the previous deletion so it does not compete. */
			ecs_reaper_wait_idle(reaper, 30000);
			if ((k == 0) == runc_first)
				task(e, reaper, image, "runc", &base, i);
			else
				task(e, reaper, image, sandbox, &other, i);
		}
		/* Paired: neighbours in time share the machine's load. */
		diff[i] = other.v[TOTAL][i] - base.v[TOTAL][i];
	}
	ecs_reaper_wait_idle(reaper, 30000);
	printf("runtime_cost: %zu sequential cold `echo hello world` tasks per runtime, network none, image %s\n",
	       n, image);
	b50 = report(&base, n);
	o50 = report(&other, n);
	qsort(diff, n, sizeof(double), cmp_double);
	printf("%s / runc, p50 of the whole task: %.2f (%+.1f ms)\n", sandbox, o50 / b50, o50 - b50);
	printf("paired %s - runc: p50 %+.1f ms  p95 %+.1f ms\n", sandbox, pct(diff, n, 50), pct(diff, n, 95));
	free(diff);
	series_free(&base);
	series_free(&other);
	ecs_reaper_free(reaper);
	ecs_engine_free(e);
	ecs_global_cleanup();
	return 0;
}
