/* check_fcgi_config.c - ecs.conf: defaults, every key, and bad lines named by number. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include <ecs/ecs.h>
#include "conf.h"
#include "value.h"

static char path[64];

static void setup(void)
{
	int fd;

	snprintf(path, sizeof(path), "/tmp/check_fcgi_config.XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	close(fd);
}

static void teardown(void)
{
	unlink(path);
}

static void write_conf(const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

/* Loading @text must fail with a message containing @line_tag and @needle. */
static void bad(const char *text, const char *line_tag, const char *needle)
{
	config *c = NULL;
	char err[512], want[128];

	write_conf(text);
	ck_assert_msg(config_load(&c, path, err, sizeof(err)) == -1, "accepted:\n%s", text);
	ck_assert_ptr_null(c);
	snprintf(want, sizeof(want), "%s:%s:", path, line_tag);
	ck_assert_msg(strstr(err, want) != NULL, "'%s' lacks '%s'", err, want);
	ck_assert_msg(strstr(err, needle) != NULL, "'%s' lacks '%s'", err, needle);
}

static config *good(const char *text)
{
	config *c = NULL;
	char err[512];

	write_conf(text);
	ck_assert_msg(config_load(&c, path, err, sizeof(err)) == 0, "refused: %s", err);
	return c;
}

START_TEST(test_config_defaults)
{
	config *c = config_defaults();

	ck_assert_ptr_nonnull(c);
	ck_assert_ptr_null(c->path);
	ck_assert_str_eq(c->endpoint, "unix:///var/run/docker.sock");
	ck_assert_int_eq(c->workers, 64);
	ck_assert_int_eq(c->auth, AUTH_MODE_CLIENT_CERT);
	ck_assert_uint_eq(c->body_limit, 1024 * 1024);  /* 5 KiB until task bodies carried files (issue 17) */
	ck_assert_uint_eq(c->files_cap, 1024 * 1024);
	ck_assert_uint_eq(c->artifacts_cap, 16 * 1024 * 1024);
	ck_assert_str_eq(c->default_network, "none");
	ck_assert_int_eq(c->caps.max_pids, 256);  /* safe when nothing is configured */
	ck_assert_int_eq(c->caps.max_memory, 512 * 1024 * 1024);
	ck_assert_int_eq(config_network_allowed(c, "none"), 1);
	ck_assert_int_eq(config_network_allowed(c, "host"), 0);
	ck_assert_uint_eq(c->shutdown_grace_s, 30);
	ck_assert_uint_eq(c->engine_check_interval_s, 2);  /* a dead engine leaves a balancer within 4 s */
	ck_assert_int_eq(c->log_level, LOG_LEVEL_INFO);
	config_free(c);
}
END_TEST

START_TEST(test_config_empty_file_is_defaults)
{
	config *c = good("# nothing\n\n; still nothing\n");

	ck_assert_str_eq(c->path, path);
	ck_assert_int_eq(c->workers, 64);
	config_free(c);
}
END_TEST

START_TEST(test_config_original_keys)
{
	config *c = good("[ecs]\n"
			"log_level = debug\n"
			"docker_remote_api = http://127.0.0.1:2375\n"
			"docker_remote_api_connect_timeout = 3000\n"
			"docker_remote_api_request_timeout = 300000\n"
			"max_concurrent_executing_http_requests = 8\n");

	ck_assert_int_eq(c->log_level, LOG_LEVEL_DEBUG);
	ck_assert_str_eq(c->endpoint, "http://127.0.0.1:2375");
	ck_assert_int_eq(c->connect_timeout_ms, 3000);
	ck_assert_int_eq(c->request_timeout_ms, 300000);
	ck_assert_int_eq(c->workers, 8);
	config_free(c);
}
END_TEST

