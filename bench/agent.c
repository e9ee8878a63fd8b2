/*
 * Benchmark (measures, asserts nothing): a task in a pre-started pooled
 * container through ecs-agent, against a cold `docker run --rm`, interleaved
 * in one run; and the idle cost of a waiting pooled container.
 *   agent AGENT_PATH [-n N] [-l LABEL] [-d DOCKER]
 * Pooled: from the attach request to the EXIT frame of `echo hello world`
 * (each container used once, all started before the first measurement).
 * Cold: `docker run --rm --network none IMAGE echo hello world`, whole CLI.
 * Built and run by bench/agent.sh.
 */
#include <config.h>

#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "raw_client.h"

extern char **environ;

#define BATCH 5

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void stats(const char *what, double *v, int n)
{
	qsort(v, (size_t)n, sizeof(double), cmp);
	printf("%-34s n=%-3d p50 %8.2f ms  p90 %8.2f ms  min %8.2f  max %8.2f\n", what, n, v[n / 2],
	       v[(n * 9) / 10 < n ? (n * 9) / 10 : n - 1], v[0], v[n - 1]);
}

static double cold_run(const char *docker, const char *image)
{
	char *argv[] = { (char *)docker, "run", "--rm", "--network", "none", "--log-driver", "none", (char *)image,
			 "echo", "hello", "world", NULL };
	posix_spawn_file_actions_t fa;
	double t = now_ms();
	pid_t pid;
	int st;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", 1, 0);
	if (posix_spawn(&pid, docker, &fa, NULL, argv, environ) != 0)
		return -1;
	posix_spawn_file_actions_destroy(&fa);
	waitpid(pid, &st, 0);
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? now_ms() - t : -1;
}

/* VmRSS of the container's PID 1 (kB) and the number of its processes. */
static void idle_cost(const char *id)
{
	char path[512], *body = NULL, line[512], cg[400] = "";
	long pid = 0, rss = -1, procs = -1, mem = -1;
	const char *p;
	FILE *f;

	snprintf(path, sizeof(path), "/containers/%s/json", id);
	if (ita_get(path, &body) == 200 && (p = strstr(body, "\"Pid\":")) != NULL)
		pid = strtol(p + 6, NULL, 10);
	free(body);
	snprintf(path, sizeof(path), "/proc/%ld/status", pid);
	if (pid > 0 && (f = fopen(path, "r")) != NULL) {
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "VmRSS: %ld", &rss) == 1)
				break;
		fclose(f);
	}
	snprintf(path, sizeof(path), "/proc/%ld/cgroup", pid);
	if (pid > 0 && (f = fopen(path, "r")) != NULL) {
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "%*d:pids:%399s", cg) == 1)
				break;
		fclose(f);
	}
	snprintf(path, sizeof(path), "/sys/fs/cgroup/pids%s/pids.current", cg);
	if (*cg && (f = fopen(path, "r")) != NULL) {
		if (fscanf(f, "%ld", &procs) != 1)
			procs = -1;
		fclose(f);
	}
	snprintf(path, sizeof(path), "/sys/fs/cgroup/memory%s/memory.usage_in_bytes", cg);
	if (*cg && (f = fopen(path, "r")) != NULL) {
		if (fscanf(f, "%ld", &mem) != 1)
			mem = -1;
		fclose(f);
	}
	printf("idle pooled container: agent VmRSS %ld kB, processes %ld, memory cgroup usage %.1f MiB\n", rss, procs,
	       mem / 1048576.0);
}

int main(int argc, char **argv)
{
	const char *label = "ecs.bench=agent", *docker = "/usr/bin/docker", *image = getenv("ECS_TEST_IMAGE");
	const char *cmd[] = { "echo", "hello", "world", NULL };
	int n = 30, opt, i, got = 0, cold_n = 0, filled = 0;
	double *pooled, *cold, *prestart, t;
	char **ids;
	unsigned char *hdr;
	size_t hdr_len;
	ita_spec spec = { 0 };

	if (argc < 2) {
		fprintf(stderr, "usage: %s AGENT_PATH [-n N] [-l LABEL] [-d DOCKER]\n", argv[0]);
		return 2;
	}
	spec.agent = argv[1];
	optind = 2;
	while ((opt = getopt(argc, argv, "n:l:d:")) != -1) {
		if (opt == 'n')
			n = atoi(optarg);
		else if (opt == 'l')
			label = optarg;
		else if (opt == 'd')
			docker = optarg;
		else
			return 2;
	}
	if (image == NULL || *image == '\0')
		image = "ecs/busybox:latest";
	spec.label = label;
	spec.image = image;
	if (n < 1 || (hdr = ita_header(&hdr_len, cmd, NULL, NULL)) == NULL)
		return 2;
	pooled = calloc((size_t)n, sizeof(double));
	cold = calloc((size_t)n, sizeof(double));
	prestart = calloc((size_t)n, sizeof(double));
	ids = calloc((size_t)n, sizeof(char *));
	if (!pooled || !cold || !prestart || !ids)
		return 1;

	/* the pool, filled ahead in batches of BATCH (create + start each), so
	 * no container waits long: other runs' sweeps on this shared engine
	 * remove managed containers they do not know */
	for (int b = 0; b < n; b += BATCH) {
		int end = b + BATCH < n ? b + BATCH : n;

		for (i = b; i < end; i++) {
			t = now_ms();
			if ((ids[i] = ita_pool_container(&spec)) == NULL) {
				fprintf(stderr, "pooled container: %s\n", ita_error());
				break;
			}
			prestart[filled++] = now_ms() - t;
		}
		if (b == 0 && ids[0] != NULL)
			idle_cost(ids[0]);
		for (i = b; i < end && ids[i] != NULL; i++) {
			ita_result r = { 0 };
			int fd;

			t = now_ms();
			fd = ita_attach(ids[i]);
			if (fd >= 0 && ita_run(fd, hdr, hdr_len, NULL, 0, 0, 30000, NULL, NULL, &r) == 0 && r.exited &&
			    r.exit.code == 0 && r.out_len == 12 && memcmp(r.out, "hello world\n", 12) == 0)
				pooled[got++] = now_ms() - t;
			else
				fprintf(stderr, "pooled run %d failed: %s\n", i, ita_error());
			ita_result_clear(&r);
			if ((cold[cold_n] = cold_run(docker, image)) >= 0)
				cold_n++;
			ita_remove(ids[i]);
			free(ids[i]);
			ids[i] = NULL;
		}
	}
	n = filled;
	if (n > 0)
		stats("pool fill (create + start, each)", prestart, n);
	if (got > 0)
		stats("pooled: attach -> exit record", pooled, got);
	if (cold_n > 0)
		stats("cold: docker run --rm", cold, cold_n);
	if (got > 0 && cold_n > 0)
		printf("ratio pooled/cold p50: %.4f\n", pooled[got / 2] / cold[cold_n / 2]);
	free(hdr);
	free(pooled);
	free(cold);
	free(prestart);
	free(ids);
	return got == n && cold_n == n ? 0 : 1;
}
