/*
 * fuzz_bytecode.c: vc_bytecode_entry_ok() on any bytes (a bytecode cache
 * entry: torn, foreign or hostile). It must never crash or read out of
 * bounds, and what it accepts has the header it promises: "VCB1", a pyc
 * magic ending "\r\n", the code's length, then a code object.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "venvcache/bytecode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A copy of exactly `size` bytes: ASan sees any read past it. */
	unsigned char *d = malloc(size > 0 ? size : 1);
	size_t len;

	if (size > 0)
		memcpy(d, data, size);
	if (vc_bytecode_entry_ok(d, size)) {
		len = (size_t)d[8] | (size_t)d[9] << 8 | (size_t)d[10] << 16 |
		    (size_t)d[11] << 24;
		if (size <= VC_BYTECODE_HEAD || memcmp(d, "VCB1", 4) != 0 ||
		    d[6] != '\r' || d[7] != '\n' ||
		    len != size - VC_BYTECODE_HEAD ||
		    (d[VC_BYTECODE_HEAD] & 0x7f) != 'c')
			abort();
	}
	free(d);
	return 0;
}
