/*
 * proc.h: running a program (python, pip) without a shell.
 */
#ifndef VENVCACHE_PROC_H
#define VENVCACHE_PROC_H

#include "venvcache/error.h"
#include "venvcache/util.h"

struct vc_proc {
	const char *const *argv;      /* argv[0] is looked up on PATH */
	const char *const *env_set;   /* "NAME=value" added, or NULL */
	const char *const *env_unset; /* names removed, or NULL */
	const char *cwd;              /* or NULL */
	/* stdout and stderr, merged, are appended here; NULL: inherited. */
	struct vc_buf *output;
	/* Called with each complete output line (without '\n'), or NULL. */
	void (*on_line)(const char *line, void *arg);
	void *arg;
	/* Keep at most this many bytes of output (the tail); 0: all. */
	size_t max_output;
};

/*
 * Runs the program and waits. Returns its exit status (0..255), 128+N
 * when killed by signal N, or -1 with `err` set when it could not start.
 */
int vc_proc_run(const struct vc_proc *, struct vc_error *);

/* The path of `name` on PATH (or `name` itself if it has a '/'); NULL. */
char *vc_proc_which(const char *name);

#endif
