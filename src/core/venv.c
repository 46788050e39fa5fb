/* venv.c: present, restore, or create and save; relocation; the stamp. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "venvcache/archive.h"
#include "venvcache/bytecode.h"
#include "venvcache/installer.h"
#include "venvcache/log.h"
#include "venvcache/mirror.h"
#include "venvcache/proc.h"
#include "venvcache/projcache.h"
#include "venvcache/remote.h"
#include "venvcache/resolve.h"
#include "venvcache/store.h"
#include "venvcache/tmpfs.h"
#include "venvcache/trust.h"
#include "venvcache/venv.h"

/* Where venvcache keeps its own things under the venv root. */
#define ROOT_PRIV ".venvcache"
/* Files of a venv that are not part of what is cached. */
static const char *const not_cached[] = {VC_STAMP_NAME, "pip.conf", NULL};

char *
vc_venv_path(const struct vc_config *cfg, const char *env_name)
{
	return vc_path_join(vc_config_str(cfg, VC_S_VENV_ROOT), env_name);
}

const char *
vc_warm_how_name(enum vc_warm_how how)
{
	switch (how) {
	case VC_HOW_PRESENT:
		return "present";
	case VC_HOW_HIT:
		return "hit";
	case VC_HOW_PARTIAL:
		return "partial";
	case VC_HOW_CREATED:
		return "created";
	}
	return "?";
}

/* --- the stamp ----------------------------------------------------- */

/*
 * The stamp is three lines: "key <key>", "python <real path>",
 * "project <path or ->". It is written last; it makes a venv ready.
 */
/*
 * The stamp says which key and interpreter a venv was made for, and which
 * project was installed into it. A tree is put in place with the project
 * line "(pending)": it is ours, but not ready until finish_project() has
 * written pip.conf and installed the project, a creation's entry is
 * published, and mark_ready() has rewritten the stamp. A failure on the
 * way leaves it pending: the next warm repairs it (repair()).
 */
static char *
stamp_text(const struct vc_plan *p, int pending)
{
	const char *project = p->project != NULL ? p->project : "-";

	if (pending)
		project = "(pending)";
	return xasprintf("key %s\npython %s\nproject %s\n", p->key.key,
	    p->interp.executable, project);
}

/* 1 when the stamp names this key, 0 otherwise; *project_ok as well. */
static int
stamp_matches(const struct vc_plan *p, int *project_ok)
{
	char buf[4096 + PATH_MAX * 2], *path, *want;
	ssize_t n;
	int fd, ok = 0;

	*project_ok = 0;
	path = vc_path_join(p->path, VC_STAMP_NAME);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	free(path);
	if (fd == -1)
		return 0;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	want = stamp_text(p, 0);
	/* Key and python must match; the project line may differ. */
	{
		const char *proj = strstr(want, "\nproject ");
		size_t head = (size_t)(proj - want) + 1;

		ok = strncmp(buf, want, head) == 0;
		*project_ok = ok && strcmp(buf, want) == 0;
	}
	free(want);
	return ok;
}

/* bin/python exists and resolves to the plan's interpreter. */
static int
python_ok(const struct vc_plan *p)
{
	char *py = vc_path_join(p->path, "bin/python");
	char real[PATH_MAX];
	int ok;

	ok = realpath(py, real) != NULL &&
	    strcmp(real, p->interp.executable) == 0 && access(real, X_OK) == 0;
	free(py);
	return ok;
}

int
vc_venv_ready(const struct vc_plan *p)
{
	int project_ok;

	return stamp_matches(p, &project_ok) && project_ok && python_ok(p);
}

static int
write_stamp(const struct vc_plan *p, const char *dir, int pending,
    struct vc_error *err)
{
	char *path = vc_path_join(dir, VC_STAMP_NAME);
	char *text = stamp_text(p, pending);
	int rc;

	rc = vc_write_file_atomic(path, text, strlen(text), 0644, err);
	free(text);
	free(path);
	return rc;
}

/* --- locks and temporary directories under the venv root ----------- */

static int
lock_file(const char *dir, const char *name, struct vc_error *err)
{
	char *path;
	int fd;

	if (vc_mkdir_p(dir, 0755, err) == -1)
		return -1;
	path = xasprintf("%s/%s.lock", dir, name);
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd == -1) {
		vc_error_sys(err, "cannot open lock '%s'", path);
		free(path);
		return -1;
	}
	/* Held by another process building the same: say so while waiting. */
	if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
		free(path);
		return fd;
	}
	if (errno == EWOULDBLOCK)
		vc_phase(VC_PHASE_WAITING);
	while (flock(fd, LOCK_EX) == -1) {
		if (errno != EINTR) {
			vc_error_sys(err, "cannot lock '%s'", path);
			close(fd);
			free(path);
			return -1;
		}
	}
	free(path);
	return fd;
}

struct tmpdir {
	char *path;
	int fd; /* open on the directory, flock'ed while we own it */
};

/* Removes temporary directories whose owner is gone (their lock is free). */
static void
clean_stale(const char *tmproot)
{
	struct vc_error err;
	struct dirent *de;
	DIR *d;
	int fd;

	if ((d = opendir(tmproot)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		fd = openat(dirfd(d), de->d_name,
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd == -1) {
			(void)unlinkat(dirfd(d), de->d_name, 0);
			continue;
		}
		if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
			vc_debug("removing '%s/%s' left by a dead process",
			    tmproot, de->d_name);
			if (vc_rm_rf_at(dirfd(d), de->d_name, &err) == -1)
				vc_warn("%s", err.msg);
		}
		close(fd);
	}
	closedir(d);
}

static int
tmpdir_make(const char *root, const char *env, struct tmpdir *t,
    struct vc_error *err)
{
	char *tmproot = xasprintf("%s/%s/tmp", root, ROOT_PRIV);

	t->fd = -1;
	t->path = NULL;
	if (vc_mkdir_p(tmproot, 0755, err) == -1)
		goto fail;
	clean_stale(tmproot);
	t->path = xasprintf("%s/%s.XXXXXX", tmproot, env);
	if (mkdtemp(t->path) == NULL) {
		vc_error_sys(err, "cannot create a directory in '%s'", tmproot);
		goto fail;
	}
	(void)chmod(t->path, 0755);
	t->fd = open(t->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (t->fd == -1 || flock(t->fd, LOCK_EX) == -1) {
		vc_error_sys(err, "cannot lock '%s'", t->path);
		goto fail;
	}
	free(tmproot);
	return 0;
fail:
	free(tmproot);
	if (t->path != NULL)
		rmdir(t->path);
	free(t->path);
	t->path = NULL;
	return -1;
}

/*
 * Whether t->path is still the directory we made: something else removing
 * or replacing it mid-restore makes the extractor fail in ways that look
 * like a hostile archive, and a good entry must not be removed for that.
 */
static int
tmpdir_intact(const struct tmpdir *t)
{
	struct stat a, b;

	return fstat(t->fd, &a) == 0 && a.st_nlink > 0 &&
	    lstat(t->path, &b) == 0 && a.st_dev == b.st_dev &&
	    a.st_ino == b.st_ino;
}

/* Removes the directory (if still there) and drops the lock. */
static void
tmpdir_drop(struct tmpdir *t)
{
	struct vc_error err;

	if (t->path != NULL && vc_rm_rf(t->path, &err) == -1)
		vc_warn("%s", err.msg);
	if (t->fd != -1)
		close(t->fd);
	free(t->path);
	t->path = NULL;
	t->fd = -1;
}

/*
 * Puts the tree at t->path in place at `dest`, atomically: renamed when
 * `dest` is free, exchanged with the old venv (then removed) when not.
 */
static int
install_tree(struct tmpdir *t, const char *dest, struct vc_error *err)
{
	if (renameat2(AT_FDCWD, t->path, AT_FDCWD, dest, RENAME_NOREPLACE) ==
	    0) {
		free(t->path);
		t->path = NULL; /* nothing left to remove */
		return 0;
	}
	if (errno != EEXIST && errno != ENOTEMPTY)
		return vc_error_sys(err, "cannot rename '%s' to '%s'", t->path,
		    dest);
	if (renameat2(AT_FDCWD, t->path, AT_FDCWD, dest, RENAME_EXCHANGE) == -1)
		return vc_error_sys(err, "cannot replace '%s'", dest);
	/* t->path now holds the old venv; tmpdir_drop() removes it. */
	return 0;
}

/* --- relocation ---------------------------------------------------- */

static int
path_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
}

/* A relative path with no "..", no empty and no "." components. */
static int
safe_relative(const char *p)
{
	const char *c = p;

	if (*p == '/' || *p == '\0')
		return 0;
	while (*c != '\0') {
		size_t n = strcspn(c, "/");

		if (n == 0 || (n == 1 && c[0] == '.') ||
		    (n == 2 && c[0] == '.' && c[1] == '.'))
			return 0;
		c += n;
		if (*c == '/')
			c++;
	}
	return 1;
}

static int
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Output through a fixed buffer: one write(2) per 64 KiB, not per match. */
struct outbuf {
	int fd;
	size_t len;
	char data[65536];
};

static int
out_flush(struct outbuf *o)
{
	int rc = write_all(o->fd, o->data, o->len);

	o->len = 0;
	return rc;
}

static int
out_add(struct outbuf *o, const char *p, size_t n)
{
	if (o->len + n > sizeof o->data) {
		if (out_flush(o) == -1)
			return -1;
		if (n >= sizeof o->data)
			return write_all(o->fd, p, n);
	}
	memcpy(o->data + o->len, p, n);
	o->len += n;
	return 0;
}

#define RELOCATE_CHUNK 65536

/*
 * Rewrites one file through a fixed buffer: a chunk is scanned, and its
 * last strlen(from) bytes (a match may start there, or need the byte after
 * it) carried to the next. `room` is what the files may still grow by.
 */
