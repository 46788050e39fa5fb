/*
 * check_tox4.c: tox files read as tox 4 (4.67) reads them (tox-version =
 * 4, the default): its value syntax, base_python, package, dependency
 * groups, the environments it makes from factors, the warnings for what
 * venvcache does not read; and, as conformance data, every environment of
 * sentry-python's tox.ini files against what tox 4 itself reports for them
 * (scripts/tox4-view.py made tests/data/sentry-python/tox4-*).
 */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "venvcache/config.h"
#include "venvcache/req.h"
#include "venvcache/tox.h"
#include "venvcache/util.h"

#include "helpers.h"

static struct vc_tox X;
static struct vc_config cfg_;
static struct vc_error err;

/* `text` read by tox 4 as the file `name` of the test's directory. */
static int
read_as(const char *name, const char *text)
{
	char *path = vc_path_join(vc_test_dir, name);
	int rc;

	vc_tox_init(&X);
	rc = vc_tox_read(&X, 4, path, text, &err);
	free(path);
	return rc;
}

static int
rd(const char *text)
{
	return read_as("tox.ini", text);
}

/*
 * Text that tox 4 refuses, read by `read` (rd: tox.ini, rdt: tox.toml):
 * the read fails, its message has `part` and `part2` (when not NULL).
 */
static void
refuses(int (*read)(const char *), const char *text, const char *part,
    const char *part2)
{
	ck_assert_msg(read(text) == -1, "'%s' was read", text);
	if (part != NULL)
		ck_assert_msg(strstr(err.msg, part) != NULL,
		    "'%s': '%s' lacks '%s'", text, err.msg, part);
	if (part2 != NULL)
		ck_assert_msg(strstr(err.msg, part2) != NULL,
		    "'%s': '%s' lacks '%s'", text, err.msg, part2);
	vc_tox_release(&X);
}

struct refusal {
	const char *text, *part[2];
};

static void
refused(int (*read)(const char *), const struct refusal *c, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		refuses(read, c[i].text, c[i].part[0], c[i].part[1]);
}

static const struct vc_tox_env *
env(const char *name)
{
	return vc_test_tox_env(&X, name);
}

#define strv_is(v, want) VC_TEST_STRV_IS(v, want)

#define names_are(want) VC_TEST_TOX_NAMES_ARE(&X, 0, want)

/* Each expectation here is what tox 4.67 reports for the same text. */
START_TEST(test_syntax)
{
	/* '#' starts a comment anywhere in a value, unless escaped */
	ck_assert_int_eq(rd("[testenv]\ndeps =\n"
	                    "    a @ git+https://x/y@stable/4.2.x#egg=Django\n"
	                    "    b  # why\n"
	                    "    # a line of its own\n"
	                    "    c\\#d\n"),
	    0);
	strv_is(&env("python")->deps, "a @ git+https://x/y@stable/4.2.x|b|c#d");
	vc_tox_release(&X);
	/* env_list, and factor conditions that leave nothing: unset there */
	ck_assert_int_eq(rd("[tox]\nenv_list = a, b\n"
	                    "[testenv]\ndeps = x\n"
	                    "[testenv:a]\ndeps = b: y\n"),
	    0);
	names_are("a b");
	strv_is(&env("a")->deps, "x");
	vc_tox_release(&X);
	/* tox 4's booleans */
	ck_assert_int_eq(rd("[testenv]\npip_pre = yes\nskip_install = 1\n"), 0);
	ck_assert_int_eq(env("python")->pip_pre, 1);
	ck_assert_str_eq(env("python")->package, "skip");
	vc_tox_release(&X);
	refuses(rd, "[testenv]\npip_pre = maybe\n", "tox.ini:2:", NULL);
}
END_TEST

