/*
 * interp.h: the identity of a Python interpreter.
 *
 * Found by running the interpreter once (without a shell, with -E -s and a
 * timeout); the answer is cached in <cache-dir>/probe/<hash of the path>,
 * checked against the executable's real path, size, mtime (ns) and inode,
 * so that later calls start no Python. A wrapper script (a file starting
 * with "#!", such as pyenv's shims) can name a different interpreter from
 * one call to the next, so it is probed every time, never cached; give the
 * interpreter's real path (-p /path/to/python3.11) to avoid that.
 *
 * Every string is owned by the struct; vc_interp_release() frees them.
 */
#ifndef VENVCACHE_INTERP_H
#define VENVCACHE_INTERP_H

#include "venvcache/error.h"

struct vc_interp {
	char *requested;  /* as given: "python3.11" or a path */
	char *path;       /* where it was found (absolute) */
	char *executable; /* real path of sys.executable */
	char *impl;       /* sys.implementation.name: "cpython" */
	char *impl_tag;   /* "cp", "pp", ... */
	char *version;    /* platform.python_version(): "3.11.7" */
	int major;
	int minor;
	char *build;       /* sys.version, whole */
	char *soabi;       /* sysconfig SOABI, or "" */
	char *platform;    /* sysconfig.get_platform(): "linux-x86_64" */
	char *libc;        /* platform.libc_ver(): "glibc 2.36", or "" */
	char *base_prefix; /* sys.base_prefix */
	char *pip_version; /* pip importable by it: "23.2.1", or "" */
	int cached;        /* 1 when read from the probe cache */
	int wrapper;       /* 1 when `path` is a "#!" script */
};

/*
 * Probes `python` (a name looked up on PATH, or a path). `cache_dir` may
 * be NULL (no cache). Fails with a clear message when it is not found or
 * is not a working Python.
 */
int vc_interp_probe(struct vc_interp *, const char *python,
    const char *cache_dir, struct vc_error *);
void vc_interp_release(struct vc_interp *);

/* Interpreters this process has started to probe (for tests). */
unsigned vc_interp_runs(void);

#endif
