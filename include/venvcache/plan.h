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
#include "venvcache/resolve.h"

struct vc_plan {
	const struct vc_envdef *env;
	struct vc_interp interp;
	struct vc_reqset reqs;
	struct vc_strv resolved; /* key lines of the resolution, if any */
	int is_resolved;
	struct vc_resolution resolution; /* empty unless resolved */
	struct vc_key key;               /* the store entry's key */
	struct vc_key offline; /* the declared key: no network (below) */
	char *path;            /* <venv-root>/<env> */
	char *project;         /* project to install after, or NULL */
	/* What the project brought into `reqs`: "line  (origin)" each. */
	struct vc_strv project_lines;
	int no_interp; /* vc_plan_init failed probing the interpreter */
};

#define VC_PLAN_REFRESH 0x1 /* resolve again, whatever the cache holds */
#define VC_PLAN_RESOLVE 0x2 /* resolve even a pinned set (lock) */
#define VC_PLAN_OFFLINE 0x4 /* never resolve: `key` is the offline key */

/*
 * The offline key is the key of the declared set (vc_key_compute without a
 * resolution): every input the key document has except what pip resolves.
 * It never needs the network, so actions/cache's key is made of it
 * (docs/key.md, "The two keys"); it equals the entry key of a set keyed as
 * declared. With VC_PLAN_OFFLINE nothing is resolved and `key` holds the
 * offline key too (is_resolved stays 0).
 *
 * vc_plan_init probes the interpreter, reads the requirements, resolves them
 * when the resolve setting asks for it, and computes the key.
 */
int vc_plan_init(struct vc_plan *, const struct vc_config *,
    const struct vc_envdef *, const char *python, int flags, struct vc_error *);
void vc_plan_release(struct vc_plan *);

#endif
