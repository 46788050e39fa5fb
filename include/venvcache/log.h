/*
 * log.h: diagnostics on stderr, never stdout.
 *
 * One verbosity level for the whole process, set once by the command line.
 * The core reports warnings and progress through these calls; the sink can
 * be replaced (GitHub Actions turns warnings into annotations, tests
 * capture them).
 */
#ifndef VENVCACHE_LOG_H
#define VENVCACHE_LOG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

enum vc_level {
	VC_LOG_QUIET = -1, /* errors only */
	VC_LOG_ERROR = 0,
	VC_LOG_WARN = 0,    /* shown unless quiet */
	VC_LOG_INFO = 0,    /* shown unless quiet */
	VC_LOG_VERBOSE = 1, /* -v */
	VC_LOG_DEBUG = 2,   /* -vv */
};

enum vc_msgkind {
	VC_MSG_ERROR,
	VC_MSG_WARN,
	VC_MSG_NOTE, /* informational, one line */
	VC_MSG_STEP, /* a step of long work, shown at -v or in CI */
	VC_MSG_DEBUG,
};

typedef void (*vc_log_sink)(enum vc_msgkind, const char *msg, void *arg);

void vc_log_set_level(int level);
int vc_log_level(void);
/* Shows step messages at the normal level too (CI logs: a line a step). */
void vc_log_set_steps(int on);
/* Replaces the sink; NULL restores the default (stderr, "venvcache: ..."). */
void vc_log_set_sink(vc_log_sink, void *arg);
/* The prefix after "venvcache: ", e.g. the command's name; may be NULL. */
void vc_log_set_context(const char *);

/*
 * A progress line on a terminal: redrawn at most a few times a second and
 * cleared by vc_progress_done() or by the next message. Nothing at all
 * when stderr is not a terminal (CI logs get vc_step lines instead), when
 * quiet, or when switched off (parallel workers share one terminal).
 */
void vc_progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void vc_progress_done(void);
void vc_log_set_progress(int on);

/*
 * Whether a live display may own stderr: a terminal, not quiet, no sink,
 * not a CI log (vc_log_set_steps) and not GitHub Actions.
 */
int vc_log_live(void);

/*
 * The phase of the env being worked on, for `warm -a`'s live lines. The
 * core announces each phase and, in long ones, the bytes done so far; a
 * hook (set by the parent's worker process) passes them on. Without a
 * hook they cost nothing. vc_phase_bytes() is called from one thread and
 * passes at most ten updates a second on.
 */
enum vc_phase {
	VC_PHASE_STARTING,
	VC_PHASE_RESOLVING,
	VC_PHASE_WAITING, /* for another process building the same env */
	VC_PHASE_CREATING,
	VC_PHASE_INSTALLING,
	VC_PHASE_PACKING,
	VC_PHASE_RESTORING,
	VC_PHASE_DOWNLOADING,
	VC_PHASE__COUNT,
};
typedef void (*vc_phase_hook)(enum vc_phase, uint64_t bytes, void *arg);
void vc_log_set_phase_hook(vc_phase_hook, void *arg);
void vc_phase(enum vc_phase);
void vc_phase_bytes(uint64_t done);
const char *vc_phase_name(enum vc_phase);

/*
 * Colour on stderr, decided once by the command line (--color, NO_COLOR,
 * whether stderr is a terminal) before any worker starts.
 */
void vc_log_set_color(int on);
int vc_log_color(void);
/*
 * `word` in its colour when `on` (green ok, hit, present; yellow miss,
 * skipped; red failed, bad; any other word as is), into `buf`; returns
 * `buf`.
 */
const char *vc_color_word(const char *word, int on, char *buf, size_t size);

void vc_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void vc_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void vc_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void vc_step(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void vc_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
