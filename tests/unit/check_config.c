/* check_config.c: the settings table, INI reading, precedence, errors. */
#include <check.h>
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "venvcache/config.h"
#include "venvcache/mirror.h"

#include "helpers.h"

static int
load(struct vc_config *cfg, const char *text, struct vc_error *err)
{
	vc_config_init(cfg);
	vc_error_clear(err);
	return vc_config_load_string(cfg, "/cfg/venvcache.ini", text, err);
}

START_TEST(test_defaults)
{
	struct vc_config cfg;
	char root[64];

	/* Per user: another user's /dev/shm/venvcache is not ours. */
	snprintf(root, sizeof root, "/dev/shm/venvcache-%lu",
	    (unsigned long)geteuid());
	vc_config_init(&cfg);
	ck_assert_str_eq(vc_config_str(&cfg, VC_S_VENV_ROOT), root);
	ck_assert_int_eq(vc_config_int(&cfg, VC_S_COMPRESSION_LEVEL), 3);
	ck_assert_uint_eq(vc_config_size(&cfg, VC_S_MAX_SIZE), 10ULL << 30);
	ck_assert_str_eq(vc_config_str(&cfg, VC_S_KEY_PREFIX), "venv");
	ck_assert_str_eq(cfg.origin[VC_S_MAX_SIZE], "default");
	vc_config_release(&cfg);
}
END_TEST

START_TEST(test_file_values_and_origin)
{
	struct vc_config cfg;
	struct vc_error err;

	ck_assert_int_eq(load(&cfg,
	                     "; a comment\n"
	                     "[venvcache]\n"
	                     "cache-dir = store\n"
	                     "compression-level = 7 ; inline comment\n"
	                     "max-size = 5G\n"
	                     "[mirror]\n"
	                     "index-url = http://127.0.0.1:1/simple\n"
	                     "extra-index-url = http://a/simple\n"
	                     "    http://b/simple\n",
	                     &err),
	    0);
	ck_assert_str_eq(vc_config_str(&cfg, VC_S_CACHE_DIR), "/cfg/store");
	ck_assert_int_eq(vc_config_int(&cfg, VC_S_COMPRESSION_LEVEL), 7);
	ck_assert_str_eq(cfg.origin[VC_S_COMPRESSION_LEVEL],
	    "/cfg/venvcache.ini:4");
	ck_assert_str_eq(vc_config_str(&cfg, VC_S_EXTRA_INDEX_URL),
	    "http://a/simple http://b/simple");
	vc_config_release(&cfg);
}
END_TEST

START_TEST(test_precedence)
{
	struct vc_config cfg;
	struct vc_error err;

	ck_assert_int_eq(load(&cfg,
	                     "[venvcache]\ncompression-level = 5\n"
	                     "key-prefix = file\n",
	                     &err),
	    0);
	setenv("VENVCACHE_COMPRESSION_LEVEL", "9", 1);
	setenv("VENVCACHE_KEY_PREFIX", "env", 1);
	ck_assert_int_eq(vc_config_load_env(&cfg, &err), 0);
	unsetenv("VENVCACHE_COMPRESSION_LEVEL");
	unsetenv("VENVCACHE_KEY_PREFIX");
	ck_assert_int_eq(vc_config_int(&cfg, VC_S_COMPRESSION_LEVEL), 9);
	ck_assert_str_eq(cfg.origin[VC_S_COMPRESSION_LEVEL],
	    "VENVCACHE_COMPRESSION_LEVEL");
	ck_assert_int_eq(vc_config_set(&cfg, VC_S_KEY_PREFIX, "cli",
	                     VC_ORIGIN_CLI, "command line", &err),
	    0);
	ck_assert_str_eq(vc_config_str(&cfg, VC_S_KEY_PREFIX), "cli");
	vc_config_release(&cfg);
}
END_TEST

