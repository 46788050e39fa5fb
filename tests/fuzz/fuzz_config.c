/*
 * fuzz_config.c: vc_config_load_string() on any text. It must never crash,
 * leak or read out of bounds; a refusal names fuzz.ini and its line; what
 * it accepts displays, and the inline deps of its environments read as
 * requirements whose errors name fuzz.ini:line too.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "venvcache/config.h"
#include "venvcache/req.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vc_config cfg;
	struct vc_error err;
	char *text;
	size_t i, j;

	if (size > 65536)
		return 0;
	text = xstrndup((const char *)data, size);
	vc_config_init(&cfg);
	vc_error_clear(&err);
	if (vc_config_load_string(&cfg, "fuzz.ini", text, &err) == -1) {
		if (err.code == VC_OK || strncmp(err.msg, "fuzz.ini", 8) != 0)
			abort();
		goto out;
	}
	for (i = 0; i < VC_S__COUNT; i++)
		free(vc_config_display(&cfg, (enum vc_setting_id)i));
	for (i = 0; i < cfg.nenvs; i++) {
		struct vc_envdef *e = &cfg.envs[i];
		struct vc_reqset set;
		struct vc_buf deps;

		if (vc_config_env(&cfg, e->name) != e ||
		    !vc_env_name_valid(e->name))
			abort();
		vc_buf_init(&deps);
		for (j = 0; j < e->deps.n; j++)
			vc_buf_addf(&deps, "%s\n", e->deps.v[j]);
		vc_reqset_init(&set);
		if (deps.len > 0 &&
		    vc_reqset_add_text(&set, deps.data, "fuzz.ini",
		        e->deps_lines, "/nonexistent/vc-fuzz", 0, &err) == -1 &&
		    (strncmp(err.msg, "fuzz.ini:", 9) != 0 || err.line == 0))
			abort();
		vc_reqset_release(&set);
		vc_buf_release(&deps);
	}
out:
	vc_config_release(&cfg);
	free(text);
	return 0;
}
