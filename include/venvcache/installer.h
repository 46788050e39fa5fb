/*
 * installer.h: which tool resolves and installs on a miss, pip or uv.
 *
 * Two settings, two questions: `creator` says what makes the empty venv
 * (python -m venv, virtualenv, uv venv); `installer` says what resolves the
 * requirement set and installs it into that venv (pip, or uv pip). `auto`,
 * the default, is uv when the `uv` setting finds a program, pip otherwise.
 * `seed` says whether pip is in the venv (what the creator seeds it with):
 * yes, as venv and pip always made it; no needs uv to install.
 *
 * The venv is the same whichever installs it (same distributions and
 * versions for the same resolution, console scripts, bytecode, the seed):
 * the installer is not in the key; it is said in -v output, key --explain
 * and the store entry's manifest.
 */
#ifndef VENVCACHE_INSTALLER_H
#define VENVCACHE_INSTALLER_H

#include "venvcache/config.h"
#include "venvcache/error.h"
#include "venvcache/util.h"

enum vc_installer_kind {
	VC_INSTALLER_PIP,
	VC_INSTALLER_UV,
};

struct vc_installer {
	enum vc_installer_kind kind;
	/* The uv program (a path, owned) when it was found, else NULL; set
	 * for creator = uv even when pip installs. */
	char *uv;
	/* Why this one, for -v and key --explain: "installer = auto: uv found
	 * at /usr/bin/uv". Owned. */
	char *why;
	/* With uv and bytecode-cache = yes: bytecode-cache-dir, checked
	 * (vc_bytecode_compile compiles, not uv). NULL: uv compiles. */
	char *bytecode;
};

/*
 * Chooses from the installer, uv, seed and creator settings. Fails, naming
 * the setting, when uv is asked for (installer = uv, creator = uv,
 * seed = no) and not found.
 */
int vc_installer_choose(struct vc_installer *, const struct vc_config *,
    struct vc_error *);
void vc_installer_release(struct vc_installer *);

/* "uv" or "pip". */
const char *vc_installer_name(const struct vc_installer *);

/*
 * What every uv run needs besides the mirror (vc_mirror_uv_env): its cache
 * (UV_CACHE_DIR = uv-cache-dir), the copy link mode, no Python downloads.
 * Appended to `env` as "NAME=value".
 */
void vc_installer_env(const struct vc_config *, struct vc_strv *env);

#endif
