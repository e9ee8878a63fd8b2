/*
 * libecs: image inspect and pull.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include <ecs/ecs.h>
#include "engine_private.h"
#include "http.h"
#include "image_private.h"
#include "strvec.h"
#include "json_util.h"

#define PULL_DEFAULT_TIMEOUT_MS 300000L

/* Progress lines are a few hundred bytes; anything far longer is not the engine talking. */
#define PULL_MAX_LINE ((size_t)1 << 20)

void ecs_image_info_clear(ecs_image_info *info)
{
	if (info == NULL)
		return;
	free(info->id);
	free(info->repo_digest);
	free(info->working_dir);
	free(info->user);
	ecs_strv_free(info->entrypoint, info->entrypoint_len);
	memset(info, 0, sizeof(*info));
}

/* Config.Entrypoint into @info; 0, or -1 on ENOMEM. */
static int read_entrypoint(ecs_image_info *info, json_object *config)
{
	json_object *ep = NULL;
	ecs_strvec v = ECS_STRVEC_INIT;

	if (config == NULL || !json_object_object_get_ex(config, "Entrypoint", &ep) ||
	    !json_object_is_type(ep, json_type_array))
		return 0;
	for (size_t i = 0; i < json_object_array_length(ep); i++) {
		const char *s = json_object_get_string(json_object_array_get_idx(ep, i));

		if (ecs_strvec_push_dup(&v, s != NULL ? s : "") != 0) {
			ecs_strvec_clear(&v);
			return -1;
		}
	}
	ecs_strvec_take(&v, &info->entrypoint, &info->entrypoint_len);
	return 0;
}

int ecs_image_config_has_home(json_object *config)
{
	json_object *env = NULL;

	if (config == NULL || !json_object_object_get_ex(config, "Env", &env) || !json_object_is_type(env, json_type_array))
		return 0;
	for (size_t i = 0; i < json_object_array_length(env); i++) {
		const char *s = json_object_get_string(json_object_array_get_idx(env, i));

		if (s != NULL && strncmp(s, "HOME=", 5) == 0)
			return 1;
	}
	return 0;
}

/* Docker Hub's repository as the engine stores it: registry NULL, one-part paths under "library/". */
static int hub_registry(const char *registry)
{
	return registry == NULL || strcmp(registry, "docker.io") == 0 || strcmp(registry, "index.docker.io") == 0 ||
	       strcmp(registry, "registry-1.docker.io") == 0;
}

static const char *hub_path(const char *repository)
{
	return strncmp(repository, "library/", 8) == 0 && strchr(repository + 8, '/') == NULL ? repository + 8
											       : repository;
}

/* ecs_image_same_repository() with @ra already parsed. */
static int same_repository(const ecs_image_ref *ra, const char *b)
{
	ecs_image_ref rb;
	int same = 0;

	if (ecs_image_ref_parse(&rb, b) == 0 && ra->kind == ECS_IMAGE_REF_NAME && rb.kind == ECS_IMAGE_REF_NAME) {
		if (hub_registry(ra->registry) && hub_registry(rb.registry))
			same = strcmp(hub_path(ra->repository), hub_path(rb.repository)) == 0;
		else if (ra->registry != NULL && rb.registry != NULL)
			same = strcmp(ra->registry, rb.registry) == 0 && strcmp(ra->repository, rb.repository) == 0;
	}
	ecs_image_ref_clear(&rb);
	return same;
}

int ecs_image_same_repository(const char *a, const char *b)
{
	ecs_image_ref ra;
	int same;

	if (ecs_image_ref_parse(&ra, a) != 0)
		return 0;
	same = same_repository(&ra, b);
	ecs_image_ref_clear(&ra);
	return same;
}

/*
 * The RepoDigests entry of @image's own repository: an image pulled under
 * one name and tagged under another (or pushed elsewhere) carries digests
 * of other repositories, which do not pull as @image. NULL when none is.
 */
static const char *repo_digest_of(json_object *digests, const ecs_image_ref *image)
{
	size_t n = json_object_array_length(digests);

	for (size_t i = 0; i < n; i++) {
		json_object *d = json_object_array_get_idx(digests, i);

		if (json_object_is_type(d, json_type_string) && same_repository(image, json_object_get_string(d)))
			return json_object_get_string(d);
	}
	return NULL;
}

