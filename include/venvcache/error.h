/*
 * error.h: errors as values.
 *
 * Core functions that can fail take a `struct vc_error *` last and return
 * -1 (or NULL) after filling it; they never print and never exit. The
 * message is complete and user-facing ("cannot open 'x.txt': No such file
 * or directory"); the command line adds "venvcache: <command>: " in front.
 * Parse errors also record the file and line, for GitHub annotations.
 */
#ifndef VENVCACHE_ERROR_H
#define VENVCACHE_ERROR_H

#include <stdarg.h>

enum vc_errcode {
	VC_OK = 0,
	VC_EFAIL,    /* generic failure: exit status 1 */
	VC_EUSAGE,   /* bad command line: exit status 2 */
	VC_EMISS,    /* no store entry for a key: exit status 3 */
	VC_ENOSPC,   /* out of space on the RAM disk or store */
	VC_ECORRUPT, /* a store entry failed its checks */
	VC_EHOSTILE, /* an archive tried to escape or smuggle */
	VC_ENET,     /* the mirror could not be reached */
	VC_ENOPY,    /* the interpreter is not there: exit status 1, or a
	                skip with skip-missing-interpreters */
};

#define VC_ERRMSG_MAX 2048
#define VC_ERRFILE_MAX 1024

struct vc_error {
	enum vc_errcode code;
	int sys_errno;             /* errno behind it, or 0 */
	unsigned line;             /* 0 when not a parse error */
	char file[VC_ERRFILE_MAX]; /* "" when not a parse error */
	char msg[VC_ERRMSG_MAX];
};

void vc_error_clear(struct vc_error *);

/* Each returns -1 so that `return vc_error_set(err, ...);` reads well. */
int vc_error_set(struct vc_error *, enum vc_errcode, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Appends ": <strerror(errno)>" and records errno. */
int vc_error_sys(struct vc_error *, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* "file:line: message"; file and line are also kept apart. */
int vc_error_at(struct vc_error *, const char *file, unsigned line,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Prepends "context: " to an existing message. */
int vc_error_prefix(struct vc_error *, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
