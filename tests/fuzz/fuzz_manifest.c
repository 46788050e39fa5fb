/*
 * fuzz_manifest.c: vc_manifest_parse() on any bytes. It must never crash,
 * leak or read out of bounds; a refusal is VC_ECORRUPT with a message;
 * what it accepts passes validation, formats, and parses back to the same
 * text (so a manifest the store writes is one it reads).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "venvcache/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vc_manifest m, back;
	struct vc_error err;
	char *text = NULL, *again = NULL;

	vc_manifest_init(&m);
	vc_manifest_init(&back);
	vc_error_clear(&err);
	if (vc_manifest_parse(&m, (const char *)data, size, "fuzz.json",
	        &err) == -1) {
		if (err.code != VC_ECORRUPT || err.msg[0] == '\0' ||
		    m.key != NULL || m.frames != NULL)
			abort();
		return 0;
	}
	if (vc_manifest_validate(&m, "fuzz.json", &err) == -1)
		abort();
	if ((text = vc_manifest_format(&m)) == NULL)
		abort();
	if (vc_manifest_parse(&back, text, strlen(text), "again", &err) == -1)
		abort();
	if ((again = vc_manifest_format(&back)) == NULL ||
	    strcmp(text, again) != 0)
		abort();
	if (vc_store_key_check(m.key, &err) == -1 || m.prefix[0] != '/')
		abort();
	free(text);
	free(again);
	vc_manifest_release(&m);
	vc_manifest_release(&back);
	return 0;
}
