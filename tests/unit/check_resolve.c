/*
 * check_resolve.c: the resolution record. uv pip compile's output and
 * pip's report of the same pins read to the same key lines; the pins
 * reader takes continuations, comments and several digests, round-trips
 * through vc_resolution_requirements(), and refuses anything else with
 * name:line.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "venvcache/resolve.h"

#include "helpers.h"

#define H1 "fdc2867eb44ca0e791f809a78396f3cce6c5d8dc0c3d135e801bcddc8b4e75b0"
#define H2 "78536b45aff868610eb681a6f97e6f66fe8a717229aec03be264473bdbc4f30b"

static const char uv_out[] =
    "vc-alpha==1.1 \\\n"
    "    --hash=sha256:" H1 "\n"
    "# a comment\n"
    "\n"
    "Vc_Zope.Interface==5.0 \\\n"
    "    --hash=sha256:" H2 " \\\n"
    "    --hash=sha256:" H1 "\n"
    "vc-delta @ file:///tmp/x/vc_delta-1.0-py3-none-any.whl\n";

static const char pip_report[] =
    "{\"version\": \"1\", \"install\": ["
    "{\"metadata\": {\"name\": \"vc_zope.interface\", \"version\": "
    "\"5.0\"}, \"download_info\": {\"url\": \"http://h/f.whl\", "
    "\"archive_info\": {\"hashes\": {\"sha256\": \"" H2 "\"}}}},"
    "{\"metadata\": {\"name\": \"VC-Delta\", \"version\": \"1.0\"}, "
    "\"is_direct\": true, \"download_info\": {\"url\": "
    "\"file:///tmp/x/vc_delta-1.0-py3-none-any.whl\", \"archive_info\": "
    "{}}},"
    "{\"metadata\": {\"name\": \"vc-alpha\", \"version\": \"1.1\"}, "
    "\"download_info\": {\"url\": \"http://h/a.whl\", \"archive_info\": "
    "{\"hash\": \"sha256=" H1 "\"}}}]}";

static char *
joined(const struct vc_resolution *r)
{
	struct vc_strv lines;
	struct vc_buf b;
	size_t i;

	vc_strv_init(&lines);
	vc_buf_init(&b);
	vc_resolution_key_lines(r, &lines);
	for (i = 0; i < lines.n; i++)
		vc_buf_addf(&b, "%s\n", lines.v[i]);
	vc_strv_release(&lines);
	return vc_buf_detach(&b);
}

START_TEST(test_same_record)
{
	struct vc_resolution a, b;
	struct vc_error err;
	char *ka, *kb;

	vc_resolution_init(&a);
	vc_resolution_init(&b);
	ck_assert_int_eq(vc_resolution_parse_pins(&a, uv_out, strlen(uv_out),
	                     "uv", &err),
	    0);
	ck_assert_int_eq(vc_resolution_parse_report(&b, pip_report,
	                     strlen(pip_report), "pip", &err),
	    0);
	ka = joined(&a);
	kb = joined(&b);
	ck_assert_str_eq(ka,
	    "vc-alpha==1.1\n"
	    "vc-delta @ file:///tmp/x/vc_delta-1.0-py3-none-any.whl\n"
	    "vc-zope-interface==5.0\n");
	ck_assert_str_eq(ka, kb);
	ck_assert_str_eq(b.resolver, "pip");
	/* uv gives every file's digest, pip the one it chose. */
	ck_assert_uint_eq(a.items[2].hashes.n, 2);
	ck_assert_uint_eq(b.items[2].hashes.n, 1);
	ck_assert_str_eq(b.items[2].hashes.v[0], H2);
	ck_assert_int_eq(a.items[1].direct, 1);
	free(ka);
	free(kb);
	vc_resolution_release(&a);
	vc_resolution_release(&b);
}
END_TEST

START_TEST(test_round_trip)
{
	struct vc_resolution a, b;
	struct vc_error err;
	char *t1, *t2;

	vc_resolution_init(&a);
	vc_resolution_init(&b);
	ck_assert_int_eq(vc_resolution_parse_pins(&a, uv_out, strlen(uv_out),
	                     "uv", &err),
	    0);
	t1 = vc_resolution_requirements(&a, 1);
	ck_assert_ptr_nonnull(strstr(t1,
	    "vc-zope-interface==5.0 \\\n"
	    "    --hash=sha256:" H2 " \\\n"
	    "    --hash=sha256:" H1 "\n"));
	ck_assert_int_eq(vc_resolution_parse_pins(&b, t1, strlen(t1), "t1",
	                     &err),
	    0);
	t2 = vc_resolution_requirements(&b, 1);
	ck_assert_str_eq(t1, t2);
	free(t1);
	free(t2);
	vc_resolution_release(&a);
	vc_resolution_release(&b);
}
END_TEST

static const struct {
	const char *text, *msg;
} bad[] = {
    {"vc-alpha>=1.0\n", "name:1: not a pin"},
    {"vc-alpha==1.0 ; python_version < '3'\n", "name:1: unexpected ';'"},
    {"\n\nvc-alpha==1.0 \\\n  --hash=sha256:abc\n", "name:3: unexpected"},
    {"vc-alpha==1.0 \\\n  --hash=md5:" H1 "\n", "name:1: unexpected"},
    {"--index-url http://x/simple\n", "name:1: not a pin"},
    {"vc-alpha @\n", "name:1: not a pin"},
    {"vc-alpha==1.0\nVC_Alpha==1.1\n",
        "'vc-alpha' is in the resolution "
        "twice"},
    {"vc-alpha[x]==1.0\n", "name:1: not a pin"},
};

START_TEST(test_refused)
{
	struct vc_resolution r;
	struct vc_error err;

	vc_resolution_init(&r);
	vc_error_clear(&err);
	ck_assert_int_eq(vc_resolution_parse_pins(&r, bad[_i].text,
	                     strlen(bad[_i].text), "name", &err),
	    -1);
	ck_assert_msg(strstr(err.msg, bad[_i].msg) != NULL,
	    "'%s': got '%s', want '%s'", bad[_i].text, err.msg, bad[_i].msg);
	ck_assert_ptr_null(r.items);
	ck_assert_uint_eq(r.n, 0);
}
END_TEST

START_TEST(test_nul_refused)
{
	struct vc_resolution r;
	struct vc_error err;

	vc_resolution_init(&r);
	ck_assert_int_eq(vc_resolution_parse_pins(&r, "a==1\0b==2\n", 10, "n",
	                     &err),
	    -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "NUL"));
}
END_TEST

int
main(void)
{
	const TTest *const tests[] = {
	    test_same_record,
	    test_round_trip,
	    test_nul_refused,
	};
	Suite *s = suite_create("resolve");
	TCase *tc;

	tc = vc_test_case(s, "resolve", NULL, NULL, 0, tests,
	    VC_ARRAY_SIZE(tests));
	tcase_add_loop_test(tc, test_refused, 0,
	    (int)(sizeof bad / sizeof bad[0]));
	return vc_test_run(s);
}