START_TEST(test_config_our_keys)
{
	config *c = good("[ecs]\n"
			"auth = client-cert+basic\n"
			"trusted_probe = no\n"
			"engine_check_interval = 0\n"
			"body_limit = 8K\n"
			"files_cap = 4K\n"
			"artifacts_cap = 2M\n"
			"default_timeout = 10\n"
			"max_timeout = 120\n"
			"max_memory = 512M\n"
			"max_cpus = 1.5\n"
			"max_pids = 128\n"
			"stdout_cap = 64K\n"
			"stderr_cap = 1KiB\n"
			"pull_policy = never\n"
			"backend = local\n"
			"pull_timeout = 60\n"
			"default_network = none\n"
			"allowed_networks = none\n"
			"sweep_interval = 0\n"
			"sweep_min_age = 5\n"
			"shutdown_grace = 2 ; inline comment\n");

	ck_assert_int_eq(c->auth, AUTH_MODE_CLIENT_CERT_BASIC);
	ck_assert_int_eq(c->trusted_probe, 0);
	ck_assert_uint_eq(c->engine_check_interval_s, 0);
	ck_assert_uint_eq(c->body_limit, 8192);
	ck_assert_uint_eq(c->files_cap, 4096);
	ck_assert_uint_eq(c->artifacts_cap, 2 * 1024 * 1024);
	ck_assert_int_eq(c->default_timeout_s, 10);
	ck_assert_int_eq(c->caps.max_timeout_s, 120);
	ck_assert_int_eq(c->caps.max_memory, 512LL * 1024 * 1024);
	ck_assert(c->caps.max_cpus == 1.5);
	ck_assert_int_eq(c->caps.max_pids, 128);
	ck_assert_uint_eq(c->stdout_cap, 65536);
	ck_assert_uint_eq(c->stderr_cap, 1024);
	ck_assert_int_eq(c->pull_policy, 2);
	ck_assert_int_eq(c->backend, ECS_TASK_BACKEND_LOCAL);
	ck_assert_int_eq(c->pull_timeout_s, 60);
	ck_assert_str_eq(c->default_network, "none");
	ck_assert_int_eq(config_network_allowed(c, "bridge"), 0);
	ck_assert_uint_eq(c->sweep_interval_s, 0);
	ck_assert_uint_eq(c->sweep_min_age_s, 5);
	ck_assert_uint_eq(c->shutdown_grace_s, 2);
	config_free(c);
}
END_TEST

START_TEST(test_config_backend_swarm)
{
	config *c = good("[ecs]\nbackend = swarm\n");

	ck_assert_int_eq(c->backend, ECS_TASK_BACKEND_SWARM);
	config_free(c);
	/* A service cannot choose its runtime: a default one would refuse every task. */
	bad("[ecs]\nbackend = swarm\ndefault_runtime = runsc\n", "2", "default-runtime");
}
END_TEST

START_TEST(test_config_unknown_key_names_line)
{
	bad("[ecs]\nlog_level = info\n\n# comment\nfoo = bar\n", "5", "unknown key 'foo' in [ecs]");
}
END_TEST

START_TEST(test_config_bad_values_name_line)
{
	bad("[ecs]\nauth = maybe\n", "2", "bad value 'maybe' for 'auth'");
	bad("[ecs]\n\nmax_concurrent_executing_http_requests = 0\n", "3", "max_concurrent_executing_http_requests");
	bad("[ecs]\nbody_limit = 5 parsecs\n", "2", "body_limit");
	bad("[ecs]\nfiles_cap = 0\n", "2", "between 1 and 64M");
	bad("[ecs]\nartifacts_cap = 257M\n", "2", "artifacts_cap");
	bad("[ecs]\ndocker_remote_api = tcp://x:1\n", "2", "docker_remote_api");
	bad("[ecs]\nlog_level = loud\n", "2", "log_level");
	bad("[ecs]\ntrusted_probe = maybe\n", "2", "yes or no");
	bad("[ecs]\nengine_check_interval = 3601\n", "2", "between 0");
	bad("[ecs]\nengine_check_interval = 1.5\n", "2", "between 0");
	bad("[ecs]\nmax_cpus = -1\n", "2", "max_cpus");
	bad("[ecs]\nmax_memory = 1M\n", "2", "6M");
	/* The container's init and the task: a cap of 1 pid runs nothing (issue 22). */
	bad("[ecs]\nmax_pids = 1\n", "2", "from 2");
	bad("[ecs]\npull_policy = sometimes\n", "2", "pull_policy");
	bad("[ecs]\nbackend = elsewhere\n", "2", "backend");
	bad("[ecs]\nallowed_networks = none host\n", "2", "allowed_networks");
	bad("[ecs]\nshutdown_grace = -1\n", "2", "shutdown_grace");
	bad("[ecs]\nsweep_min_age = 0\n", "2", "between 1 and 86400");
	bad("[ecs]\nengine_ca_file = /nonexistent/ca.pem\n", "2", "cannot read");
	bad("[ecs]\ndocker_remote_api_connect_timeout = 1.5\n", "2", "milliseconds");
}
END_TEST

