/*
 * check_tox.c: tox.ini environments as tox 3 (3.28) reads them. The syntax
 * on its own (envlist brace expansion, factor conditions, substitutions,
 * deps normalisation, basepython, the project under test, the INI dialect,
 * errors naming tox.ini:LINE; every expectation here is what tox 3.28
 * itself reports for the same text), how tox environments become
 * venvcache environments, and, as conformance data, every environment of
 * three real tox.ini files of sentry-python against what tox 3.28's own
 * parser reports for them.
 */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "venvcache/config.h"
#include "venvcache/key.h"
#include "venvcache/req.h"
#include "venvcache/tox.h"
#include "venvcache/util.h"

#include "helpers.h"

static struct vc_tox X;
static struct vc_error err;

static int
rd(const char *text)
{
	vc_tox_init(&X);
	return vc_tox_read(&X, 3, "/t/tox.ini", text, &err);
}

static void
done(void)
{
	vc_tox_release(&X);
}

static const struct vc_tox_env *
env(const char *name)
{
	return vc_test_tox_env(&X, name);
}

#define deps_eq(e, want) VC_TEST_STRV_IS(&(e)->deps, want)

/* The environments' names; '*': not in envlist. */
#define names_eq(want) VC_TEST_TOX_NAMES_ARE(&X, 1, want)

/* Fails with a message that starts "/t/tox.ini:LINE: " and has `part`. */
#define fails_at(text, ln, part)                                           \
	do {                                                               \
		char want_[64];                                            \
		ck_assert_int_eq(rd(text), -1);                            \
		snprintf(want_, sizeof want_, "/t/tox.ini:%d: ", ln);      \
		ck_assert_msg(strncmp(err.msg, want_, strlen(want_)) == 0, \
		    "'%s' does not start with '%s'", err.msg, want_);      \
		ck_assert_msg(strstr(err.msg, part) != NULL,               \
		    "'%s' lacks '%s'", err.msg, part);                     \
		ck_assert_uint_eq(err.line, ln);                           \
		done();                                                    \
	} while (0)

/* envlist: lines and commas, several groups, comments, white space. */
START_TEST(test_envlist)
{
	ck_assert_int_eq(rd("[tox]\n"
	                    "envlist = py{37,38}-django{22, 32},lint\n"
	                    "    py3.11-{a,b}-x, docs  # comment\n"
	                    "    # a comment line\n"
	                    "\n"
	                    "    {py27,pypy3}-c,lint\n"
	                    "[testenv]\n"
	                    "deps = x\n"
	                    "[testenv:extra]\n"
	                    "[testenv:gen-{x, y}]\n"
	                    "[testenv:docs]\n"),
	    0);
	/* tox 3's order: envlist, then generated section names, then the
	 * other [testenv:NAME] sections by line; '*': not in envlist */
	names_eq("py37-django22 py37-django32 py38-django22 py38-django32 "
	         "lint py3.11-a-x py3.11-b-x docs py27-c pypy3-c gen-x* gen-y* "
	         "extra*");
	ck_assert_uint_eq(env("py38-django32")->line, 2);
	ck_assert_uint_eq(env("py3.11-b-x")->line, 3);
	ck_assert_uint_eq(env("pypy3-c")->line, 6);
	ck_assert_uint_eq(env("docs")->line, 11); /* its section */
	ck_assert_uint_eq(env("gen-y")->line, 10);
	done();

	/* neither envlist nor [testenv:NAME]: "python" */
	ck_assert_int_eq(rd("[testenv]\ndeps = x\n"), 0);
	names_eq("python");
	deps_eq(env("python"), "x");
	done();
	/* no envlist: every section is listed */
	ck_assert_int_eq(rd("[testenv:b]\n[testenv:a]\n"), 0);
	names_eq("b a");
	done();
	/* tox 3 does not nest braces: {a,{b,c}} makes "a}", "{b}", "c}" */
	fails_at("[tox]\nenvlist = {a,{b,c}}\n", 2, "'a}'");
	fails_at("[tox]\nenvlist = x\n[testenv:a/b]\n", 3, "'a/b'");
}
END_TEST

/* deps: conditions, negation, alternatives; what is not a condition. */
START_TEST(test_factor_conditions)
{
	static const char *const ini =
	    "[tox]\n"
	    "envlist = py{37,38}-django{22,32},lint,py27-x\n"
	    "[testenv]\n"
	    "deps =\n"
	    "    base\n"
	    "    py37-django22: d1\n"
	    "    {py37,py38}-django32: d2\n"
	    "    !py27: notpy27\n"
	    "    !py27-!lint: neither\n"
	    "    lint,py27: tools\n"
	    "    py37, py38: notacondition\n"
	    "    django{22,32}-py38: both\n"
	    "    py37:nospace\n"
	    "    django22: Django>=2.2,<2.3 ; python_version>\"3\"\n";

	ck_assert_int_eq(rd(ini), 0);
	deps_eq(env("py37-django22"),
	    "base|d1|notpy27|neither|py37, py38: notacondition|py37:nospace|"
	    "Django>=2.2,<2.3 ; python_version>\"3\"");
	deps_eq(env("py38-django32"),
	    "base|d2|notpy27|neither|py37, py38: notacondition|both|"
	    "py37:nospace");
	deps_eq(env("lint"),
	    "base|notpy27|tools|py37, py38: notacondition|py37:nospace");
	deps_eq(env("py27-x"),
	    "base|tools|py37, py38: notacondition|py37:nospace");
	ck_assert_uint_eq(env("py38-django32")->deps_lines[1], 7);
	ck_assert_uint_eq(env("py38-django32")->deps_lines[5], 12);
	done();
}
END_TEST

