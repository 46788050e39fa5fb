/*
 * check_gha.c: $GITHUB_OUTPUT syntax read back the way the runner reads it,
 * workflow-command escaping, masks, annotations, the step-summary limit,
 * actions/cache's cache version against actions/toolkit's own vectors, and
 * the keys given to actions/cache.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "venvcache/gha.h"

#include "helpers.h"

/*
 * The runner's reader of $GITHUB_OUTPUT (actions/runner
 * FileCommandManager.cs, EnvFileKeyValuePairs), on Linux: lines end at LF;
 * "NAME=VALUE" when '=' comes before any "<<", else "NAME<<DELIM" and the
 * lines up to one equal to DELIM, which must itself end with a newline.
 * Returns the number of pairs, or -1 where the runner would throw.
 */
struct pair {
	char name[128];
	char value[4096];
};

static const char *
read_line(const char *text, size_t len, size_t *idx, size_t *linelen,
    int *newline)
{
	const char *start, *lf;

	if (*idx >= len)
		return NULL;
	start = text + *idx;
	lf = memchr(start, '\n', len - *idx);
	if (lf == NULL) {
		*linelen = len - *idx;
		*idx = len;
		*newline = 0;
	} else {
		*linelen = (size_t)(lf - start);
		*idx += *linelen + 1;
		*newline = 1;
	}
	return start;
}

static int
runner_parse(const char *text, struct pair *out, int max)
{
	size_t len = strlen(text), idx = 0, ll, vstart, vend;
	const char *line, *eq, *hd;
	int n = 0, nl;

	while ((line = read_line(text, len, &idx, &ll, &nl)) != NULL) {
		char buf[4096];

		if (ll == 0)
			continue;
		if (n == max || ll >= sizeof buf)
			return -1;
		memcpy(buf, line, ll);
		buf[ll] = '\0';
		eq = strchr(buf, '=');
		hd = strstr(buf, "<<");
		if (eq != NULL && (hd == NULL || eq < hd)) {
			snprintf(out[n].name, sizeof out[n].name, "%.*s",
			    (int)(eq - buf), buf);
			snprintf(out[n].value, sizeof out[n].value, "%s",
			    eq + 1);
		} else if (hd != NULL) {
			const char *delim = hd + 2, *t;
			size_t tl;

			if (hd == buf || *delim == '\0')
				return -1;
			snprintf(out[n].name, sizeof out[n].name, "%.*s",
			    (int)(hd - buf), buf);
			vstart = vend = idx;
			for (;;) {
				t = read_line(text, len, &idx, &tl, &nl);
				if (t == NULL)
					return -1; /* delimiter not found */
				if (!nl)
					return -1; /* EOF marker missing LF */
				if (tl == strlen(delim) &&
				    memcmp(t, delim, tl) == 0)
					break;
				vend = idx - 1;
			}
			snprintf(out[n].value, sizeof out[n].value, "%.*s",
			    (int)(vend > vstart ? vend - vstart : 0),
			    text + vstart);
		} else {
			return -1;
		}
		n++;
	}
	return n;
}

#define H1 "0123456789abcdef0123456789abcdef"
#define H2 "fedcba9876543210fedcba9876543210"

static char *
format1(const char *name, const char *value, int *rc)
{
	struct vc_buf b;
	struct vc_error err;

	vc_buf_init(&b);
	vc_error_clear(&err);
	*rc = vc_gha_format_output(&b, name, value, &err);
	if (b.data == NULL)
		vc_buf_adds(&b, "");
	return vc_buf_detach(&b);
}

/*
 * NAME and VALUE formatted (the text is `text`, or has `has`, when not
 * NULL) and read back by the runner as that one pair.
 */
static void
read_back(const char *name, const char *value, const char *text,
    const char *has)
{
	struct pair p[4];
	int rc;
	char *s = format1(name, value, &rc);

	ck_assert_int_eq(rc, 0);
	if (text != NULL)
		ck_assert_str_eq(s, text);
	if (has != NULL)
		ck_assert_ptr_nonnull(strstr(s, has));
	ck_assert_int_eq(runner_parse(s, p, 4), 1);
	ck_assert_str_eq(p[0].name, name);
	ck_assert_str_eq(p[0].value, value);
	free(s);
}

START_TEST(test_output_single_line)
{
	int rc;
	char *s;

	read_back("key", "venv-a-cpython311-linux-0123",
	    "key=venv-a-cpython311-linux-0123\n", NULL);
	/* '=' and "<<" inside a value are data, not syntax. */
	read_back("x", "a=b<<c", NULL, NULL);
	s = format1("empty", "", &rc);
	ck_assert_str_eq(s, "empty=\n");
	free(s);
}
END_TEST

START_TEST(test_output_multi_line)
{
	static const char *const values[] = {
	    "venv-a-\nvenv-",
	    "one\n\nthree\n",
	    "\n",
	    "cr\r\nlf",
	    "line\nEOF\nline",
	};
	size_t i;

	for (i = 0; i < VC_ARRAY_SIZE(values); i++)
		read_back("restore-keys", values[i], NULL, "restore-keys<<");
}
END_TEST

