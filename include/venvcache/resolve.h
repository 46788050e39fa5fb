/*
 * resolve.h: keying what pip would install, not what was declared.
 *
 * A set that is not fully pinned is resolved with pip itself against the
 * configured mirror (`pip install --dry-run --ignore-installed --report`)
 * in a scratch venv of the env's interpreter; pip's JSON report gives the
 * resolved set. Resolutions are cached in <cache-dir>/resolve/, keyed by
 * the declared canonical set, the interpreter and the mirror (without
 * credentials), and reused for resolve-ttl; when pip cannot reach the
 * mirror, one younger than resolve-grace is used with a warning.
 */
#ifndef VENVCACHE_RESOLVE_H
#define VENVCACHE_RESOLVE_H

#include "venvcache/config.h"
#include "venvcache/error.h"
#include "venvcache/interp.h"
#include "venvcache/req.h"
#include "venvcache/util.h"

#define VC_RESOLVE_FORMAT 1

/* An entry of pip's report. */
struct vc_resolved {
	char *name; /* PEP 503 normalised */
	char *version;
	char *url;    /* where pip would get it; NULL for an index file */
	char *sha256; /* lower hex, or NULL */
	int direct;   /* a URL or path requirement */
};

struct vc_resolution {
	struct vc_resolved *items; /* sorted by name */
	size_t n;
	double created; /* unix time it was made */
	int cached;     /* read from the cache */
	int stale;      /* older than the TTL (grace use) */
};

void vc_resolution_init(struct vc_resolution *);
void vc_resolution_release(struct vc_resolution *);

/*
 * Parses pip's installation report (JSON, version 1). `name` is for
 * messages.
 */
int vc_resolution_parse_report(struct vc_resolution *, const char *json,
    size_t len, const char *name, struct vc_error *);

/* Whether `reqs` must be resolved under the resolve setting. */
int vc_resolve_needed(const struct vc_config *, const struct vc_reqset *);

#define VC_RESOLVE_REFRESH 0x1 /* ignore the cached resolution's age */

/* Resolves, using and filling the cache. */
int vc_resolve(const struct vc_config *, const struct vc_interp *,
    const struct vc_reqset *, int flags, struct vc_resolution *,
    struct vc_error *);

/*
 * The metadata of the project at `project_dir`, from its build backend:
 * pip's `install --dry-run --no-deps --report` in the scratch venv. Fills
 * `report` with the report's JSON text.
 */
int vc_resolve_project_metadata(const struct vc_config *,
    const struct vc_interp *, const char *project_dir, struct vc_buf *report,
    struct vc_error *);

/* The key's lines: "name==version sha256:<hex>" (or "name @ url"). */
void vc_resolution_key_lines(const struct vc_resolution *, struct vc_strv *out);
/* A requirements file pinning the set, with --hash where known. */
char *vc_resolution_requirements(const struct vc_resolution *, int with_hashes);

#endif