/* {[section]key}, {env:...}, setenv, tox's own names, escapes. */
START_TEST(test_substitutions)
{
	static const char *const ini = "[tox]\n"
	                               "envlist = a,b\n"
	                               "[base]\n"
	                               "deps = one\n"
	                               "    a: two\n"
	                               "[testenv]\n"
	                               "setenv =\n"
	                               "    FROMSET = fromsetenv\n"
	                               "    b: FROMSET = bset\n"
	                               "deps =\n"
	                               "    {[base]deps}\n"
	                               "    {env:VC_T_UNSET:dflt}\n"
	                               "    {env:VC_T_UNSET:{env:VC_T_SET}}\n"
	                               "    {env:FROMSET}\n"
	                               "    {env:TOX_ENV_NAME}\n"
	                               "    {toxinidir}/x\n"
	                               "    {envname}-{envdir}\n"
	                               "    {posargs}\n"
	                               "    {posargs:pa}\n"
	                               "    {opts} {packages}\n"
	                               "    {:}{/}\n"
	                               "    a\\{b\\}\n"
	                               "    {env:VC_T_UNSET:a,b}\n"
	                               "    c{tty:yes:no}\n"
	                               "    {envbindir} {changedir}\n"
	                               "    {[base]deps}-{envname}\n";

	setenv("VC_T_SET", "fromset", 1);
	unsetenv("VC_T_UNSET");
	ck_assert_int_eq(rd(ini), 0);
	deps_eq(env("a"),
	    "one|two|dflt|fromset|fromsetenv|a|/t/x|"
	    "a-/t/.tox/a|pa|{opts} {packages}|:/|a\\{b\\}|a,b|"
	    "cno|/t/.tox/a/bin /t|one|two-a");
	deps_eq(env("b"),
	    "one|dflt|fromset|bset|b|/t/x|b-/t/.tox/b|pa|"
	    "{opts} {packages}|:/|a\\{b\\}|a,b|cno|"
	    "/t/.tox/b/bin /t|one");
	/* each dep keeps the line it comes from, [base] included */
	ck_assert_uint_eq(env("a")->deps_lines[0], 4);
	ck_assert_uint_eq(env("a")->deps_lines[1], 5);
	ck_assert_uint_eq(env("a")->deps_lines[2], 12);
	ck_assert_uint_eq(env("a")->deps_lines[16], 5);
	done();

	/* [tox] toxworkdir moves {envdir}; {homedir} is $HOME */
	setenv("HOME", "/home/vc", 1);
	ck_assert_int_eq(rd("[tox]\ntoxworkdir = {homedir}/w/../work\n"
	                    "[testenv:a]\ndeps = {envdir}\n"),
	    0);
	deps_eq(env("a"), "/home/vc/work/a");
	done();
	/* ".." above the root is the root (it crashed: fuzz_tox) */
	ck_assert_int_eq(rd("[tox]\ntoxworkdir = ////..//\n"
	                    "[testenv:a]\ndeps = {envdir}/../x\n"),
	    0);
	deps_eq(env("a"), "/a/../x"); /* {envdir} is "/a" */
	done();
}
END_TEST

/* DepOption: options joined to their value, comments cut. */
START_TEST(test_deps_normalised)
{
	ck_assert_int_eq(rd("[testenv:x]\n"
	                    "deps = -e .\n"
	                    "   -c constraints.txt\n"
	                    "   -rreq.txt\n"
	                    "   --requirement  r2.txt\n"
	                    "   --index-url http://i/simple\n"
	                    "   --find-links=./w\n"
	                    "   foo  # a comment\n"
	                    "   bar#not-a-comment\n"
	                    "   :default:baz\n"
	                    "   git+https://github.com/a/b#egg=b\n"),
	    0);
	deps_eq(env("x"),
	    "-e.|-cconstraints.txt|-rreq.txt|--requirement=r2.txt|"
	    "--index-url=http://i/simple|--find-links=./w|foo|"
	    "bar#not-a-comment|baz|git+https://github.com/a/b#egg=b");
	done();
	fails_at("[tox]\nindexserver =\n    other = http://o/simple\n"
	         "[testenv:x]\ndeps = :other:pkg\n",
	    5, "index server 'other'");
	fails_at("[testenv:x]\ndeps = :nosuch:pkg\n", 2,
	    "unknown index server 'nosuch'");
	/* tox 3 installs every dep from these: an error, not silence */
	fails_at("[tox]\nindexserver =\n    default = http://o/simple\n"
	         "[testenv:x]\ndeps = pkg\n",
	    3, "[mirror] index-url");
	fails_at("[testenv:x]\ndeps = pkg\nsetenv =\n    A = 1\n"
	         "    PIP_INDEX_URL = http://o/simple\n",
	    5, "PIP_INDEX_URL: tox 3 would have pip install from this index");
	fails_at("[base]\nenv = PIP_EXTRA_INDEX_URL=http://o/simple\n"
	         "[testenv:x]\ndeps = pkg\nsetenv = {[base]env}\n",
	    2, "VENVCACHE_EXTRA_INDEX_URL");
	ck_assert_int_eq(rd("[testenv:x]\ndeps = pkg\nsetenv =\n"
	                    "    PIP_NO_CACHE_DIR = 1\n    B = {env:HOME}\n"),
	    0);
	done();
}
END_TEST

