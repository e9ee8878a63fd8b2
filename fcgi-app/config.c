/*
 * config.c - reading ecs.conf.
 *
 * iniparser reads the values; it does not report unknown keys, duplicates or
 * line numbers, and it lowercases section names (a certificate subject is
 * case-sensitive), so we also scan the file ourselves: the scan knows each
 * key's line and each section's name as written, and every error names the
 * line. Unknown keys and bad values stop start-up.
 */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <iniparser.h>
#include <ecs/ecs.h>

#include "conf.h"
#include "value.h"
#include "image_match.h"
#include "registries.h"
#include "sandbox.h"

/* One "key = value" line (or section header, key NULL) as the scan saw it. */
typedef struct {
	int line;
	char *section;   /* as written, trimmed */
	char *key;       /* lowercased, trimmed; NULL for a section header */
} scan_entry;

typedef struct {
	scan_entry *v;
	size_t len;
	size_t cap;
} scan_list;

static void scan_free(scan_list *s)
{
	size_t i;

	for (i = 0; i < s->len; i++) {
		free(s->v[i].section);
		free(s->v[i].key);
	}
	free(s->v);
	memset(s, 0, sizeof(*s));
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static int scan_add(scan_list *s, int line, const char *section, const char *key)
{
	scan_entry *e;

	if (s->len == s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 32;
		scan_entry *nv = realloc(s->v, ncap * sizeof(*nv));

		if (nv == NULL)
			return -2;
		s->v = nv;
		s->cap = ncap;
	}
	e = &s->v[s->len];
	e->line = line;
	e->section = strdup(section);
	e->key = key ? strdup(key) : NULL;
	if (e->section == NULL || (key && e->key == NULL)) {
		free(e->section);
		free(e->key);
		return -2;
	}
	s->len++;
	return 0;
}

/* Lines as iniparser sees them: comments, [section], key = value, and a
 * trailing backslash continuing a line. */
static int scan_file(scan_list *out, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char buf[1100], *line = NULL;
	char section[1024] = "";
	int lineno = 0, first = 0, rc = 0;
	size_t used = 0;

	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(buf, sizeof(buf), f) != NULL) {
		size_t n = strlen(buf);
		char *l, *nl;

		lineno++;
		if (n == sizeof(buf) - 1 && buf[n - 1] != '\n') {
			snprintf(err, errlen, "%s:%d: line too long", path, lineno);
			rc = -1;
			goto out;
		}
		while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
			buf[--n] = '\0';
		if (used == 0)
			first = lineno;
		nl = realloc(line, used + n + 1);
		if (nl == NULL) {
			rc = -2;
			goto out;
		}
		line = nl;
		memcpy(line + used, buf, n + 1);
		used += n;
		if (used > 0 && line[used - 1] == '\\') {
			line[--used] = '\0';
			continue;
		}
		used = 0;
		l = trim(line);
		if (*l == '\0' || *l == ';' || *l == '#')
			continue;
		if (*l == '[') {
			char *close = strchr(l, ']');

			if (close == NULL || close[1] != '\0') {
				snprintf(err, errlen, "%s:%d: syntax error: a section header is '[name]'", path, first);
				rc = -1;
				goto out;
			}
			*close = '\0';
			snprintf(section, sizeof(section), "%s", trim(l + 1));
			if (section[0] == '\0') {
				snprintf(err, errlen, "%s:%d: syntax error: empty section name", path, first);
				rc = -1;
				goto out;
			}
			if ((rc = scan_add(out, first, section, NULL)) != 0)
				goto out;
			continue;
		}
		{
			char *eq = strchr(l, '='), *k, *p;

			if (eq == NULL) {
				snprintf(err, errlen, "%s:%d: syntax error: expected 'key = value' or '[section]'", path, first);
				rc = -1;
				goto out;
			}
			*eq = '\0';
			k = trim(l);
			if (*k == '\0') {
				snprintf(err, errlen, "%s:%d: syntax error: missing key before '='", path, first);
				rc = -1;
				goto out;
			}
			if (section[0] == '\0') {
				snprintf(err, errlen, "%s:%d: key '%s' outside any section (start with [ecs])", path, first, k);
				rc = -1;
				goto out;
			}
			for (p = k; *p; p++)
				*p = (char)tolower((unsigned char)*p);
			if ((rc = scan_add(out, first, section, k)) != 0)
				goto out;
		}
	}
	if (ferror(f)) {
		snprintf(err, errlen, "%s: read error", path);
		rc = -1;
	}
out:
	free(line);
	fclose(f);
	return rc;
}