int ecs_image_inspect(ecs_image_info *out, ecs_engine *engine, const char *image)
{
	ecs_image_ref ref;
	int rc;

	/* Only the repo digest needs the parts; a name that does not parse has none of its own. */
	if (image == NULL || ecs_image_ref_parse(&ref, image) != 0)
		return ecs_image_inspect_ref(out, engine, image, NULL);
	rc = ecs_image_inspect_ref(out, engine, image, &ref);
	ecs_image_ref_clear(&ref);
	return rc;
}

int ecs_image_inspect_ref(ecs_image_info *out, ecs_engine *engine, const char *image, const ecs_image_ref *ref)
{
	ecs_http_request req = { 0 };
	ecs_image_info info = ECS_IMAGE_INFO_INIT;
	json_object *answer = NULL, *digests;
	char *path = NULL;
	int rc;

	if (out != NULL)
		memset(out, 0, sizeof(*out));
	if (engine == NULL)
		return ECS_EINVAL;
	ecs_engine_clear_error(engine);
	if (image == NULL || image[0] == '\0')
		return ecs_engine_fail(engine, ECS_EINVAL, "inspect image: no image name");
	rc = ecs_http_object_request(&req, &path, engine, "GET", "images", image, "/json", "inspect image");
	if (rc != ECS_OK)
		goto out;
	rc = ecs_http_json(engine, &req, "inspect image", &answer);
	/* The engine's 404 says it twice ("no such image: X: No such image: X"): once is news. */
	if (rc == ECS_ENOTFOUND)
		rc = ecs_engine_fail(engine, rc, "inspect image: no such image: %s", image);
	if (rc != ECS_OK || out == NULL)
		goto out;
	info.id = ecs_json_dup_string(answer, "Id");
	if (info.id == NULL) {
		rc = ecs_engine_fail(engine, ECS_EPROTO, "inspect image: no Id in the engine's answer");
		goto out;
	}
	if (json_object_object_get_ex(answer, "RepoDigests", &digests) &&
			json_object_is_type(digests, json_type_array)) {
		const char *d = ref != NULL ? repo_digest_of(digests, ref) : NULL;

		if (d != NULL && (info.repo_digest = strdup(d)) == NULL) {
			rc = ecs_engine_fail(engine, ECS_ENOMEM, "inspect image: out of memory");
			goto out;
		}
	}
	{
		json_object *config = ecs_json_get_object(answer, "Config");
		const char *wd = ecs_json_get_string(config, "WorkingDir");
		const char *user = ecs_json_get_string(config, "User");

		info.working_dir = strdup(wd != NULL ? wd : "");
		info.user = strdup(user != NULL ? user : "");
		info.has_home = ecs_image_config_has_home(config);
		if (info.working_dir == NULL || info.user == NULL || read_entrypoint(&info, config) != 0) {
			rc = ecs_engine_fail(engine, ECS_ENOMEM, "inspect image: out of memory");
			goto out;
		}
	}
	*out = info;
	memset(&info, 0, sizeof(info));
	rc = ECS_OK;
out:
	ecs_image_info_clear(&info);
	json_object_put(answer);
	free(path);
	return rc;
}

/*
 * The pull's progress stream: JSON objects one per line, split across
 * chunks anywhere. We keep only the first error the engine reports in it.
 */
typedef struct {
	char *line;
	size_t line_len;
	size_t line_cap;
	char *error;       /* first "error" / errorDetail.message seen; owned */
} pull_progress;

/* Look at one complete line; -1 on ENOMEM. */
static int progress_line(pull_progress *p, const char *line, size_t len)
{
	json_object *obj;
	const char *msg;

	/* A CRLF-terminated line is still one JSON document. */
	while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == ' '))
		len--;
	if (p->error != NULL || len == 0)
		return 0;
	obj = ecs_json_parse(line, len);
	if (obj == NULL)
		return 0;  /* not ours to judge: the status code and the end of stream decide */
	msg = ecs_json_get_string(obj, "error");
	if (msg == NULL || msg[0] == '\0') {
		json_object *detail = ecs_json_get_object(obj, "errorDetail");

		msg = detail != NULL ? ecs_json_get_string(detail, "message") : NULL;
	}
	if (msg != NULL && msg[0] != '\0') {
		p->error = strdup(msg);
		if (p->error == NULL) {
			json_object_put(obj);
			return -1;
		}
	}
	json_object_put(obj);
	return 0;
}