START_TEST(test_basepython)
{
	ck_assert_int_eq(rd("[tox]\n"
	                    "envlist = py310,pypy37,py3,jython27,py3.11,"
	                    "py3.14t,pypy3.10,foo,py\n"
	                    "[testenv:foo]\n"
	                    "basepython = /opt/py/bin/python3\n"),
	    0);
	ck_assert_str_eq(env("py310")->basepython, "python3.10");
	ck_assert_str_eq(env("pypy37")->basepython, "pypy3.7");
	ck_assert_str_eq(env("py3")->basepython, "python3");
	ck_assert_str_eq(env("jython27")->basepython, "jython2.7");
	/* tox 3 uses the interpreter it runs under for these (its factor
	 * pattern has no '.'); tox 4 and venvcache take the factor's */
	ck_assert_str_eq(env("py3.11")->basepython, "python3.11");
	ck_assert_str_eq(env("py3.14t")->basepython, "python3.14t");
	ck_assert_str_eq(env("pypy3.10")->basepython, "pypy3.10");
	ck_assert_str_eq(env("foo")->basepython, "/opt/py/bin/python3");
	ck_assert_ptr_null(env("py")->basepython); /* the python setting */
	done();
	/* explicit beats implied, conditions apply; a value that conditions
	 * leave empty falls back to the factor's (tox 3 would take "") */
	ck_assert_int_eq(rd("[tox]\nenvlist = bar-py36,py37\n[testenv]\n"
	                    "basepython =\n    bar: python3.8\n"),
	    0);
	ck_assert_str_eq(env("bar-py36")->basepython, "python3.8");
	ck_assert_str_eq(env("py37")->basepython, "python3.7");
	done();
	ck_assert_int_eq(rd("[tox]\nenvlist = bar-py36\n"
	                    "ignore_basepython_conflict = true\n"
	                    "[testenv]\nbasepython = python3.8\n"),
	    0);
	ck_assert_str_eq(env("bar-py36")->basepython, "python3.6");
	done();
	fails_at("[tox]\nenvlist = a-b\n[testenv]\n"
	         "basepython =\n    a: python3.7\n    b: python3.8\n",
	    6, "more than one value");
}
END_TEST

/* usedevelop, skip_install, [tox] skipsdist, extras, pip_pre. */
START_TEST(test_project)
{
	char *p;

	ck_assert_int_eq(rd("[tox]\n"
	                    "envlist = dev,sdist,skip,pre\n"
	                    "[testenv]\n"
	                    "usedevelop = dev: True\n"
	                    "skip_install = skip: true\n"
	                    "pip_pre = pre: TRUE\n"
	                    "extras =\n"
	                    "    dev: test\n"
	                    "    dev,sdist: docs\n"),
	    0);
	ck_assert_int_eq(X.skipsdist, 0); /* not every env is usedevelop */
	p = vc_tox_project_dep(env("dev"));
	ck_assert_str_eq(p, "-e .[test,docs]");
	free(p);
	p = vc_tox_project_dep(env("sdist"));
	ck_assert_str_eq(p, ".[docs]");
	free(p);
	ck_assert_ptr_null(vc_tox_project_dep(env("skip")));
	ck_assert_int_eq(env("pre")->pip_pre, 1);
	ck_assert_int_eq(env("dev")->pip_pre, 0);
	done();
	/* skipsdist defaults to "every env of envlist is usedevelop" */
	ck_assert_int_eq(rd("[tox]\nenvlist = a\n[testenv]\n"
	                    "usedevelop = true\n[testenv:b]\n"
	                    "usedevelop = false\n"),
	    0);
	ck_assert_int_eq(X.skipsdist, 1);
	ck_assert_int_eq(env("a")->install_project, 1);
	ck_assert_int_eq(env("b")->install_project, 0);
	done();
	ck_assert_int_eq(rd("[tox]\nenvlist = a\nskipsdist = true\n"), 0);
	ck_assert_ptr_null(vc_tox_project_dep(env("a")));
	done();
}
END_TEST

/* py.iniconfig's dialect: no inline comments, no line limit, CRLF. */
START_TEST(test_ini_dialect)
{
	struct vc_buf b;
	size_t i;

	vc_buf_init(&b);
	vc_buf_adds(&b,
	    "\xef\xbb\xbf[tox]\r\nenvlist = a\r\n[testenv]\r\n"
	    "deps = foo ; python_version < \"3\" ;and more\r\n"
	    "    bar ;baz\r\n"
	    "  ; a comment line, then a blank one\r\n"
	    "\r\n"
	    "    long==");
	for (i = 0; i < 300; i++)
		vc_buf_addc(&b, '1');
	vc_buf_adds(&b, "\r\n");
	for (i = 0; i < 300; i++)
		vc_buf_addc(&b, ' ');
	vc_buf_adds(&b, "q==1\r\ncommands = echo ");
	for (i = 0; i < 500; i++)
		vc_buf_addc(&b, 'y');
	vc_buf_adds(&b, "\r\nbasepython: python3 ; a colon works too\r\n");
	ck_assert_int_eq(rd(b.data), 0);
	ck_assert_uint_eq(env("a")->deps.n, 4);
	ck_assert_str_eq(env("a")->deps.v[0],
	    "foo ; python_version < \"3\" ;and more");
	ck_assert_str_eq(env("a")->deps.v[1], "bar ;baz");
	ck_assert_uint_eq(strlen(env("a")->deps.v[2]), 306);
	ck_assert_str_eq(env("a")->deps.v[3], "q==1");
	ck_assert_uint_eq(env("a")->deps_lines[3], 9);
	ck_assert_str_eq(env("a")->basepython, "python3 ; a colon works too");
	done();
	vc_buf_release(&b);
}
END_TEST

