/*
 * check_key.c: the key (its document, hash, shape and restore keys), what
 * changes it and what does not, requirements of an env, and the
 * interpreter probe with its cache (a cached probe starts no Python).
 */
#include <check.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "venvcache/config.h"
#include "venvcache/interp.h"
#include "venvcache/key.h"
#include "venvcache/req.h"
#include "venvcache/util.h"

#include "helpers.h"

static void
write_file(const char *path, const char *text, mode_t mode)
{
	vc_test_write(path, text, strlen(text), mode);
}

/* An interpreter as a probe would describe it, without running one. */
static void
fake_interp(struct vc_interp *in)
{
	memset(in, 0, sizeof *in);
	in->requested = xstrdup("python3.11");
	in->path = xstrdup("/usr/bin/python3.11");
	in->executable = xstrdup("/usr/bin/python3.11");
	in->impl = xstrdup("cpython");
	in->impl_tag = xstrdup("cp");
	in->version = xstrdup("3.11.2");
	in->major = 3;
	in->minor = 11;
	in->build =
	    xstrdup("3.11.2 (main, Mar 13 2023, 12:18:29) [GCC 12.2.0]");
	in->soabi = xstrdup("cpython-311-x86_64-linux-gnu");
	in->platform = xstrdup("linux-x86_64");
	in->libc = xstrdup("glibc 2.36");
	in->base_prefix = xstrdup("/usr");
	in->pip_version = xstrdup("23.0.1");
}

static void
set_field(char **field, const char *value)
{
	free(*field);
	*field = xstrdup(value);
}

static void
env_init(struct vc_envdef *env, const char *name)
{
	memset(env, 0, sizeof *env);
	env->name = xstrdup(name);
	env->basedir = xstrdup(vc_test_dir);
	vc_strv_init(&env->requirements);
	vc_strv_init(&env->constraints);
	vc_strv_init(&env->deps);
}

static void
env_release(struct vc_envdef *env)
{
	free(env->name);
	free(env->basedir);
	free(env->file);
	free(env->python);
	free(env->deps_lines);
	vc_strv_release(&env->requirements);
	vc_strv_release(&env->constraints);
	vc_strv_release(&env->deps);
}

/* The key of requirement text for env `name`, interpreter `in`. */
static char *
key_of(const struct vc_config *cfg, const char *name,
    const struct vc_interp *in, const char *text)
{
	struct vc_envdef env;
	struct vc_reqset set;
	struct vc_key key;
	struct vc_error err;
	char *k;

	env_init(&env, name);
	vc_reqset_init(&set);
	vc_key_init(&key);
	ck_assert_msg(vc_reqset_add_text(&set, text, "r.txt", NULL, ".", 0,
	                  &err) == 0,
	    "%s", err.msg);
	ck_assert_msg(vc_key_compute(&key, cfg, &env, in, &set, NULL, &err) ==
	        0,
	    "%s", err.msg);
	k = xstrdup(key.key);
	vc_key_release(&key);
	vc_reqset_release(&set);
	env_release(&env);
	return k;
}

