/*
 * libecs: a session's container, made, found again, checked and ended
 * (<ecs/session.h>). What runs in it (exec, files) is session_io.c.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>
#include <openssl/evp.h>

#include <ecs/ecs.h>
#include <ecs/session.h>
#include "backend.h"
#include "container_private.h"
#include "engine_private.h"
#include "ids.h"
#include "image_private.h"
#include "json_util.h"
#include "session_private.h"

int ecs_session_spec_init(ecs_session_spec *out, unsigned int version)
{
	const ecs_session_spec init = ECS_SESSION_SPEC_INIT;

	if (out == NULL || version != ECS_SESSION_SPEC_VERSION)
		return ECS_EINVAL;
	*out = init;
	return 0;
}

void ecs_session_info_clear(ecs_session_info *info)
{
	if (info == NULL)
		return;
	free(info->container_id);
	free(info->image);
	memset(info, 0, sizeof(*info));
}

int ecs_session_hash(char out[ECS_SESSION_HASH_SIZE], const char *text)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (out == NULL || text == NULL)
		return ECS_EINVAL;
	if (EVP_Digest(text, strlen(text), md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32)
		return ECS_ERROR;
	for (unsigned int i = 0; i < mdlen; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[2 * mdlen] = '\0';
	return 0;
}

/* A one-line reason in @err (may be NULL) and on the handle; returns @code. */
static int fail(ecs_engine *engine, char *err, size_t errlen, int code, const char *what)
{
	const char *msg = ecs_engine_errmsg(engine);

	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s%s%s", what, msg[0] ? ": " : "", msg[0] ? msg : ecs_strerror(code));
	return code;
}

static int check_spec(ecs_engine *engine, const ecs_session_spec *spec, char *err, size_t errlen)
{
	const char *why = NULL;
	char pwhy[256];

	if (spec == NULL || spec->version != ECS_SESSION_SPEC_VERSION)
		why = "session spec of another version";
	else if (spec->image == NULL && spec->image_ref == NULL)
		why = "no image";
	else if (spec->owner == NULL || spec->home == NULL)
		why = "a session needs an owner and a home";
	else if (spec->session_id != NULL && !ecs_id_chars_ok(spec->session_id, ECS_TASK_MAX_ID))
		why = "session id must be 1-64 of [A-Za-z0-9_.-]";
	else if (spec->lifetime_s < 1 || spec->lifetime_s > ECS_TASK_MAX_TIMEOUT_MS / 1000 ||
		 spec->idle_timeout_s < 0 || spec->idle_timeout_s > ECS_TASK_MAX_TIMEOUT_MS / 1000)
		why = "lifetime must be 1 s to 7 days, the idle timeout at most 7 days";
	else if ((spec->env_len > 0 && spec->env == NULL) || spec->env_len > ECS_TASK_MAX_ENV)
		why = "bad environment";
	else if (spec->agent_path != NULL && spec->agent_path[0] != '/')
		why = "the agent's path must be absolute";
	else if (spec->profile != NULL && ecs_sandbox_profile_validate(spec->profile, pwhy, sizeof(pwhy)) != 0)
		why = pwhy;
	if (why == NULL)
		return 0;
	ecs_engine_fail(engine, ECS_EINVAL, "session: %s", why);
	return fail(engine, err, errlen, ECS_EINVAL, "validate");
}

/* The image there, per the policy: the task runner's own rule (task.c). */
static int ensure_image(ecs_engine *engine, const ecs_session_spec *spec, ecs_image_info *image, char *err,
			size_t errlen)
{
	ecs_task_spec ts = ECS_TASK_SPEC_INIT;
	ecs_task_result tr = ECS_TASK_RESULT_INIT;
	int rc;

	ts.run.image = spec->image;
	ts.image_ref = spec->image_ref;
	ts.auth = spec->auth;
	ts.pull_policy = spec->pull_policy;
	ts.pull_timeout_ms = spec->pull_timeout_ms;
	rc = ecs_task_image_ensure(&tr, engine, &ts, image);
	if (rc != 0 && err != NULL && errlen > 0)
		snprintf(err, errlen, "pull: %s", tr.error);
	return rc;
}

/* "KEY=value" into @buf; @buf itself. */
static const char *label(char *buf, size_t size, const char *key, const char *value)
{
	snprintf(buf, size, "%s=%s", key, value);
	return buf;
}