START_TEST(test_config_syntax_errors)
{
	bad("[ecs]\nlog_level info\n", "2", "syntax error");
	bad("[ecs\nlog_level = info\n", "1", "syntax error");
	bad("log_level = info\n", "1", "outside any section");
	bad("[ecs]\n = x\n", "2", "missing key");
	bad("[nginx]\nx = 1\n", "1", "unknown section [nginx]");
}
END_TEST

START_TEST(test_config_repeats)
{
	bad("[ecs]\nauth = none\nauth = basic\n", "3", "repeated");
	bad("[ecs]\n[ecs]\n", "2", "repeated");
}
END_TEST

START_TEST(test_config_cross_key_checks)
{
	bad("[ecs]\nallowed_networks = bridge\n", "2", "default_network 'none' is not in allowed_networks");
	bad("[ecs]\ndefault_network = bridge\nallowed_networks = none\n", "2", "not in allowed_networks");
	bad("[ecs]\nallowed_registries = \n", "2", "one or more registries");
	bad("[ecs]\nallowed_registries = docker.io reg.io/x\n", "2", "'reg.io/x'");
	bad("[ecs]\npublic_registries = bad_host\n", "2", "bad registry host");
	bad("[ecs]\nmax_timeout = 30\ndefault_timeout = 60\n", "3", "exceeds max_timeout");
}
END_TEST

START_TEST(test_config_registries)
{
	config *c = config_defaults();

	ck_assert_uint_eq(c->allowed_registries_len, 1);
	ck_assert_str_eq(c->allowed_registries[0], "docker.io");
	ck_assert_uint_eq(c->public_registries_len, 1);
	ck_assert_str_eq(c->public_registries[0], "docker.io");
	config_free(c);
	/* The hosts [client] patterns name literally are allowed with the list. */
	c = good("[ecs]\nallowed_registries = docker.io 127.0.0.1:5000\npublic_registries =\n"
			"[client \"CN=x\"]\nimages = reg.example.com/ci/*:* *.example.org/x:1 127.0.0.1:5000/a:1\n");
	ck_assert_uint_eq(c->allowed_registries_len, 3);
	ck_assert_str_eq(c->allowed_registries[2], "reg.example.com");
	ck_assert_uint_eq(c->public_registries_len, 0);
	config_free(c);
}
END_TEST

START_TEST(test_config_max_timeout_lowers_default)
{
	config *c = good("[ecs]\nmax_timeout = 10\n");

	ck_assert_int_eq(c->default_timeout_s, 10);
	config_free(c);
}
END_TEST

START_TEST(test_config_clients)
{
	config *c = good("[ecs]\nmax_memory = 1G\nauth = basic\n"
			"[client \"CN=alice,O=Example\"]\nimages = ecs/busybox:* registry.example.com/ci/*\nmax_memory = 256M\n\n"
			"[client:bob]\nimages = ecs/*\n");
	const client_rule *r;

	ck_assert_uint_eq(c->clients_len, 2);
	r = config_find_client(c, "CN=alice,O=Example", NULL);
	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(r->name, "CN=alice,O=Example");  /* case kept */
	ck_assert_int_eq(r->by_user, 0);
	ck_assert_uint_eq(r->images_len, 2);
	ck_assert_str_eq(r->images[1], "registry.example.com/ci/*");
	ck_assert_int_eq(r->caps.max_memory, 256LL * 1024 * 1024);
	ck_assert_ptr_null(config_find_client(c, "cn=alice,o=example", NULL));
	r = config_find_client(c, NULL, "bob");
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(r->by_user, 1);
	ck_assert_ptr_null(config_find_client(c, "CN=bob", "carol"));
	config_free(c);
}
END_TEST

START_TEST(test_config_client_task_limit)
{
	config *c = config_defaults();

	ck_assert_int_eq(config_client_task_limit(c, NULL), 16);
	config_free(c);
	c = good("[ecs]\nauth = basic\nmax_client_tasks = 3\n[client:alice]\nimages = *\n"
		 "[client:bob]\nimages = *\nmax_client_tasks = 10\n[client:carol]\nimages = *\nmax_client_tasks = 0\n");
	ck_assert_int_eq(c->max_client_tasks, 3);
	ck_assert_int_eq(config_client_task_limit(c, NULL), 3);
	ck_assert_int_eq(config_client_task_limit(c, config_find_client(c, NULL, "alice")), 3);
	ck_assert_int_eq(config_client_task_limit(c, config_find_client(c, NULL, "bob")), 10);
	ck_assert_int_eq(config_client_task_limit(c, config_find_client(c, NULL, "carol")), 0);
	config_free(c);
	bad("[ecs]\nmax_client_tasks = -1\n", "2", "max_client_tasks");
	bad("[ecs]\nauth = basic\n[client:a]\nimages = *\nmax_client_tasks = many\n", "5", "between 0 (no cap) and 4096");
}
END_TEST

