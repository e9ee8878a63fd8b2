/*
 * libecs: the function forms of the public _INIT macros, for bindings that
 * cannot expand a C macro (libgit2's git_*_init_options): each fills the
 * struct with its macro's defaults. The caller passes the version of the
 * header it was built with, so a struct of another size is never written.
 */
#include <config.h>

#include <stddef.h>
#include <string.h>

#include <ecs/ecs.h>

#define INIT_AS(type, macro, current)                  \
	do {                                           \
		/* static: its padding is zero too, so the bytes match the macro's */ \
		static const type defaults_ = macro;   \
		if (out == NULL || version != (current)) \
			return ECS_EINVAL;             \
		memcpy(out, &defaults_, sizeof(*out)); \
		return ECS_OK;                         \
	} while (0)

int ecs_task_spec_init(ecs_task_spec *out, unsigned int version)
{
	/* an older caller's struct ends before the members later versions appended (ecs/task.h) */
	static const size_t older[] = { [6] = offsetof(ecs_task_spec, files), [7] = offsetof(ecs_task_spec, channel_dir) };

	if (out != NULL && version >= 6 && version < ECS_TASK_SPEC_VERSION) {
		static const ecs_task_spec defaults_ = ECS_TASK_SPEC_INIT;

		memcpy(out, &defaults_, older[version]);
		out->version = version;
		return ECS_OK;
	}
	INIT_AS(ecs_task_spec, ECS_TASK_SPEC_INIT, ECS_TASK_SPEC_VERSION);
}

int ecs_sandbox_profile_init(ecs_sandbox_profile *out, unsigned int version)
{
	INIT_AS(ecs_sandbox_profile, ECS_SANDBOX_PROFILE_INIT, ECS_SANDBOX_PROFILE_VERSION);
}

int ecs_task_result_init(ecs_task_result *out, unsigned int version)
{
	INIT_AS(ecs_task_result, ECS_TASK_RESULT_INIT, ECS_TASK_RESULT_VERSION);
}

int ecs_engine_options_init(ecs_engine_options *out, unsigned int version)
{
	INIT_AS(ecs_engine_options, ECS_ENGINE_OPTIONS_INIT, ECS_ENGINE_OPTIONS_VERSION);
}

int ecs_pool_options_init(ecs_pool_options *out, unsigned int version)
{
	/* a version 1 caller's struct ends before channel_dir (ecs/pool.h) */
	if (out != NULL && version == 1) {
		static const ecs_pool_options defaults_ = ECS_POOL_OPTIONS_INIT;

		memcpy(out, &defaults_, offsetof(ecs_pool_options, channel_dir));
		out->version = 1;
		return ECS_OK;
	}
	INIT_AS(ecs_pool_options, ECS_POOL_OPTIONS_INIT, ECS_POOL_OPTIONS_VERSION);
}

int ecs_reaper_options_init(ecs_reaper_options *out, unsigned int version)
{
	INIT_AS(ecs_reaper_options, ECS_REAPER_OPTIONS_INIT, ECS_REAPER_OPTIONS_VERSION);
}

int ecs_sweep_options_init(ecs_sweep_options *out, unsigned int version)
{
	INIT_AS(ecs_sweep_options, ECS_SWEEP_OPTIONS_INIT, ECS_SWEEP_OPTIONS_VERSION);
}
