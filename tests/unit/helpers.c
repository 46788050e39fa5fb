/* helpers.c: what the unit tests share (helpers.h). */
#include "helpers.h"

#include <archive.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

TCase *
vc_test_case(Suite *s, const char *name, SFun setup, SFun teardown,
    double timeout, const TTest *const *tests, size_t n)
{
	TCase *tc = tcase_create(name);
	size_t i;

	if (setup != NULL || teardown != NULL)
		tcase_add_checked_fixture(tc, setup, teardown);
	if (timeout > 0)
		tcase_set_timeout(tc, timeout);
	for (i = 0; i < n; i++)
		tcase_add_test(tc, tests[i]);
	suite_add_tcase(s, tc);
	return tc;
}

int
vc_test_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

static char oldcwd[PATH_MAX];
static int entered;

char *
vc_test_scratch(const char *tag, int enter)
{
	const char *tmp = getenv("TMPDIR");
	char *dir = xasprintf("%s/%s.XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp", tag);

	ck_assert_msg(mkdtemp(dir) != NULL, "mkdtemp %s", dir);
	if (enter) {
		ck_assert_ptr_nonnull(getcwd(oldcwd, sizeof oldcwd));
		ck_assert_int_eq(chdir(dir), 0);
		entered = 1;
	}
	return dir;
}

int
vc_test_scratch_remove(char *dir)
{
	struct vc_error err;
	int rc;

	if (dir == NULL)
		return 0;
	if (entered) {
		entered = 0;
		if (chdir(oldcwd) != 0)
			return -1;
	}
	vc_error_clear(&err);
	rc = vc_rm_rf(dir, &err);
	free(dir);
	return rc;
}

char *vc_test_dir;

void
vc_test_setup(void)
{
	vc_test_dir = vc_test_scratch(program_invocation_short_name, 0);
}

void
vc_test_setup_cwd(void)
{
	vc_test_dir = vc_test_scratch(program_invocation_short_name, 1);
}

void
vc_test_teardown(void)
{
	vc_test_scratch_remove(vc_test_dir);
	vc_test_dir = NULL;
}

void
vc_test_write(const char *path, const void *data, size_t n, mode_t mode)
{
	struct vc_error err;
	char *parent = vc_path_dirname(path);

	vc_error_clear(&err);
	ck_assert_msg(vc_mkdir_p(parent, 0755, &err) == 0, "%s", err.msg);
	ck_assert_msg(vc_write_file_atomic(path, data, n, mode, &err) == 0,
	    "%s", err.msg);
	free(parent);
}

void
vc_test_put(const char *dir, const char *name, const char *text)
{
	char *path = dir != NULL ? vc_path_join(dir, name) : xstrdup(name);

	vc_test_write(path, text, strlen(text), 0644);
	free(path);
}

char *
vc_test_slurp(const char *path, size_t *n)
{
	struct vc_buf b;
	struct vc_error err;

	vc_buf_init(&b);
	vc_error_clear(&err);
	ck_assert_msg(vc_read_file(path, 0, &b, &err) == 0, "%s", err.msg);
	vc_buf_add(&b, "", 0); /* terminated even when the file is empty */
	if (n != NULL)
		*n = b.len;
	return vc_buf_detach(&b);
}

char *
vc_test_read_gz(const char *path)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	struct vc_buf b;
	char chunk[65536];
	la_ssize_t n;

	vc_buf_init(&b);
	vc_buf_grow(&b, 0);
	archive_read_support_filter_all(a);
	archive_read_support_format_raw(a);
	ck_assert_msg(archive_read_open_filename(a, path, 65536) == ARCHIVE_OK,
	    "%s: %s", path, archive_error_string(a));
	ck_assert_int_eq(archive_read_next_header(a, &e), ARCHIVE_OK);
	while ((n = archive_read_data(a, chunk, sizeof chunk)) > 0)
		vc_buf_add(&b, chunk, (size_t)n);
	ck_assert_int_eq(n, 0);
	archive_read_free(a);
	return vc_buf_detach(&b);
}

void
vc_test_hex128(const void *data, size_t n, char out[33])
{
	XXH128_canonical_t c;
	size_t i;

	XXH128_canonicalFromHash(&c, XXH3_128bits(data, n));
	for (i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", c.digest[i]);
}

char *
vc_test_joined(const struct vc_strv *v, const char *sep)
{
	struct vc_buf b;
	size_t i;

	vc_buf_init(&b);
	vc_buf_grow(&b, 0);
	for (i = 0; i < v->n; i++)
		vc_buf_addf(&b, "%s%s", i ? sep : "", v->v[i]);
	return vc_buf_detach(&b);
}

const struct vc_tox_env *
vc_test_tox_env(const struct vc_tox *t, const char *name)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (strcmp(t->envs[i].name, name) == 0)
			return &t->envs[i];
	ck_abort_msg("no environment '%s'", name);
	return NULL;
}

char *
vc_test_tox_names(const struct vc_tox *t, int mark)
{
	struct vc_buf b;
	size_t i;

	vc_buf_init(&b);
	vc_buf_grow(&b, 0);
	for (i = 0; i < t->n; i++)
		vc_buf_addf(&b, "%s%s%s", i ? " " : "", t->envs[i].name,
		    mark && !t->envs[i].in_envlist ? "*" : "");
	return vc_buf_detach(&b);
}
