/* installer.c: pip or uv, and what uv is run with. */
#include <stdlib.h>
#include <string.h>

#include "venvcache/installer.h"
#include "venvcache/proc.h"
#include "venvcache/trust.h"
#include "venvcache/util.h"

int
vc_installer_choose(struct vc_installer *ins, const struct vc_config *cfg,
    struct vc_error *err)
{
	const char *want = vc_config_str(cfg, VC_S_INSTALLER);
	const char *uv = vc_config_str(cfg, VC_S_UV);
	const char *cache = vc_config_str(cfg, VC_S_UV_CACHE_DIR);
	int seed = vc_config_bool(cfg, VC_S_SEED);
	int creator_uv = strcmp(vc_config_str(cfg, VC_S_CREATOR), "uv") == 0;

	memset(ins, 0, sizeof *ins);
	ins->uv = *uv != '\0' ? vc_proc_which(uv) : NULL;
	if (strcmp(want, "pip") == 0) {
		if (!seed)
			return vc_error_set(err, VC_EFAIL,
			    "installer = pip needs pip in the venv, but seed = "
			    "no: set seed = yes, or installer = uv");
		ins->kind = VC_INSTALLER_PIP;
		ins->why = xstrdup("installer = pip");
	} else if (ins->uv != NULL) {
		ins->kind = VC_INSTALLER_UV;
		ins->why =
		    xasprintf("installer = %s: uv is '%s'", want, ins->uv);
	} else if (strcmp(want, "uv") == 0 || !seed) {
		return vc_error_set(err, VC_EFAIL,
		    "%s, but the uv setting ('%s') finds no program: install "
		    "uv, or set uv to its path",
		    strcmp(want, "uv") == 0 ? "installer = uv"
		                            : "seed = no needs uv to install",
		    uv);
	} else {
		ins->kind = VC_INSTALLER_PIP;
		ins->why = xasprintf("installer = auto: no uv found ('%s'), "
		                     "pip",
		    uv);
	}
	if (creator_uv && ins->uv == NULL) {
		vc_installer_release(ins);
		return vc_error_set(err, VC_EFAIL,
		    "creator = uv, but the uv setting ('%s') finds no program",
		    uv);
	}
	/*
	 * uv's cache holds the wheels it installs: checked as cache-dir is
	 * (without HOME its default is under /tmp, where another user could
	 * have made it first).
	 */
	if ((ins->kind == VC_INSTALLER_UV || creator_uv) && *cache != '\0' &&
	    (vc_mkdir_p(cache, 0700, err) == -1 ||
	        vc_trust_dir(cache, "uv-cache-dir", err) == -1)) {
		vc_installer_release(ins);
		return -1;
	}
	/* The bytecode cache runs as code: checked as uv's cache is. */
	if (ins->kind == VC_INSTALLER_UV &&
	    vc_config_bool(cfg, VC_S_BYTECODE_CACHE)) {
		const char *bc = vc_config_str(cfg, VC_S_BYTECODE_CACHE_DIR);

		if (vc_mkdir_p(bc, 0700, err) == -1 ||
		    vc_trust_dir(bc, "bytecode-cache-dir", err) == -1) {
			vc_installer_release(ins);
			return -1;
		}
		ins->bytecode = xstrdup(bc);
	}
	return 0;
}

void
vc_installer_release(struct vc_installer *ins)
{
	free(ins->uv);
	free(ins->why);
	free(ins->bytecode);
	memset(ins, 0, sizeof *ins);
}

const char *
vc_installer_name(const struct vc_installer *ins)
{
	return ins->kind == VC_INSTALLER_UV ? "uv" : "pip";
}

void
vc_installer_env(const struct vc_config *cfg, struct vc_strv *env)
{
	/* uv's cache is venvcache's own, never the store's cache-dir: the
	 * store is carried by actions/cache and may be written by others. */
	vc_strv_pushf(env, "UV_CACHE_DIR=%s",
	    vc_config_str(cfg, VC_S_UV_CACHE_DIR));
	/*
	 * Copy, never hardlink (uv's default) or clone: venvs are made on a
	 * tmpfs and the cache is on disk, and hardlinks cannot cross
	 * filesystems (uv would warn and fall back file by file); and were
	 * they on one filesystem, a venv sharing inodes with the cache would
	 * change when the cache is pruned or rewritten, and be packed into
	 * the store with whatever the cache holds then.
	 */
	vc_strv_push(env, "UV_LINK_MODE=copy");
	/* The interpreter is the env's; uv never fetches one of its own. */
	vc_strv_push(env, "UV_PYTHON_DOWNLOADS=never");
	vc_strv_push(env, "UV_NO_PROGRESS=1");
}
