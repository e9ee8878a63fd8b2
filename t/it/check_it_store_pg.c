/*
 * check_it_store_pg.c - the store's PostgreSQL driver (fcgi-app/store_pg.c)
 * through the seam (store_db.h), on a real server: ECS_TEST_PG_DSN (the
 * bootstrap starts one with scripts/pg.sh). Skipped (exit 77) without it.
 *
 * Each test works in a table of its own, named after the process, dropped
 * by the fixture's teardown.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "clock.h"
#include "store_db.h"

static const char *dsn;
static char table[64];
static store_db *a, *b; /* two connections: two nodes, or two threads of one */
static char err[512];

static store_db *connect_one(void)
{
	store_db *db = NULL;

	err[0] = '\0';
	ck_assert_msg(store_db_open(&db, STORE_DB_POSTGRESQL, dsn, err, sizeof(err)) == STORE_DB_OK, "open: %s", err);
	ck_assert_int_eq(store_db_kind_of(db), STORE_DB_POSTGRESQL);
	return db;
}

/* sql - @fmt with the table's name put in, run on @db without parameters;
 * returns its STORE_DB_* code. */
static int sql(store_db *db, const char *fmt)
{
	char q[512];

	snprintf(q, sizeof(q), fmt, table, table);
	return store_db_exec(db, q, NULL, 0, NULL, NULL, NULL, err, sizeof(err));
}

static void setup(void)
{
	snprintf(table, sizeof(table), "check_it_store_pg_%ld", (long)getpid());
	a = connect_one();
	b = connect_one();
	ck_assert_msg(sql(a, "DROP TABLE IF EXISTS %s") == STORE_DB_OK, "%s", err);
	ck_assert_msg(sql(a, "CREATE TABLE %s (id TEXT PRIMARY KEY, n BIGINT, note TEXT)") == STORE_DB_OK, "%s", err);
}

static void teardown(void)
{
	store_db *c = connect_one();

	sql(c, "DROP TABLE IF EXISTS %s");
	store_db_close(c);
	store_db_close(a);
	store_db_close(b);
	a = b = NULL;
}

/* What the row callback saw. */
typedef struct {
	int rows, cols, stop_after;
	char first[3][64];
	int first_null[3];
} seen;

static int on_row(void *arg, int n, const char *const *cols)
{
	seen *s = arg;

	if (s->rows == 0) {
		s->cols = n;
		for (int i = 0; i < n && i < 3; i++) {
			s->first_null[i] = cols[i] == NULL;
			snprintf(s->first[i], sizeof(s->first[i]), "%s", cols[i] != NULL ? cols[i] : "");
		}
	}
	s->rows++;
	return s->stop_after > 0 && s->rows >= s->stop_after;
}

/* insert - one row through text parameters ($N native, NULL is SQL NULL). */
static int insert(store_db *db, const char *id, const char *n, const char *note, long *changed)
{
	const char *p[] = { id, n, note };
	char q[256];

	snprintf(q, sizeof(q), "INSERT INTO %s (id, n, note) VALUES ($1, CAST($2 AS BIGINT), $3)", table);
	return store_db_exec(db, q, p, 3, NULL, NULL, changed, err, sizeof(err));
}