static int
relocate_one(int dirfd, const char *rel, const char *from, const char *to,
    uint64_t *room, struct vc_error *err)
{
	size_t flen = strlen(from), tlen = strlen(to), have = 0, keep;
	uint64_t grown = 0;
	struct timespec times[2];
	struct outbuf *o = NULL;
	char *tmp = NULL, *buf = NULL;
	const char *p, *hit, *end;
	struct stat st;
	int fd = -1, nfd = -1, rc = -1, eof = 0;
	ssize_t n;

	if (!safe_relative(rel))
		return vc_error_set(err, VC_EHOSTILE,
		    "refusing to rewrite '%s': not a path inside the venv",
		    rel);
	fd = vc_openat_beneath(dirfd, rel, O_RDONLY | O_NOFOLLOW, 0);
	if (fd == -1) {
		if (errno == ENOENT)
			return 0; /* removed since, or excluded */
		vc_error_sys(err, "cannot open '%s' to relocate it", rel);
		goto out;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		rc = 0;
		goto out;
	}
	/* Write a new file next to it, then rename over: never half done. */
	tmp = xasprintf("%s.vc-relocate", rel);
	nfd = vc_openat_beneath(dirfd, tmp,
	    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, st.st_mode & 0777);
	if (nfd == -1) {
		vc_error_sys(err, "cannot create '%s'", tmp);
		goto out;
	}
	buf = xmalloc(RELOCATE_CHUNK + flen);
	o = xmalloc(sizeof *o);
	o->fd = nfd;
	o->len = 0;
	while (!eof) {
		n = read(fd, buf + have, RELOCATE_CHUNK);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			vc_error_sys(err, "cannot read '%s'", rel);
			goto out;
		}
		eof = n == 0;
		have += (size_t)n;
		end = buf + have;
		for (p = buf; (hit = memmem(p, (size_t)(end - p), from,
		                   flen)) != NULL;) {
			const char *with = to;
			size_t wlen = tlen;

			if (hit + flen == end && !eof)
				break; /* the byte after it is not read yet */
			if (hit + flen < end && path_char(hit[flen])) {
				with = from; /* /a/env vs /a/env2 */
				wlen = flen;
			}
			if (wlen > flen && (grown += wlen - flen) > *room) {
				vc_error_set(err, VC_EHOSTILE,
				    "relocating '%s' from '%s' to '%s' makes "
				    "the venv grow past twice its declared "
				    "size",
				    rel, from, to);
				goto out;
			}
			if (out_add(o, p, (size_t)(hit - p)) == -1 ||
			    out_add(o, with, wlen) == -1)
				goto wfail;
			p = hit + flen;
		}
		keep = eof                     ? 0
		    : (size_t)(end - p) < flen ? (size_t)(end - p)
		                               : flen;
		if (out_add(o, p, (size_t)(end - p) - keep) == -1)
			goto wfail;
		memmove(buf, end - keep, keep);
		have = keep;
	}
	if (out_flush(o) == -1)
		goto wfail;
	*room -= grown;
	if (fchmod(nfd, st.st_mode & 0777) == -1) {
		vc_error_sys(err, "cannot set the mode of '%s'", tmp);
		goto out;
	}
	times[0] = st.st_atim;
	times[1] = st.st_mtim;
	(void)futimens(nfd, times);
	if (renameat(dirfd, tmp, dirfd, rel) == -1) {
		vc_error_sys(err, "cannot replace '%s'", rel);
		goto out;
	}
	rc = 0;
	goto out;
wfail:
	vc_error_sys(err, "cannot write '%s'", tmp);
out:
	if (rc == -1 && tmp != NULL && nfd != -1)
		(void)unlinkat(dirfd, tmp, 0);
	if (fd != -1)
		close(fd);
	if (nfd != -1)
		close(nfd);
	free(tmp);
	free(buf);
	free(o);
	return rc;
}

int
vc_venv_relocate(const char *dir, const char *from, const char *to,
    const struct vc_strv *files, uint64_t max_growth, struct vc_error *err)
{
	uint64_t room = max_growth;
	size_t i;
	int dfd, rc = 0;

	if (strcmp(from, to) == 0 || files->n == 0)
		return 0;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd == -1)
		return vc_error_sys(err, "cannot open '%s'", dir);
	for (i = 0; i < files->n && rc == 0; i++)
		rc = relocate_one(dfd, files->v[i], from, to, &room, err);
	close(dfd);
	return rc;
}

/* --- running python and pip ---------------------------------------- */

struct pip_progress {
	const char *env;
	const char *what;
};

static void
pip_line(const char *line, void *arg)
{
	struct pip_progress *pp = arg;

	while (*line == ' ')
		line++;
	if (*line != '\0')
		vc_progress("%s: %s: %s", pp->env, pp->what, line);
}

/* What a program from the store keeps of our environment. */
static int
harmless_var(const char *name, size_t len)
{
	static const char *const keep[] = {"PATH", "HOME", "LANG", "LANGUAGE",
	    "TZ", "TMPDIR", "TERM", "USER", "LOGNAME", "CC", "CXX", "CFLAGS",
	    "CXXFLAGS", "CPPFLAGS", "LDFLAGS", NULL};
	size_t i;

	if (len > 3 && strncmp(name, "LC_", 3) == 0)
		return 1;
	for (i = 0; keep[i] != NULL; i++)
		if (strlen(keep[i]) == len && strncmp(name, keep[i], len) == 0)
			return 1;
	return 0;
}

/*
 * The environment of a python that came from the store (a restored venv's,
 * on a partial hit): every variable but a few harmless ones is removed, so
 * that no secret (the mirror's credentials, a CI token) reaches code that
 * others could have written; pip reads no configuration file. Also makes
 * this process non-dumpable, so that such code cannot read our environment
 * or memory through /proc either (unless it runs as root).
 */
static void
restored_env(const struct vc_config *cfg, struct vc_strv *set,
    struct vc_strv *unset)
{
	extern char **environ;
	char **e;

	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	for (e = environ; *e != NULL; e++) {
		size_t len = strcspn(*e, "=");

		if (!harmless_var(*e, len))
			vc_strv_take(unset, xstrndup(*e, len));
	}
	vc_strv_push(set, "PIP_CONFIG_FILE=/dev/null");
	vc_strv_push(set, "PIP_NO_INPUT=1");
	vc_strv_push(set, "PIP_DISABLE_PIP_VERSION_CHECK=1");
	vc_strv_push(set, "PYTHONDONTWRITEBYTECODE=1");
	/* uv's settings, none of them secret; no uv.toml either. */
	vc_installer_env(cfg, set);
	vc_strv_push(set, "UV_NO_CONFIG=1");
}

/*
 * Runs argv: a tool of ours with the mirror's pip settings in its
 * environment, or (`restored`) a program from the store with none of it
 * (restored_env). On failure shows the tail of its output (credentials
 * hidden) and fails.
 */
static int
run_prog(const struct vc_config *cfg, const struct vc_plan *p, const char *what,
    const char *const *argv, int restored, struct vc_error *err)
{
	struct pip_progress pp = {p->env->name, what};
	struct vc_strv env, secrets, unset;
	struct vc_buf out;
	struct vc_proc proc;
	char *shown = NULL;
	int status, rc = -1;

	vc_strv_init(&env);
	vc_strv_init(&secrets);
	vc_strv_init(&unset);
	vc_buf_init(&out);
	if (restored)
		restored_env(cfg, &env, &unset);
	else
		vc_mirror_tool_env(cfg, &env);
	memset(&proc, 0, sizeof proc);
	proc.argv = argv;
	proc.env_set = (const char *const *)env.v;
	proc.env_unset =
	    restored ? (const char *const *)unset.v : vc_tool_env_unset;
	proc.output = &out;
	proc.on_line = pip_line;
	proc.arg = &pp;
	proc.max_output = 256 * 1024;
	vc_step("%s: %s", p->env->name, what);
	status = vc_proc_run(&proc, err);
	vc_progress_done();
	if (status == 0) {
		rc = 0;
		goto out;
	}
	if (status == -1)
		goto out;
	vc_mirror_secrets(cfg, &secrets);
	shown = vc_text_redact(out.data != NULL ? out.data : "", &secrets);
	{
		/* The last lines are where pip says what went wrong. */
		size_t len = strlen(shown), lines = 0;
		const char *s = shown + len;

		while (s > shown && lines < 25)
			if (*--s == '\n' && s + 1 < shown + len)
				lines++;
		fprintf(stderr, "%s%s", s == shown ? "" : "...\n", s);
		if (len > 0 && shown[len - 1] != '\n')
			fputc('\n', stderr);
	}
	{
		/* pip's last line is often only "No matching distribution
		 * found": say why the index could not be reached. */
		char *cause = vc_pip_index_error(shown), *c = NULL;

		if (cause != NULL)
			c = vc_text_redact(cause, &secrets);
		vc_error_set(err, VC_EFAIL,
		    "env %s: %s failed with exit status %d%s%s (its output is "
		    "above)",
		    p->env->name, what, status, c != NULL ? ": " : "",
		    c != NULL ? c : "");
		free(cause);
		free(c);
	}
out:
	free(shown);
	vc_buf_release(&out);
	vc_strv_release(&env);
	vc_strv_release(&secrets);
	vc_strv_release(&unset);
	return rc;
}

static int
run_tool(const struct vc_config *cfg, const struct vc_plan *p, const char *what,
    const char *const *argv, struct vc_error *err)
{
	return run_prog(cfg, p, what, argv, 0, err);
}

static int
write_text(const char *path, const char *text, struct vc_error *err)
{
	return vc_write_file_atomic(path, text, strlen(text), 0644, err);
}

/*
 * The start of a command line running pip's `verb` on the venv whose
 * python is `py`: "uv pip VERB --python PY" or "PY -m pip VERB" ("PY -I
 * -m pip VERB" when `restored`: a venv that may have come from the store
 * runs isolated, with none of our secrets: restored_env). Fills argv from
 * argv[0]; returns how many it filled (at most 5).
 */
static size_t
pip_argv(const struct vc_installer *ins, const char *py, const char *verb,
    int restored, const char **argv)
{
	size_t n = 0;

	if (ins->kind == VC_INSTALLER_UV) {
		argv[n++] = ins->uv;
		argv[n++] = "pip";
		argv[n++] = verb;
		argv[n++] = "--python";
		argv[n++] = py;
	} else {
		argv[n++] = py;
		if (restored)
			argv[n++] = "-I";
		argv[n++] = "-m";
		argv[n++] = "pip";
		argv[n++] = verb;
	}
	return n;
}

/*
 * uv leaves a lock file, <venv>/.lock, that pip never makes: removed, so
 * that a venv is the same whichever installed it.
 */
static void
uv_tidy(const struct vc_installer *ins, const char *dir)
{
	char *lock, *pat;
	glob_t g;
	size_t i;

	if (ins->kind != VC_INSTALLER_UV)
		return;
	lock = vc_path_join(dir, ".lock");
	(void)unlink(lock);
	free(lock);
	/* uv notes where a wheel from a local file came from (the seed's:
	 * uv_seed()); pip never does. */
	pat =
	    vc_path_join(dir, "lib/*/site-packages/*.dist-info/uv_cache.json");
	if (glob(pat, GLOB_NOSORT, NULL, &g) == 0) {
		for (i = 0; i < g.gl_pathc; i++)
			(void)unlink(g.gl_pathv[i]);
		globfree(&g);
	}
	free(pat);
}

/*
 * What `python -m venv` seeds with: ensurepip's wheels. Prints their
 * directory, then "name==version" for pip and setuptools, as ensurepip
 * would install them; nothing where ensurepip takes its wheels from
 * elsewhere (WHEEL_PKG_DIR, Debian's python-wheels), or has none.
 */
static const char seed_probe[] =
    "import ensurepip, glob, os, sysconfig\n"
    "d = os.path.join(os.path.dirname(ensurepip.__file__), '_bundled')\n"
    "w = sorted(glob.glob(os.path.join(d, '*.whl')))\n"
    "if w and not sysconfig.get_config_var('WHEEL_PKG_DIR'):\n"
    "    print(d)\n"
    "    for f in w:\n"
    "        n, v = os.path.basename(f).split('-')[:2]\n"
    "        if n in ('pip', 'setuptools'):\n"
    "            print(n + '==' + v)\n";

/*
 * Whether venvcache compiles the venv's bytecode itself (the bytecode
 * cache: bytecode.h) rather than uv with --compile-bytecode. pip always
 * compiles what it installs.
 */
