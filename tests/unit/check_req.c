/*
 * check_req.c: requirement files as pip reads them, and their canonical
 * form: every syntax, malformed input with file:line, equivalent inputs
 * that must agree, real changes that must not, includes and their cycles,
 * ${VAR}, encodings, and the sentry-python matrix as conformance data.
 */
#include <check.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "venvcache/req.h"
#include "venvcache/util.h"

#include "helpers.h"

/* The canonical lines joined with '\n', or "ERR <message>". */
static char *
canon_set(const struct vc_reqset *set)
{
	struct vc_strv c;
	struct vc_buf b;
	size_t i;

	vc_strv_init(&c);
	vc_buf_init(&b);
	vc_reqset_canonical(set, &c);
	for (i = 0; i < c.n; i++)
		vc_buf_addf(&b, "%s%s", i > 0 ? "\n" : "", c.v[i]);
	vc_strv_release(&c);
	return vc_buf_detach(&b);
}

static char *
canon_text(const char *text)
{
	struct vc_reqset set;
	struct vc_error err;
	char *s;

	vc_reqset_init(&set);
	vc_error_clear(&err);
	if (vc_reqset_add_text(&set, text, "r.txt", NULL, ".", 0, &err) == -1)
		s = xasprintf("ERR %s", err.msg);
	else
		s = canon_set(&set);
	vc_reqset_release(&set);
	return s;
}

static char *
canon_file(const char *path)
{
	struct vc_reqset set;
	struct vc_error err;
	char *s;

	vc_reqset_init(&set);
	vc_error_clear(&err);
	if (vc_reqset_add_file(&set, path, 0, &err) == -1)
		s = xasprintf("ERR %s", err.msg);
	else
		s = canon_set(&set);
	vc_reqset_release(&set);
	return s;
}

/*
 * The file `path` (written with `text` first, unless NULL) read as
 * canonical lines, or "ERR <message>": `want`.
 */
static void
file_is(const char *path, const char *text, const char *want)
{
	char *got;

	if (text != NULL)
		vc_test_put(NULL, path, text);
	got = canon_file(path);
	ck_assert_msg(strcmp(got, want) == 0, "%s\n  got  '%s'\n  want '%s'",
	    path, got, want);
	free(got);
}

#define CK_CANON(text, want)                                                   \
	do {                                                                   \
		char *got_ = canon_text(text);                                 \
		ck_assert_msg(strcmp(got_, want) == 0,                         \
		    "input '%s'\n  got  '%s'\n  want '%s'", text, got_, want); \
		free(got_);                                                    \
	} while (0)

#define CK_ERROR(text, want)                                              \
	do {                                                              \
		char *got_ = canon_text(text);                            \
		ck_assert_msg(strncmp(got_, "ERR ", 4) == 0 &&            \
		        strstr(got_, want) != NULL,                       \
		    "input '%s'\n  got  '%s'\n  want an error with '%s'", \
		    text, got_, want);                                    \
		free(got_);                                               \
	} while (0)