static int progress_sink(const char *data, size_t len, void *userdata)
{
	pull_progress *p = userdata;
	size_t i, start = 0;

	for (i = 0; i < len; i++) {
		if (data[i] != '\n')
			continue;
		if (p->line_len > 0) {
			/* The line began in an earlier chunk: finish it in the buffer. */
			size_t part = i - start;

			/* An overlong line is dropped: it cannot be a progress message. */
			if (p->line_len + part <= PULL_MAX_LINE) {
				if (p->line_len + part > p->line_cap) {
					char *grown = realloc(p->line, p->line_len + part);

					if (grown == NULL)
						return ECS_ENOMEM;
					p->line = grown;
					p->line_cap = p->line_len + part;
				}
				memcpy(p->line + p->line_len, data + start, part);
				if (progress_line(p, p->line, p->line_len + part) != 0)
					return ECS_ENOMEM;
			}
			p->line_len = 0;
		} else if (progress_line(p, data + start, i - start) != 0) {
			return ECS_ENOMEM;
		}
		start = i + 1;
	}
	if (start < len) {
		size_t part = len - start;

		if (p->line_len + part > PULL_MAX_LINE) {
			p->line_len = 0;
			return 0;
		}
		if (p->line_len + part > p->line_cap) {
			size_t cap = p->line_cap > 0 ? p->line_cap : 1024;
			char *grown;

			while (cap < p->line_len + part)
				cap *= 2;
			grown = realloc(p->line, cap);
			if (grown == NULL)
				return ECS_ENOMEM;
			p->line = grown;
			p->line_cap = cap;
		}
		memcpy(p->line + p->line_len, data + start, part);
		p->line_len += part;
	}
	return 0;
}

static int contains(const char *haystack, const char *needle)
{
	return strcasestr(haystack, needle) != NULL;
}

/*
 * Sort a failed pull into the caller's categories. The engine says 500 for
 * most registry refusals, so the words decide; credentials problems are
 * checked first because "denied" answers often also say "does not exist".
 */
static int classify(long status, const char *message)
{
	if (status == 404)
		return ECS_ENOTFOUND;
	if (status == 401 || status == 403)
		return ECS_EUNAUTHORIZED;
	if (message != NULL) {
		if (contains(message, "unauthorized") || contains(message, "authentication required") ||
				contains(message, "no basic auth credentials") || contains(message, "denied"))
			return ECS_EUNAUTHORIZED;
		if (contains(message, "manifest unknown") || contains(message, "not found"))
			return ECS_ENOTFOUND;
	}
	return ECS_EENGINE;
}

/* fromImage and tag for the reference; the digest goes in tag, as the docker CLI sends it. */
static int pull_query(char **out, const ecs_image_ref *ref)
{
	char *name = NULL, *from = NULL, *tag = NULL;
	int rc = ECS_ENOMEM;

	*out = NULL;
	if (ref->registry != NULL) {
		if (asprintf(&name, "%s/%s", ref->registry, ref->repository) < 0) {
			name = NULL;
			goto out;
		}
	} else {
		name = strdup(ref->repository);
		if (name == NULL)
			goto out;
	}
	from = ecs_http_escape(name);
	tag = ecs_http_escape(ref->digest != NULL ? ref->digest : ref->tag);
	if (from == NULL || tag == NULL)
		goto out;
	if (asprintf(out, "/images/create?fromImage=%s&tag=%s", from, tag) < 0) {
		*out = NULL;
		goto out;
	}
	rc = ECS_OK;
out:
	free(tag);
	free(from);
	free(name);
	return rc;
}

/* "X-Registry-Auth: ..." for @auth; the caller wipes and frees it (it holds the password). */
static int auth_header(char **out, const ecs_registry_auth *auth, const ecs_image_ref *ref)
{
	ecs_registry_auth a = *auth;
	char *encoded = NULL;
	int rc;

	*out = NULL;
	if (a.server_address == NULL)
		a.server_address = ref->registry != NULL ? ref->registry : "docker.io";
	rc = ecs_registry_auth_encode(&encoded, &a);
	if (rc != ECS_OK)
		return rc;
	if (asprintf(out, "X-Registry-Auth: %s", encoded) < 0) {
		*out = NULL;
		rc = ECS_ENOMEM;
	}
	explicit_bzero(encoded, strlen(encoded));
	free(encoded);
	return rc;
}

