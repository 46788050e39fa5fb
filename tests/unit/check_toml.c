/* check_toml.c: TOML documents as jansson trees (vc_toml_parse). */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "venvcache/toml.h"
#include "venvcache/util.h"

#include "helpers.h"

static json_t *
parse(const char *text, struct vc_error *err)
{
	vc_error_clear(err);
	return vc_toml_parse(text, strlen(text), "pyproject.toml", err);
}

/* The value at a dotted path of object keys, or NULL. */
static json_t *
at(json_t *root, const char *a, const char *b, const char *c)
{
	json_t *v = json_object_get(root, a);
	if (v != NULL && b != NULL)
		v = json_object_get(v, b);
	if (v != NULL && c != NULL)
		v = json_object_get(v, c);
	return v;
}

START_TEST(test_pyproject)
{
	static const char text[] =
	    "[build-system]\n"
	    "requires = [\"flit_core >=3.2,<4\"]\n"
	    "build-backend = \"flit_core.buildapi\"\n"
	    "\n"
	    "[project]\n"
	    "name = \"demo\"  # a comment\n"
	    "dependencies = [\n"
	    "  \"requests>=2\",\n"
	    "  'tomli; python_version < \"3.11\"',  # trailing comma\n"
	    "]\n"
	    "dynamic = [\"version\"]\n"
	    "[project.optional-dependencies]\n"
	    "socks = [\"PySocks!=1.5.7\"]\n"
	    "[dependency-groups]\n"
	    "test = [\"pytest\", {include-group = \"lint\"}]\n"
	    "lint = [\"ruff\"]\n";
	struct vc_error err;
	json_t *root = parse(text, &err), *v;

	ck_assert_ptr_nonnull(root);
	v = at(root, "build-system", "requires", NULL);
	ck_assert(json_is_array(v));
	ck_assert_str_eq(json_string_value(json_array_get(v, 0)),
	    "flit_core >=3.2,<4");
	v = at(root, "project", "dependencies", NULL);
	ck_assert_uint_eq(json_array_size(v), 2);
	ck_assert_str_eq(json_string_value(json_array_get(v, 1)),
	    "tomli; python_version < \"3.11\"");
	v = at(root, "project", "optional-dependencies", "socks");
	ck_assert_str_eq(json_string_value(json_array_get(v, 0)),
	    "PySocks!=1.5.7");
	v = at(root, "dependency-groups", "test", NULL);
	ck_assert_uint_eq(json_array_size(v), 2);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(v, 1),
	                     "include-group")),
	    "lint");
	json_decref(root);
}
END_TEST

START_TEST(test_scalars)
{
	static const char text[] = "i = -42\n"
	                           "big = 9_223_372_036_854_775_807\n"
	                           "f = 1.5\n"
	                           "t = true\n"
	                           "d = 1979-05-27\n"
	                           "dt = 1979-05-27T07:32:00-08:00\n"
	                           "z = 1979-05-27T07:32:00Z\n"
	                           "lt = 07:32:00.5\n"
	                           "s = \"\\u00e9\\t\"\n"
	                           "ml = '''\nraw \\n'''\n"
	                           "\"quoted key\".x = 1\n";
	struct vc_error err;
	json_t *root = parse(text, &err);

	ck_assert_ptr_nonnull(root);
	ck_assert_int_eq(json_integer_value(at(root, "i", NULL, NULL)), -42);
	ck_assert_int_eq(json_integer_value(at(root, "big", NULL, NULL)),
	    9223372036854775807LL);
	ck_assert(json_real_value(at(root, "f", NULL, NULL)) == 1.5);
	ck_assert(json_is_true(at(root, "t", NULL, NULL)));
	ck_assert_str_eq(json_string_value(at(root, "d", NULL, NULL)),
	    "1979-05-27");
	ck_assert_str_eq(json_string_value(at(root, "dt", NULL, NULL)),
	    "1979-05-27T07:32:00-08:00");
	ck_assert_str_eq(json_string_value(at(root, "z", NULL, NULL)),
	    "1979-05-27T07:32:00Z");
	ck_assert_str_eq(json_string_value(at(root, "lt", NULL, NULL)),
	    "07:32:00.500000000");
	ck_assert_str_eq(json_string_value(at(root, "s", NULL, NULL)),
	    "\xc3\xa9\t");
	ck_assert_str_eq(json_string_value(at(root, "ml", NULL, NULL)),
	    "raw \\n");
	ck_assert_int_eq(json_integer_value(at(root, "quoted key", "x", NULL)),
	    1);
	json_decref(root);
}
END_TEST

