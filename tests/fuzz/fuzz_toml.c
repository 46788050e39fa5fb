/*
 * fuzz_toml.c: vc_toml_parse() on any bytes. It must never crash, leak or
 * read out of bounds; a refusal names the file and a line; what it accepts
 * is a table whose JSON form jansson can write.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "venvcache/toml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vc_error err;
	json_t *root;
	char *text;

	vc_error_clear(&err);
	root = vc_toml_parse((const char *)data, size, "fuzz.toml", &err);
	if (root == NULL) {
		if (err.msg[0] == '\0' || strcmp(err.file, "fuzz.toml") != 0)
			abort();
		return 0;
	}
	if (!json_is_object(root))
		abort();
	text = json_dumps(root, JSON_COMPACT | JSON_ENCODE_ANY);
	if (text == NULL)
		abort();
	free(text);
	json_decref(root);
	return 0;
}
