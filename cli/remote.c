/* remote.c - ecs-run --endpoint: one task through a running ecs service (see remote.h). */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "base64.h"
#include "remote.h"
#include "remote_answer.h"
#include "remote_body.h"

/* An error answer (not streamed) is a short JSON document: keep this much of it. */
#define ERROR_BODY_MAX 65536

typedef struct {
	remote_answer answer;
	int streaming;              /* 200 application/x-ndjson: lines; else an error document */
	int decided;
	char *error_body;           /* the non-streamed answer (owned) */
	size_t error_len;
	volatile sig_atomic_t *interrupted;
	CURL *curl;
} transfer;

/* The first bytes of the body decide how to read it: the status and the type are known by then. */
static void decide(transfer *x)
{
	long status = 0;
	char *type = NULL;

	x->decided = 1;
	curl_easy_getinfo(x->curl, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(x->curl, CURLINFO_CONTENT_TYPE, &type);
	x->streaming = status == 200 && type != NULL && strncmp(type, "application/x-ndjson", 20) == 0 &&
		       (type[20] == '\0' || type[20] == ';');
}

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
	transfer *x = arg;
	size_t len = size * n;

	if (!x->decided)
		decide(x);
	if (x->streaming)
		return remote_answer_feed(&x->answer, data, len) == 0 ? len : 0;
	if (x->error_len + len > ERROR_BODY_MAX)
		len = ERROR_BODY_MAX - x->error_len;  /* the rest is dropped, the transfer goes on */
	if (len > 0) {
		char *p = realloc(x->error_body, x->error_len + len + 1);

		if (p == NULL)
			return 0;
		memcpy(p + x->error_len, data, len);
		x->error_len += len;
		p[x->error_len] = '\0';
		x->error_body = p;
	}
	return size * n;
}

/* A signal: abandon the request; the service cancels a task whose client went. */
static int on_progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	transfer *x = arg;

	(void)dt, (void)dn, (void)ut, (void)un;
	return *x->interrupted != 0;
}

static const char *member_string(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string) ?
		       json_object_get_string(v) : NULL;
}

/* The ecs error document (docs/errors.md) as one line on stderr. */
static int report_error(json_object *doc, long status)
{
	const char *code = member_string(doc, "code"), *msg = member_string(doc, "message");
	json_object *v;

	if (status == 0 && json_object_object_get_ex(doc, "status", &v))
		status = (long)json_object_get_int64(v);
	return cli_fail("service", "HTTP %ld %s: %s", status, code ? code : "?", msg ? msg : "(no message)");
}