START_TEST(test_output_lines)
{
	struct vc_buf b;
	struct vc_error err;
	struct pair p[2];

	vc_buf_init(&b);
	ck_assert_int_eq(vc_gha_format_output_lines(&b, "restore-keys",
	                     "venv-a-", &err),
	    0);
	ck_assert(vc_str_startswith(b.data, "restore-keys<<"));
	ck_assert_int_eq(runner_parse(b.data, p, 2), 1);
	ck_assert_str_eq(p[0].value, "venv-a-");
	vc_buf_reset(&b);
	ck_assert_int_eq(vc_gha_format_output_lines(&b, "empty", "", &err), 0);
	ck_assert_int_eq(runner_parse(b.data, p, 2), 1);
	ck_assert_str_eq(p[0].name, "empty");
	ck_assert_str_eq(p[0].value, "");
	vc_buf_release(&b);
}
END_TEST

START_TEST(test_cache_path)
{
	/* GITHUB_WORKSPACE and HOME (NULL: unset) and what a path becomes */
	static const struct {
		const char *workspace, *home, *path, *want;
	} c[] = {
	    {NULL, NULL, "/home/runner/work/r/r/.venvcache",
	        "/home/runner/work/r/r/.venvcache"},
	    {"/home/runner/work/r/r/", NULL, "/home/runner/work/r/r/.venvcache",
	        ".venvcache"},
	    /* Not a path prefix, the workspace itself, outside: absolute. */
	    {"/home/runner/work/r/r/", NULL,
	        "/home/runner/work/r/rx/.venvcache",
	        "/home/runner/work/r/rx/.venvcache"},
	    {"/home/runner/work/r/r/", NULL, "/home/runner/work/r/r",
	        "/home/runner/work/r/r"},
	    {"/home/runner/work/r/r/", NULL, "/root/.cache/venvcache",
	        "/root/.cache/venvcache"},
	    /* Below HOME (and not the workspace): "~/", as actions/cache
	     * reads. */
	    {"/home/runner/work/r/r/", "/root/", "/root/.cache/venvcache",
	        "~/.cache/venvcache"},
	    {"/home/runner/work/r/r/", "/root/",
	        "/home/runner/work/r/r/.venvcache", ".venvcache"},
	    {"/home/runner/work/r/r/", "/root/", "/rootx/.cache",
	        "/rootx/.cache"},
	    {"/home/runner/work/r/r/", "/", "/root/.cache/venvcache",
	        "/root/.cache/venvcache"},
	    {"/home/runner/work/r/r/", "/home/runner",
	        "/home/runner/.cache/venvcache", "~/.cache/venvcache"},
	};
	size_t i;

	for (i = 0; i < VC_ARRAY_SIZE(c); i++) {
		char *s;

		if (c[i].workspace != NULL)
			setenv("GITHUB_WORKSPACE", c[i].workspace, 1);
		else
			unsetenv("GITHUB_WORKSPACE");
		if (c[i].home != NULL)
			setenv("HOME", c[i].home, 1);
		else
			unsetenv("HOME");
		s = vc_gha_cache_path(c[i].path);
		ck_assert_msg(strcmp(s, c[i].want) == 0,
		    "%s (workspace %s, HOME %s): '%s', want '%s'", c[i].path,
		    c[i].workspace ? c[i].workspace : "unset",
		    c[i].home ? c[i].home : "unset", s, c[i].want);
		free(s);
	}
	unsetenv("GITHUB_WORKSPACE");
	unsetenv("HOME");
}
END_TEST

/* s as vc_gha_cache_path returns it, or "(null)". */
static void
cache_path_is(const char *dir, const char *want)
{
	char *s = vc_gha_cache_path(dir);

	ck_assert_str_eq(s != NULL ? s : "(null)", want);
	free(s);
}

/*
 * actions/cache reads its path as @actions/glob patterns: the glob
 * characters are escaped so that the pattern matches that directory only.
 */