START_TEST(test_base_python)
{
	static const struct {
		const char *name, *python;
	} c[] = {
	    {"py312", "python3.12"},
	    {"py3.12-x", "python3.12"},
	    {"3.12-tests", "python3.12"},
	    {"x-pypy3.10", "pypy3.10"},
	    {"pypy310", "pypy3.10"},
	    {"py3.14t", "python3.14t"},
	    {"cpython3.11", "python3.11"},
	    {"py3", "python3"},
	    {"lint", NULL},
	    {"py", NULL},
	};
	static const char *const agrees[] = {
	    "[tox]\nenv_list = py3.12\n[testenv]\nbase_python = python3.12\n",
	    "[tox]\nenv_list = py3.12\n"
	    "[testenv]\nbase_python = python3.12, cpython3.12\n",
	    "[tox]\nenv_list = py3.12\nignore_base_python_conflict = true\n"
	    "[testenv]\nbase_python = python3.11\n",
	};
	static const struct refusal conflicts[] = {
	    {"[tox]\nenv_list = py3.12\n[testenv]\nbase_python = python3.11\n",
	        {"env name py3.12 conflicting with base python", NULL}},
	    {"[tox]\nenv_list = py3.12\n"
	     "[testenv]\nbase_python =\n    python3.12\n    python3.11\n",
	        {"tox.ini:6: env py3.12",
	            "conflicting with base python python3.11"}},
	    /* two Python factors: tox 4 refuses the file */
	    {"[tox]\nenv_list = py3.5-django-2.0\n[testenv]\n",
	        {"conflicting factors py3.5, 2.0", "tox-version = 3"}},
	};
	size_t i;

	for (i = 0; i < VC_ARRAY_SIZE(c); i++) {
		char *text =
		    xasprintf("[tox]\nenv_list = %s\n[testenv]\n", c[i].name);

		ck_assert_int_eq(rd(text), 0);
		if (c[i].python == NULL)
			ck_assert_ptr_null(env(c[i].name)->basepython);
		else
			ck_assert_str_eq(env(c[i].name)->basepython,
			    c[i].python);
		vc_tox_release(&X);
		free(text);
	}
	/* an explicit one that agrees (a list: each entry is checked, the
	 * first taken), and ones that do not */
	for (i = 0; i < VC_ARRAY_SIZE(agrees); i++) {
		ck_assert_msg(rd(agrees[i]) == 0, "%s: %s", agrees[i], err.msg);
		ck_assert_str_eq(env("py3.12")->basepython, "python3.12");
		vc_tox_release(&X);
	}
	refused(rd, conflicts, VC_ARRAY_SIZE(conflicts));
}
END_TEST

START_TEST(test_package)
{
	static const struct {
		const char *text, *package, *project;
	} c[] = {
	    {"[testenv]\n", "sdist", "."},
	    {"[testenv]\npackage = wheel\nextras = b, a, b\n", "wheel",
	        ".[a,b]"},
	    {"[testenv]\npackage = wheel\nextras =\n    b, a\n", "wheel",
	        ".[a,b]"},
	    {"[testenv]\npackage = skip\n", "skip", NULL},
	    {"[testenv]\nusedevelop = true\n", "editable", "-e ."},
	    {"[testenv]\nuse_develop = true\n", "editable", "-e ."},
	    {"[testenv]\npackage = editable-legacy\n", "editable-legacy",
	        "-e ."},
	    {"[testenv]\nskip_install = true\nusedevelop = true\n", "skip",
	        NULL},
	    {"[tox]\nno_package = true\n[testenv]\nusedevelop = true\n", "skip",
	        NULL},
	    {"[tox]\nskipsdist = true\n[testenv]\n", "skip", NULL},
	};
	size_t i;

	for (i = 0; i < VC_ARRAY_SIZE(c); i++) {
		char *p;

		ck_assert_int_eq(rd(c[i].text), 0);
		ck_assert_str_eq(env("python")->package, c[i].package);
		p = vc_tox_project_dep(env("python"));
		if (c[i].project == NULL)
			ck_assert_ptr_null(p);
		else
			ck_assert_str_eq(p, c[i].project);
		free(p);
		vc_tox_release(&X);
	}
	{
		static const struct refusal bad[] = {
		    {"[testenv]\npackage = nope\n",
		        {"tox.ini:2:", "invalid package config type"}},
		    {"[testenv]\npackage = deps-only\n",
		        {"not supported", NULL}},
		};

		refused(rd, bad, VC_ARRAY_SIZE(bad));
	}
}
END_TEST

START_TEST(test_dependency_groups)
{
	vc_test_put(vc_test_dir, "pyproject.toml",
	    "[dependency-groups]\n"
	    "Test = [\"pytest>=7\", {include-group = \"cov\"},\n"
	    "        \"dataclasses ; python_version < '3.7'\"]\n"
	    "cov = [\"pytest-cov\", \"pytest>=7\"]\n"
	    "lint = [\"ruff\"]\n"
	    "loop = [{include-group = \"loop\"}]\n");
	ck_assert_int_eq(rd("[testenv]\ndependency_groups = test\n"
	                    "deps = x\n"),
	    0);
	strv_is(&env("python")->groups,
	    "dataclasses ; python_version < '3.7'|pytest-cov|pytest>=7");
	ck_assert_uint_eq(env("python")->groups_line, 2);
	vc_tox_release(&X);
	ck_assert_int_eq(rd("[testenv]\ndependency_groups = lint, test\n"), 0);
	ck_assert_uint_eq(env("python")->groups.n, 4);
	vc_tox_release(&X);
	{
		static const struct refusal bad[] = {
		    {"[testenv]\ndependency_groups = nope\n",
		        {"tox.ini:2:", "'nope' not found"}},
		    {"[testenv]\ndependency_groups = loop\n", {"cyclic", NULL}},
		};

		refused(rd, bad, VC_ARRAY_SIZE(bad));
	}
}
END_TEST

