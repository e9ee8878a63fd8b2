/* check_fcgi_metrics.c - the Prometheus text exposition format. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "metrics.h"

static void setup(void)
{
	metrics_reset();
}

/* Every line is a comment (# HELP / # TYPE) or "name{labels} value". */
static void assert_format(const char *text)
{
	const char *line = text;

	ck_assert_msg(text[strlen(text) - 1] == '\n', "must end with a newline");
	while (*line) {
		const char *nl = strchr(line, '\n');
		char buf[512];
		size_t n;

		ck_assert_ptr_nonnull(nl);
		n = (size_t)(nl - line);
		ck_assert_uint_lt(n, sizeof(buf));
		memcpy(buf, line, n);
		buf[n] = '\0';
		if (buf[0] == '#') {
			ck_assert_msg(strncmp(buf, "# HELP ecs_", 11) == 0 || strncmp(buf, "# TYPE ecs_", 11) == 0, "%s", buf);
		} else {
			char *sp = strrchr(buf, ' ');
			char *end;

			ck_assert_msg(strncmp(buf, "ecs_", 4) == 0, "unprefixed: %s", buf);
			ck_assert_ptr_nonnull(sp);
			strtod(sp + 1, &end);
			ck_assert_msg(*end == '\0' && end != sp + 1, "bad value: %s", buf);
		}
		line = nl + 1;
	}
}

START_TEST(test_metrics_empty_render_is_well_formed)
{
	size_t len = 0;
	char *t = metrics_render(&len, NULL, 4);

	ck_assert_ptr_nonnull(t);
	ck_assert_uint_eq(len, strlen(t));
	assert_format(t);
	ck_assert_ptr_nonnull(strstr(t, "# TYPE ecs_http_requests_total counter\n"));
	ck_assert_ptr_nonnull(strstr(t, "ecs_workers 4\n"));
	ck_assert_ptr_nonnull(strstr(t, "ecs_tasks_in_flight 0\n"));
	ck_assert_ptr_null(strstr(t, "ecs_reaper_queue_depth"));
	free(t);
}
END_TEST