static int
own_bytecode(const struct vc_installer *ins, const struct vc_plan *p)
{
	/* Where these ask for hash-checked pycs, uv and pip write those
	 * (py_compile's default); the cache writes timestamp ones. */
	const char *sde = getenv("SOURCE_DATE_EPOCH");
	const char *pim = getenv("PYC_INVALIDATION_MODE");

	return ins->kind == VC_INSTALLER_UV && ins->bytecode != NULL &&
	    vc_bytecode_supported(&p->interp) &&
	    (sde == NULL || *sde == '\0') && (pim == NULL || *pim == '\0');
}

/* The bytecode of the venv at `dir`, when it is ours to compile; what a
 * venv `restored` from the store compiles is not kept. */
static int
venv_bytecode(const struct vc_installer *ins, const struct vc_plan *p,
    const char *dir, int restored, const char *scratch, struct vc_error *err)
{
	struct vc_bytecode_stats st;
	int rc;

	if (!own_bytecode(ins, p))
		return 0;
	vc_step("%s: bytecode", p->env->name);
	rc = vc_bytecode_compile(&p->interp, dir, ins->bytecode, !restored,
	    scratch, &st, err);
	if (rc == 0)
		vc_step("%s: bytecode: %zu modules, %zu up to date, %zu from "
		        "the bytecode cache, %zu compiled (%zu kept), %zu "
		        "skipped",
		    p->env->name, st.sources, st.current, st.reused,
		    st.compiled, st.stored, st.skipped);
	else
		vc_error_prefix(err, "env %s", p->env->name);
	return rc;
}

/*
 * creator = venv and seed = yes with uv: `python -m venv` runs ensurepip,
 * which installs pip with pip itself (several seconds, most of a miss
 * with uv). This makes the venv --without-pip and installs ensurepip's own
 * wheels, the same versions, from their directory with uv (no index).
 * Returns 0 when done, -1 on failure, 1 when ensurepip's wheels cannot be
 * told from here (then the caller runs ensurepip as usual).
 */
static int
uv_seed(const struct vc_config *cfg, const struct vc_installer *ins,
    const struct vc_plan *p, const char *dir, struct vc_error *err)
{
	const char *probe[] = {p->interp.executable, "-I", "-c", seed_probe,
	    NULL};
	const char *argv[24];
	char *py = vc_path_join(dir, "bin/python"), *line, *save = NULL;
	struct vc_strv lines;
	struct vc_proc proc;
	struct vc_buf b;
	struct vc_error e2;
	size_t i, n = 0;
	int rc = 1;

	vc_buf_init(&b);
	vc_strv_init(&lines);
	memset(&proc, 0, sizeof proc);
	proc.argv = probe;
	proc.output = &b;
	proc.null_stdin = 1;
	proc.output_limit = 64 * 1024;
	proc.timeout = 60;
	vc_error_clear(&e2);
	if (vc_proc_run(&proc, &e2) != 0 || b.data == NULL)
		goto out;
	for (line = strtok_r(b.data, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save))
		vc_strv_push(&lines, line);
	if (lines.n < 2 || lines.n > 3 || lines.v[0][0] != '/')
		goto out;
	rc = -1;
	argv[n++] = p->interp.executable;
	argv[n++] = "-I"; /* as below */
	argv[n++] = "-S";
	argv[n++] = "-m";
	argv[n++] = "venv";
	argv[n++] = "--without-pip";
	argv[n++] = dir;
	argv[n] = NULL;
	if (run_tool(cfg, p, "venv", argv, err) == -1)
		goto out;
	n = pip_argv(ins, py, "install", 0, argv);
	argv[n++] = "--no-index";
	argv[n++] = "--find-links";
	argv[n++] = lines.v[0];
	/* pip compiles what it installs, ensurepip's pip included (here, or
	 * with the rest: venv_bytecode). */
	if (!own_bytecode(ins, p))
		argv[n++] = "--compile-bytecode";
	for (i = 1; i < lines.n; i++)
		argv[n++] = lines.v[i];
	argv[n] = NULL;
	if (run_tool(cfg, p, "uv pip install (ensurepip's wheels)", argv,
	        err) == -1)
		goto out;
	uv_tidy(ins, dir);
	rc = 0;
out:
	vc_strv_release(&lines);
	vc_buf_release(&b);
	free(py);
	return rc;
}

/*
 * Makes the empty venv at `dir` with the creator setting, with pip in it
 * or not as the seed setting says.
 */
static int
make_empty_venv(const struct vc_config *cfg, const struct vc_installer *ins,
    const struct vc_plan *p, const char *dir, struct vc_error *err)
{
	const char *creator = vc_config_str(cfg, VC_S_CREATOR);
	int seed = vc_config_bool(cfg, VC_S_SEED);
	const char *argv[16];
	int n = 0, rc;

	if (strcmp(creator, "venv") == 0 && seed &&
	    ins->kind == VC_INSTALLER_UV &&
	    (rc = uv_seed(cfg, ins, p, dir, err)) != 1)
		return rc;
	if (strcmp(creator, "uv") == 0) {
		argv[n++] = ins->uv;
		argv[n++] = "venv";
		argv[n++] = "--quiet";
		if (seed)
			argv[n++] = "--seed";
		argv[n++] = "--python";
		argv[n++] = p->interp.executable;
		argv[n++] = dir;
	} else if (strcmp(creator, "virtualenv") == 0) {
		argv[n++] = p->interp.executable;
		argv[n++] = "-m";
		argv[n++] = "virtualenv";
		if (!seed)
			argv[n++] = "--no-seed";
		argv[n++] = dir;
	} else {
		/* The standard library's venv, whatever PYTHONPATH or the
		 * user's site would put first; no site import (10 ms of 45). */
		argv[n++] = p->interp.executable;
		argv[n++] = "-I";
		argv[n++] = "-S";
		argv[n++] = "-m";
		argv[n++] = "venv";
		if (!seed)
			argv[n++] = "--without-pip";
		argv[n++] = dir;
	}
	argv[n] = NULL;
	if (run_tool(cfg, p, creator, argv, err) == -1) {
		if (strcmp(creator, "virtualenv") == 0)
			vc_error_prefix(err,
			    "creator = virtualenv needs virtualenv installed "
			    "for "
			    "'%s' (or set creator = venv)",
			    p->interp.executable);
		return -1;
	}
	return 0;
}

/*
 * Creates a venv at `dir` with the env's interpreter and installs its set
 * with the installer; says which one in *ins.
 */
static int
create_venv(const struct vc_config *cfg, const struct vc_plan *p,
    const char *dir, const char *scratch, struct vc_installer *ins,
    struct vc_error *err)
{
	char *py = vc_path_join(dir, "bin/python");
	char *reqfile = NULL, *consfile = NULL, *text = NULL, *cons = NULL;
	const char *argv[16];
	int rc = -1;
	size_t n;

	if (vc_installer_choose(ins, cfg, err) == -1)
		goto out;
	vc_step("%s: %s", p->env->name, ins->why);
	vc_phase(VC_PHASE_CREATING);
	if (make_empty_venv(cfg, ins, p, dir, err) == -1)
		goto out;

	text = vc_reqset_pip_text(&p->reqs);
	if (p->is_resolved) {
		/* Exactly what the key names: the resolution's pins. */
		struct vc_buf b;
		char *pins = vc_resolution_requirements(&p->resolution, 0);
		size_t i;

		vc_buf_init(&b);
		for (i = 0; i < p->reqs.index_options.n; i++)
			vc_buf_addf(&b, "%s\n", p->reqs.index_options.v[i]);
		for (i = 0; i < p->reqs.options.n; i++)
			vc_buf_addf(&b, "%s\n", p->reqs.options.v[i]);
		vc_buf_adds(&b, pins);
		free(pins);
		free(text);
		text = vc_buf_detach(&b);
	}
	if (p->reqs.n == 0 && !p->is_resolved) {
		/* nothing to install but the seed */
		rc = venv_bytecode(ins, p, dir, 0, scratch, err);
		goto out;
	}
	reqfile = xasprintf("%s/.venvcache-requirements.txt", scratch);
	if (write_text(reqfile, text, err) == -1)
		goto out;
	cons = vc_reqset_pip_constraints(&p->reqs);
	n = pip_argv(ins, py, "install", 0, argv);
	if (ins->kind == VC_INSTALLER_UV) {
		/* pip compiles every module it installs; so must uv, for the
		 * same venv, or we do (venv_bytecode). */
		if (!own_bytecode(ins, p))
			argv[n++] = "--compile-bytecode";
		if (vc_strv_contains(&p->reqs.options, "--pre"))
			argv[n++] = "--prerelease=allow";
	} else {
		argv[n++] = "--no-input";
	}
	argv[n++] = "-r";
	argv[n++] = reqfile;
	if (*cons != '\0') {
		consfile = xasprintf("%s/.venvcache-constraints.txt", scratch);
		if (write_text(consfile, cons, err) == -1)
			goto out;
		argv[n++] = "-c";
		argv[n++] = consfile;
	}
	argv[n] = NULL;
	vc_phase(VC_PHASE_INSTALLING);
	if (run_tool(cfg, p,
	        ins->kind == VC_INSTALLER_UV ? "uv pip install" : "pip install",
	        argv, err) == -1)
		goto out;
	uv_tidy(ins, dir);
	rc = venv_bytecode(ins, p, dir, 0, scratch, err);
out:
	if (reqfile != NULL)
		unlink(reqfile);
	if (consfile != NULL)
		unlink(consfile);
	free(reqfile);
	free(consfile);
	free(text);
	free(cons);
	free(py);
	return rc;
}

static void editable_files(const char *dir, struct vc_strv *out);

/* --- the project cache (projcache.h) ------------------------------- */

/* The project's directory, without "[extras]", resolved; or NULL. */
static char *
project_dir(const char *spec)
{
	char *d = xstrndup(spec, strcspn(spec, "[")), *real;

	real = realpath(d, NULL);
	free(d);
	return real;
}

/*
 * The key of the project's installed files: the env's store key (the
 * interpreter and the whole set, so the build backend), the installer
 * (uv's program, its size and mtime), the venv's and the project's real
 * paths, the form (editable, extras) and the project tree's hash. -1 when
 * there is none (a tree too large, unreadable): installed for real.
 */
