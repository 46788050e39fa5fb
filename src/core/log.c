/* log.c: diagnostics on stderr. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>
#include <xxhash.h>

#include "venvcache/gha.h"
#include "venvcache/log.h"
#include "venvcache/util.h"

static int level = 0;
static int steps = 0;
static vc_log_sink sink = NULL;
static void *sink_arg = NULL;
static const char *context = NULL;
static int progress_on = 1;
static int color = 0;
static vc_phase_hook phase_hook = NULL;
static void *phase_arg = NULL;
static enum vc_phase phase_now = VC_PHASE_STARTING;
static double phase_last = 0;
static int progress_shown = 0;
static double progress_last = 0;

void
vc_log_set_progress(int on)
{
	progress_on = on;
}

static int
progress_allowed(void)
{
	static int tty = -1;

	if (tty == -1)
		tty = isatty(2);
	return progress_on && tty && level >= 0 && sink == NULL;
}

int
vc_log_live(void)
{
	return isatty(2) && level >= 0 && sink == NULL && !steps &&
	    !vc_gha_active();
}

void
vc_log_set_phase_hook(vc_phase_hook h, void *arg)
{
	phase_hook = h;
	phase_arg = arg;
	phase_now = VC_PHASE_STARTING;
	phase_last = 0;
}

void
vc_phase(enum vc_phase ph)
{
	if (phase_hook == NULL || ph == phase_now)
		return;
	phase_now = ph;
	phase_last = vc_monotonic();
	phase_hook(ph, 0, phase_arg);
}

void
vc_phase_bytes(uint64_t done)
{
	double now;

	if (phase_hook == NULL)
		return;
	now = vc_monotonic();
	if (now - phase_last < 0.1)
		return;
	phase_last = now;
	phase_hook(phase_now, done, phase_arg);
}

const char *
vc_phase_name(enum vc_phase ph)
{
	static const char *const names[VC_PHASE__COUNT] = {"starting",
	    "resolving", "waiting", "creating", "installing", "packing",
	    "restoring", "downloading"};

	return (unsigned)ph < VC_PHASE__COUNT ? names[ph] : "?";
}

void
vc_log_set_color(int on)
{
	color = on;
}

int
vc_log_color(void)
{
	return color;
}

const char *
vc_color_word(const char *word, int on, char *buf, size_t size)
{
	static const struct {
		const char *word, *sgr;
	} paint[] = {{"ok", "32"}, {"hit", "32"}, {"present", "32"},
	    {"miss", "33"}, {"skipped", "33"}, {"failed", "1;31"},
	    {"bad", "1;31"}};
	size_t i;

	for (i = 0; on && i < sizeof paint / sizeof *paint; i++)
		if (strcmp(word, paint[i].word) == 0) {
			snprintf(buf, size, "\033[%sm%s\033[0m", paint[i].sgr,
			    word);
			return buf;
		}
	snprintf(buf, size, "%s", word);
	return buf;
}

void
vc_progress(const char *fmt, ...)
{
	char msg[160];
	double now = vc_monotonic();
	va_list ap;

	if (!progress_allowed() || now - progress_last < 0.2)
		return;
	progress_last = now;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	/* One line, cut to the terminal's usual width, then erase the rest. */
	fprintf(stderr, "\r%.79s\033[K", msg);
	fflush(stderr);
	progress_shown = 1;
}

void
vc_progress_done(void)
{
	if (!progress_shown)
		return;
	fputs("\r\033[K", stderr);
	fflush(stderr);
	progress_shown = 0;
	progress_last = 0;
}

void
vc_log_set_level(int l)
{
	level = l;
}

int
vc_log_level(void)
{
	return level;
}

void
vc_log_set_steps(int on)
{
	steps = on;
}

void
vc_log_set_sink(vc_log_sink s, void *arg)
{
	sink = s;
	sink_arg = arg;
}