START_TEST(test_cache_path_glob)
{
	unsetenv("GITHUB_WORKSPACE");
	unsetenv("HOME");
	cache_path_is("/w/a*b/c?d/[x]/e]f/{g,h}/!i/#j",
	    "/w/a[*]b/c[?]d/[[]x]/e]f/{g,h}/!i/#j");
	cache_path_is("/w/back\\slash", "/w/back\\\\slash");
	/* Spaces: inside kept, at the end (lines are trimmed) as "[ ]". */
	cache_path_is("/w/a b ", "/w/a b[ ]");
	cache_path_is("/w/a\t\xc2\xa0", "/w/a[\t][\xc2\xa0]");
	cache_path_is("/w/a\nb", "(null)");
	{
		const char *keys[] = {"venv-a-cpython311-linux-" H1};
		const char *paths[] = {"/dev/shm/venvcache/a"};
		struct vc_strv rk;
		const struct vc_strv *rks[1] = {&rk};
		struct vc_error err;

		vc_strv_init(&rk);
		ck_assert_int_eq(vc_gha_key_outputs("venv", "/w/a\nb", NULL,
		                     keys, rks, paths, 1, &err),
		    -1);
		ck_assert_ptr_nonnull(strstr(err.msg, "holds a line break"));
		vc_strv_release(&rk);
	}
	setenv("GITHUB_WORKSPACE", "/ws", 1);
	/* A relative path: a leading '!' negates, '#' comments, '~' is HOME. */
	cache_path_is("/ws/!store", "\\!store");
	cache_path_is("/ws/#store", "\\#store");
	cache_path_is("/ws/~/store", "\\~/store");
	cache_path_is("/ws/~store", "~store");
	cache_path_is("/ws/ store", "[ ]store");
	cache_path_is("/ws/a/!b", "a/!b");
	cache_path_is("/ws/*", "[*]");
	/* Under HOME: "~/" stays HOME; the rest is escaped. */
	setenv("HOME", "/h", 1);
	cache_path_is("/h/!x/*/ ", "~/!x/[*]/[ ]");
	cache_path_is("/h/.cache/venvcache", "~/.cache/venvcache");
	unsetenv("GITHUB_WORKSPACE");
	unsetenv("HOME");
}
END_TEST

/*
 * Key format 2: two envs of one set and interpreter have one offline key;
 * warm's save-key is under the key that `key --github-output` builds with
 * the env names hashed in, so other names give another store.
 */
START_TEST(test_warm_outputs_names)
{
	char path[] = "/tmp/check_gha_warmXXXXXX";
	const char *off[] = {"venv-cp311-linux_x86_64-" H1,
	    "venv-cp311-linux_x86_64-" H1};
	const char *ab[] = {"a", "b"}, *xy[] = {"x", "y"};
	struct vc_gha_keys k1, k2;
	struct vc_error err;
	struct pair p[8];
	char *text, *save1;
	int fd = mkstemp(path);

	ck_assert_int_ne(fd, -1);
	close(fd);
	vc_gha_keys_init(&k1);
	vc_gha_keys_init(&k2);
	ck_assert_int_eq(vc_gha_keys_build(&k1, "venv", ab, off, NULL, 2, &err),
	    0);
	ck_assert_int_eq(vc_gha_keys_build(&k2, "venv", xy, off, NULL, 2, &err),
	    0);
	ck_assert_str_ne(k1.key, k2.key);
	ck_assert_str_ne(k1.restore_keys.v[0], k2.restore_keys.v[0]);
	setenv("GITHUB_OUTPUT", path, 1);
	ck_assert_int_eq(vc_gha_warm_outputs("venv", ab, off, off, 2, 1, 1, 1,
	                     &err),
	    0);
	text = vc_test_slurp(path, NULL);
	ck_assert_int_eq(runner_parse(text, p, 8), 4);
	ck_assert_str_eq(p[3].name, "save-key");
	save1 = xasprintf("%s-", k1.key);
	ck_assert(vc_str_startswith(p[3].value, save1));
	ck_assert_uint_eq(strlen(p[3].value), strlen(save1) + 32);
	free(save1);
	free(text);
	ck_assert_int_eq(truncate(path, 0), 0);
	ck_assert_int_eq(vc_gha_warm_outputs("venv", xy, off, off, 2, 1, 1, 1,
	                     &err),
	    0);
	text = vc_test_slurp(path, NULL);
	ck_assert_int_eq(runner_parse(text, p, 8), 4);
	save1 = xasprintf("%s-", k2.key);
	ck_assert(vc_str_startswith(p[3].value, save1));
	free(save1);
	free(text);
	unsetenv("GITHUB_OUTPUT");
	unlink(path);
	vc_gha_keys_release(&k1);
	vc_gha_keys_release(&k2);
}
END_TEST

START_TEST(test_save_key)
{
	const char *a[] = {"venv-a-cp311-linux_x86_64-" H1,
	    "venv-b-cp311-linux_x86_64-" H1};
	const char *b[] = {a[1], a[0], a[1]};
	struct vc_error err;
	char *s1 = NULL, *s2 = NULL, *s3 = NULL;

	/* The key, '-', 32 hex; order and repetition do not matter. */
	ck_assert_int_eq(vc_gha_save_key("venv-envs2-x", a, 2, &s1, &err), 0);
	ck_assert_int_eq(vc_gha_save_key("venv-envs2-x", b, 3, &s2, &err), 0);
	ck_assert_str_eq(s1, s2);
	ck_assert(vc_str_startswith(s1, "venv-envs2-x-"));
	ck_assert_uint_eq(strlen(s1), strlen("venv-envs2-x-") + 32);
	/* Other entries: another save key under the same prefix. */
	ck_assert_int_eq(vc_gha_save_key("venv-envs2-x", a, 1, &s3, &err), 0);
	ck_assert_str_ne(s1, s3);
	free(s1);
	free(s2);
	free(s3);
	s1 = (char *)1;
	ck_assert_int_eq(vc_gha_save_key("a,b", a, 1, &s1, &err), -1);
	ck_assert_ptr_null(s1);
}
END_TEST