/* iniparser reports its own syntax errors through a callback; keep the text. */
static char ini_errbuf[512];

static int ini_error(const char *fmt, ...)
{
	va_list ap;
	size_t used = strlen(ini_errbuf);
	int n;

	va_start(ap, fmt);
	n = vsnprintf(ini_errbuf + used, sizeof(ini_errbuf) - used, fmt, ap);
	va_end(ap);
	return n;
}

const char *config_auth_name(auth_mode m)
{
	switch (m) {
	case AUTH_MODE_CLIENT_CERT: return "client-cert";
	case AUTH_MODE_BASIC: return "basic";
	case AUTH_MODE_CLIENT_CERT_BASIC: return "client-cert+basic";
	case AUTH_MODE_NONE: return "none";
	}
	return "?";
}

int config_auth_has_basic(auth_mode m)
{
	return m == AUTH_MODE_BASIC || m == AUTH_MODE_CLIENT_CERT_BASIC;
}

/* ---- defaults */

config *config_defaults(void)
{
	config *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->log_level = LOG_LEVEL_INFO;
	c->endpoint = strdup(ECS_ENGINE_DEFAULT_ENDPOINT);
	c->connect_timeout_ms = 5000;
	c->request_timeout_ms = 30000;
	c->workers = 64;
	/* A quarter of the default pool: one client cannot hold every worker. */
	c->max_client_tasks = 16;
	c->auth = AUTH_MODE_CLIENT_CERT;
	c->trusted_probe = 1;
	/* A dead engine takes the node out of a balancer within 4 s (two checks). */
	c->engine_check_interval_s = 2;
	c->body_limit = 5 * 1024;
	c->default_timeout_s = 60;
	c->caps.max_timeout_s = 600;
	/* Safe when nothing is configured: libecs's sandbox defaults. */
	c->caps.max_memory = ECS_SANDBOX_DEFAULT_MEMORY;
	c->caps.max_cpus = (double)ECS_SANDBOX_DEFAULT_NANO_CPUS / 1e9;
	c->caps.max_pids = ECS_SANDBOX_DEFAULT_PIDS;
	c->caps.max_nofile = ECS_SANDBOX_DEFAULT_NOFILE;
	sandbox_conf_init(&c->sandbox);
	if (pool_conf_init(&c->pool) != 0) {
		config_free(c);
		return NULL;
	}
	c->stdout_cap = 1024 * 1024;
	c->stderr_cap = 1024 * 1024;
	c->pull_policy = ECS_PULL_IF_NOT_PRESENT;
	c->backend = ECS_TASK_BACKEND_LOCAL;
	c->pull_timeout_s = 300;
	c->default_network = strdup(ECS_SANDBOX_DEFAULT_NETWORK);
	c->sweep_interval_s = 300;
	c->sweep_min_age_s = 60;
	c->instance_dir = strdup(ECS_INSTANCE_DIR_DEFAULT);
	c->shutdown_grace_s = 30;
	if (c->endpoint == NULL || c->default_network == NULL ||
	    value_split_words(&c->allowed_networks, &c->allowed_networks_len, "none bridge") != 0 ||
	    registries_defaults(c) != 0 || registries_finish(c) != 0 ||
	    /* gVisor is stricter than any default runtime: asking for it never loosens. */
	    value_split_words(&c->sandbox.allowed_runtimes, &c->sandbox.allowed_runtimes_len, "runsc") != 0) {
		config_free(c);
		return NULL;
	}
	return c;
}

