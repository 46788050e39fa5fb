/*
 * check_bytecode.c: vc_bytecode_compile() on trees made here: the pyc
 * header CPython expects for a sub-second or negative mtime, from
 * compileall and from the cache alike; a hostile tree (a __pycache__ or a
 * lib/pythonX.Y that is a symlink) gets nothing written through its
 * links; nesting past the limit is left alone, not an error.
 */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"
#include "venvcache/bytecode.h"
#include "venvcache/util.h"

static struct vc_interp ip;
static char *dir, *site, *cache;

static void
setup(void)
{
	struct vc_error err;

	dir = vc_test_scratch("check_bytecode", 0);
	memset(&ip, 0, sizeof ip);
	ck_assert_msg(vc_interp_probe(&ip, "python3", NULL, &err) == 0, "%s",
	    err.msg);
	site = xasprintf("%s/venv/lib/python%d.%d/site-packages", dir, ip.major,
	    ip.minor);
	cache = xasprintf("%s/cache", dir);
	ck_assert_int_eq(vc_mkdir_p(site, 0755, &err), 0);
	ck_assert_int_eq(vc_mkdir_p(cache, 0700, &err), 0);
}

static void
teardown(void)
{
	(void)vc_test_scratch_remove(dir);
	vc_interp_release(&ip);
	free(site);
	free(cache);
}

/* `text` to `rel` under site-packages; its path. */
static char *
put(const char *rel, const char *text)
{
	vc_test_put(site, rel, text);
	return vc_path_join(site, rel);
}

static int
compile(int keep, struct vc_bytecode_stats *st)
{
	char *venv = xasprintf("%s/venv", dir);
	struct vc_error err;
	int rc = vc_bytecode_compile(&ip, venv, cache, keep, dir, st, &err);

	ck_assert_msg(rc == 0, "%s", err.msg);
	free(venv);
	return rc;
}

/* The mtime field of rel's pyc; 0 with *found = 0 when it has none. */
static uint32_t
pyc_mtime(const char *rel, int *found)
{
	char *pyc = xasprintf("%s/__pycache__/%.*s.cpython-%d%d.pyc", site,
	    (int)(strlen(rel) - 3), rel, ip.major, ip.minor);
	unsigned char h[16];
	FILE *f = fopen(pyc, "rb");

	free(pyc);
	*found = f != NULL && fread(h, 1, 16, f) == 16;
	if (f != NULL)
		fclose(f);
	return *found ? (uint32_t)h[8] | (uint32_t)h[9] << 8 |
	        (uint32_t)h[10] << 16 | (uint32_t)h[11] << 24
	              : 0;
}

START_TEST(test_mtime)
{
	/* CPython: int(st_mtime), st_mtime a double: 1700000000.999999999
	 * is 1700000001.0; -1.5 is -1, 0xffffffff as a uint32. */
	static const struct {
		struct timespec t;
		uint32_t want;
	} cases[] = {
	    {{1700000000, 999999999}, 1700000001u},
	    {{1700000000, 500000000}, 1700000000u},
	    {{-2, 500000000}, 0xffffffffu},
	};
	struct vc_bytecode_stats st;
	size_t i;
	int found;

	for (i = 0; i < sizeof cases / sizeof *cases; i++) {
		char *src = put("m.py", i == 0 ? "A = 1\n" : "A = 2\n");
		struct timespec ts[2] = {cases[i].t, cases[i].t};
		char *pyc = xasprintf("%s/__pycache__/m.cpython-%d%d.pyc", site,
		    ip.major, ip.minor);

		ck_assert_int_eq(utimensat(AT_FDCWD, src, ts, 0), 0);
		(void)unlink(pyc);
		compile(1, &st); /* compileall's pyc */
		ck_assert_uint_eq(pyc_mtime("m.py", &found), cases[i].want);
		ck_assert_int_eq(found, 1);
		compile(1, &st); /* taken as up to date */
		ck_assert_uint_eq(st.current, 1);
		ck_assert_uint_eq(st.compiled, 0);
		ck_assert_int_eq(unlink(pyc), 0);
		compile(1, &st); /* the cache's */
		ck_assert_uint_eq(st.reused, 1);
		ck_assert_uint_eq(pyc_mtime("m.py", &found), cases[i].want);
		free(src);
		free(pyc);
	}
}
END_TEST

START_TEST(test_hostile_links)
{
	struct vc_bytecode_stats st;
	char *outside = vc_path_join(dir, "outside");
	char *link = vc_path_join(site, "pkg/__pycache__");
	char *lib =
	    xasprintf("%s/venv/lib/python%d.%d", dir, ip.major, ip.minor);
	char *victim = vc_path_join(dir, "victim");
	struct vc_error err;

	free(put("pkg/m.py", "A = 1\n"));
	free(put("ok.py", "B = 1\n"));
	ck_assert_int_eq(mkdir(outside, 0755), 0);
	ck_assert_int_eq(symlink(outside, link), 0);
	compile(1, &st);
	ck_assert_uint_eq(st.sources, 2);
	ck_assert_uint_eq(st.skipped, 1);
	ck_assert_uint_eq(st.compiled, 1); /* ok.py */
	ck_assert_int_eq(vc_dir_is_empty(outside), 1);

	/* lib/pythonX.Y itself a link: not followed, nothing compiled. */
	ck_assert_int_eq(rename(lib, victim), 0);
	ck_assert_int_eq(symlink(victim, lib), 0);
	ck_assert_int_eq(vc_rm_rf(outside, &err), 0);
	compile(1, &st);
	ck_assert_uint_eq(st.sources, 0);
	free(outside);
	free(link);
	free(lib);
	free(victim);
}
END_TEST

START_TEST(test_deep)
{
	struct vc_bytecode_stats st;
	struct vc_buf rel;
	int i;

	vc_buf_init(&rel);
	for (i = 0; i < 70; i++)
		vc_buf_adds(&rel, "d/");
	vc_buf_adds(&rel, "deep.py");
	free(put(rel.data, "C = 1\n"));
	free(put("top.py", "D = 1\n"));
	compile(1, &st);
	ck_assert_uint_eq(st.sources, 1); /* top.py; deep.py is past 64 */
	vc_buf_release(&rel);
}
END_TEST

int
main(void)
{
	const TTest *const tests[] = {
	    test_mtime,
	    test_hostile_links,
	    test_deep,
	};
	Suite *s = suite_create("bytecode");

	vc_test_case(s, "compile", setup, teardown, 120, tests,
	    VC_ARRAY_SIZE(tests));
	return vc_test_run(s);
}