START_TEST(test_factor_envs)
{
	/* tox 4 makes an environment of each condition with an unknown
	 * factor: "coverage" and "mysql" here, not "py3.12" nor "x" */
	ck_assert_int_eq(rd("[tox]\nenv_list = py3.12-x\n"
	                    "skip_missing_interpreters = true\n"
	                    "[testenv]\ndeps =\n"
	                    "    coverage: cov\n"
	                    "    py3.12: a\n"
	                    "    x-mysql: m\n"
	                    "commands = python -c 'import a: b'\n"),
	    0);
	names_are("py3.12-x coverage x-mysql");
	strv_is(&env("x-mysql")->deps, "m");
	ck_assert_int_eq(env("coverage")->skip_missing, 1);
	vc_tox_release(&X);
}
END_TEST

START_TEST(test_labels)
{
	/* [tox] labels name environments (and define them: "extra"), an
	 * environment's own labels add to them; as tox 4.67 reports */
	ck_assert_int_eq(rd("[tox]\nenv_list = py3.11, lint\n"
	                    "labels =\n"
	                    "    test = py3.{11,12}\n"
	                    "    static = lint, extra\n"
	                    "[testenv]\n"
	                    "[testenv:lint]\nlabels = fast, static\n"),
	    0);
	names_are("py3.11 lint py3.12 extra");
	strv_is(&env("py3.11")->labels, "test");
	strv_is(&env("py3.12")->labels, "test");
	strv_is(&env("lint")->labels, "fast|static");
	strv_is(&env("extra")->labels, "static");
	vc_tox_release(&X);
	refuses(rd, "[tox]\nlabels = a\n[testenv]\n",
	    "tox.ini:2:", "'label = envs'");
}
END_TEST

START_TEST(test_setup_cfg)
{
	/* setup.cfg: [tox:tox] is read, a [tox] is not (tox 4.67 agrees) */
	char *cfg = vc_path_join(vc_test_dir, "setup.cfg");

	vc_tox_init(&X);
	ck_assert_int_eq(vc_tox_read(&X, 4, cfg,
	                     "[metadata]\nname = x\n[tox]\nenv_list = wrong\n"
	                     "[tox:tox]\nenv_list = a, b\n"
	                     "[testenv]\ndeps = p\n[testenv:b]\ndeps = q\n",
	                     &err),
	    0);
	names_are("a b");
	strv_is(&env("b")->deps, "q");
	vc_tox_release(&X);
	ck_assert_int_eq(vc_tox_read(&X, 4, cfg, "[metadata]\nname = x\n",
	                     &err),
	    -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "no [tox:tox] section"));
	vc_tox_release(&X);
	free(cfg);
}
END_TEST

START_TEST(test_pyproject)
{
	/* [tool.tox] legacy_tox_ini, its lines named as the file's; tox.toml
	 * and native [tool.tox] refused by name */
	char *pp = vc_path_join(vc_test_dir, "pyproject.toml");
	char *tt = vc_path_join(vc_test_dir, "tox.toml");
	char *want;

	vc_tox_init(&X);
	ck_assert_int_eq(vc_tox_read(&X, 4, pp,
	                     "[project]\nname = \"x\"\n\n[tool.tox]\n"
	                     "legacy_tox_ini = \"\"\"\n"
	                     "[tox]\nenv_list = a, b\n[testenv]\ndeps = p\n"
	                     "\"\"\"\n",
	                     &err),
	    0);
	names_are("a b");
	ck_assert_uint_eq(env("a")->line, 7);
	ck_assert_uint_eq(env("a")->deps_lines[0], 9);
	vc_tox_release(&X);
	ck_assert_int_eq(vc_tox_read(&X, 4, pp,
	                     "[tool.tox]\nlegacy_tox_ini = \"\"\"[tox]\n"
	                     "env_list = a\n[testenv]\ndeps = "
	                     "{nokey}\n\"\"\"\n",
	                     &err),
	    -1);
	want = xasprintf("%s:5:", pp);
	ck_assert_ptr_nonnull(strstr(err.msg, want));
	free(want);
	vc_tox_release(&X);
	/* a native [tool.tox] (with a legacy_tox_ini too: tox 4 takes the
	 * native keys first) */
	ck_assert_int_eq(vc_tox_read(&X, 4, pp,
	                     "[tool.tox]\nenv_list = [\"a\"]\n"
	                     "legacy_tox_ini = \"[tox]\\nenv_list = b\"\n",
	                     &err),
	    0);
	names_are("a");
	vc_tox_release(&X);
	ck_assert_int_eq(vc_tox_read(&X, 4, pp, "[tool.tox]\n", &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "[tool.tox] has no settings"));
	vc_tox_release(&X);
	ck_assert_int_eq(vc_tox_read(&X, 4, pp, "[project]\n", &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "no [tool.tox] table"));
	vc_tox_release(&X);
	ck_assert_int_eq(vc_tox_read(&X, 4, pp, "[tool.tox\n", &err), -1);
	want = xasprintf("%s:1:", pp);
	ck_assert_ptr_nonnull(strstr(err.msg, want));
	free(want);
	vc_tox_release(&X);
	/* tox 3 reads no native configuration */
	ck_assert_int_eq(vc_tox_read(&X, 3, tt, "env_list = [\"a\"]\n", &err),
	    -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "tox 3 does not read"));
	vc_tox_release(&X);
	free(pp);
	free(tt);
}
END_TEST