START_TEST(test_key_outputs)
{
	char path[] = "/tmp/check_gha_keyXXXXXX", cwd[4096], want[65];
	const char *keys[] = {"venv-a-cpython311-linux-" H1};
	const char *paths[] = {"/dev/shm/venvcache/a"};
	const char *dir[1];
	struct vc_strv rk;
	const struct vc_strv *rks[1] = {&rk};
	struct vc_error err;
	struct pair p[8];
	char *text, *abs;
	int fd = mkstemp(path);

	ck_assert_int_ne(fd, -1);
	close(fd);
	ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
	vc_strv_init(&rk);
	vc_strv_push(&rk, "venv-a-cpython311-linux-");
	vc_strv_push(&rk, "venv-a-cpython311-");
	unsetenv("HOME"); /* cache-path: not below HOME */
	setenv("GITHUB_OUTPUT", path, 1);
	ck_assert_int_eq(vc_gha_key_outputs("venv", "rel/store", NULL, keys,
	                     rks, paths, 1, &err),
	    0);
	text = vc_test_slurp(path, NULL);
	ck_assert_int_eq(runner_parse(text, p, 8), 6);
	ck_assert_str_eq(p[0].name, "key");
	ck_assert_str_eq(p[0].value, keys[0]);
	/* First the stores saved under this key's save keys. */
	ck_assert_str_eq(p[1].name, "restore-keys");
	ck_assert_str_eq(p[1].value,
	    "venv-a-cpython311-linux-" H1
	    "-\nvenv-a-cpython311-linux-\nvenv-a-cpython311-");
	ck_assert_str_eq(p[2].name, "path");
	ck_assert_str_eq(p[2].value, "/dev/shm/venvcache/a");
	abs = xasprintf("%s/rel/store", cwd);
	ck_assert_str_eq(p[3].name, "cache-dir");
	ck_assert_str_eq(p[3].value, abs);
	/* Outside $GITHUB_WORKSPACE (unset here): the absolute path. */
	ck_assert_str_eq(p[4].name, "cache-path");
	ck_assert_str_eq(p[4].value, abs);
	dir[0] = abs;
	vc_gha_cache_version(dir, 1, want);
	ck_assert_str_eq(p[5].name, "cache-version");
	ck_assert_str_eq(p[5].value, want);
	free(text);

	/* Inside the workspace: relative to it, and so is the version. */
	ck_assert_int_eq(truncate(path, 0), 0);
	setenv("GITHUB_WORKSPACE", cwd, 1);
	ck_assert_int_eq(vc_gha_key_outputs("venv", "rel/store", NULL, keys,
	                     rks, paths, 1, &err),
	    0);
	text = vc_test_slurp(path, NULL);
	ck_assert_int_eq(runner_parse(text, p, 8), 6);
	ck_assert_str_eq(p[3].value, abs);
	ck_assert_str_eq(p[4].value, "rel/store");
	dir[0] = "rel/store";
	vc_gha_cache_version(dir, 1, want);
	ck_assert_str_eq(p[5].value, want);
	unsetenv("GITHUB_WORKSPACE");
	free(abs);
	free(text);

	/* An invalid key: an error, and nothing written. */
	ck_assert_int_eq(truncate(path, 0), 0);
	keys[0] = "venv-a,b-" H1;
	ck_assert_int_eq(vc_gha_key_outputs("venv", "/s", NULL, keys, rks,
	                     paths, 1, &err),
	    -1);
	text = vc_test_slurp(path, NULL);
	ck_assert_str_eq(text, "");
	free(text);
	unsetenv("GITHUB_OUTPUT");
	vc_strv_release(&rk);
	unlink(path);
}
END_TEST

START_TEST(test_output_several)
{
	struct vc_buf b;
	struct vc_error err;
	struct pair p[4];

	vc_buf_init(&b);
	ck_assert_int_eq(vc_gha_format_output(&b, "key", "k1", &err), 0);
	ck_assert_int_eq(vc_gha_format_output(&b, "restore-keys", "a\nb", &err),
	    0);
	ck_assert_int_eq(vc_gha_format_output(&b, "cache-dir", "/c", &err), 0);
	ck_assert_int_eq(runner_parse(b.data, p, 4), 3);
	ck_assert_str_eq(p[0].value, "k1");
	ck_assert_str_eq(p[1].value, "a\nb");
	ck_assert_str_eq(p[2].name, "cache-dir");
	ck_assert_str_eq(p[2].value, "/c");
	vc_buf_release(&b);
}
END_TEST