void config_free(config *c)
{
	size_t i;

	if (c == NULL)
		return;
	free(c->path);
	free(c->endpoint);
	free(c->engine_ca_file);
	free(c->instance_dir);
	free(c->engine_cert_file);
	free(c->engine_key_file);
	free(c->default_network);
	value_free_words(c->allowed_networks, c->allowed_networks_len);
	for (i = 0; i < c->clients_len; i++) {
		free(c->clients[i].name);
		image_parts_free_array(c->clients[i].patterns, c->clients[i].images_len);
		value_free_words(c->clients[i].images, c->clients[i].images_len);
		sandbox_conf_clear(&c->clients[i].sandbox);
	}
	sandbox_conf_clear(&c->sandbox);
	pool_conf_clear(&c->pool);
	free(c->clients);
	registries_free(c);
	free(c);
}

/* ---- applying one key */

#define BAD(what) do { snprintf(why, whylen, "%s", what); return -1; } while (0)

static int set_str(char **dst, const char *v)
{
	char *s = strdup(v);

	if (s == NULL)
		return -2;
	free(*dst);
	*dst = s;
	return 0;
}

/* Shared by [ecs] and [client ...]: max_client_tasks. */
static int parse_client_tasks(int *out, const char *v, char *why, size_t whylen)
{
	long long n;

	if (value_parse_uint(&n, v, 0, 4096) != 0)
		BAD("expected a number of tasks between 0 (no cap) and 4096");
	*out = (int)n;
	return 0;
}

/*
 * A limit: a whole number or size within libecs's bounds, or "unlimited".
 * 0 is refused: it meant "no cap" before limits had safe defaults, and
 * reading it as a limit or as none would each surprise someone.
 */
static int parse_limit(int64_t *out, const char *v, int is_size, int64_t min, int64_t max, const char *range,
		char *why, size_t whylen)
{
	long long n;
	int64_t sz;

	if (strcmp(v, "unlimited") == 0) {
		*out = LIMIT_UNLIMITED;
		return 0;
	}
	if (strcmp(v, "0") == 0)
		BAD("0 is not a limit (it used to mean none): write unlimited, or leave the key out for the default");
	if (is_size) {
		if (value_parse_size(&sz, v) != 0 || sz < min || sz > max) {
			snprintf(why, whylen, "expected a size %s, such as 512M, or unlimited", range);
			return -1;
		}
		*out = sz;
		return 0;
	}
	if (value_parse_uint(&n, v, min, max) != 0) {
		snprintf(why, whylen, "expected a whole number %s, or unlimited", range);
		return -1;
	}
	*out = n;
	return 0;
}

/* Shared by [ecs] and [client ...]: the limit caps. 1 = not a cap key. */
static int apply_cap(limit_caps *caps, const char *key, const char *v, char *why, size_t whylen)
{
	long long n;

	if (strcmp(key, "max_timeout") == 0) {
		if (value_parse_uint(&n, v, 1, 86400) != 0)
			BAD("expected whole seconds between 1 and 86400");
		caps->max_timeout_s = (long)n;
	} else if (strcmp(key, "max_memory") == 0) {
		return parse_limit(&caps->max_memory, v, 1, ECS_SANDBOX_MEMORY_MIN, ECS_SANDBOX_MEMORY_MAX,
				"from 6M (the engine's minimum) to 1P", why, whylen);
	} else if (strcmp(key, "max_cpus") == 0) {
		if (strcmp(v, "unlimited") == 0) {
			caps->max_cpus = LIMIT_UNLIMITED;
			return 0;
		}
		if (value_parse_cpus(&caps->max_cpus, v) != 0 || caps->max_cpus < 0.01)
			BAD("expected a number of CPUs from 0.01 to 1024, such as 1.5, or unlimited");
	} else if (strcmp(key, "max_pids") == 0) {
		return parse_limit(&caps->max_pids, v, 0, ECS_SANDBOX_PIDS_MIN, ECS_SANDBOX_PIDS_MAX,
				"from 2 (the container's init and the task) to 4194304", why, whylen);
	} else if (strcmp(key, "max_nofile") == 0) {
		return parse_limit(&caps->max_nofile, v, 0, ECS_SANDBOX_NOFILE_MIN, ECS_SANDBOX_NOFILE_MAX,
				"from 16 to 1048576", why, whylen);
	} else {
		return 1;
	}
	return 0;
}