/* tox.toml: values, substitutions, errors; as tox 4.67 reads them */
static int
rdt(const char *text)
{
	return read_as("tox.toml", text);
}

START_TEST(test_tox_toml_values)
{
	char *want;

	setenv("VC_T_SET", "from-env", 1);
	unsetenv("VC_T_UNSET");
	ck_assert_int_eq(
	    rdt("env_list = [\"a\", {product = [[\"py3.12\"], [\"x\", "
	        "\"y\"]]}]\n"
	        "[pins]\nx = \"six==1.16\"\n"
	        "[env_run_base]\npackage = \"skip\"\n"
	        "set_env = {VC_T_SET = \"from-set-env\"}\n"
	        "deps = [\"{[pins]x}\", \"{[pins]nokey:dflt}\", "
	        "\"a\\\\{b\\\\}\", \"{env:VC_T_SET}\", "
	        "\"{env:VC_T_UNSET:d{/}e}\", \"p{posargs:q}\", "
	        "\"{env_name}\", "
	        "{replace = \"posargs\", default = [\"r\", \"s\"], "
	        "extend = true}]\n"
	        "[env.a]\nset_env = {}\n"
	        "deps = [\"{env:VC_T_SET}\", {replace = \"env\", name = "
	        "\"VC_T_UNSET\", default = \"{env_name}-d\"}]\n"
	        "base_python = [\"python3.11\", \"python3.12\"]\n"),
	    0);
	names_are("a py3.12-x py3.12-y");
	strv_is(&env("py3.12-x")->deps,
	    "six==1.16|dflt|a{b}|from-set-env|d/e|pq|py3.12-x|r|s");
	strv_is(&env("a")->deps, "from-env|a-d");
	ck_assert_str_eq(env("a")->basepython, "python3.11");
	ck_assert_uint_eq(env("a")->deps_lines[1], 10);
	vc_tox_release(&X);
	/* errors name the file, its line and the key */
	ck_assert_int_eq(rdt("env_list = [\"a\"]\n[env.a]\n"
	                     "pip_pre = \"yes\"\n"),
	    -1);
	want = xasprintf("%s/tox.toml:3: env a: pip_pre: value of type 'str' "
	                 "is not of type 'bool'",
	    vc_test_dir);
	ck_assert_str_eq(err.msg, want);
	free(want);
	vc_tox_release(&X);
	{
		static const struct refusal bad[] = {
		    {"[env.a]\ndeps = [\n  \"x\",\n  3,\n]\n",
		        {"tox.toml:4: env a: deps:", NULL}},
		    {"[env.a]\ndeps = [{replace = \"glob\", pattern "
		     "= \"*.txt\"}]\n",
		        {"tox.toml:2: env a: deps: replace = \"glob\" is not "
		         "read by venvcache",
		            NULL}},
		    {"[env.a]\ndeps = [{replace = \"if\", condition "
		     "= \"factor.a ==\", then = [\"x\"]}]\n",
		        {"tox.toml:2: env a: deps: Unsupported expression in "
		         "condition",
		            NULL}},
		    {"[env.a]\ndeps = [{replace = \"if\", condition "
		     "= \"os.x\", then = [\"x\"]}]\n",
		        {"Unsupported namespace", NULL}},
		    {"[env.a]\ndeps = [{replace = \"ref\", of = "
		     "[\"nope\", \"deps\"]}]\n",
		        {"no key nope.deps", NULL}},
		    {"[env.a]\ndeps = [{replace = \"ref\", of = "
		     "[\"env\", \"a\", \"deps\"], extend = "
		     "true}]\n",
		        {"circular reference", NULL}},
		    {"[env.a]\ndeps = [\"{env_tmp_dir}/x\"]\n",
		        {"{env_tmp_dir}: venvcache", NULL}},
		    {"[env.\"py3.12\"]\nbase_python = \"python3.11\"\n",
		        {"conflicting with base python", NULL}},
		    {"env_list = [\"a\"]\n[env_run_base]\n"
		     "package = \"external\"\n",
		        {"tox.toml:3: env a: package", NULL}},
		};

		refused(rdt, bad, VC_ARRAY_SIZE(bad));
	}
	/* no environment: tox's "py" */
	ck_assert_int_eq(rdt("requires = [\"tox\"]\n"), 0);
	names_are("py");
	vc_tox_release(&X);
	/* what is not read gets a warning with its line */
	ck_assert_int_eq(rdt("env_list = [\"a\"]\n[env_run_base]\n"
	                     "constraints = [\"c.txt\"]\n"
	                     "set_env = {PIP_INDEX_URL = \"https://x\"}\n"
	                     "commands = [[\"pip\", \"install\", \"y\"]]\n"),
	    0);
	want = xasprintf("%s/tox.toml:3: constraints changes what tox "
	                 "installs; venvcache does not read it|"
	                 "%s/tox.toml:5: commands runs 'pip install y': what "
	                 "it installs is not in venvcache's environment|"
	                 "%s/tox.toml:4: set_env: PIP_INDEX_URL changes what "
	                 "tox installs; venvcache does not read it",
	    vc_test_dir, vc_test_dir, vc_test_dir);
	strv_is(&X.warnings, want);
	free(want);
	vc_tox_release(&X);
	unsetenv("VC_T_SET");
}
END_TEST