START_TEST(test_document_and_hash)
{
	static const char want_doc[] =
	    "format 2\n"
	    "impl cpython\n"
	    "version 3.11.2\n"
	    "build 3.11.2 (main, Mar 13 2023, 12:18:29) [GCC 12.2.0]\n"
	    "soabi cpython-311-x86_64-linux-gnu\n"
	    "platform linux-x86_64\n"
	    "libc glibc 2.36\n"
	    "executable /usr/bin/python3.11\n"
	    "creator venv\n"
	    "requirement attrs==23.1.0\n"
	    "requirement zope-interface<6,>=5; python_version < \"3.12\"\n"
	    "constraint six==1.16.0\n"
	    "option --only-binary=:all:\n"
	    "option --pre\n";
	struct vc_config cfg;
	struct vc_interp in;
	struct vc_envdef env;
	struct vc_reqset set;
	struct vc_key key;
	struct vc_error err;
	char hex[33];

	/* The published XXH3-128 of nothing, in canonical (big-endian) hex. */
	vc_test_hex128("", 0, hex);
	ck_assert_str_eq(hex, "99aa06d3014798d86001c324468d497f");

	vc_config_init(&cfg);
	fake_interp(&in);
	env_init(&env, "py311");
	vc_reqset_init(&set);
	vc_key_init(&key);
	write_file("c.txt", "six==1.16.0\n", 0644);
	ck_assert_int_eq(vc_reqset_add_text(&set,
	                     "--pre\nZope_Interface>=5,<6; "
	                     "python_version<'3.12'\nattrs==23.1.0\n"
	                     "--only-binary :all:\n-c c.txt\n-e .\n"
	                     "-i https://pypi.corp/simple\n",
	                     "r.txt", NULL, ".", 0, &err),
	    0);
	ck_assert_int_eq(vc_key_compute(&key, &cfg, &env, &in, &set, NULL,
	                     &err),
	    0);
	ck_assert_str_eq(key.document, want_doc);
	/* The hash is XXH3-128 of exactly the document --explain shows. */
	vc_test_hex128(key.document, strlen(key.document), hex);
	ck_assert_str_eq(key.hash, hex);
	/* Format 2 is stable: this value changes only with VC_KEY_FORMAT. */
	ck_assert_str_eq(key.hash, "7556ff22ddaefc02aa8e588f8b7496cd");
	ck_assert_str_eq(key.key,
	    "venv-cp311-linux_x86_64-7556ff22ddaefc02aa8e588f8b7496cd");
	/* One restore key, never crossing interpreters. */
	ck_assert_uint_eq(key.restore_keys.n, 1);
	ck_assert_str_eq(key.restore_keys.v[0], "venv-cp311-linux_x86_64-");
	ck_assert_int_eq(vc_key_valid(key.key, &err), 0);
	vc_key_release(&key);
	vc_reqset_release(&set);
	env_release(&env);
	vc_interp_release(&in);
	vc_config_release(&cfg);
}
END_TEST

START_TEST(test_key_shape)
{
	struct vc_config cfg;
	struct vc_interp in;
	struct vc_error err;
	char *k;

	vc_config_init(&cfg);
	fake_interp(&in);
	set_field(&in.platform, "macosx-14.0-arm64");
	set_field(&in.impl_tag, "pp");
	in.minor = 10;
	ck_assert_int_eq(vc_config_set(&cfg, VC_S_KEY_PREFIX, "ci.v2",
	                     VC_ORIGIN_CLI, "test", &err),
	    0);
	k = key_of(&cfg, "py3.10+x", &in, "foo");
	/* The env's name is not in the key; the platform's '-' and '.'
	 * become '_', so that restore keys end at component boundaries. */
	ck_assert_msg(vc_str_startswith(k, "ci.v2-pp310-macosx_14_0_arm64-"),
	    "%s", k);
	ck_assert_uint_eq(strlen(k),
	    strlen("ci.v2-pp310-macosx_14_0_arm64-") + 32);
	ck_assert_ptr_null(strchr(k, ','));
	free(k);
	vc_interp_release(&in);
	vc_config_release(&cfg);
}
END_TEST

START_TEST(test_key_valid)
{
	struct vc_error err;
	char big[VC_KEY_MAX + 2];

	memset(big, 'a', sizeof big);
	big[VC_KEY_MAX] = '\0';
	ck_assert_int_eq(vc_key_valid(big, &err), 0);
	big[VC_KEY_MAX] = 'a';
	big[VC_KEY_MAX + 1] = '\0';
	ck_assert_int_eq(vc_key_valid(big, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "more than 512"));
	ck_assert_int_eq(vc_key_valid("a,b", &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "comma"));
	ck_assert_int_eq(vc_key_valid("", &err), -1);
}
END_TEST

