/* check_projcache.c: the project tree's hash and RECORD's paths. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "venvcache/projcache.h"
#include "venvcache/util.h"

#include "helpers.h"

static void
put(const char *name, const char *text)
{
	char *path = vc_path_join(vc_test_dir, name),
	     *parent = vc_path_dirname(path);
	struct vc_error err;
	FILE *f;

	ck_assert_int_eq(vc_mkdir_p(parent, 0755, &err), 0);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
	free(path);
	free(parent);
}

/* The hash now, as a string the caller frees. */
static char *
hash(const char *const *skip)
{
	char out[33];
	struct vc_error err;

	ck_assert_int_eq(vc_projcache_tree_hash(vc_test_dir, skip, out, &err),
	    0);
	return xstrdup(out);
}

static int
changes(const char *before)
{
	char *now = hash(NULL);
	int differ = strcmp(now, before) != 0;

	free(now);
	return differ;
}

/* Writing `text` to `name` changes the hash (`want` 1) or not (0). */
static void
put_changes(const char *name, const char *text, int want)
{
	char *h = hash(NULL);

	put(name, text);
	ck_assert_msg(changes(h) == want, "%s: the hash %s", name,
	    want ? "stayed" : "changed");
	free(h);
}

START_TEST(test_what_counts)
{
	char *h, *link = NULL;

	put("pkg/__init__.py", "A = 1\n");
	put("pyproject.toml", "[project]\n");
	h = hash(NULL);
	ck_assert(!changes(h));
	/* Left out: build products, caches, VCS objects. */
	put("build/lib/x.py", "1");
	put("dist/x.whl", "1");
	put("pkg/__pycache__/x.pyc", "1");
	put("x.egg-info/PKG-INFO", "1");
	put(".tox/py/x", "1");
	put(".venv/x", "1");
	put("node_modules/x", "1");
	put(".git/objects/aa/bb", "1");
	put(".git/index", "1");
	ck_assert(!changes(h));
	free(h);
	/* HEAD and the ref it names count; packed-refs when it is packed. */
	put(".git/HEAD", "ref: refs/heads/main\n");
	put_changes(".git/packed-refs", "1111 refs/heads/main\n", 1);
	put_changes(".git/refs/heads/main", "2222\n", 1);
	/* the loose ref wins */
	put_changes(".git/packed-refs", "3333 refs/heads/main\n", 0);
	/* Content, a new file, the executable bit, a symlink's target. */
	put_changes("pkg/__init__.py", "A = 2\n", 1);
	put_changes("pkg/data.txt", "", 1);
	h = hash(NULL);
	link = vc_path_join(vc_test_dir, "pkg/data.txt");
	ck_assert_int_eq(chmod(link, 0755), 0);
	ck_assert(changes(h));
	free(h);
	free(link);
	link = vc_path_join(vc_test_dir, "lnk");
	ck_assert_int_eq(symlink("pkg", link), 0);
	h = hash(NULL);
	ck_assert_int_eq(unlink(link), 0);
	ck_assert_int_eq(symlink("pkg/", link), 0);
	ck_assert(changes(h));
	free(h);
	free(link);
}
END_TEST

START_TEST(test_skip_dirs)
{
	char *sub = vc_path_join(vc_test_dir, "venvs"), *h, *h2;
	const char *skip[] = {sub, NULL};

	put("a.py", "1");
	put("venvs/x/bin/python", "1");
	h = hash(skip);
	put("venvs/y", "1");
	h2 = hash(skip);
	ck_assert_str_eq(h, h2);
	free(h2);
	h2 = hash(NULL);
	ck_assert_str_ne(h, h2);
	free(h);
	free(h2);
	free(sub);
}
END_TEST

START_TEST(test_too_big)
{
	char out[33], name[64];
	struct vc_error err;
	int i, fd;

	for (i = 0; i <= VC_PROJCACHE_MAX_FILES; i++) {
		snprintf(name, sizeof name, "%s/f%d", vc_test_dir, i);
		fd = open(name, O_WRONLY | O_CREAT | O_EXCL, 0644);
		ck_assert_int_ne(fd, -1);
		close(fd);
	}
	ck_assert_int_eq(vc_projcache_tree_hash(vc_test_dir, NULL, out, &err),
	    1);
	ck_assert_ptr_nonnull(strstr(err.msg, "more than 20000 files"));
}
END_TEST

START_TEST(test_record)
{
	struct vc_strv v;
	struct vc_error err;
	char ok[] = "__editable__.p-1.pth,sha256=x,10\n"
	            "\"p-1.dist-info/RE,\"\"CORD\",,\r\n"
	            "../../../bin/p,sha256=y,20\n"
	            "p-1.dist-info/uv_cache.json,,\n"
	            ",,\n";
	char out1[] = "../../../../etc/passwd,,\n";
	char out2[] = "/usr/bin/x,,\n";

	vc_strv_init(&v);
	ck_assert_int_eq(vc_projcache_parse_record(ok,
	                     "lib/python3.12/site-packages", "RECORD", &v,
	                     &err),
	    0);
	ck_assert_uint_eq(v.n, 3);
	ck_assert_str_eq(v.v[0],
	    "lib/python3.12/site-packages/__editable__.p-1.pth");
	ck_assert_str_eq(v.v[1],
	    "lib/python3.12/site-packages/p-1.dist-info/RE,\"CORD");
	ck_assert_str_eq(v.v[2], "bin/p");
	ck_assert_int_eq(vc_projcache_parse_record(out1,
	                     "lib/python3.12/site-packages", "RECORD", &v,
	                     &err),
	    -1);
	ck_assert_int_eq(err.code, VC_EHOSTILE);
	ck_assert_ptr_nonnull(strstr(err.msg, "outside the venv"));
	ck_assert_int_eq(vc_projcache_parse_record(out2,
	                     "lib/python3.12/site-packages", "RECORD", &v,
	                     &err),
	    -1);
	vc_strv_release(&v);
}
END_TEST

int
main(void)
{
	const TTest *const tests[] = {
	    test_what_counts,
	    test_skip_dirs,
	    test_too_big,
	    test_record,
	};
	Suite *s = suite_create("projcache");

	vc_test_case(s, "tree", vc_test_setup, vc_test_teardown, 0, tests,
	    VC_ARRAY_SIZE(tests));
	return vc_test_run(s);
}
