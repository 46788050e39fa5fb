/*
 * fuzz_piperr.c: vc_pip_index_error() on any text (what pip or uv printed).
 * It must never crash, leak or read out of bounds; what it returns is
 * printable (no byte below 0x20, no DEL) and short, whatever the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "venvcache/mirror.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text, *got;
	size_t i, n;

	if (size > 65536)
		return 0;
	text = xstrndup((const char *)data, size);
	got = vc_pip_index_error(text);
	if (got != NULL) {
		n = strlen(got);
		/* "cannot reach the index: " + proxy: + 300 + " (" 200 ")" */
		if (n > 600)
			abort();
		for (i = 0; i < n; i++)
			if ((unsigned char)got[i] < 0x20 || got[i] == 0x7f)
				abort();
	}
	free(got);
	free(text);
	return 0;
}
