/*
 * interp.c: what an interpreter is, from running it once, and the cache of
 * that answer in <cache-dir>/probe/.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#include "venvcache/interp.h"
#include "venvcache/log.h"
#include "venvcache/proc.h"
#include "venvcache/util.h"

#define PROBE_FORMAT 1
#define PROBE_TIMEOUT 30       /* seconds */
#define PROBE_MAX_OUTPUT 65536 /* bytes */

/*
 * Runs on Python 2.7 and every Python 3. pip's version comes from its
 * metadata: importing pip would take a tenth of a second.
 */
static const char probe_script[] =
    "import sys, os, platform, sysconfig, json\n"
    "def pipv():\n"
    "    try:\n"
    "        from importlib.metadata import version\n"
    "        return version('pip')\n"
    "    except Exception:\n"
    "        pass\n"
    "    for d in sys.path:\n"
    "        try:\n"
    "            names = os.listdir(d or '.')\n"
    "        except Exception:\n"
    "            continue\n"
    "        for n in names:\n"
    "            for s in ('.dist-info', '.egg-info'):\n"
    "                if n.startswith('pip-') and n.endswith(s):\n"
    "                    return n[4:-len(s)]\n"
    "    return ''\n"
    "impl = getattr(sys, 'implementation', None)\n"
    "lib, ver = platform.libc_ver()\n"
    "sys.stdout.write(json.dumps({\n"
    "    'impl': impl.name if impl else "
    "platform.python_implementation().lower(),\n"
    "    'version': platform.python_version(),\n"
    "    'major': sys.version_info[0],\n"
    "    'minor': sys.version_info[1],\n"
    "    'build': sys.version,\n"
    "    'soabi': sysconfig.get_config_var('SOABI') or '',\n"
    "    'platform': sysconfig.get_platform(),\n"
    "    'libc': (lib + ' ' + ver) if lib else '',\n"
    "    'base_prefix': getattr(sys, 'base_prefix', sys.prefix),\n"
    "    'executable': os.path.realpath(sys.executable),\n"
    "    'pip': pipv()}) + '\\n')\n";

static unsigned runs;

unsigned
vc_interp_runs(void)
{
	return runs;
}

void
vc_interp_release(struct vc_interp *in)
{
	free(in->requested);
	free(in->path);
	free(in->executable);
	free(in->impl);
	free(in->impl_tag);
	free(in->version);
	free(in->build);
	free(in->soabi);
	free(in->platform);
	free(in->libc);
	free(in->base_prefix);
	free(in->pip_version);
	memset(in, 0, sizeof *in);
}

/* `name` on PATH, or `name` itself when it has a '/'; absolute or NULL. */
static char *
find_program(const char *name)
{
	const char *path = getenv("PATH"), *p, *end;
	char cwd[PATH_MAX], *cand;
	struct stat st;

	if (strchr(name, '/') != NULL) {
		if (*name == '/' || getcwd(cwd, sizeof cwd) == NULL)
			return xstrdup(name);
		return vc_path_join(cwd, name);
	}
	if (path == NULL || *path == '\0')
		path = "/usr/local/bin:/usr/bin:/bin";
	for (p = path;; p = end + 1) {
		end = strchr(p, ':');
		if (end == NULL)
			end = p + strlen(p);
		if (end == p)
			cand = getcwd(cwd, sizeof cwd) != NULL
			    ? vc_path_join(cwd, name)
			    : xstrdup(name);
		else
			cand = xasprintf("%.*s/%s", (int)(end - p), p, name);
		if (*cand != '/' && getcwd(cwd, sizeof cwd) != NULL) {
			char *abs = vc_path_join(cwd, cand);

			free(cand);
			cand = abs;
		}
		if (stat(cand, &st) == 0 && S_ISREG(st.st_mode) &&
		    access(cand, X_OK) == 0)
			return cand;
		free(cand);
		if (*end == '\0')
			return NULL;
	}
}

/* packaging.tags' short names of implementations. */
static char *
impl_tag(const char *impl)
{
	static const char *const names[][2] = {{"cpython", "cp"},
	    {"pypy", "pp"}, {"ironpython", "ip"}, {"jython", "jy"},
	    {"python", "py"}};
	struct vc_buf b;
	size_t i;

	for (i = 0; i < VC_ARRAY_SIZE(names); i++)
		if (strcmp(impl, names[i][0]) == 0)
			return xstrdup(names[i][1]);
	vc_buf_init(&b);
	for (; *impl != '\0'; impl++)
		if ((*impl >= 'a' && *impl <= 'z') ||
		    (*impl >= '0' && *impl <= '9'))
			vc_buf_addc(&b, *impl);
	if (b.len == 0)
		vc_buf_adds(&b, "unknown");
	return vc_buf_detach(&b);
}