/* Hostile tox.toml: each a clean error (or none), never a crash or a hang */
START_TEST(test_tox_toml_hostile)
{
	/* head, then `unit` 100,000 times, then tail; refused with `part` */
	static const struct {
		const char *head, *unit, *tail, *part;
	} deep[] = {
	    /* nested '{': bounded before the stack is */
	    {"[env.a]\ndeps = [\"", "{", "\"]\n", "nest deeper"},
	    /* "not": likewise */
	    {"[env.a]\ndeps = [{replace = \"if\", condition = \"", "not ",
	        "factor.a\", then = [\"x\"]}]\n", "nested too deep"},
	    {"[env.a]\ndeps = [{replace = \"if\", condition = \"", "(",
	        "\", then = [\"x\"]}]\n", NULL},
	};
	struct vc_buf b;
	size_t i, k;

	vc_buf_init(&b);
	for (k = 0; k < VC_ARRAY_SIZE(deep); k++) {
		vc_buf_reset(&b);
		vc_buf_adds(&b, deep[k].head);
		for (i = 0; i < 100000; i++)
			vc_buf_adds(&b, deep[k].unit);
		vc_buf_adds(&b, deep[k].tail);
		refuses(rdt, b.data, deep[k].part, NULL);
	}
	vc_buf_release(&b);
	/* a range over all of int64: refused, not wrapped */
	refuses(rdt,
	    "env_list = [{prefix = \"py\", start = "
	    "-9223372036854775808, stop = "
	    "9223372036854775807}]\n",
	    "more than 1000", NULL);
	ck_assert_int_eq(rdt("env_list = [{prefix = \"py\", start = "
	                     "9223372036854775806, stop = "
	                     "9223372036854775807}]\n"),
	    0);
	names_are("py9223372036854775806 py9223372036854775807");
	vc_tox_release(&X);
	/* an empty base_python list: no line read from it */
	ck_assert_int_eq(rdt("[env.a]\nbase_python = []\n"), 0);
	vc_tox_release(&X);
	/* extend = true of a table: named, after which it is freed */
	refuses(rdt,
	    "[t]\nk = 1\n[env.a]\ndeps = [{replace = \"if\", "
	    "condition = \"factor.a\", then = {k = 1}, "
	    "extend = true}]\n",
	    "extend = true of a", NULL);
}
END_TEST

/* The tox file of a directory, found as tox 4 finds it: tox.ini,
 * setup.cfg with [tox:tox], pyproject.toml with [tool.tox] (native, else
 * legacy_tox_ini), tox.toml. */
static const char *
found_in_dir(void)
{
	static char name[64];
	struct vc_config cfg;
	const char *envs[] = {"ini", "cfg", "native", "legacy", "toml"};
	size_t i;

	vc_config_init(&cfg);
	ck_assert_msg(vc_tox_load(&cfg, vc_test_dir, &err) == 0, "%s", err.msg);
	name[0] = '\0';
	for (i = 0; i < VC_ARRAY_SIZE(envs); i++)
		if (vc_config_env(&cfg, envs[i]) != NULL)
			snprintf(name, sizeof name, "%s", envs[i]);
	vc_config_release(&cfg);
	return name;
}

static void
rm(const char *name)
{
	char *p = vc_path_join(vc_test_dir, name);

	unlink(p);
	free(p);
}

START_TEST(test_find_order)
{
	vc_test_put(vc_test_dir, "tox.toml", "env_list = [\"toml\"]\n");
	ck_assert_str_eq(found_in_dir(), "toml");
	vc_test_put(vc_test_dir, "pyproject.toml",
	    "[tool.tox]\nlegacy_tox_ini = \"\"\"\n"
	    "[tox]\nenv_list = legacy\n\"\"\"\n");
	ck_assert_str_eq(found_in_dir(), "legacy");
	vc_test_put(vc_test_dir, "pyproject.toml",
	    "[tool.tox]\nlegacy_tox_ini = \"\"\"\n"
	    "[tox]\nenv_list = legacy\n\"\"\"\n"
	    "env_list = [\"native\"]\n");
	ck_assert_str_eq(found_in_dir(), "native");
	vc_test_put(vc_test_dir, "setup.cfg", "[metadata]\nname = x\n");
	ck_assert_str_eq(found_in_dir(), "native");
	vc_test_put(vc_test_dir, "setup.cfg", "[tox:tox]\nenv_list = cfg\n");
	ck_assert_str_eq(found_in_dir(), "cfg");
	vc_test_put(vc_test_dir, "tox.ini", "[tox]\nenv_list = ini\n");
	ck_assert_str_eq(found_in_dir(), "ini");
	rm("tox.ini");
	rm("setup.cfg");
	rm("tox.toml");
	vc_test_put(vc_test_dir, "pyproject.toml", "[project]\nname = \"x\"\n");
	vc_config_init(&cfg_);
	ck_assert_int_eq(vc_tox_load(&cfg_, vc_test_dir, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "no tox configuration"));
	vc_config_release(&cfg_);
}
END_TEST