static int
project_cache_key(const struct vc_config *cfg, const struct vc_plan *p,
    const struct vc_installer *ins, char key[VC_PROJCACHE_KEY_MAX])
{
	const char *skip[] = {vc_config_str(cfg, VC_S_VENV_ROOT),
	    vc_config_str(cfg, VC_S_CACHE_DIR), NULL};
	char *proj = project_dir(p->project), *venv = realpath(p->path, NULL);
	const char *extras = strchr(p->project, '[');
	char tree[33], id[33], *doc;
	struct vc_error e;
	struct stat sb;
	int rc = -1;

	if (proj == NULL || venv == NULL)
		goto out;
	if (vc_projcache_tree_hash(proj, skip, tree, &e) != 0) {
		vc_step("env %s: the project is installed, not taken from the "
		        "project cache: %s",
		    p->env->name, e.msg);
		goto out;
	}
	if (ins->kind != VC_INSTALLER_UV || ins->uv == NULL ||
	    stat(ins->uv, &sb) == -1)
		memset(&sb, 0, sizeof sb);
	/* All but the tree: what a new entry replaces (vc_projcache_save). */
	/* The paths as pip sees them (in scripts' #! lines, the .pth) and
	 * as they resolve. */
	doc = xasprintf("venvcache-project-install 1\nstore-key %s\n"
	                "installer %s %s %lld %lld\nvenv %s %s\n"
	                "project %s %s\nform editable extras %s\n",
	    p->key.key, vc_installer_name(ins),
	    ins->kind == VC_INSTALLER_UV && ins->uv != NULL ? ins->uv : "-",
	    (long long)sb.st_size, (long long)sb.st_mtime, venv, p->path, proj,
	    p->project, extras != NULL ? extras : "-");
	vc_projcache_hash_text(doc, id);
	{
		char *full = xasprintf("%stree %s\n", doc, tree);
		char h[33];

		vc_projcache_hash_text(full, h);
		snprintf(key, VC_PROJCACHE_KEY_MAX, "%.16s-%s", id, h);
		vc_debug("env %s: project cache key %s of:\n%s", p->env->name,
		    key, full);
		free(full);
	}
	free(doc);
	rc = 0;
out:
	free(proj);
	free(venv);
	return rc;
}

/*
 * Puts the project's files from the project cache into the venv: 1 when
 * done, 0 when not (no entry, one refused: removed, with a warning).
 * Never when the venv holds an editable install already.
 */
static int
project_cache_put(const struct vc_config *cfg, const struct vc_plan *p,
    const char *key)
{
	const char *cache = vc_config_str(cfg, VC_S_CACHE_DIR);
	struct tmpdir t = {NULL, -1};
	struct vc_strv have;
	struct vc_error e;
	char *proj = project_dir(p->project);
	int r = 0;

	vc_strv_init(&have);
	editable_files(p->path, &have);
	if (have.n > 0 || proj == NULL)
		goto out;
	if (tmpdir_make(vc_config_str(cfg, VC_S_VENV_ROOT), p->env->name, &t,
	        &e) == -1) {
		vc_warn("env %s: %s", p->env->name, e.msg);
		goto out;
	}
	r = vc_projcache_restore(cache, p->key.key, key, p->path, proj, t.path,
	    &e);
	if (r == -1) {
		char *f = vc_projcache_entry_path(cache, p->key.key, key);

		vc_warn("env %s: %s; installing the project", p->env->name,
		    e.msg);
		if (e.code == VC_EHOSTILE || e.code == VC_ECORRUPT)
			(void)unlink(f);
		free(f);
		r = 0;
	}
out:
	if (t.path != NULL || t.fd != -1)
		tmpdir_drop(&t);
	vc_strv_release(&have);
	free(proj);
	return r;
}

/* Keeps what the install added; a failure only warns. */
static void
project_cache_keep(const struct vc_config *cfg, const struct vc_plan *p,
    const char *key)
{
	struct tmpdir t = {NULL, -1};
	struct vc_strv files;
	struct vc_error e;
	char *proj = project_dir(p->project);
	int found;

	vc_strv_init(&files);
	if (proj == NULL)
		goto out;
	found = vc_projcache_files(p->path, proj, &files, &e);
	if (found != 1) {
		if (found == -1)
			vc_warn("env %s: the project is not cached: %s",
			    p->env->name, e.msg);
		goto out;
	}
	if (tmpdir_make(vc_config_str(cfg, VC_S_VENV_ROOT), p->env->name, &t,
	        &e) == -1 ||
	    vc_projcache_save(vc_config_str(cfg, VC_S_CACHE_DIR), p->key.key,
	        key, p->path, t.path, &files, &e) == -1)
		vc_warn("env %s: the project is not cached: %s", p->env->name,
		    e.msg);
out:
	if (t.path != NULL || t.fd != -1)
		tmpdir_drop(&t);
	vc_strv_release(&files);
	free(proj);
}

/*
 * pip install -e of the project under test, with the installer. Only the
 * project: its dependencies and build backend are in the env's set
 * (vc_project_requirements()), installed at creation and restored; no
 * index is needed on a hit.
 */
static int
install_project(const struct vc_config *cfg, const struct vc_plan *p,
    struct vc_stats *delta, struct vc_error *err)
{
	char *py = vc_path_join(p->path, "bin/python");
	struct vc_installer ins;
	const char *argv[16];
	char key[VC_PROJCACHE_KEY_MAX];
	size_t n;
	int rc = -1, have_key = 0;

	if (vc_installer_choose(&ins, cfg, err) == -1)
		goto out;
	if (vc_config_bool(cfg, VC_S_PROJECT_CACHE) &&
	    project_cache_key(cfg, p, &ins, key) == 0) {
		have_key = 1;
		if (project_cache_put(cfg, p, key) == 1) {
			vc_step("%s: the project from the project cache",
			    p->env->name);
			delta->c[VC_C_project_cache_hits]++;
			rc = 0;
			goto out;
		}
	}
	/* The venv may have come from the store: its python runs with -I
	 * and none of our secrets (restored_env); uv, which runs it too,
	 * has none of them either. */
	n = pip_argv(&ins, py, "install", 1, argv);
	if (ins.kind == VC_INSTALLER_PIP)
		argv[n++] = "--no-input";
	argv[n++] = "--no-deps";
	argv[n++] = "--no-build-isolation";
	argv[n++] = "--no-index";
	/* pip without --use-pep517 takes a setup.py-only project through
	 * "setup.py develop", which setuptools >= 80 runs as "pip install
	 * -e . --use-pep517 --no-deps", with build isolation and the index:
	 * a hit of retrying 1.3.4 failed with the mirror stopped. With it,
	 * the venv's setuptools builds the editable wheel (PEP 660); a
	 * setuptools < 64, which lacks that hook, still gets "setup.py
	 * develop". uv always builds through PEP 517. */
	if (ins.kind == VC_INSTALLER_PIP)
		argv[n++] = "--use-pep517";
	argv[n++] = "-e";
	argv[n++] = p->project;
	argv[n] = NULL;
	vc_phase(VC_PHASE_INSTALLING);
	rc = run_prog(cfg, p,
	    ins.kind == VC_INSTALLER_UV ? "uv pip install -e (the project)"
	                                : "pip install -e (the project)",
	    argv, 1, err);
	uv_tidy(&ins, p->path);
	if (rc == 0 && have_key)
		project_cache_keep(cfg, p, key);
out:
	vc_installer_release(&ins);
	free(py);
	return rc;
}

/* pip.conf for the mirror, then the project under test. */
static int
finish_project(const struct vc_config *cfg, const struct vc_plan *p,
    struct vc_stats *delta, struct vc_error *err)
{
	char *conf = vc_mirror_pip_conf(cfg), *path;
	int rc = 0;

	path = vc_path_join(p->path, "pip.conf");
	if (conf != NULL)
		rc = write_text(path, conf, err);
	else
		(void)unlink(path);
	free(conf);
	free(path);
	if (rc == -1)
		return vc_error_prefix(err, "env %s", p->env->name);
	if (p->project != NULL)
		rc = install_project(cfg, p, delta, err);
	return rc;
}

/* The stamp that makes the venv at p->path ready, written last. */
static int
mark_ready(const struct vc_plan *p, struct vc_error *err)
{
	if (write_stamp(p, p->path, 0, err) == -1)
		return vc_error_prefix(err,
		    "env %s: cannot mark the venv ready", p->env->name);
	return 0;
}

/*
 * Whether warm may put a tree at p->path: nothing there, an empty
 * directory, or a venv of ours (it has a stamp, for whatever key). Anything
 * else is somebody's: never replaced.
 */
static int
path_replaceable(const struct vc_plan *p, struct vc_error *err)
{
	struct stat st;
	char *stamp;
	int ours;

	if (lstat(p->path, &st) == -1) {
		if (errno == ENOENT)
			return 0;
		return vc_error_sys(err, "cannot read '%s'", p->path);
	}
	if (S_ISDIR(st.st_mode)) {
		stamp = vc_path_join(p->path, VC_STAMP_NAME);
		ours = lstat(stamp, &st) == 0 && S_ISREG(st.st_mode);
		free(stamp);
		if (ours || vc_dir_is_empty(p->path))
			return 0;
	}
	return vc_error_set(err, VC_EFAIL,
	    "env %s: '%s' exists and was not made by venvcache (it has no %s): "
	    "remove it, or choose another venv-root or env name",
	    p->env->name, p->path, VC_STAMP_NAME);
}

/* --- store side ---------------------------------------------------- */

/*
 * Restores the entry of the plan's key into t->path. 0 on success,
 * -1 with VC_EMISS when there is no usable entry (a bad one is removed),
 * -1 otherwise.
 */
static int
restore_entry(struct vc_plan *p, struct vc_store *st, const char *key,
    struct tmpdir *t, const char *dest, struct vc_warm_result *res,
    struct vc_error *err)
{
	struct vc_extract_opts xo;
	struct vc_extract_result xr;
	struct vc_manifest m;
	struct vc_error e2;
	int fd = -1, rc = -1;

	vc_manifest_init(&m);
	if (vc_store_lookup(st, key, &m, &fd, err) == -1) {
		/* A manifest without archive, or unreadable: rebuild. */
		if (err->code == VC_ECORRUPT)
			goto bad;
		goto out;
	}
	if (vc_store_verify(st, &m, fd, err) == -1) {
		if (err->code != VC_ECORRUPT)
			goto out;
		goto bad;
	}
	if (m.unpacked_size == 0 || m.file_count == 0) {
		/* 0 would mean "no limit" to the extractor: never trust it. */
		vc_error_set(err, VC_ECORRUPT, "its manifest says it is empty");
		goto bad;
	}
	if (vc_tmpfs_check_space(t->path, m.unpacked_size, m.file_count, err) ==
	    -1)
		goto out;
	memset(&xo, 0, sizeof xo);
	xo.max_bytes = m.unpacked_size;
	xo.max_files = m.file_count;
	xo.frames = m.frames;
	xo.nframes = m.nframes;
	xo.verified = 1; /* vc_store_verify() above */
	vc_step("%s: restoring %s", p->env->name, key);
	vc_phase(VC_PHASE_RESTORING);
	if (vc_archive_extract(fd, t->path, &xo, &xr, err) == -1) {
		if (err->code == VC_EHOSTILE || err->code == VC_ECORRUPT)
			goto bad;
		goto out;
	}
	if (vc_venv_relocate(t->path, m.prefix, dest, &m.prefix_files,
	        m.unpacked_size, err) == -1)
		goto bad;
	vc_store_touch(st, key);
	res->size = m.unpacked_size;
	res->packed = m.archive_size;
	res->delta.c[VC_C_bytes_restored] += xr.bytes;
	res->delta.c[VC_C_restores]++;
	/* The entry's creation time: vc_warm takes off the whole warm's. */
	res->saved = m.create_seconds;
	rc = 0;
	goto out;
bad:
	if (!tmpdir_intact(t)) {
		vc_error_set(err, VC_EFAIL,
		    "'%s' was removed or replaced while the entry was restored "
		    "into it; the entry is kept",
		    t->path);
		goto out;
	}
	/* Never extracted into place; rebuilt instead. */
	vc_warn("env %s: removing store entry %s: %s", p->env->name, key,
	    err->msg);
	res->delta.c[VC_C_failed_restores]++;
	if (fd != -1) {
		close(fd);
		fd = -1;
	}
	vc_error_clear(&e2);
	if (vc_store_remove(st, key, &e2) == -1)
		vc_warn("%s", e2.msg);
	/* Start again from an empty directory. */
	if (vc_empty_dir(t->path, &e2) == -1)
		vc_error_set(err, VC_EFAIL, "%s", e2.msg);
	else
		vc_error_set(err, VC_EMISS, "entry removed");
out:
	if (fd != -1)
		close(fd);
	vc_manifest_release(&m);
	return rc;
}