static const char *
jstr(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* Fills `in` from the probe's answer; -1 when it is not one. */
static int
from_json(struct vc_interp *in, json_t *o)
{
	static const char *const keys[] = {"impl", "version", "build", "soabi",
	    "platform", "libc", "base_prefix", "executable", "pip"};
	json_t *major = json_object_get(o, "major");
	json_t *minor = json_object_get(o, "minor");
	size_t i;

	if (!json_is_object(o) || !json_is_integer(major) ||
	    !json_is_integer(minor))
		return -1;
	for (i = 0; i < VC_ARRAY_SIZE(keys); i++)
		if (jstr(o, keys[i]) == NULL)
			return -1;
	if (*jstr(o, "impl") == '\0' || *jstr(o, "version") == '\0' ||
	    *jstr(o, "platform") == '\0' || *jstr(o, "executable") == '\0')
		return -1;
	in->impl = xstrdup(jstr(o, "impl"));
	in->impl_tag = impl_tag(in->impl);
	in->version = xstrdup(jstr(o, "version"));
	in->major = (int)json_integer_value(major);
	in->minor = (int)json_integer_value(minor);
	in->build = xstrdup(jstr(o, "build"));
	in->soabi = xstrdup(jstr(o, "soabi"));
	in->platform = xstrdup(jstr(o, "platform"));
	in->libc = xstrdup(jstr(o, "libc"));
	in->base_prefix = xstrdup(jstr(o, "base_prefix"));
	in->executable = xstrdup(jstr(o, "executable"));
	in->pip_version = xstrdup(jstr(o, "pip"));
	return 0;
}

static json_t *
to_json(const struct vc_interp *in)
{
	return json_pack("{s:s, s:s, s:i, s:i, s:s, s:s, s:s, s:s, s:s, "
	                 "s:s, s:s}",
	    "impl", in->impl, "version", in->version, "major", in->major,
	    "minor", in->minor, "build", in->build, "soabi", in->soabi,
	    "platform", in->platform, "libc", in->libc, "base_prefix",
	    in->base_prefix, "executable", in->executable, "pip",
	    in->pip_version);
}

/* The last non-empty line of `s`, for messages. */
static char *
last_line(const char *s)
{
	const char *end = s + strlen(s), *start;

	while (
	    end > s && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' '))
		end--;
	for (start = end; start > s && start[-1] != '\n'; start--)
		;
	if (end - start > 300)
		start = end - 300;
	return xstrndup(start, (size_t)(end - start));
}

/* The first non-empty line of `s`, for messages. */
static char *
first_line(const char *s)
{
	size_t n;

	s += strspn(s, "\r\n ");
	n = strcspn(s, "\r\n");
	return xstrndup(s, n > 300 ? 300 : n);
}

/*
 * Runs `exe` with the probe script: no shell, stdin from /dev/null, stdout
 * and stderr captured apart, killed after PROBE_TIMEOUT seconds.
 */
static int
run_probe(const char *exe, const char *shown, struct vc_buf *out,
    struct vc_buf *errout, struct vc_error *err)
{
	const char *argv[] = {exe, "-E", "-s", "-c", probe_script, NULL};
	struct vc_proc proc;
	int status;
	char *tail;

	memset(&proc, 0, sizeof proc);
	proc.argv = argv;
	proc.shown = shown;
	proc.null_stdin = 1;
	proc.output = out;
	proc.errout = errout;
	proc.output_limit = PROBE_MAX_OUTPUT;
	proc.timeout = PROBE_TIMEOUT;
	runs++;
	status = vc_proc_run(&proc, err);
	if (status == -1)
		return -1;
	if (status == 0)
		return 0;
	/* A traceback ends with its cause; "command not found" (127, a
	 * pyenv shim's, say) begins with it. */
	if (status == 127)
		tail = first_line(errout->data != NULL ? errout->data : "");
	else
		tail = last_line(errout->data != NULL ? errout->data : "");
	/* 127: a shim for a version that is not installed: missing */
	if (status < 128)
		vc_error_set(err, status == 127 ? VC_ENOPY : VC_EFAIL,
		    "'%s' is not a working Python (exit status %d)%s%s", shown,
		    status, *tail ? ": " : "", tail);
	else
		vc_error_set(err, VC_EFAIL,
		    "'%s' is not a working Python (killed by signal %d)", shown,
		    status - 128);
	free(tail);
	return -1;
}