/* Every identity field is in the hash. */
START_TEST(test_identity_changes_key)
{
	struct vc_config cfg, cfg2;
	struct vc_interp in;
	struct vc_error err;
	char *base, *k;
	char **fields[7];
	size_t i;

	vc_config_init(&cfg);
	fake_interp(&in);
	base = key_of(&cfg, "env", &in, "foo==1.0");
	fields[0] = &in.impl;
	fields[1] = &in.version;
	fields[2] = &in.build;
	fields[3] = &in.soabi;
	fields[4] = &in.platform;
	fields[5] = &in.libc;
	fields[6] = &in.executable;
	for (i = 0; i < VC_ARRAY_SIZE(fields); i++) {
		char *saved = xstrdup(*fields[i]);

		set_field(fields[i], "something else");
		k = key_of(&cfg, "env", &in, "foo==1.0");
		ck_assert_msg(strcmp(k + strlen(k) - 32,
		                  base + strlen(base) - 32) != 0,
		    "field %zu is not in the hash", i);
		free(k);
		set_field(fields[i], saved);
		free(saved);
	}
	k = key_of(&cfg, "env", &in, "foo==1.0");
	ck_assert_str_eq(k, base);
	free(k);
	/* The env name is not (identical sets share an entry); the creator
	 * is. */
	k = key_of(&cfg, "env2", &in, "foo==1.0");
	ck_assert_str_eq(k, base);
	free(k);
	vc_config_init(&cfg2);
	ck_assert_int_eq(vc_config_set(&cfg2, VC_S_CREATOR, "uv", VC_ORIGIN_CLI,
	                     "test", &err),
	    0);
	k = key_of(&cfg2, "env", &in, "foo==1.0");
	ck_assert_str_ne(k, base);
	free(k);
	vc_config_release(&cfg2);
	free(base);
	vc_interp_release(&in);
	vc_config_release(&cfg);
}
END_TEST

#define CK_SAME_KEY(a, b)                                      \
	do {                                                   \
		char *ka_ = key_of(&cfg, "e", &in, a);         \
		char *kb_ = key_of(&cfg, "e", &in, b);         \
		ck_assert_msg(strcmp(ka_, kb_) == 0,           \
		    "'%s' and '%s' should share a key", a, b); \
		free(ka_);                                     \
		free(kb_);                                     \
	} while (0)

#define CK_OTHER_KEY(a, b)                                         \
	do {                                                       \
		char *ka_ = key_of(&cfg, "e", &in, a);             \
		char *kb_ = key_of(&cfg, "e", &in, b);             \
		ck_assert_msg(strcmp(ka_, kb_) != 0,               \
		    "'%s' and '%s' should have other keys", a, b); \
		free(ka_);                                         \
		free(kb_);                                         \
	} while (0)

START_TEST(test_requirements_change_key)
{
	struct vc_config cfg;
	struct vc_interp in;

	vc_config_init(&cfg);
	fake_interp(&in);
	CK_SAME_KEY("a==1\nb>=2\n", "# comment\nb >= 2\n\n\na==1  # pin\n");
	CK_SAME_KEY("Zope_Interface", "zope.interface");
	CK_SAME_KEY("foo[b,a]>=1,<2", "foo[a,b] (<2, >=1)");
	CK_SAME_KEY("foo\\\n>=1", "foo>=1");
	CK_SAME_KEY("foo\nfoo", "foo");
	CK_SAME_KEY("foo",
	    "--index-url https://pypi.corp/simple\nfoo\n"
	    "--extra-index-url https://x/simple\n"
	    "--trusted-host x\n--no-index\n-f /wheels");
	CK_SAME_KEY("foo", "foo\n-e .");
	CK_OTHER_KEY("foo", "foo==1.0");
	CK_OTHER_KEY("foo==1.0", "foo==1.0.1");
	CK_OTHER_KEY("foo", "--pre\nfoo");
	CK_OTHER_KEY("foo", "--prefer-binary\nfoo");
	CK_OTHER_KEY("foo", "--no-binary :all:\nfoo");
	CK_OTHER_KEY("foo", "foo; python_version < '4'");
	CK_OTHER_KEY("foo", "foo[x]");
	vc_interp_release(&in);
	vc_config_release(&cfg);
}
END_TEST