/*
 * Calls `each` with every *.dist-info directory in the venv at `dir`:
 * `site` is the path of its site-packages, `rel` that path relative to
 * `dir` ("lib/python3.12/site-packages"), `name` the directory's name.
 */
static void
each_dist_info(const char *dir,
    void (
        *each)(const char *site, const char *rel, const char *name, void *arg),
    void *arg)
{
	char *lib = vc_path_join(dir, "lib");
	struct dirent *de, *pe;
	DIR *ld, *sd;

	if ((ld = opendir(lib)) == NULL)
		goto out;
	while ((de = readdir(ld)) != NULL) {
		char *site, *rel;

		if (strncmp(de->d_name, "python", 6) != 0)
			continue;
		rel = xasprintf("lib/%s/site-packages", de->d_name);
		site = vc_path_join(dir, rel);
		if ((sd = opendir(site)) != NULL) {
			while ((pe = readdir(sd)) != NULL)
				if (vc_str_endswith(pe->d_name, ".dist-info"))
					each(site, rel, pe->d_name, arg);
			closedir(sd);
		}
		free(site);
		free(rel);
	}
	closedir(ld);
out:
	free(lib);
}

/* "name-1.0.dist-info" as "name==1.0", its name PEP 503-normalised. */
static void
add_installed(const char *site, const char *rel, const char *n, void *arg)
{
	struct vc_strv *out = arg;
	const char *dash = strchr(n, '-');
	char *name, *norm;

	if (dash == NULL)
		return;
	name = xstrndup(n, (size_t)(dash - n));
	norm = vc_name_normalize(name);
	vc_strv_pushf(out, "%s==%.*s", norm,
	    (int)(strlen(dash + 1) - strlen(".dist-info")), dash + 1);
	free(name);
	free(norm);
}

/*
 * What a venv holds, as "name==version" lines (PEP 503 names), read from
 * its site-packages' *.dist-info directories: no Python started. Partial
 * hits compare these.
 */
static void
installed_set(const char *dir, struct vc_strv *out)
{
	each_dist_info(dir, add_installed, out);
	vc_strv_sort_uniq(out);
}

/*
 * An editable install's *.dist-info (its direct_url.json says editable)
 * and the files its RECORD lists, relative to the venv, into `arg`.
 */
static void
add_editable(const char *site, const char *rel, const char *di, void *arg)
{
	struct vc_strv *out = arg;
	struct vc_buf b;
	struct vc_error e;
	json_t *du;
	char *f, *line, *save = NULL;
	int editable;

	f = xasprintf("%s/%s/direct_url.json", site, di);
	du = json_load_file(f, 0, NULL);
	free(f);
	editable = json_is_true(
	    json_object_get(json_object_get(du, "dir_info"), "editable"));
	json_decref(du);
	if (!editable)
		return;
	vc_strv_pushf(out, "%s/%s", rel, di);
	vc_buf_init(&b);
	f = xasprintf("%s/%s/RECORD", site, di);
	if (vc_read_file(f, 16 << 20, &b, &e) == 0) {
		for (line = strtok_r(b.data, "\n", &save); line != NULL;
		     line = strtok_r(NULL, "\n", &save)) {
			char *path, *norm;

			/* CSV: a quoted first field or up to ','. */
			if (*line == '"')
				path =
				    xstrndup(line + 1, strcspn(line + 1, "\""));
			else
				path = xstrndup(line, strcspn(line, ","));
			norm = vc_path_join(rel, path);
			free(path);
			/* Only what is inside the venv. */
			path = vc_path_normalize(norm);
			free(norm);
			if (path != NULL && *path != '/' &&
			    strcmp(path, ".") != 0)
				vc_strv_take(out, path);
			else
				free(path);
		}
	}
	free(f);
	vc_buf_release(&b);
}

/*
 * The files of editable installs (the project under test) in the venv at
 * `dir`, relative to it: each *.dist-info whose direct_url.json says
 * editable, and what its RECORD lists. `save` leaves them out.
 */
static void
editable_files(const char *dir, struct vc_strv *out)
{
	each_dist_info(dir, add_editable, out);
}

/*
 * An entry packed into the store but not yet published: a creation packs
 * the tree before the project is installed into it (the project never
 * enters the archive), and publishes only once the venv is known good.
 */
struct pending_save {
	struct vc_store_txn txn;
	struct vc_manifest m;
	struct vc_pack_result pr;
	int packed;
};

static void
pending_init(struct pending_save *ps)
{
	memset(ps, 0, sizeof *ps);
	ps->txn.fd = -1;
	vc_manifest_init(&ps->m);
	vc_pack_result_init(&ps->pr);
}

/* Drops what was packed and not published. */
static void
pending_release(struct vc_store *st, struct pending_save *ps)
{
	if (st != NULL)
		vc_store_abort(st, &ps->txn);
	vc_manifest_release(&ps->m);
	vc_pack_result_release(&ps->pr);
	ps->packed = 0;
}

/* What ensurepip or the creator puts in every venv: never uninstalled. */
static int
base_package(const char *name)
{
	return strcmp(name, "pip") == 0 || strcmp(name, "setuptools") == 0 ||
	    strcmp(name, "wheel") == 0 || strcmp(name, "distribute") == 0;
}

/* The name part of a "name==version" line. */
static char *
line_name(const char *line)
{
	return xstrndup(line, strcspn(line, "=@"));
}

/* Whether `v` holds a line whose name part is `name`. */
static int
has_name(const struct vc_strv *v, const char *name)
{
	size_t i, n = strlen(name);

	for (i = 0; i < v->n; i++)
		if (strncmp(v->v[i], name, n) == 0 &&
		    (v->v[i][n] == '=' || v->v[i][n] == '@' ||
		        v->v[i][n] == '\0'))
			return 1;
	return 0;
}

static char *
join(const struct vc_strv *v)
{
	struct vc_buf b;
	size_t i;

	vc_buf_init(&b);
	vc_buf_adds(&b, "");
	for (i = 0; i < v->n; i++)
		vc_buf_addf(&b, "%s%s", i > 0 ? ", " : "", v->v[i]);
	return vc_buf_detach(&b);
}

/*
 * What is packed is what the key says: the distributions installed in the
 * venv at `dir` against the plan's resolved set (or, for a declared set,
 * the entry's recorded set `recorded` when there is one, else its pins).
 * The project under test (editable) is left out on both sides, and pip,
 * setuptools and wheel are only compared when the set names them. Fails
 * naming the extra and missing distributions.
 */
static int
check_installed(const struct vc_plan *p, const char *dir,
    const struct vc_strv *recorded, struct vc_error *err)
{
	struct vc_strv have, want, files, editable, extra, missing;
	int exact = 1, rc = -1;
	size_t i;

	vc_strv_init(&have);
	vc_strv_init(&want);
	vc_strv_init(&files);
	vc_strv_init(&editable);
	vc_strv_init(&extra);
	vc_strv_init(&missing);
	installed_set(dir, &have);
	editable_files(dir, &files);
	if (p->is_resolved) {
		for (i = 0; i < p->resolution.n; i++) {
			const struct vc_resolved *it = &p->resolution.items[i];

			if (it->direct)
				vc_strv_push(&want, it->name);
			else
				vc_strv_pushf(&want, "%s==%s", it->name,
				    it->version);
		}
	} else if (recorded != NULL && recorded->n > 0) {
		for (i = 0; i < recorded->n; i++)
			vc_strv_push(&want, recorded->v[i]);
	} else {
		/* A declared set: what it pins must be there; what pip
		 * added for them cannot be told from here. */
		exact = 0;
		for (i = 0; i < p->reqs.n; i++) {
			const struct vc_req *r = &p->reqs.reqs[i];

			if (r->constraint || r->kind != VC_REQ_NAMED ||
			    r->name == NULL || r->marker != NULL ||
			    strncmp(r->specifier, "==", 2) != 0 ||
			    strpbrk(r->specifier, ",*") != NULL)
				continue;
			vc_strv_pushf(&want, "%s==%s", r->name,
			    r->specifier + 2);
		}
	}
	vc_strv_sort_uniq(&want);
	/* Names of the editable installs: their *.dist-info entries. */
	for (i = 0; i < files.n; i++) {
		const char *b = strrchr(files.v[i], '/');
		char *raw;

		b = b != NULL ? b + 1 : files.v[i];
		if (!vc_str_endswith(b, ".dist-info") || strchr(b, '-') == NULL)
			continue;
		raw = xstrndup(b, strcspn(b, "-"));
		vc_strv_take(&editable, vc_name_normalize(raw));
		free(raw);
	}
	for (i = 0; i < have.n; i++) {
		char *name = line_name(have.v[i]);
		int skip = vc_strv_contains(&editable, name) ||
		    (base_package(name) && !has_name(&want, name));

		if (!skip && exact && !vc_strv_contains(&want, have.v[i]) &&
		    !vc_strv_contains(&want, name))
			vc_strv_push(&extra, have.v[i]);
		free(name);
	}
	for (i = 0; i < want.n; i++) {
		char *name = line_name(want.v[i]);

		if (!vc_strv_contains(&editable, name) &&
		    !vc_strv_contains(&have, want.v[i]) &&
		    !(strchr(want.v[i], '=') == NULL && has_name(&have, name)))
			vc_strv_push(&missing, want.v[i]);
		free(name);
	}
	if (extra.n > 0 || missing.n > 0) {
		char *e = join(&extra), *m = join(&missing);

		vc_error_set(err, VC_EFAIL,
		    "env %s: the venv at '%s' is not what key %s says%s%s%s%s "
		    "(changed after warm?): not saved; remove it and warm "
		    "again",
		    p->env->name, dir, p->key.key,
		    extra.n > 0 ? "; not in its set: " : "", e,
		    missing.n > 0 ? "; missing: " : "", m);
		free(e);
		free(m);
		goto out;
	}
	rc = 0;
out:
	vc_strv_release(&have);
	vc_strv_release(&want);
	vc_strv_release(&files);
	vc_strv_release(&editable);
	vc_strv_release(&extra);
	vc_strv_release(&missing);
	return rc;
}

/* Packs the venv at `dir` (whose files name `prefix`) under the key. */
static int
save_pack(const struct vc_config *cfg, struct vc_plan *p, struct vc_store *st,
    const char *dir, const char *prefix, const char *const *exclude,
    double create_seconds, const char *installer, struct pending_save *ps,
    struct vc_error *err)
{
	struct vc_pack_opts po;
	struct vc_pack_result *pr = &ps->pr;
	struct vc_manifest *m = &ps->m;
	size_t i;