START_TEST(test_store_pg_params_rows_and_changes)
{
	const char *p[] = { "5" };
	seen s = { 0 };
	long changed = -1;
	char q[256];

	ck_assert_int_eq(insert(a, "t1", "7", "it's \"quoted\"; DROP TABLE x", &changed), STORE_DB_OK);
	ck_assert_int_eq(changed, 1);
	ck_assert_int_eq(insert(a, "t2", "9", NULL, NULL), STORE_DB_OK);
	ck_assert_int_eq(insert(a, "t3", "11", "c", NULL), STORE_DB_OK);

	/* rows come back as text, NULL as NULL, in the order asked */
	snprintf(q, sizeof(q), "SELECT id, n, note FROM %s WHERE n > CAST($1 AS BIGINT) ORDER BY n", table);
	ck_assert_msg(store_db_exec(a, q, p, 1, on_row, &s, &changed, err, sizeof(err)) == STORE_DB_OK, "%s", err);
	ck_assert_int_eq(s.rows, 3);
	ck_assert_int_eq(s.cols, 3);
	ck_assert_str_eq(s.first[0], "t1");
	ck_assert_str_eq(s.first[1], "7");
	ck_assert_str_eq(s.first[2], "it's \"quoted\"; DROP TABLE x");
	ck_assert_int_eq(changed, 0); /* a SELECT changes nothing */

	/* the callback stops the rows; the query still succeeds */
	memset(&s, 0, sizeof(s));
	s.stop_after = 1;
	ck_assert_int_eq(store_db_exec(a, q, p, 1, on_row, &s, NULL, err, sizeof(err)), STORE_DB_OK);
	ck_assert_int_eq(s.rows, 1);

	/* NULL parameter and column */
	memset(&s, 0, sizeof(s));
	snprintf(q, sizeof(q), "SELECT note, id FROM %s WHERE id = 't2'", table);
	ck_assert_int_eq(store_db_exec(a, q, NULL, 0, on_row, &s, NULL, err, sizeof(err)), STORE_DB_OK);
	ck_assert_int_eq(s.rows, 1);
	ck_assert(s.first_null[0]);
	ck_assert(!s.first_null[1]);

	/* UPDATE ... RETURNING: its rows and its count */
	memset(&s, 0, sizeof(s));
	snprintf(q, sizeof(q), "UPDATE %s SET note = 'u' WHERE n >= 9 RETURNING id", table);
	ck_assert_int_eq(store_db_exec(a, q, NULL, 0, on_row, &s, &changed, err, sizeof(err)), STORE_DB_OK);
	ck_assert_int_eq(s.rows, 2);
	ck_assert_int_eq(changed, 2);

	/* a syntax error is an error, said in one line */
	ck_assert_int_eq(store_db_exec(a, "SELEC 1", NULL, 0, NULL, NULL, NULL, err, sizeof(err)), STORE_DB_ERROR);
	ck_assert_msg(strstr(err, "syntax") != NULL, "%s", err);
	ck_assert_ptr_null(strchr(err, '\n'));
}
END_TEST

START_TEST(test_store_pg_unique_violation_is_conflict)
{
	ck_assert_int_eq(insert(a, "k", "1", NULL, NULL), STORE_DB_OK);
	ck_assert_int_eq(insert(b, "k", "2", NULL, NULL), STORE_DB_CONFLICT);
	/* ON CONFLICT DO NOTHING is no conflict: nothing changed */
	{
		char q[256];
		long changed = -1;

		snprintf(q, sizeof(q), "INSERT INTO %s (id) VALUES ('k') ON CONFLICT DO NOTHING", table);
		ck_assert_int_eq(store_db_exec(b, q, NULL, 0, NULL, NULL, &changed, err, sizeof(err)), STORE_DB_OK);
		ck_assert_int_eq(changed, 0);
	}
}
END_TEST

/* raise - an error of SQLSTATE @state raised by the server itself. */
static int raise(store_db *db, const char *state)
{
	char q[256];

	snprintf(q, sizeof(q), "DO $$ BEGIN RAISE EXCEPTION 'planted' USING ERRCODE = '%s'; END $$", state);
	return store_db_exec(db, q, NULL, 0, NULL, NULL, NULL, err, sizeof(err));
}

START_TEST(test_store_pg_sqlstates_map_to_codes)
{
	ck_assert_int_eq(raise(a, "40001"), STORE_DB_BUSY);   /* serialization_failure */
	ck_assert_int_eq(raise(a, "40P01"), STORE_DB_BUSY);   /* deadlock_detected */
	ck_assert_int_eq(raise(a, "55P03"), STORE_DB_BUSY);   /* lock_not_available */
	ck_assert_int_eq(raise(a, "23505"), STORE_DB_CONFLICT);
	ck_assert_int_eq(raise(a, "23503"), STORE_DB_ERROR);  /* another integrity error */
	ck_assert_int_eq(raise(a, "P0001"), STORE_DB_ERROR);
	ck_assert_msg(strstr(err, "planted") != NULL, "%s", err);
}
END_TEST