START_TEST(test_output_bad_names)
{
	static const char *const names[] = {"", "a=b", "a<<b", "a b", "a\nb",
	    "a:b"};
	struct vc_buf b;
	struct vc_error err;
	size_t i;

	vc_buf_init(&b);
	vc_buf_adds(&b, "kept\n");
	for (i = 0; i < VC_ARRAY_SIZE(names); i++) {
		vc_error_clear(&err);
		ck_assert_int_eq(vc_gha_format_output(&b, names[i], "v", &err),
		    -1);
		ck_assert_ptr_nonnull(strstr(err.msg, "invalid output name"));
	}
	ck_assert_int_eq(vc_gha_format_output(&b, NULL, "v", &err), -1);
	ck_assert_str_eq(b.data, "kept\n");
	vc_buf_release(&b);
}
END_TEST

/* A random source that gives zeros first, then 0x11 bytes. */
static int calls;

static void
zeros_then_ones(unsigned char *p, size_t n)
{
	memset(p, calls++ == 0 ? 0x00 : 0x11, n);
}

static void
always_zeros(unsigned char *p, size_t n)
{
	memset(p, 0, n);
}

START_TEST(test_output_delimiter_collision)
{
	const char *zero = "VENVCACHE_EOF_00000000000000000000000000000000";
	struct pair p[2];
	char *value, *s;
	int rc;

	/* The value holds the first delimiter the source yields, as a line. */
	value = xasprintf("before\n%s\nafter", zero);
	calls = 0;
	vc_gha_set_random(zeros_then_ones);
	s = format1("v", value, &rc);
	ck_assert_int_eq(rc, 0);
	ck_assert_int_eq(calls, 2);
	ck_assert_ptr_nonnull(
	    strstr(s, "v<<VENVCACHE_EOF_11111111111111111111111111111111\n"));
	ck_assert_int_eq(runner_parse(s, p, 2), 1);
	ck_assert_str_eq(p[0].value, value);
	free(s);

	/* A source that never avoids it: an error, not a broken file. */
	vc_gha_set_random(always_zeros);
	s = format1("v", value, &rc);
	ck_assert_int_eq(rc, -1);
	ck_assert_str_eq(s, "");
	free(s);
	vc_gha_set_random(NULL);

	/* Two real delimiters differ. */
	{
		char *a = format1("v", "x\ny", &rc),
		     *b = format1("v", "x\ny", &rc);

		ck_assert_str_ne(a, b);
		free(a);
		free(b);
	}
	free(value);
}
END_TEST

START_TEST(test_write_outputs)
{
	char path[] = "/tmp/check_gha_outXXXXXX";
	struct vc_error err;
	struct vc_buf got;
	int fd = mkstemp(path);

	ck_assert_int_ne(fd, -1);
	close(fd);
	unsetenv("HOME"); /* cache-path: not below HOME */
	setenv("GITHUB_OUTPUT", path, 1);
	ck_assert_int_eq(vc_gha_output("a", "1", &err), 0);
	ck_assert_int_eq(vc_gha_output("b", "2", &err), 0);
	vc_buf_init(&got);
	ck_assert_int_eq(vc_read_file(path, 0, &got, &err), 0);
	ck_assert_str_eq(got.data, "a=1\nb=2\n");
	vc_buf_release(&got);
	unsetenv("GITHUB_OUTPUT");
	vc_error_clear(&err);
	ck_assert_int_eq(vc_gha_output("a", "1", &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "$GITHUB_OUTPUT is not set"));
	unlink(path);
}
END_TEST

START_TEST(test_escape)
{
	char *s;

	s = vc_gha_escape_data("100% a:b,c\r\nd");
	ck_assert_str_eq(s, "100%25 a:b,c%0D%0Ad");
	free(s);
	s = vc_gha_escape_property("100% a:b,c\r\nd");
	ck_assert_str_eq(s, "100%25 a%3Ab%2Cc%0D%0Ad");
	free(s);
	/* '%' first: a literal "%0A" must not come back as a newline. */
	s = vc_gha_escape_data("%0A");
	ck_assert_str_eq(s, "%250A");
	free(s);
	s = vc_gha_escape_data("");
	ck_assert_str_eq(s, "");
	free(s);
}
END_TEST

static char *
capture(void (*fn)(FILE *, void *), void *arg)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	fn(f, arg);
	fclose(f);
	return buf;
}

static void
do_mask(FILE *f, void *arg)
{
	vc_gha_mask(f, arg);
}

static void
do_error_file(FILE *f, void *arg)
{
	vc_gha_error(f, "reqs/a,b:c.txt", 3,
	    "reqs/a,b:c.txt:3: bad\nline 100%");
}

static void
do_error_plain(FILE *f, void *arg)
{
	vc_gha_error(f, "", 0, "no file");
	vc_gha_warning(f, "careful");
}

static void
do_group(FILE *f, void *arg)
{
	vc_gha_group(f, "warm py311: create");
	vc_gha_endgroup(f);
}

START_TEST(test_mask)
{
	char *s;

	s = capture(do_mask, "tok%en\nline2");
	ck_assert_str_eq(s, "::add-mask::tok%25en%0Aline2\n");
	free(s);
	s = capture(do_mask, "s3cr3t");
	ck_assert_str_eq(s, "::add-mask::s3cr3t\n");
	free(s);
	s = capture(do_mask, "  \n");
	ck_assert_str_eq(s, "");
	free(s);
	s = capture(do_mask, NULL);
	ck_assert_str_eq(s, "");
	free(s);
}
END_TEST