static int apply_ecs(config *c, const char *key, const char *v, char *why, size_t whylen)
{
	long long n;
	int64_t sz;
	int rc;

	{
		int pr = pool_conf_apply_ecs(&c->pool, key, v, why, whylen);

		if (pr <= 0)
			return pr;
	}
	rc = apply_cap(&c->caps, key, v, why, whylen);
	if (rc <= 0)
		return rc;
	rc = sandbox_conf_apply(&c->sandbox, key, v, why, whylen);
	if (rc <= 0)
		return rc;
	rc = registries_apply(c, key, v, why, whylen);
	if (rc <= 0)
		return rc;
	if (strcmp(key, "log_level") == 0) {
		if (strcasecmp(v, "debug") == 0)
			c->log_level = LOG_LEVEL_DEBUG;
		else if (strcasecmp(v, "info") == 0)
			c->log_level = LOG_LEVEL_INFO;
		else if (strcasecmp(v, "warning") == 0 || strcasecmp(v, "warn") == 0)
			c->log_level = LOG_LEVEL_WARNING;
		else if (strcasecmp(v, "error") == 0 || strcasecmp(v, "critical") == 0)
			c->log_level = LOG_LEVEL_ERROR;
		else
			BAD("expected debug, info, warning or error");
	} else if (strcmp(key, "docker_remote_api") == 0) {
		if (strncmp(v, "unix:///", 8) != 0 && strncmp(v, "http://", 7) != 0 && strncmp(v, "https://", 8) != 0)
			BAD("expected unix:///path, http://host:port or https://host:port");
		return set_str(&c->endpoint, v);
	} else if (strcmp(key, "docker_remote_api_connect_timeout") == 0) {
		if (value_parse_uint(&n, v, 1, 600000) != 0)
			BAD("expected milliseconds between 1 and 600000");
		c->connect_timeout_ms = (long)n;
	} else if (strcmp(key, "docker_remote_api_request_timeout") == 0) {
		if (value_parse_uint(&n, v, 1, 3600000) != 0)
			BAD("expected milliseconds between 1 and 3600000");
		c->request_timeout_ms = (long)n;
	} else if (strcmp(key, "max_concurrent_executing_http_requests") == 0) {
		if (value_parse_uint(&n, v, 1, 4096) != 0)
			BAD("expected a number of workers between 1 and 4096");
		c->workers = (int)n;
	} else if (strcmp(key, "max_client_tasks") == 0) {
		return parse_client_tasks(&c->max_client_tasks, v, why, whylen);
	} else if (strcmp(key, "auth") == 0) {
		if (strcmp(v, "client-cert") == 0)
			c->auth = AUTH_MODE_CLIENT_CERT;
		else if (strcmp(v, "basic") == 0)
			c->auth = AUTH_MODE_BASIC;
		else if (strcmp(v, "client-cert+basic") == 0)
			c->auth = AUTH_MODE_CLIENT_CERT_BASIC;
		else if (strcmp(v, "none") == 0)
			c->auth = AUTH_MODE_NONE;
		else
			BAD("expected client-cert, basic, client-cert+basic or none");
	} else if (strcmp(key, "trusted_probe") == 0) {
		if (value_parse_bool(&c->trusted_probe, v) != 0)
			BAD("expected yes or no");
	} else if (strcmp(key, "engine_check_interval") == 0) {
		if (value_parse_uint(&n, v, 0, 3600) != 0)
			BAD("expected whole seconds between 0 (no background check) and 3600");
		c->engine_check_interval_s = (unsigned int)n;
	} else if (strcmp(key, "body_limit") == 0) {
		if (value_parse_size(&sz, v) != 0 || sz < 64 || sz > 64 * 1024 * 1024)
			BAD("expected a size between 64 and 64M, such as 5K");
		c->body_limit = (size_t)sz;
	} else if (strcmp(key, "default_timeout") == 0) {
		if (value_parse_uint(&n, v, 1, 86400) != 0)
			BAD("expected whole seconds between 1 and 86400");
		c->default_timeout_s = (long)n;
	} else if (strcmp(key, "stdout_cap") == 0 || strcmp(key, "stderr_cap") == 0) {
		if (value_parse_size(&sz, v) != 0 || sz < 1 || sz > 256 * 1024 * 1024)
			BAD("expected a size between 1 and 256M, such as 1M");
		if (key[3] == 'o')
			c->stdout_cap = (size_t)sz;
		else
			c->stderr_cap = (size_t)sz;
	} else if (strcmp(key, "pull_policy") == 0) {
		if (strcmp(v, "if-not-present") == 0)
			c->pull_policy = ECS_PULL_IF_NOT_PRESENT;
		else if (strcmp(v, "always") == 0)
			c->pull_policy = ECS_PULL_ALWAYS;
		else if (strcmp(v, "never") == 0)
			c->pull_policy = ECS_PULL_NEVER;
		else
			BAD("expected if-not-present, always or never");
	} else if (strcmp(key, "backend") == 0) {
		if (strcmp(v, "local") == 0)
			c->backend = ECS_TASK_BACKEND_LOCAL;
		else if (strcmp(v, "swarm") == 0)
			c->backend = ECS_TASK_BACKEND_SWARM;
		else
			BAD("expected local or swarm");
	} else if (strcmp(key, "pull_timeout") == 0) {
		if (value_parse_uint(&n, v, 1, 86400) != 0)
			BAD("expected whole seconds between 1 and 86400");
		c->pull_timeout_s = (long)n;
	} else if (strcmp(key, "default_network") == 0) {
		if (strcmp(v, "none") != 0 && strcmp(v, "bridge") != 0)
			BAD("expected none or bridge");
		return set_str(&c->default_network, v);
	} else if (strcmp(key, "allowed_networks") == 0) {
		char **w;
		size_t wl, i;

		if (value_split_words(&w, &wl, v) != 0)
			return -2;
		for (i = 0; i < wl; i++)
			if (strcmp(w[i], "none") != 0 && strcmp(w[i], "bridge") != 0)
				break;
		if (wl == 0 || i < wl) {
			value_free_words(w, wl);
			BAD("expected a list of none and/or bridge");
		}
		value_free_words(c->allowed_networks, c->allowed_networks_len);
		c->allowed_networks = w;
		c->allowed_networks_len = wl;
	} else if (strcmp(key, "sweep_interval") == 0 || strcmp(key, "sweep_min_age") == 0 ||
		   strcmp(key, "shutdown_grace") == 0) {
		/* 0 would mean "libecs's default" to the reaper's timer but "no
		 * minimum" to the start-up sweep: refuse it for sweep_min_age. */
		long long min = strcmp(key, "sweep_min_age") == 0 ? 1 : 0;

		if (value_parse_uint(&n, v, min, 86400) != 0) {
			snprintf(why, whylen, "expected whole seconds between %lld and 86400", min);
			return -1;
		}
		if (strcmp(key, "sweep_interval") == 0)
			c->sweep_interval_s = (unsigned int)n;
		else if (strcmp(key, "sweep_min_age") == 0)
			c->sweep_min_age_s = (unsigned int)n;
		else
			c->shutdown_grace_s = (unsigned int)n;
	} else if (strcmp(key, "instance_dir") == 0) {
		if (v[0] != '/') {
			snprintf(why, whylen, "expected an absolute directory");
			return -1;
		}
		return set_str(&c->instance_dir, v);
	} else if (strcmp(key, "engine_ca_file") == 0 || strcmp(key, "engine_cert_file") == 0 ||
		   strcmp(key, "engine_key_file") == 0) {
		char **dst = strcmp(key, "engine_ca_file") == 0 ? &c->engine_ca_file :
			     strcmp(key, "engine_cert_file") == 0 ? &c->engine_cert_file : &c->engine_key_file;

		if (access(v, R_OK) != 0) {
			snprintf(why, whylen, "cannot read '%s': %s", v, strerror(errno));
			return -1;
		}
		return set_str(dst, v);
	} else {
		snprintf(why, whylen, "unknown key");
		return 1;
	}
	return 0;
}

