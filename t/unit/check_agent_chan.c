/*
 * Unit tests of the host side of an agent's direct channel (agent_chan.h):
 * the directory and socket modes, that a process that is not the
 * container's PID 1 is turned away (the attack: a host user or another
 * process racing the agent to the socket, to read the task's request), and
 * that nothing is left to connect to once the wait is over.
 */
#include <config.h>

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent_chan.h"
#include "agent_proto.h"
#include "clock.h"

/* 64 hex digits: what a container's id looks like */
#define SOME_ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static char dir[64];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/check_agent_chan.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
	ck_assert_int_eq(rmdir(dir), 0); /* the test left nothing in it */
}

static int connect_to(const char *path)
{
	struct sockaddr_un sa;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

START_TEST(test_chan_modes)
{
	ecs_agent_chan *ch = NULL;
	char sock[256];
	struct stat st;

	ck_assert_int_eq(ecs_agent_chan_listen(&ch, dir, "c1"), 0);
	ck_assert_int_eq(stat(ecs_agent_chan_dir(ch), &st), 0);
	/* the agent (a uid without capabilities over files) passes; nobody lists */
	ck_assert_uint_eq(st.st_mode & 07777, 0711);
	snprintf(sock, sizeof(sock), "%s/c1/a", dir);
	ck_assert_int_eq(stat(sock, &st), 0);
	ck_assert(S_ISSOCK(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 0777, 0666);
	ecs_agent_chan_free(ch);
	ck_assert_int_eq(stat(sock, &st), -1);
	snprintf(sock, sizeof(sock), "%s/c1", dir);
	ck_assert_int_eq(stat(sock, &st), -1);
}
END_TEST

/* The attack: this process connects first. It is no container's PID 1: turned away, then nothing is left. */
START_TEST(test_chan_turns_away_others)
{
	ecs_agent_chan *ch = NULL;
	char sock[256], byte;
	long long t0;
	int c, fd;

	ck_assert_int_eq(ecs_agent_chan_listen(&ch, dir, "c2"), 0);
	snprintf(sock, sizeof(sock), "%s/c2/a", dir);
	c = connect_to(sock);
	ck_assert_int_ge(c, 0);
	t0 = ecs_clock_ms();
	fd = ecs_agent_chan_accept(ch, SOME_ID, t0 + 300);
	ck_assert_int_eq(fd, -1);
	/* it waited for the agent until the deadline, not only until the impostor came */
	ck_assert_int_ge(ecs_clock_ms() - t0, 300);
	/* the impostor's connection was closed unread */
	ck_assert_int_eq(read(c, &byte, 1), 0);
	close(c);
	/* and no one can connect any more */
	ck_assert_int_eq(connect_to(sock), -1);
	ecs_agent_chan_free(ch);
}
END_TEST

START_TEST(test_chan_proc_says)
{
	/* this process: PID 1 of no namespace */
	ck_assert_int_eq(ecs_agent_chan_proc_says(getpid(), SOME_ID), 0);
	/* the host's PID 1 is PID 1 of the initial namespace only, and in no container */
	ck_assert_int_eq(ecs_agent_chan_proc_says(1, SOME_ID), 0);
	ck_assert_int_eq(ecs_agent_chan_proc_says(0, SOME_ID), 0);
	ck_assert_int_eq(ecs_agent_chan_proc_says(-5, SOME_ID), 0);
	/* a short or non-hex id could be part of another container's */
	ck_assert_int_eq(ecs_agent_chan_proc_says(getpid(), "0123456789ab"), 0);
	ck_assert_int_eq(ecs_agent_chan_proc_says(getpid(), ""), 0);
	ck_assert_int_eq(ecs_agent_chan_proc_says(getpid(), "/" SOME_ID), 0);
}
END_TEST

START_TEST(test_chan_peer_ok)
{
	pid_t gone = fork();

	ck_assert_int_ge(gone, 0);
	if (gone == 0)
		_exit(0);
	ck_assert_int_eq(waitpid(gone, NULL, 0), gone);
	/* not the agent's ids: never, whatever /proc says */
	ck_assert_int_eq(ecs_agent_chan_peer_ok(getpid(), getuid(), getgid(), SOME_ID), 0);
	ck_assert_int_eq(ecs_agent_chan_peer_ok(gone, 0, 0, SOME_ID), 0);
	ck_assert_int_eq(ecs_agent_chan_peer_ok(gone, ECS_AGENT_UID, 0, SOME_ID), 0);
	/* the agent's ids, and /proc shows a process that is not the container's PID 1 */
	ck_assert_int_eq(ecs_agent_chan_peer_ok(getpid(), ECS_AGENT_UID, ECS_AGENT_UID, SOME_ID), 0);
	/* the agent's ids, and /proc does not show the process (ProtectProc=invisible): the ids decide */
	ck_assert_int_eq(ecs_agent_chan_peer_ok(gone, ECS_AGENT_UID, ECS_AGENT_UID, SOME_ID), 1);
	/* a peer in another pid namespace has no pid for us */
	ck_assert_int_eq(ecs_agent_chan_peer_ok(0, ECS_AGENT_UID, ECS_AGENT_UID, SOME_ID), 0);
}
END_TEST

START_TEST(test_chan_refuses_long_path)
{
	ecs_agent_chan *ch = (ecs_agent_chan *)&ch;
	char name[128];

	memset(name, 'x', sizeof(name) - 1);
	name[sizeof(name) - 1] = 0;
	errno = 0;
	ck_assert_int_eq(ecs_agent_chan_listen(&ch, dir, name), -1);
	ck_assert_int_eq(errno, ENAMETOOLONG);
	ck_assert_ptr_null(ch);
}
END_TEST

START_TEST(test_chan_missing_dir)
{
	ecs_agent_chan *ch = NULL;
	char gone[128];

	snprintf(gone, sizeof(gone), "%s/nope", dir);
	ck_assert_int_eq(ecs_agent_chan_listen(&ch, gone, "c3"), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_ptr_null(ch);
	ecs_agent_chan_free(NULL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("agent_chan");
	TCase *tc = tcase_create("chan");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_chan_modes);
	tcase_add_test(tc, test_chan_turns_away_others);
	tcase_add_test(tc, test_chan_proc_says);
	tcase_add_test(tc, test_chan_peer_ok);
	tcase_add_test(tc, test_chan_refuses_long_path);
	tcase_add_test(tc, test_chan_missing_dir);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