	if (vc_store_begin(st, p->key.key, &ps->txn, err) == -1)
		return -1;
	memset(&po, 0, sizeof po);
	po.level = (int)vc_config_int(cfg, VC_S_COMPRESSION_LEVEL);
	po.prefix = prefix;
	po.exclude = exclude;
	vc_step("%s: packing %s", p->env->name, p->key.key);
	vc_phase(VC_PHASE_PACKING);
	if (vc_archive_pack(dir, ps->txn.fd, &po, pr, err) == -1)
		return -1;
	m->format = VC_MANIFEST_FORMAT;
	m->key = xstrdup(p->key.key);
	m->env = xstrdup(p->env->name);
	m->python = xstrdup(p->interp.executable);
	m->python_version = xstrdup(p->interp.version);
	m->prefix = xstrdup(prefix);
	m->unpacked_size = pr->unpacked_size;
	m->file_count = pr->file_count;
	m->archive_size = pr->archive_size;
	memcpy(m->checksum, pr->checksum, sizeof m->checksum);
	m->create_seconds = create_seconds;
	m->created = (int64_t)vc_now();
	if (installer != NULL)
		m->installer = xstrdup(installer);
	m->unseeded = !vc_config_bool(cfg, VC_S_SEED);
	for (i = 0; i < pr->prefix_files.n; i++)
		vc_strv_push(&m->prefix_files, pr->prefix_files.v[i]);
	installed_set(dir, &m->requirements);
	if (pr->nframes > 0) {
		m->frames = xmalloc(pr->nframes * sizeof *m->frames);
		memcpy(m->frames, pr->frames, pr->nframes * sizeof *m->frames);
		m->nframes = pr->nframes;
	}
	ps->packed = 1;
	return 0;
}

/* Publishes what save_pack() packed, then keeps the store in max-size. */
static int
save_commit(const struct vc_config *cfg, struct vc_store *st,
    struct pending_save *ps, struct vc_warm_result *res, struct vc_error *err)
{
	struct vc_gc_result gc;
	struct vc_error e2;

	if (vc_store_commit(st, &ps->txn, &ps->m, err) == -1)
		return -1;
	ps->packed = 0;
	res->delta.c[VC_C_saves]++;
	res->delta.c[VC_C_bytes_saved] += ps->pr.archive_size;
	res->size = ps->pr.unpacked_size;
	res->packed = ps->pr.archive_size;
	/* Keep the store within max-size after each save. */
	vc_error_clear(&e2);
	if (vc_store_gc(st, vc_config_size(cfg, VC_S_MAX_SIZE), 0, 0, &gc,
	        &e2) == -1) {
		vc_warn("gc: %s", e2.msg);
	} else if (gc.removed > 0) {
		char sz[32], max[32];

		res->delta.c[VC_C_evictions] += gc.removed;
		vc_note("gc: removed %llu least recently used %s (%s) to keep "
		        "the store within max-size %s",
		    (unsigned long long)gc.removed,
		    gc.removed == 1 ? "entry" : "entries",
		    vc_format_size(gc.freed, sz, sizeof sz),
		    vc_format_size(vc_config_size(cfg, VC_S_MAX_SIZE), max,
		        sizeof max));
	}
	return 0;
}

/*
 * Packs the tree at `dir` into nothing: what an archive of it would take,
 * and the files that hold its prefix (to relocate it), when it cannot be
 * packed into the store.
 */
static int
dry_pack(const struct vc_config *cfg, const char *dir,
    struct vc_pack_result *pr, struct vc_error *err)
{
	struct vc_pack_opts po;
	int fd, rc;

	fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (fd == -1)
		return vc_error_sys(err, "cannot open '/dev/null'");
	memset(&po, 0, sizeof po);
	po.level = (int)vc_config_int(cfg, VC_S_COMPRESSION_LEVEL);
	po.prefix = dir;
	po.exclude = not_cached;
	rc = vc_archive_pack(dir, fd, &po, pr, err);
	close(fd);
	return rc;
}

/*
 * Evicts least recently used entries until `need` more bytes would fit in
 * the store's present size; only when max-size is set (eviction is then
 * the store's policy anyway). 1 when something was removed.
 */
static int
make_room(const struct vc_config *cfg, struct vc_store *st, uint64_t need,
    struct vc_warm_result *res)
{
	uint64_t max = vc_config_size(cfg, VC_S_MAX_SIZE), total = 0;
	struct vc_store_entry *v = NULL;
	struct vc_gc_result gc;
	struct vc_error e2;
	size_t i, n = 0;

	vc_error_clear(&e2);
	if (max == 0 || st->readonly || vc_store_list(st, &v, &n, &e2) == -1)
		return 0;
	for (i = 0; i < n; i++)
		total += v[i].size;
	vc_store_entries_free(v, n);
	if (total == 0 ||
	    vc_store_gc(st, total > need ? total - need : 1, 0, 0, &gc, &e2) ==
	        -1 ||
	    gc.removed == 0)
		return 0;
	res->delta.c[VC_C_evictions] += gc.removed;
	vc_note("gc: removed %llu least recently used entr%s to make room",
	    (unsigned long long)gc.removed, gc.removed == 1 ? "y" : "ies");
	return 1;
}

/*
 * Packs the venv built in t->path (not yet published) and relocates it
 * for plan->path. When the store cannot take it (full, read-only), gc is
 * tried first (make_room), then the venv is used all the same with a
 * warning: it is not cached.
 */
static int
pack_new(const struct vc_config *cfg, struct vc_plan *p, struct vc_store *st,
    struct tmpdir *t, double secs, const char *installer,
    struct pending_save *ps, struct vc_warm_result *res, struct vc_error *err)
{
	struct vc_error e2;
	char sz[32];

	if (check_installed(p, t->path, NULL, err) == -1)
		return -1;
	if (st->readonly) {
		if (dry_pack(cfg, t->path, &ps->pr, err) == -1)
			return -1;
		vc_warn("env %s: not cached: the store '%s' is read-only",
		    p->env->name, st->dir);
		goto relocate;
	}
	vc_error_clear(&e2);
	if (save_pack(cfg, p, st, t->path, t->path, not_cached, secs, installer,
	        ps, &e2) == -1) {
		int nospace = e2.sys_errno == ENOSPC || e2.sys_errno == EDQUOT;

		pending_release(st, ps);
		if (dry_pack(cfg, t->path, &ps->pr, err) == -1)
			return -1;
		if (nospace && make_room(cfg, st, ps->pr.archive_size, res)) {
			vc_pack_result_release(&ps->pr);
			vc_pack_result_init(&ps->pr);
			vc_error_clear(&e2);
			if (save_pack(cfg, p, st, t->path, t->path, not_cached,
			        secs, installer, ps, &e2) == 0)
				goto relocate;
			pending_release(st, ps);
			if (dry_pack(cfg, t->path, &ps->pr, err) == -1)
				return -1;
		}
		vc_warn("env %s: not cached: the store '%s' cannot take its "
		        "%s archive: %s",
		    p->env->name, st->dir,
		    vc_format_size(ps->pr.archive_size, sz, sizeof sz), e2.msg);
	}
relocate:
	/* Our own tree: no bound but the disk's. */
	return vc_venv_relocate(t->path, t->path, p->path, &ps->pr.prefix_files,
	    UINT64_MAX, err);
}

/* Creates the venv in t->path, packs it, relocates it for plan->path. */
static int
create_and_pack(const struct vc_config *cfg, struct vc_plan *p,
    struct vc_store *st, struct tmpdir *t, struct vc_warm_result *res,
    struct pending_save *ps, struct vc_error *err)
{
	double t0 = vc_monotonic(), secs;
	struct vc_installer ins;
	int rc;

	rc = create_venv(cfg, p, t->path, t->path, &ins, err);
	res->installer = vc_installer_name(&ins);
	vc_installer_release(&ins);
	if (rc == -1)
		return -1;
	secs = vc_monotonic() - t0;
	res->delta.c[VC_C_creations]++;
	return pack_new(cfg, p, st, t, secs, res->installer, ps, res, err);
}

/* --- partial hits -------------------------------------------------- */

/*
 * `pip freeze --all` of the venv at `dir`, as "name==version" lines with
 * PEP 503 names (a direct URL install is "name @ ...": kept as "name@").
 */
static int
freeze(const struct vc_config *cfg, const struct vc_installer *ins,
    const struct vc_plan *p, const char *dir, struct vc_strv *out,
    struct vc_error *err)
{
	char *py = vc_path_join(dir, "bin/python");
	const char *argv[8];
	struct vc_strv env, unset;
	struct vc_proc proc;
	struct vc_buf b;
	char *line, *save = NULL;
	int status, rc = -1;
	size_t n;

	/* uv pip freeze lists pip and setuptools without being asked. */
	n = pip_argv(ins, py, "freeze", 1, argv);
	if (ins->kind == VC_INSTALLER_PIP)
		argv[n++] = "--all";
	argv[n] = NULL;
	vc_buf_init(&b);
	vc_strv_init(&env);
	vc_strv_init(&unset);
	/* The venv came from the store: nothing of ours reaches it. */
	restored_env(cfg, &env, &unset);
	memset(&proc, 0, sizeof proc);
	proc.argv = argv;
	proc.env_set = (const char *const *)env.v;
	proc.env_unset = (const char *const *)unset.v;
	proc.output = &b;
	status = vc_proc_run(&proc, err);
	if (status != 0) {
		if (status != -1)
			vc_error_set(err, VC_EFAIL,
			    "env %s: %s freeze failed with exit status %d",
			    p->env->name,
			    ins->kind == VC_INSTALLER_UV ? "uv pip" : "pip",
			    status);
		goto out;
	}
	for (line = strtok_r(b.data, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		char *sep = strstr(line, "==");
		char *name;

		if (sep == NULL && (sep = strstr(line, " @ ")) != NULL) {
			*sep = '\0';
			name = vc_name_normalize(line);
			vc_strv_pushf(out, "%s@", name);
		} else if (sep != NULL) {
			*sep = '\0';
			name = vc_name_normalize(line);
			vc_strv_pushf(out, "%s==%s", name, sep + 2);
		} else {
			continue; /* comments, -e lines */
		}
		free(name);
	}
	vc_strv_sort_uniq(out);
	rc = 0;
out:
	vc_buf_release(&b);
	vc_strv_release(&env);
	vc_strv_release(&unset);
	free(py);
	return rc;
}

/* The freeze line a resolved item must appear as. */
static char *
freeze_line(const struct vc_resolved *it)
{
	return it->direct ? xasprintf("%s@", it->name)
	                  : xasprintf("%s==%s", it->name, it->version);
}

/* The name part of a freeze line. */
static char *
freeze_name(const char *line)
{
	return xstrndup(line, strcspn(line, "=@"));
}

static const struct vc_resolved *
find_item(const struct vc_resolution *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (strcmp(r->items[i].name, name) == 0)
			return &r->items[i];
	return NULL;
}

/*
 * Installs the pins of `reqfile` into the restored venv at `dir`. The
 * mirror is reached only by our tool venv's pip (pip wheel: its
 * credentials never meet code from the store); the venv's own pip (-I),
 * or uv (which runs the venv's python to query it), then installs those
 * wheels with no index and none of our environment.
 */
static int
install_restored(const struct vc_config *cfg, const struct vc_installer *ins,
    const struct vc_plan *p, const char *dir, const char *reqfile,
    struct vc_error *err)
{
	char *tool = NULL, *py = vc_path_join(dir, "bin/python");
	char *wheels = vc_path_join(dir, ".venvcache-wheels");
	struct vc_strv argv;
	struct vc_error e2;
	int rc = -1;

