/*
 * fuzz_project.c: vc_project_select_line() on any Requires-Dist line (the
 * input's first line; the next lines are the selected extras). It must
 * never crash, leak or read out of bounds; a line it keeps is never longer
 * than the one it was given.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "venvcache/project.h"
#include "venvcache/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = xstrndup((const char *)data, size), *nl, *p, *out = NULL;
	struct vc_strv extras;
	struct vc_error err;

	vc_strv_init(&extras);
	nl = strchr(text, '\n');
	if (nl != NULL) {
		*nl = '\0';
		for (p = nl + 1; *p != '\0';) {
			size_t n = strcspn(p, "\n");

			vc_strv_take(&extras, xstrndup(p, n));
			p += n + (p[n] == '\n');
		}
	}
	vc_error_clear(&err);
	if (vc_project_select_line(text, &extras, &out, &err) == -1) {
		if (err.msg[0] == '\0' || out != NULL)
			abort();
	} else if (out != NULL && strlen(out) > strlen(text)) {
		abort();
	}
	free(out);
	free(text);
	vc_strv_release(&extras);
	return 0;
}
