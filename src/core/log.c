/* log.c: diagnostics on stderr. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "venvcache/log.h"
#include "venvcache/util.h"

static int level = 0;
static int steps = 0;
static vc_log_sink sink = NULL;
static void *sink_arg = NULL;
static const char *context = NULL;

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

static void
emit(enum vc_msgkind kind, const char *fmt, va_list ap)
{
	char msg[4096];
	const char *tag = "";

	vsnprintf(msg, sizeof msg, fmt, ap);
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
