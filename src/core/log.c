/* log.c: diagnostics on stderr. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "venvcache/log.h"
#include "venvcache/util.h"

static int level = 0;
static int steps = 0;
static vc_log_sink sink = NULL;
static void *sink_arg = NULL;
static const char *context = NULL;
static int progress_on = 1;
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