/*
 * Section headers and names of any length: inih's line buffer is 200
 * bytes, and a header cut there lost its ']' (tox 3.28: 60 environments).
 */
START_TEST(test_long_lines)
{
	struct vc_buf b;
	size_t i;

	ck_assert_int_eq(rd("[tox]\n[testenv:py{38,39,310,311,312}-"
	                    "{integration-tests-postgresql,integration-tests-"
	                    "mysql,integration-tests-sqlite}-{with-optional-"
	                    "dependencies,without-optional-dependencies}-"
	                    "{coverage-enabled,coverage-disabled}]\n"
	                    "deps=x\n"),
	    0);
	ck_assert_uint_eq(X.n, 60);
	deps_eq(env("py312-integration-tests-sqlite-without-optional-"
	            "dependencies-coverage-disabled"),
	    "x");
	done();
	vc_buf_init(&b);
	vc_buf_adds(&b, "[testenv:e{0");
	for (i = 1; i < 1000; i++)
		vc_buf_addf(&b, ",%zu", i);
	vc_buf_adds(&b, "}]\nset");
	for (i = 0; i < 5000; i++)
		vc_buf_addc(&b, 'x');
	vc_buf_adds(&b, " = 1\ndeps = y\n");
	ck_assert_int_eq(rd(b.data), 0);
	ck_assert_uint_eq(X.n, 1000);
	deps_eq(env("e999"), "y");
	done();
	vc_buf_release(&b);
	fails_at("[tox]\nenvlist = a\n[testenv]\nno separator on this long "
	         "line, no separator on this long line, no separator on this "
	         "long line, no separator on this long line, no separator on "
	         "this long line, no separator on this long line, no sep\n",
	    4, "expected 'name = value'");
}
END_TEST

START_TEST(test_errors)
{
	unsetenv("VC_T_UNSET");
	fails_at("[tox]\nenvlist = a\n[testenv]\ndeps = {nosuchkey}\n", 4,
	    "env a: deps: substitution key 'nosuchkey' not found");
	fails_at("[tox]\nenvlist = a\n[x]\ny = {[x]y}\n[testenv]\n"
	         "deps = {[x]y}\n",
	    4, "refers to itself");
	fails_at("[testenv:a]\ndeps =\n    ok\n    {env:VC_T_UNSET}\n", 4,
	    "environment variable 'VC_T_UNSET' is not set");
	fails_at("[testenv:a]\nusedevelop = yes\n", 2,
	    "boolean value 'yes' needs to be 'True' or 'False'");
	fails_at("[testenv:a]\ndeps = {}\n", 2, "malformed substitution {}");
	fails_at("[testenv:a]\ndeps = {foo:bar}\n", 2,
	    "no support for the 'foo' substitution type");
	fails_at("[testenv:a]\ndeps = {envsitepackagesdir}\n", 2,
	    "needs the interpreter");
	setenv("VC_T_GROW", "a{env:VC_T_GROW}", 1);
	fails_at("[testenv:a]\ndeps =\n    x\n    {env:VC_T_GROW}\n", 4,
	    "a loop?");
	fails_at("[tox]\n envlist = a\n", 2, "continues a value");
	fails_at("[tox]\nenvlist = a\n[testenv]\ndeps = x\ndeps = y\n", 5,
	    "'deps' is set twice in [testenv]");
	fails_at("[tox]\nenvlist = a\n[testenv]\n[testenv]\n", 4,
	    "section [testenv] is defined twice");
	fails_at("[tox]\nenvlist = a\n[testenv] trailing\n", 3,
	    "not a section header");
	fails_at("envlist = a\n", 1, "outside any section");
	fails_at("[tox]\nenvlist = a\njust words\n", 3,
	    "expected 'name = value'");
	fails_at("[testenv:a]\nsetenv = NOEQUALS\ndeps = {env:X}\n", 2,
	    "'NOEQUALS' is not NAME=VALUE");
}
END_TEST

/*
 * Hostile lines: the brace and substitution scanners look at each byte a
 * bounded number of times (they looked at the rest of the line for every
 * '{' or ']': 80 kB took 4 to 10 seconds). Each line is read at two sizes,
 * n and 2n: under 8 bytes scanned per input byte at each, and twice the
 * bytes cost at most twice the scanning (a quadratic scanner costs 4x).
 * n is 512 KiB in the normal build; sanitizer builds, 20 times slower,
 * set VC_TEST_HOSTILE_BYTES smaller from CMake (the old scanners fail
 * both checks from 16 kB).
 */
#ifndef VC_TEST_HOSTILE_BYTES
#define VC_TEST_HOSTILE_BYTES (512u << 10)
#endif