START_TEST(test_included_line_changes_key)
{
	struct vc_config cfg;
	struct vc_interp in;
	char *k1, *k2;

	vc_config_init(&cfg);
	fake_interp(&in);
	write_file("inc.txt", "bar==1.0\n", 0644);
	k1 = key_of(&cfg, "e", &in, "foo\n-r inc.txt\n");
	write_file("inc.txt", "bar==1.1\n", 0644);
	k2 = key_of(&cfg, "e", &in, "foo\n-r inc.txt\n");
	ck_assert_str_ne(k1, k2);
	free(k1);
	free(k2);
	vc_interp_release(&in);
	vc_config_release(&cfg);
}
END_TEST

START_TEST(test_resolved_and_escaping)
{
	struct vc_config cfg;
	struct vc_interp in;
	struct vc_envdef env;
	struct vc_reqset set;
	struct vc_key key;
	struct vc_strv resolved;
	struct vc_error err;

	vc_config_init(&cfg);
	fake_interp(&in);
	/* Python 2's sys.version had a newline in it. */
	set_field(&in.build, "2.7.18 (default)\n[GCC 12.2.0] \\ ok");
	env_init(&env, "e");
	vc_reqset_init(&set);
	vc_key_init(&key);
	vc_strv_init(&resolved);
	vc_strv_push(&resolved, "foo==1.2.3");
	vc_strv_push(&resolved, "dep==0.1");
	ck_assert_int_eq(vc_reqset_add_text(&set, "foo>=1\n--pre\n", "r.txt",
	                     NULL, ".", 0, &err),
	    0);
	ck_assert_int_eq(vc_key_compute(&key, &cfg, &env, &in, &set, &resolved,
	                     &err),
	    0);
	ck_assert_ptr_nonnull(strstr(key.document,
	    "\nbuild 2.7.18 (default)\\n[GCC 12.2.0] \\\\ ok\n"));
	ck_assert_ptr_nonnull(strstr(key.document,
	    "\nresolved dep==0.1\nresolved foo==1.2.3\n"
	    "option --pre\n"));
	ck_assert_ptr_null(strstr(key.document, "requirement "));
	vc_strv_release(&resolved);
	vc_key_release(&key);
	vc_reqset_release(&set);
	env_release(&env);
	vc_interp_release(&in);
	vc_config_release(&cfg);
}
END_TEST

START_TEST(test_load_requirements)
{
	struct vc_envdef env;
	struct vc_reqset set;
	struct vc_error err;
	unsigned *lines;

	ck_assert_int_eq(mkdir("sub", 0755), 0);
	write_file("sub/a.txt", "alpha\n", 0644);
	write_file("sub/c.txt", "alpha==1.0\n", 0644);
	env_init(&env, "e");
	free(env.basedir);
	env.basedir = vc_path_join(vc_test_dir, "sub");
	env.file = xstrdup("venvcache.ini");
	vc_strv_push(&env.requirements, "a.txt");
	vc_strv_push(&env.constraints, "c.txt");
	vc_strv_push(&env.deps, "beta>=2");
	vc_strv_push(&env.deps, "gamma");
	lines = xcalloc(2, sizeof *lines);
	lines[0] = 7;
	lines[1] = 9;
	env.deps_lines = lines;
	vc_reqset_init(&set);
	ck_assert_msg(vc_key_load_requirements(&set, &env, &err) == 0, "%s",
	    err.msg);
	ck_assert_uint_eq(set.n, 4);
	ck_assert_uint_eq(set.files.n, 2);
	ck_assert_int_eq(set.reqs[3].constraint, 1);
	vc_reqset_release(&set);

	/* An inline dep that does not parse names the config file:line. */
	set_field(&env.deps.v[1], "gamma>=");
	vc_reqset_init(&set);
	ck_assert_int_eq(vc_key_load_requirements(&set, &env, &err), -1);
	ck_assert_str_eq(err.msg,
	    "venvcache.ini:9: invalid requirement 'gamma>=': expected end or "
	    "semicolon (after name and no valid version specifier) at "
	    "column 6");
	vc_reqset_release(&set);

	/* A requirements file relative to the env's directory. */
	set_field(&env.deps.v[1], "gamma");
	set_field(&env.requirements.v[0], "missing.txt");
	vc_reqset_init(&set);
	ck_assert_int_eq(vc_key_load_requirements(&set, &env, &err), -1);
	ck_assert_str_eq(err.msg,
	    "cannot open 'sub/missing.txt': No such file or directory");
	vc_reqset_release(&set);
	env_release(&env);
}
END_TEST