static const struct {
	const char *in, *out;
} canon_cases[] = {
    /* Names: PEP 503. */
    {"foo", "foo"},
    {"Zope_Interface", "zope-interface"},
    {"zope.interface", "zope-interface"},
    {"Foo.-_Bar", "foo-bar"},
    {"foo_", "foo_"},
    {"foo._", "foo_"},
    {"foo[bar_]", "foo[bar_]"},
    /* Extras: normalised, sorted, unique; empty lists vanish. */
    {"foo[B,a]", "foo[a,b]"},
    {"foo[ b , A_x ,b ]", "foo[a-x,b]"},
    {"foo[]", "foo"},
    /* Specifiers: no spaces, PEP 440 normal form, sorted, unique. */
    {"foo >= 1.0 , < 2", "foo<2,>=1.0"},
    {"foo (>=1.0)", "foo>=1.0"},
    {"foo>=1.0,>=1.0", "foo>=1.0"},
    {"foo>=1,", "foo>=1"},
    {"foo==1.0.*", "foo==1.0.*"},
    {"foo==01.02", "foo==1.2"},
    {"foo==v1.0", "foo==1.0"},
    {"foo==1.0-1", "foo==1.0.post1"},
    {"foo==1.0a.", "foo==1.0a0"},
    {"foo==1.0RC1", "foo==1.0rc1"},
    {"foo==1.0-alpha-2", "foo==1.0a2"},
    {"foo==1.0c1", "foo==1.0rc1"},
    {"foo==1.0-preview3", "foo==1.0rc3"},
    {"foo==1.0.rev", "foo==1.0.post0"},
    {"foo==1.0-dev_7", "foo==1.0.dev7"},
    {"foo==0!1.0", "foo==1.0"},
    {"foo>=2!1.0", "foo>=2!1.0"},
    {"foo==1.0+Ubuntu-007.x", "foo==1.0+ubuntu.7.x"},
    {"foo!=1.0.*", "foo!=1.0.*"},
    /* Trailing zeros stay: ~=1.0 is not ~=1.0.0. */
    {"foo~=1.0", "foo~=1.0"},
    {"foo~=1.0.0", "foo~=1.0.0"},
    /* Arbitrary equality is kept as written. */
    {"foo===1.0-Weird", "foo===1.0-Weird"},
    {"foo=== abc", "foo===abc"},
    {"foo===5.tar.gz , <6", "foo(<6,===5.tar.gz)"},
    {"foo (===5.tar.gz)", "foo(===5.tar.gz)"},
    /* Markers: double quotes, single spaces, canonical names. */
    {"foo;python_version<'3.8'", "foo; python_version < \"3.8\""},
    {"foo ; os.name == 'nt'", "foo; os_name == \"nt\""},
    {"foo; sys.platform=='linux'", "foo; sys_platform == \"linux\""},
    {"foo; python_implementation == 'CPython'",
        "foo; platform_python_implementation == \"CPython\""},
    {"foo; platform.machine == 'x86_64'",
        "foo; platform_machine == \"x86_64\""},
    {"foo; 'linux' in sys_platform", "foo; \"linux\" in sys_platform"},
    {"foo; 'win' not   in sys_platform", "foo; \"win\" not in sys_platform"},
    {"foo; python_version=='3'and os_name=='x'",
        "foo; os_name == \"x\" and python_version == \"3\""},
    {"foo; extra == 'Test_Stuff'", "foo; extra == \"test-stuff\""},
    /* and binds tighter than or; parentheses only where needed. */
    {"foo; a_b or python_version < '3' and os_name == 'nt'", NULL},
    {"foo; python_version < '3' or os_name == 'nt' and sys_platform == 'x'",
        "foo; os_name == \"nt\" and sys_platform == \"x\" or "
        "python_version < \"3\""},
    {"foo; (python_version < '3' or os_name == 'nt') and sys_platform == 'x'",
        "foo; (os_name == \"nt\" or python_version < \"3\") and "
        "sys_platform == \"x\""},
    {"foo; ((python_version < '3'))", "foo; python_version < \"3\""},
    {"foo; (os_name == 'a' or os_name == 'b') and (os_name == 'b' or "
     "os_name == 'a')",
        "foo; os_name == \"a\" or os_name == \"b\""},
    {"foo; python_version < '3' or (os_name == 'a' or sys_platform == 'x')",
        "foo; os_name == \"a\" or python_version < \"3\" or "
        "sys_platform == \"x\""},
    /* Values are read as Python reads them and written escaped. */
    {"foo; platform_version == '3\\x41'", "foo; platform_version == \"3A\""},
    {"foo; platform_version == 'a\\qb'",
        "foo; platform_version == \"a\\\\qb\""},
    {"foo; platform_version == 'say \"hi\"'",
        "foo; platform_version == \"say \\x22hi\\x22\""},
    {"foo; platform_version == '#1 SMP'",
        "foo; platform_version == \"#1 SMP\""},
    {"foo; platform_version == 'a\\x20#b'",
        "foo; platform_version == \"a\\x20#b\""},
    {"foo; platform_version == '\\u00e9'",
        "foo; platform_version == \"\\xe9\""},
    /* URLs and paths. */
    {"foo @ https://x/foo.tar.gz", "foo @ https://x/foo.tar.gz"},
    {"foo@-x", "foo @-x"},
    {"foo -C 'k= '#x", "foo --config-settings='k= ''#x'"},
    {"foo -C 'k=$''{HOME}'", "foo --config-settings='k=$''{HOME}'"},
    {"foo@#x", "foo @#x"},
    {"Foo[B,a]@https://x/foo.tar.gz ; python_version<'3'",
        "foo[a,b] @ https://x/foo.tar.gz ; python_version < \"3\""},
    {"https://x/foo-1.0-py3-none-any.whl",
        "https://x/foo-1.0-py3-none-any.whl"},
    {"https://x/foo.tar.gz#egg=foo ; python_version<'3'",
        "https://x/foo.tar.gz#egg=foo; python_version < \"3\""},
    {"https://x/a;b ;; python_version<'3'",
        "https://x/a;b ;; python_version < \"3\""},
    {"git+https://github.com/a/b.git#egg=bee",
        "git+https://github.com/a/b.git#egg=bee"},
    {"https://u:secret@x/foo.tar.gz#egg=foo",
        "https://***@x/foo.tar.gz#egg=foo"},
    {"-e 'git+https://x/a\\b c#egg=d'", "-e 'git+https://x/a\\b c#egg=d'"},
    {"-e git://github.com/a/b.git#egg=bee",
        "-e git+git://github.com/a/b.git#egg=bee"},
    {"--editable=git+https://h/r.git@0123456789012345678901234567890123456789"
     "#egg=r",
        "-e "
        "git+https://h/r.git@0123456789012345678901234567890123456789#egg=r"},
    {"./dist/foo-1.0-py3-none-any.whl", "./dist/foo-1.0-py3-none-any.whl"},
    {"foo-1.0.tar.gz", "./foo-1.0.tar.gz"},
    {"./a@b/foo-1.0.tar.gz", "./a@b/foo-1.0.tar.gz"},
    {"./x/../foo-1.0.tar.gz", "./foo-1.0.tar.gz"},
    /* Hashes: lower case, sorted, unique. */
    {"foo==1.0 --hash=sha256:"
     "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB "
     "--hash sha256:"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa "
     "--hash=sha256:"
     "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
        "foo==1.0 --hash=sha256:"
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa "
        "--hash=sha256:"
        "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"},
    /* Per-requirement options: settings by key, global options in order. */
    {"foo -C b=2 --config-settings a=1 --global-option=--y --global-option "
     "--x",
        "foo --config-settings=a=1 --config-settings=b=2 "
        "--global-option=--y --global-option=--x"},
    {"foo --config-settings='k=a b'", "foo --config-settings='k=a b'"},
    /* Option lines: in the key; abbreviations as optparse reads them. */
    {"--pre", "--pre"},
    {"--prefer", "--prefer-binary"},
    {"--require-hashes", "--require-hashes"},
    {"--use-feature fast-deps", "--use-feature=fast-deps"},
    {"--use-feature 'a\\'", "--use-feature='a\\'"},
    {"--no-binary :all:\n--only-binary numpy,SciPy",
        "--no-binary=:all: --only-binary=numpy,scipy"},
    {"--only-binary :all:\n--no-binary b,a",
        "--only-binary=:all: --no-binary=a,b"},
    {"--no-binary=a,b\n--only-binary=b", "--no-binary=a --only-binary=b"},
    {"--only-binary=a\n--only-binary=:none:", ""},
    {"--no-binary=a,:all:", "--no-binary=:all:"},
    {"--no-binary=:all:,:none:,x", "--no-binary=x"},
    {"--no-binary :all:\n--only-binary=x\n--no-binary=x", "--no-binary=:all:"},
    /* Names no project can have match nothing: they are left out. */
    {"--only-binary=numpy,.tar.xz,-x,a", "--only-binary=a,numpy"},
    /* Index options are not in the key. */
    {"-i https://pypi.corp/simple\n--extra-index-url https://x/simple\n"
     "--trusted-host x\n--no-index\n-f ./wheels\nfoo",
        "foo"},
    /* Options pip ignores are ignored: here, and on an include line. */
    {"foo --pre", "foo"},
    {"--hash=sha256:"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        ""},
    {"foo -- -r x", "foo"},
    /* Comments: at the start, or after white space; not inside words. */
    {"# a comment\n\n   \nfoo  # trailing\n\t# indented", "foo"},
    {"foo @ https://x/a#egg=foo", "foo @ https://x/a#egg=foo"},
    {"foo; platform_version == 'a#b'", "foo; platform_version == \"a#b\""},
    /* Continuations join lines; a comment line ends a continuation. */
    {"foo\\\n>=1.0", "foo>=1.0"},
    {"foo \\\n  --hash=sha256:"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "foo --hash=sha256:"
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"},
    {"foo \\\n# comment \\\nbar", "bar\nfoo"},
    {"foo\\", "foo"},
    {"foo @ https://x/a\\ \\", "foo @ https://x/a\\ "},
    {"foo \\", "foo"},
    /* Every line ending of Python's splitlines(). */
    {"a\r\nb\rc\vd\fe\x1c"
     "f\xc2\x85g\xe2\x80\xa8h",
        "a\nb\nc\nd\ne\nf\ng\nh"},
    /* Duplicates and order do not matter. */
    {"b\na\nb\nA", "a\nb"},
};

START_TEST(test_canonical_forms)
{
	size_t i;

	for (i = 0; i < VC_ARRAY_SIZE(canon_cases); i++)
		if (canon_cases[i].out != NULL)
			CK_CANON(canon_cases[i].in, canon_cases[i].out);
}
END_TEST

static const struct {
	const char *in, *msg;
} error_cases[] = {
    {"foo-",
        "r.txt:1: invalid requirement 'foo-': expected end or "
        "semicolon (after name and no valid version specifier) at "
        "column 4"},
    {"foo=1.0", "did you mean '=='?"},
    {"foo>=1.0.*", "'.*' can only be used with '==' or '!='"},
    {"foo>=1.0+local", "local version label"},
    {"foo~=1", "invalid requirement 'foo~=1'"},
    {"foo==1.0.*.1", "expected end or semicolon (after version specifier)"},
    {"foo>=1 <2", "expected end or semicolon"},
    {"foo>=1,,<2", "expected end or semicolon"},
    {"foo @", "expected URL after @"},
    {"foo[bar baz]", "expected comma between extra names"},
    {"foo[bar,]", "expected extra name after comma"},
    {"foo[bar", "expected matching ']' for '['"},
    {"foo (>=1", "expected matching ')' for '('"},
    {"[foo]", "expected package name"},
    {"foo; python_version", "expected marker operator"},
    {"foo; python_version < '3' and", "expected a marker variable"},
    {"foo; (python_version < '3'", "expected matching ')'"},
    {"foo; python_version not'3'", "expected whitespace after 'not'"},
    {"foo; python_version not x", "expected 'in' after 'not'"},
    {"foo; pyversion < '3'", "expected a marker variable or quoted string"},
    {"foo; python_version < '3\\'", "unterminated string"},
    {"foo; python_version < '\\x4'", "truncated"},
    {"foo; python_version < '\\N{DIGIT ONE}'", "not supported"},
    {"./nonexistent",
        "it looks like a path, and './nonexistent' does not "
        "exist"},
    {"foo.whl", "'foo.whl' is not a valid wheel file name"},
    {"https://x/foo.whl", "not a valid wheel file name"},
    {"-e https://x/y#egg=z", "is not a valid editable requirement"},
    {"-e git+https://x/y.git", "add #egg=NAME"},
    {"-e ./nonexistent", "is not a valid editable requirement"},
    {"foo --hash=md5:0123", "allowed hash algorithms for --hash are sha256"},
    {"foo --hash sha256", "must be a hash name followed by a value"},
    {"foo --hash=sha256:abc", "is not a sha256 digest (64 hex digits)"},
    {"foo --config-settings=ab", "must be of the form KEY=VAL"},
    {"foo --frob", "r.txt:1: no such option: --frob"},
    {"foo --pr", "ambiguous option: --pr (--prefer-binary, --pre?)"},
    {"--pre=yes", "--pre option does not take a value"},
    {"--index-url", "--index-url option requires 1 argument"},
    {"-r", "-r option requires 1 argument"},
    {"-z", "no such option: -z"},
    {"--no-binary -x",
        "--no-binary / --only-binary option requires 1 "
        "argument"},
    {"-r \"unterminated", "cannot split options"},
    {"foo -C 'k=v",
        "r.txt:1: cannot split options '-C 'k=v': no closing quotation"},
    {"-r https://example.invalid/r.txt",
        "cannot key requirements fetched "
        "from"},
    {"-r file:relative.txt", "only file:///absolute/path"},
    /* The line number is that of the line (the first of a join). */
    {"foo\nbar\n\n# x\nbaz>=", "r.txt:5: invalid requirement 'baz>='"},
    {"ok\nfoo \\\n  >=1 \\\n  bad", "r.txt:2: invalid requirement"},
};

START_TEST(test_errors)
{
	size_t i;

	for (i = 0; i < VC_ARRAY_SIZE(error_cases); i++)
		CK_ERROR(error_cases[i].in, error_cases[i].msg);
}
END_TEST

/* Both texts give one canonical form. */
#define CK_SAME(a, b)                                                        \
	do {                                                                 \
		char *ga_ = canon_text(a), *gb_ = canon_text(b);             \
		ck_assert_msg(strncmp(ga_, "ERR", 3) != 0, "%s", ga_);       \
		ck_assert_msg(strcmp(ga_, gb_) == 0,                         \
		    "should agree:\n  '%s' -> '%s'\n  '%s' -> '%s'", a, ga_, \
		    b, gb_);                                                 \
		free(ga_);                                                   \
		free(gb_);                                                   \
	} while (0)

#define CK_DIFFER(a, b)                                                 \
	do {                                                            \
		char *ga_ = canon_text(a), *gb_ = canon_text(b);        \
		ck_assert_msg(strncmp(ga_, "ERR", 3) != 0, "%s", ga_);  \
		ck_assert_msg(strncmp(gb_, "ERR", 3) != 0, "%s", gb_);  \
		ck_assert_msg(strcmp(ga_, gb_) != 0,                    \
		    "should differ: '%s' and '%s' -> '%s'", a, b, ga_); \
		free(ga_);                                              \
		free(gb_);                                              \
	} while (0)

START_TEST(test_equivalent)
{
	CK_SAME("requests==2.31.0\nattrs>=23\n", "attrs>=23\nrequests==2.31.0");
	CK_SAME("attrs>=23\n", "# deps\n\nattrs>=23  # why\n   \n");
	CK_SAME("Zope_Interface>=5", "zope.interface>=5");
	CK_SAME("ZOPE-interface>=5", "zope__interface >= 5");
	CK_SAME("foo>=1.0,<2", "foo < 2 , >= 1.0");
	CK_SAME("foo (>=1.0, <2)", "foo<2,>=1.0");
	CK_SAME("foo[b,a]", "foo[a, b]");
	CK_SAME("foo[b,a]", "foo[A,B,a]");
	CK_SAME("foo>=1.0", "foo\\\n>=1.0");
	CK_SAME("foo==1.0 --hash=sha256:"
	        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	        "aa",
	    "foo==1.0 \\\n    --hash=sha256:"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	CK_SAME("foo\nfoo\nfoo", "foo");
	CK_SAME("foo",
	    "-i https://pypi.corp/simple\nfoo\n--extra-index-url "
	    "https://x/simple\n--trusted-host x\n-f wheels/\n"
	    "--no-index");
	CK_SAME("foo; python_version < '3.8' and os_name == 'nt'",
	    "foo;os_name==\"nt\" and python_version<\"3.8\"");
	CK_SAME("foo==1.0", "foo==v1.0");
	CK_SAME("foo==1.0.post1", "foo==1.0-1");
	CK_SAME("--pre\nfoo", "foo\n--pre\n--pre");
	CK_SAME("--no-binary=b,a", "--no-binary a\n--no-binary B");
}
END_TEST

START_TEST(test_different)
{
	CK_DIFFER("foo", "foo==1.0");
	CK_DIFFER("foo==1.0", "foo==1.1");
	CK_DIFFER("foo~=1.0", "foo~=1.0.0");
	CK_DIFFER("foo==1.0.*", "foo==1.0.0.*");
	CK_DIFFER("foo", "foo[bar]");
	CK_DIFFER("foo", "foo; python_version < '3'");
	CK_DIFFER("foo", "--pre\nfoo");
	CK_DIFFER("foo", "--prefer-binary\nfoo");
	CK_DIFFER("foo", "--only-binary :all:\nfoo");
	CK_DIFFER("--no-binary :all:", "--only-binary :all:");
	CK_DIFFER("foo",
	    "foo --hash=sha256:"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaa");
	CK_DIFFER("foo -C a=1", "foo -C a=2");
	CK_DIFFER("foo --global-option=--a --global-option=--b",
	    "foo --global-option=--b --global-option=--a");
	CK_DIFFER("foo @ https://x/a.tar.gz", "foo @ https://x/b.tar.gz");
	CK_DIFFER("foo; platform_version == 'a'",
	    "foo; platform_version == 'A'");
	CK_DIFFER("foo; python_version < '3' or os_name == 'a' and "
	          "sys_platform == 'b'",
	    "foo; (python_version < '3' or os_name == 'a') and "
	    "sys_platform == 'b'");
}
END_TEST

START_TEST(test_idempotent)
{
	size_t i;
	char *once, *twice;

	/* The canonical form reads back as itself, every line of it. */
	vc_test_put(NULL, "dist/foo-1.0-py3-none-any.whl", "");
	for (i = 0; i < VC_ARRAY_SIZE(canon_cases); i++) {
		once = canon_text(canon_cases[i].in);
		if (strncmp(once, "ERR", 3) == 0 ||
		    strstr(once, "***") != NULL) {
			free(once);
			continue;
		}
		twice = canon_text(once);
		ck_assert_msg(strcmp(once, twice) == 0, "'%s' -> '%s' -> '%s'",
		    canon_cases[i].in, once, twice);
		free(once);
		free(twice);
	}
}
END_TEST

START_TEST(test_includes)
{
	vc_test_put(NULL, "req/base.txt",
	    "-r common/a.txt\n--requirement=../top.txt\n"
	    "-c constraints.txt\nbase\n");
	vc_test_put(NULL, "req/common/a.txt", "a\n-rb.txt\n");
	vc_test_put(NULL, "req/common/b.txt", "b\n");
	vc_test_put(NULL, "top.txt", "top\n");
	vc_test_put(NULL, "req/constraints.txt", "a==1.0\n-r ../top.txt\n");
	file_is("req/base.txt", NULL, "a\nb\nbase\ntop\n-c a==1.0");

	/* A line in an included file changes the set. */
	vc_test_put(NULL, "req/common/b.txt", "b==2\n");
	file_is("req/base.txt", NULL, "a\nb==2\nbase\ntop\n-c a==1.0");

	/* A missing include names the including line. */
	file_is("m.txt", "x\n\n-r missing.txt\n",
	    "ERR m.txt:3: cannot open 'missing.txt': No "
	    "such file or directory");
	file_is("d.txt", "-r req\n",
	    "ERR d.txt:1: cannot read 'req': Is a "
	    "directory");
	file_is("nope.txt", NULL,
	    "ERR cannot open 'nope.txt': No such file or "
	    "directory");

	/* A file included twice (not a cycle) is fine. */
	file_is("twice.txt", "-r top.txt\n-r ./top.txt\n", "top");
}
END_TEST

START_TEST(test_include_cycle)
{
	vc_test_put(NULL, "a.txt", "x\n-r b.txt\n");
	vc_test_put(NULL, "b.txt", "y\n\n-r a.txt\n");
	file_is("a.txt", NULL,
	    "ERR b.txt:3: include cycle: a.txt -> b.txt -> a.txt");
	file_is("sub/self.txt", "-r self.txt\n",
	    "ERR sub/self.txt:1: include cycle: sub/self.txt -> sub/self.txt");
	vc_test_put(NULL, "c1.txt", "-c c2.txt\n");
	vc_test_put(NULL, "c2.txt", "-r c1.txt\n");
	file_is("c1.txt", NULL,
	    "ERR c2.txt:1: include cycle: c1.txt -> c2.txt -> c1.txt");
}
END_TEST

START_TEST(test_constraints)
{
	struct vc_reqset set;
	struct vc_error err;

	vc_test_put(NULL, "c.txt", "foo==1.0\nbar @ https://x/bar.tar.gz\n");
	vc_reqset_init(&set);
	ck_assert_int_eq(vc_reqset_add_file(&set, "c.txt", 1, &err), 0);
	ck_assert_uint_eq(set.n, 2);
	ck_assert_int_eq(set.reqs[0].constraint, 1);
	vc_reqset_release(&set);
	CK_ERROR("-c c2.txt", "cannot open");
	vc_test_put(NULL, "c2.txt", "-e git+https://x/y.git#egg=y\n");
	CK_ERROR("-c c2.txt",
	    "c2.txt:1: editable requirements are not "
	    "allowed as constraints");
	vc_test_put(NULL, "c2.txt", "foo[x]==1\n");
	CK_ERROR("-c c2.txt", "c2.txt:1: constraints cannot have extras");
	vc_test_put(NULL, "c2.txt", "https://x/foo.tar.gz\n");
	CK_ERROR("-c c2.txt", "unnamed requirements are not allowed");
	vc_test_put(NULL, "c2.txt", ".\n");
	CK_ERROR("-c c2.txt",
	    "c2.txt:1: the project under test cannot be a "
	    "constraint");
}
END_TEST

START_TEST(test_env_vars)
{
	setenv("VC_T_VER", "2.0", 1);
	setenv("VC_T_TOKEN", "s3cret", 1);
	unsetenv("VC_T_UNSET");
	setenv("VC_T_EMPTY", "", 1);
	CK_CANON("foo==${VC_T_VER}", "foo==2.0");
	CK_SAME("foo==${VC_T_VER}", "foo==2.0");
	CK_ERROR("foo==${VC_T_UNSET}",
	    "invalid requirement 'foo==${VC_T_UNSET}'");
	CK_ERROR("foo==${VC_T_EMPTY}", "invalid requirement");
	/* Lower-case names are not variables for pip. */
	CK_ERROR("foo==${vc_t_ver}", "invalid requirement");
	/* Expansion comes after comments: a '#' in a value is kept. */
	setenv("VC_T_FRAG", "a.tar.gz#egg=foo", 1);
	CK_CANON("foo @ https://x/${VC_T_FRAG}",
	    "foo @ https://x/a.tar.gz#egg=foo");
	/* Credentials from the environment are in no canonical line. */
	CK_CANON("foo @ https://u:${VC_T_TOKEN}@x/foo.tar.gz",
	    "foo @ https://***@x/foo.tar.gz");
	CK_SAME("foo @ https://u:${VC_T_TOKEN}@x/foo.tar.gz",
	    "foo @ https://other:token@x/foo.tar.gz");
}
END_TEST

START_TEST(test_project_and_paths)
{
	struct vc_reqset set;
	struct vc_error err;

	vc_test_put(NULL, "libs/thing/pyproject.toml", "");
	vc_test_put(NULL, "libs/bare/README", "");
	vc_reqset_init(&set);
	ck_assert_int_eq(vc_reqset_add_text(&set,
	                     "-e .\n.[test]\n-e./[docs]\n./libs/thing\n"
	                     "-e libs/thing\nfoo\n",
	                     "r.txt", NULL, ".", 0, &err),
	    0);
	ck_assert_str_eq(set.project, ".[docs,test]");
	ck_assert_uint_eq(set.n, 3);
	ck_assert_int_eq(set.reqs[0].kind, VC_REQ_PATH);
	ck_assert_str_eq(set.reqs[0].canonical, "./libs/thing");
	ck_assert_int_eq(set.reqs[1].kind, VC_REQ_EDITABLE);
	ck_assert_str_eq(set.reqs[1].canonical, "-e ./libs/thing");
	ck_assert_uint_eq(set.notes.n, 5);
	ck_assert_str_eq(set.notes.v[0],
	    "r.txt:1: '.' is the project under test: left out of the key, "
	    "installed after create or restore");
	ck_assert_str_eq(set.notes.v[3],
	    "r.txt:4: local path './libs/thing' is keyed by its path, not its "
	    "contents");
	vc_reqset_release(&set);
	CK_ERROR("./libs/bare",
	    "r.txt:1: directory './libs/bare' is not "
	    "installable");
	/* The project is not in the key at all. */
	CK_SAME("foo", "foo\n-e .");
}
END_TEST

START_TEST(test_options_and_ignored)
{
	struct vc_reqset set;
	struct vc_error err;
	char *pip;

	vc_test_put(NULL, "inc.txt", "x\n");
	vc_reqset_init(&set);
	ck_assert_int_eq(vc_reqset_add_text(&set,
	                     "--index-url https://u:tok@pypi.corp/simple\n"
	                     "foo --pre -i https://other/simple\n"
	                     "-r inc.txt --pre --only-binary=bar\n"
	                     "--hash=sha256:"
	                     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	                     "aaaaaaaaaaaaaaa\n"
	                     "-f a -f b\n"
	                     "--global-option=x\n",
	                     "r.txt", NULL, ".", 0, &err),
	    0);
	ck_assert_uint_eq(set.index_options.n, 2);
	ck_assert_str_eq(set.index_options.v[0],
	    "--index-url https://u:tok@pypi.corp/simple");
	ck_assert_str_eq(set.index_options.v[1], "--find-links a");
	/* --only-binary acts wherever it is, as pip's shared finder does. */
	ck_assert_uint_eq(set.options.n, 1);
	ck_assert_str_eq(set.options.v[0], "--only-binary=bar");
	ck_assert_uint_eq(set.ignored.n, 6);
	ck_assert_str_eq(set.ignored.v[0],
	    "r.txt:2: '--pre' ignored: pip ignores it on a requirement line");
	ck_assert_str_eq(set.ignored.v[1],
	    "r.txt:2: '--index-url=https://other/simple' ignored: pip ignores "
	    "it on a requirement line");
	ck_assert_str_eq(set.ignored.v[2],
	    "r.txt:3: '--pre' ignored: pip ignores options on a line that "
	    "includes a file");
	ck_assert_ptr_nonnull(strstr(set.ignored.v[3],
	    "--hash without a "
	    "requirement"));
	ck_assert_str_eq(set.ignored.v[4],
	    "r.txt:5: '--find-links=b' ignored: pip takes only the first "
	    "--find-links of a line");
	ck_assert_ptr_nonnull(strstr(set.ignored.v[5],
	    "r.txt:6: "
	    "'--global-option=x'"));
	/* What pip gets: index options with credentials, options, lines. */
	pip = vc_reqset_pip_text(&set);
	ck_assert_str_eq(pip,
	    "--index-url=https://u:tok@pypi.corp/simple\n"
	    "--find-links=a\n--only-binary=bar\nfoo\nx\n");
	free(pip);
	vc_reqset_release(&set);
}
END_TEST

START_TEST(test_pip_text_round_trip)
{
	struct vc_reqset set, again;
	struct vc_error err;
	char *pip, *cons, *a, *b;

	vc_test_put(NULL, "c.txt", "attrs==23.1.0\n");
	setenv("VC_T_TOKEN", "tok", 1);
	vc_reqset_init(&set);
	vc_reqset_init(&again);
	ck_assert_int_eq(vc_reqset_add_text(&set,
	                     "--pre\nFoo[B,a]>=1 ; python_version<'3.9' "
	                     "--hash=sha256:"
	                     "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	                     "AAAAAAAAAAAAAAA\n"
	                     "bar @ https://u:${VC_T_TOKEN}@x/bar.tar.gz\n"
	                     "baz -C 'k=a b'\n-c c.txt\n",
	                     "r.txt", NULL, ".", 0, &err),
	    0);
	pip = vc_reqset_pip_text(&set);
	ck_assert_ptr_nonnull(strstr(pip, "https://u:tok@x/bar.tar.gz"));
	cons = vc_reqset_pip_constraints(&set);
	ck_assert_str_eq(cons, "attrs==23.1.0\n");
	vc_test_put(NULL, "c2.txt", cons);
	a = xasprintf("%s-c c2.txt\n", pip);
	ck_assert_int_eq(vc_reqset_add_text(&again, a, "pip.txt", NULL, ".", 0,
	                     &err),
	    0);
	free(a);
	a = canon_set(&set);
	b = canon_set(&again);
	ck_assert_str_eq(a, b);
	ck_assert_int_eq(vc_reqset_pinned(&set), 0);
	free(a);
	free(b);
	free(pip);
	free(cons);
	vc_reqset_release(&set);
	vc_reqset_release(&again);
}
END_TEST

START_TEST(test_pinned)
{
	struct vc_reqset set;
	struct vc_error err;

	vc_reqset_init(&set);
	ck_assert_int_eq(vc_reqset_add_text(&set,
	                     "a==1.0\nb===x\nc @ https://x/c.tar.gz "
	                     "--hash=sha256:"
	                     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	                     "aaa"
	                     "aaaaaaaaaaaa\n-e .\n",
	                     "r.txt", NULL, ".", 0, &err),
	    0);
	ck_assert_int_eq(vc_reqset_pinned(&set), 1);
	ck_assert_int_eq(vc_reqset_add_text(&set, "d==1.*\n", "r.txt", NULL,
	                     ".", 0, &err),
	    0);
	ck_assert_int_eq(vc_reqset_pinned(&set), 0);
	vc_reqset_release(&set);
}
END_TEST

START_TEST(test_encodings)
{
	file_is("bom.txt",
	    "\xef\xbb\xbf"
	    "foo\n",
	    "foo");
	{
		/* UTF-16 LE with a BOM: "foo\n". */
		static const char u16[] = "\xff\xfe"
		                          "f\0o\0o\0\n\0";
		FILE *f = fopen("u16.txt", "wb");

		ck_assert_ptr_nonnull(f);
		fwrite(u16, 1, sizeof u16 - 1, f);
		fclose(f);
		file_is("u16.txt", NULL, "foo");
	}
	file_is("l1.txt",
	    "# -*- coding: latin-1 -*-\n"
	    "foo; platform_version == '\xe9'\n",
	    "foo; platform_version == \"\\xe9\"");
	file_is("bad.txt", "foo\nbar \xff\n", "ERR bad.txt:2: not valid UTF-8");
	file_is("enc.txt", "# coding: koi8-r\nfoo\n",
	    "ERR enc.txt: encoding 'koi8-r' is not "
	    "supported: use UTF-8");
}
END_TEST

START_TEST(test_inline_lines)
{
	static const unsigned lines[] = {12, 13, 17};
	struct vc_reqset set;
	struct vc_error err;

	vc_reqset_init(&set);
	ck_assert_int_eq(vc_reqset_add_text(&set, "foo\nbar\nbaz>=\n",
	                     "venvcache.ini", lines, ".", 0, &err),
	    -1);
	ck_assert_str_eq(err.msg,
	    "venvcache.ini:17: invalid requirement 'baz>=': expected end or "
	    "semicolon (after name and no valid version specifier) at column "
	    "4");
	ck_assert_str_eq(err.file, "venvcache.ini");
	ck_assert_uint_eq(err.line, 17);
	vc_reqset_release(&set);
}
END_TEST

START_TEST(test_versions)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
	    {"1.0", "1.0"},
	    {" v1.0 ", "1.0"},
	    {"1.0.0", "1.0.0"},
	    {"1!2.0", "1!2.0"},
	    {"0!2.0", "2.0"},
	    {"1.0-post-dev", "1.0.post0.dev0"},
	    {"1.0+ABC.007", "1.0+abc.7"},
	    {"1.0a", "1.0a0"},
	    {"1.0-1", "1.0.post1"},
	    {"1.0.*", NULL},
	    {"abc", NULL},
	    {"1.0+", NULL},
	    {"", NULL},
	};
	size_t i;
	char *v;

	for (i = 0; i < VC_ARRAY_SIZE(cases); i++) {
		v = vc_version_normalize(cases[i].in);
		if (cases[i].out == NULL)
			ck_assert_msg(v == NULL, "'%s' -> '%s'", cases[i].in,
			    v);
		else
			ck_assert_msg(v != NULL && strcmp(v, cases[i].out) == 0,
			    "'%s' -> '%s'", cases[i].in, v ? v : "(null)");
		free(v);
	}
	v = vc_name_normalize("Foo.__-Bar");
	ck_assert_str_eq(v, "foo-bar");
	free(v);
}
END_TEST

/*
 * Conformance: every dependency line of every environment of
 * sentry-python's tox matrix (as tox resolved it) parses, or is the
 * project under test; reading a set's canonical form back gives it again.
 */
START_TEST(test_sentry_python)
{
	static const char *const files[] = {
	    "tox-2022-11-14.deps.jsonl.gz",
	    "tox-2024-06-26.deps.jsonl.gz",
	    "tox-2026-08-10.deps.jsonl.gz",
	};
	const char *data = getenv("VC_TEST_DATA");
	size_t f, envs = 0, deps = 0, projects = 0, includes = 0, reqs = 0;
	char *dir, *text, *line, *save;

	ck_assert_msg(data != NULL, "VC_TEST_DATA is not set");
	dir = vc_path_join(data, "sentry-python");
	for (f = 0; f < VC_ARRAY_SIZE(files); f++) {
		char *path = vc_path_join(dir, files[f]);
		size_t fenvs = 0;

		text = vc_test_read_gz(path);
		for (line = strtok_r(text, "\n", &save); line != NULL;
		     line = strtok_r(NULL, "\n", &save)) {
			json_t *o = json_loads(line, 0, NULL), *d;
			struct vc_reqset set, again;
			struct vc_error err;
			struct vc_buf all;
			char *c1, *c2;
			size_t i;

			ck_assert_ptr_nonnull(o);
			d = json_object_get(o, "deps");
			vc_buf_init(&all);
			vc_reqset_init(&set);
			vc_reqset_init(&again);
			for (i = 0; i < json_array_size(d); i++) {
				const char *dep =
				    json_string_value(json_array_get(d, i));
				struct vc_reqset one;

				/* Each line on its own, then the env whole. */
				vc_reqset_init(&one);
				ck_assert_msg(vc_reqset_add_text(&one, dep,
				                  "dep", NULL, dir, 0,
				                  &err) == 0,
				    "%s: env %s: '%s': %s", files[f],
				    json_string_value(
				        json_object_get(o, "env")),
				    dep, err.msg);
				if (one.project != NULL)
					projects++;
				else if (dep[0] == '-' && dep[1] == 'r')
					includes++;
				else
					ck_assert_uint_eq(one.n, 1);
				vc_reqset_release(&one);
				vc_buf_addf(&all, "%s\n", dep);
				deps++;
			}
			ck_assert_int_eq(vc_reqset_add_text(&set,
			                     all.data ? all.data : "", "deps",
			                     NULL, dir, 0, &err),
			    0);
			reqs += set.n;
			c1 = canon_set(&set);
			ck_assert_int_eq(vc_reqset_add_text(&again, c1, "canon",
			                     NULL, dir, 0, &err),
			    0);
			c2 = canon_set(&again);
			ck_assert_str_eq(c1, c2);
			free(c1);
			free(c2);
			vc_reqset_release(&set);
			vc_reqset_release(&again);
			vc_buf_release(&all);
			json_decref(o);
			envs++;
			fenvs++;
		}
		fprintf(stderr, "sentry-python %s: %zu environments\n",
		    files[f], fenvs);
		free(text);
		free(path);
	}
	fprintf(stderr,
	    "sentry-python: %zu environments, %zu dependency lines parsed "
	    "(%zu the project under test, %zu includes), %zu requirements, "
	    "every canonical form idempotent\n",
	    envs, deps, projects, includes, reqs);
	ck_assert_uint_eq(envs, 417 + 394 + 838);
	ck_assert_uint_gt(deps, 5000);
	ck_assert_uint_gt(projects, 0);
	free(dir);
}
END_TEST

int
main(void)
{
	const TTest *const tests[] = {
	    test_canonical_forms,
	    test_errors,
	    test_equivalent,
	    test_different,
	    test_idempotent,
	    test_includes,
	    test_include_cycle,
	    test_constraints,
	    test_env_vars,
	    test_project_and_paths,
	    test_options_and_ignored,
	    test_pip_text_round_trip,
	    test_pinned,
	    test_encodings,
	    test_inline_lines,
	    test_versions,
	    test_sentry_python,
	};
	Suite *s = suite_create("req");

	vc_test_case(s, "core", vc_test_setup_cwd, vc_test_teardown, 0, tests,
	    VC_ARRAY_SIZE(tests));
	return vc_test_run(s);
}