/* Each pattern parses (image_match.h), so a typo stops start-up; kept
 * parsed, so a request is matched without parsing a pattern again. */
static int parse_patterns(client_rule *r, char *why, size_t whylen)
{
	size_t i;

	image_parts_free_array(r->patterns, r->images_len);
	r->patterns = calloc(r->images_len, sizeof(*r->patterns));
	if (r->patterns == NULL)
		return -2;
	for (i = 0; i < r->images_len; i++) {
		char inner[200];
		int rc = image_pattern_parse(&r->patterns[i], r->images[i], inner, sizeof(inner));

		if (rc == -2)
			return -2;
		if (rc != 0) {
			snprintf(why, whylen, "%s", inner);
			return -1;
		}
	}
	return 0;
}

static int apply_client(client_rule *r, const char *key, const char *v, char *why, size_t whylen)
{
	int rc = apply_cap(&r->caps, key, v, why, whylen);

	if (rc <= 0)
		return rc;
	rc = sandbox_conf_apply(&r->sandbox, key, v, why, whylen);
	if (rc <= 0)
		return rc;
	if (strcmp(key, "images") == 0) {
		image_parts_free_array(r->patterns, r->images_len);
		r->patterns = NULL;
		value_free_words(r->images, r->images_len);
		if (value_split_words(&r->images, &r->images_len, v) != 0)
			return -2;
		if (r->images_len == 0)
			BAD("expected one or more image patterns such as ecs/busybox:*");
		return parse_patterns(r, why, whylen);
	}
	if (strcmp(key, "max_client_tasks") == 0)
		return parse_client_tasks(&r->max_tasks, v, why, whylen);
	return 1;
}