/* A "#!" script: it may name another interpreter on each call. */
static int
is_script(const char *path)
{
	char head[2];
	int fd = open(path, O_RDONLY | O_CLOEXEC), script;

	if (fd == -1)
		return 0;
	script = read(fd, head, 2) == 2 && head[0] == '#' && head[1] == '!';
	close(fd);
	return script;
}

/* The first version named in a pyenv version file ("3.11.7\n..."). */
static char *
version_file(const char *path)
{
	char buf[256];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd == -1)
		return NULL;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	buf[strcspn(buf, " \t\r\n")] = '\0';
	return buf[0] != '\0' && buf[0] != '#' ? xstrdup(buf) : NULL;
}

/*
 * A pyenv shim names, on each call, the interpreter its version settings
 * select: PYENV_VERSION, else the nearest .python-version from the
 * current directory up, else $PYENV_ROOT/version. Reading those here finds
 * the same executable without starting bash, so that it can be probed once
 * and cached. NULL when it is not a shim or the answer is not one plain
 * version (several, "system", a prefix): then the shim is probed as is.
 */
static char *
pyenv_resolve(const char *shim)
{
	char cwd[PATH_MAX], head[512], *root, *version = NULL, *exe = NULL;
	const char *env = getenv("PYENV_VERSION"), *base;
	char *dir = vc_path_dirname(shim), *p;
	ssize_t n;
	int fd;

	if (!vc_str_endswith(dir, "/shims"))
		goto out;
	if ((fd = open(shim, O_RDONLY | O_CLOEXEC)) == -1)
		goto out;
	n = read(fd, head, sizeof head - 1);
	close(fd);
	head[n > 0 ? n : 0] = '\0';
	if (strstr(head, "pyenv") == NULL)
		goto out;
	root = vc_path_dirname(dir);
	if (env != NULL && *env != '\0') {
		version = xstrdup(env);
	} else if (getcwd(cwd, sizeof cwd) != NULL) {
		for (p = cwd + strlen(cwd); version == NULL;) {
			char *f = xasprintf("%.*s/.python-version",
			    (int)(p - cwd), cwd);

			version = version_file(f);
			free(f);
			while (p > cwd && *--p != '/')
				;
			if (p == cwd)
				break;
		}
		if (version == NULL) {
			char *f = vc_path_join(root, "version");

			version = version_file(f);
			free(f);
		}
	}
	if (version != NULL && strchr(version, ':') == NULL &&
	    strchr(version, '/') == NULL && strcmp(version, "system") != 0 &&
	    strcmp(version, "..") != 0) {
		base = strrchr(shim, '/') + 1;
		exe = xasprintf("%s/versions/%s/bin/%s", root, version, base);
		if (access(exe, X_OK) == -1 || is_script(exe)) {
			free(exe);
			exe = NULL;
		}
	}
	free(root);
out:
	free(version);
	free(dir);
	return exe;
}

/* <cache-dir>/probe/<XXH3-128 of the path>.json */
static char *
cache_file(const char *cache_dir, const char *path)
{
	XXH128_hash_t h = XXH3_128bits(path, strlen(path));

	return xasprintf("%s/probe/%016llx%016llx.json", cache_dir,
	    (unsigned long long)h.high64, (unsigned long long)h.low64);
}

static json_t *
stamp(const char *real, const struct stat *st)
{
	return json_pack("{s:s, s:I, s:I, s:I, s:I}", "real", real, "size",
	    (json_int_t)st->st_size, "mtime_ns",
	    (json_int_t)st->st_mtim.tv_sec * 1000000000 +
	        (json_int_t)st->st_mtim.tv_nsec,
	    "ino", (json_int_t)st->st_ino, "dev", (json_int_t)st->st_dev);
}

/*
 * Reads the cached answer when it still describes the executable: the
 * stamp of the file at `real` (in->path resolved), and an `executable`
 * that is that file. The cache is in the store, which others may write:
 * its answer never names a program to run, only describes the one that was
 * checked.
 */