/* Bytes scanned to read `head`, `n` times `c`, then `tail`. */
static unsigned long long
scan_cost(const char *head, char c, size_t n, const char *tail)
{
	struct vc_buf b;
	unsigned long long before = vc_tox_scanned(), cost;
	size_t i;

	vc_buf_init(&b);
	vc_buf_adds(&b, head);
	for (i = 0; i < n; i++)
		vc_buf_addc(&b, c);
	vc_buf_adds(&b, tail);
	rd(b.data); /* an error or not: what it costs is what is tested */
	done();
	cost = vc_tox_scanned() - before;
	ck_assert_msg(cost < 8 * (unsigned long long)n,
	    "'%s' then %zu '%c': %llu bytes scanned", head, n, c, cost);
	vc_buf_release(&b);
	return cost;
}

static void
hostile(const char *head, char c, const char *tail)
{
	size_t n = VC_TEST_HOSTILE_BYTES;
	unsigned long long one = scan_cost(head, c, n, tail);
	unsigned long long two = scan_cost(head, c, 2 * n, tail);

	ck_assert_msg(two <= 2 * one + 4096,
	    "'%s' then '%c': %zu bytes scanned %llu, %zu bytes %llu", head, c,
	    n, one, 2 * n, two);
}

START_TEST(test_hostile_lines)
{
	hostile("[tox]\nenvlist = a", '{', "\n");
	hostile("[testenv:a]\ndeps = {[]", ']', "\n");
	hostile("[testenv:a]\ndeps = {[]", ']', ":x}\n");
	hostile("[testenv:a]\ndeps = {[]", ']', "}\n");
	hostile("[testenv:a]\ndeps = {[]", ':', "\n");
	hostile("[testenv:a]\ndeps = a", '{', ": x\n");
	hostile("[testenv:a]\ndeps = a", '{', "}: x\n");
	hostile("[testenv:{", '{', "}]\ndeps = x\n");
}
END_TEST

/*
 * A value copied into every environment counts for each: 1,000
 * environments of one 100 kB dep are 100 MB (4,000 of 200 kB took 1.5 GB).
 */
START_TEST(test_values_bounded)
{
	struct vc_buf b;
	size_t i;

	vc_buf_init(&b);
	vc_buf_adds(&b, "[tox]\nenvlist = {a0");
	for (i = 1; i < 10; i++)
		vc_buf_addf(&b, ",a%zu", i);
	vc_buf_adds(&b, "}-{b0");
	for (i = 1; i < 100; i++)
		vc_buf_addf(&b, ",b%zu", i);
	vc_buf_adds(&b, "}\n[testenv]\ndeps =\n    short\n    ");
	for (i = 0; i < 100000; i++)
		vc_buf_addc(&b, 'x');
	vc_buf_adds(&b, "\n");
	fails_at(b.data, 6, "more than 64 MiB");
	vc_buf_release(&b);
}
END_TEST

/*
 * A long value (an index picks the lines an env's factors can select)
 * against the same lines filtered one by one (after a substitution, tox
 * applies the conditions again, to text that has no index): random
 * conditions, same deps, same lines.
 */
START_TEST(test_long_values)
{
	static const char *const fs[] = {"a", "b", "c", "py37", "py38", "x"};
	struct vc_buf direct, viaref, lines;
	struct vc_tox first;
	unsigned seed = 12345;
	size_t i, j, k;

	vc_buf_init(&direct);
	vc_buf_init(&viaref);
	vc_buf_init(&lines);
	for (i = 0; i < 300; i++) {
		size_t nalt = 1 + (seed = seed * 1103515245 + 12345) % 3;

		vc_buf_adds(&lines, "    ");
		for (j = 0; j < nalt; j++) {
			size_t nf = (seed = seed * 1103515245 + 12345) % 3;

			if (j > 0)
				vc_buf_addc(&lines, ',');
			for (k = 0; k <= nf; k++) {
				seed = seed * 1103515245 + 12345;
				vc_buf_addf(&lines, "%s%s%s", k ? "-" : "",
				    (seed >> 16) % 4 == 0 ? "!" : "",
				    fs[(seed >> 8) % VC_ARRAY_SIZE(fs)]);
			}
		}
		if (i % 7 == 0)
			vc_buf_addf(&lines, "%s", i % 2 ? "" : "-{b,c}");
		vc_buf_addf(&lines, ": dep%zu\n", i);
		if (i % 10 == 0)
			vc_buf_addf(&lines, "    plain%zu\n", i);
	}
	vc_buf_addf(&direct,
	    "[tox]\nenvlist = {a,b,c}-py{37,38},x,a-b-c-py37\n"
	    "[testenv]\ndeps =\n%s",
	    lines.data);
	vc_buf_addf(&viaref,
	    "[tox]\nenvlist = {a,b,c}-py{37,38},x,a-b-c-py37\n"
	    "[testenv]\ndeps = {[big]deps}\n[big]\ndeps =\n%s",
	    lines.data);
	ck_assert_int_eq(rd(direct.data), 0);
	first = X;
	ck_assert_int_eq(rd(viaref.data), 0);
	ck_assert_uint_eq(first.n, X.n);
	for (i = 0; i < X.n; i++) {
		char *a = vc_test_joined(&first.envs[i].deps, "|"),
		     *b = vc_test_joined(&X.envs[i].deps, "|");

		ck_assert_str_eq(a, b);
		ck_assert_uint_gt(X.envs[i].deps.n, 0);
		for (j = 0; j < X.envs[i].deps.n; j++)
			ck_assert_uint_eq(first.envs[i].deps_lines[j],
			    X.envs[i].deps_lines[j] - 2);
		free(a);
		free(b);
	}
	vc_tox_release(&first);
	done();
	vc_buf_release(&direct);
	vc_buf_release(&viaref);
	vc_buf_release(&lines);
}
END_TEST