/*
 * Parse @image into @ref for a pull or a distribution inspect; errors say
 * @what about @image.
 */
static int registry_ref(ecs_image_ref *ref, ecs_engine *engine, const char *what, const char *image)
{
	int rc = ecs_image_ref_parse(ref, image);

	if (rc != ECS_OK)
		return ecs_engine_fail(engine, rc, "%s %s: %s", what, image,
				rc == ECS_ENOMEM ? "out of memory" : "not a valid image reference with a tag or digest");
	return ECS_OK;
}

/*
 * What a pull and a distribution inspect share: with @auth, put @ref's
 * X-Registry-Auth header in @req (held in @header, which the caller wipes
 * and frees, and @slot). Errors say @what about @image, never a secret.
 */
static int registry_request(ecs_http_request *req, const ecs_image_ref *ref, char **header, const char **slot,
		ecs_engine *engine, const char *what, const char *image, const ecs_registry_auth *auth)
{
	int rc;

	/* An id names no repository: there is nothing to ask a registry for. */
	if (ref->kind == ECS_IMAGE_REF_ID)
		return ecs_engine_fail(engine, ECS_ENOTFOUND, "%s %s: an image id names no repository to pull from",
				what, image);
	if (auth == NULL)
		return ECS_OK;
	rc = auth_header(header, auth, ref);
	if (rc != ECS_OK)
		/* Say which field, never what it held. */
		return ecs_engine_fail(engine, rc, "%s %s: %s", what, image,
				rc == ECS_ENOMEM ? "out of memory" : "credentials need a username and a password");
	*slot = *header;
	req->headers = slot;
	req->headers_len = 1;
	return ECS_OK;
}

/* A non-2xx answer about @image: the engine's words, sorted by classify(). */
static int registry_failure(ecs_engine *engine, const ecs_http_response *resp, const char *what, const char *image)
{
	json_object *answer = ecs_json_parse(resp->body, resp->len);
	const char *message = answer != NULL ? ecs_json_engine_message(answer) : NULL;
	int rc;

	if (message == NULL)
		message = resp->body != NULL && resp->len > 0 ? resp->body : "no message";
	rc = ecs_engine_fail(engine, classify(resp->status, message), "%s %s: %s", what, image, message);
	json_object_put(answer);
	return rc;
}

int ecs_image_pull(ecs_engine *engine, const char *image, const ecs_registry_auth *auth, long timeout_ms,
		   ecs_cancel *cancel)
{
	ecs_image_ref ref = { NULL, NULL, NULL, NULL, ECS_IMAGE_REF_NAME };
	int rc;

	if (engine == NULL)
		return ECS_EINVAL;
	ecs_engine_clear_error(engine);
	if (image == NULL)
		return ecs_engine_fail(engine, ECS_EINVAL, "pull: no image reference");
	if (timeout_ms < 0)
		return ecs_engine_fail(engine, ECS_EINVAL, "pull %s: negative timeout", image);
	rc = registry_ref(&ref, engine, "pull", image);
	if (rc == ECS_OK)
		rc = ecs_image_pull_ref(engine, &ref, image, auth, timeout_ms, cancel);
	ecs_image_ref_clear(&ref);
	return rc;
}