START_TEST(test_store_pg_lock_nowait_is_busy_skip_locked_skips)
{
	seen s = { 0 };
	char q[256];

	ck_assert_int_eq(insert(a, "x", "1", NULL, NULL), STORE_DB_OK);
	ck_assert_int_eq(insert(a, "y", "2", NULL, NULL), STORE_DB_OK);
	ck_assert_int_eq(store_db_begin(a, 1, err, sizeof(err)), STORE_DB_OK);
	snprintf(q, sizeof(q), "SELECT id FROM %s WHERE id = 'x' FOR UPDATE", table);
	ck_assert_int_eq(store_db_exec(a, q, NULL, 0, NULL, NULL, NULL, err, sizeof(err)), STORE_DB_OK);

	/* a real lock conflict (not a planted one) */
	ck_assert_int_eq(store_db_begin(b, 1, err, sizeof(err)), STORE_DB_OK);
	snprintf(q, sizeof(q), "SELECT id FROM %s WHERE id = 'x' FOR UPDATE NOWAIT", table);
	ck_assert_int_eq(store_db_exec(b, q, NULL, 0, NULL, NULL, NULL, err, sizeof(err)), STORE_DB_BUSY);
	ck_assert_int_eq(store_db_rollback(b), STORE_DB_OK);

	/* what store_claim relies on: another node skips the locked row */
	ck_assert_int_eq(store_db_begin(b, 1, err, sizeof(err)), STORE_DB_OK);
	snprintf(q, sizeof(q), "SELECT id FROM %s ORDER BY n FOR UPDATE SKIP LOCKED", table);
	ck_assert_int_eq(store_db_exec(b, q, NULL, 0, on_row, &s, NULL, err, sizeof(err)), STORE_DB_OK);
	ck_assert_int_eq(s.rows, 1);
	ck_assert_str_eq(s.first[0], "y");
	ck_assert_int_eq(store_db_commit(b, err, sizeof(err)), STORE_DB_OK);
	ck_assert_int_eq(store_db_commit(a, err, sizeof(err)), STORE_DB_OK);
}
END_TEST

/* count - rows in the table, seen from @db. */
static int count(store_db *db)
{
	seen s = { 0 };
	char q[128];

	snprintf(q, sizeof(q), "SELECT count(*) FROM %s", table);
	ck_assert_msg(store_db_exec(db, q, NULL, 0, on_row, &s, NULL, err, sizeof(err)) == STORE_DB_OK, "%s", err);
	return atoi(s.first[0]);
}

START_TEST(test_store_pg_transactions)
{
	ck_assert_int_eq(store_db_begin(a, 1, err, sizeof(err)), STORE_DB_OK);
	ck_assert_int_eq(insert(a, "r", "1", NULL, NULL), STORE_DB_OK);
	ck_assert_int_eq(count(b), 0); /* not committed: invisible elsewhere */
	ck_assert_int_eq(store_db_rollback(a), STORE_DB_OK);
	ck_assert_int_eq(count(a), 0);

	ck_assert_int_eq(store_db_begin(a, 0, err, sizeof(err)), STORE_DB_OK);
	ck_assert_int_eq(insert(a, "c", "1", NULL, NULL), STORE_DB_OK);
	ck_assert_int_eq(store_db_commit(a, err, sizeof(err)), STORE_DB_OK);
	ck_assert_int_eq(count(b), 1);

	/* an error inside a transaction: its COMMIT must not pass for one */
	ck_assert_int_eq(store_db_begin(a, 1, err, sizeof(err)), STORE_DB_OK);
	ck_assert_int_eq(insert(a, "d", "1", NULL, NULL), STORE_DB_OK);
	ck_assert_int_eq(insert(a, "c", "1", NULL, NULL), STORE_DB_CONFLICT);
	ck_assert_int_eq(store_db_commit(a, err, sizeof(err)), STORE_DB_ERROR);
	ck_assert_msg(strstr(err, "rolled back") != NULL, "%s", err);
	ck_assert_int_eq(count(b), 1);
	/* and the connection is usable afterwards */
	ck_assert_int_eq(insert(a, "e", "1", NULL, NULL), STORE_DB_OK);
	ck_assert_int_eq(count(b), 2);
}
END_TEST

/* notify - NOTIFY @channel with @payload from @db. */
static void notify(store_db *db, const char *channel, const char *payload)
{
	const char *p[] = { channel, payload };

	ck_assert_msg(store_db_exec(db, "SELECT pg_notify($1, $2)", p, 2, NULL, NULL, NULL, err, sizeof(err)) == STORE_DB_OK,
		      "%s", err);
}

