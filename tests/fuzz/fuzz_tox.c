/*
 * fuzz_tox.c: vc_tox_read() on any text, as a tox.ini, a setup.cfg, a
 * pyproject.toml (legacy_tox_ini or native [tool.tox]) or a tox.toml, by
 * the first byte. It must never
 * crash, leak, read out of bounds or take long (the readers' bounds); a
 * refusal names the file and a line; what it accepts has valid, unique
 * environment names, a line for every dep, and becomes config environments
 * whose deps read as requirements with errors naming fuzz/tox.ini:LINE.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "venvcache/config.h"
#include "venvcache/req.h"
#include "venvcache/tox.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = {"/nonexistent/vc-fuzz/tox.ini",
	    "/nonexistent/vc-fuzz/tox.ini", "/nonexistent/vc-fuzz/setup.cfg",
	    "/nonexistent/vc-fuzz/pyproject.toml",
	    "/nonexistent/vc-fuzz/tox.toml", "/nonexistent/vc-fuzz/tox.ini",
	    "/nonexistent/vc-fuzz/setup.cfg",
	    "/nonexistent/vc-fuzz/pyproject.toml"};
	const char *name = names[size > 0 ? (data[0] >> 1) & 7 : 0];
	size_t nlen = strlen(name);
	struct vc_config cfg;
	struct vc_error err;
	struct vc_tox x;
	char *text;
	size_t i, j;

	if (size > 65536)
		return 0;
	text = xstrndup((const char *)data, size);
	vc_tox_init(&x);
	vc_config_init(&cfg);
	if (vc_tox_read(&x, size > 0 && (data[0] & 1) ? 4 : 3, name, text,
	        &err) == -1) {
		if (err.code == VC_OK || strncmp(err.msg, name, nlen) != 0 ||
		    err.msg[nlen] != ':' || strcmp(err.file, name) != 0)
			abort();
		goto out;
	}
	if (x.n == 0 || strcmp(x.dir, "/nonexistent/vc-fuzz") != 0)
		abort();
	for (i = 0; i < x.n; i++) {
		const struct vc_tox_env *e = &x.envs[i];
		char *p;

		if (!vc_env_name_valid(e->name) || e->line == 0 ||
		    (i > 0 && e->in_envlist && !x.envs[i - 1].in_envlist))
			abort();
		for (j = 0; j < i; j++)
			if (strcmp(x.envs[j].name, e->name) == 0)
				abort();
		for (j = 0; j < e->deps.n; j++)
			if (e->deps_lines[j] == 0 || *e->deps.v[j] == '\0')
				abort();
		p = vc_tox_project_dep(e);
		if ((p != NULL) != (e->install_project != 0))
			abort();
		free(p);
	}
	if (vc_tox_add_envs(&cfg, &x, &err) == -1 || cfg.nenvs != x.n)
		abort();
	for (i = 0; i < cfg.nenvs; i++) {
		struct vc_envdef *e = &cfg.envs[i];
		struct vc_reqset set;
		struct vc_buf deps;

		vc_buf_init(&deps);
		for (j = 0; j < e->deps.n; j++)
			vc_buf_addf(&deps, "%s\n", e->deps.v[j]);
		vc_reqset_init(&set);
		if (deps.len > 0 &&
		    vc_reqset_add_text(&set, deps.data, name, e->deps_lines,
		        e->basedir, 0, &err) == -1 &&
		    (strncmp(err.msg, name, nlen) != 0 || err.line == 0))
			abort();
		vc_reqset_release(&set);
		vc_buf_release(&deps);
	}
out:
	vc_config_release(&cfg);
	vc_tox_release(&x);
	free(text);
	return 0;
}