int ecs_session_create(ecs_session_info *out, ecs_engine *engine, const ecs_session_spec *spec, char *err,
		       size_t errlen)
{
	ecs_container_spec cs = ECS_CONTAINER_SPEC_INIT;
	ecs_image_info image = ECS_IMAGE_INFO_INIT;
	ecs_container_agent agent = ECS_CONTAINER_AGENT_INIT;
	ecs_session_info s;
	char owner[ECS_SESSION_HASH_SIZE], home[ECS_SESSION_HASH_SIZE], idle[32];
	char l_id[96], l_owner[96], l_home[96], l_idle[64];
	char *l_image = NULL;
	const char *labels[5];
	char *text = NULL;
	long start_ms;
	int rc;

	if (out == NULL || engine == NULL)
		return ECS_EINVAL;
	memset(out, 0, sizeof(*out));
	memset(&s, 0, sizeof(s));
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	ecs_engine_clear_error(engine);
	if ((rc = check_spec(engine, spec, err, errlen)) != 0)
		return rc;
	if (spec->image == NULL && ecs_image_ref_format(&text, spec->image_ref) != 0) {
		ecs_engine_fail(engine, ECS_EINVAL, "session: the image reference cannot be written");
		return fail(engine, err, errlen, ECS_EINVAL, "validate");
	}
	if (ecs_session_hash(owner, spec->owner) != 0 || ecs_session_hash(home, spec->home) != 0) {
		rc = ecs_engine_fail(engine, ECS_ERROR, "session: SHA-256 failed");
		goto out;
	}
	if (spec->session_id != NULL)
		snprintf(s.id, sizeof(s.id), "%s", spec->session_id);
	else if (ecs_id_generate(s.id, sizeof(s.id)) != 0) {
		rc = ecs_engine_fail(engine, ECS_ERROR, "session: cannot generate an id");
		goto out;
	}
	{
		ecs_session_spec copy = *spec;

		copy.image = spec->image != NULL ? spec->image : text;
		rc = ensure_image(engine, &copy, &image, err, errlen);
		/* after a pull the inspect is still to do: its user, HOME and WorkingDir shape the container */
		if (rc == 0 && image.id == NULL)
			rc = ecs_image_inspect_ref(&image, engine, copy.image, spec->image_ref);
		if (rc != 0) {
			if (image.id == NULL && err != NULL && err[0] == '\0')
				fail(engine, err, errlen, rc, "pull");
			goto out;
		}
		s.image = strdup(copy.image);
	}
	snprintf(idle, sizeof(idle), "%ld", spec->idle_timeout_s);
	if (s.image == NULL || asprintf(&l_image, "%s=%s", ECS_LABEL_SESSION_IMAGE, s.image) < 0) {
		l_image = NULL;
		rc = ecs_engine_fail(engine, ECS_ENOMEM, "session: out of memory");
		goto out;
	}
	labels[0] = label(l_id, sizeof(l_id), ECS_LABEL_SESSION, s.id);
	labels[1] = label(l_owner, sizeof(l_owner), ECS_LABEL_SESSION_OWNER, owner);
	labels[2] = label(l_home, sizeof(l_home), ECS_LABEL_SESSION_HOME, home);
	labels[3] = label(l_idle, sizeof(l_idle), ECS_LABEL_SESSION_IDLE, idle);
	labels[4] = l_image;
	s.created = time(NULL);
	s.expires = s.created + (time_t)spec->lifetime_s;
	s.idle_timeout_s = spec->idle_timeout_s;
	snprintf(s.owner, sizeof(s.owner), "%s", owner);

	/* An image id pinned: the tag cannot move between the pull and the create. */
	cs.run.image = image.id != NULL ? image.id : s.image;
	cs.run.env = spec->env;
	cs.run.env_len = spec->env_len;
	cs.task_id = s.id;
	cs.deadline = s.expires;
	cs.profile = spec->profile;
	cs.image_working_dir = image.working_dir;
	cs.attach_output = 1;
	cs.own_labels = labels;
	cs.own_labels_len = 5;
	agent.agent_path = spec->agent_path;
	agent.keep_stdin = 1;  /* each request attaches anew */
	ecs_container_agent_user(&agent, spec->profile, &image);
	rc = ecs_container_create_agent(&s.container_id, engine, &cs, &agent);
	if (rc != 0) {
		rc = fail(engine, err, errlen, rc, "create");
		goto out;
	}
	start_ms = spec->start_timeout_ms > 0 ? spec->start_timeout_ms : ECS_TASK_DEFAULT_START_TIMEOUT_MS;
	rc = ecs_container_start_within(engine, s.container_id, start_ms);
	if (rc == 0)
		rc = ecs_session_agent_ready(engine, &s, start_ms);
	if (rc != 0) {
		rc = fail(engine, err, errlen, rc, "start");
		ecs_task_dispose(engine, NULL, s.id, s.container_id);
		goto out;
	}
	s.running = 1;
	ecs_engine_log(engine, ECS_LOG_INFO, "session %s: container %.12s: ready, image %s, expires in %ld s", s.id,
		       s.container_id, s.image, spec->lifetime_s);
	*out = s;
	memset(&s, 0, sizeof(s));
out:
	ecs_session_info_clear(&s);
	ecs_image_info_clear(&image);
	free(l_image);
	free(text);
	return rc;
}

