/* check_proc.c: running programs: capture, deadlines, failures to start. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "venvcache/proc.h"

#include "helpers.h"

/* Each test's process, its stdout (p.output) and stderr buffers. */
static struct vc_proc p;
static struct vc_buf out, errout;
static struct vc_error err;

static void
setup(void)
{
	memset(&p, 0, sizeof p);
	vc_buf_init(&out);
	vc_buf_init(&errout);
	p.output = &out;
}

static void
teardown(void)
{
	vc_buf_release(&out);
	vc_buf_release(&errout);
}

/* Runs `sh -c script` with p's other fields; returns its status. */
static int
sh(const char *script)
{
	const char *argv[] = {"sh", "-c", script, NULL};

	p.argv = argv;
	return vc_proc_run(&p, &err);
}

START_TEST(test_stdout_and_stderr_apart)
{
	p.errout = &errout;
	ck_assert_int_eq(sh("echo out; echo err >&2; echo out2; exit 3"), 3);
	ck_assert_str_eq(out.data, "out\nout2\n");
	ck_assert_str_eq(errout.data, "err\n");
}
END_TEST

START_TEST(test_merged)
{
	ck_assert_int_eq(sh("echo a; echo b >&2; echo c"), 0);
	ck_assert_str_eq(out.data, "a\nb\nc\n");
}
END_TEST

START_TEST(test_signal_and_stdin)
{
	ck_assert_int_eq(sh("kill -9 $$"), 128 + 9);
	/* stdin from /dev/null: cat ends at once. */
	p.null_stdin = 1;
	ck_assert_int_eq(sh("cat; echo done"), 0);
	ck_assert_str_eq(out.data, "done\n");
}
END_TEST

START_TEST(test_timeout)
{
	p.timeout = 1;
	/* Still writing, and past the deadline. */
	ck_assert_int_eq(sh("echo started; sleep 30"), -1);
	ck_assert_str_eq(err.msg, "'sh' did not finish within 1 seconds");
	ck_assert_str_eq(out.data, "started\n");
	/* Its output closed, and still running. */
	ck_assert_int_eq(sh("exec >/dev/null 2>&1; sleep 30"), -1);
	ck_assert_str_eq(err.msg, "'sh' did not finish within 1 seconds");
	/* Nothing captured at all. */
	p.output = NULL;
	p.shown = "sleeper";
	ck_assert_int_eq(sh("sleep 30"), -1);
	ck_assert_str_eq(err.msg, "'sleeper' did not finish within 1 seconds");
	/* In time. */
	ck_assert_int_eq(sh("exit 4"), 4);
}
END_TEST

START_TEST(test_output_limit)
{
	p.errout = &errout;
	p.output_limit = 100000;
	ck_assert_int_eq(sh("yes >&2"), -1);
	ck_assert_str_eq(err.msg, "'sh' printed more than 100000 bytes");
	ck_assert_uint_gt(errout.len, 100000);
}
END_TEST

START_TEST(test_tail_and_lines)
{
	p.max_output = 1000;
	ck_assert_int_eq(sh("seq 100000"), 0);
	ck_assert_uint_le(out.len, 1000 + 8192);
	ck_assert(vc_str_endswith(out.data, "\n99999\n100000\n"));
}
END_TEST

START_TEST(test_cannot_run)
{
	static const struct {
		const char *prog, *cwd, *msg;
	} c[] = {
	    {"/nonexistent/prog", NULL,
	        "cannot run '/nonexistent/prog': No such file or directory"},
	    {"vc-no-such-program-on-path", NULL,
	        "cannot find 'vc-no-such-program-on-path' on PATH"},
	    {"true", "/nonexistent",
	        "cannot run 'true' in '/nonexistent': No such file or "
	        "directory"},
	};
	size_t i;

	for (i = 0; i < VC_ARRAY_SIZE(c); i++) {
		const char *argv[] = {c[i].prog, NULL};

		p.argv = argv;
		p.cwd = c[i].cwd;
		ck_assert_int_eq(vc_proc_run(&p, &err), -1);
		ck_assert_str_eq(err.msg, c[i].msg);
	}
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

	vc_test_case(s, "core", setup, teardown, 0, tests,
	    VC_ARRAY_SIZE(tests));
	return vc_test_run(s);
}