START_TEST(test_config_bad_clients)
{
	bad("[ecs]\n[client:bob]\nmax_pids = 3\n", "2", "needs an 'images' key");
	bad("[client:bob]\nimages = *\ncolour = red\n", "3", "unknown key 'colour' in [client:bob]");
	bad("[ecs]\nmax_memory = 64M\nauth = basic\n[client:bob]\nimages = *\nmax_memory = 128M\n", "4", "max_memory above the [ecs] cap");
	/* Without BASIC, REMOTE_USER is ignored: a [client:USER] could only be forged. */
	bad("[ecs]\nauth = client-cert\n\n[client:bob]\nimages = *\n", "4", "auth has no basic");
	bad("[client:bob]\nimages = *\n[ecs]\nauth = none\n", "1", "auth has no basic");
	bad("[client \"CN=x\"]\nimages = ecs/x:1 ecs/Busybox:*\n", "2", "bad path segment");
	bad("[client \"CN=x\"]\nimages = ecs/x@sha256\n", "2", "digest pattern");
	bad("[client CN=x]\nimages = *\n", "1", "unknown section");
	bad("[client:]\nimages = *\n", "1", "unknown section");
	bad("[client:bob]\nimages = \n", "2", "image patterns");
}
END_TEST

START_TEST(test_config_missing_file)
{
	config *c = NULL;
	char err[256];

	ck_assert_int_eq(config_load(&c, "/nonexistent/ecs.conf", err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent/ecs.conf"));
	ck_assert_ptr_nonnull(strstr(err, "No such file"));
}
END_TEST

/* Values read as iniparser read them (the files were written for it): quotes
 * kept what lies between them, an inline comment ends an unquoted value. */
START_TEST(test_config_values_quoted_and_commented)
{
	char longline[1200];
	config *c = good("[ecs]\ninstance_dir = \"/tmp/a b;#c\" ; comment\n"
			"pool_agent = '/x/y'\n"
			"default_network = none # comment\n"
			"log_level = \\\n  debug\n");

	ck_assert_str_eq(c->instance_dir, "/tmp/a b;#c");
	ck_assert_str_eq(c->pool.agent, "/x/y");
	ck_assert_str_eq(c->default_network, "none");
	ck_assert_int_eq(c->log_level, LOG_LEVEL_DEBUG);
	config_free(c);
	memset(longline, 'x', sizeof(longline) - 1);
	longline[sizeof(longline) - 1] = '\0';
	memcpy(longline, "[ecs]\nauth = ", 13);
	bad(longline, "2", "too long");
}
END_TEST

START_TEST(test_config_parse_size)
{
	int64_t v;

	ck_assert_int_eq(value_parse_size(&v, "5K"), 0);
	ck_assert_int_eq(v, 5120);
	ck_assert_int_eq(value_parse_size(&v, "2 MiB"), 0);
	ck_assert_int_eq(v, 2 * 1024 * 1024);
	ck_assert_int_eq(value_parse_size(&v, "1g"), 0);
	ck_assert_int_eq(v, 1024LL * 1024 * 1024);
	ck_assert_int_eq(value_parse_size(&v, "100"), 0);
	ck_assert_int_eq(v, 100);
	ck_assert_int_eq(value_parse_size(&v, "-1"), -1);
	ck_assert_int_eq(value_parse_size(&v, "K"), -1);
	ck_assert_int_eq(value_parse_size(&v, "5T"), -1);
	ck_assert_int_eq(value_parse_size(&v, "99999999999999999G"), -1);
}
END_TEST

/* ---- the task store's keys (store_conf.c) */

START_TEST(test_config_store_keys)
{
	config *c = config_defaults();
	const store_conf *d = &c->store;
	char why[256];

	/* The defaults: SQLite at STORE_DEFAULT_PATH, a node name made at start-up. */
	ck_assert_int_eq(d->kind, STORE_DB_SQLITE);
	ck_assert(d->path == NULL && d->dsn == NULL && d->node == NULL);
	ck_assert(d->connections == 4 && d->async_workers == 4 && d->lease_s == 30);
	ck_assert(d->queue_max == 10000 && d->max_client_queued == 1000 && d->result_ttl_s == 86400);
	ck_assert_int_eq(store_conf_check(d, why, sizeof(why)), 0);
	config_free(c);
	c = good("[ecs]\nstore = postgresql\nstore_path = /srv/ecs/tasks.db\n"
		 "store_dsn = host=db.example port=5433 dbname=ecs user=ecs\nstore_connections = 8\n"
		 "async_workers = 0\nqueue_max = 500\nmax_client_queued = 20\nresult_ttl = 3600\n"
		 "store_lease = 9\nnode_name = node-7\n"
		 "auth = basic\n[client:alice]\nimages = *\nmax_client_queued = 5\n[client:bob]\nimages = *\n");
	d = &c->store;
	ck_assert_int_eq(d->kind, STORE_DB_POSTGRESQL);
	ck_assert_str_eq(d->path, "/srv/ecs/tasks.db");
	ck_assert_str_eq(d->dsn, "host=db.example port=5433 dbname=ecs user=ecs");
	ck_assert_str_eq(d->node, "node-7");
	ck_assert(d->connections == 8 && d->async_workers == 0 && d->lease_s == 9);
	ck_assert(d->queue_max == 500 && d->max_client_queued == 20 && d->result_ttl_s == 3600);
	ck_assert_int_eq(config_find_client(c, NULL, "alice")->max_queued, 5);
	ck_assert_int_eq(config_find_client(c, NULL, "bob")->max_queued, -1);  /* inherits */
	config_free(c);
}
END_TEST

START_TEST(test_config_store_bad_values)
{
	config *c = NULL;
	char err[512];

	bad("[ecs]\nstore = mysql\n", "2", "expected sqlite or postgresql");
	bad("[ecs]\nstore = SQLite\n", "2", "expected sqlite or postgresql");
	bad("[ecs]\nstore_path = ecs.db\n", "2", "absolute path");
	bad("[ecs]\nstore_dsn = \n", "2", "conninfo");
	bad("[ecs]\nstore_connections = 0\n", "2", "between 1 and 256");
	bad("[ecs]\nasync_workers = -1\n", "2", "between 0");
	bad("[ecs]\nqueue_max = 0\n", "2", "between 1 and 10000000");
	bad("[ecs]\nmax_client_queued = many\n", "2", "between 1 and 10000000");
	bad("[ecs]\nresult_ttl = 59\n", "2", "between 60");
	bad("[ecs]\nstore_lease = 2\n", "2", "between 3 and 3600");
	bad("[ecs]\nnode_name = \n", "2", "1 to 127 bytes");
	bad("[ecs]\nauth = basic\n[client:alice]\nimages = *\nmax_client_queued = 0\n", "5", "between 1 and");
	/* Keys that agree only together. */
	write_conf("[ecs]\nstore = postgresql\n");
	ck_assert_int_eq(config_load(&c, path, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "store = postgresql needs store_dsn") != NULL, "%s", err);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fcgi_config");
	TCase *tc = tcase_create("config");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_config_defaults);
	tcase_add_test(tc, test_config_empty_file_is_defaults);
	tcase_add_test(tc, test_config_original_keys);
	tcase_add_test(tc, test_config_our_keys);
	tcase_add_test(tc, test_config_backend_swarm);
	tcase_add_test(tc, test_config_unknown_key_names_line);
	tcase_add_test(tc, test_config_bad_values_name_line);
	tcase_add_test(tc, test_config_syntax_errors);
	tcase_add_test(tc, test_config_repeats);
	tcase_add_test(tc, test_config_cross_key_checks);
	tcase_add_test(tc, test_config_max_timeout_lowers_default);
	tcase_add_test(tc, test_config_registries);
	tcase_add_test(tc, test_config_clients);
	tcase_add_test(tc, test_config_client_task_limit);
	tcase_add_test(tc, test_config_bad_clients);
	tcase_add_test(tc, test_config_missing_file);
	tcase_add_test(tc, test_config_values_quoted_and_commented);
	tcase_add_test(tc, test_config_parse_size);
	tcase_add_test(tc, test_config_store_keys);
	tcase_add_test(tc, test_config_store_bad_values);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
