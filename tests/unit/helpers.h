/*
 * helpers.h: what the unit tests share (tests/unit/helpers.c, linked into
 * every check_<module>): a suite's test case and its run, a fresh scratch
 * directory per test, files written and read whole (gzip and zstd
 * decompressed), strings joined for one comparison.
 *
 * Every helper fails the test that calls it (a Check assertion) when what
 * it does fails. Ownership as in util.h: a returned `char *` is the
 * caller's.
 */
#ifndef VENVCACHE_TEST_HELPERS_H
#define VENVCACHE_TEST_HELPERS_H

#include <check.h>
#include <stddef.h>
#include <sys/types.h>

#include "venvcache/tox.h"
#include "venvcache/util.h"

/*
 * Adds the test case `name` to `s`: `tests` in order, the checked fixture
 * `setup` and `teardown` (either may be NULL), a timeout of `timeout`
 * seconds (0: Check's default, CK_DEFAULT_TIMEOUT). Returns it for more.
 */
TCase *vc_test_case(Suite *s, const char *name, SFun setup, SFun teardown,
    double timeout, const TTest *const *tests, size_t n);

/* Runs `s` (CK_NORMAL) and frees it; returns main's exit status. */
int vc_test_run(Suite *s);

/*
 * A fresh directory "$TMPDIR/TAG.XXXXXX" (TMPDIR unset: /tmp); with
 * `enter`, the working directory until vc_test_scratch_remove(). Returns
 * its path, the caller's.
 */
char *vc_test_scratch(const char *tag, int enter);

/* Leaves (if entered) and removes `dir`, and frees it; vc_rm_rf's result. */
int vc_test_scratch_remove(char *dir);

/*
 * Checked fixtures (vc_test_case): vc_test_setup makes vc_test_dir a fresh
 * scratch directory named after the program, vc_test_setup_cwd enters it
 * too, vc_test_teardown removes it.
 */
extern char *vc_test_dir;
void vc_test_setup(void);
void vc_test_setup_cwd(void);
void vc_test_teardown(void);

/*
 * Writes `n` bytes to `path` with `mode` (vc_write_file_atomic), making
 * its parent directories first.
 */
void vc_test_write(const char *path, const void *data, size_t n, mode_t mode);

/* `text` to `name` under `dir` (NULL: the working directory), mode 0644. */
void vc_test_put(const char *dir, const char *name, const char *text);

/*
 * A file read whole (vc_read_file), NUL-terminated even when empty; its
 * length in `*n` unless `n` is NULL.
 */
char *vc_test_slurp(const char *path, size_t *n);

/*
 * A file read whole through libarchive's raw format: gzip, zstd and the
 * other compressions it knows are undone, a plain file is as it is (an
 * empty one is not read: libarchive finds no header). NUL-terminated.
 */
char *vc_test_read_gz(const char *path);

/*
 * XXH3-128 of `n` bytes as 32 lowercase hex digits, computed here with
 * libxxhash (not by venvcache): what a key's hash or a checksum must be.
 */
void vc_test_hex128(const void *data, size_t n, char out[33]);

/* The strings of `v` joined by `sep` (never NULL). */
char *vc_test_joined(const struct vc_strv *v, const char *sep);

/* The strings of `v`, joined by '|', are `want`. */
#define VC_TEST_STRV_IS(v, want)                       \
	do {                                           \
		char *got_ = vc_test_joined((v), "|"); \
		ck_assert_str_eq(got_, (want));        \
		free(got_);                            \
	} while (0)

/* The environment `name` of `t` (check_tox, check_tox4), or a failure. */
const struct vc_tox_env *vc_test_tox_env(const struct vc_tox *t,
    const char *name);

/*
 * The names of t's environments in order, space-separated; with `mark`,
 * each not in the envlist followed by '*'.
 */
char *vc_test_tox_names(const struct vc_tox *t, int mark);

#define VC_TEST_TOX_NAMES_ARE(t, mark, want)                 \
	do {                                                 \
		char *got_ = vc_test_tox_names((t), (mark)); \
		ck_assert_str_eq(got_, (want));              \
		free(got_);                                  \
	} while (0)

#endif
