/*
 * fuzz_record.c: vc_projcache_parse_record() on any text (a RECORD from a
 * project cache entry, hostile). It must never crash, leak or read out of
 * bounds, and every path it returns is relative, inside the venv: no '..'
 * component, not absolute, not ".".
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "venvcache/projcache.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vc_strv out;
	struct vc_error err;
	char *text;
	size_t i;

	if (size > 65536)
		return 0;
	text = xstrndup((const char *)data, size);
	vc_strv_init(&out);
	(void)vc_projcache_parse_record(text, "lib/python3.12/site-packages",
	    "RECORD", &out, &err);
	for (i = 0; i < out.n; i++) {
		const char *p = out.v[i];

		if (*p == '/' || *p == '\0' || strcmp(p, ".") == 0 ||
		    strcmp(p, "..") == 0 || strncmp(p, "../", 3) == 0 ||
		    strstr(p, "/../") != NULL ||
		    (strlen(p) >= 3 && strcmp(p + strlen(p) - 3, "/..") == 0))
			abort();
	}
	vc_strv_release(&out);
	free(text);
	return 0;
}