START_TEST(test_errors_name_file_and_line)
{
	static const struct {
		const char *text;
		unsigned line;
		const char *needle;
	} cases[] = {
	    {"[venvcache]\nbogus = 1\n", 2, "unknown key 'bogus'"},
	    {"[venvcache]\ncompression-level = x\n", 2, "not a number"},
	    {"[venvcache]\ncompression-level = 30\n", 2, "out of range"},
	    {"[venvcache]\nmount = maybe\n", 2, "auto|yes|no"},
	    {"[venvcache]\nmax-size = lots\n", 2, "not a size"},
	    {"[nope]\n", 1, "unknown section"},
	    {"[venvcache]\n\nthis line has no equals\n", 3, "syntax error"},
	    {"[env bad/name]\n", 1, "invalid environment name"},
	    {"[env a]\npython = x\n[env a]\n", 3, "defined twice"},
	    {"[env a]\ncolour = red\n", 2, "unknown key 'colour'"},
	    {"[venvcache]\nmax-size = 1G\nmax-size = 2G\n", 3, "set twice"},
	    {"key = 1\n", 1, "outside any section"},
	    {"[venvcache]\nkey-prefix = a,b\n", 2, "may only hold"},
	};
	struct vc_config cfg;
	struct vc_error err;
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		ck_assert_int_eq(load(&cfg, cases[i].text, &err), -1);
		ck_assert_msg(err.line == cases[i].line,
		    "case %zu: line %u, want %u (%s)", i, err.line,
		    cases[i].line, err.msg);
		ck_assert_msg(strstr(err.msg, cases[i].needle) != NULL,
		    "case %zu: '%s' lacks '%s'", i, err.msg, cases[i].needle);
		ck_assert_msg(strncmp(err.msg, "/cfg/venvcache.ini:", 19) == 0,
		    "case %zu: '%s'", i, err.msg);
		vc_config_release(&cfg);
	}
}
END_TEST

START_TEST(test_env_sections)
{
	struct vc_config cfg;
	struct vc_error err;
	struct vc_envdef *e;

	ck_assert_int_eq(load(&cfg,
	                     "[env py311-django42]\n"
	                     "python = python3.11\n"
	                     "requirements = requirements/base.txt "
	                     "requirements/django42.txt\n"
	                     "deps = pytest==7.4.3                  ; inline "
	                     "requirement lines, one per line\n"
	                     "    mock ; python_version < \"3.3\"\n"
	                     "    attrs\n",
	                     &err),
	    0);
	ck_assert_uint_eq(cfg.nenvs, 1);
	e = vc_config_env(&cfg, "py311-django42");
	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(e->python, "python3.11");
	ck_assert_uint_eq(e->requirements.n, 2);
	ck_assert_str_eq(e->basedir, "/cfg");
	ck_assert_uint_eq(e->deps.n, 3);
	/* A comment after " ;" is dropped; a marker after " ;" is kept. */
	ck_assert_str_eq(e->deps.v[0], "pytest==7.4.3");
	ck_assert_str_eq(e->deps.v[1], "mock ; python_version < \"3.3\"");
	ck_assert_uint_eq(e->deps_lines[1], 5);
	ck_assert_uint_eq(e->line, 1);
	vc_config_release(&cfg);
}
END_TEST

START_TEST(test_long_line)
{
	struct vc_config cfg;
	struct vc_error err;
	char text[600];

	memset(text, 'a', sizeof text);
	memcpy(text, "[mirror]\nindex-url = http://", 28);
	text[sizeof text - 2] = '\n';
	text[sizeof text - 1] = '\0';
	ck_assert_int_eq(load(&cfg, text, &err), -1);
	ck_assert_uint_eq(err.line, 2);
	ck_assert_ptr_nonnull(strstr(err.msg, "longer than"));
	vc_config_release(&cfg);
}
END_TEST

START_TEST(test_redaction)
{
	struct vc_config cfg;
	struct vc_error err;
	struct vc_strv secrets;
	char *s;

	ck_assert_int_eq(load(&cfg,
	                     "[mirror]\n"
	                     "index-url = https://bob:t0ken@pypi.corp/simple\n",
	                     &err),
	    0);
	s = vc_config_display(&cfg, VC_S_INDEX_URL);
	ck_assert_str_eq(s, "https://***@pypi.corp/simple");
	free(s);
	s = vc_mirror_pip_conf(&cfg);
	ck_assert_ptr_null(strstr(s, "t0ken"));
	ck_assert_ptr_nonnull(
	    strstr(s, "index-url = https://pypi.corp/simple"));
	free(s);
	vc_strv_init(&secrets);
	vc_mirror_secrets(&cfg, &secrets);
	ck_assert(vc_strv_contains(&secrets, "bob:t0ken"));
	ck_assert(vc_strv_contains(&secrets, "t0ken"));
	s = vc_text_redact("Looking in indexes: https://bob:t0ken@pypi.corp/"
	                   "simple and t0ken alone, ftp://x:y@h/",
	    &secrets);
	ck_assert_str_eq(s,
	    "Looking in indexes: https://***@pypi.corp/simple "
	    "and *** alone, ftp://***@h/");
	free(s);
	vc_strv_release(&secrets);
	vc_config_release(&cfg);
}
END_TEST