/* The real path of the python3 on PATH (not a pyenv shim). */
static char *
real_python(void)
{
	FILE *p = popen("python3 -c 'import os, sys; "
	                "print(os.path.realpath(sys.executable))'",
	    "r");
	char line[PATH_MAX];
	size_t n;

	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_nonnull(fgets(line, sizeof line, p));
	pclose(p);
	n = strlen(line);
	if (n > 0 && line[n - 1] == '\n')
		line[n - 1] = '\0';
	return xstrdup(line);
}

static size_t
count_probe_files(const char *cache)
{
	char *cmd = xasprintf("ls '%s/probe' 2>/dev/null | wc -l", cache);
	FILE *p = popen(cmd, "r");
	unsigned long n = 0;

	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(fscanf(p, "%lu", &n), 1);
	pclose(p);
	free(cmd);
	return n;
}

START_TEST(test_probe_cache)
{
	struct vc_interp a, b;
	struct vc_error err;
	char *py = real_python(), *cache = vc_path_join(vc_test_dir, "cache");
	unsigned runs;

	runs = vc_interp_runs();
	ck_assert_msg(vc_interp_probe(&a, py, cache, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(vc_interp_runs(), runs + 1);
	ck_assert_int_eq(a.cached, 0);
	ck_assert_int_eq(a.wrapper, 0);
	ck_assert_str_eq(a.impl, "cpython");
	ck_assert_str_eq(a.impl_tag, "cp");
	ck_assert_int_eq(a.major, 3);
	ck_assert_str_eq(a.executable, py);
	ck_assert_ptr_nonnull(strstr(a.build, a.version));
	ck_assert_uint_eq(count_probe_files(cache), 1);

	/* Cached: the same answer, and no Python started. */
	ck_assert_int_eq(vc_interp_probe(&b, py, cache, &err), 0);
	ck_assert_uint_eq(vc_interp_runs(), runs + 1);
	ck_assert_int_eq(b.cached, 1);
	ck_assert_str_eq(b.version, a.version);
	ck_assert_str_eq(b.build, a.build);
	ck_assert_str_eq(b.soabi, a.soabi);
	ck_assert_str_eq(b.platform, a.platform);
	ck_assert_str_eq(b.libc, a.libc);
	ck_assert_str_eq(b.executable, a.executable);
	ck_assert_str_eq(b.pip_version, a.pip_version);
	vc_interp_release(&b);

	/* Without a cache directory, every probe runs Python. */
	ck_assert_int_eq(vc_interp_probe(&b, py, NULL, &err), 0);
	ck_assert_uint_eq(vc_interp_runs(), runs + 2);
	vc_interp_release(&b);
	vc_interp_release(&a);
	free(py);
	free(cache);
}
END_TEST

/* A cache entry whose stamp no longer matches the executable is stale. */
START_TEST(test_probe_cache_stale)
{
	struct vc_interp a;
	struct vc_error err;
	char *py = real_python(), *cache = vc_path_join(vc_test_dir, "cache");
	char *cmd, path[PATH_MAX];
	unsigned runs = vc_interp_runs();
	json_t *o;
	FILE *p;

	ck_assert_int_eq(vc_interp_probe(&a, py, cache, &err), 0);
	vc_interp_release(&a);
	cmd = xasprintf("ls -d '%s'/probe/*.json", cache);
	p = popen(cmd, "r");
	ck_assert_ptr_nonnull(fgets(path, sizeof path, p));
	pclose(p);
	free(cmd);
	path[strcspn(path, "\n")] = '\0';
	/* As if the executable had been replaced: another mtime. */
	o = json_load_file(path, 0, NULL);
	ck_assert_ptr_nonnull(o);
	json_object_set_new(json_object_get(o, "stamp"), "mtime_ns",
	    json_integer(12345));
	ck_assert_int_eq(json_dump_file(o, path, 0), 0);
	json_decref(o);
	ck_assert_int_eq(vc_interp_probe(&a, py, cache, &err), 0);
	ck_assert_int_eq(a.cached, 0);
	ck_assert_uint_eq(vc_interp_runs(), runs + 2);
	vc_interp_release(&a);
	/* Rewritten: cached again. */
	ck_assert_int_eq(vc_interp_probe(&a, py, cache, &err), 0);
	ck_assert_int_eq(a.cached, 1);
	vc_interp_release(&a);
	/* A corrupt entry is probed again, not an error. */
	write_file(path, "{not json", 0644);
	ck_assert_int_eq(vc_interp_probe(&a, py, cache, &err), 0);
	ck_assert_int_eq(a.cached, 0);
	vc_interp_release(&a);
	free(py);
	free(cache);
}
END_TEST

/* A symlink retargeted to another interpreter is probed again. */
START_TEST(test_probe_retarget)
{
	static const char *const others[] = {"/usr/bin/python3",
	    "/root/.pyenv/versions/3.11.7/bin/python3.11",
	    "/usr/local/bin/python3"};
	struct vc_interp a;
	struct vc_error err;
	char *py = real_python(), *cache = vc_path_join(vc_test_dir, "cache");
	char *link = vc_path_join(vc_test_dir, "python"), real[PATH_MAX];
	const char *other = NULL;
	size_t i;

	for (i = 0; i < VC_ARRAY_SIZE(others) && other == NULL; i++)
		if (realpath(others[i], real) != NULL && strcmp(real, py) != 0)
			other = others[i];
	if (other == NULL) {
		fprintf(stderr,
		    "test_probe_retarget: one Python only, "
		    "skipped\n");
		goto out;
	}
	ck_assert_int_eq(symlink(py, link), 0);
	ck_assert_int_eq(vc_interp_probe(&a, link, cache, &err), 0);
	ck_assert_str_eq(a.executable, py);
	vc_interp_release(&a);
	ck_assert_int_eq(unlink(link), 0);
	ck_assert_int_eq(symlink(other, link), 0);
	ck_assert_int_eq(vc_interp_probe(&a, link, cache, &err), 0);
	ck_assert_int_eq(a.cached, 0);
	ck_assert_str_eq(a.executable, real);
	vc_interp_release(&a);
out:
	free(py);
	free(cache);
	free(link);
}
END_TEST

/* A "#!" wrapper (pyenv's shims) is probed every time, never cached. */
START_TEST(test_probe_wrapper)
{
	struct vc_interp a;
	struct vc_error err;
	char *py = real_python(), *cache = vc_path_join(vc_test_dir, "cache");
	char *script = xasprintf("#!/bin/sh\nexec '%s' \"$@\"\n", py);
	char *path = vc_path_join(vc_test_dir, "shim");
	unsigned runs = vc_interp_runs();

	write_file(path, script, 0755);
	ck_assert_int_eq(vc_interp_probe(&a, path, cache, &err), 0);
	ck_assert_int_eq(a.wrapper, 1);
	ck_assert_int_eq(a.cached, 0);
	ck_assert_str_eq(a.executable, py);
	vc_interp_release(&a);
	ck_assert_int_eq(vc_interp_probe(&a, path, cache, &err), 0);
	ck_assert_int_eq(a.cached, 0);
	ck_assert_uint_eq(vc_interp_runs(), runs + 2);
	ck_assert_uint_eq(count_probe_files(cache), 0);
	vc_interp_release(&a);
	free(py);
	free(cache);
	free(script);
	free(path);
}
END_TEST

START_TEST(test_probe_errors)
{
	struct vc_interp a;
	struct vc_error err;

	ck_assert_int_eq(vc_interp_probe(&a, "no-such-python-vc", NULL, &err),
	    -1);
	ck_assert_str_eq(err.msg, "cannot find 'no-such-python-vc' on PATH");
	vc_interp_release(&a);
	ck_assert_int_eq(vc_interp_probe(&a, "/etc/passwd", NULL, &err), -1);
	ck_assert_str_eq(err.msg, "'/etc/passwd' is not an executable file");
	vc_interp_release(&a);
	ck_assert_int_eq(vc_interp_probe(&a, "/nonexistent/python", NULL, &err),
	    -1);
	ck_assert_str_eq(err.msg,
	    "cannot find '/nonexistent/python': No such "
	    "file or directory");
	vc_interp_release(&a);
	ck_assert_int_eq(vc_interp_probe(&a, "/bin/true", NULL, &err), -1);
	ck_assert_str_eq(err.msg,
	    "'/bin/true' is not a working Python: it "
	    "did not answer the probe");
	vc_interp_release(&a);
	write_file("fail", "#!/bin/sh\necho 'boom: not python' >&2\nexit 3\n",
	    0755);
	ck_assert_int_eq(vc_interp_probe(&a, "./fail", NULL, &err), -1);
	ck_assert_str_eq(err.msg,
	    "'./fail' is not a working Python (exit "
	    "status 3): boom: not python");
	vc_interp_release(&a);
	/* valgrind cannot survive a failed execve in the child: memcheck.sh
	 * sets VC_MEMCHECK, and this case runs in the other builds. */
	if (getenv("VC_MEMCHECK") != NULL)
		return;
	write_file("noexec", "#!/nonexistent/interpreter\n", 0755);
	ck_assert_int_eq(vc_interp_probe(&a, "./noexec", NULL, &err), -1);
	ck_assert_str_eq(err.msg,
	    "cannot run './noexec': No such file or directory");
	vc_interp_release(&a);
}
END_TEST

/* Two real interpreters of the same minor version: different keys. */
START_TEST(test_two_interpreters)
{
	static const char *const pys[] = {"/usr/bin/python3",
	    "/root/.pyenv/versions/3.11.7/bin/python3.11"};
	struct vc_config cfg;
	struct vc_interp a, b;
	struct vc_error err;
	char *ka, *kb;

	if (access(pys[0], X_OK) != 0 || access(pys[1], X_OK) != 0) {
		fprintf(stderr,
		    "test_two_interpreters: needs %s and %s, "
		    "skipped\n",
		    pys[0], pys[1]);
		return;
	}
	vc_config_init(&cfg);
	ck_assert_int_eq(vc_interp_probe(&a, pys[0], NULL, &err), 0);
	ck_assert_int_eq(vc_interp_probe(&b, pys[1], NULL, &err), 0);
	ka = key_of(&cfg, "e", &a, "foo==1.0");
	kb = key_of(&cfg, "e", &b, "foo==1.0");
	ck_assert_str_ne(ka, kb);
	if (a.major == b.major && a.minor == b.minor)
		/* Same restore prefix, other hash. */
		ck_assert_int_eq(strncmp(ka, kb, strlen(ka) - 32), 0);
	free(ka);
	free(kb);
	vc_interp_release(&a);
	vc_interp_release(&b);
	vc_config_release(&cfg);
}
END_TEST

int
main(void)
{
	const TTest *const tests[] = {
	    test_document_and_hash,
	    test_key_shape,
	    test_key_valid,
	    test_identity_changes_key,
	    test_requirements_change_key,
	    test_included_line_changes_key,
	    test_resolved_and_escaping,
	    test_load_requirements,
	    test_probe_cache,
	    test_probe_cache_stale,
	    test_probe_retarget,
	    test_probe_wrapper,
	    test_probe_errors,
	    test_two_interpreters,
	};
	Suite *s = suite_create("key");

	vc_test_case(s, "core", vc_test_setup_cwd, vc_test_teardown, 0, tests,
	    VC_ARRAY_SIZE(tests));
	return vc_test_run(s);
}