START_TEST(test_warnings)
{
	ck_assert_int_eq(rd("[tox]\nenv_list = a, b\n"
	                    "[testenv]\n"
	                    "install_command = pip install -U {opts} "
	                    "{packages}\n"
	                    "set_env =\n"
	                    "    PIP_INDEX_URL = https://x\n"
	                    "    UV_CACHE_DIR = /c\n"
	                    "commands =\n"
	                    "    pip install y\n"
	                    "    pytest\n"),
	    0);
	{
		char *want = xasprintf(
		    "%s/tox.ini:4: install_command changes what tox installs; "
		    "venvcache does not read it|"
		    "%s/tox.ini:9: commands runs 'pip install y': what it "
		    "installs is not in venvcache's environment|"
		    "%s/tox.ini:6: set_env: PIP_INDEX_URL changes what tox "
		    "installs; venvcache does not read it",
		    vc_test_dir, vc_test_dir, vc_test_dir);

		strv_is(&X.warnings, want);
		free(want);
	}
	vc_tox_release(&X);
}
END_TEST

/* --- conformance: sentry-python --------------------------------------- */

/* The strings of the JSON array `a`, pushed onto `v`. */
static void
strv_from_json(struct vc_strv *v, json_t *a)
{
	size_t i;

	for (i = 0; i < json_array_size(a); i++)
		vc_strv_push(v, json_string_value(json_array_get(a, i)));
}

/* The strings of a JSON array joined by '|'. */
static char *
json_joined(json_t *a)
{
	struct vc_buf b;
	size_t i;

	vc_buf_init(&b);
	vc_buf_grow(&b, 0);
	for (i = 0; i < json_array_size(a); i++)
		vc_buf_addf(&b, "%s%s", i ? "|" : "",
		    json_string_value(json_array_get(a, i)));
	return vc_buf_detach(&b);
}

/* Requirement lines in the form the key hashes, sorted, '|'-joined. */
static char *
canonical(const struct vc_strv *lines)
{
	struct vc_reqset set;
	struct vc_strv out;
	struct vc_buf text;
	char *s;
	size_t i;

	vc_reqset_init(&set);
	vc_strv_init(&out);
	vc_buf_init(&text);
	vc_buf_grow(&text, 0);
	for (i = 0; i < lines->n; i++)
		vc_buf_addf(&text, "%s\n", lines->v[i]);
	ck_assert_int_eq(vc_reqset_add_text(&set, text.data, "groups", NULL,
	                     vc_test_dir, 0, &err),
	    0);
	vc_reqset_canonical(&set, &out);
	s = vc_test_joined(&out, "|");
	vc_strv_release(&out);
	vc_buf_release(&text);
	vc_reqset_release(&set);
	return s;
}

/*
 * One file against tox 4's report: the environments in tox's order;
 * for each, deps exactly, the dependency groups' requirements (in the
 * form the key hashes), package, extras, interpreter, pip_pre.
 */