/* Lines pip 23.2 printed for an index on 127.0.0.1 (refused, plain HTTP
 * spoken to as HTTPS, no answer, a refusing proxy). */
START_TEST(test_pip_index_error)
{
	static const struct {
		const char *out, *want;
	} cases[] = {
	    {"Looking in indexes: http://127.0.0.1:1/simple\n"
	     "WARNING: Retrying (Retry(total=0, connect=None, read=None, "
	     "redirect=None, status=None)) after connection broken by "
	     "'NewConnectionError('<pip._vendor.urllib3.connection."
	     "HTTPConnection object at 0x7fdc19be9dd0>: Failed to establish "
	     "a new connection: [Errno 111] Connection refused')': "
	     "/simple/httpbin/\n"
	     "ERROR: Could not find a version that satisfies the requirement "
	     "httpbin (from versions: none)\n"
	     "ERROR: No matching distribution found for httpbin\n",
	        "cannot reach the index: [Errno 111] Connection refused "
	        "(/simple/httpbin/)"},
	    {"WARNING: Retrying (Retry(total=0, connect=None, read=None, "
	     "redirect=None, status=None)) after connection broken by "
	     "'SSLError(SSLError(1, '[SSL: WRONG_VERSION_NUMBER] wrong "
	     "version number (_ssl.c:1006)'))': /simple/httpbin/\n",
	        "cannot reach the index: [SSL: WRONG_VERSION_NUMBER] wrong "
	        "version number (_ssl.c:1006) (/simple/httpbin/)"},
	    {"WARNING: Retrying (Retry(total=0, connect=None, read=None, "
	     "redirect=None, status=None)) after connection broken by "
	     "'ReadTimeoutError(\"HTTPConnectionPool(host='127.0.0.1', "
	     "port=18766): Read timed out. (read timeout=2.0)\")': "
	     "/simple/httpbin/\n",
	        "cannot reach the index: Read timed out. (read timeout=2.0) "
	        "(/simple/httpbin/)"},
	    {"WARNING: Retrying (Retry(total=0, connect=None, read=None, "
	     "redirect=None, status=None)) after connection broken by "
	     "'ProxyError('Cannot connect to proxy.', NewConnectionError('<"
	     "pip._vendor.urllib3.connection.HTTPConnection object at "
	     "0x7ff49c1805d0>: Failed to establish a new connection: [Errno "
	     "111] Connection refused'))': "
	     "http://127.0.0.1:18765/simple/httpbin/\n",
	        "cannot reach the index: proxy: [Errno 111] Connection refused "
	        "(http://127.0.0.1:18765/simple/httpbin/)"},
	    {"Could not fetch URL https://127.0.0.1:18765/simple/httpbin/: "
	     "There was a problem confirming the ssl certificate: x - "
	     "skipping\n",
	        "Could not fetch URL https://127.0.0.1:18765/simple/httpbin/: "
	        "There was a problem confirming the ssl certificate: x - "
	        "skipping"},
	    /* No word about the index: nothing to add. */
	    {"ERROR: No matching distribution found for httpbin\n", NULL},
	    {"", NULL},
	    /* Control bytes are not passed on; a repr cut short is still
	     * read. */
	    {"ERROR: HTTP error 404\x1b[0m\n", "HTTP error 404?[0m"},
	    {"after connection broken by '", "after connection broken by '"},
	    {"after connection broken by 'None': /simple/x/",
	        "after connection broken by 'None': /simple/x/"},
	};
	size_t i;

	for (i = 0; i < VC_ARRAY_SIZE(cases); i++) {
		char *got = vc_pip_index_error(cases[i].out);

		if (cases[i].want == NULL)
			ck_assert_msg(got == NULL, "case %zu: %s", i, got);
		else
			ck_assert_msg(got != NULL &&
			        strcmp(got, cases[i].want) == 0,
			    "case %zu: %s", i, got != NULL ? got : "(null)");
		free(got);
	}
}
END_TEST

int
main(void)
{
	const TTest *const tests[] = {
	    test_defaults,
	    test_file_values_and_origin,
	    test_precedence,
	    test_errors_name_file_and_line,
	    test_env_sections,
	    test_long_line,
	    test_redaction,
	    test_pip_index_error,
	};
	Suite *s = suite_create("config");

	vc_test_case(s, "core", NULL, NULL, 0, tests, VC_ARRAY_SIZE(tests));
	return vc_test_run(s);
}
