/*
 * check_fcgi_callback.c - where a callback may go: callback_allow parsed,
 * URLs judged against it (the attacks first), addresses judged, the keys
 * of ecs.conf, and the signature against a known vector.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>
#include <curl/curl.h>

#include "callback.h"
#include "callback_sign.h"
#include "callback_url.h"
#include "conf.h"

#define SECRET "0123456789abcdef-secret"

static char path[64], secret_path[64];

static void setup(void)
{
	int fd;

	snprintf(path, sizeof(path), "/tmp/check_fcgi_callback.XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	close(fd);
	snprintf(secret_path, sizeof(secret_path), "/tmp/check_fcgi_callback_secret.XXXXXX");
	fd = mkstemp(secret_path);
	ck_assert_int_ge(fd, 0);
	close(fd);
}

static void teardown(void)
{
	unlink(path);
	unlink(secret_path);
}

static void write_file(const char *p, const char *text)
{
	FILE *f = fopen(p, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

static config *load(const char *text, int want, char *err, size_t errlen)
{
	config *c = NULL;

	write_file(path, text);
	ck_assert_msg(config_load(&c, path, err, errlen) == want, "config_load: %s", err);
	return c;
}

/* The stack of the attacks: names and addresses an operator allowed. */
static const char *allow_conf =
	"[ecs]\nauth = client-cert+basic\n"
	"callback_allow = allowed.example, https://hooks.example:8443 http://plain.example:8080,"
	" localhost, http://127.0.0.1:8615, [::1]:8616, 10.0.0.5, [0:0:0:0:0:0:0:2]\n"
	"callback_secret = " SECRET "\n"
	"[client:other]\nimages = ecs/busybox:*\n"
	"callback_secret = another-secret-of-16\n";

static config *attack_config(void)
{
	char err[512];

	return load(allow_conf, 0, err, sizeof(err));
}

/* @url must be refused by callback_check with @needle in the reason. */
static void refused(const config *c, const char *url, const char *needle)
{
	char why[512] = "";
	int rc = callback_check(c, NULL, url, why, sizeof(why));

	ck_assert_msg(rc == -1, "%s: allowed (rc %d)", url, rc);
	ck_assert_msg(strstr(why, needle) != NULL, "%s: '%s' lacks '%s'", url, why, needle);
}

static void judged(const config *c, const char *url, const char *host, int port, int https)
{
	char why[512] = "";
	callback_url u;

	ck_assert_msg(callback_url_judge(&u, &c->callbacks, url, why, sizeof(why)) == 0, "%s: %s", url, why);
	ck_assert_str_eq(u.host, host);
	ck_assert_int_eq(u.port, port);
	ck_assert_int_eq(u.https, https);
}

