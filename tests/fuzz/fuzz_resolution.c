/*
 * fuzz_resolution.c: the two readers of a resolution, on any bytes:
 * vc_resolution_parse_pins() (uv pip compile's output, the cache's record)
 * and vc_resolution_parse_report() (pip's report). Neither may crash, leak
 * or read out of bounds; a refusal has a message and leaves nothing; what
 * the pins reader accepts, written back with every hash, reads back to the
 * same text (the cache round trip).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "venvcache/resolve.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vc_resolution r, back;
	struct vc_error err;
	char *text, *again;

	vc_resolution_init(&r);
	vc_resolution_init(&back);
	vc_error_clear(&err);
	if (vc_resolution_parse_report(&r, (const char *)data, size, "fuzz",
	        &err) == -1 &&
	    err.msg[0] == '\0')
		abort();
	vc_resolution_release(&r);
	vc_error_clear(&err);
	if (vc_resolution_parse_pins(&r, (const char *)data, size, "fuzz",
	        &err) == -1) {
		if (err.msg[0] == '\0' || r.n != 0 || r.items != NULL)
			abort();
		return 0;
	}
	text = vc_resolution_requirements(&r, 1);
	if (vc_resolution_parse_pins(&back, text, strlen(text), "again",
	        &err) == -1)
		abort();
	again = vc_resolution_requirements(&back, 1);
	if (strcmp(text, again) != 0)
		abort();
	free(text);
	free(again);
	vc_resolution_release(&r);
	vc_resolution_release(&back);
	return 0;
}
