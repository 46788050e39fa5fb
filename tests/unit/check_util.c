/* check_util.c: buffers, string vectors, sizes, durations, ${VAR}. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "venvcache/util.h"

#include "helpers.h"

START_TEST(test_buf)
{
	struct vc_buf b;
	char *s;

	vc_buf_init(&b);
	vc_buf_adds(&b, "abc");
	vc_buf_addf(&b, "-%d-", 42);
	vc_buf_addc(&b, 'z');
	ck_assert_str_eq(b.data, "abc-42-z");
	ck_assert_uint_eq(b.len, 8);
	s = vc_buf_detach(&b);
	ck_assert_str_eq(s, "abc-42-z");
	ck_assert_ptr_null(b.data);
	free(s);
}
END_TEST

START_TEST(test_strv_sort_uniq)
{
	struct vc_strv sv;

	vc_strv_init(&sv);
	vc_strv_split_ws(&sv, "  b a\tc\n a  b ");
	ck_assert_uint_eq(sv.n, 5);
	vc_strv_sort_uniq(&sv);
	ck_assert_uint_eq(sv.n, 3);
	ck_assert_str_eq(sv.v[0], "a");
	ck_assert_str_eq(sv.v[1], "b");
	ck_assert_str_eq(sv.v[2], "c");
	ck_assert_ptr_null(sv.v[3]);
	vc_strv_release(&sv);
}
END_TEST

START_TEST(test_sizes)
{
	uint64_t n;

	ck_assert_int_eq(vc_parse_size("10G", &n), 0);
	ck_assert_uint_eq(n, 10ULL << 30);
	ck_assert_int_eq(vc_parse_size("512M", &n), 0);
	ck_assert_uint_eq(n, 512ULL << 20);
	ck_assert_int_eq(vc_parse_size("1.5GiB", &n), 0);
	ck_assert_uint_eq(n, 3ULL << 29);
	ck_assert_int_eq(vc_parse_size("100", &n), 0);
	ck_assert_uint_eq(n, 100);
	ck_assert_int_eq(vc_parse_size("10X", &n), -1);
	ck_assert_int_eq(vc_parse_size("-1G", &n), -1);
	ck_assert_int_eq(vc_parse_size("", &n), -1);
	/* strtod's other syntaxes are not sizes. */
	ck_assert_int_eq(vc_parse_size("1e3", &n), -1);
	ck_assert_int_eq(vc_parse_size("0x10", &n), -1);
	ck_assert_int_eq(vc_parse_size("1.5e3M", &n), -1);
	ck_assert_int_eq(vc_parse_size("2.", &n), 0);
	ck_assert_uint_eq(n, 2);
}
END_TEST

START_TEST(test_durations)
{
	uint64_t n;

	ck_assert_int_eq(vc_parse_duration("1h", &n), 0);
	ck_assert_uint_eq(n, 3600);
	ck_assert_int_eq(vc_parse_duration("7d", &n), 0);
	ck_assert_uint_eq(n, 7 * 86400);
	ck_assert_int_eq(vc_parse_duration("90", &n), 0);
	ck_assert_uint_eq(n, 90);
	ck_assert_int_eq(vc_parse_duration("1 h", &n), -1);
	ck_assert_int_eq(vc_parse_duration("h", &n), -1);
}
END_TEST

START_TEST(test_expand_env)
{
	char *s;

	setenv("VC_TEST_TOKEN", "s3cret", 1);
	unsetenv("VC_TEST_UNSET");
	s = vc_expand_env("https://u:${VC_TEST_TOKEN}@h/${VC_TEST_UNSET}/$X");
	ck_assert_str_eq(s, "https://u:s3cret@h/${VC_TEST_UNSET}/$X");
	free(s);
	/* pip expands upper-case names only. */
	s = vc_expand_env("${vc_test_token}");
	ck_assert_str_eq(s, "${vc_test_token}");
	free(s);
}
END_TEST

START_TEST(test_paths)
{
	char *s;

	s = vc_path_join("/a/", "b");
	ck_assert_str_eq(s, "/a/b");
	free(s);
	s = vc_path_join("/a", "/b");
	ck_assert_str_eq(s, "/b");
	free(s);
	s = vc_path_dirname("x.txt");
	ck_assert_str_eq(s, ".");
	free(s);
	s = vc_path_dirname("/etc/x.txt");
	ck_assert_str_eq(s, "/etc");
	free(s);
}
END_TEST

/* Each input and what vc_path_normalize makes of it (NULL: refused). */
static const struct {
	const char *in, *want;
} normalize_cases[] = {
    {"", "."},
    {".", "."},
    {"./", "."},
    {"./.", "."},
    {"a", "a"},
    {"a/", "a"},
    {"a//b///c", "a/b/c"},
    {"./a/./b/.", "a/b"},
    {"a/b/../c", "a/c"},
    {"a/..", "."},
    {"a/../", "."},
    {"a/b/../..", "."},
    {"..", NULL},
    {"../a", NULL},
    {"a/../..", NULL},
    {"a/../../b", NULL},
    {"a/b/../../../c", NULL},
    {"...", "..."},
    {"..a/.b/a..", "..a/.b/a.."},
    {"lib/python3.12/site-packages/../../../bin/x", "bin/x"},
    {"/", "/"},
    {"//", "/"},
    {"/.", "/"},
    {"/..", "/"},
    {"/../..", "/"},
    {"////..//", "/"},
    {"/a/../..", "/"},
    {"/../a", "/a"},
    {"/a/b/../c/", "/a/c"},
    {"/a/./b/..", "/a"},
    {"//a//b//", "/a/b"},
};