START_TEST(test_annotations)
{
	char *s;

	s = capture(do_error_file, NULL);
	ck_assert_str_eq(s,
	    "::error file=reqs/a%2Cb%3Ac.txt,line=3::"
	    "reqs/a,b:c.txt:3: bad%0Aline 100%25\n");
	free(s);
	s = capture(do_error_plain, NULL);
	ck_assert_str_eq(s, "::error::no file\n::warning::careful\n");
	free(s);
	s = capture(do_group, NULL);
	ck_assert_str_eq(s, "::group::warm py311: create\n::endgroup::\n");
	free(s);
}
END_TEST

static void
do_mask_config(FILE *f, void *arg)
{
	vc_gha_mask_config(f, arg);
}

START_TEST(test_mask_config)
{
	struct vc_config cfg;
	struct vc_error err;
	char *s;

	vc_config_init(&cfg);
	s = capture(do_mask_config, &cfg);
	ck_assert_str_eq(s, "");
	free(s);
	ck_assert_int_eq(vc_config_set(&cfg, VC_S_INDEX_URL,
	                     "https://alice:s3cr%t@pypi.corp/simple",
	                     VC_ORIGIN_CLI, "command line", &err),
	    0);
	s = capture(do_mask_config, &cfg);
	ck_assert_ptr_nonnull(strstr(s, "::add-mask::s3cr%25t\n"));
	/* Nothing but masks. */
	ck_assert(vc_str_startswith(s, "::add-mask::"));
	ck_assert_ptr_null(strstr(s, "\n::error"));
	free(s);
	vc_config_release(&cfg);
}
END_TEST

static void
do_report(FILE *f, void *arg)
{
	vc_gha_report_error(f, "key", arg);
}

START_TEST(test_report_error)
{
	struct vc_error err;
	char cwd[4096], *want, *s;

	ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
	vc_error_clear(&err);
	vc_error_at(&err, "reqs/a.txt", 7, "invalid requirement 'x=='");
	s = capture(do_report, &err);
	want = xasprintf("::error file=%s/reqs/a.txt,line=7::venvcache: key: "
	                 "reqs/a.txt:7: invalid requirement 'x=='\n",
	    cwd);
	ck_assert_str_eq(s, want);
	free(want);
	free(s);
	vc_error_clear(&err);
	vc_error_set(&err, VC_EFAIL, "no entry");
	s = capture(do_report, &err);
	ck_assert_str_eq(s, "::error::venvcache: key: no entry\n");
	free(s);
}
END_TEST

START_TEST(test_summary_limit)
{
	char path[] = "/tmp/check_gha_sumXXXXXX";
	struct vc_error err;
	struct vc_buf big;
	struct stat st;
	char *s;
	int fd = mkstemp(path), i;

	ck_assert_int_ne(fd, -1);
	close(fd);
	/* Within the limit: appended whole. */
	ck_assert_int_eq(vc_gha_summary_append(path, "# one\n", 400, &err), 0);
	/* Past it: cut at a line boundary, with the note, within the limit. */
	vc_buf_init(&big);
	for (i = 0; i < 40; i++)
		vc_buf_addf(&big, "| row %02d | hit |\n", i);
	ck_assert_int_eq(vc_gha_summary_append(path, big.data, 400, &err), 1);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_le(st.st_size, 400);
	s = vc_test_slurp(path, NULL);
	ck_assert(vc_str_startswith(s, "# one\n| row 00 | hit |\n"));
	ck_assert_ptr_nonnull(strstr(s, "left out"));
	ck_assert_ptr_nonnull(strstr(s, "1 MiB"));
	/* No row is cut in the middle. */
	ck_assert_ptr_nonnull(strstr(s, " | hit |\n\n> venvcache"));
	free(s);
	/* Full: nothing more is written, and that is reported. */
	ck_assert_int_eq(vc_gha_summary_append(path, big.data, 400, &err), 1);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_le(st.st_size, 400);
	vc_buf_release(&big);

	/* $GITHUB_STEP_SUMMARY and the real limit. */
	setenv("GITHUB_STEP_SUMMARY", path, 1);
	ck_assert_int_eq(truncate(path, 0), 0);
	ck_assert_int_eq(vc_gha_summary("hello\n", &err), 0);
	s = vc_test_slurp(path, NULL);
	ck_assert_str_eq(s, "hello\n");
	free(s);
	unsetenv("GITHUB_STEP_SUMMARY");
	ck_assert_int_eq(vc_gha_summary("hello\n", &err), -1);
	unlink(path);
}
END_TEST

