/*
 * A program written from the man pages alone (libecs(3), ecs_task_run(3),
 * ecs_task_spec_init(3), ecs_engine_new(3)), against the installed headers
 * and nothing else: it runs one task on the engine and reads its result
 * through the public API. t/check_it_api_program.sh builds it the way a user
 * would (pkg-config) and runs it.
 *   api_program IMAGE [AGENT] -> prints the task's stdout, exits with its exit code
 * AGENT: where ecs-agent is (ecs_engine_new(3)'s agent_path), for a machine
 * without the installed one (/usr/libexec/ecs/ecs-agent).
 */
#include <stdio.h>
#include <string.h>

#include <ecs/ecs.h>

int main(int argc, char **argv)
{
	static const char *const cmd[] = { "sh", "-c", "echo hello from the api; echo to stderr >&2; exit 3" };
	ecs_engine *engine = NULL;
	ecs_engine_options opts = ECS_ENGINE_OPTIONS_INIT;
	ecs_task_spec spec = ECS_TASK_SPEC_INIT;
	ecs_task_result result = ECS_TASK_RESULT_INIT;
	int rc, status = 1;

	if (argc != 2 && argc != 3) {
		fprintf(stderr, "usage: %s IMAGE [AGENT]\n", argv[0]);
		return 2;
	}
	if (ecs_global_init() != ECS_OK)
		return 1;
	if (argc == 3)
		opts.agent_path = argv[2];
	rc = ecs_engine_new(&engine, &opts);
	if (rc != ECS_OK) {
		fprintf(stderr, "engine: %s\n", ecs_strerror(rc));
		goto out;
	}
	spec.run.image = argv[1];
	spec.run.cmd = cmd;
	spec.run.cmd_len = sizeof(cmd) / sizeof(cmd[0]);
	spec.timeout_ms = 30000;
	rc = ecs_task_run(&result, engine, NULL, &spec);
	if (rc != ECS_OK) {
		fprintf(stderr, "task %s failed in %s: %s (%s)\n", result.task_id,
			ecs_task_phase_name(result.error_phase), result.error, ecs_error_name(rc));
		goto out;
	}
	fwrite(result.out.data, 1, result.out.len, stdout);
	printf("stderr=%.*s", (int)result.err.len, (const char *)result.err.data);
	printf("bytes=%llu,%llu pooled=%d timed_out=%d image=%.7s\n", (unsigned long long)result.stdout_bytes,
	       (unsigned long long)result.stderr_bytes, result.pooled, result.timed_out,
	       result.image_id != NULL ? result.image_id : "-");
	status = result.exit_code;
out:
	ecs_task_result_clear(&result);
	ecs_engine_free(engine);
	ecs_global_cleanup();
	return status;
}