static int
cache_read(struct vc_interp *in, const char *file, const char *real,
    json_t *want)
{
	json_t *o, *have;
	int rc = -1;

	o = json_load_file(file, 0, NULL);
	if (o == NULL)
		return -1;
	have = json_object_get(o, "stamp");
	if (json_integer_value(json_object_get(o, "format")) == PROBE_FORMAT &&
	    json_is_string(json_object_get(o, "path")) &&
	    strcmp(json_string_value(json_object_get(o, "path")), in->path) ==
	        0 &&
	    json_equal(have, want) &&
	    from_json(in, json_object_get(o, "probe")) == 0) {
		if (strcmp(in->executable, real) == 0)
			rc = 0;
		else
			vc_debug("'%s' names '%s' as the interpreter of '%s' "
			         "(real path '%s'): probing again",
			    file, in->executable, in->path, real);
	}
	if (rc == -1) {
		/* What from_json filled, for the probe to fill again. */
		char *req = in->requested, *path = in->path;
		int wrapper = in->wrapper;

		in->requested = in->path = NULL;
		vc_interp_release(in);
		in->requested = req;
		in->path = path;
		in->wrapper = wrapper;
	}
	json_decref(o);
	return rc;
}

static void
cache_write(const struct vc_interp *in, const char *cache_dir, const char *file,
    json_t *want)
{
	struct vc_error err;
	json_t *o;
	char *dir, *text;

	vc_error_clear(&err);
	o = json_pack("{s:i, s:s, s:O, s:o}", "format", PROBE_FORMAT, "path",
	    in->path, "stamp", want, "probe", to_json(in));
	text = json_dumps(o, JSON_SORT_KEYS | JSON_INDENT(1));
	json_decref(o);
	dir = xasprintf("%s/probe", cache_dir);
	if (text == NULL || vc_mkdir_p(dir, 0755, &err) == -1 ||
	    vc_write_file_atomic(file, text, strlen(text), 0644, &err) == -1)
		vc_debug("cannot cache the probe of '%s': %s", in->path,
		    err.msg);
	free(dir);
	free(text);
}

int
vc_interp_probe(struct vc_interp *in, const char *python, const char *cache_dir,
    struct vc_error *err)
{
	char real[PATH_MAX], *file = NULL;
	struct vc_buf out, errout;
	json_t *want = NULL, *o = NULL;
	json_error_t jerr;
	struct stat st;
	int rc = -1;

	memset(in, 0, sizeof *in);
	vc_buf_init(&out);
	vc_buf_init(&errout);
	vc_buf_adds(&out, "");
	vc_buf_adds(&errout, "");
	in->requested = xstrdup(python);
	if (*python == '\0') {
		vc_error_set(err, VC_EFAIL, "no interpreter given");
		goto out;
	}
	in->path = find_program(python);
	if (in->path == NULL) {
		vc_error_set(err, VC_ENOPY, "cannot find '%s' on PATH", python);
		goto out;
	}
	if (realpath(in->path, real) == NULL || stat(real, &st) == -1) {
		vc_error_sys(err, "cannot find '%s'", python);
		if (errno == ENOENT || errno == ENOTDIR)
			err->code = VC_ENOPY;
		goto out;
	}
	if (!S_ISREG(st.st_mode) || access(real, X_OK) == -1) {
		vc_error_set(err, VC_EFAIL, "'%s' is not an executable file",
		    python);
		goto out;
	}
	in->wrapper = is_script(real);
	if (in->wrapper) {
		char *exe = pyenv_resolve(real);

		if (exe != NULL && realpath(exe, real) != NULL &&
		    stat(real, &st) == 0) {
			vc_debug("'%s' is a pyenv shim for '%s'", python, exe);
			free(in->path);
			in->path = exe;
			in->wrapper = 0;
		} else {
			free(exe);
		}
	}
	if (cache_dir != NULL && *cache_dir != '\0' && !in->wrapper) {
		want = stamp(real, &st);
		file = cache_file(cache_dir, in->path);
		if (cache_read(in, file, real, want) == 0) {
			in->cached = 1;
			rc = 0;
			goto out;
		}
	}
	if (run_probe(in->path, python, &out, &errout, err) == -1)
		goto out;
	o = json_loads(out.data != NULL ? out.data : "", 0, &jerr);
	if (o == NULL || from_json(in, o) == -1) {
		vc_error_set(err, VC_EFAIL,
		    "'%s' is not a working Python: it did not answer the "
		    "probe",
		    python);
		goto out;
	}
	/* Only an answer that cache_read() would take. */
	if (want != NULL && strcmp(in->executable, real) == 0)
		cache_write(in, cache_dir, file, want);
	rc = 0;
out:
	if (rc == -1) {
		char *req = in->requested;

		in->requested = NULL;
		vc_interp_release(in);
		in->requested = req;
	}
	json_decref(o);
	json_decref(want);
	free(file);
	vc_buf_release(&out);
	vc_buf_release(&errout);
	return rc;
}