static void
conform(const char *ini, const char *pyproject, const char *expected)
{
	const char *data = getenv("VC_TEST_DATA");
	char *sp, *path, *text, *lines, *line, *save, *tini;
	size_t n = 0, bad = 0;

	ck_assert_msg(data != NULL, "VC_TEST_DATA is not set");
	sp = vc_path_join(data, "sentry-python");
	if (pyproject != NULL) {
		path = vc_path_join(sp, pyproject);
		text = vc_test_read_gz(path);
		vc_test_put(vc_test_dir, "pyproject.toml", text);
		free(text);
		free(path);
	}
	path = vc_path_join(sp, ini);
	text = vc_test_read_gz(path);
	free(path);
	path = vc_path_join(sp, expected);
	lines = vc_test_read_gz(path);
	free(path);
	tini = vc_path_join(vc_test_dir, "tox.ini");
	vc_tox_init(&X);
	ck_assert_msg(vc_tox_read(&X, 4, tini, text, &err) == 0, "%s: %s", ini,
	    err.msg);
	for (line = strtok_r(lines, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save), n++) {
		json_t *o = json_loads(line, 0, NULL);
		const struct vc_tox_env *e = n < X.n ? &X.envs[n] : NULL;
		const char *bp =
		    json_string_value(json_object_get(o, "base_python"));
		char *a = NULL, *b = NULL, *c = NULL, *d = NULL;
		struct vc_strv g;

		ck_assert_ptr_nonnull(o);
		vc_strv_init(&g);
		strv_from_json(&g, json_object_get(o, "groups"));
		if (e == NULL ||
		    strcmp(e->name,
		        json_string_value(json_object_get(o, "env"))) != 0) {
			if (bad++ < 5)
				fprintf(stderr, "%s: env %zu: %s, tox 4: %s\n",
				    ini, n, e ? e->name : "(none)",
				    json_string_value(
				        json_object_get(o, "env")));
		} else if (strcmp(a = vc_test_joined(&e->deps, "|"),
		               b = json_joined(json_object_get(o, "deps"))) !=
		        0 ||
		    strcmp(c = canonical(&e->groups), d = canonical(&g)) != 0 ||
		    e->package == NULL ||
		    strcmp(e->package,
		        json_string_value(json_object_get(o, "package"))) !=
		        0 ||
		    (bp == NULL) != (e->basepython == NULL) ||
		    (bp != NULL && strcmp(bp, e->basepython) != 0) ||
		    e->pip_pre != json_is_true(json_object_get(o, "pip_pre")) ||
		    e->extras.n !=
		        json_array_size(json_object_get(o, "extras"))) {
			if (bad++ < 5)
				fprintf(stderr,
				    "%s: env %s differs:\n  deps %s\n  tox 4 "
				    "%s\n  groups %s\n  tox 4 %s\n  package "
				    "%s python %s pre %d\n  tox 4: %s\n",
				    ini, e->name, a, b, c, d,
				    e->package ? e->package : "-",
				    e->basepython ? e->basepython : "-",
				    e->pip_pre, line);
		}
		free(a);
		free(b);
		free(c);
		free(d);
		vc_strv_release(&g);
		json_decref(o);
	}
	ck_assert_msg(bad == 0 && n == X.n,
	    "%s: %zu of %zu environments differ from tox 4's (venvcache has "
	    "%zu)",
	    ini, bad, n, X.n);
	fprintf(stderr, "%s: %zu environments as tox 4 reads them\n", ini, n);
	vc_tox_release(&X);
	free(tini);
	free(text);
	free(lines);
	free(sp);
}

START_TEST(test_sentry_2026)
{
	conform("tox-2026-08-10.ini", "pyproject-2026-08-10.toml",
	    "tox4-2026-08-10.expected.jsonl.gz");
}
END_TEST

START_TEST(test_sentry_2024)
{
	conform("tox-2024-06-26.ini", NULL, "tox4-2024-06-26.expected.jsonl");
}
END_TEST

/* tox 4 refuses the 2022 file; so does venvcache, naming tox-version. */
START_TEST(test_sentry_2022)
{
	const char *data = getenv("VC_TEST_DATA");
	char *sp = vc_path_join(data, "sentry-python");
	char *path = vc_path_join(sp, "tox-2022-11-14.ini");
	char *text = vc_test_read_gz(path), *exp;
	json_t *o;

	free(path);
	path = vc_path_join(sp, "tox4-2022-11-14.expected.jsonl");
	exp = vc_test_read_gz(path);
	o = json_loads(exp, 0, NULL);
	ck_assert_ptr_nonnull(json_object_get(o, "error"));
	ck_assert_ptr_nonnull(
	    strstr(json_string_value(json_object_get(o, "error")),
	        "conflicting factors py3.5, 2.0 in py3.5-django-2.0"));
	ck_assert_int_eq(rd(text), -1);
	ck_assert_ptr_nonnull(strstr(err.msg,
	    "conflicting factors py3.5, 2.0 in py3.5-django-2.0"));
	ck_assert_ptr_nonnull(strstr(err.msg, "tox-version = 3"));
	vc_tox_release(&X);
	json_decref(o);
	free(exp);
	free(path);
	free(text);
	free(sp);
}
END_TEST

/* --- conformance: tox 4's native TOML configuration ------------------- */

/* tox-int.h: a Python spec as the command venvcache runs. */
char *tox_spec_command(const char *spec);

/* tox's TOML deps lines stripped, empty ones dropped: tox keeps a list
 * entry as written ("", "  y  "), venvcache as pip reads it. */
static char *
json_deps(json_t *a)
{
	struct vc_strv v;
	size_t i;
	char *s;

	vc_strv_init(&v);
	for (i = 0; i < json_array_size(a); i++) {
		const char *d = json_string_value(json_array_get(a, i));
		size_t b = strspn(d, " \t"), e = strlen(d);

		while (e > b && (d[e - 1] == ' ' || d[e - 1] == '\t'))
			e--;
		if (e > b)
			vc_strv_take(&v, xstrndup(d + b, e - b));
	}
	s = vc_test_joined(&v, "|");
	vc_strv_release(&v);
	return s;
}

/*
 * The project DIR of tests/data (a tox.toml, or a pyproject.toml with a
 * native [tool.tox]) read from where it is, against tox 4's report of it
 * (DIR/tox4.expected.jsonl): the environments in tox's order and, for
 * each, deps, dependency groups, package, extras, interpreter, pip_pre.
 */
