/* check_venv.c: relocating a venv's files (vc_venv_relocate). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "venvcache/util.h"
#include "venvcache/venv.h"

#include "helpers.h"

static void
put(const char *name, const char *data, size_t n)
{
	char *path = vc_path_join(vc_test_dir, name);
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(data, 1, n, f), n);
	ck_assert_int_eq(fclose(f), 0);
	free(path);
}

static char *
get(const char *name, size_t *n)
{
	char *path = vc_path_join(vc_test_dir, name);
	struct vc_buf b;
	struct vc_error err;

	vc_buf_init(&b);
	ck_assert_int_eq(vc_read_file(path, 0, &b, &err), 0);
	free(path);
	*n = b.len;
	return b.data;
}

START_TEST(test_whole_prefixes_only)
{
	const char *in = "#!/old/env/bin/python\n/old/env2 /old/env/x "
	                 "/old/env.d\n/old/env";
	struct vc_strv files;
	struct vc_error err;
	char *out;
	size_t n;

	put("a", in, strlen(in));
	vc_strv_init(&files);
	vc_strv_push(&files, "a");
	ck_assert_int_eq(vc_venv_relocate(vc_test_dir, "/old/env",
	                     "/new/place/env", &files, 1000, &err),
	    0);
	out = get("a", &n);
	ck_assert_str_eq(out,
	    "#!/new/place/env/bin/python\n/old/env2 "
	    "/new/place/env/x /old/env.d\n/new/place/env");
	free(out);
	vc_strv_release(&files);
}
END_TEST

/* Matches across the 64 KiB chunks the file is read in, at every offset. */
START_TEST(test_chunk_boundaries)
{
	const char *from = "/a/venv", *to = "/bb/venv";
	size_t flen = strlen(from), size = 3 * 65536, i, n, off;
	struct vc_strv files;
	struct vc_error err;
	char *in = malloc(size), *out, *p;
	size_t hits = 0;

	/* Spaces: a match followed by a path character is another path. */
	memset(in, ' ', size);
	/* One match ending at each byte around the boundaries. */
	for (off = 65536 - flen - 2; off < 65536 + 2; off += flen + 1) {
		memcpy(in + off, from, flen);
		hits++;
	}
	for (off = 2 * 65536 - flen; off < 2 * 65536 + flen; off += flen + 1) {
		memcpy(in + off, from, flen);
		hits++;
	}
	put("b", in, size);
	vc_strv_init(&files);
	vc_strv_push(&files, "b");
	ck_assert_int_eq(vc_venv_relocate(vc_test_dir, from, to, &files,
	                     1u << 20, &err),
	    0);
	out = get("b", &n);
	ck_assert_uint_eq(n, size + hits);
	for (i = 0, p = out;
	     (p = memmem(p, n - (size_t)(p - out), to, strlen(to))) != NULL;
	     p += strlen(to))
		i++;
	ck_assert_uint_eq(i, hits);
	ck_assert_ptr_null(memmem(out, n, from, flen));
	free(out);
	free(in);
	vc_strv_release(&files);
}
END_TEST

/* A file full of the prefix cannot grow the venv past the bound. */
START_TEST(test_growth_is_bounded)
{
	size_t size = 1 << 20, i, n;
	struct vc_strv files;
	struct vc_error err;
	char *in = malloc(size), *out, *tmp;
	struct stat st;

	for (i = 0; i < size; i += 2)
		memcpy(in + i, "/a", 2);
	put("c", in, size);
	vc_strv_init(&files);
	vc_strv_push(&files, "c");
	ck_assert_int_eq(vc_venv_relocate(vc_test_dir, "/a",
	                     "/dev/shm/venvcache-0/somewhere/deep/env", &files,
	                     size, &err),
	    -1);
	ck_assert_int_eq(err.code, VC_EHOSTILE);
	ck_assert_ptr_nonnull(strstr(err.msg, "twice its declared size"));
	out = get("c", &n);
	ck_assert_uint_eq(n, size); /* as it was */
	free(out);
	tmp = vc_path_join(vc_test_dir, "c.vc-relocate");
	ck_assert_int_eq(stat(tmp, &st), -1); /* no leftover */
	free(tmp);
	free(in);
	vc_strv_release(&files);
}
END_TEST

/* Streaming: relocating a 32 MiB file does not hold it in memory. */
START_TEST(test_streams)
{
	size_t size = 32u << 20, i, n;
	struct vc_strv files;
	struct vc_error err;
	struct rusage before, after;
	char *block = malloc(65536), *out;
	char *path = vc_path_join(vc_test_dir, "d");
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	for (i = 0; i < 65536; i += 8)
		memcpy(block + i, "/o/env\n.", 8);
	for (i = 0; i < size; i += 65536)
		ck_assert_uint_eq(fwrite(block, 1, 65536, f), 65536);
	ck_assert_int_eq(fclose(f), 0);
	vc_strv_init(&files);
	vc_strv_push(&files, "d");
	ck_assert_int_eq(getrusage(RUSAGE_SELF, &before), 0);
	ck_assert_int_eq(vc_venv_relocate(vc_test_dir, "/o/env", "/n/env",
	                     &files, 0, &err),
	    0);
	ck_assert_int_eq(getrusage(RUSAGE_SELF, &after), 0);
	/* ru_maxrss is in KiB: under 4 MiB more than before. */
	ck_assert_int_lt(after.ru_maxrss - before.ru_maxrss, 4096);
	vc_strv_release(&files);
	{
		struct stat st;

		ck_assert_int_eq(stat(path, &st), 0);
		ck_assert_int_eq(st.st_size, (off_t)size);
	}
	out = get("d", &n);
	ck_assert_int_eq(memcmp(out, "/n/env\n./n/env\n.", 16), 0);
	free(out);
	free(path);
	free(block);
}
END_TEST

int
main(void)
{
	const TTest *const tests[] = {
	    test_whole_prefixes_only,
	    test_chunk_boundaries,
	    test_growth_is_bounded,
	    test_streams,
	};
	Suite *s = suite_create("venv");

	vc_test_case(s, "relocate", vc_test_setup, vc_test_teardown, 0, tests,
	    VC_ARRAY_SIZE(tests));
	return vc_test_run(s);
}