/* "client \"DN\"" or "client:user" -> the name and kind; -1 otherwise. */
static int client_section(char **name, int *by_user, const char *section)
{
	size_t n;

	*name = NULL;
	if (strncasecmp(section, "client:", 7) == 0) {
		const char *u = section + 7;

		while (*u == ' ')
			u++;
		if (*u == '\0')
			return -1;
		*by_user = 1;
		*name = strdup(u);
		return *name ? 0 : -2;
	}
	if (strncasecmp(section, "client", 6) != 0 || section[6] != ' ')
		return -1;
	section += 6;
	while (*section == ' ')
		section++;
	n = strlen(section);
	if (n < 3 || section[0] != '"' || section[n - 1] != '"')
		return -1;
	*by_user = 0;
	*name = strndup(section + 1, n - 2);
	return *name ? 0 : -2;
}

/* A client's limit (set, 0 = not) above the [ecs] one; "unlimited" is above any number. */
static int limit_exceeds(double client, double global)
{
	if (client == 0 || global == LIMIT_UNLIMITED)
		return 0;
	return client == LIMIT_UNLIMITED || client > global;
}

int config_load(config **out, const char *path, char *err, size_t errlen)
{
	scan_list scan = { NULL, 0, 0 };
	dictionary *d = NULL;
	config *c = NULL;
	client_rule *cur = NULL;
	pool_fixed *cur_pool = NULL;
	const char *section = NULL;
	int rc = -1, line_default_network = 0, line_allowed = 0, line_default_timeout = 0, line_backend = 0;
	size_t i, j;
	char why[256];

	*out = NULL;
	err[0] = '\0';
	rc = scan_file(&scan, path, err, errlen);
	if (rc != 0)
		goto out;
	rc = -1;
	ini_errbuf[0] = '\0';
	iniparser_set_error_callback(ini_error);
	d = iniparser_load(path);
	if (d == NULL) {
		char *nl;

		while ((nl = strchr(ini_errbuf, '\n')) != NULL)
			*nl = ' ';
		snprintf(err, errlen, "%s: %s", path, ini_errbuf[0] ? ini_errbuf : "cannot be parsed");
		goto out;
	}
	c = config_defaults();
	if (c == NULL || (c->path = strdup(path)) == NULL) {
		rc = -2;
		goto out;
	}
	for (i = 0; i < scan.len; i++) {
		scan_entry *e = &scan.v[i];
		char lookup[2100];
		const char *v;
		int r;

		if (e->key == NULL) {
			char *name = NULL;
			int by_user = 0;

			section = e->section;
			cur = NULL;
			cur_pool = NULL;
			/* A section may appear only once: iniparser would merge them. */
			for (j = 0; j < i; j++) {
				if (scan.v[j].key == NULL && strcasecmp(scan.v[j].section, e->section) == 0) {
					snprintf(err, errlen, "%s:%d: section [%s] repeated (first at line %d)",
							path, e->line, e->section, scan.v[j].line);
					goto out;
				}
			}
			if (strcasecmp(section, "ecs") == 0)
				continue;
			r = pool_conf_section(&c->pool, section, e->line, &cur_pool, why, sizeof(why));
			if (r == -2) {
				rc = -2;
				goto out;
			}
			if (r == -1) {
				snprintf(err, errlen, "%s:%d: bad section [%s]: %s", path, e->line, section, why);
				goto out;
			}
			if (r == 0)
				continue;
			r = client_section(&name, &by_user, section);
			if (r == -2) {
				rc = -2;
				goto out;
			}
			if (r != 0) {
				snprintf(err, errlen, "%s:%d: unknown section [%s] (expected [ecs], [client \"SUBJECT DN\"], [client:USER] or [pool \"IMAGE\"])",
						path, e->line, section);
				goto out;
			}
			{
				client_rule *nv = realloc(c->clients, (c->clients_len + 1) * sizeof(*nv));

				if (nv == NULL) {
					free(name);
					rc = -2;
					goto out;
				}
				c->clients = nv;
				cur = &c->clients[c->clients_len++];
				memset(cur, 0, sizeof(*cur));
				cur->name = name;
				cur->by_user = by_user;
				cur->max_tasks = -1;
				cur->line = e->line;
				sandbox_conf_init(&cur->sandbox);
			}
			continue;
		}
		for (j = 0; j < i; j++) {
			if (scan.v[j].key != NULL && strcmp(scan.v[j].key, e->key) == 0 &&
			    strcasecmp(scan.v[j].section, e->section) == 0) {
				snprintf(err, errlen, "%s:%d: key '%s' repeated in [%s] (first at line %d)",
						path, e->line, e->key, e->section, scan.v[j].line);
				goto out;
			}
		}
		snprintf(lookup, sizeof(lookup), "%s:%s", e->section, e->key);
		v = iniparser_getstring(d, lookup, NULL);
		if (v == NULL) {
			snprintf(err, errlen, "%s:%d: cannot read the value of '%s'", path, e->line, e->key);
			goto out;
		}
		why[0] = '\0';
		if (cur_pool != NULL)
			r = pool_conf_apply_fixed(cur_pool, e->key, v, why, sizeof(why));
		else if (cur == NULL)
			r = apply_ecs(c, e->key, v, why, sizeof(why));
		else
			r = apply_client(cur, e->key, v, why, sizeof(why));
		if (r == -2) {
			rc = -2;
			goto out;
		}
		if (r == 1) {
			snprintf(err, errlen, "%s:%d: unknown key '%s' in [%s]", path, e->line, e->key, e->section);
			goto out;
		}
		if (r != 0) {
			snprintf(err, errlen, "%s:%d: bad value '%s' for '%s' in [%s]: %s",
					path, e->line, v, e->key, e->section, why);
			goto out;
		}
		if (strcmp(e->key, "default_network") == 0)
			line_default_network = e->line;
		else if (strcmp(e->key, "allowed_networks") == 0)
			line_allowed = e->line;
		else if (strcmp(e->key, "default_timeout") == 0 && cur == NULL)
			line_default_timeout = e->line;
		else if (strcmp(e->key, "backend") == 0 && cur == NULL)
			line_backend = e->line;
	}
	/* Checks across keys name the line of the key that broke them. */
	if (!config_network_allowed(c, c->default_network)) {
		snprintf(err, errlen, "%s:%d: default_network '%s' is not in allowed_networks", path,
				line_default_network ? line_default_network : line_allowed, c->default_network);
		goto out;
	}
	/* A Swarm service cannot choose its runtime (API 1.41): every task would be refused. */
	if (c->backend == ECS_TASK_BACKEND_SWARM) {
		const char *rt = c->sandbox.default_runtime;

		for (i = 0; rt == NULL && i < c->clients_len; i++)
			rt = c->clients[i].sandbox.default_runtime;
		if (rt != NULL) {
			snprintf(err, errlen, "%s:%d: backend = swarm with default_runtime '%s': a service cannot "
				 "choose its runtime; make it the nodes' default-runtime and leave default_runtime unset",
				 path, line_backend, rt);
			goto out;
		}
	}
	/* A lowered max_timeout lowers the built-in default with it; only a
	 * default_timeout written above max_timeout is a contradiction. */
	if (c->caps.max_timeout_s > 0 && c->default_timeout_s > c->caps.max_timeout_s && line_default_timeout == 0)
		c->default_timeout_s = c->caps.max_timeout_s;
	if (c->caps.max_timeout_s > 0 && c->default_timeout_s > c->caps.max_timeout_s) {
		snprintf(err, errlen, "%s:%d: default_timeout %ld exceeds max_timeout %ld", path,
				line_default_timeout, c->default_timeout_s, c->caps.max_timeout_s);
		goto out;
	}
	for (i = 0; i < c->clients_len; i++) {
		client_rule *r = &c->clients[i];
		const char *bad = NULL;

		if (r->images_len == 0)
			bad = "needs an 'images' key";
		else if (r->by_user && !config_auth_has_basic(c->auth))
			/* REMOTE_USER is not read without BASIC: such a section could
			 * only be reached by a forged Authorization header. */
			bad = "is a [client:USER] section, but auth has no basic (REMOTE_USER is ignored)";
		else if (c->caps.max_timeout_s > 0 && r->caps.max_timeout_s > c->caps.max_timeout_s)
			bad = "max_timeout above the [ecs] cap";
		else if (limit_exceeds((double)r->caps.max_memory, (double)c->caps.max_memory))
			bad = "max_memory above the [ecs] cap";
		else if (limit_exceeds(r->caps.max_cpus, c->caps.max_cpus))
			bad = "max_cpus above the [ecs] cap";
		else if (limit_exceeds((double)r->caps.max_pids, (double)c->caps.max_pids))
			bad = "max_pids above the [ecs] cap";
		else if (limit_exceeds((double)r->caps.max_nofile, (double)c->caps.max_nofile))
			bad = "max_nofile above the [ecs] cap";
		if (bad != NULL) {
			snprintf(err, errlen, "%s:%d: client '%s' %s", path, r->line, r->name, bad);
			goto out;
		}
	}
	if (sandbox_check(c, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "%s: %s", path, why);
		goto out;
	}
	if (registries_finish(c) != 0) {
		rc = -2;
		goto out;
	}
	rc = 0;
	*out = c;
	c = NULL;
out:
	if (rc == -2)
		snprintf(err, errlen, "%s: out of memory", path);
	config_free(c);
	if (d != NULL)
		iniparser_freedict(d);
	scan_free(&scan);
	return rc;
}

const client_rule *config_find_client(const config *cfg, const char *dn, const char *user)
{
	size_t i;

	if (dn != NULL && *dn != '\0')
		for (i = 0; i < cfg->clients_len; i++)
			if (!cfg->clients[i].by_user && strcmp(cfg->clients[i].name, dn) == 0)
				return &cfg->clients[i];
	if (user != NULL && *user != '\0')
		for (i = 0; i < cfg->clients_len; i++)
			if (cfg->clients[i].by_user && strcmp(cfg->clients[i].name, user) == 0)
				return &cfg->clients[i];
	return NULL;
}

int config_client_task_limit(const config *cfg, const client_rule *rule)
{
	return rule != NULL && rule->max_tasks >= 0 ? rule->max_tasks : cfg->max_client_tasks;
}

int config_network_allowed(const config *cfg, const char *name)
{
	size_t i;

	for (i = 0; i < cfg->allowed_networks_len; i++)
		if (strcmp(cfg->allowed_networks[i], name) == 0)
			return 1;
	return 0;
}