/* A listed container's session, from its labels; 0, 1 when it is no session's, or ECS_ENOMEM. */
static int from_labels(ecs_session_info *s, const ecs_container_info *c)
{
	const char *id = ecs_json_get_string(c->labels, ECS_LABEL_SESSION);
	const char *owner = ecs_json_get_string(c->labels, ECS_LABEL_SESSION_OWNER);
	const char *image = ecs_json_get_string(c->labels, ECS_LABEL_SESSION_IMAGE);
	const char *idle = ecs_json_get_string(c->labels, ECS_LABEL_SESSION_IDLE);

	memset(s, 0, sizeof(*s));
	if (id == NULL || owner == NULL || c->id == NULL || strlen(id) >= sizeof(s->id) ||
	    strlen(owner) >= sizeof(s->owner))
		return 1;
	snprintf(s->id, sizeof(s->id), "%s", id);
	snprintf(s->owner, sizeof(s->owner), "%s", owner);
	s->created = c->created;
	s->expires = c->deadline;
	s->idle_timeout_s = idle != NULL ? strtol(idle, NULL, 10) : 0;
	s->running = c->running;
	s->container_id = strdup(c->id);
	s->image = strdup(image != NULL ? image : "");
	if (s->container_id == NULL || s->image == NULL) {
		ecs_session_info_clear(s);
		return ECS_ENOMEM;
	}
	return 0;
}

int ecs_session_list(ecs_session_info **out, size_t *count, ecs_engine *engine, const char *home)
{
	char hash[ECS_SESSION_HASH_SIZE], filter[128];
	const char *labels[1] = { filter };
	ecs_container_info *list = NULL;
	ecs_session_info *sessions = NULL;
	size_t n = 0, k = 0;
	int rc;

	if (out == NULL || count == NULL || engine == NULL)
		return ECS_EINVAL;
	*out = NULL;
	*count = 0;
	if (home != NULL) {
		if (ecs_session_hash(hash, home) != 0)
			return ecs_engine_fail(engine, ECS_ERROR, "session: SHA-256 failed");
		snprintf(filter, sizeof(filter), "%s=%s", ECS_LABEL_SESSION_HOME, hash);
	} else {
		snprintf(filter, sizeof(filter), "%s", ECS_LABEL_SESSION);
	}
	rc = ecs_container_list(&list, &n, engine, labels, 1);
	if (rc != 0)
		return rc;
	sessions = calloc(n > 0 ? n : 1, sizeof(*sessions));
	if (sessions == NULL) {
		ecs_container_list_free(list, n);
		return ecs_engine_fail(engine, ECS_ENOMEM, "session list: out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		rc = from_labels(&sessions[k], &list[i]);
		if (rc < 0) {
			ecs_container_list_free(list, n);
			ecs_session_list_free(sessions, k);
			return ecs_engine_fail(engine, ECS_ENOMEM, "session list: out of memory");
		}
		if (rc == 0)
			k++;
	}
	ecs_container_list_free(list, n);
	*out = sessions;
	*count = k;
	return 0;
}

void ecs_session_list_free(ecs_session_info *list, size_t count)
{
	if (list == NULL)
		return;
	for (size_t i = 0; i < count; i++)
		ecs_session_info_clear(&list[i]);
	free(list);
}

int ecs_session_check(ecs_engine *engine, const ecs_session_info *s, char *why, size_t whylen)
{
	ecs_container_info info;
	int rc;

	if (engine == NULL || s == NULL || s->container_id == NULL)
		return ECS_EINVAL;
	if (why != NULL && whylen > 0)
		why[0] = '\0';
	memset(&info, 0, sizeof(info));
	rc = ecs_container_inspect(&info, engine, s->container_id);
	if (rc == 0 && !info.running) {
		rc = ECS_EUNAVAILABLE;
		if (why != NULL && info.oom_killed)
			snprintf(why, whylen, "its container was killed: out of memory");
		else if (why != NULL)
			snprintf(why, whylen, "its container stopped (%s, exit status %d)",
				 info.status != NULL ? info.status : "?", info.exit_code);
	} else if (rc == ECS_ENOTFOUND && why != NULL) {
		snprintf(why, whylen, "its container is gone");
	}
	ecs_container_info_clear(&info);
	return rc;
}

int ecs_session_delete(ecs_engine *engine, ecs_reaper *reaper, const ecs_session_info *s)
{
	if (engine == NULL || s == NULL || s->container_id == NULL)
		return ECS_EINVAL;
	ecs_engine_log(engine, ECS_LOG_INFO, "session %s: container %.12s: ending", s->id, s->container_id);
	ecs_task_dispose(engine, reaper, s->id, s->container_id);
	return 0;
}
