/*
 * check_index.c: the files of a release on a simple index page: wheels
 * and sdists of the version, any spelling of the name, quoted or not,
 * percent-encoded, upper-case digests; nothing else.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "venvcache/index.h"
#include "venvcache/util.h"

#include "helpers.h"

static char *
hex64(char c)
{
	char *h = xmalloc(65);

	memset(h, c, 64);
	h[64] = '\0';
	return h;
}

/* Whether `out` is exactly the digests made of the characters `want`. */
static void
check(const struct vc_strv *out, const char *want)
{
	size_t i;

	ck_assert_uint_eq(out->n, strlen(want));
	for (i = 0; i < out->n; i++) {
		char *h = hex64(want[i]);

		ck_assert_str_eq(out->v[i], h);
		free(h);
	}
}

static void
hashes(const char *page, size_t len, const char *name, const char *version,
    struct vc_strv *out)
{
	vc_strv_init(out);
	vc_index_page_hashes(page, len, name, version, out);
	vc_strv_sort_uniq(out);
}

START_TEST(test_release_files)
{
	char *path =
	    vc_path_join(getenv("VC_TEST_DATA"), "index/vc-alpha.html");
	struct vc_buf page;
	struct vc_error err;
	struct vc_strv out;

	vc_buf_init(&page);
	vc_error_clear(&err);
	ck_assert_int_eq(vc_read_file(path, 1 << 20, &page, &err), 0);
	hashes(page.data, page.len, "VC_alpha", "1.3", &out);
	check(&out, "abcd");
	vc_strv_release(&out);
	hashes(page.data, page.len, "vc-alpha", "1.30", &out);
	check(&out, "e");
	vc_strv_release(&out);
	hashes(page.data, page.len, "vc-beta", "1.3", &out);
	check(&out, "");
	vc_strv_release(&out);
	vc_buf_release(&page);
	free(path);
}
END_TEST

START_TEST(test_truncated)
{
	static const char *const pages[] = {"", "<", "<a", "<a href",
	    "<a href=", "<a href=\"", "<a href=\"x.whl#sha256=", NULL,
	    "<a =x href", "<a href='vc_alpha-1.3.tar.gz#sha256=aa"};
	struct vc_strv out;
	size_t i;
	char *h = hex64('a'), *cut;

	for (i = 0; i < sizeof pages / sizeof *pages; i++) {
		cut = pages[i] != NULL
		    ? xstrdup(pages[i])
		    : xasprintf("<a href='vc_alpha-1.3.tar.gz#sha256=%s", h);
		hashes(cut, strlen(cut), "vc-alpha", "1.3", &out);
		/* The page cut after a whole digest: taken. */
		check(&out, pages[i] == NULL ? "a" : "");
		vc_strv_release(&out);
		free(cut);
	}
	free(h);
}
END_TEST

int
main(void)
{
	const TTest *const tests[] = {
	    test_release_files,
	    test_truncated,
	};
	Suite *s = suite_create("index");

	vc_test_case(s, "index", NULL, NULL, 0, tests, VC_ARRAY_SIZE(tests));
	return vc_test_run(s);
}
