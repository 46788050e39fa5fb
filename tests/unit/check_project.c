/* check_project.c: what the project under test brings into its env. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "venvcache/config.h"
#include "venvcache/project.h"
#include "venvcache/util.h"

#include "helpers.h"

/* vc_project_select_line() for `extras`, "" for a dropped line. */
static char *
sel(const char *rd, const char *extra)
{
	struct vc_strv ex;
	struct vc_error err;
	char *out = NULL;

	vc_strv_init(&ex);
	if (extra != NULL)
		vc_strv_push(&ex, extra);
	vc_error_clear(&err);
	if (vc_project_select_line(rd, &ex, &out, &err) == -1) {
		ck_assert(err.msg[0] != '\0');
		out = xstrdup("ERROR");
	} else if (out == NULL) {
		out = xstrdup("");
	}
	vc_strv_release(&ex);
	return out;
}

#define SEL(rd, extra, want)                  \
	do {                                  \
		char *got_ = sel(rd, extra);  \
		ck_assert_str_eq(got_, want); \
		free(got_);                   \
	} while (0)

START_TEST(test_select_line)
{
	SEL("requests>=2", NULL, "requests>=2");
	SEL("tomli; python_version < \"3.11\"", NULL,
	    "tomli; python_version < \"3.11\"");
	SEL("PySocks!=1.5.7,>=1.5.6; extra == \"socks\"", "socks",
	    "PySocks!=1.5.7,>=1.5.6");
	SEL("PySocks!=1.5.7,>=1.5.6; extra == \"socks\"", NULL, "");
	SEL("PySocks; extra == 'socks'", "other", "");
	/* Extra names compare as PEP 503 names. */
	SEL("x; extra == \"Fast_Path\"", "fast-path", "x");
	SEL("chardet<6,>=3.0.2; (python_version < \"3\") and extra == "
	    "\"use-chardet\"",
	    "use-chardet", "chardet<6,>=3.0.2; (python_version < \"3\")");
	SEL("y; python_version >= \"3\" and extra == \"a\"", "b", "");
	/* A name that merely contains "extra" is not the marker variable. */
	SEL("extras-lib; python_version >= \"3\"", NULL,
	    "extras-lib; python_version >= \"3\"");
	/* What is not read is an error, never a guess. */
	SEL("z; extra == \"a\" or extra == \"b\"", "a", "ERROR");
	SEL("z; extra != \"a\"", "a", "ERROR");
	SEL("z; \"a\" == extra", "a", "ERROR");
}
END_TEST

static char dir[] = "/tmp/check_project.XXXXXX";

static void
write_file(const char *name, const char *text)
{
	vc_test_put(dir, name, text);
}

/* Every line of the result as "origin-suffix|line". */
static void
flatten(const struct vc_project_reqs *r, struct vc_strv *out)
{
	size_t i, j;

	for (i = 0; i < r->n; i++) {
		const char *o = strstr(r->groups[i].origin, ".toml ");

		o = o != NULL ? o + 6 : r->groups[i].origin;
		for (j = 0; j < r->groups[i].lines.n; j++)
			vc_strv_pushf(out, "%s|%s", o, r->groups[i].lines.v[j]);
	}
}

START_TEST(test_static_pyproject)
{
	struct vc_config cfg;
	struct vc_project_reqs r;
	struct vc_error err;
	struct vc_strv got;
	char *spec;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	write_file("pyproject.toml",
	    "[build-system]\nrequires = [\"flit_core >=3.2,<4\"]\n"
	    "build-backend = \"flit_core.buildapi\"\n"
	    "[project]\nname = \"demo\"\nversion = \"1\"\n"
	    "dependencies = [\"requests>=2\", 'tomli; python_version < "
	    "\"3.11\"']\n"
	    "[project.optional-dependencies]\nSocks = [\"PySocks!=1.5.7\"]\n"
	    "docs = [\"sphinx\"]\n");
	vc_config_init(&cfg);
	vc_project_reqs_init(&r);
	vc_strv_init(&got);
	vc_error_clear(&err);
	spec = xasprintf("%s[socks, nope]", dir);
	ck_assert_int_eq(vc_project_requirements(&cfg, NULL, spec, 0, &r, &err),
	    0);
	ck_assert_str_eq(r.dir, dir);
	ck_assert_uint_eq(r.extras.n, 2);
	flatten(&r, &got);
	ck_assert_uint_eq(got.n, 4);
	ck_assert_str_eq(got.v[0],
	    "[build-system] requires|flit_core >=3.2,<4");
	ck_assert_str_eq(got.v[1], "[project] dependencies|requests>=2");
	ck_assert_str_eq(got.v[2],
	    "[project] dependencies|tomli; python_version < \"3.11\"");
	ck_assert_str_eq(got.v[3],
	    "[project.optional-dependencies] socks|PySocks!=1.5.7");
	vc_strv_release(&got);
	vc_project_reqs_release(&r);
	free(spec);

	/* No [build-system]: pip's default. */
	write_file("pyproject.toml",
	    "[project]\nname = \"demo\"\n"
	    "dependencies = []\n");
	vc_project_reqs_init(&r);
	vc_strv_init(&got);
	ck_assert_int_eq(vc_project_requirements(&cfg, NULL, dir, 0, &r, &err),
	    0);
	flatten(&r, &got);
	ck_assert_uint_eq(got.n, 2);
	ck_assert(strstr(got.v[0], "|setuptools>=40.8.0") != NULL);
	ck_assert(strstr(got.v[1], "|wheel") != NULL);
	vc_strv_release(&got);
	vc_project_reqs_release(&r);

	/* Bad input names the file and the field. */
	write_file("pyproject.toml", "[build-system]\nbuild-backend = \"x\"\n");
	vc_project_reqs_init(&r);
	ck_assert_int_eq(vc_project_requirements(&cfg, NULL, dir, 0, &r, &err),
	    -1);
	ck_assert(strstr(err.msg,
	              "pyproject.toml: [build-system] has no "
	              "'requires'") != NULL);
	vc_project_reqs_release(&r);
	write_file("pyproject.toml",
	    "[build-system]\nrequires = []\n[project]\ndependencies = [1]\n");
	vc_project_reqs_init(&r);
	ck_assert_int_eq(vc_project_requirements(&cfg, NULL, dir, 0, &r, &err),
	    -1);
	ck_assert(strstr(err.msg,
	              "[project] dependencies[0] is not a string") != NULL);
	vc_project_reqs_release(&r);
	write_file("pyproject.toml", "[build-system\n");
	vc_project_reqs_init(&r);
	ck_assert_int_eq(vc_project_requirements(&cfg, NULL, dir, 0, &r, &err),
	    -1);
	ck_assert(strstr(err.msg, "pyproject.toml:1") != NULL);
	vc_project_reqs_release(&r);

	/* Not a project: nothing. */
	{
		char *p = vc_path_join(dir, "pyproject.toml");

		unlink(p);
		free(p);
	}
	vc_project_reqs_init(&r);
	ck_assert_int_eq(vc_project_requirements(&cfg, NULL, dir, 0, &r, &err),
	    0);
	ck_assert_uint_eq(r.n, 0);
	vc_project_reqs_release(&r);
	ck_assert_int_eq(vc_rm_rf(dir, &err), 0);
	vc_config_release(&cfg);
}
END_TEST

int
main(void)
{
	const TTest *const tests[] = {
	    test_select_line,
	    test_static_pyproject,
	};
	Suite *s = suite_create("project");

	vc_test_case(s, "core", NULL, NULL, 0, tests, VC_ARRAY_SIZE(tests));
	return vc_test_run(s);
}