START_TEST(test_summary_table)
{
	struct vc_gha_row rows[] = {
	    {"py311_django42", VC_GHA_HIT, 1.25, 50u << 20, 40.0},
	    {"a|b", VC_GHA_CREATED, 42.0, 1u << 20, 0},
	    {"there", VC_GHA_READY, 0.0, 0, 0},
	};
	char *s = vc_gha_summary_table(rows, 3);

	ck_assert_ptr_nonnull(
	    strstr(s, "| env | result | seconds | size | seconds saved |\n"));
	ck_assert_ptr_nonnull(strstr(s, "| py311\\_django42 | hit | 1.2"));
	ck_assert_ptr_nonnull(strstr(s, "50.0 MiB | 40.0 |\n"));
	ck_assert_ptr_nonnull(strstr(s, "| a\\|b | miss, created | 42.0 |"));
	/* A venv already there has no size measured: not "0 B". */
	ck_assert_ptr_nonnull(strstr(s, "| there | ready | 0.0 | – | 0.0 |"));
	ck_assert_ptr_nonnull(strstr(s, "2 of 3 ready or hit"));
	free(s);
}
END_TEST

START_TEST(test_cache_version_toolkit)
{
	/* actions/toolkit packages/cache/__tests__/cacheHttpClient.test.ts */
	const char *nm[] = {"node_modules"};
	const char *two[] = {"node_modules", "dist"};
	char v[65];

	vc_gha_cache_version_ex(nm, 1, NULL, 0, v);
	ck_assert_str_eq(v,
	    "b3e0c6cb5ecf32614eeb2997d905b9c2"
	    "97046d7cbf69062698f25b14b4cb0985");
	vc_gha_cache_version_ex(two, 2, NULL, 0, v);
	ck_assert_str_eq(v,
	    "165c3053bc646bf0d4fac17b1f5731ca"
	    "ca6fe38e0e464715c0c3c6b6318bf436");
	vc_gha_cache_version_ex(nm, 1, "zstd", 0, v);
	ck_assert_str_eq(v,
	    "273877e14fd65d270b87a198edbfa2db"
	    "5a43de567c9a548d2a2505b408befe24");
	vc_gha_cache_version_ex(nm, 1, "gzip", 0, v);
	ck_assert_str_eq(v,
	    "470e252814dbffc9524891b17cf4e574"
	    "9b26c1b5026e63dd3f00972db2393117");
	vc_gha_cache_version_ex(nm, 1, NULL, 1, v);
	ck_assert_str_eq(v,
	    "2db19d6596dc34f51f0043120148827a"
	    "264863f5c6ac857569c2af7119bad14e");
}
END_TEST

START_TEST(test_cache_version_ours)
{
	/* sha256 of "node_modules|zstd-without-long|1.0" (coreutils). */
	const char *nm[] = {"node_modules"};
	const char *home[] = {"/home/runner/.cache/venvcache"};
	char v[65];

	vc_gha_cache_version(nm, 1, v);
	ck_assert_str_eq(v,
	    "7fcda33c1e1d849a13bcc06f49b9ab64"
	    "efc01ca9dabe4d7a8d0d387feef4fc88");
	vc_gha_cache_version(home, 1, v);
	ck_assert_str_eq(v,
	    "73e9d61725a6a3946ede1522bfa98c85"
	    "55792f0de6e5c6caeb3bd65891b1d723");
}
END_TEST

START_TEST(test_split_input)
{
	struct vc_strv v;

	vc_strv_init(&v);
	vc_gha_split_input("  ~/.cache/venvcache \n\n!   dist/x\r\nlast", &v);
	ck_assert_uint_eq(v.n, 3);
	ck_assert_str_eq(v.v[0], "~/.cache/venvcache");
	ck_assert_str_eq(v.v[1], "!dist/x");
	ck_assert_str_eq(v.v[2], "last");
	vc_strv_release(&v);
}
END_TEST

START_TEST(test_keys_one_env)
{
	struct vc_gha_keys k;
	struct vc_strv rk;
	const struct vc_strv *rks[1] = {&rk};
	const char *keys[1] = {"venv-a-cpython311-linux-" H1};
	struct vc_error err;
	int i;

	vc_strv_init(&rk);
	for (i = 0; i < 12; i++)
		vc_strv_pushf(&rk, "venv-a-%d", 12 - i);
	vc_gha_keys_init(&k);
	ck_assert_int_eq(vc_gha_keys_build(&k, "venv", NULL, keys, rks, 1,
	                     &err),
	    0);
	ck_assert_str_eq(k.key, keys[0]);
	/* One key and at most nine restore keys, the most specific ones. */
	ck_assert_uint_eq(k.restore_keys.n, VC_GHA_MAX_KEYS - 1);
	ck_assert_str_eq(k.restore_keys.v[0], "venv-a-12");
	ck_assert_str_eq(k.restore_keys.v[8], "venv-a-4");
	vc_gha_keys_release(&k);
	vc_strv_release(&rk);
}
END_TEST

