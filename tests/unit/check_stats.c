/*
 * check_stats.c: the counters: ids, add, zero, a corrupt file, and exact
 * totals when many processes add at once.
 */
#include <check.h>
#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "venvcache/stats.h"
#include "venvcache/util.h"

#include "helpers.h"

static json_t *
load_file(void)
{
	char *p = vc_path_join(vc_test_dir, "stats.json");
	json_error_t je;
	json_t *j = json_load_file(p, JSON_REJECT_DUPLICATES, &je);

	ck_assert_msg(j != NULL, "%s: %s", p, je.text);
	free(p);
	return j;
}

static void
write_stats(const char *text)
{
	char *p = vc_path_join(vc_test_dir, "stats.json");
	struct vc_error err;

	ck_assert_int_eq(vc_write_file_atomic(p, text, strlen(text), 0644,
	                     &err),
	    0);
	free(p);
}

START_TEST(test_ids)
{
	size_t i, j;
	const char *c;

	ck_assert_int_eq(VC_C__COUNT, 23);
	ck_assert_str_eq(vc_counter_ids[VC_C_hits], "hits");
	ck_assert_str_eq(vc_counter_ids[VC_C_project_cache_hits],
	    "project_cache_hits");
	ck_assert_str_eq(vc_counter_ids[VC_C_saved_ms], "saved_ms");
	ck_assert_str_eq(vc_counter_ids[VC_C_remote_hits], "remote_hits");
	ck_assert_str_eq(vc_counter_ids[VC_C_remote_bytes_out],
	    "remote_bytes_out");
	for (i = 0; i < VC_C__COUNT; i++) {
		ck_assert(*vc_counter_descriptions[i] != '\0');
		for (c = vc_counter_ids[i]; *c != '\0'; c++)
			ck_assert(islower((unsigned char)*c) || *c == '_');
		for (j = 0; j < i; j++)
			ck_assert_str_ne(vc_counter_ids[i], vc_counter_ids[j]);
	}
}
END_TEST

START_TEST(test_add_read_zero)
{
	struct vc_stats s, d;
	struct vc_error err;
	json_t *j;
	time_t t0 = time(NULL);

	vc_error_clear(&err);
	/* No file, not even a directory: zeros. */
	ck_assert_int_eq(vc_stats_read(vc_test_dir, &s, &err), 0);
	ck_assert_uint_eq(s.c[VC_C_hits], 0);
	ck_assert_int_eq(s.zeroed, 0);

	vc_stats_init(&d);
	d.c[VC_C_hits] = 2;
	d.c[VC_C_bytes_restored] = 5000000000ULL;
	d.c[VC_C_saved_ms] = 1500;
	ck_assert_int_eq(vc_stats_add(vc_test_dir, &d, &err), 0);
	ck_assert_int_eq(vc_stats_add(vc_test_dir, &d, &err), 0);
	ck_assert_int_eq(vc_stats_read(vc_test_dir, &s, &err), 0);
	ck_assert_uint_eq(s.c[VC_C_hits], 4);
	ck_assert_uint_eq(s.c[VC_C_bytes_restored], 10000000000ULL);
	ck_assert_uint_eq(s.c[VC_C_saved_ms], 3000);
	ck_assert_uint_eq(s.c[VC_C_misses], 0);

	/* The file speaks the ids. */
	j = load_file();
	ck_assert_int_eq(json_integer_value(json_object_get(j, "format")), 1);
	ck_assert_int_eq(json_integer_value(
	                     json_object_get(json_object_get(j, "counters"),
	                         "hits")),
	    4);
	json_decref(j);

	ck_assert_int_eq(vc_stats_zero(vc_test_dir, &err), 0);
	ck_assert_int_eq(vc_stats_read(vc_test_dir, &s, &err), 0);
	ck_assert_uint_eq(s.c[VC_C_hits], 0);
	ck_assert_uint_eq(s.c[VC_C_bytes_restored], 0);
	ck_assert_int_ge(s.zeroed, t0);
	ck_assert_int_le(s.zeroed, time(NULL));
	/* No temporary file is left behind. */
	{
		char *p = vc_path_join(vc_test_dir, "stats.json.tmp");
		struct stat sb;

		ck_assert_int_eq(lstat(p, &sb), -1);
		free(p);
	}
}
END_TEST

START_TEST(test_saturates)
{
	struct vc_stats s, d;
	struct vc_error err;

	vc_stats_init(&d);
	d.c[VC_C_bytes_saved] = UINT64_MAX - 1;
	ck_assert_int_eq(vc_stats_add(vc_test_dir, &d, &err), 0);
	ck_assert_int_eq(vc_stats_add(vc_test_dir, &d, &err), 0);
	ck_assert_int_eq(vc_stats_read(vc_test_dir, &s, &err), 0);
	ck_assert_uint_eq(s.c[VC_C_bytes_saved], (uint64_t)INT64_MAX);
}
END_TEST