int ecs_image_pull_ref(ecs_engine *engine, const ecs_image_ref *ref, const char *image,
		       const ecs_registry_auth *auth, long timeout_ms, ecs_cancel *cancel)
{
	ecs_http_request req = { 0 };
	ecs_http_response resp = { 0 };
	pull_progress progress = { NULL, 0, 0, NULL };
	const char *slot = NULL;
	char *path = NULL, *header = NULL;
	int rc;

	if (engine == NULL || ref == NULL || image == NULL)
		return ECS_EINVAL;
	ecs_engine_clear_error(engine);
	if (timeout_ms < 0)
		return ecs_engine_fail(engine, ECS_EINVAL, "pull %s: negative timeout", image);
	rc = registry_request(&req, ref, &header, &slot, engine, "pull", image, auth);
	if (rc != ECS_OK)
		goto out;
	rc = pull_query(&path, ref);
	if (rc != ECS_OK) {
		rc = ecs_engine_fail(engine, rc, "pull %s: out of memory", image);
		goto out;
	}
	req.method = "POST";
	req.path = path;
	req.timeout_ms = timeout_ms > 0 ? timeout_ms : PULL_DEFAULT_TIMEOUT_MS;
	req.sink = progress_sink;
	req.sink_userdata = &progress;
	/* A pull can take minutes: a stop or a client that left must not wait for it. */
	req.cancel = cancel;
	rc = ecs_http_do(engine, &req, &resp);
	if (rc != ECS_OK)
		goto out;
	if (!ecs_http_ok(&resp)) {
		rc = registry_failure(engine, &resp, "pull", image);
		goto out;
	}
	/* A last line without a newline still counts. */
	if (progress.line_len > 0 && progress_line(&progress, progress.line, progress.line_len) != 0) {
		rc = ecs_engine_fail(engine, ECS_ENOMEM, "pull %s: out of memory", image);
		goto out;
	}
	if (progress.error != NULL) {
		rc = ecs_engine_fail(engine, classify(resp.status, progress.error), "pull %s: %s", image,
				progress.error);
		goto out;
	}
	rc = ECS_OK;
out:
	ecs_http_response_clear(&resp);
	if (header != NULL) {
		explicit_bzero(header, strlen(header));
		free(header);
	}
	free(progress.error);
	free(progress.line);
	free(path);
	return rc;
}

int ecs_image_distribution_inspect(char **digest, ecs_engine *engine, const char *image, const ecs_registry_auth *auth)
{
	ecs_image_ref ref = { NULL, NULL, NULL, NULL, ECS_IMAGE_REF_NAME };
	int rc;

	if (digest != NULL)
		*digest = NULL;
	if (engine == NULL)
		return ECS_EINVAL;
	ecs_engine_clear_error(engine);
	if (image == NULL)
		return ecs_engine_fail(engine, ECS_EINVAL, "distribution inspect: no image reference");
	rc = registry_ref(&ref, engine, "distribution inspect", image);
	if (rc == ECS_OK)
		rc = ecs_image_distribution_inspect_ref(digest, engine, &ref, image, auth);
	ecs_image_ref_clear(&ref);
	return rc;
}

int ecs_image_distribution_inspect_ref(char **digest, ecs_engine *engine, const ecs_image_ref *ref, const char *image,
		const ecs_registry_auth *auth)
{
	ecs_http_request req = { 0 };
	ecs_http_response resp = { 0 };
	json_object *answer = NULL, *desc;
	const char *slot = NULL, *d;
	char *path = NULL, *header = NULL;
	int rc;

	if (digest != NULL)
		*digest = NULL;
	if (engine == NULL || ref == NULL || image == NULL)
		return ECS_EINVAL;
	ecs_engine_clear_error(engine);
	rc = registry_request(&req, ref, &header, &slot, engine, "distribution inspect", image, auth);
	if (rc != ECS_OK)
		goto out;
	path = ecs_http_path("distribution", image, "/json");
	if (path == NULL) {
		rc = ecs_engine_fail(engine, ECS_ENOMEM, "distribution inspect %s: out of memory", image);
		goto out;
	}
	req.method = "GET";
	req.path = path;
	rc = ecs_http_do(engine, &req, &resp);
	if (rc != ECS_OK)
		goto out;
	/* 401 for refused credentials, 500 "no basic auth credentials" for none. */
	if (!ecs_http_ok(&resp)) {
		rc = registry_failure(engine, &resp, "distribution inspect", image);
		goto out;
	}
	answer = ecs_json_parse(resp.body, resp.len);
	desc = answer != NULL ? ecs_json_get_object(answer, "Descriptor") : NULL;
	d = desc != NULL ? ecs_json_get_string(desc, "digest") : NULL;
	if (d == NULL) {
		rc = ecs_engine_fail(engine, ECS_EPROTO, "distribution inspect %s: no Descriptor.digest in the engine's answer",
				image);
		goto out;
	}
	if (digest != NULL && (*digest = strdup(d)) == NULL) {
		rc = ecs_engine_fail(engine, ECS_ENOMEM, "distribution inspect %s: out of memory", image);
		goto out;
	}
	rc = ECS_OK;
out:
	json_object_put(answer);
	ecs_http_response_clear(&resp);
	if (header != NULL) {
		explicit_bzero(header, strlen(header));
		free(header);
	}
	free(path);
	return rc;
}