START_TEST(test_store_pg_listen_wait_notify)
{
	char payload[16];
	long long t0;
	int rc;

	/* waiting without LISTEN is a mistake, said at once */
	ck_assert_int_eq(store_db_wait(a, 1000, payload, sizeof(payload), err, sizeof(err)), STORE_DB_ERROR);

	ck_assert_msg(store_db_listen(a, "ecs_cancel", err, sizeof(err)) == STORE_DB_OK, "%s", err);
	/* a timeout is bounded and empty */
	t0 = ecs_clock_ms();
	ck_assert_int_eq(store_db_wait(a, 200, payload, sizeof(payload), err, sizeof(err)), 0);
	ck_assert_int_ge(ecs_clock_ms() - t0, 190);
	ck_assert_int_lt(ecs_clock_ms() - t0, 2000);

	/* sent before the wait: still delivered, payload cut to the buffer */
	notify(b, "ecs_cancel", "task-0123456789abcdef");
	rc = store_db_wait(a, 5000, payload, sizeof(payload), err, sizeof(err));
	ck_assert_msg(rc == 1, "wait: %d %s", rc, err);
	ck_assert_str_eq(payload, "task-0123456789");

	/* another channel does not wake it */
	notify(b, "other_channel", "nope");
	ck_assert_int_eq(store_db_wait(a, 100, payload, sizeof(payload), err, sizeof(err)), 0);

	/* one after the other, in order */
	notify(b, "ecs_cancel", "one");
	notify(b, "ecs_cancel", "two");
	ck_assert_int_eq(store_db_wait(a, 5000, payload, sizeof(payload), err, sizeof(err)), 1);
	ck_assert_str_eq(payload, "one");
	ck_assert_int_eq(store_db_wait(a, 5000, payload, sizeof(payload), err, sizeof(err)), 1);
	ck_assert_str_eq(payload, "two");

	/* a channel name is an identifier, quoted, never SQL */
	ck_assert_msg(store_db_listen(b, "odd\"; DROP TABLE x; --", err, sizeof(err)) == STORE_DB_OK, "%s", err);
	notify(a, "odd\"; DROP TABLE x; --", "q");
	ck_assert_int_eq(store_db_wait(b, 5000, payload, sizeof(payload), err, sizeof(err)), 1);
	ck_assert_str_eq(payload, "q");
}
END_TEST

/* kill_backend_of - @victim's server process terminated from @killer, as
 * a server restart or a network cut would end it. */
static void kill_backend_of(store_db *victim, store_db *killer)
{
	seen s = { 0 }, k = { 0 };
	const char *p[1];

	ck_assert_int_eq(store_db_exec(victim, "SELECT pg_backend_pid()", NULL, 0, on_row, &s, NULL, err, sizeof(err)),
			 STORE_DB_OK);
	p[0] = s.first[0];
	ck_assert_int_eq(store_db_exec(killer, "SELECT pg_terminate_backend(CAST($1 AS INTEGER))", p, 1, on_row, &k,
				       NULL, err, sizeof(err)),
			 STORE_DB_OK);
	ck_assert_str_eq(k.first[0], "t");
}

START_TEST(test_store_pg_lost_connection)
{
	char payload[64];
	long long t0;
	int rc;

	/* the call that finds it gone fails, and so does every later one: the
	 * driver never reconnects behind the pool's back (a transaction's
	 * writes would be gone without its owner knowing) */
	ck_assert_int_eq(store_db_begin(a, 1, err, sizeof(err)), STORE_DB_OK);
	ck_assert_int_eq(insert(a, "tx", "1", NULL, NULL), STORE_DB_OK);
	kill_backend_of(a, b);
	ck_assert_int_eq(insert(a, "tx2", "1", NULL, NULL), STORE_DB_ERROR);
	ck_assert_int_eq(insert(a, "tx3", "1", NULL, NULL), STORE_DB_ERROR);
	ck_assert_msg(strstr(err, "lost") != NULL, "%s", err);
	ck_assert_int_eq(store_db_rollback(a), STORE_DB_ERROR);
	ck_assert_int_eq(store_db_begin(a, 1, err, sizeof(err)), STORE_DB_ERROR);
	ck_assert_int_eq(count(b), 0);
	/* what store.c's pool does: close it, open another */
	store_db_close(a);
	a = connect_one();
	ck_assert_int_eq(insert(a, "after", "1", NULL, NULL), STORE_DB_OK);
	ck_assert_int_eq(count(b), 1);

	/* a listening connection: the wait says so, bounded, and is not reset */
	ck_assert_int_eq(store_db_listen(a, "ecs_cancel", err, sizeof(err)), STORE_DB_OK);
	kill_backend_of(a, b);
	t0 = ecs_clock_ms();
	rc = store_db_wait(a, 5000, payload, sizeof(payload), err, sizeof(err));
	ck_assert_int_eq(rc, STORE_DB_ERROR);
	ck_assert_int_lt(ecs_clock_ms() - t0, 4000);
	ck_assert_int_eq(store_db_wait(a, 100, payload, sizeof(payload), err, sizeof(err)), STORE_DB_ERROR);
}
END_TEST