	vc_strv_init(&argv);
	if ((tool = vc_resolve_tool_python(cfg, &p->interp, err)) == NULL)
		goto out;
	{
		const char *a[] = {tool, "-m", "pip", "wheel", "--no-input",
		    "--no-deps", "--wheel-dir", wheels, "-r", reqfile, NULL};

		if (run_tool(cfg, p, "pip wheel (partial)", a, err) == -1)
			goto out;
	}
	if (ins->kind == VC_INSTALLER_UV) {
		vc_strv_push(&argv, ins->uv);
		vc_strv_push(&argv, "pip");
		vc_strv_push(&argv, "install");
		vc_strv_push(&argv, "--python");
		vc_strv_push(&argv, py);
		/* pip compiles what it installs; uv only when told, or we
		 * do (venv_bytecode). */
		if (!own_bytecode(ins, p))
			vc_strv_push(&argv, "--compile-bytecode");
	} else {
		vc_strv_push(&argv, py);
		vc_strv_push(&argv, "-I");
		vc_strv_push(&argv, "-m");
		vc_strv_push(&argv, "pip");
		vc_strv_push(&argv, "install");
	}
	vc_strv_push(&argv, "--no-index");
	vc_strv_push(&argv, "--no-deps");
	/* By name from --find-links, not as files: pip records no direct
	 * URL, as for an install from the index. */
	vc_strv_push(&argv, "--find-links");
	vc_strv_push(&argv, wheels);
	vc_strv_push(&argv, "-r");
	vc_strv_push(&argv, reqfile);
	rc = run_prog(cfg, p,
	    ins->kind == VC_INSTALLER_UV ? "uv pip install (partial)"
	                                 : "pip install (partial)",
	    (const char *const *)argv.v, 1, err);
out:
	vc_error_clear(&e2);
	(void)vc_rm_rf(wheels, &e2);
	vc_strv_release(&argv);
	free(tool);
	free(py);
	free(wheels);
	return rc;
}

/*
 * Brings the venv at t->path to exactly `target`: installs what is
 * missing or different (no dependencies: the target is complete),
 * uninstalls what is extra, then checks `pip freeze` against it.
 */
static int
sync_venv(const struct vc_config *cfg, const struct vc_installer *ins,
    const struct vc_plan *p, struct tmpdir *t,
    const struct vc_resolution *target, struct vc_error *err)
{
	char *py = vc_path_join(t->path, "bin/python");
	char *reqfile = xasprintf("%s/.venvcache-sync.txt", t->path);
	struct vc_strv have, extra, again;
	struct vc_buf pins;
	const char **argv = NULL;
	size_t i, n;
	int rc = -1;

	vc_phase(VC_PHASE_INSTALLING);

	vc_strv_init(&have);
	vc_strv_init(&extra);
	vc_strv_init(&again);
	vc_buf_init(&pins);
	if (freeze(cfg, ins, p, t->path, &have, err) == -1)
		goto out;
	for (i = 0; i < target->n; i++) {
		char *line = freeze_line(&target->items[i]);

		if (!vc_strv_contains(&have, line)) {
			if (target->items[i].direct) {
				/* Installed from a wheel file, it would not
				 * be what a creation gives: create. */
				vc_error_set(err, VC_EFAIL,
				    "'%s' is a direct URL requirement",
				    target->items[i].name);
				free(line);
				goto out;
			}
			vc_buf_addf(&pins, "%s==%s\n", target->items[i].name,
			    target->items[i].version);
		}
		free(line);
	}
	for (i = 0; i < have.n; i++) {
		char *name = freeze_name(have.v[i]);

		if (find_item(target, name) == NULL && !base_package(name))
			vc_strv_take(&extra, name);
		else
			free(name);
	}
	/* The restored venv's pip runs with -I, and it or uv (which runs
	 * the venv's python) with none of our secrets. */
	if (pins.len > 0 &&
	    (write_text(reqfile, pins.data, err) == -1 ||
	        install_restored(cfg, ins, p, t->path, reqfile, err) == -1))
		goto out;
	if (extra.n > 0) {
		argv = xcalloc(extra.n + 8, sizeof *argv);
		n = pip_argv(ins, py, "uninstall", 1, argv);
		if (ins->kind == VC_INSTALLER_PIP)
			argv[n++] = "--yes";
		for (i = 0; i < extra.n; i++)
			argv[n++] = extra.v[i];
		argv[n] = NULL;
		if (run_prog(cfg, p,
		        ins->kind == VC_INSTALLER_UV
		            ? "uv pip uninstall (partial)"
		            : "pip uninstall (partial)",
		        argv, 1, err) == -1)
			goto out;
	}
	uv_tidy(ins, t->path);
	/* What was installed, compiled by the env's own interpreter (-I -S),
	 * not the venv's; after the uninstall, which takes its pycs along. */
	if (pins.len > 0 &&
	    venv_bytecode(ins, p, t->path, 1, t->path, err) == -1)
		goto out;
	/* The venv must now be what a fresh creation gives. */
	if (freeze(cfg, ins, p, t->path, &again, err) == -1)
		goto out;
	for (i = 0; i < target->n; i++) {
		char *line = freeze_line(&target->items[i]);
		int ok = vc_strv_contains(&again, line);

		if (!ok)
			vc_error_set(err, VC_EFAIL,
			    "after syncing, '%s' is not installed", line);
		free(line);
		if (!ok)
			goto out;
	}
	for (i = 0; i < again.n; i++) {
		char *name = freeze_name(again.v[i]);
		int ok = find_item(target, name) != NULL || base_package(name);

		if (!ok)
			vc_error_set(err, VC_EFAIL,
			    "after syncing, '%s' is still installed",
			    again.v[i]);
		free(name);
		if (!ok)
			goto out;
	}
	rc = 0;
out:
	(void)unlink(reqfile);
	free(argv);
	free(py);
	free(reqfile);
	vc_strv_release(&have);
	vc_strv_release(&extra);
	vc_strv_release(&again);
	vc_buf_release(&pins);
	return rc;
}

/* How many of `want`'s lines the entry's set holds. */
static size_t
common_lines(const struct vc_strv *have, const struct vc_strv *want)
{
	size_t i, n = 0;

	for (i = 0; i < have->n; i++)
		n += vc_strv_contains(want, have->v[i]);
	return n;
}

/*
 * Restores the nearest entry of the same env and interpreter (most
 * requirements in common) into t->path and syncs it to the plan's exact
 * set. -1 when there is none or it does not work out; the caller then
 * creates from scratch in a clean t->path.
 */
static int
partial_restore(const struct vc_config *cfg, struct vc_plan *p,
    struct vc_store *st, struct tmpdir *t, struct vc_warm_result *res,
    struct vc_error *err)
{
	struct vc_store_entry *ents = NULL;
	struct vc_resolution own;
	const struct vc_resolution *target = &p->resolution;
	struct vc_strv want;
	struct vc_lock lk = {-1};
	size_t i, n = 0, best = (size_t)-1, score, best_score = 0;
	struct vc_installer ins;
	struct vc_error e2;
	int rc = -1;

	memset(&ins, 0, sizeof ins);
	vc_resolution_init(&own);
	vc_strv_init(&want);
	if (p->key.restore_keys.n == 0 ||
	    vc_store_find_related(st, p->key.restore_keys.v[0], &ents, &n,
	        err) == -1 ||
	    n == 0)
		goto out;
	if (!p->is_resolved) {
		/* The exact target needs the whole resolved set. */
		if (vc_resolve(cfg, &p->interp, &p->reqs, 0, &own, err) == -1)
			goto out;
		target = &own;
	}
	for (i = 0; i < target->n; i++)
		vc_strv_pushf(&want, "%s==%s", target->items[i].name,
		    target->items[i].version);
	vc_strv_sort_uniq(&want);
	for (i = 0; i < n; i++) {
		if (strcmp(ents[i].m.key, p->key.key) == 0 ||
		    strcmp(ents[i].m.python, p->interp.executable) != 0 ||
		    ents[i].m.unseeded != !vc_config_bool(cfg, VC_S_SEED))
			continue;
		score = common_lines(&ents[i].m.requirements, &want);
		if (score > best_score) {
			best_score = score;
			best = i;
		}
	}
	if (best == (size_t)-1)
		goto out;
	/* Never wait for another key's lock while holding ours. */
	if (vc_store_lock(st, ents[best].m.key, VC_LOCK_SHARED | VC_LOCK_NOWAIT,
	        &lk, err) == -1)
		goto out;
	vc_step("%s: partial hit: starting from %s (%zu of %zu in common)",
	    p->env->name, ents[best].m.key, best_score, want.n);
	rc = restore_entry(p, st, ents[best].m.key, t, t->path, res, err);
	vc_store_unlock(&lk);
	if (rc == -1)
		goto out;
	if ((rc = vc_installer_choose(&ins, cfg, err)) == -1)
		goto out;
	vc_step("%s: %s", p->env->name, ins.why);
	res->installer = vc_installer_name(&ins);
	rc = sync_venv(cfg, &ins, p, t, target, err);
out:
	if (rc == -1) {
		vc_debug("env %s: no partial hit: %s", p->env->name, err->msg);
		/* Leave an empty directory for a creation from scratch. */
		vc_error_clear(&e2);
		if (vc_empty_dir(t->path, &e2) == -1)
			vc_warn("%s", e2.msg);
	}
	vc_store_entries_free(ents, n);
	vc_resolution_release(&own);
	vc_strv_release(&want);
	vc_installer_release(&ins);
	return rc;
}

static int
venv_lock(const struct vc_config *cfg, const struct vc_plan *p,
    struct vc_error *err)
{
	char *dir = xasprintf("%s/%s/locks", vc_config_str(cfg, VC_S_VENV_ROOT),
	    ROOT_PRIV);
	int fd = lock_file(dir, p->env->name, err);

	free(dir);
	return fd;
}

/*
 * Saves the venv in place at p->path under the plan's key, the project
 * under test left out. The caller holds the env's lock and the key's
 * exclusive lock.
 */
static int
save_in_place(const struct vc_config *cfg, struct vc_plan *p,
    struct vc_store *st, double secs, const struct vc_strv *recorded,
    struct vc_warm_result *res, struct vc_error *err)
{
	struct pending_save ps;
	struct vc_strv exclude;
	size_t i;
	int rc = -1;

