/*
 * fuzz_index.c: vc_index_page_hashes() on any page (what an index, or
 * whoever answers in its place, sends). It must never crash, leak or read
 * out of bounds; every digest it gives is 64 lower-case hex digits, at most
 * once each.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "venvcache/index.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vc_strv out;
	size_t i, j;

	if (size > 1 << 20)
		return 0;
	vc_strv_init(&out);
	vc_index_page_hashes((const char *)data, size, "Vc_Alpha", "1.3", &out);
	for (i = 0; i < out.n; i++) {
		if (strlen(out.v[i]) != 64)
			abort();
		for (j = 0; j < 64; j++)
			if (strchr("0123456789abcdef", out.v[i][j]) == NULL)
				abort();
		for (j = 0; j < i; j++)
			if (strcmp(out.v[i], out.v[j]) == 0)
				abort();
	}
	vc_strv_release(&out);
	return 0;
}