START_TEST(test_corrupt)
{
	struct vc_stats s, d;
	struct vc_error err;

	vc_error_clear(&err);
	write_stats("{\"format\": 1, \"zeroed\": 0, \"counters\": {\"hits\": ");
	ck_assert_int_eq(vc_stats_read(vc_test_dir, &s, &err), -1);
	ck_assert_int_eq(err.code, VC_ECORRUPT);
	ck_assert_ptr_nonnull(strstr(err.msg, "stats.json:1:"));
	write_stats("{\"format\": 1, \"zeroed\": 0, \"counters\": "
	            "{\"hits\": -3}}");
	ck_assert_int_eq(vc_stats_read(vc_test_dir, &s, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "counter 'hits' is not a count"));
	write_stats("{\"format\": 2, \"zeroed\": 0, \"counters\": {}}");
	ck_assert_int_eq(vc_stats_read(vc_test_dir, &s, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "has format 2"));
	write_stats("[]");
	ck_assert_int_eq(vc_stats_read(vc_test_dir, &s, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "not a stats file"));
	/* Adding to a corrupt file starts again from zero. */
	vc_stats_init(&d);
	d.c[VC_C_misses] = 1;
	ck_assert_int_eq(vc_stats_add(vc_test_dir, &d, &err), 0);
	ck_assert_int_eq(vc_stats_read(vc_test_dir, &s, &err), 0);
	ck_assert_uint_eq(s.c[VC_C_misses], 1);
	/* A symlink is not followed. */
	{
		char *p = vc_path_join(vc_test_dir, "stats.json");
		char *t = vc_path_join(vc_test_dir, "elsewhere");

		ck_assert_int_eq(unlink(p), 0);
		write_stats("{}");
		ck_assert_int_eq(rename(p, t), 0);
		ck_assert_int_eq(symlink(t, p), 0);
		ck_assert_int_eq(vc_stats_read(vc_test_dir, &s, &err), -1);
		free(p);
		free(t);
	}
}
END_TEST

START_TEST(test_unknown_counters_kept)
{
	struct vc_stats s, d;
	struct vc_error err;
	json_t *j, *c;

	write_stats("{\"format\": 1, \"zeroed\": 0, \"counters\": "
	            "{\"hits\": 7, \"from_the_future\": 9}}");
	vc_stats_init(&d);
	d.c[VC_C_hits] = 1;
	ck_assert_int_eq(vc_stats_add(vc_test_dir, &d, &err), 0);
	ck_assert_int_eq(vc_stats_read(vc_test_dir, &s, &err), 0);
	ck_assert_uint_eq(s.c[VC_C_hits], 8);
	j = load_file();
	c = json_object_get(j, "counters");
	ck_assert_int_eq(json_integer_value(
	                     json_object_get(c, "from_the_future")),
	    9);
	json_decref(j);
	ck_assert_int_eq(vc_stats_zero(vc_test_dir, &err), 0);
	j = load_file();
	c = json_object_get(j, "counters");
	ck_assert_int_eq(json_integer_value(
	                     json_object_get(c, "from_the_future")),
	    0);
	json_decref(j);
}
END_TEST

#define NPROC 8
#define NADD 40

START_TEST(test_concurrent_adds)
{
	struct vc_stats s;
	struct vc_error err;
	pid_t pids[NPROC], reader;
	int i, status;

	for (i = 0; i < NPROC; i++) {
		pids[i] = fork();
		ck_assert_int_ne(pids[i], -1);
		if (pids[i] == 0) {
			struct vc_stats d;
			int k;

			vc_stats_init(&d);
			d.c[VC_C_hits] = 1;
			d.c[VC_C_bytes_restored] = 1000 + (uint64_t)i;
			for (k = 0; k < NADD; k++)
				if (vc_stats_add(vc_test_dir, &d, &err) == -1)
					_exit(1);
			_exit(0);
		}
	}
	/*
	 * Meanwhile a reader, reading as fast as it can until the last add,
	 * never sees half a file nor a count go back.
	 */
	reader = fork();
	ck_assert_int_ne(reader, -1);
	if (reader == 0) {
		uint64_t last = 0;
		double end = vc_monotonic() + 50;

		while (last < NPROC * NADD && vc_monotonic() < end) {
			if (vc_stats_read(vc_test_dir, &s, &err) == -1)
				_exit(1);
			if (s.c[VC_C_hits] < last)
				_exit(2);
			last = s.c[VC_C_hits];
		}
		_exit(last == NPROC * NADD ? 0 : 3);
	}
	for (i = 0; i < NPROC; i++) {
		ck_assert_int_eq(waitpid(pids[i], &status, 0), pids[i]);
		ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	ck_assert_int_eq(waitpid(reader, &status, 0), reader);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "reader: status %d (1: a read failed, 2: a count went back)",
	    status);
	ck_assert_int_eq(vc_stats_read(vc_test_dir, &s, &err), 0);
	ck_assert_uint_eq(s.c[VC_C_hits], NPROC * NADD);
	ck_assert_uint_eq(s.c[VC_C_bytes_restored],
	    (uint64_t)NADD * (NPROC * 1000 + NPROC * (NPROC - 1) / 2));
}
END_TEST

int
main(void)
{
	const TTest *const tests[] = {
	    test_ids,
	    test_add_read_zero,
	    test_saturates,
	    test_corrupt,
	    test_unknown_counters_kept,
	    test_concurrent_adds,
	};
	Suite *s = suite_create("stats");

	vc_test_case(s, "stats", vc_test_setup, vc_test_teardown, 0, tests,
	    VC_ARRAY_SIZE(tests));
	return vc_test_run(s);
}
