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
	/* Its name in messages; NULL: argv[0]. */
	const char *shown;
	/* Standard input is /dev/null when set, else inherited. */
	int null_stdin;
	/*
	 * stdout is appended here, and stderr with it unless `errout` is
	 * set; NULL (and no on_line): inherited.
	 */
	struct vc_buf *output;
	/* stderr is appended here, apart from stdout; NULL: as above. */
	struct vc_buf *errout;
	/* Called with each complete line of `output` (without '\n'). */
	void (*on_line)(const char *line, void *arg);
	void *arg;
	/* Keep at most this many bytes of `output` (the tail); 0: all. */
	size_t max_output;
	/*
	 * More than this many bytes read (stdout and stderr together) kill
	 * the program and fail the run; 0: no limit.
	 */
	size_t output_limit;
	/* Seconds after which the program is killed and the run fails;
	 * 0: it may take as long as it takes. */
	unsigned timeout;
};

/*
 * Runs the program and waits. Returns its exit status (0..255), 128+N
 * when killed by signal N, or -1 with `err` set when it could not start
 * ("cannot run 'x': No such file or directory"), ran past `timeout` or
 * printed past `output_limit` (then it is killed with SIGKILL and
 * reaped; what it printed so far stays in the buffers).
 */
int vc_proc_run(const struct vc_proc *, struct vc_error *);

/* The path of `name` on PATH (or `name` itself if it has a '/'); NULL. */
char *vc_proc_which(const char *name);

#endif