/* app_name - the application_name the server sees for @db. */
static void app_name(store_db *db, char *out, size_t size)
{
	seen s = { 0 };

	ck_assert_int_eq(store_db_exec(db, "SELECT current_setting('application_name')", NULL, 0, on_row, &s, NULL, err,
				       sizeof(err)),
			 STORE_DB_OK);
	snprintf(out, size, "%s", s.first[0]);
}

START_TEST(test_store_pg_dsn_overrides_defaults)
{
	store_db *db = NULL;
	char q[512], name[64];

	/* the driver's own defaults ... */
	app_name(a, name, sizeof(name));
	ck_assert_str_eq(name, "ecs-fcgi");
	/* ... give way to what the operator's DSN says */
	snprintf(q, sizeof(q), "%s application_name=fleet-node connect_timeout=3 keepalives_idle=60", dsn);
	ck_assert_msg(store_db_open(&db, STORE_DB_POSTGRESQL, q, err, sizeof(err)) == STORE_DB_OK, "%s", err);
	app_name(db, name, sizeof(name));
	ck_assert_str_eq(name, "fleet-node");
	store_db_close(db);
}
END_TEST

START_TEST(test_store_pg_open_failures)
{
	store_db *db = (store_db *)&db;
	long long t0 = ecs_clock_ms();

	/* nothing listens on port 1: refused at once, with the reason */
	ck_assert_int_eq(store_db_open(&db, STORE_DB_POSTGRESQL, "host=127.0.0.1 port=1 dbname=ecs user=ecs", err,
				       sizeof(err)),
			 STORE_DB_ERROR);
	ck_assert_ptr_null(db);
	ck_assert_msg(strstr(err, "connect") != NULL, "%s", err);
	ck_assert_int_lt(ecs_clock_ms() - t0, 5000);

	ck_assert_int_eq(store_db_open(&db, STORE_DB_POSTGRESQL, "", err, sizeof(err)), STORE_DB_ERROR);
	ck_assert_int_eq(store_db_open(&db, STORE_DB_POSTGRESQL, "not a = conninfo '", err, sizeof(err)),
			 STORE_DB_ERROR);
	ck_assert_ptr_null(db);
	store_db_close(NULL);
}
END_TEST

static Suite *store_pg_suite(void)
{
	Suite *s = suite_create("store_pg");
	TCase *tc = tcase_create("driver");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_store_pg_params_rows_and_changes);
	tcase_add_test(tc, test_store_pg_unique_violation_is_conflict);
	tcase_add_test(tc, test_store_pg_sqlstates_map_to_codes);
	tcase_add_test(tc, test_store_pg_lock_nowait_is_busy_skip_locked_skips);
	tcase_add_test(tc, test_store_pg_transactions);
	tcase_add_test(tc, test_store_pg_listen_wait_notify);
	tcase_add_test(tc, test_store_pg_lost_connection);
	tcase_add_test(tc, test_store_pg_dsn_overrides_defaults);
	tcase_add_test(tc, test_store_pg_open_failures);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr;
	int failed;

	dsn = getenv("ECS_TEST_PG_DSN");
	if (dsn == NULL || dsn[0] == '\0') {
		printf("check_it_store_pg: skipped: ECS_TEST_PG_DSN is not set (scripts/pg.sh start DIR PORT)\n");
		return 77;
	}
	sr = srunner_create(store_pg_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