/*
 * -e NAME that has no section and is not in the envlist: tox 3 makes it
 * when each factor is known ([testenv] conditions, the envlist, "py",
 * "python") or a Python factor (tox 3.28 -e, for each case here).
 */
static int
on_demand(const char *text, const char *name, struct vc_config *cfg)
{
	char path[] = "/tmp/check_tox.XXXXXX";
	int fd = mkstemp(path), rc;
	FILE *f = fdopen(fd, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	vc_config_init(cfg);
	ck_assert_int_eq(vc_config_set(cfg, VC_S_TOX_VERSION, "3",
	                     VC_ORIGIN_CLI, "test", &err),
	    0);
	rc = vc_tox_load_env(cfg, path, name, &err);
	unlink(path);
	return rc;
}

START_TEST(test_on_demand)
{
	static const struct {
		const char *text, *name;
		int made;
		const char *deps;
	} c[] = {
	    {"[testenv]\ndeps = x\n    py311: y\n", "py311", 1, "x|y|."},
	    {"[testenv]\ndeps = x\n", "pypy3", 1, "x|."},
	    {"[testenv]\ndeps = x\n", "py", 1, "x|."},
	    {"[testenv]\ndeps = x\n", "py1", 0, NULL},
	    {"[testenv]\ndeps = x\n", "py311-lint", 0, NULL},
	    {"[testenv]\ndeps = x\n    !lint: y\n", "py311-lint", 1, "x|."},
	    {"[testenv]\ndeps = x\ncommands =\n    {a,b}-lint: z\n", "b-py39",
	        1, "x|."},
	    {"[testenv]\ndeps = lint:x\n", "lint", 0, NULL},
	    {"[tox]\nenvlist = py{38,39}-django{3,4}\n[testenv]\n"
	     "deps = django4: d4\n",
	        "py311-django4", 1, "d4|."},
	    {"[tox]\nenvlist = py{38,39}-django{3,4}\n[testenv]\ndeps = x\n",
	        "py311-django5", 0, NULL},
	    {"[tox]\nenvlist = a\n[testenv:b]\ndeps = x\n", "b-py39", 0, NULL},
	};
	struct vc_config cfg;
	size_t i;

	for (i = 0; i < VC_ARRAY_SIZE(c); i++) {
		ck_assert_msg(on_demand(c[i].text, c[i].name, &cfg) ==
		        c[i].made,
		    "-e %s of %s: %s", c[i].name, c[i].text, err.msg);
		if (c[i].made) {
			const struct vc_envdef *e =
			    vc_config_env(&cfg, c[i].name);
			char *d;

			ck_assert_uint_eq(cfg.nenvs, 1);
			d = vc_test_joined(&e->deps, "|");
			ck_assert_str_eq(d, c[i].deps);
			free(d);
		} else {
			ck_assert_uint_eq(cfg.nenvs, 0);
		}
		vc_config_release(&cfg);
	}
}
END_TEST

/* Into a config: python, basedir, file and lines; [env NAME] wins. */
START_TEST(test_add_envs)
{
	struct vc_config cfg;
	struct vc_envdef *e;
	struct vc_reqset set;
	char *d;

	vc_config_init(&cfg);
	ck_assert_int_eq(vc_config_load_string(&cfg, "/c/venvcache.ini",
	                     "[env a]\ndeps = mine\n", &err),
	    0);
	ck_assert_int_eq(rd("[tox]\nenvlist = a,b,c\n"
	                    "[testenv]\nusedevelop = true\n"
	                    "deps =\n    pinned==1.0\n    c: ./nowhere\n"
	                    "[testenv:b]\nbasepython = python3.9\n"
	                    "pip_pre = true\nextras = x\n"),
	    0);
	ck_assert_int_eq(vc_tox_add_envs(&cfg, &X, &err), 0);
	ck_assert_uint_eq(cfg.nenvs, 3);
	e = vc_config_env(&cfg, "a");
	ck_assert_str_eq(e->file, "/c/venvcache.ini");
	d = vc_test_joined(&e->deps, "|");
	ck_assert_str_eq(d, "mine");
	free(d);
	e = vc_config_env(&cfg, "b");
	ck_assert_str_eq(e->file, "/t/tox.ini");
	ck_assert_str_eq(e->basedir, "/t");
	ck_assert_str_eq(e->python, "python3.9");
	ck_assert_uint_eq(e->line, 8);
	d = vc_test_joined(&e->deps, "|");
	ck_assert_str_eq(d, "pinned==1.0|--pre|-e .[x]");
	free(d);
	ck_assert_uint_eq(e->deps_lines[0], 6);
	ck_assert_uint_eq(e->deps_lines[2], 8);
	/* the requirement reader takes the last line for the project, and
	 * names tox.ini:LINE in its errors */
	vc_reqset_init(&set);
	ck_assert_int_eq(vc_key_load_requirements(&set, e, &err), 0);
	ck_assert_str_eq(set.project, ".[x]");
	ck_assert_uint_eq(set.n, 1);
	ck_assert_int_eq(vc_strv_contains(&set.options, "--pre"), 1);
	vc_reqset_release(&set);
	e = vc_config_env(&cfg, "c");
	ck_assert_ptr_null(e->python);
	vc_reqset_init(&set);
	ck_assert_int_eq(vc_key_load_requirements(&set, e, &err), -1);
	ck_assert_msg(strncmp(err.msg, "/t/tox.ini:7: ", 14) == 0, "%s",
	    err.msg);
	vc_reqset_release(&set);
	done();
	vc_config_release(&cfg);
}
END_TEST

/* --- conformance: sentry-python --------------------------------------- */

static int
strv_eq_json(const struct vc_strv *v, json_t *a)
{
	size_t i;

	if (json_array_size(a) != v->n)
		return 0;
	for (i = 0; i < v->n; i++)
		if (strcmp(v->v[i], json_string_value(json_array_get(a, i))) !=
		    0)
			return 0;
	return 1;
}

/*
 * The project under test that tox's report implies: "." when tox installs
 * it (`installs`) or a dep is the project ("-e.", ".", "-e.[x]"), with the
 * extras of both, sorted (all are PEP 503 names already).
 */
static void
expected_project(json_t *o, int installs, struct vc_buf *out)
{
	json_t *deps = json_object_get(o, "deps"), *x;
	struct vc_strv extras;
	size_t i;
	int is = installs;

	vc_strv_init(&extras);
	x = json_object_get(o, "extras");
	for (i = 0; installs && i < json_array_size(x); i++)
		vc_strv_push(&extras, json_string_value(json_array_get(x, i)));
	for (i = 0; i < json_array_size(deps); i++) {
		const char *d = json_string_value(json_array_get(deps, i));

		if (strncmp(d, "-e", 2) == 0)
			d += 2;
		if (d[0] != '.' || (d[1] != '\0' && d[1] != '['))
			continue;
		is = 1;
		if (d[1] == '[') {
			char *in = xstrndup(d + 2, strcspn(d + 2, "]"));
			char *p = in, *c;

			while ((c = strsep(&p, ",")) != NULL)
				vc_strv_push(&extras, c);
			free(in);
		}
	}
	vc_strv_sort_uniq(&extras);
	if (is) {
		vc_buf_addc(out, '.');
		for (i = 0; i < extras.n; i++)
			vc_buf_addf(out, "%c%s", i == 0 ? '[' : ',',
			    extras.v[i]);
		if (extras.n > 0)
			vc_buf_addc(out, ']');
	}
	vc_strv_release(&extras);
}

/* What tox 3.28 reports for [testenv:linters], not in envlist. */
static const struct {
	const char *file, *deps, *basepython;
} extra_envs[] = {
    {"tox-2022-11-14.ini", "-rtest-requirements.txt|-rlinter-requirements.txt",
        "python3.9"},
    {"tox-2024-06-26.ini",
        "-rrequirements-testing.txt|-rrequirements-linting.txt|werkzeug<2.3.0",
        "python3.12"},
};

/*
 * Every environment of each file, against tox 3.28's report: the set
 * envlist makes (in order), deps exactly, basepython, extras, usedevelop;
 * then, through a config, the project under test as the requirement
 * reader sees it (tox installs it unless skip_install, or skipsdist
 * without usedevelop; no file sets skipsdist, so it defaults to "every
 * env is usedevelop").
 */
START_TEST(test_sentry_python)
{
	static const char *const files[][2] = {
	    {"tox-2022-11-14.ini", "tox-2022-11-14.expected.jsonl"},
	    {"tox-2024-06-26.ini", "tox-2024-06-26.expected.jsonl"},
	    {"tox-2026-08-10.ini", "tox-2026-08-10.expected.jsonl.gz"},
	};
	const char *data = getenv("VC_TEST_DATA");
	size_t f, total = 0, matched_all = 0, mismatches = 0;
	char *dir;

	ck_assert_msg(data != NULL, "VC_TEST_DATA is not set");
	dir = vc_path_join(data, "sentry-python");
	for (f = 0; f < VC_ARRAY_SIZE(files); f++) {
		char *ini = vc_path_join(dir, files[f][0]);
		char *exp = vc_path_join(dir, files[f][1]);
		char *text = vc_test_read_gz(ini),
		     *lines = vc_test_read_gz(exp), *line, *save;
		size_t i, n = 0, matched = 0, extra = 0;
		struct vc_config cfg;
		int all_develop = 1;
		json_t **want = NULL;

		ck_assert_int_eq(vc_tox_read(&X, 3, ini, text, &err), 0);
		vc_config_init(&cfg);
		ck_assert_int_eq(vc_tox_add_envs(&cfg, &X, &err), 0);
		ck_assert_ptr_null(strstr(text, "skipsdist"));
		for (line = strtok_r(lines, "\n", &save); line != NULL;
		     line = strtok_r(NULL, "\n", &save)) {
			json_t *o = json_loads(line, 0, NULL);

			ck_assert_ptr_nonnull(o);
			want = xrealloc(want, (n + 1) * sizeof *want);
			want[n++] = o;
			if (!json_is_true(json_object_get(o, "usedevelop")))
				all_develop = 0;
		}
		/* the set: envlist's, in order, then the others */
		for (i = 0; i < X.n; i++) {
			const struct vc_tox_env *e = &X.envs[i];
			json_t *o = i < n ? want[i] : NULL;
			const char *bp = o
			    ? json_string_value(
			          json_object_get(o, "basepython"))
			    : NULL;
			struct vc_reqset set;
			struct vc_buf proj;
			int ok = 1;

			if (!e->in_envlist) {
				char *d = vc_test_joined(&e->deps, "|");
				const char *want_deps = NULL, *want_py = NULL;
				size_t k;

				for (k = 0; k < VC_ARRAY_SIZE(extra_envs); k++)
					if (strcmp(extra_envs[k].file,
					        files[f][0]) == 0) {
						want_deps = extra_envs[k].deps;
						want_py =
						    extra_envs[k].basepython;
					}
				ck_assert_msg(want_deps != NULL,
				    "%s: unexpected extra env %s", files[f][0],
				    e->name);
				ck_assert_str_eq(e->name, "linters");
				ck_assert_str_eq(d, want_deps);
				ck_assert_str_eq(e->basepython, want_py);
				free(d);
				fprintf(stderr,
				    "sentry-python %s: env %s: not in envlist "
				    "(a [testenv:%s] section: tox 3 configures "
				    "it for tox -e %s and tox -a, tox -l does "
				    "not list it; the expected file lists "
				    "envlist), checked against tox 3.28 "
				    "separately\n",
				    files[f][0], e->name, e->name, e->name);
				extra++;
				continue;
			}
			ck_assert_msg(o != NULL && i < n,
			    "%s: env %s is not in tox's envlist", files[f][0],
			    e->name);
			ck_assert_str_eq(e->name,
			    json_string_value(json_object_get(o, "env")));
			if (!strv_eq_json(&e->deps,
			        json_object_get(o, "deps"))) {
				char *d = vc_test_joined(&e->deps, "|");
				char *w =
				    json_dumps(json_object_get(o, "deps"), 0);

				fprintf(stderr,
				    "MISMATCH %s env %s deps: %s; tox: %s\n",
				    files[f][0], e->name, d, w);
				free(d);
				free(w);
				ok = 0;
			}
			if (!strv_eq_json(&e->extras,
			        json_object_get(o, "extras"))) {
				fprintf(stderr, "MISMATCH %s env %s extras\n",
				    files[f][0], e->name);
				ok = 0;
			}
			if (e->usedevelop !=
			    json_is_true(json_object_get(o, "usedevelop"))) {
				fprintf(stderr,
				    "MISMATCH %s env %s usedevelop\n",
				    files[f][0], e->name);
				ok = 0;
			}
			if (bp == NULL || e->basepython == NULL ||
			    strcmp(bp, e->basepython) != 0) {
				fprintf(stderr,
				    "MISMATCH %s env %s basepython: %s; tox: "
				    "%s\n",
				    files[f][0], e->name,
				    e->basepython ? e->basepython : "(none)",
				    bp ? bp : "(none)");
				ok = 0;
			}
			/* the project, as the requirement reader sees it: what
			 * tox installs, merged with what deps say of it */
			vc_buf_init(&proj);
			vc_buf_grow(&proj, 0);
			expected_project(o, e->usedevelop || !all_develop,
			    &proj);
			vc_reqset_init(&set);
			ck_assert_msg(vc_key_load_requirements(&set,
			                  vc_config_env(&cfg, e->name),
			                  &err) == 0,
			    "%s: env %s: %s", files[f][0], e->name, err.msg);
			if (strcmp(set.project ? set.project : "", proj.data) !=
			    0) {
				fprintf(stderr,
				    "MISMATCH %s env %s project: %s; tox: "
				    "%s\n",
				    files[f][0], e->name,
				    set.project ? set.project : "(none)",
				    proj.data);
				ok = 0;
			}
			vc_reqset_release(&set);
			vc_buf_release(&proj);
			matched += ok;
			mismatches += !ok;
		}
		ck_assert_uint_eq(X.n - extra, n);
		fprintf(stderr,
		    "sentry-python %s: %zu of %zu environments as tox 3.28 "
		    "reports them (deps, basepython, extras, usedevelop, the "
		    "project); %zu more not in envlist\n",
		    files[f][0], matched, n, extra);
		total += n;
		matched_all += matched;
		for (i = 0; i < n; i++)
			json_decref(want[i]);
		free(want);
		vc_config_release(&cfg);
		done();
		free(text);
		free(lines);
		free(ini);
		free(exp);
	}
	fprintf(stderr, "sentry-python: %zu of %zu environments match\n",
	    matched_all, total);
	ck_assert_uint_eq(total, 417 + 394 + 838);
	ck_assert_uint_eq(mismatches, 0);
	free(dir);
}
END_TEST

int
main(void)
{
	const TTest *const tests[] = {
	    test_envlist,
	    test_factor_conditions,
	    test_substitutions,
	    test_deps_normalised,
	    test_basepython,
	    test_project,
	    test_ini_dialect,
	    test_long_lines,
	    test_errors,
	    test_long_values,
	    test_hostile_lines,
	    test_values_bounded,
	    test_add_envs,
	    test_on_demand,
	    test_sentry_python,
	};
	Suite *s = suite_create("tox");

	/* Megabyte inputs under ASan and valgrind, beside other tests. */
	vc_test_case(s, "core", NULL, NULL, 300, tests, VC_ARRAY_SIZE(tests));
	return vc_test_run(s);
}