	pending_init(&ps);
	vc_strv_init(&exclude);
	for (i = 0; not_cached[i] != NULL; i++)
		vc_strv_push(&exclude, not_cached[i]);
	editable_files(p->path, &exclude);
	if (check_installed(p, p->path, recorded, err) == -1)
		goto out;
	/* Which tool installed a venv saved in place is not known. */
	if (save_pack(cfg, p, st, p->path, p->path,
	        (const char *const *)exclude.v, secs, NULL, &ps, err) == -1 ||
	    save_commit(cfg, st, &ps, res, err) == -1)
		goto out;
	rc = 0;
out:
	pending_release(st, &ps);
	vc_strv_release(&exclude);
	return rc;
}

/*
 * A venv of ours for this key left not ready (its project failed to
 * install, or a crash): the project is installed again, and, when a
 * creation's entry was never published, the venv is saved now.
 */
static int
repair(const struct vc_config *cfg, struct vc_plan *p, enum vc_warm_mode mode,
    struct vc_warm_result *res, struct vc_error *err)
{
	struct vc_store st;
	struct vc_lock klock = {-1};
	struct vc_manifest m;
	struct vc_error e2;
	int fd = -1, rc = -1, store_open = 0;

	vc_manifest_init(&m);
	if (finish_project(cfg, p, &res->delta, err) == -1)
		goto out;
	if (mode == VC_WARM) {
		if (vc_store_open(&st, vc_config_str(cfg, VC_S_CACHE_DIR),
		        err) == -1)
			goto out;
		store_open = 1;
		if (vc_store_lock(&st, p->key.key, VC_LOCK_EXCLUSIVE, &klock,
		        err) == -1)
			goto out;
		vc_error_clear(&e2);
		if (vc_store_lookup(&st, p->key.key, &m, &fd, &e2) == 0)
			close(fd);
		else if (e2.code == VC_EMISS &&
		    save_in_place(cfg, p, &st, 0, NULL, res, err) == -1)
			goto out;
	}
	if (mark_ready(p, err) == -1)
		goto out;
	rc = 0;
out:
	if (klock.fd != -1)
		vc_store_unlock(&klock);
	if (store_open)
		vc_store_close(&st);
	vc_manifest_release(&m);
	return rc;
}

int
vc_warm(const struct vc_config *cfg, struct vc_plan *p, enum vc_warm_mode mode,
    struct vc_warm_result *res, struct vc_error *err)
{
	const char *root = vc_config_str(cfg, VC_S_VENV_ROOT);
	struct vc_store st;
	struct vc_lock klock;
	struct pending_save ps;
	struct tmpdir t = {NULL, -1};
	struct vc_error e2;
	double t0 = vc_monotonic();
	int lockfd = -1, rc = -1, stamp, project_ok, store_open = 0;
	int published = 0;

	memset(res, 0, sizeof *res);
	vc_stats_init(&res->delta);
	pending_init(&ps);
	klock.fd = -1;
	if (vc_venv_ready(p)) {
		/* Never a venv that another user could have put there. */
		if (vc_trust_dir(root, "venv-root", err) == -1)
			goto out;
		goto present;
	}
	if (vc_tmpfs_ensure(cfg, err) == -1)
		goto out;
	if ((lockfd = venv_lock(cfg, p, err)) == -1)
		goto out;
	/* Another warm may have made it while we waited for the lock. */
	stamp = stamp_matches(p, &project_ok);
	if (stamp && python_ok(p)) {
		if (!project_ok && repair(cfg, p, mode, res, err) == -1)
			goto out;
		goto present;
	}
	if (stamp) /* our venv, but its interpreter is gone or changed */
		res->delta.c[VC_C_rebuilds]++;
	else if (path_replaceable(p, err) == -1)
		goto out;
	if (vc_store_open(&st, vc_config_str(cfg, VC_S_CACHE_DIR), err) == -1)
		goto out;
	store_open = 1;
	if (tmpdir_make(root, p->env->name, &t, err) == -1)
		goto out;

	if (vc_store_lock(&st, p->key.key, VC_LOCK_SHARED, &klock, err) == -1)
		goto out;
	rc = restore_entry(p, &st, p->key.key, &t, p->path, res, err);
	if (rc == -1 && err->code == VC_EMISS &&
	    (mode == VC_WARM || vc_remote_configured(cfg))) {
		/* Build (or download) once: take the key exclusively and
		 * look again. */
		vc_store_unlock(&klock);
		/* A read-only store takes no lock, nor the new entry. */
		if (!st.readonly &&
		    vc_store_lock(&st, p->key.key, VC_LOCK_EXCLUSIVE, &klock,
		        err) == -1)
			goto out;
		rc = restore_entry(p, &st, p->key.key, &t, p->path, res, err);
		if (rc == -1 && err->code == VC_EMISS &&
		    vc_remote_fetch(cfg, &st, p->key.key, &res->delta) == 1)
			rc = restore_entry(p, &st, p->key.key, &t, p->path, res,
			    err);
		if (rc == -1 && err->code == VC_EMISS && mode == VC_WARM) {
			double tp = vc_monotonic();

			res->how = VC_HOW_CREATED;
			if (vc_config_bool(cfg, VC_S_PARTIAL) &&
			    partial_restore(cfg, p, &st, &t, res, err) == 0) {
				res->how = VC_HOW_PARTIAL;
				res->delta.c[VC_C_partial_hits]++;
				rc = pack_new(cfg, p, &st, &t,
				    vc_monotonic() - tp, res->installer, &ps,
				    res, err);
			} else {
				res->delta.c[VC_C_misses]++;
				rc = create_and_pack(cfg, p, &st, &t, res, &ps,
				    err);
			}
		} else if (rc == 0) {
			res->how = VC_HOW_HIT;
		}
	} else {
		res->how = VC_HOW_HIT;
	}
	if (!ps.packed) /* a creation keeps the key until it publishes */
		vc_store_unlock(&klock);
	if (rc == -1) {
		if (err->code == VC_EMISS) {
			res->delta.c[VC_C_misses]++;
			vc_error_set(err, VC_EMISS,
			    "env %s: no entry for key %s in '%s'", p->env->name,
			    p->key.key, st.dir);
		}
		goto out;
	}
	if (res->how == VC_HOW_HIT)
		res->delta.c[VC_C_hits]++;
	/*
	 * From here every step decides the exit status. The tree goes in
	 * place marked pending; a failure leaves it so (not ready: the next
	 * warm installs the project again), and a creation's entry is
	 * published only once the venv is whole.
	 */
	rc = -1;
	if (write_stamp(p, t.path, 1, err) == -1) {
		vc_error_prefix(err, "env %s: cannot mark the venv pending",
		    p->env->name);
		goto out;
	}
	if (install_tree(&t, p->path, err) == -1) {
		vc_error_prefix(err, "env %s", p->env->name);
		goto out;
	}
	if (finish_project(cfg, p, &res->delta, err) == -1)
		goto out;
	if (ps.packed) {
		if (save_commit(cfg, &st, &ps, res, &e2) == 0) {
			published = 1;
		} else {
			/* The venv is whole and in place: use it, uncached. */
			vc_warn("env %s: not cached: %s", p->env->name, e2.msg);
			pending_release(&st, &ps);
		}
	}
	if (mark_ready(p, err) == -1)
		goto out;
	if (published) { /* after the local publish, the key lock shared */
		vc_store_unlock(&klock);
		vc_remote_upload(cfg, &st, p->key.key, &res->delta);
	}
	rc = 0;
	goto out;
present:
	res->how = VC_HOW_PRESENT;
	res->delta.c[VC_C_present]++;
	/* Used: gc --max-age must not evict what is used every day. */
	vc_store_mark_used(vc_config_str(cfg, VC_S_CACHE_DIR), p->key.key);
	rc = 0;
out:
	if (t.path != NULL || t.fd != -1)
		tmpdir_drop(&t);
	pending_release(store_open ? &st : NULL, &ps);
	if (klock.fd != -1)
		vc_store_unlock(&klock);
	if (store_open)
		vc_store_close(&st);
	if (lockfd != -1)
		close(lockfd);
	res->seconds = vc_monotonic() - t0;
	/*
	 * The times counted are the ones warm prints ("hit in 0.31 s"): the
	 * whole warm, locks and the project included, so that stats' sums
	 * add up to the lines; saved is the entry's creation time minus it.
	 */
	if (rc == 0 && res->how == VC_HOW_HIT) {
		res->saved -= res->seconds;
		res->delta.c[VC_C_restore_ms] +=
		    (uint64_t)(res->seconds * 1000 + 0.5);
		if (res->saved > 0)
			res->delta.c[VC_C_saved_ms] +=
			    (uint64_t)(res->saved * 1000 + 0.5);
	} else {
		res->saved = 0;
	}
	if (rc == 0 && res->how == VC_HOW_CREATED)
		res->delta.c[VC_C_create_ms] +=
		    (uint64_t)(res->seconds * 1000 + 0.5);
	return rc;
}

int
vc_venv_save(const struct vc_config *cfg, struct vc_plan *p,
    struct vc_warm_result *res, struct vc_error *err)
{
	struct vc_store st;
	struct vc_lock klock;
	double t0 = vc_monotonic(), secs = 0;
	int lockfd = -1, rc = -1, store_open = 0, project_ok;
	struct vc_manifest old;

	memset(res, 0, sizeof *res);
	vc_stats_init(&res->delta);
	vc_manifest_init(&old);
	klock.fd = -1;
	if (access(p->path, F_OK) == -1) {
		vc_error_sys(err, "env %s: no venv at '%s' to save",
		    p->env->name, p->path);
		goto out;
	}
	if (vc_trust_dir(vc_config_str(cfg, VC_S_VENV_ROOT), "venv-root",
	        err) == -1 ||
	    (lockfd = venv_lock(cfg, p, err)) == -1)
		goto out;
	/* Only what warm made for this key is saved under it. */
	if (!stamp_matches(p, &project_ok)) {
		vc_error_set(err, VC_EFAIL,
		    "env %s: the venv at '%s' was not made for key %s (its %s "
		    "names another key or interpreter, or is missing): run "
		    "'venvcache warm' first",
		    p->env->name, p->path, p->key.key, VC_STAMP_NAME);
		goto out;
	}
	if (vc_store_open(&st, vc_config_str(cfg, VC_S_CACHE_DIR), err) == -1)
		goto out;
	store_open = 1;
	if (vc_store_lock(&st, p->key.key, VC_LOCK_EXCLUSIVE, &klock, err) ==
	    -1)
		goto out;
	{
		/* What creating it cost stays what the entry it replaces
		 * says: packing is not creating. */
		struct vc_error e2;
		int fd = -1;

		if (vc_store_lookup(&st, p->key.key, &old, &fd, &e2) == 0) {
			secs = old.create_seconds;
			close(fd);
		}
	}
	/* Never the project under test, even if installed in the venv; and
	 * only what the entry it replaces (or the resolution) says. */
	if (save_in_place(cfg, p, &st, secs, &old.requirements, res, err) == -1)
		goto out;
	vc_store_unlock(&klock);
	vc_remote_upload(cfg, &st, p->key.key, &res->delta);
	rc = 0;
out:
	if (klock.fd != -1)
		vc_store_unlock(&klock);
	if (store_open)
		vc_store_close(&st);
	if (lockfd != -1)
		close(lockfd);
	vc_manifest_release(&old);
	res->seconds = vc_monotonic() - t0;
	return rc;
}