START_TEST(test_path_normalize)
{
	size_t i;

	for (i = 0; i < VC_ARRAY_SIZE(normalize_cases); i++) {
		char *s = vc_path_normalize(normalize_cases[i].in);

		if (normalize_cases[i].want == NULL)
			ck_assert_msg(s == NULL, "'%s' gave '%s', not NULL",
			    normalize_cases[i].in, s);
		else
			ck_assert_msg(s != NULL &&
			        strcmp(s, normalize_cases[i].want) == 0,
			    "'%s' gave '%s', not '%s'", normalize_cases[i].in,
			    s ? s : "(null)", normalize_cases[i].want);
		free(s);
	}
}
END_TEST

START_TEST(test_path_normalize_long)
{
	/* 100,000 components, then as many ".." as climb to the start. */
	struct vc_buf b;
	char *s;
	int i;

	vc_buf_init(&b);
	for (i = 0; i < 100000; i++)
		vc_buf_adds(&b, "d/");
	for (i = 0; i < 99999; i++)
		vc_buf_adds(&b, "../");
	s = vc_path_normalize(b.data);
	ck_assert_str_eq(s, "d");
	free(s);
	vc_buf_adds(&b, "../..");
	ck_assert_ptr_null(vc_path_normalize(b.data));
	vc_buf_release(&b);
}
END_TEST

START_TEST(test_atomic_write_and_rm)
{
	char dir[] = "/tmp/vc-util-XXXXXX";
	struct vc_error err;
	struct vc_buf b;
	char *p, *sub;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	sub = vc_path_join(dir, "a/b/c");
	ck_assert_int_eq(vc_mkdir_p(sub, 0755, &err), 0);
	p = vc_path_join(sub, "f");
	ck_assert_int_eq(vc_write_file_atomic(p, "hello", 5, 0644, &err), 0);
	vc_buf_init(&b);
	ck_assert_int_eq(vc_read_file(p, 0, &b, &err), 0);
	ck_assert_str_eq(b.data, "hello");
	ck_assert_int_eq(vc_read_file(p, 3, &b, &err), -1);
	ck_assert_int_eq(vc_rm_rf(dir, &err), 0);
	ck_assert_int_eq(vc_read_file(p, 0, &b, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "No such file"));
	vc_buf_release(&b);
	free(p);
	free(sub);
}
END_TEST

START_TEST(test_suggest)
{
	static const char *const cmds[] = {"warm", "run", "key", "list",
	    "stats", "gc", "verify", "config", "restore", "save"};
	struct vc_suggest s;
	size_t i;

	vc_suggest_init(&s, "wram"); /* a swap is one edit */
	for (i = 0; i < VC_ARRAY_SIZE(cmds); i++)
		vc_suggest_add(&s, cmds[i]);
	ck_assert_str_eq(vc_suggest_best(&s), "warm");
	vc_suggest_init(&s, "frobnicate");
	for (i = 0; i < VC_ARRAY_SIZE(cmds); i++)
		vc_suggest_add(&s, cmds[i]);
	ck_assert_ptr_null(vc_suggest_best(&s));
	vc_suggest_init(&s, "MAX_SIZE"); /* case and '_' are free */
	vc_suggest_add(&s, "max-time");
	vc_suggest_add(&s, "max-size");
	ck_assert_str_eq(vc_suggest_best(&s), "max-size");
	vc_suggest_init(&s, "xy"); /* short words: one edit at most */
	vc_suggest_add(&s, "gc");
	ck_assert_ptr_null(vc_suggest_best(&s));
	vc_suggest_init(&s, "frobs");
	vc_suggest_add(&s, "jobs");
	ck_assert_ptr_null(vc_suggest_best(&s));
	vc_suggest_init(&s, "py311-test");
	vc_suggest_add(&s, "py312-tests");
	vc_suggest_add(&s, "py311-tests");
	vc_suggest_add(&s, NULL);
	ck_assert_str_eq(vc_suggest_best(&s), "py311-tests");
	vc_suggest_init(&s, "warm"); /* the word itself is no suggestion */
	vc_suggest_add(&s, "warm");
	ck_assert_ptr_null(vc_suggest_best(&s));
}
END_TEST

int
main(void)
{
	const TTest *const tests[] = {
	    test_buf,
	    test_strv_sort_uniq,
	    test_sizes,
	    test_durations,
	    test_expand_env,
	    test_paths,
	    test_path_normalize,
	    test_path_normalize_long,
	    test_atomic_write_and_rm,
	    test_suggest,
	};
	Suite *s = suite_create("util");

	vc_test_case(s, "core", NULL, NULL, 0, tests, VC_ARRAY_SIZE(tests));
	return vc_test_run(s);
}
