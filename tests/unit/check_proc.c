/* check_proc.c: running programs: capture, deadlines, failures to start. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "venvcache/proc.h"

#include "helpers.h"

/* Runs `sh -c script` with `p`'s other fields; returns its status. */
static int
sh(struct vc_proc *p, const char *script, struct vc_error *err)
{
	const char *argv[] = {"sh", "-c", script, NULL};

	p->argv = argv;
	return vc_proc_run(p, err);
}

START_TEST(test_stdout_and_stderr_apart)
{
	struct vc_proc p;
	struct vc_buf out, errout;
	struct vc_error err;

	vc_buf_init(&out);
	vc_buf_init(&errout);
	memset(&p, 0, sizeof p);
	p.output = &out;
	p.errout = &errout;
	ck_assert_int_eq(sh(&p, "echo out; echo err >&2; echo out2; exit 3",
	                     &err),
	    3);
	ck_assert_str_eq(out.data, "out\nout2\n");
	ck_assert_str_eq(errout.data, "err\n");
	vc_buf_release(&out);
	vc_buf_release(&errout);
}
END_TEST

START_TEST(test_merged)
{
	struct vc_proc p;
	struct vc_buf out;
	struct vc_error err;

	vc_buf_init(&out);
	memset(&p, 0, sizeof p);
	p.output = &out;
	ck_assert_int_eq(sh(&p, "echo a; echo b >&2; echo c", &err), 0);
	ck_assert_str_eq(out.data, "a\nb\nc\n");
	vc_buf_release(&out);
}
END_TEST

START_TEST(test_signal_and_stdin)
{
	struct vc_proc p;
	struct vc_buf out;
	struct vc_error err;

	vc_buf_init(&out);
	memset(&p, 0, sizeof p);
	p.output = &out;
	ck_assert_int_eq(sh(&p, "kill -9 $$", &err), 128 + 9);
	/* stdin from /dev/null: cat ends at once. */
	p.null_stdin = 1;
	ck_assert_int_eq(sh(&p, "cat; echo done", &err), 0);
	ck_assert_str_eq(out.data, "done\n");
	vc_buf_release(&out);
}
END_TEST

START_TEST(test_timeout)
{
	struct vc_proc p;
	struct vc_buf out;
	struct vc_error err;

	vc_buf_init(&out);
	memset(&p, 0, sizeof p);
	p.output = &out;
	p.timeout = 1;
	/* Still writing, and past the deadline. */
	ck_assert_int_eq(sh(&p, "echo started; sleep 30", &err), -1);
	ck_assert_str_eq(err.msg, "'sh' did not finish within 1 seconds");
	ck_assert_str_eq(out.data, "started\n");
	/* Its output closed, and still running. */
	ck_assert_int_eq(sh(&p, "exec >/dev/null 2>&1; sleep 30", &err), -1);
	ck_assert_str_eq(err.msg, "'sh' did not finish within 1 seconds");
	/* Nothing captured at all. */
	p.output = NULL;
	p.shown = "sleeper";
	ck_assert_int_eq(sh(&p, "sleep 30", &err), -1);
	ck_assert_str_eq(err.msg, "'sleeper' did not finish within 1 seconds");
	/* In time. */
	ck_assert_int_eq(sh(&p, "exit 4", &err), 4);
	vc_buf_release(&out);
}
END_TEST

START_TEST(test_output_limit)
{
	struct vc_proc p;
	struct vc_buf out, errout;
	struct vc_error err;

	vc_buf_init(&out);
	vc_buf_init(&errout);
	memset(&p, 0, sizeof p);
	p.output = &out;
	p.errout = &errout;
	p.output_limit = 100000;
	ck_assert_int_eq(sh(&p, "yes >&2", &err), -1);
	ck_assert_str_eq(err.msg, "'sh' printed more than 100000 bytes");
	ck_assert_uint_gt(errout.len, 100000);
	vc_buf_release(&out);
	vc_buf_release(&errout);
}
END_TEST

START_TEST(test_tail_and_lines)
{
	struct vc_proc p;
	struct vc_buf out;
	struct vc_error err;

	vc_buf_init(&out);
	memset(&p, 0, sizeof p);
	p.output = &out;
	p.max_output = 1000;
	ck_assert_int_eq(sh(&p, "seq 100000", &err), 0);
	ck_assert_uint_le(out.len, 1000 + 8192);
	ck_assert(vc_str_endswith(out.data, "\n99999\n100000\n"));
	vc_buf_release(&out);
}
END_TEST

START_TEST(test_cannot_run)
{
	const char *missing[] = {"/nonexistent/prog", NULL};
	const char *nopath[] = {"vc-no-such-program-on-path", NULL};
	const char *ok[] = {"true", NULL};
	struct vc_proc p;
	struct vc_buf out;
	struct vc_error err;

	vc_buf_init(&out);
	memset(&p, 0, sizeof p);
	p.output = &out;
	p.argv = missing;
	ck_assert_int_eq(vc_proc_run(&p, &err), -1);
	ck_assert_str_eq(err.msg,
	    "cannot run '/nonexistent/prog': No such file or directory");
	p.argv = nopath;
	ck_assert_int_eq(vc_proc_run(&p, &err), -1);
	ck_assert_str_eq(err.msg,
	    "cannot find 'vc-no-such-program-on-path' on PATH");
	p.argv = ok;
	p.cwd = "/nonexistent";
	ck_assert_int_eq(vc_proc_run(&p, &err), -1);
	ck_assert_str_eq(err.msg,
	    "cannot run 'true' in '/nonexistent': No "
	    "such file or directory");
	vc_buf_release(&out);
}
END_TEST

int
main(void)
{
	const TTest *const tests[] = {
	    test_stdout_and_stderr_apart,
	    test_merged,
	    test_signal_and_stdin,
	    test_timeout,
	    test_output_limit,
	    test_tail_and_lines,
	    test_cannot_run,
	};
	Suite *s = suite_create("proc");

	vc_test_case(s, "core", NULL, NULL, 0, tests, VC_ARRAY_SIZE(tests));
	return vc_test_run(s);
}