START_TEST(test_metrics_requests_by_endpoint_and_status)
{
	size_t len;
	char *t;

	metrics_count_request(ROUTE_TASKS, 201);
	metrics_count_request(ROUTE_TASKS, 201);
	metrics_count_request(ROUTE_HEALTH, 400);
	metrics_count_request(ROUTE_NONE, 404);
	metrics_count_request(ROUTE_NOOP, 418);
	t = metrics_render(&len, NULL, 1);
	assert_format(t);
	ck_assert_ptr_nonnull(strstr(t, "ecs_http_requests_total{endpoint=\"tasks\",status=\"201\"} 2\n"));
	ck_assert_ptr_nonnull(strstr(t, "ecs_http_requests_total{endpoint=\"_health\",status=\"400\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(t, "ecs_http_requests_total{endpoint=\"other\",status=\"404\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(t, "ecs_http_requests_total{endpoint=\"_noop\",status=\"other\"} 1\n"));
	free(t);
}
END_TEST

START_TEST(test_metrics_histograms_are_cumulative)
{
	ecs_task_timings a = { 10, 20, 30, 400, 5, 465 };
	ecs_task_timings b = { 0, 20, 30, 3000, 5, 3055 };
	size_t len;
	char *t;

	metrics_observe_task(&a, 0, 0);
	metrics_observe_task(&b, 1, 137);
	t = metrics_render(&len, NULL, 1);
	assert_format(t);
	ck_assert_ptr_nonnull(strstr(t, "# TYPE ecs_task_duration_seconds histogram\n"));
	ck_assert_ptr_nonnull(strstr(t, "ecs_task_duration_seconds_bucket{le=\"0.25\"} 0\n"));
	ck_assert_ptr_nonnull(strstr(t, "ecs_task_duration_seconds_bucket{le=\"0.5\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(t, "ecs_task_duration_seconds_bucket{le=\"5\"} 2\n"));
	ck_assert_ptr_nonnull(strstr(t, "ecs_task_duration_seconds_bucket{le=\"+Inf\"} 2\n"));
	ck_assert_ptr_nonnull(strstr(t, "ecs_task_duration_seconds_count 2\n"));
	ck_assert_ptr_nonnull(strstr(t, "ecs_task_duration_seconds_sum 3.520000\n"));
	/* A phase that did not happen (pull 0) is not observed. */
	ck_assert_ptr_nonnull(strstr(t, "ecs_task_phase_duration_seconds_count{phase=\"pull\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(t, "ecs_task_phase_duration_seconds_count{phase=\"run\"} 2\n"));
	ck_assert_ptr_nonnull(strstr(t, "ecs_task_phase_duration_seconds_bucket{phase=\"run\",le=\"+Inf\"} 2\n"));
	ck_assert_ptr_nonnull(strstr(t, "ecs_tasks_timed_out_total 1\n"));
	ck_assert_ptr_nonnull(strstr(t, "ecs_tasks_nonzero_exit_total 1\n"));
	free(t);
}
END_TEST

START_TEST(test_metrics_gauges_and_engine_errors)
{
	size_t len;
	char *t;

	metrics_tasks_in_flight_add(1);
	metrics_tasks_in_flight_add(1);
	metrics_tasks_in_flight_add(-1);
	metrics_workers_busy_add(1);
	metrics_engine_error(ECS_EUNAVAILABLE);
	metrics_engine_error(ECS_EUNAVAILABLE);
	metrics_engine_error(ECS_EENGINE);
	metrics_engine_error(-99);
	ck_assert_int_eq(metrics_workers_busy(), 1);
	t = metrics_render(&len, NULL, 2);
	assert_format(t);
	ck_assert_ptr_nonnull(strstr(t, "ecs_tasks_in_flight 1\n"));
	ck_assert_ptr_nonnull(strstr(t, "ecs_workers_busy 1\n"));
	ck_assert_ptr_nonnull(strstr(t, "ecs_engine_errors_total{kind=\"unavailable\"} 2\n"));
	ck_assert_ptr_nonnull(strstr(t, "ecs_engine_errors_total{kind=\"engine\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(t, "ecs_engine_errors_total{kind=\"error\"} 1\n"));
	free(t);
}
END_TEST

START_TEST(test_metrics_reaper_counters)
{
	ecs_reaper_stats rs = { 3, 10, 1, 2, 4, 5, 2, 4, 17, 250.0, 80.5 };
	size_t len;
	char *t = metrics_render(&len, &rs, 1);

	assert_format(t);
	ck_assert_ptr_nonnull(strstr(t, "ecs_reaper_queue_depth 3\n"));
	ck_assert_ptr_nonnull(strstr(t, "ecs_containers_deleted_total 10\n"));
	ck_assert_ptr_nonnull(strstr(t, "ecs_container_deletions_failed_total 1\n"));
	ck_assert_ptr_nonnull(strstr(t, "ecs_orphans_swept_total 4\n"));
	ck_assert_ptr_nonnull(strstr(t, "ecs_sweeps_total 5\n"));
	ck_assert_ptr_nonnull(strstr(t, "ecs_reaper_deleting 2\n"));
	ck_assert_ptr_nonnull(strstr(t, "ecs_reaper_workers 4\n"));
	ck_assert_ptr_nonnull(strstr(t, "ecs_reaper_queue_depth_max 17\n"));
	ck_assert_ptr_nonnull(strstr(t, "ecs_reaper_delete_latency_seconds_sum 0.250000\n"));
	ck_assert_ptr_nonnull(strstr(t, "ecs_reaper_delete_latency_seconds_count 10\n"));
	ck_assert_ptr_nonnull(strstr(t, "ecs_reaper_delete_latency_seconds_max 0.080500\n"));
	free(t);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fcgi_metrics");
	TCase *tc = tcase_create("metrics");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_metrics_empty_render_is_well_formed);
	tcase_add_test(tc, test_metrics_requests_by_endpoint_and_status);
	tcase_add_test(tc, test_metrics_histograms_are_cumulative);
	tcase_add_test(tc, test_metrics_gauges_and_engine_errors);
	tcase_add_test(tc, test_metrics_reaper_counters);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