static void
conform_toml(const char *project, const char *config)
{
	const char *data = getenv("VC_TEST_DATA");
	char *pdir, *path, *text, *lines, *line, *save;
	size_t n = 0, bad = 0;

	ck_assert_msg(data != NULL, "VC_TEST_DATA is not set");
	/* what scripts/tox4-view.py sets when it asks tox */
	setenv("VC_TOML_PIN", "pytz==2024.2", 1);
	unsetenv("VC_TOML_EXTRA");
	pdir = vc_path_join(data, project);
	path = vc_path_join(pdir, "tox4.expected.jsonl");
	lines = vc_test_read_gz(path);
	free(path);
	path = vc_path_join(pdir, config);
	text = vc_test_read_gz(path);
	vc_tox_init(&X);
	ck_assert_msg(vc_tox_read(&X, 4, path, text, &err) == 0, "%s: %s",
	    config, err.msg);
	for (line = strtok_r(lines, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save), n++) {
		json_t *o = json_loads(line, 0, NULL);
		const struct vc_tox_env *e = n < X.n ? &X.envs[n] : NULL;
		const char *bp =
		    json_string_value(json_object_get(o, "base_python"));
		char *want_bp = bp != NULL ? tox_spec_command(bp) : NULL;
		char *a = NULL, *b = NULL, *c = NULL, *d = NULL, *x = NULL,
		     *y = NULL;
		struct vc_strv g;

		ck_assert_ptr_nonnull(o);
		if (bp != NULL && want_bp == NULL)
			want_bp = xstrdup(bp);
		vc_strv_init(&g);
		strv_from_json(&g, json_object_get(o, "groups"));
		if (e == NULL ||
		    strcmp(e->name,
		        json_string_value(json_object_get(o, "env"))) != 0) {
			bad++;
			fprintf(stderr, "%s: env %zu: %s, tox 4: %s\n", config,
			    n, e ? e->name : "(none)",
			    json_string_value(json_object_get(o, "env")));
		} else if (strcmp(a = vc_test_joined(&e->deps, "|"),
		               b = json_deps(json_object_get(o, "deps"))) !=
		        0 ||
		    strcmp(c = canonical(&e->groups), d = canonical(&g)) != 0 ||
		    strcmp(x = vc_test_joined(&e->extras, "|"),
		        y = json_joined(json_object_get(o, "extras"))) != 0 ||
		    e->package == NULL ||
		    strcmp(e->package,
		        json_string_value(json_object_get(o, "package"))) !=
		        0 ||
		    (want_bp == NULL) != (e->basepython == NULL) ||
		    (want_bp != NULL && strcmp(want_bp, e->basepython) != 0) ||
		    e->pip_pre != json_is_true(json_object_get(o, "pip_pre"))) {
			bad++;
			fprintf(stderr,
			    "%s: env %s differs:\n  deps %s\n  tox 4 %s\n  "
			    "groups %s\n  tox 4 %s\n  extras %s\n  tox 4 "
			    "%s\n  package %s python %s pre %d\n  tox 4: "
			    "%s\n",
			    config, e->name, a, b, c, d, x, y,
			    e->package ? e->package : "-",
			    e->basepython ? e->basepython : "-", e->pip_pre,
			    line);
		}
		free(a);
		free(b);
		free(c);
		free(d);
		free(x);
		free(y);
		free(want_bp);
		vc_strv_release(&g);
		json_decref(o);
	}
	ck_assert_msg(bad == 0 && n == X.n,
	    "%s: %zu of %zu environments differ from tox 4's (venvcache has "
	    "%zu)",
	    config, bad, n, X.n);
	fprintf(stderr, "%s/%s: %zu environments as tox 4 reads them\n",
	    project, config, n);
	vc_tox_release(&X);
	free(text);
	free(lines);
	free(path);
	free(pdir);
}

START_TEST(test_tox_toml)
{
	conform_toml("tox-toml", "tox.toml");
}
END_TEST

START_TEST(test_pyproject_native)
{
	conform_toml("tox-pyproject", "pyproject.toml");
}
END_TEST

int
main(void)
{
	const TTest *const tests[] = {
	    test_syntax,
	    test_base_python,
	    test_package,
	    test_dependency_groups,
	    test_factor_envs,
	    test_labels,
	    test_setup_cfg,
	    test_pyproject,
	    test_warnings,
	    test_tox_toml_values,
	    test_tox_toml_hostile,
	    test_find_order,
	    test_sentry_2026,
	    test_sentry_2024,
	    test_sentry_2022,
	    test_tox_toml,
	    test_pyproject_native,
	};
	Suite *s = suite_create("tox4");

	vc_test_case(s, "core", vc_test_setup, vc_test_teardown, 120, tests,
	    VC_ARRAY_SIZE(tests));
	return vc_test_run(s);
}