START_TEST(test_callback_allow_parses_entries)
{
	static const struct { const char *word, *host; int port, http, address; } ok[] = {
		{ "allowed.example", "allowed.example", 443, 0, 0 },
		{ "HTTP://Example.COM", "example.com", 80, 1, 0 },
		{ "https://hooks.example:8443", "hooks.example", 8443, 0, 0 },
		{ "http://127.0.0.1:8615", "127.0.0.1", 8615, 1, 1 },
		{ "[0:0:0:0:0:0:0:1]:8616", "::1", 8616, 0, 1 },
		{ "[::FFFF:127.0.0.1]", "::ffff:127.0.0.1", 443, 0, 1 },
		{ "a-b.c9.example", "a-b.c9.example", 443, 0, 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		callback_allow_entry e;
		char why[256] = "";

		ck_assert_msg(callback_allow_parse_entry(&e, ok[i].word, why, sizeof(why)) == 0, "%s: %s", ok[i].word, why);
		ck_assert_str_eq(e.host, ok[i].host);
		ck_assert_int_eq(e.port, ok[i].port);
		ck_assert_int_eq(e.http, ok[i].http);
		ck_assert_int_eq(e.is_address, ok[i].address);
		free(e.host);
	}
}
END_TEST

START_TEST(test_callback_allow_refuses_globs_paths_and_numbers)
{
	static const char *const bad[] = {
		"*.example.com", "allowed.example/path", "allowed.example:0", "allowed.example:65536",
		"allowed.example:", "allowed.example:80x", "user@allowed.example", "ftp://allowed.example",
		"allowed.example.", "-a.example", "a..example", "a-.example", "[::1", "[::1]x", "::1",
		"[fe80::1%eth0]", "2130706433", "0x7f.1", "1.2.3", "127.1", "0177.0.0.1", "", "https://",
		"a_b.example", "ex\xc3\xa4mple.com",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		callback_allow_entry e;
		char why[256] = "";
		int rc = callback_allow_parse_entry(&e, bad[i], why, sizeof(why));

		ck_assert_msg(rc == -1, "'%s' accepted", bad[i]);
		ck_assert_msg(why[0] != '\0', "'%s': no reason", bad[i]);
	}
}
END_TEST

START_TEST(test_callback_allow_key_in_config)
{
	char err[512];
	config *c = attack_config();

	ck_assert_uint_eq(c->callbacks.allow_len, 8);
	ck_assert_str_eq(c->callbacks.allow[2].host, "plain.example");
	ck_assert_int_eq(c->callbacks.allow[2].http, 1);
	ck_assert_str_eq(c->callbacks.secret, SECRET);
	ck_assert_uint_eq(c->callbacks.retry_for_s, 3600);
	ck_assert_uint_eq(c->callbacks.timeout_s, 10);
	ck_assert_str_eq(callback_secret_for(c, config_find_client(c, NULL, "other")), "another-secret-of-16");
	ck_assert_str_eq(callback_secret_for(c, NULL), SECRET);
	config_free(c);
	ck_assert_ptr_null(load("[ecs]\ncallback_allow = *.example.com\n", -1, err, sizeof(err)));
	ck_assert_msg(strstr(err, ":2:") != NULL && strstr(err, "*.example.com") != NULL, "%s", err);
	ck_assert_ptr_null(load("[ecs]\ncallback_secret = short\n", -1, err, sizeof(err)));
	ck_assert_msg(strstr(err, "16 to 4096 bytes") != NULL, "%s", err);
	ck_assert_ptr_null(load("[ecs]\ncallback_timeout = 0\n", -1, err, sizeof(err)));
	ck_assert_ptr_null(load("[ecs]\ncallback_retry_for = 604801\n", -1, err, sizeof(err)));
	ck_assert_ptr_null(load("[ecs]\nauth = basic\n[client:x]\nimages = ecs/busybox:*\ncallback_secret = tiny\n", -1, err, sizeof(err)));
	ck_assert_ptr_null(load("[ecs]\ncallback_ca_file = /nonexistent/ca.pem\n", -1, err, sizeof(err)));
	c = load("[ecs]\ncallback_timeout = 3\ncallback_retry_for = 60\n", 0, err, sizeof(err));
	ck_assert_uint_eq(c->callbacks.timeout_s, 3);
	ck_assert_uint_eq(c->callbacks.retry_for_s, 60);
	config_free(c);
}
END_TEST

/* A secret others can read signs anyone's forgeries: such a file stops start-up. */
START_TEST(test_callback_secret_file_mode)
{
	char text[256], err[512];
	config *c;

	write_file(secret_path, SECRET "-from-file\n");
	snprintf(text, sizeof(text), "[ecs]\ncallback_secret_file = %s\n", secret_path);
	ck_assert_int_eq(chmod(secret_path, 0644), 0);
	ck_assert_ptr_null(load(text, -1, err, sizeof(err)));
	ck_assert_msg(strstr(err, "others cannot read") != NULL, "%s", err);
	ck_assert_int_eq(chmod(secret_path, 0660), 0);
	ck_assert_ptr_null(load(text, -1, err, sizeof(err)));
	ck_assert_int_eq(chmod(secret_path, 0640), 0);
	c = load(text, 0, err, sizeof(err));
	ck_assert_str_eq(c->callbacks.secret, SECRET "-from-file");
	config_free(c);
	ck_assert_int_eq(chmod(secret_path, 0600), 0);
	write_file(secret_path, "short\n");
	ck_assert_ptr_null(load(text, -1, err, sizeof(err)));
}
END_TEST

/* Out of the box nothing is allowed, not even a public host. */
START_TEST(test_callback_check_default_allows_nothing)
{
	config *c = config_defaults();

	ck_assert_ptr_nonnull(c);
	refused(c, "https://allowed.example/hook", "not in callback_allow");
	refused(c, "http://127.0.0.1:8615/", "not in callback_allow");
	config_free(c);
}
END_TEST

/*
 * The attacks of issue 18, each refused with the reason's words. Numbers a
 * resolver reads as IPv4 (decimal, octal, hex, short forms) are read by
 * libcurl as the address they denote: they match only an entry of that
 * very address, never a name's.
 */
static const struct { const char *url, *why; } attacks[] = {
	/* an allowed name that resolves to loopback: the name is not the address */
	{ "https://localhost/", "not a public address" },
	{ "https://LOCALHOST/", "not a public address" },
	/* userinfo */
	{ "https://allowed.example@127.0.0.1:8615/", "user name or password" },
	{ "http://allowed.example:x@127.0.0.1:8615/", "user name or password" },
	{ "https://127.0.0.1:8615@allowed.example/", "user name or password" },
	{ "https://allowed.example;o=x@allowed.example/", "" },
	{ "https://allowed.example\\@127.0.0.1:8615/", "" },
	/* names that embed addresses, addresses not listed (or not at this port and scheme) */
	{ "https://127.0.0.1.nip.io/", "not in callback_allow" },
	{ "https://allowed.example.127.0.0.1.nip.io/", "not in callback_allow" },
	{ "https://127.0.0.1/", "not in callback_allow" },
	{ "https://10.0.0.6/", "not in callback_allow" },
	{ "https://169.254.169.254/latest/meta-data/", "not in callback_allow" },
	{ "https://[::ffff:127.0.0.1]:8615/", "not in callback_allow" },
	{ "https://[::ffff:7f00:1]/", "not in callback_allow" },
	{ "https://xn--allowed.example/", "not in callback_allow" },
	/* numbers */
	{ "http://2130706433/", "not in callback_allow" },
	{ "http://0x7f.1/", "not in callback_allow" },
	{ "http://0x7f000001/", "not in callback_allow" },
	{ "http://0177.0.0.1/", "not in callback_allow" },
	{ "http://127.1/", "not in callback_allow" },
	{ "https://2130706433/", "not in callback_allow" },
	{ "https://017700000001/", "not in callback_allow" },
	{ "http://167772165/", "not in callback_allow" },
	{ "https://0xa.0.0.5:80/", "not in callback_allow" },
	/* zones, trailing dots, ports, schemes */
	{ "http://[::1%25lo]:8616/", "zone" },
	{ "https://[fe80::1%25eth0]/", "" },
	{ "https://allowed.example./", "trailing dot" },
	{ "https://allowed.example..", "" },
	{ "https://allowed.example:8443/", "not in callback_allow" },
	{ "https://allowed.example:443.example/", "" },
	{ "http://allowed.example:443/", "plain http" },
	{ "http://hooks.example:8443/", "plain http" },
	{ "http://[0:0::1]:8616/", "plain http" },
	{ "http://allowed.example/", "not in callback_allow" },
	{ "ftp://allowed.example/", "" },
	{ "file:///etc/passwd", "" },
	{ "gopher://allowed.example/", "" },
	{ "//allowed.example/", "" },
	{ "allowed.example", "" },
	{ "https://allowed.example /", "" },
	{ "https://allowed.example\r\nX: y/", "" },
	{ "", "" },
};

START_TEST(test_callback_check_attacks)
{
	config *c = attack_config();
	size_t i;

	for (i = 0; i < sizeof(attacks) / sizeof(attacks[0]); i++)
		refused(c, attacks[i].url, attacks[i].why);
	/* The same host, port and scheme as an entry, however it is written. */
	judged(c, "http://2130706433:8615/", "127.0.0.1", 8615, 0);
	judged(c, "HTTPS://ALLOWED.EXAMPLE/hook?x=1", "allowed.example", 443, 1);
	judged(c, "https://allowed.example:443/", "allowed.example", 443, 1);
	judged(c, "http://plain.example:8080/x", "plain.example", 8080, 0);
	judged(c, "https://plain.example:8080/x", "plain.example", 8080, 1);
	judged(c, "https://[0:0::1]:8616/", "::1", 8616, 1);
	config_free(c);
}
END_TEST

/* What is listed by address goes through without DNS; the secret must exist. */
START_TEST(test_callback_check_listed_addresses_and_secret)
{
	char why[256], err[512];
	config *c = attack_config();

	ck_assert_int_eq(callback_check(c, NULL, "http://127.0.0.1:8615/hook", why, sizeof(why)), 0);
	ck_assert_int_eq(callback_check(c, NULL, "https://[::1]:8616/", why, sizeof(why)), 0);
	ck_assert_int_eq(callback_check(c, NULL, "https://10.0.0.5/", why, sizeof(why)), 0);
	config_free(c);
	c = load("[ecs]\nauth = basic\ncallback_allow = http://127.0.0.1:8615\n[client:x]\nimages = ecs/busybox:*\ncallback_secret = " SECRET "\n", 0, err,
		 sizeof(err));
	refused(c, "http://127.0.0.1:8615/", "no callback_secret");
	ck_assert_int_eq(callback_check(c, config_find_client(c, NULL, "x"), "http://127.0.0.1:8615/", why,
					sizeof(why)), 0);
	config_free(c);
}
END_TEST

static int pub(const char *addr)
{
	struct sockaddr_in6 s6;
	struct sockaddr_in s4;

	memset(&s6, 0, sizeof(s6));
	memset(&s4, 0, sizeof(s4));
	if (inet_pton(AF_INET, addr, &s4.sin_addr) == 1) {
		s4.sin_family = AF_INET;
		return callback_addr_public((struct sockaddr *)&s4);
	}
	ck_assert_int_eq(inet_pton(AF_INET6, addr, &s6.sin6_addr), 1);
	s6.sin6_family = AF_INET6;
	return callback_addr_public((struct sockaddr *)&s6);
}

/* What an allowed name may not resolve to (a rebinding DNS answers these). */
START_TEST(test_callback_addr_public)
{
	static const char *const closed[] = {
		"127.0.0.1", "127.255.255.254", "10.0.0.1", "10.255.255.255", "172.16.0.1", "172.31.255.255",
		"192.168.1.1", "169.254.169.254", "100.64.0.1", "100.127.255.255", "0.0.0.0", "0.1.2.3",
		"224.0.0.1", "239.255.255.250", "255.255.255.255", "240.0.0.1", "192.0.2.1", "198.51.100.7",
		"203.0.113.9", "198.18.0.1", "192.0.0.8",
		"::1", "::", "::ffff:127.0.0.1", "::ffff:10.1.2.3", "::ffff:169.254.169.254", "fe80::1", "fc00::1",
		"fd12:3456::1", "ff02::1", "64:ff9b::7f00:1", "2001:db8::1", "2002:7f00:1::1", "2001::1",
		"::127.0.0.1", "100::1", "fec0::1", "3fff::1",
	};
	static const char *const open[] = {
		"8.8.8.8", "1.1.1.1", "172.32.0.1", "172.15.255.255", "100.128.0.1", "169.253.0.1", "192.169.0.1",
		"11.0.0.1", "223.255.255.255", "::ffff:8.8.8.8", "2606:4700::1111", "2a00:1450:4001::1",
	};
	size_t i;

	for (i = 0; i < sizeof(closed) / sizeof(closed[0]); i++)
		ck_assert_msg(pub(closed[i]) == 0, "%s judged public", closed[i]);
	for (i = 0; i < sizeof(open) / sizeof(open[0]); i++)
		ck_assert_msg(pub(open[i]) == 1, "%s judged not public", open[i]);
}
END_TEST

/* The vector a receiver's own code is checked against (docs/operations.md shows the Python). */
START_TEST(test_callback_sign_known_vector)
{
	static const char body[] = "{\"taskId\":\"t1\",\"status\":\"succeeded\"}";
	char sig[CALLBACK_SIGNATURE_MAX];

	ck_assert_int_eq(callback_sign(sig, sizeof(sig), SECRET, 1765102895LL, body, strlen(body)), 0);
	ck_assert_str_eq(sig, "t=1765102895,v1=81d08138ff74eb2c53f854716c0283303a70389099613572afdf944146d1a539");
	ck_assert_int_eq(callback_sign(sig, 10, SECRET, 1LL, body, strlen(body)), -1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fcgi_callback");
	TCase *tc = tcase_create("callback");
	SRunner *sr;
	int failed;

	curl_global_init(CURL_GLOBAL_ALL);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_callback_allow_parses_entries);
	tcase_add_test(tc, test_callback_allow_refuses_globs_paths_and_numbers);
	tcase_add_test(tc, test_callback_allow_key_in_config);
	tcase_add_test(tc, test_callback_secret_file_mode);
	tcase_add_test(tc, test_callback_check_default_allows_nothing);
	tcase_add_test(tc, test_callback_check_attacks);
	tcase_add_test(tc, test_callback_check_listed_addresses_and_secret);
	tcase_add_test(tc, test_callback_addr_public);
	tcase_add_test(tc, test_callback_sign_known_vector);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	curl_global_cleanup();
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
