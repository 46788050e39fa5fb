/*
 * venv.h: making a venv ready under the venv root.
 *
 * warm: present and valid -> nothing; in the store -> restore; else create
 * (venv + pip through the mirror) and save. A venv is built or extracted
 * in <venv-root>/.venvcache/tmp/, relocated, and renamed into place whole;
 * its stamp (<venv>/.venvcache-stamp) is written last and is what makes it
 * ready. A crash leaves a temporary directory that the next run removes,
 * or a venv without stamp that the next warm replaces.
 *
 * A creation packs the tree before the project under test is installed
 * (the project never enters the archive) and publishes the entry only
 * after the project installed: a failure at any step after the restore or
 * creation fails the warm, publishes nothing, and leaves the venv pending
 * (not ready) for the next warm to repair.
 */
#ifndef VENVCACHE_VENV_H
#define VENVCACHE_VENV_H

#include <stdint.h>

#include "venvcache/config.h"
#include "venvcache/plan.h"
#include "venvcache/stats.h"

#define VC_STAMP_NAME ".venvcache-stamp"

/* <venv-root>/<env name>. Caller frees. */
char *vc_venv_path(const struct vc_config *, const char *env_name);

enum vc_warm_mode {
	VC_WARM,    /* present, restore, or create and save */
	VC_RESTORE, /* present or restore; VC_EMISS without an entry */
};

enum vc_warm_how {
	VC_HOW_PRESENT,
	VC_HOW_HIT,
	VC_HOW_PARTIAL,
	VC_HOW_CREATED,
};

struct vc_warm_result {
	enum vc_warm_how how;
	double seconds;        /* this warm, wall clock */
	double saved;          /* creation time avoided, seconds */
	uint64_t size;         /* unpacked bytes of the venv */
	uint64_t packed;       /* bytes of its archive (0: not known) */
	struct vc_stats delta; /* counters this warm added */
	/* "uv" or "pip": what installed a venv made by this warm (static
	 * text), NULL for a hit or one already present. */
	const char *installer;
};

/* "present", "hit", "partial", "created". */
const char *vc_warm_how_name(enum vc_warm_how);

/*
 * Makes plan->path ready. Takes the env's lock (so concurrent warms of
 * one env build once), and the key's lock in the store.
 */
int vc_warm(const struct vc_config *, struct vc_plan *, enum vc_warm_mode,
    struct vc_warm_result *, struct vc_error *);

/*
 * Whether the venv at plan->path is ready for plan's key: its stamp names
 * the key and its bin/python resolves to the plan's interpreter. Cheap: no
 * Python is started.
 */
int vc_venv_ready(const struct vc_plan *);

/* Packs the venv at plan->path into the store under plan's key. */
int vc_venv_save(const struct vc_config *, struct vc_plan *,
    struct vc_warm_result *, struct vc_error *);

/*
 * Rewrites `from` into `to` in the listed files under `dir` (relative
 * paths, never followed through symlinks or out of `dir`), keeping modes
 * and mtimes. Only whole path prefixes are rewritten. Streams: memory use
 * does not grow with the files. The files together may grow by at most
 * `max_growth` bytes (an entry's declared unpacked size: a venv at most
 * doubles); past that it fails with VC_EHOSTILE, the files before the one
 * that failed rewritten: the tree is then to be thrown away.
 */
int vc_venv_relocate(const char *dir, const char *from, const char *to,
    const struct vc_strv *files, uint64_t max_growth, struct vc_error *);

#endif