START_TEST(test_keys_several_envs)
{
	/* Format 2 keys have no env name: the names come apart. */
	const char *ab[] = {"venv-cp311-linux-" H1, "venv-cp312-linux-" H2};
	const char *nab[] = {"a", "b"};
	const char *ba[] = {ab[1], ab[0]};
	const char *nba[] = {"b", "a"};
	const char *ab2[] = {"venv-cp311-linux-" H2, ab[1]};
	const char *nac[] = {"a", "c"};
	const char *same[] = {"venv-cp311-linux-" H1, "venv-cp311-linux-" H1};
	const char *nxy[] = {"x", "y"};
	const char *nxz[] = {"x", "z"};
	struct vc_gha_keys k1, k2, k3, k4, k5, k6;
	struct vc_error err;

	vc_gha_keys_init(&k1);
	vc_gha_keys_init(&k2);
	vc_gha_keys_init(&k3);
	vc_gha_keys_init(&k4);
	vc_gha_keys_init(&k5);
	vc_gha_keys_init(&k6);
	ck_assert_int_eq(vc_gha_keys_build(&k1, "venv", nab, ab, NULL, 2, &err),
	    0);
	ck_assert_int_eq(vc_gha_keys_build(&k2, "venv", nba, ba, NULL, 2, &err),
	    0);
	ck_assert_int_eq(vc_gha_keys_build(&k3, "venv", nab, ab2, NULL, 2,
	                     &err),
	    0);
	ck_assert_int_eq(vc_gha_keys_build(&k4, "venv", nac, ab, NULL, 2, &err),
	    0);
	ck_assert_int_eq(vc_gha_keys_build(&k5, "venv", nxy, same, NULL, 2,
	                     &err),
	    0);
	ck_assert_int_eq(vc_gha_keys_build(&k6, "venv", nxz, same, NULL, 2,
	                     &err),
	    0);
	/* venv-envs2-<16 hex>-<32 hex> */
	ck_assert(vc_str_startswith(k1.key, "venv-envs2-"));
	ck_assert_uint_eq(strlen(k1.key), strlen("venv-envs2-") + 16 + 1 + 32);
	ck_assert_uint_eq(k1.restore_keys.n, 1);
	ck_assert(vc_str_startswith(k1.key, k1.restore_keys.v[0]));
	/* Order of selection does not matter. */
	ck_assert_str_eq(k1.key, k2.key);
	/* New requirements: a new key, the same restore key. */
	ck_assert_str_ne(k1.key, k3.key);
	ck_assert_str_eq(k1.restore_keys.v[0], k3.restore_keys.v[0]);
	/* Another set of envs: another restore key, even with the same
	 * interpreters and requirements (two groups of one matrix). */
	ck_assert_str_ne(k1.restore_keys.v[0], k4.restore_keys.v[0]);
	ck_assert_str_ne(k5.restore_keys.v[0], k6.restore_keys.v[0]);
	vc_gha_keys_release(&k1);
	vc_gha_keys_release(&k2);
	vc_gha_keys_release(&k3);
	vc_gha_keys_release(&k4);
	vc_gha_keys_release(&k5);
	vc_gha_keys_release(&k6);
}
END_TEST

START_TEST(test_keys_invalid)
{
	const char *comma[] = {"venv-a,b-" H1};
	struct vc_gha_keys k;
	struct vc_error err;
	char *longp = xmalloc(600);

	vc_gha_keys_init(&k);
	vc_error_clear(&err);
	ck_assert_int_eq(vc_gha_keys_build(&k, "venv", NULL, comma, NULL, 1,
	                     &err),
	    -1);
	ck_assert_ptr_null(k.key);
	ck_assert_int_ne(err.code, VC_OK);
	memset(longp, 'p', 599);
	longp[599] = '\0';
	{
		const char *two[] = {"venv-a-" H1, "venv-b-" H2};

		vc_error_clear(&err);
		ck_assert_int_eq(vc_gha_keys_build(&k, longp, NULL, two, NULL,
		                     2, &err),
		    -1);
		ck_assert_int_ne(err.code, VC_OK);
	}
	ck_assert_int_eq(vc_gha_keys_build(&k, "venv", NULL, NULL, NULL, 0,
	                     &err),
	    -1);
	free(longp);
}
END_TEST

int
main(void)
{
	const TTest *const tests[] = {
	    test_output_single_line,
	    test_output_multi_line,
	    test_output_lines,
	    test_key_outputs,
	    test_cache_path,
	    test_cache_path_glob,
	    test_save_key,
	    test_warm_outputs_names,
	    test_output_several,
	    test_output_bad_names,
	    test_output_delimiter_collision,
	    test_write_outputs,
	    test_escape,
	    test_mask,
	    test_annotations,
	    test_mask_config,
	    test_report_error,
	    test_summary_limit,
	    test_summary_table,
	    test_cache_version_toolkit,
	    test_cache_version_ours,
	    test_split_input,
	    test_keys_one_env,
	    test_keys_several_envs,
	    test_keys_invalid,
	};
	Suite *s = suite_create("gha");

	vc_test_case(s, "core", NULL, NULL, 0, tests, VC_ARRAY_SIZE(tests));
	return vc_test_run(s);
}