/* One artifact into @dirfd under the base name of its path; its own file, never through a link. */
static int write_artifact(int dirfd, const char *dir, json_object *a)
{
	const char *path = member_string(a, "path"), *content = member_string(a, "content"), *base;
	unsigned char *bytes = NULL;
	size_t n = 0, done = 0;
	json_object *v;
	int fd, rc = 0;

	if (path == NULL || content == NULL)
		return cli_fail("artifacts", "an artifact without a path or content");
	base = strrchr(path, '/');
	base = base != NULL ? base + 1 : path;
	if (base[0] == '\0' || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
		return cli_fail("artifacts", "%s: no file name to write it under", path);
	if (base64_decode(&bytes, &n, content, strlen(content)) != 0)
		return cli_fail("artifacts", "%s: its content is not base64", path);
	fd = openat(dirfd, base, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0) {
		rc = cli_fail("artifacts", "%s/%s: %s", dir, base, strerror(errno));
		goto out;
	}
	while (done < n) {
		ssize_t w = write(fd, bytes + done, n - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			rc = cli_fail("artifacts", "%s/%s: %s", dir, base, strerror(errno));
			break;
		}
		done += (size_t)w;
	}
	if (close(fd) != 0 && rc == 0)
		rc = cli_fail("artifacts", "%s/%s: %s", dir, base, strerror(errno));
	if (rc == 0 && json_object_object_get_ex(a, "truncated", &v) && json_object_get_boolean(v))
		fprintf(stderr, "ecs-run: artifacts: %s: truncated to %zu bytes (the service's artifact cap)\n", path, n);
out:
	free(bytes);
	return rc;
}

static int write_artifacts(const remote_task *t, json_object *result)
{
	const char *dir = t->artifact_dir != NULL ? t->artifact_dir : ".";
	json_object *list;
	int dirfd, rc = 0;

	if (!json_object_object_get_ex(result, "artifacts", &list))
		return t->artifacts_len > 0 ? cli_fail("artifacts", "the service answered none (does it take artifacts?)") : 0;
	if (!json_object_is_type(list, json_type_array))
		return cli_fail("artifacts", "not a list");
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return cli_fail("artifacts", "%s: %s", dir, strerror(errno));
	for (size_t i = 0; rc == 0 && i < json_object_array_length(list); i++)
		rc = write_artifact(dirfd, dir, json_object_array_get_idx(list, i));
	close(dirfd);
	return rc;
}

/* The result line: artifacts written, then the exit status it stands for. */
static int finish_result(const remote_task *t, json_object *result)
{
	json_object *v;
	int code = -1, timed_out = 0;

	if (json_object_object_get_ex(result, "exitCode", &v))
		code = json_object_get_int(v);
	if (json_object_object_get_ex(result, "timedOut", &v))
		timed_out = json_object_get_boolean(v);
	if (t->verbose)
		fprintf(stderr, "ecs-run: task %s: exit %d%s\n",
			member_string(result, "taskId") ? member_string(result, "taskId") : "?", code,
			timed_out ? " (timed out)" : "");
	if (write_artifacts(t, result) != 0)
		return EXIT_ECS;
	if (timed_out)
		return EXIT_TIMEDOUT;
	return code >= 0 && code <= 255 ? code : EXIT_ECS;
}

/* https://host:port + /v1.1/tasks, one slash between. */
static char *tasks_url(const char *endpoint)
{
	size_t n = strlen(endpoint);
	char *url;

	while (n > 0 && endpoint[n - 1] == '/')
		n--;
	url = malloc(n + sizeof("/v1.1/tasks"));
	if (url != NULL)
		sprintf(url, "%.*s/v1.1/tasks", (int)n, endpoint);
	return url;
}

int remote_run(const remote_task *t, volatile sig_atomic_t *interrupted)
{
	char why[512], err[CURL_ERROR_SIZE] = "";
	struct curl_slist *headers = NULL;
	transfer x;
	char *body, *url = NULL;
	long status = 0;
	CURLcode cc;
	int rc = EXIT_ECS;

	memset(&x, 0, sizeof(x));
	remote_answer_init(&x.answer, stdout, stderr);
	x.interrupted = interrupted;
	body = remote_body(t, why, sizeof(why));
	if (body == NULL)
		return cli_fail("files", "%s", why);
	url = tasks_url(t->endpoint);
	x.curl = curl_easy_init();
	headers = curl_slist_append(headers, "Content-Type: application/json");
	if (headers != NULL)
		headers = curl_slist_append(headers, "Accept: application/x-ndjson");
	if (url == NULL || x.curl == NULL || headers == NULL) {
		rc = cli_fail("setup", "out of memory");
		goto out;
	}
	curl_easy_setopt(x.curl, CURLOPT_URL, url);
	curl_easy_setopt(x.curl, CURLOPT_PROTOCOLS_STR, "https,http");
	curl_easy_setopt(x.curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(x.curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
	curl_easy_setopt(x.curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(x.curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(x.curl, CURLOPT_WRITEDATA, &x);
	curl_easy_setopt(x.curl, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(x.curl, CURLOPT_XFERINFODATA, &x);
	curl_easy_setopt(x.curl, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(x.curl, CURLOPT_ERRORBUFFER, err);
	curl_easy_setopt(x.curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(x.curl, CURLOPT_USERAGENT, "ecs-run/" PACKAGE_VERSION);
	if (t->cacert != NULL)
		curl_easy_setopt(x.curl, CURLOPT_CAINFO, t->cacert);
	if (t->cert != NULL)
		curl_easy_setopt(x.curl, CURLOPT_SSLCERT, t->cert);
	if (t->key != NULL)
		curl_easy_setopt(x.curl, CURLOPT_SSLKEY, t->key);
	if (t->basic_user != NULL) {
		curl_easy_setopt(x.curl, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
		curl_easy_setopt(x.curl, CURLOPT_USERNAME, t->basic_user);
		curl_easy_setopt(x.curl, CURLOPT_PASSWORD, t->basic_secret ? t->basic_secret : "");
	}
	if (t->verbose)
		fprintf(stderr, "ecs-run: POST %s (%zu bytes)\n", url, strlen(body));
	cc = curl_easy_perform(x.curl);
	curl_easy_getinfo(x.curl, CURLINFO_RESPONSE_CODE, &status);
	if (*interrupted) {
		fputs("ecs-run: interrupted; the service cancels the task\n", stderr);
		rc = 128 + (int)*interrupted;
		goto out;
	}
	if (x.streaming && x.answer.failed) {
		rc = cli_fail("service", "the answer broke off: %s", x.answer.why);
		goto out;
	}
	if (cc != CURLE_OK) {
		rc = cli_fail("connection", "%s: %s", t->endpoint, err[0] ? err : curl_easy_strerror(cc));
		goto out;
	}
	if (!x.decided)
		decide(&x);
	if (!x.streaming) {
		json_object *doc = x.error_body != NULL ? json_tokener_parse(x.error_body) : NULL;

		if (doc != NULL && json_object_is_type(doc, json_type_object))
			rc = report_error(doc, status);
		else
			rc = cli_fail("service", "HTTP %ld without the streamed answer%s%.200s", status,
				 x.error_body ? ": " : "", x.error_body ? x.error_body : "");
		json_object_put(doc);
		goto out;
	}
	if (remote_answer_finish(&x.answer) != 0)
		rc = cli_fail("service", "%s", x.answer.why);
	else if (x.answer.error != NULL)
		rc = report_error(x.answer.error, 0);
	else
		rc = finish_result(t, x.answer.result);
out:
	remote_answer_clear(&x.answer);
	curl_slist_free_all(headers);
	if (x.curl != NULL)
		curl_easy_cleanup(x.curl);
	free(x.error_body);
	free(url);
	free(body);
	return rc;
}
