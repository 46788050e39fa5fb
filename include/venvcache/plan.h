/*
 * plan.h: everything known about an environment before touching a venv:
 * its interpreter, its requirement set, (its resolution,) its key and its
 * venv path. Shared by key, warm, restore, save, path, run and export.
 *
 * Caller-allocated: vc_plan_init() fills it, vc_plan_release() frees what
 * it owns. `env` is borrowed from the config.
 */
#ifndef VENVCACHE_PLAN_H
#define VENVCACHE_PLAN_H

#include "venvcache/config.h"
#include "venvcache/error.h"
#include "venvcache/interp.h"
#include "venvcache/key.h"
#include "venvcache/req.h"

struct vc_plan {
	const struct vc_envdef *env;
	struct vc_interp interp;
	struct vc_reqset reqs;
	struct vc_strv resolved; /* empty unless resolved */
	int is_resolved;
	struct vc_key key;
	char *path;    /* <venv-root>/<env> */
	char *project; /* project to install after, or NULL */
};

/* Probes the interpreter, reads the requirements and computes the key. */
int vc_plan_init(struct vc_plan *, const struct vc_config *,
    const struct vc_envdef *, const char *python, struct vc_error *);
void vc_plan_release(struct vc_plan *);

#endif
