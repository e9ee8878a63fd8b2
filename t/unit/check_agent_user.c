/*
 * ecs-agent's resolution of the task's user (agent/user.c): the engine's
 * rules (Docker 20.10 + runc's libcontainer/user), so that a pooled task
 * runs with the uid, gid, groups and HOME of a cold one.
 */
#include <config.h>

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "user.h"

static const char passwd[] =
	"root:x:0:0:root:/root:/bin/sh\n"
	"  nobody:x:65534:65534:nobody:/nonexistent:/bin/false  \n"
	"\n"
	"app:x:1000:1000::/home/app:/bin/sh\n"
	"dup:x:1000:7::/home/dup:/bin/sh\n"
	"short:x:1200\n";
static const char group[] =
	"root:x:0:\n"
	"nogroup:x:65534:\n"
	"staff:x:50:app,nobody\n"
	"wheel:x:10:root\n"
	"audio:x:29:app\n";

static agent_user resolve_ok(const char *spec)
{
	agent_user u;
	int rc = agent_user_resolve(&u, spec, passwd, strlen(passwd), group, strlen(group));

	ck_assert_msg(rc == 0, "%s: %s", spec, agent_user_strerror(rc));
	return u;
}

static int resolve_err(const char *spec, const char *pw, const char *gr)
{
	agent_user u;

	return agent_user_resolve(&u, spec, pw, pw ? strlen(pw) : 0, gr, gr ? strlen(gr) : 0);
}

START_TEST(test_agent_user_default_is_root)
{
	agent_user u = resolve_ok("");

	ck_assert_uint_eq(u.uid, 0);
	ck_assert_uint_eq(u.gid, 0);
	ck_assert_uint_eq(u.ngroups, 2); /* the gid, then "wheel", which lists root */
	ck_assert_uint_eq(u.groups[0], 0);
	ck_assert_uint_eq(u.groups[1], 10);
	ck_assert_str_eq(u.home, "/root");
}
END_TEST

START_TEST(test_agent_user_names_and_groups)
{
	agent_user u = resolve_ok("app");

	ck_assert_uint_eq(u.uid, 1000);
	ck_assert_uint_eq(u.gid, 1000);
	ck_assert_uint_eq(u.ngroups, 3); /* the gid, then file order */
	ck_assert_uint_eq(u.groups[0], 1000);
	ck_assert_uint_eq(u.groups[1], 50);
	ck_assert_uint_eq(u.groups[2], 29);
	ck_assert_str_eq(u.home, "/home/app");
	/* a trimmed line still matches */
	u = resolve_ok("nobody");
	ck_assert_uint_eq(u.uid, 65534);
	ck_assert_str_eq(u.home, "/nonexistent");
	/* an explicit group: its gid, no supplementary groups */
	u = resolve_ok("app:staff");
	ck_assert_uint_eq(u.gid, 50);
	ck_assert_uint_eq(u.ngroups, 1);
	ck_assert_uint_eq(u.groups[0], 50);
	u = resolve_ok("app:4242");
	ck_assert_uint_eq(u.gid, 4242);
	ck_assert_uint_eq(u.ngroups, 1);
}
END_TEST

START_TEST(test_agent_user_numeric)
{
	/* a uid of digits is matched against passwd (first line wins), its name's groups apply */
	agent_user u = resolve_ok("1000");

	ck_assert_uint_eq(u.gid, 1000);
	ck_assert_uint_eq(u.ngroups, 3);
	ck_assert_str_eq(u.home, "/home/app");
	/* not in passwd: stands alone, gid 0, only that group, HOME "/" */
	u = resolve_ok("4000");
	ck_assert_uint_eq(u.uid, 4000);
	ck_assert_uint_eq(u.gid, 0);
	ck_assert_uint_eq(u.ngroups, 1);
	ck_assert_uint_eq(u.groups[0], 0);
	ck_assert_str_eq(u.home, "/");
	u = resolve_ok("4000:4001");
	ck_assert_uint_eq(u.gid, 4001);
	/* a short line: missing fields are empty, HOME "/" */
	u = resolve_ok("short");
	ck_assert_uint_eq(u.uid, 1200);
	ck_assert_uint_eq(u.gid, 0);
	ck_assert_str_eq(u.home, "/");
	/* no files at all */
	ck_assert_int_eq(agent_user_resolve(&u, "65534:65534", NULL, 0, NULL, 0), 0);
	ck_assert_uint_eq(u.uid, 65534);
	ck_assert_uint_eq(u.gid, 65534);
	ck_assert_str_eq(u.home, "/");
}
END_TEST

START_TEST(test_agent_user_refusals)
{
	ck_assert_int_eq(resolve_err("nosuchuser", passwd, group), AGENT_USER_ENOUSER);
	ck_assert_int_eq(resolve_err("nosuchuser", NULL, NULL), AGENT_USER_ENOUSER);
	ck_assert_int_eq(resolve_err("app:nosuchgroup", passwd, group), AGENT_USER_ENOGROUP);
	ck_assert_int_eq(resolve_err("4294967295", passwd, group), AGENT_USER_ERANGE);
	ck_assert_int_eq(resolve_err("99999999999", passwd, group), AGENT_USER_ERANGE);
	ck_assert_int_eq(resolve_err("0:99999999999", passwd, group), AGENT_USER_ERANGE);
	/* too many digits to be a number: a name, and none has it */
	ck_assert_int_eq(resolve_err("9999999999999999999999", passwd, group), AGENT_USER_ENOUSER);
	ck_assert_int_eq(resolve_err(NULL, passwd, group), AGENT_USER_EINVAL);
}
END_TEST

static Suite *user_suite(void)
{
	Suite *s = suite_create("agent_user");
	TCase *tc = tcase_create("resolve");

	tcase_add_test(tc, test_agent_user_default_is_root);
	tcase_add_test(tc, test_agent_user_names_and_groups);
	tcase_add_test(tc, test_agent_user_numeric);
	tcase_add_test(tc, test_agent_user_refusals);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(user_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
