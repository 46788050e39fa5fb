/* error.c: errors as values. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "venvcache/error.h"

void
vc_error_clear(struct vc_error *e)
{
	if (e == NULL)
		return;
	e->code = VC_OK;
	e->sys_errno = 0;
	e->line = 0;
	e->file[0] = '\0';
	e->msg[0] = '\0';
}

static void vset(struct vc_error *, enum vc_errcode, const char *, va_list)
    __attribute__((format(printf, 3, 0)));

static void
vset(struct vc_error *e, enum vc_errcode code, const char *fmt, va_list ap)
{
	e->code = code;
	e->sys_errno = 0;
	e->line = 0;
	e->file[0] = '\0';
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
}

int
vc_error_set(struct vc_error *e, enum vc_errcode code, const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return -1;
	va_start(ap, fmt);
	vset(e, code, fmt, ap);
	va_end(ap);
	return -1;
}

int
vc_error_sys(struct vc_error *e, const char *fmt, ...)
{
	int saved = errno;
	size_t n;
	va_list ap;

	if (e == NULL)
		return -1;
	va_start(ap, fmt);
	vset(e, saved == ENOSPC || saved == EDQUOT ? VC_ENOSPC : VC_EFAIL, fmt,
	    ap);
	va_end(ap);
	e->sys_errno = saved;
	n = strlen(e->msg);
	snprintf(e->msg + n, sizeof e->msg - n, ": %s", strerror(saved));
	errno = saved;
	return -1;
}

int
vc_error_at(struct vc_error *e, const char *file, unsigned line,
    const char *fmt, ...)
{
	char tmp[VC_ERRMSG_MAX];
	va_list ap;

	if (e == NULL)
		return -1;
	va_start(ap, fmt);
	vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	e->code = VC_EFAIL;
	e->sys_errno = 0;
	snprintf(e->file, sizeof e->file, "%s", file);
	e->line = line;
	if (line > 0)
		snprintf(e->msg, sizeof e->msg, "%s:%u: %s", file, line, tmp);
	else
		snprintf(e->msg, sizeof e->msg, "%s: %s", file, tmp);
	return -1;
}

int
vc_error_prefix(struct vc_error *e, const char *fmt, ...)
{
	char head[VC_ERRMSG_MAX], tmp[VC_ERRMSG_MAX];
	va_list ap;

	if (e == NULL)
		return -1;
	va_start(ap, fmt);
	vsnprintf(head, sizeof head, fmt, ap);
	va_end(ap);
	snprintf(tmp, sizeof tmp, "%s: %s", head, e->msg);
	memcpy(e->msg, tmp, sizeof e->msg);
	return -1;
}