/* Not TOML: each error names the file and the line, and returns NULL. */
START_TEST(test_errors)
{
	static const struct {
		const char *text;
		unsigned line;
	} bad[] = {
	    {"a = 1\nb = \n", 2},
	    {"[project]\nname = 'x'\n[project]\n", 3},
	    {"a = 1\na = 2\n", 2},
	    {"x = [1, 2\n", 1},
	    {"s = \"unterminated\n", 1},
	    {"\n\n\nk = \"\\q\"\n", 4},
	    {"a = \"\xff\"\n", 1},
	    /* U+039A outside a string: undefined behaviour in toml++ 3.3.0
	     * unless toml.cc's own whitespace function is used (fuzz_toml) */
	    {"\xce\x9a", 1},
	    {"a = 1\n\xc2\xa0"
	     "b = 2\n",
	        2},
	    {"a = 1\0b = 2\n", 1},
	};
	struct vc_error err;

	for (size_t i = 0; i < VC_ARRAY_SIZE(bad); i++) {
		size_t len = strlen(bad[i].text);
		if (i == VC_ARRAY_SIZE(bad) - 1)
			len = 11; /* the NUL is part of the input */
		vc_error_clear(&err);
		json_t *root =
		    vc_toml_parse(bad[i].text, len, "pyproject.toml", &err);
		ck_assert_msg(root == NULL, "case %zu parsed", i);
		ck_assert_str_eq(err.file, "pyproject.toml");
		ck_assert_msg(err.line == bad[i].line, "case %zu: line %u: %s",
		    i, err.line, err.msg);
		ck_assert_msg(strstr(err.msg, "not valid TOML") != NULL, "%s",
		    err.msg);
	}
}
END_TEST

/* A key holding a NUL (valid TOML) is refused, naming its line: no C
 * string names it, and jansson 2.13 (Ubuntu 22.04) cannot store it. */
START_TEST(test_nul_key)
{
	static const char *const texts[] = {
	    "a = 1\n\"x\\u0000y\" = 2\n",
	    "[t]\nv = 1\n[t.u]\nw = [{ \"\\u0000\" = 1 }]\n",
	};
	static const unsigned lines[] = {2, 4};
	struct vc_error err;

	for (size_t i = 0; i < VC_ARRAY_SIZE(texts); i++) {
		json_t *root = parse(texts[i], &err);
		ck_assert_msg(root == NULL, "case %zu parsed", i);
		ck_assert_str_eq(err.file, "pyproject.toml");
		ck_assert_msg(err.line == lines[i], "case %zu: line %u: %s", i,
		    err.line, err.msg);
		ck_assert_msg(strstr(err.msg, "NUL character") != NULL, "%s",
		    err.msg);
	}
	/* The escape elsewhere is kept: in a value, and in a key as text. */
	json_t *root = parse("\"a\\\\u0000\" = \"b\\u0000c\"\n", &err);
	ck_assert_msg(root != NULL, "%s", err.msg);
	json_t *v = json_object_get(root, "a\\u0000");
	ck_assert_ptr_nonnull(v);
	ck_assert_uint_eq(json_string_length(v), 3);
	ck_assert(memcmp(json_string_value(v), "b\0c", 3) == 0);
	json_decref(root);
}
END_TEST

/* Deep nesting is refused by the parser's own bound, not by the stack. */
START_TEST(test_deep_nesting)
{
	struct vc_buf b;
	struct vc_error err;
	json_t *root;

	vc_buf_init(&b);
	vc_buf_adds(&b, "a = ");
	for (int i = 0; i < 100000; i++)
		vc_buf_addc(&b, '[');
	root = vc_toml_parse(b.data, b.len, "deep.toml", &err);
	ck_assert_ptr_null(root);
	ck_assert_uint_eq(err.line, 1);
	vc_buf_release(&b);
}
END_TEST

START_TEST(test_load)
{
	char path[] = "/tmp/check_toml.XXXXXX";
	int fd = mkstemp(path);
	struct vc_error err;
	json_t *root;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "[tool.tox]\nenv_list = ['a']\n", 28), 28);
	close(fd);
	root = vc_toml_load(path, &err);
	ck_assert_ptr_nonnull(root);
	ck_assert_str_eq(json_string_value(
	                     json_array_get(at(root, "tool", "tox", "env_list"),
	                         0)),
	    "a");
	json_decref(root);
	unlink(path);
	root = vc_toml_load(path, &err);
	ck_assert_ptr_null(root);
	ck_assert_msg(strstr(err.msg, path) != NULL, "%s", err.msg);
}
END_TEST

int
main(void)
{
	const TTest *const tests[] = {
	    test_pyproject,
	    test_scalars,
	    test_errors,
	    test_nul_key,
	    test_deep_nesting,
	    test_load,
	};
	Suite *s = suite_create("toml");

	vc_test_case(s, "core", NULL, NULL, 0, tests, VC_ARRAY_SIZE(tests));
	return vc_test_run(s);
}