void
vc_log_set_context(const char *c)
{
	context = c;
}

/*
 * Under GitHub Actions: whether this warning was already given in this job
 * (every step of it shares $RUNNER_TEMP); records it if not. The record is
 * $RUNNER_TEMP/venvcache-warnings, a line of 16 hex digits (XXH3-64 of the
 * text) per warning, read and appended under an flock, as parallel workers
 * are processes. Without $RUNNER_TEMP, or on any error, every warning is
 * given.
 */
static int
warned_before(const char *text)
{
	const char *dir = getenv("RUNNER_TEMP");
	char *path, line[18], buf[65536];
	int fd, seen = 0;
	size_t have = 0;
	ssize_t n;

	if (dir == NULL || dir[0] != '/')
		return 0;
	snprintf(line, sizeof line, "%016llx\n",
	    (unsigned long long)XXH3_64bits(text, strlen(text)));
	path = vc_path_join(dir, "venvcache-warnings");
	fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	free(path);
	if (fd == -1)
		return 0;
	if (flock(fd, LOCK_EX) == -1) {
		close(fd);
		return 0;
	}
	/* Whole lines only: 17 bytes each, compared in place. */
	while ((n = read(fd, buf + have, sizeof buf - have)) > 0) {
		size_t i, used;

		have += (size_t)n;
		used = have - have % 17;
		for (i = 0; i < used && !seen; i += 17)
			seen = memcmp(buf + i, line, 17) == 0;
		memmove(buf, buf + used, have - used);
		have -= used;
		if (seen)
			break;
	}
	if (!seen && write(fd, line, 17) != 17)
		seen = 0; /* unrecorded: given again next time */
	close(fd);
	return seen;
}

static void emit(enum vc_msgkind, const char *, va_list)
    __attribute__((format(printf, 2, 0)));

static void
emit(enum vc_msgkind kind, const char *fmt, va_list ap)
{
	char msg[4096];
	const char *tag = "";

	vsnprintf(msg, sizeof msg, fmt, ap);
	vc_progress_done();
	if (sink != NULL) {
		sink(kind, msg, sink_arg);
		return;
	}
	if (kind == VC_MSG_WARN && vc_gha_active()) {
		/* An annotation, once a job (whichever command gives it). */
		char text[4200];

		if (context != NULL)
			snprintf(text, sizeof text, "venvcache: %s: %s",
			    context, msg);
		else
			snprintf(text, sizeof text, "venvcache: %s", msg);
		if (!warned_before(msg))
			vc_gha_warning(stderr, text);
		return;
	}
	if (kind == VC_MSG_WARN)
		tag = "warning: ";
	else if (kind == VC_MSG_DEBUG)
		tag = "debug: ";
	/* One write per line so that parallel workers do not interleave. */
	if (context != NULL)
		fprintf(stderr, "venvcache: %s: %s%s\n", context, tag, msg);
	else
		fprintf(stderr, "venvcache: %s%s\n", tag, msg);
}

#define DEFINE_LOG(fn, kind, min)                                  \
	void fn(const char *fmt, ...)                              \
	{                                                          \
		va_list ap;                                        \
		if (level < (min) &&                               \
		    !(kind == VC_MSG_STEP && steps && level >= 0)) \
			return;                                    \
		va_start(ap, fmt);                                 \
		emit(kind, fmt, ap);                               \
		va_end(ap);                                        \
	}

DEFINE_LOG(vc_error, VC_MSG_ERROR, VC_LOG_QUIET)
DEFINE_LOG(vc_warn, VC_MSG_WARN, VC_LOG_WARN)
DEFINE_LOG(vc_note, VC_MSG_NOTE, VC_LOG_INFO)
DEFINE_LOG(vc_step, VC_MSG_STEP, VC_LOG_VERBOSE)
DEFINE_LOG(vc_debug, VC_MSG_DEBUG, VC_LOG_DEBUG)
